/* ISC license. */
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
 * Shape of a program: check the architecture (a foreign ABI is killed), the
 * few calls with an argument check, then a balanced binary search over the
 * sorted numbers of the allowed calls, whose leaves end in the phase's
 * default action. A search, not a list: when a filter is loaded the kernel
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
#define SB_MAX_INSNS (3 * NCALLS(handler_calls) + 96)

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

#define LEAF 2	/* ranges tested one by one at the bottom of the tree */

/* Allowed call numbers come in runs (read, write, open, close, stat...):
 * the tree searches runs, 44 for the handler's 115 calls, which halves
 * the program the kernel converts and compiles for every process. */
struct run {
	uint32_t lo, hi;
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

/* A holds the call number: RET ALLOW inside one of runs[lo, hi), DENY otherwise. */
static void
tree(struct prog *p, const struct run *runs, size_t lo, size_t hi, uint32_t deny)
{
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
			emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
		}
		emit(p, BPF_RET | BPF_K, deny, 0, 0);
		return;
	}
	left = tree_size(runs, lo, mid);
	if (left > 255)
		p->n = SB_MAX_INSNS + 1;	/* does not fit: build() says E2BIG */
	emit(p, BPF_JMP | BPF_JGE | BPF_K, runs[mid].lo, (uint8_t)left, 0);
	tree(p, runs, lo, mid, deny);
	tree(p, runs, mid, hi, deny);
}

/* The calls in CALLS (those this architecture has), sorted, unique and
 * joined into runs, as a search. */
static void
allow_tree(struct prog *p, const int *calls, size_t n, const int *more, size_t nmore,
    uint32_t deny)
{
	uint32_t sorted[NCALLS(handler_calls)];
	size_t k = 0;

	for (size_t i = 0; i < n + nmore && k < NCALLS(sorted); i++) {
		int nr = i < n ? calls[i] : more[i - n];
		size_t j;

		if (nr < 0)
			continue;
		for (j = k; j > 0 && sorted[j - 1] > (uint32_t)nr; j--)
			sorted[j] = sorted[j - 1];
		if (j > 0 && sorted[j - 1] == (uint32_t)nr) {
			/* a duplicate: undo the shift */
			for (; j < k; j++)
				sorted[j] = sorted[j + 1];
			continue;
		}
		sorted[j] = (uint32_t)nr;
		k++;
	}
	struct run runs[NCALLS(handler_calls)];
	size_t nruns = 0;

	for (size_t i = 0; i < k; i++) {
		if (nruns > 0 && runs[nruns - 1].hi + 1 == sorted[i])
			runs[nruns - 1].hi = sorted[i];
		else
			runs[nruns++] = (struct run){ sorted[i], sorted[i] };
	}
	tree(p, runs, 0, nruns, deny);
}

/* An argument check of call NR: the block is skipped, with the call number
 * still in A, for any other call; every path inside it ends in a RET. */
static size_t
block_begin(struct prog *p, int nr)
{
	size_t at = p->n;

	emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 0);
	return at;
}

static void
block_end(struct prog *p, size_t at)
{
	size_t len = p->n - at - 1;

	if (len > 255)
		p->n = SB_MAX_INSNS + 1;
	else if (at < SB_MAX_INSNS)
		p->f[at].jf = (uint8_t)len;
}

/* NR answers RET with no argument check (clone3: ENOSYS) */
static void
answer(struct prog *p, int nr, uint32_t ret)
{
	size_t at;

	if (nr < 0)
		return;
	at = block_begin(p, nr);
	emit(p, BPF_RET | BPF_K, ret, 0, 0);
	block_end(p, at);
}

/* NR with argument ARG (low half) in VALS[]: allowed; otherwise DENY. */
static void
allow_arg_in(struct prog *p, int nr, unsigned arg, const uint32_t *vals, unsigned nvals,
    uint32_t deny)
{
	size_t at;

	if (nr < 0)
		return;
	at = block_begin(p, nr);
	emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(arg), 0, 0);
	for (unsigned i = 0; i < nvals; i++)
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, vals[i], (uint8_t)(nvals - i), 0);
	emit(p, BPF_RET | BPF_K, deny, 0, 0);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	block_end(p, at);
}

/* NR allowed unless argument ARG (low half: flags are ints) has a bit of MASK set */
static void
allow_arg_clear(struct prog *p, int nr, unsigned arg, uint32_t mask, uint32_t deny)
{
	size_t at;

	if (nr < 0)
		return;
	at = block_begin(p, nr);
	emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(arg), 0, 0);
	emit(p, BPF_JMP | BPF_JSET | BPF_K, mask, 0, 1);
	emit(p, BPF_RET | BPF_K, deny, 0, 0);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	block_end(p, at);
}

