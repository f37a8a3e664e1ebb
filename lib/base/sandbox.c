/* SPDX-License-Identifier: ISC */
/* sandbox.c: the seccomp-BPF filters of the handler, the relay and a TLS
 * session.
 *
 * Written by hand rather than with libseccomp: a handler process lives for
 * one connection, so every library it links is paid for on every connection.
 * libseccomp costs a shared object to map and relocate and a filter compiled
 * at run time; this file's filter is an array of a few hundred instructions
 * built with no allocation and loaded with one seccomp(2) call (numbers in
 * tests/fuzz/README, "sandbox").
 *
 * Shape of a program: check the architecture (a foreign ABI is killed), then
 * a balanced binary search over the sorted numbers of the allowed calls,
 * whose leaves allow, or jump to the argument check of their call (placed
 * after the search), or end in the phase's default action. A search, not a
 * list: when a filter is loaded the kernel
 * runs it for every call number to fill its action cache, under a lock; a
 * list of 110 calls made that 0.14 ms per process here, more than the exec of
 * the static handler, and the search makes it a tenth of that. Jumps in the
 * tree skip one subtree; build() refuses a tree whose jump would not fit
 * BPF's 8-bit offsets.
 *
 * A filter sees the numbers in a call's registers, never the memory they
 * point to: it cannot read a path or a socket address. What each argument
 * check can promise is said where it is built, and in the man pages.
 *
 * Not in sanitizer builds: ASan reports and LeakSanitizer's exit check need
 * ptrace, clone, /proc/self/maps and more, in the relay too; the SAN=1 build
 * runs without a filter (sandbox_mode() says so) and the unit test still
 * checks the filters in children that leave with exit_group(2). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "sandbox.h"

#if defined(__x86_64__) && !defined(__ILP32__)
#define SB_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_ARCH AUDIT_ARCH_AARCH64
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(MP_NO_SANDBOX)
#define SB_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SB_OFF 1
#endif
#endif

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS SECCOMP_RET_KILL
#endif

/* calls that only some architectures have (aarch64 has just the *at forms) */
#ifndef __NR_open
#define __NR_open -1
#endif
#ifndef __NR_poll
#define __NR_poll -1
#endif
#ifndef __NR_select
#define __NR_select -1
#endif
#ifndef __NR_stat
#define __NR_stat -1
#endif
#ifndef __NR_lstat
#define __NR_lstat -1
#endif
#ifndef __NR_access
#define __NR_access -1
#endif
#ifndef __NR_readlink
#define __NR_readlink -1
#endif
#ifndef __NR_dup2
#define __NR_dup2 -1
#endif
#ifndef __NR_pipe
#define __NR_pipe -1
#endif
#ifndef __NR_fork
#define __NR_fork -1
#endif
#ifndef __NR_vfork
#define __NR_vfork -1
#endif
#ifndef __NR_alarm
#define __NR_alarm -1
#endif
#ifndef __NR_time
#define __NR_time -1
#endif
#ifndef __NR_epoll_wait
#define __NR_epoll_wait -1
#endif
#ifndef __NR_arch_prctl
#define __NR_arch_prctl -1
#endif
#ifndef __NR_getdents
#define __NR_getdents -1
#endif
#ifndef __NR_rseq
#define __NR_rseq -1
#endif
#ifndef __NR_clone3
#define __NR_clone3 -1
#endif
#ifndef __NR_close_range
#define __NR_close_range -1
#endif
#ifndef __NR_faccessat2
#define __NR_faccessat2 -1
#endif
#ifndef __NR_epoll_pwait2
#define __NR_epoll_pwait2 -1
#endif
#ifndef __NR_statx
#define __NR_statx -1
#endif
#ifndef __NR_accept
#define __NR_accept -1
#endif
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444	/* the same on every architecture */
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

/* The relay: the copy loop (relay.c, and a splice(2) variant), the closing
 * log line (write, getpid, the clock), and leaving. */
