/* SPDX-License-Identifier: ISC */
/* sandbox_fs.c: the handler's Landlock ruleset, the file system it and the
 * programs it executes (mailproxy-tls, the relay) may still open.
 *
 * seccomp cannot read a path (sandbox.c); Landlock can. The handler opens
 * every path it allows with O_PATH as it is told (sandbox_fs_allow), then
 * sandbox_fs_enter() makes one ruleset of them and restricts itself; the
 * domain is inherited across fork and execve and cannot be left. Every right
 * the kernel knows is handled, so what no rule grants is refused: no file is
 * made, removed, renamed or linked anywhere, and nothing outside the rules is
 * read, written or executed. Opened fds are untouched (the client socket,
 * the log files).
 *
 * A kernel without Landlock (not built, or off at boot) or a service
 * manager that filters its calls: sandbox_fs_enter() changes nothing and
 * says so, and the caller logs it; the unit's own protection then stands
 * alone (units/README).
 *
 * Also in sanitizer builds, where seccomp is off: there the sanitizers of the
 * programs executed later read /proc/self/maps, so /proc is readable. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

/* the kernel's ABI (linux/landlock.h), spelled here: headers lag kernels */
#define LL_VERSION		(1u << 0)	/* create_ruleset flag: the ABI */
#define LL_RULE_PATH_BENEATH	1
#define LL_EXECUTE		(1ull << 0)
#define LL_WRITE_FILE		(1ull << 1)
#define LL_READ_FILE		(1ull << 2)
#define LL_READ_DIR		(1ull << 3)
#define LL_ABI1_ALL		((1ull << 13) - 1)	/* execute .. make_sym */
#define LL_REFER		(1ull << 13)	/* ABI 2 */
#define LL_TRUNCATE		(1ull << 14)	/* ABI 3 */
#define LL_IOCTL_DEV		(1ull << 15)	/* ABI 5 */
#define LL_FILE_RIGHTS		(LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | \
				 LL_TRUNCATE | LL_IOCTL_DEV)
#define LL_NET_BIND_TCP		(1ull << 0)	/* ABI 4: handled_access_net */
#define LL_SCOPE_ABSTRACT_UNIX	(1ull << 0)	/* ABI 6: scoped */
#define LL_SCOPE_SIGNAL		(1ull << 1)

/* A kernel with an older ABI takes the whole structure as long as the fields
 * it does not know are zero. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#if defined(__SANITIZE_ADDRESS__)
#define FS_SAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FS_SAN 1
#endif
#endif

#define MAXRULES 128

static struct {
	int fd;
	unsigned how;
	dev_t dev;
	ino_t ino;
} rules[MAXRULES];
static unsigned nrules;
static int overflow;

int
sandbox_fs_abi(void)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_VERSION);

	return v < 0 ? -1 : (int)v;
}

int
sandbox_fs_allow(const char *path, unsigned how)
{
	struct stat st;
	int fd;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd == -1) {
		/* a file that is not there cannot be opened later either */
		if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
			return 0;
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		close(fd);
		return -1;
	}
	/* one rule per file: servers share directories and log files */
	for (unsigned i = 0; i < nrules; i++)
		if (rules[i].dev == st.st_dev && rules[i].ino == st.st_ino) {
			rules[i].how |= how;
			close(fd);
			return 0;
		}
	if (nrules == MAXRULES) {
		overflow = 1;	/* enter() then applies none: see there */
		close(fd);
		return 0;
	}
	rules[nrules].fd = fd;
	rules[nrules].dev = st.st_dev;
	rules[nrules].ino = st.st_ino;
	rules[nrules].how = how;
	nrules++;
	return 0;
}

static uint64_t
rights(unsigned how, uint64_t handled)
{
	uint64_t r = 0;

	if (how & SANDBOX_FS_READ)
		r |= LL_READ_FILE | LL_READ_DIR;
	if (how & SANDBOX_FS_EXEC)
		r |= LL_EXECUTE;
	if (how & SANDBOX_FS_WRITE)
		r |= LL_WRITE_FILE;
	return r & handled;
}

static void
drop_rules(void)
{
	for (unsigned i = 0; i < nrules; i++)
		close(rules[i].fd);
	nrules = 0;
}

int
sandbox_fs_enter(void)
{
	struct ll_ruleset_attr ra;
	int abi, rs, saved;

	abi = sandbox_fs_abi();
	if (abi < 1) {
		saved = errno;
		drop_rules();
		/* no Landlock here: ENOSYS (not built), EOPNOTSUPP (off at
		 * boot), EPERM (a system call filter above us) */
		errno = saved;
		if (errno == ENOSYS || errno == EOPNOTSUPP || errno == EPERM)
			return 0;
		return -1;
	}
	if (overflow) {
		/* a rule left out would fail sessions: none, logged by the caller */
		drop_rules();
		errno = E2BIG;
		return 0;
	}
#ifdef FS_SAN
	if (sandbox_fs_allow("/proc", SANDBOX_FS_READ) == -1) {
		drop_rules();
		return -1;
	}
#endif
	memset(&ra, 0, sizeof ra);
	ra.handled_access_fs = LL_ABI1_ALL;
	/* Beyond files, with no rule to grant them: no TCP port may be bound (a
	 * connect's own port is not a bind), no abstract unix socket of a process
	 * outside the domain reached, no process outside it signalled.  The handler
	 * binds nothing and signals only its own children, which are inside. */
	if (abi >= 4)
		ra.handled_access_net = LL_NET_BIND_TCP;
	if (abi >= 6)
		ra.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	if (abi >= 2)
		ra.handled_access_fs |= LL_REFER;
	if (abi >= 3)
		ra.handled_access_fs |= LL_TRUNCATE;
	if (abi >= 5)
		ra.handled_access_fs |= LL_IOCTL_DEV;
	rs = (int)syscall(__NR_landlock_create_ruleset, &ra, sizeof ra, 0);
	if (rs == -1) {
		drop_rules();
		return -1;
	}
	for (unsigned i = 0; i < nrules; i++) {
		struct ll_path_beneath pb;
		struct stat st;

		if (fstat(rules[i].fd, &st) == -1)
			goto fail;
		pb.allowed_access = rights(rules[i].how, ra.handled_access_fs);
		/* a file takes only the rights that apply to files */
		if (!S_ISDIR(st.st_mode))
			pb.allowed_access &= LL_FILE_RIGHTS;
		pb.parent_fd = rules[i].fd;
		if (pb.allowed_access != 0 &&
		    syscall(__NR_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &pb, 0) == -1)
			goto fail;
	}
	drop_rules();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(__NR_landlock_restrict_self, rs, 0) == -1) {
		saved = errno;
		close(rs);
		errno = saved;
		return -1;
	}
	close(rs);
	return abi;
fail:
	saved = errno;
	drop_rules();
	close(rs);
	errno = saved;
	return -1;
}
