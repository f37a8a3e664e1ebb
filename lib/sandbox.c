/* ISC license. */
/* sandbox.c: the seccomp-BPF filters of the handler and the relay.
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
 * Not in sanitizer builds: ASan reports and LeakSanitizer's exit check need
 * ptrace, clone, /proc/self/maps and more, in the relay too; the SAN=1 build
 * runs without a filter (sandbox_mode() says so) and the unit test still
 * checks the filter in a child that leaves with _exit. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
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

/* The handler, the processes it starts (mailproxy-tls, the relay: from
 * execve up to their own filter) and the libraries they load (libcurl with
 * its resolver thread, libtls/OpenSSL, libsystemd). Not here, among
 * others: ptrace, process_vm_*, mount, chroot, setns/unshare, set*id, bpf,
 * perf_event_open, io_uring, keyctl, module and kexec calls, listen/accept,
 * and every call that changes the file system. */
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
	/* sockets (socket() itself has an argument check below) */
	__NR_connect, __NR_bind, __NR_socketpair, __NR_shutdown, __NR_getsockname,
	__NR_getpeername, __NR_getsockopt, __NR_setsockopt,
	/* reading files: configuration, certificates, resolv.conf, ld.so */
	__NR_openat, __NR_open, __NR_newfstatat, __NR_fstat, __NR_stat, __NR_lstat, __NR_statx,
	__NR_access, __NR_faccessat, __NR_faccessat2, __NR_readlink, __NR_readlinkat,
	__NR_getdents64, __NR_getdents, __NR_getcwd, __NR_umask,
	/* memory */
	__NR_brk, __NR_mmap, __NR_munmap, __NR_mprotect, __NR_mremap, __NR_madvise,
	/* time, deadlines, Auth-Wait */
	__NR_clock_gettime, __NR_clock_getres, __NR_gettimeofday, __NR_time,
	__NR_nanosleep, __NR_clock_nanosleep, __NR_alarm, __NR_setitimer, __NR_getitimer,
	__NR_timer_create, __NR_timer_settime, __NR_timer_delete,
	/* signals */
	__NR_rt_sigaction, __NR_rt_sigprocmask, __NR_rt_sigreturn, __NR_rt_sigtimedwait,
	__NR_sigaltstack, __NR_restart_syscall, __NR_kill, __NR_tgkill,
	/* processes: mailproxy-tls, the relay, the resolver thread */
	__NR_fork, __NR_vfork, __NR_clone, __NR_clone3, __NR_execve, __NR_wait4, __NR_waitid,
	__NR_exit, __NR_exit_group, __NR_set_tid_address, __NR_set_robust_list,
	__NR_get_robust_list, __NR_rseq, __NR_futex, __NR_sched_yield, __NR_sched_getaffinity,
	__NR_arch_prctl, __NR_prctl, __NR_seccomp, __NR_prlimit64, __NR_getrlimit,
	/* identity and randomness */
	__NR_getpid, __NR_getppid, __NR_gettid, __NR_getuid, __NR_geteuid, __NR_getgid,
	__NR_getegid, __NR_getgroups, __NR_uname, __NR_sysinfo, __NR_getrandom,
};

#define SB_MAX_INSNS (3 * (sizeof handler_calls / sizeof handler_calls[0]) + 32)

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

/* the low 32 bits of argument I */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#else
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
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
allow_tree(struct prog *p, const int *calls, size_t n, uint32_t deny)
{
	uint32_t sorted[sizeof handler_calls / sizeof handler_calls[0]];
	size_t k = 0;

	for (size_t i = 0; i < n && k < sizeof sorted / sizeof sorted[0]; i++) {
		size_t j;

		if (calls[i] < 0)
			continue;
		for (j = k; j > 0 && sorted[j - 1] > (uint32_t)calls[i]; j--)
			sorted[j] = sorted[j - 1];
		if (j > 0 && sorted[j - 1] == (uint32_t)calls[i]) {
			/* a duplicate: undo the shift */
			for (; j < k; j++)
				sorted[j] = sorted[j + 1];
			continue;
		}
		sorted[j] = (uint32_t)calls[i];
		k++;
	}
	struct run runs[sizeof handler_calls / sizeof handler_calls[0]];
	size_t nruns = 0;

	for (size_t i = 0; i < k; i++) {
		if (nruns > 0 && runs[nruns - 1].hi + 1 == sorted[i])
			runs[nruns - 1].hi = sorted[i];
		else
			runs[nruns++] = (struct run){ sorted[i], sorted[i] };
	}
	tree(p, runs, 0, nruns, deny);
}

/* NR with argument ARG (low half) in VALS[]: allowed; otherwise DENY. The
 * block is skipped, with the call number still in A, for any other call. */
static void
allow_arg_in(struct prog *p, int nr, unsigned arg, const uint32_t *vals, unsigned nvals,
    uint32_t deny)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, (uint8_t)(2 * nvals + 2));
	emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(arg), 0, 0);
	for (unsigned i = 0; i < nvals; i++) {
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, vals[i], 0, 1);
		emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	}
	emit(p, BPF_RET | BPF_K, deny, 0, 0);
}

/* NR allowed unless argument ARG has a bit of MASK set */
static void
allow_arg_clear(struct prog *p, int nr, unsigned arg, uint32_t mask, uint32_t deny)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 4);
	emit(p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(arg), 0, 0);
	emit(p, BPF_JMP | BPF_JSET | BPF_K, mask, 0, 1);
	emit(p, BPF_RET | BPF_K, deny, 0, 0);
	emit(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
}

#ifdef SB_ARCH
static int
build(struct prog *p, enum sandbox_phase phase)
{
	static const uint32_t families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };
	uint32_t deny = phase == SANDBOX_RELAY ? SECCOMP_RET_KILL_PROCESS :
	    SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA);

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
	if (phase == SANDBOX_RELAY) {
		/* memory, but never executable */
		allow_arg_clear(p, __NR_mmap, 2, PROT_EXEC, deny);
		allow_arg_clear(p, __NR_mprotect, 2, PROT_EXEC, deny);
		allow_tree(p, relay_calls, sizeof relay_calls / sizeof relay_calls[0], deny);
	} else {
		/* no raw or packet sockets; netlink is getaddrinfo()'s AI_ADDRCONFIG */
		allow_arg_in(p, __NR_socket, 0, families, sizeof families / sizeof families[0],
		    SECCOMP_RET_ERRNO | (EAFNOSUPPORT & SECCOMP_RET_DATA));
		allow_tree(p, handler_calls, sizeof handler_calls / sizeof handler_calls[0], deny);
	}
	if (p->n > SB_MAX_INSNS) {
		errno = E2BIG;
		return -1;
	}
	return 0;
}
#endif

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
	/* filters need no_new_privs without CAP_SYS_ADMIN; nothing here gains privileges */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
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
	*calls = phase == SANDBOX_RELAY ? relay_calls : handler_calls;
	*ncalls = phase == SANDBOX_RELAY ? sizeof relay_calls / sizeof relay_calls[0] :
	    sizeof handler_calls / sizeof handler_calls[0];
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
	if (phase == SANDBOX_RELAY)
		tzset();	/* the closing log line must not need /etc/localtime */
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