static const int relay_calls[] = {
	__NR_read, __NR_write, __NR_poll, __NR_ppoll, __NR_splice, __NR_readv, __NR_writev,
	__NR_recvfrom, __NR_sendto, __NR_shutdown, __NR_close, __NR_fcntl, __NR_pipe2,
	__NR_clock_gettime, __NR_gettimeofday, __NR_time, __NR_getpid,
	__NR_brk, __NR_munmap, __NR_madvise, __NR_futex,	/* mmap: below, never executable */
	__NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_restart_syscall,
	__NR_exit, __NR_exit_group,
};

/* A TLS session once its keys are loaded (mailproxy-tls, executed or a
 * daemon's child): the handshake, the report to the handler, the I/O loop
 * with its idle limit, log lines on descriptors already open, and, executed,
 * waiting for the handler, its child. Nothing that opens a file or a socket
 * or starts a program. */
static const int tls_calls[] = {
	__NR_read, __NR_write, __NR_readv, __NR_writev, __NR_poll, __NR_ppoll,
	__NR_recvfrom, __NR_sendto, __NR_shutdown, __NR_close, __NR_fcntl,
	__NR_clock_gettime, __NR_gettimeofday, __NR_time, __NR_getpid, __NR_getrandom,
	__NR_brk, __NR_munmap, __NR_mremap, __NR_madvise, __NR_futex,	/* mmap: below */
	__NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_restart_syscall,
	__NR_wait4, __NR_nanosleep, __NR_clock_nanosleep,
	__NR_exit, __NR_exit_group,
};

/* Before and during the handshake, a TLS session also reads files: the
 * client certificate check loads the CA and CRL files (tlsd_config.c,
 * verify_chain). open and openat: below, for reading only. */
static const int tls_handshake_calls[] = {
	__NR_fstat, __NR_newfstatat, __NR_statx, __NR_lseek,
};

/* The handler, the processes it starts (mailproxy-tls, the relay: from
 * execve up to their own filter) and the libraries they load (libcurl with
 * its resolver thread, c-ares, libtls/OpenSSL). Argument checks below for
 * socket, clone, open/openat, execve and the signals; clone3 answers ENOSYS.
 * Not here, among others: ptrace, process_vm_*, mount, chroot,
 * setns/unshare, set*id, bpf, perf_event_open, io_uring, keyctl, module and
 * kexec calls, bind/listen/accept, execveat, and every call that names a
 * file to change (mkdir, unlink, rename, link, symlink, chmod, chown,
 * truncate, mknod, utimes, xattrs). */