/* A signal call allowed only as abort(3) sends it: SIGABRT to this process
 * (argument PIDARG: the process or, for tkill, the main thread, whose id is
 * the process's; the kernel reads it as an int). */
static void
allow_self_abort(struct prog *p, int nr, unsigned pidarg, unsigned sigarg, uint32_t self,
    uint32_t deny)
{
	size_t at;

	if (nr < 0)
		return;
	at = block_begin(p, nr);
	emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(pidarg), 0, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, self, 0, 2);
	emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(sigarg), 0, 0);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, SIGABRT, 1, 0);
	emit(p, BPF_RET | BPF_K, deny, 0, 0);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	block_end(p, at);
}

/* execve(2) of one of exec_paths[], named by its address (the whole
 * pointer: both halves). All of them lie in exec_store, whose alignment
 * keeps it within one 4 GiB half. */
static void
allow_exec(struct prog *p, uint32_t deny)
{
	size_t at = block_begin(p, __NR_execve);

	if (nexec > 0) {
		uint64_t a = (uintptr_t)exec_store;

		emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_HI(0), 0, 0);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(a >> 32), 0, (uint8_t)(1 + nexec));
		emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(0), 0, 0);
		for (unsigned i = 0; i < nexec; i++)
			emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(uintptr_t)exec_paths[i],
			    (uint8_t)(nexec - i), 0);
	}
	emit(p, BPF_RET | BPF_K, deny, 0, 0);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	block_end(p, at);
}

#ifdef SB_ARCH
static void
handler_checks(struct prog *p, uint32_t deny)
{
	static const uint32_t families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };
	uint32_t self = (uint32_t)getpid();

	/* no raw or packet sockets; netlink is glibc getaddrinfo()'s AI_ADDRCONFIG */
	allow_arg_in(p, __NR_socket, 0, families, NCALLS(families),
	    SECCOMP_RET_ERRNO | (EAFNOSUPPORT & SECCOMP_RET_DATA));
	allow_arg_clear(p, __NR_clone, 0, ~(uint32_t)SB_CLONE_OK, deny);
	/* clone3 passes its flags in memory, which a filter cannot read: glibc
	 * falls back to clone, above, on ENOSYS */
	answer(p, __NR_clone3, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
	allow_arg_clear(p, __NR_open, 1, SB_OPEN_NO, deny);
	allow_arg_clear(p, __NR_openat, 2, SB_OPEN_NO, deny);
	allow_exec(p, deny);
	allow_self_abort(p, __NR_kill, 0, 1, self, deny);
	allow_self_abort(p, __NR_tgkill, 0, 2, self, deny);
	allow_self_abort(p, __NR_tkill, 0, 1, self, deny);
}

static int
build(struct prog *p, enum sandbox_phase phase)
{
	static const uint32_t rcvlowat = SO_RCVLOWAT;
	static const uint32_t stack_prctl[] = { PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP };
	static const uint32_t stack_seccomp = SECCOMP_SET_MODE_FILTER;
	uint32_t deny = phase == SANDBOX_HANDLER ? SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA) :
	    SECCOMP_RET_KILL_PROCESS;

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
		handler_checks(p, deny);
		allow_tree(p, handler_calls, NCALLS(handler_calls), NULL, 0, deny);
		break;
	case SANDBOX_RELAY:
	case SANDBOX_TLS_HANDSHAKE:
	case SANDBOX_TLS:
		/* memory, but never executable */
		allow_arg_clear(p, __NR_mmap, 2, PROT_EXEC, deny);
		allow_arg_clear(p, __NR_mprotect, 2, PROT_EXEC, deny);
		if (phase == SANDBOX_RELAY) {
			allow_tree(p, relay_calls, NCALLS(relay_calls), NULL, 0, deny);
			break;
		}
		/* tlsd_io.c's wait for a whole TLS record */
		allow_arg_in(p, __NR_setsockopt, 2, &rcvlowat, 1, deny);
		if (phase == SANDBOX_TLS) {
			allow_tree(p, tls_calls, NCALLS(tls_calls), NULL, 0, deny);
			break;
		}
		/* and the narrower filter stacked after the handshake */
		allow_arg_in(p, __NR_prctl, 0, stack_prctl, NCALLS(stack_prctl), deny);
		allow_arg_in(p, __NR_seccomp, 0, &stack_seccomp, 1, deny);
		allow_arg_clear(p, __NR_open, 1, SB_READ_ONLY, deny);
		allow_arg_clear(p, __NR_openat, 2, SB_READ_ONLY, deny);
		allow_tree(p, tls_calls, NCALLS(tls_calls), tls_handshake_calls,
		    NCALLS(tls_handshake_calls), deny);
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

int
sandbox_enter(enum sandbox_phase phase)
{
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