static const int handler_calls[] = {
	/* I/O */
	__NR_read, __NR_write, __NR_poll, __NR_ppoll, __NR_recvfrom, __NR_sendto,
	__NR_recvmsg, __NR_sendmsg, __NR_recvmmsg, __NR_sendmmsg, __NR_readv, __NR_writev,
	__NR_pread64, __NR_pwrite64, __NR_splice, __NR_select, __NR_pselect6,
	__NR_epoll_create1, __NR_epoll_ctl, __NR_epoll_wait, __NR_epoll_pwait, __NR_epoll_pwait2,
	__NR_eventfd2,
	/* descriptors */
	__NR_close, __NR_close_range, __NR_fcntl, __NR_dup, __NR_dup2, __NR_dup3,
	__NR_pipe, __NR_pipe2, __NR_ioctl, __NR_lseek,
	/* sockets: no bind, so no socket file is ever made */
	__NR_connect, __NR_socketpair, __NR_shutdown, __NR_getsockname,
	__NR_getpeername, __NR_getsockopt, __NR_setsockopt,
	/* reading files: configuration, certificates, resolv.conf, ld.so */
	__NR_newfstatat, __NR_fstat, __NR_stat, __NR_lstat, __NR_statx,
	__NR_access, __NR_faccessat, __NR_faccessat2, __NR_readlink, __NR_readlinkat,
	__NR_getdents64, __NR_getdents, __NR_getcwd, __NR_umask,
	/* memory */
	__NR_brk, __NR_mmap, __NR_munmap, __NR_mprotect, __NR_mremap, __NR_madvise,
	/* time, deadlines, Auth-Wait */
	__NR_clock_gettime, __NR_clock_getres, __NR_gettimeofday, __NR_time,
	__NR_nanosleep, __NR_clock_nanosleep, __NR_alarm, __NR_setitimer, __NR_getitimer,
	__NR_timer_create, __NR_timer_settime, __NR_timer_delete,
	/* signals (sending one: below) */
	__NR_rt_sigaction, __NR_rt_sigprocmask, __NR_rt_sigreturn, __NR_rt_sigtimedwait,
	__NR_sigaltstack, __NR_restart_syscall,
	/* processes: mailproxy-tls, the relay, the resolver thread (clone: below) */
	__NR_fork, __NR_vfork, __NR_wait4, __NR_waitid,
	__NR_exit, __NR_exit_group, __NR_set_tid_address, __NR_set_robust_list,
	__NR_get_robust_list, __NR_rseq, __NR_futex, __NR_sched_yield, __NR_sched_getaffinity,
	__NR_arch_prctl, __NR_prctl, __NR_seccomp, __NR_prlimit64, __NR_getrlimit,
	/* identity and randomness */
	__NR_getpid, __NR_getppid, __NR_gettid, __NR_getuid, __NR_geteuid, __NR_getgid,
	__NR_getegid, __NR_getgroups, __NR_uname, __NR_sysinfo, __NR_getrandom,
};

/* mailproxy-accept: its accept loop (accept4 and a signalfd; the rest is in
 * handler_calls), and, because a filter is inherited across fork and execve
 * and stacked filters all apply, everything a session it starts does, up to
 * and under the handler's own filter: handler_calls and the handler's
 * start-up, whose Landlock ruleset comes before its filter. A launcher that
 * forked each session from a process of its own before the filter could
 * keep a narrower list, for a second process and a descriptor passed per
 * connection; the launcher parses no client byte, so the list is this one.
 * Checked (launcher_checks): socket, clone and clone3 as in the handler,
 * SIGABRT the one signal; open, openat and execve are not (the handler creates its log
 * files and executes mailproxy-full before its filter, at addresses of its
 * own). What it refuses, to the launcher and its sessions alike: ptrace,
 * mount and namespaces, set*id, bind and listen, bpf, keyctl, io_uring, and
 * every call that removes, renames, links or changes the mode of a file. */
static const int launcher_calls[] = {
	__NR_accept4, __NR_accept, __NR_signalfd4,
	__NR_landlock_create_ruleset, __NR_landlock_add_rule, __NR_landlock_restrict_self,
	__NR_open, __NR_openat, __NR_execve,
};

/* clone(2) flags of a fork (glibc: CHILD_SETTID|CHILD_CLEARTID|SIGCHLD), a
 * thread (glibc and musl pthread_create) and posix_spawn (VM|VFORK): no
 * CLONE_NEW* namespace, no CLONE_PTRACE, CLONE_PARENT, CLONE_PIDFD, CLONE_IO.
 * The low byte is the exit signal. */
#define SB_CLONE_OK (0xffu | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
	CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | \
	CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_VFORK)

/* open(2) flags refused once the logs are open: nothing is created or
 * truncated, and nothing opened for reading and writing. Writing alone
 * stays: the programs the handler executes reopen its log files by path. */
#define SB_OPEN_NO ((uint32_t)(O_CREAT | O_TRUNC | O_RDWR | (O_TMPFILE & ~O_DIRECTORY)))

/* open(2) flags refused where files are only read */
#define SB_READ_ONLY (SB_OPEN_NO | O_WRONLY | O_APPEND)

/* The programs the handler may execute after its filter is on, kept in a
 * page that is read-only from then on: execve(2) must name one of these
 * strings by its address. The filter cannot read the string; an exploit
 * that calls execve with a path of its own is refused, one that can also
 * rewrite this page (/proc/self/mem is a file it may open for writing) is
 * not stopped here but by the units' file-system and exec restrictions. */
#define SB_MAX_EXEC 2
static char exec_store[SB_MAX_EXEC * PATH_MAX] __attribute__((aligned(SB_MAX_EXEC * PATH_MAX)));
static const char *exec_paths[SB_MAX_EXEC];
static unsigned nexec;
static int exec_sealed;

#define NCALLS(a) (sizeof (a) / sizeof (a)[0])
#define SB_MAX_CHECKS 12
#define SB_MAX_MORE NCALLS(launcher_calls)	/* the most calls added to a list */
#define SB_MAX_INSNS (3 * (NCALLS(handler_calls) + SB_MAX_MORE) + 8 * SB_MAX_CHECKS + 32)

struct prog {
	struct sock_filter f[SB_MAX_INSNS];
	unsigned short n;
};

static void
emit(struct prog *p, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	struct sock_filter ins = { code, jt, jf, k };

	if (p->n < SB_MAX_INSNS)
		p->f[p->n] = ins;
	p->n++;		/* an overflow shows as n > SB_MAX_INSNS, checked by build() */
}

/* the low and the high 32 bits of argument I */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

/* A call with an argument check. The tree below jumps to its block, so
 * that every other call number meets none of them: loading a filter runs
 * it for each number (see the top), and a call whose path never reads an
 * argument keeps its verdict in the kernel's cache. Every path of a block
 * ends in a RET. */
enum check_kind {
	ARG_IN,		/* argument ARG (low half) is one of VALS */
	ARG_CLEAR,	/* argument ARG has no bit of K (flags are ints: the low half) */
	ANSWER,		/* no check: return K */
	SELF_ABORT,	/* argument ARG is K (this process) and argument ARG2 is SIGABRT */
	EXEC		/* argument 0 is the address of one of exec_paths[] */
};

struct check {
	int nr;
	enum check_kind kind;
	unsigned arg, arg2;
	uint32_t k;
	const uint32_t *vals;
	unsigned nvals;
	uint32_t fail;	/* the verdict when the check fails */
};

static void
check_body(struct prog *p, const struct check *c)
{
	const uint32_t allow = SECCOMP_RET_ALLOW;

	switch (c->kind) {
	case ARG_IN:
		emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(c->arg), 0, 0);
		for (unsigned i = 0; i < c->nvals; i++)
			emit(p, BPF_JMP | BPF_JEQ | BPF_K, c->vals[i], (uint8_t)(c->nvals - i), 0);
		break;
	case ARG_CLEAR:
		emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(c->arg), 0, 0);
		emit(p, BPF_JMP | BPF_JSET | BPF_K, c->k, 0, 1);
		break;
	case ANSWER:
		emit(p, BPF_RET | BPF_K, c->k, 0, 0);
		return;
	case SELF_ABORT:
		emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(c->arg), 0, 0);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, c->k, 0, 2);
		emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(c->arg2), 0, 0);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, SIGABRT, 1, 0);
		break;
	case EXEC:
		/* the whole pointer: exec_store's alignment keeps every path
		 * within one 4 GiB half */
		if (nexec == 0)
			break;
		emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_HI(0), 0, 0);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)((uint64_t)(uintptr_t)exec_store >> 32), 0,
		    (uint8_t)(1 + nexec));
		emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);
		for (unsigned i = 0; i < nexec; i++)
			emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(uintptr_t)exec_paths[i],
			    (uint8_t)(nexec - i), 0);
		break;
	}
	emit(p, BPF_RET | BPF_K, c->fail, 0, 0);
	emit(p, BPF_RET | BPF_K, allow, 0, 0);
}

#define LEAF 2	/* ranges tested one by one at the bottom of the tree */

/* Allowed call numbers come in runs (read, write, open, close, stat...):
 * the tree searches runs, about half as many as calls, which halves the
 * program the kernel converts and compiles for every process. A checked
 * call is a run of its own, whose leaf jumps to its block. */
struct run {
	uint32_t lo, hi;
	int check;	/* index of its check, or -1 */
};

struct fixup {
	unsigned short at;	/* a JA to the block of check CHECK */
	int check;
};

struct tree {
	const struct run *runs;
	struct fixup fix[SB_MAX_CHECKS];
	unsigned nfix;
	uint32_t deny;
};

static size_t
run_size(const struct run *r)
{
	return r->lo == r->hi ? 2 : 3;
}

/* Instructions of the subtree over runs[lo, hi). */
static size_t
tree_size(const struct run *runs, size_t lo, size_t hi)
{
	size_t mid = lo + (hi - lo) / 2, n = 1;

	if (hi - lo > LEAF)
		return 1 + tree_size(runs, lo, mid) + tree_size(runs, mid, hi);
	for (size_t i = lo; i < hi; i++)
		n += run_size(&runs[i]);
	return n;
}

/* A holds the call number: RET ALLOW inside one of runs[lo, hi), a jump to
 * the block of a checked call, DENY otherwise. */
static void
tree(struct prog *p, struct tree *t, size_t lo, size_t hi)
{
	const struct run *runs = t->runs;
	size_t mid = lo + (hi - lo) / 2, left;

	if (hi - lo <= LEAF) {
		for (size_t i = lo; i < hi; i++) {
			if (runs[i].lo == runs[i].hi) {
				emit(p, BPF_JMP | BPF_JEQ | BPF_K, runs[i].lo, 0, 1);
			} else {
				/* below the run: skip to the next; above it: the same */
				emit(p, BPF_JMP | BPF_JGE | BPF_K, runs[i].lo, 0, 2);
				emit(p, BPF_JMP | BPF_JGT | BPF_K, runs[i].hi, 1, 0);
			}
			if (runs[i].check >= 0 && t->nfix < SB_MAX_CHECKS)
				t->fix[t->nfix++] = (struct fixup){ p->n, runs[i].check };
			if (runs[i].check >= 0)
				emit(p, BPF_JMP | BPF_JA, 0, 0, 0);	/* offset: build_tree() */
			else
				emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
		}
		emit(p, BPF_RET | BPF_K, t->deny, 0, 0);
		return;
	}
	left = tree_size(runs, lo, mid);
	if (left > 255)
		p->n = SB_MAX_INSNS + 1;	/* does not fit: build() says E2BIG */
	emit(p, BPF_JMP | BPF_JGE | BPF_K, runs[mid].lo, (uint8_t)left, 0);
	tree(p, t, lo, mid);
	tree(p, t, mid, hi);
}

/* The calls in CALLS and MORE and those of CHECKS (those this architecture
 * has), sorted, unique and joined into runs, as a search, then the blocks
 * of the checks. */
static void
build_tree(struct prog *p, const int *calls, size_t n, const int *more, size_t nmore,
    const struct check *checks, size_t nchecks, uint32_t deny)
{
	struct run sorted[NCALLS(handler_calls) + SB_MAX_MORE + SB_MAX_CHECKS];
	struct run runs[NCALLS(sorted)];
	struct tree t = { .runs = runs, .deny = deny };
	size_t k = 0, nruns = 0;

	for (size_t i = 0; i < n + nmore + nchecks && k < NCALLS(sorted); i++) {
		int nr = i < n ? calls[i] : i < n + nmore ? more[i - n] : checks[i - n - nmore].nr;
		int check = i < n + nmore ? -1 : (int)(i - n - nmore);
		size_t j;

		if (nr < 0)
			continue;
		for (j = k; j > 0 && sorted[j - 1].lo > (uint32_t)nr; j--)
			sorted[j] = sorted[j - 1];
		if (j > 0 && sorted[j - 1].lo == (uint32_t)nr) {
			/* a duplicate: undo the shift (a checked call must not be listed) */
			if (check >= 0 || sorted[j - 1].check >= 0)
				p->n = SB_MAX_INSNS + 1;
			for (; j < k; j++)
				sorted[j] = sorted[j + 1];
			continue;
		}
		sorted[j] = (struct run){ (uint32_t)nr, (uint32_t)nr, check };
		k++;
	}
	for (size_t i = 0; i < k; i++) {
		struct run *last = nruns > 0 ? &runs[nruns - 1] : NULL;

		if (last != NULL && last->check < 0 && sorted[i].check < 0 && last->hi + 1 == sorted[i].lo)
			last->hi = sorted[i].lo;
		else
			runs[nruns++] = sorted[i];
	}
	tree(p, &t, 0, nruns);
	for (size_t c = 0; c < nchecks; c++) {
		unsigned short at = p->n;

		for (unsigned i = 0; i < t.nfix; i++)
			if (t.fix[i].check == (int)c && t.fix[i].at < SB_MAX_INSNS)
				p->f[t.fix[i].at].k = (uint32_t)(at - t.fix[i].at - 1);
		if (checks[c].nr >= 0)
			check_body(p, &checks[c]);
	}
}

#ifdef SB_ARCH
/* What the handler and the launcher check alike: the sockets and the
 * processes they may make. */
static size_t
process_checks(struct check *c, uint32_t deny)
{
	static const uint32_t families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };
	size_t n = 0;

	/* no raw or packet sockets; netlink is glibc getaddrinfo()'s AI_ADDRCONFIG */
	c[n++] = (struct check){ .nr = __NR_socket, .kind = ARG_IN, .arg = 0, .vals = families,
	    .nvals = NCALLS(families), .fail = SECCOMP_RET_ERRNO | (EAFNOSUPPORT & SECCOMP_RET_DATA) };
	c[n++] = (struct check){ .nr = __NR_clone, .kind = ARG_CLEAR, .arg = 0,
	    .k = ~(uint32_t)SB_CLONE_OK, .fail = deny };
	/* clone3 passes its flags in memory, which a filter cannot read: glibc
	 * falls back to clone, above, on ENOSYS */
	c[n++] = (struct check){ .nr = __NR_clone3, .kind = ANSWER,
	    .k = SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA) };
	return n;
}

/* The handler's checked calls. */
static size_t
handler_checks(struct check *c, uint32_t deny)
{
	uint32_t self = (uint32_t)getpid();
	size_t n = process_checks(c, deny);

	c[n++] = (struct check){ .nr = __NR_open, .kind = ARG_CLEAR, .arg = 1, .k = SB_OPEN_NO,
	    .fail = deny };
	c[n++] = (struct check){ .nr = __NR_openat, .kind = ARG_CLEAR, .arg = 2, .k = SB_OPEN_NO,
	    .fail = deny };
	c[n++] = (struct check){ .nr = __NR_execve, .kind = EXEC, .fail = deny };
	c[n++] = (struct check){ .nr = __NR_kill, .kind = SELF_ABORT, .arg = 0, .arg2 = 1,
	    .k = self, .fail = deny };
	c[n++] = (struct check){ .nr = __NR_tgkill, .kind = SELF_ABORT, .arg = 0, .arg2 = 2,
	    .k = self, .fail = deny };
	c[n++] = (struct check){ .nr = __NR_tkill, .kind = SELF_ABORT, .arg = 0, .arg2 = 1,
	    .k = self, .fail = deny };
	return n;
}

/* The launcher's checked calls: the handler's, but for the paths the
 * handler opens and executes before its own filter, and the signals: the
 * launcher sends none, a session's abort(3) sends SIGABRT to its own thread
 * (tgkill in glibc, tkill in musl), whose id the launcher cannot know. */
static size_t
launcher_checks(struct check *c, uint32_t deny)
{
	static const uint32_t abrt = SIGABRT;
	size_t n = process_checks(c, deny);

	c[n++] = (struct check){ .nr = __NR_tgkill, .kind = ARG_IN, .arg = 2, .vals = &abrt,
	    .nvals = 1, .fail = deny };
	c[n++] = (struct check){ .nr = __NR_tkill, .kind = ARG_IN, .arg = 1, .vals = &abrt,
	    .nvals = 1, .fail = deny };
	return n;
}

/* The relay's and a TLS session's checked calls. */
static size_t
confined_checks(struct check *c, enum sandbox_phase phase, uint32_t deny)
{
	static const uint32_t rcvlowat = SO_RCVLOWAT;
	static const uint32_t stack_prctl[] = { PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP };
	static const uint32_t stack_seccomp = SECCOMP_SET_MODE_FILTER;
	size_t n = 0;

	/* memory, but never executable */
	c[n++] = (struct check){ .nr = __NR_mmap, .kind = ARG_CLEAR, .arg = 2, .k = PROT_EXEC,
	    .fail = deny };
	c[n++] = (struct check){ .nr = __NR_mprotect, .kind = ARG_CLEAR, .arg = 2, .k = PROT_EXEC,
	    .fail = deny };
	if (phase == SANDBOX_RELAY)
		return n;
	/* tlsd_io.c's wait for a whole TLS record */
	c[n++] = (struct check){ .nr = __NR_setsockopt, .kind = ARG_IN, .arg = 2, .vals = &rcvlowat,
	    .nvals = 1, .fail = deny };
	if (phase == SANDBOX_TLS)
		return n;
	/* files read for reading only, and the session's filter stacked */
	c[n++] = (struct check){ .nr = __NR_open, .kind = ARG_CLEAR, .arg = 1, .k = SB_READ_ONLY,
	    .fail = deny };
	c[n++] = (struct check){ .nr = __NR_openat, .kind = ARG_CLEAR, .arg = 2, .k = SB_READ_ONLY,
	    .fail = deny };
	c[n++] = (struct check){ .nr = __NR_prctl, .kind = ARG_IN, .arg = 0, .vals = stack_prctl,
	    .nvals = NCALLS(stack_prctl), .fail = deny };
	c[n++] = (struct check){ .nr = __NR_seccomp, .kind = ARG_IN, .arg = 0, .vals = &stack_seccomp,
	    .nvals = 1, .fail = deny };
	return n;
}

static int
build(struct prog *p, enum sandbox_phase phase)
{
	/* the launcher's is the handler's too: a call both refuse is EPERM */
	uint32_t deny = phase == SANDBOX_HANDLER || phase == SANDBOX_LAUNCHER ?
	    SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA) : SECCOMP_RET_KILL_PROCESS;
	struct check checks[SB_MAX_CHECKS];
	size_t nchecks;

	p->n = 0;
	emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, SB_ARCH, 1, 0);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
#ifdef __x86_64__
	/* the x32 ABI shares the architecture value: its numbers have bit 30 */
	emit(p, BPF_JMP | BPF_JSET | BPF_K, 0x40000000u, 0, 1);
	emit(p, BPF_RET | BPF_K, deny, 0, 0);
#endif
	switch (phase) {
	case SANDBOX_HANDLER:
		nchecks = handler_checks(checks, deny);
		build_tree(p, handler_calls, NCALLS(handler_calls), NULL, 0, checks, nchecks, deny);
		break;
	case SANDBOX_LAUNCHER:
		nchecks = launcher_checks(checks, deny);
		build_tree(p, handler_calls, NCALLS(handler_calls), launcher_calls,
		    NCALLS(launcher_calls), checks, nchecks, deny);
		break;
	case SANDBOX_RELAY:
		nchecks = confined_checks(checks, phase, deny);
		build_tree(p, relay_calls, NCALLS(relay_calls), NULL, 0, checks, nchecks, deny);
		break;
	case SANDBOX_TLS:
		nchecks = confined_checks(checks, phase, deny);
		build_tree(p, tls_calls, NCALLS(tls_calls), NULL, 0, checks, nchecks, deny);
		break;
	case SANDBOX_TLS_HANDSHAKE:
		nchecks = confined_checks(checks, phase, deny);
		build_tree(p, tls_calls, NCALLS(tls_calls), tls_handshake_calls,
		    NCALLS(tls_handshake_calls), checks, nchecks, deny);
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (p->n > SB_MAX_INSNS) {
		errno = E2BIG;
		return -1;
	}
	return 0;
}
#endif

int
sandbox_exec_allow(const char *path)
{
	size_t used = 0, len = strlen(path) + 1;

	for (unsigned i = 0; i < nexec; i++)
		used += strlen(exec_paths[i]) + 1;
	if (exec_sealed || nexec == SB_MAX_EXEC || len > sizeof exec_store - used) {
		errno = exec_sealed ? EPERM : ENOSPC;
		return -1;
	}
	memcpy(exec_store + used, path, len);
	exec_paths[nexec++] = exec_store + used;
	return 0;
}

const char *
sandbox_exec_path(const char *path)
{
	for (unsigned i = 0; i < nexec; i++)
		if (strcmp(exec_paths[i], path) == 0)
			return exec_paths[i];
	return path;
}

int
sandbox_install(enum sandbox_phase phase)
{
#ifdef SB_ARCH
	static struct prog p;
	struct sock_fprog fp;

	if (build(&p, phase) == -1)
		return -1;
	fp.len = p.n;
	fp.filter = p.f;
	/* the addresses the filter allows execve for must keep their strings */
	if (phase == SANDBOX_HANDLER && nexec > 0 && !exec_sealed) {
		if (mprotect(exec_store, sizeof exec_store, PROT_READ) == -1)
			return -1;
		exec_sealed = 1;
	}
	/* filters need no_new_privs without CAP_SYS_ADMIN; nothing here gains privileges */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	/* prctl: a systemd unit's @system-service does not allow seccomp(2) */
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) == -1 &&
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) == -1)
		return -1;
	return 1;
#else
	(void)phase;
	return 0;
#endif
}

int
sandbox_program(enum sandbox_phase phase, const void **insns, unsigned *n,
    const int **calls, unsigned *ncalls)
{
#ifdef SB_ARCH
	static struct prog p;

	if (build(&p, phase) == -1)
		return -1;
	*insns = p.f;
	*n = p.n;
	switch (phase) {
	case SANDBOX_RELAY:
		*calls = relay_calls;
		*ncalls = NCALLS(relay_calls);
		break;
	case SANDBOX_TLS_HANDSHAKE:
	case SANDBOX_TLS:
		*calls = tls_calls;
		*ncalls = NCALLS(tls_calls);
		break;
	default:
		*calls = handler_calls;
		*ncalls = NCALLS(handler_calls);
	}
	return 0;
#else
	(void)phase, (void)insns, (void)n, (void)calls, (void)ncalls;
	errno = ENOSYS;
	return -1;
#endif
}

/* PR_SET_MDWE (Linux 6.3): no mapping may be writable and executable, or become
 * executable later, in this process and in whatever it executes (the flag is kept
 * across fork and execve): what MemoryDenyWriteExecute= gives a unit, without a
 * filter compiled per start.  An older kernel answers EINVAL and the process goes
 * on as before: the units still set MemoryDenyWriteExecute=.  Only in the first
 * phase, before any filter: the relay and mailproxy-tls inherit the flag, and the
 * filters they run under refuse this prctl(2) with the process's death. */
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

static void
deny_write_execute(void)
{
	(void)prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0);
}

int
sandbox_enter(enum sandbox_phase phase)
{
	if (phase == SANDBOX_HANDLER)
		deny_write_execute();
#ifdef SB_OFF
	(void)phase;
	return 0;
#else
	if (phase != SANDBOX_HANDLER)
		tzset();	/* a log line's local time must not need /etc/localtime */
	return sandbox_install(phase);
#endif
}

const char *
sandbox_mode(void)
{
#if defined(SB_OFF)
	return "off (sanitizer build)";
#elif !defined(SB_ARCH)
	return "off (no filter for this architecture)";
#else
	return "seccomp";
#endif
}
