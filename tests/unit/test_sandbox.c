/* SPDX-License-Identifier: ISC */
/* test_sandbox.c: the seccomp filters, each tried in a forked child that
 * reports through its exit status (and leaves by exit_group(2) itself, so a
 * sanitizer build's exit-time leak check never runs under the filter). */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/un.h>
#include <time.h>

#include "relay.h"
#include "sandbox.h"
#include "unit.h"

/* Runs FN in a child; returns the wait status. */
static int
in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == -1)
		return -1;
	if (pid == 0)
		syscall(SYS_exit_group, fn());	/* not _exit: ASan's hook would run under the filter */
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return status;
}

#define EXITED(st, code) (WIFEXITED(st) && WEXITSTATUS(st) == (code))
#define KILLED(st) (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)

static int
handler_refuses(void)
{
	char dir[64];
	int fd;

	if (sandbox_install(SANDBOX_HANDLER) != 1)
		return 10;
	/* allowed: what a session does */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd == -1)
		return 11;
	close(fd);
	if (getpid() <= 0)
		return 12;
	/* refused with EPERM, the process lives on to log it */
	snprintf(dir, sizeof dir, "/tmp/mp-sandbox-%d", (int)getpid());
	if (mkdir(dir, 0700) != -1 || errno != EPERM)
		return 13;
	if (syscall(SYS_ptrace, 0, 0, 0, 0) != -1 || errno != EPERM)
		return 14;
	if (unshare(0) != -1 || errno != EPERM)
		return 15;
	/* packet sockets: the family check */
	if (socket(AF_PACKET, SOCK_RAW, 0) != -1 || errno != EAFNOSUPPORT)
		return 16;
	if (listen(0, 1) != -1 || errno != EPERM)
		return 17;
	return 0;
}

/* clone with namespace flags (where unshare is refused too); clone3, whose
 * flags the filter cannot see */
static int
handler_refuses_namespaces(void)
{
	struct clone_args ca = { .flags = CLONE_NEWUSER | CLONE_NEWNS, .exit_signal = SIGCHLD };

	if (sandbox_install(SANDBOX_HANDLER) != 1)
		return 10;
	if (syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0) != -1 || errno != EPERM)
		return 11;
	if (syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0) != -1 || errno != EPERM)
		return 12;
	if (syscall(SYS_clone, CLONE_PTRACE | SIGCHLD, 0, 0, 0, 0) != -1 || errno != EPERM)
		return 13;
	if (syscall(SYS_clone3, &ca, sizeof ca) != -1 || errno != ENOSYS)
		return 14;
	return 0;
}

/* what the handler still does: fork (glibc's flags), a thread, a spawn */
static void *
thread_main(void *arg)
{
	return arg;
}

static int
handler_allows_fork(void)
{
	pthread_t t;
	void *ret = NULL;
	int st;
	pid_t pid;

	if (sandbox_install(SANDBOX_HANDLER) != 1)
		return 10;
	pid = fork();
	if (pid == -1)
		return 11;
	if (pid == 0)
		syscall(SYS_exit_group, 7);
	if (waitpid(pid, &st, 0) != pid || !EXITED(st, 7))
		return 12;
	/* the raw call with glibc's fork flags, as musl's and glibc's differ */
	pid = (pid_t)syscall(SYS_clone, CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD, 0, 0, &st, 0);
	if (pid == -1)
		return 13;
	if (pid == 0)
		syscall(SYS_exit_group, 8);
	if (waitpid(pid, &st, 0) != pid || !EXITED(st, 8))
		return 14;
	if (pthread_create(&t, NULL, thread_main, &st) != 0 || pthread_join(t, &ret) != 0 || ret != &st)
		return 15;
	return 0;
}

/* nothing is created or truncated: the log files are already open */
static int
handler_refuses_creating(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof path, "/tmp/mp-sandbox-%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);	/* an existing file, as a log is */
	if (fd == -1)
		return 10;
	close(fd);
	if (sandbox_install(SANDBOX_HANDLER) != 1)
		return 11;
	/* reading, and appending to an open log, are fine */
	if ((fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC)) == -1 && errno == EPERM)
		return 12;
	if (fd != -1)
		close(fd);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)) == -1)
		return 13;
	close(fd);
	if (open(path, O_WRONLY | O_APPEND | O_CREAT, 0600) != -1 || errno != EPERM)
		return 14;
	if (open(path, O_WRONLY | O_TRUNC) != -1 || errno != EPERM)
		return 15;
	if (open(path, O_RDWR) != -1 || errno != EPERM)
		return 16;
	if (openat(AT_FDCWD, "/tmp/mp-sandbox-new", O_WRONLY | O_CREAT, 0600) != -1 || errno != EPERM)
		return 17;
	if (syscall(SYS_openat, AT_FDCWD, "/tmp", O_TMPFILE | O_WRONLY, 0600) != -1 || errno != EPERM)
		return 18;
	if (syscall(SYS_creat, path, 0600) != -1 || errno != EPERM)
		return 19;
	if (truncate(path, 0) != -1 || errno != EPERM)
		return 20;
	if (unlink(path) != -1 || errno != EPERM)
		return 21;
	return 0;
}

/* bind: no socket file is made, no port taken */
static int
handler_refuses_bind(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	snprintf(sun.sun_path, sizeof sun.sun_path, "/tmp/mp-sandbox-%d.sock", (int)getpid());
	if (sandbox_install(SANDBOX_HANDLER) != 1)
		return 10;
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return 11;
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != -1 || errno != EPERM)
		return 12;
	close(fd);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 13;
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != -1 || errno != EPERM)
		return 14;
	if (listen(fd, 1) != -1 || errno != EPERM)
		return 15;
	return 0;
}

/* signals: abort(3)'s SIGABRT to this process, nothing to any other. Live
 * calls only with signal 0 or at a child of this test's own: were the filter
 * broken, a real kill(-1, SIGKILL) as root would end every process there is
 * (the verdicts for such calls are checked without making them, above). */
static int
handler_refuses_kill(void)
{
	int gate[2];
	pid_t victim;

	/* the child dies when the pipe closes: at this process's end */
	if (pipe(gate) == -1 || (victim = fork()) == -1)
		return 10;
	if (victim == 0) {
		char c;

		close(gate[1]);
		while (read(gate[0], &c, 1) == -1 && errno == EINTR)
			;
		syscall(SYS_exit_group, 0);
	}
	close(gate[0]);
	if (sandbox_install(SANDBOX_HANDLER) != 1)
		return 11;
	if (kill(-1, 0) != -1 || errno != EPERM)
		return 12;
	if (kill(0, 0) != -1 || errno != EPERM)
		return 13;
	if (kill(1, 0) != -1 || errno != EPERM)
		return 14;
	if (kill(victim, SIGABRT) != -1 || errno != EPERM)
		return 15;
	if (kill(-victim, SIGABRT) != -1 || errno != EPERM)
		return 16;
	if (syscall(SYS_tgkill, victim, victim, SIGABRT) != -1 || errno != EPERM)
		return 17;
	if (syscall(SYS_tkill, victim, SIGABRT) != -1 || errno != EPERM)
		return 18;
	if (kill(getpid(), SIGTERM) != -1 || errno != EPERM)	/* ours, but not abort's */
		return 19;
	/* abort(3) still works: this process dies of SIGABRT */
	abort();
}

/* execve only of the programs allowed before the filter, by that copy. A
 * refused exec that went through would end in "exit 3". */
static int
handler_exec(void)
{
	static char *const fail[] = { (char *)"sh", (char *)"-c", (char *)"exit 3", NULL };
	static char *const ok[] = { (char *)"sh", (char *)"-c", (char *)"exit 0", NULL };
	const char *sh = "/bin/sh";

	if (sandbox_exec_allow(sh) == -1)
		return 10;
	if (sandbox_install(SANDBOX_HANDLER) != 1)
		return 11;
	if (sandbox_exec_allow("/bin/dash") != -1)	/* sealed */
		return 12;
	/* the same string at another address */
	if (execv((char[]){ "/bin/sh" }, fail) != -1 || errno != EPERM)
		return 13;
	if (execv("/bin/dash", fail) != -1 || errno != EPERM)
		return 14;
	if (syscall(SYS_execveat, AT_FDCWD, "/bin/sh", fail, NULL, 0) != -1 || errno != EPERM)
		return 15;
	execv(sandbox_exec_path(sh), ok);
	return 16;
}

/* A TLS session's filter: its loop works ... */
static int
tls_allows_session(void)
{
	int sp[2];
	char buf[8];
	struct timespec ts;
	void *p;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
		return 10;
	if (sandbox_install(SANDBOX_TLS) != 1)
		return 11;
	if (write(sp[0], "record", 6) != 6 || read(sp[1], buf, sizeof buf) != 6)
		return 12;
	if (send(sp[1], "x", 1, MSG_NOSIGNAL) != 1 || recv(sp[0], buf, 1, 0) != 1)
		return 13;
	if (setsockopt(sp[0], SOL_SOCKET, SO_RCVLOWAT, &(int){ 5 }, sizeof(int)) == -1)
		return 14;
	if (getrandom(buf, sizeof buf, 0) != sizeof buf || clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 15;
	p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p, 65536) == -1)
		return 16;
	if (shutdown(sp[0], SHUT_WR) == -1 || close(sp[0]) == -1)
		return 17;
	return 0;
}

/* The handshake's filter reads the CA and CRL files, then stacks the
 * session's, under which no file opens. */
static int
tls_handshake_reads(void)
{
	int fd;

	if (sandbox_install(SANDBOX_TLS_HANDSHAKE) != 1)
		return 10;
	if ((fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC)) == -1)
		return 11;
	close(fd);
	return sandbox_install(SANDBOX_TLS) == 1 ? 0 : 12;
}

static int
tls_handshake_then_session(void)
{
	if (tls_handshake_reads() != 0)
		return 20;
	(void)open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	return 21;
}

static int
tls_handshake_kills_write_open(void)
{
	char path[64];

	snprintf(path, sizeof path, "/tmp/mp-sandbox-%d", (int)getpid());
	if (sandbox_install(SANDBOX_TLS_HANDSHAKE) != 1)
		return 40;
	(void)open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	return 41;
}

/* ... and anything that would reach beyond the session kills it */
static int
tls_kills_connect(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd == -1 || sandbox_install(SANDBOX_TLS) != 1)
		return 40;
	(void)connect(fd, (struct sockaddr *)&sin, sizeof sin);
	return 41;
}

static int
tls_kills_open(void)
{
	if (sandbox_install(SANDBOX_TLS) != 1)
		return 40;
	(void)syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	return 41;
}

static int
tls_kills_exec(void)
{
	if (sandbox_install(SANDBOX_TLS) != 1)
		return 40;
	(void)syscall(SYS_execve, "/bin/true", NULL, NULL);
	return 41;
}

static int
tls_kills_socket(void)
{
	if (sandbox_install(SANDBOX_TLS) != 1)
		return 40;
	(void)syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
	return 41;
}

static int
tls_kills_fork(void)
{
	if (sandbox_install(SANDBOX_TLS) != 1)
		return 40;
	(void)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	return 41;
}

static int
tls_kills_other_sockopt(void)
{
	if (sandbox_install(SANDBOX_TLS) != 1)
		return 40;
	(void)setsockopt(0, SOL_SOCKET, SO_RCVBUF, &(int){ 4096 }, sizeof(int));
	return 41;
}

/* Under a parent's filter that refuses seccomp(2) and prctl(PR_SET_SECCOMP)
 * (as a unit's SystemCallFilter might), installing fails and says so: the
 * programs then exit (tests/sandbox.bats runs the handler so). */
static int
install_fails_under_refusing_parent(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_SECCOMP, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = { sizeof f / sizeof f[0], f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) == -1)
		return 50;
	if (sandbox_install(SANDBOX_HANDLER) != -1 || errno != EACCES)
		return 51;
	if (sandbox_install(SANDBOX_TLS) != -1 || sandbox_install(SANDBOX_RELAY) != -1)
		return 52;
	return 0;
}

static int
relay_allows_copy(void)
{
	int a[2], b[2];
	char buf[64], cbuf[16], ubuf[16];
	struct relay_conf rc = { .cbuf = cbuf, .ubuf = ubuf, .cbufsize = sizeof cbuf,
	    .ubufsize = sizeof ubuf, .idle_ms = 5000 };
	struct relay_stats st;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, a) == -1 || socketpair(AF_UNIX, SOCK_STREAM, 0, b) == -1)
		return 20;
	signal(SIGPIPE, SIG_IGN);
	if (write(a[0], "hello backend", 13) != 13 || write(b[0], "hi client", 9) != 9)
		return 21;
	shutdown(a[0], SHUT_WR);
	shutdown(b[0], SHUT_WR);
	rc.cfd = a[1];
	rc.bfd = b[1];
	if (sandbox_install(SANDBOX_RELAY) != 1)
		return 22;
	relay_run(&rc, &st);
	if (st.end != RELAY_END_DONE || st.c2b != 13 || st.b2c != 9)
		return 23;
	n = read(b[0], buf, sizeof buf);
	if (n != 13 || memcmp(buf, "hello backend", 13) != 0)
		return 24;
	n = read(a[0], buf, sizeof buf);
	if (n != 9)
		return 25;
	return 0;
}

static int
relay_kills_socket(void)
{
	if (sandbox_install(SANDBOX_RELAY) != 1)
		return 30;
	(void)socket(AF_INET, SOCK_STREAM, 0);
	return 31;	/* not reached */
}

static int
relay_kills_open(void)
{
	if (sandbox_install(SANDBOX_RELAY) != 1)
		return 40;
	(void)syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	return 41;
}

static int
relay_kills_exec_mapping(void)
{
	void *p;

	if (sandbox_install(SANDBOX_RELAY) != 1)
		return 50;
	/* plain memory is fine ... */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 51;
	/* ... executable memory is not */
	(void)mprotect(p, 4096, PROT_READ | PROT_EXEC);
	return 52;
}

static int
stacked_relay_after_handler(void)
{
	if (sandbox_install(SANDBOX_HANDLER) != 1)
		return 60;
	if (sandbox_install(SANDBOX_RELAY) != 1)
		return 61;
	(void)syscall(SYS_execve, "/bin/true", NULL, NULL);
	return 62;
}

static int
probe(void)
{
	int r = sandbox_install(SANDBOX_HANDLER);

	return r == 1 ? 0 : r == 0 ? 3 : 4;
}

/* The filter run by hand, as the kernel does when it fills its action
 * cache: the verdict for call NR on this architecture with arguments ARGS
 * (six, or NULL for zeros). Only the instructions sandbox.c emits. */
static uint32_t
run_filter(const struct sock_filter *f, unsigned n, uint32_t arch, uint32_t nr, const uint64_t *args)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = arch };
	uint32_t a = 0;

	if (args != NULL)
		memcpy(d.args, args, sizeof d.args);
	for (unsigned pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			memcpy(&a, (const char *)&d + i->k, sizeof a);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & i->k) ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JA:
			pc += i->k;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			return 0xdeadbeef;	/* an instruction this test does not know */
		}
	}
	return 0xdeadbeef;	/* fell off the end */
}

#define V(...) ((const uint64_t[6]){ __VA_ARGS__ })

/* Calls with an argument check: not in the tree's list, tested one by one. */
static bool
arg_checked(enum sandbox_phase phase, uint32_t nr)
{
	static const long handler[] = { SYS_socket, SYS_clone, SYS_clone3, SYS_open, SYS_openat,
	    SYS_execve, SYS_kill, SYS_tgkill, SYS_tkill };
	static const long launcher[] = { SYS_socket, SYS_clone, SYS_clone3, SYS_tgkill, SYS_tkill,
	    /* and allowed, beyond the handler's list */
	    SYS_accept4, SYS_signalfd4, SYS_openat, SYS_execve, 444, 445, 446,	/* landlock_* */
#ifdef SYS_open
	    SYS_open,
#endif
#ifdef SYS_accept
	    SYS_accept,
#endif
	};
	static const long tls[] = { SYS_mmap, SYS_mprotect, SYS_setsockopt };
	static const long handshake[] = { SYS_open, SYS_openat, SYS_prctl, SYS_seccomp,
	    /* and allowed, beyond the session's list */
	    SYS_fstat, SYS_newfstatat, SYS_statx, SYS_lseek };

	for (size_t i = 0; phase == SANDBOX_HANDLER && i < sizeof handler / sizeof handler[0]; i++)
		if (nr == (uint32_t)handler[i])
			return true;
	for (size_t i = 0; phase == SANDBOX_LAUNCHER && i < sizeof launcher / sizeof launcher[0]; i++)
		if (nr == (uint32_t)launcher[i])
			return true;
	if (phase == SANDBOX_LAUNCHER)
		return false;
	for (size_t i = 0; phase != SANDBOX_HANDLER && i < sizeof tls / sizeof tls[0]; i++)
		if (nr == (uint32_t)tls[i] && (nr != SYS_setsockopt || phase != SANDBOX_RELAY))
			return true;
	for (size_t i = 0; phase == SANDBOX_TLS_HANDSHAKE && i < sizeof handshake / sizeof handshake[0]; i++)
		if (nr == (uint32_t)handshake[i])
			return true;
	return false;
}

/* The search tree allows exactly the listed calls, every other number gets
 * the phase's default, and the argument checks hold. */
static void
test_filter_tree(enum sandbox_phase phase, uint32_t deny)
{
	const uint32_t eperm = SECCOMP_RET_ERRNO | EPERM, allow = SECCOMP_RET_ALLOW;
	const struct sock_filter *f;
	const void *insns;
	const int *calls;
	unsigned n, ncalls;
	uint32_t arch;
	uint64_t self = (uint64_t)getpid();

	CHECK(sandbox_program(phase, &insns, &n, &calls, &ncalls) == 0);
	if (n == 0)
		return;
	f = insns;
	arch = f[1].k;	/* the JEQ on the architecture */
	for (uint32_t nr = 0; nr < 1024; nr++) {
		bool listed = false;
		uint32_t v = run_filter(f, n, arch, nr, NULL);

		for (unsigned i = 0; i < ncalls; i++)
			listed = listed || calls[i] == (int)nr;
		if (arg_checked(phase, nr)) {
			CHECK(!listed);
			continue;
		}
		if (listed)
			CHECK(v == allow);
		else if (v != deny) {
			CHECK(v == deny);
			fprintf(stderr, "  call %u: verdict %#x\n", nr, v);
		}
	}
	CHECK(run_filter(f, n, arch, 0x40000000u | SYS_read, NULL) == deny);	/* x32 */
	CHECK(run_filter(f, n, arch ^ 1, SYS_read, NULL) == SECCOMP_RET_KILL_PROCESS);
	if (phase == SANDBOX_LAUNCHER) {
		/* its accept loop, and the handler's start-up: logs created, programs
		 * executed wherever they are, Landlock */
		CHECK(run_filter(f, n, arch, SYS_accept4, NULL) == allow);
		CHECK(run_filter(f, n, arch, SYS_signalfd4, NULL) == allow);
		CHECK(run_filter(f, n, arch, SYS_openat, V(0, 0, O_WRONLY | O_APPEND | O_CREAT)) == allow);
		CHECK(run_filter(f, n, arch, SYS_execve, V(0)) == allow);
		CHECK(run_filter(f, n, arch, 446, NULL) == allow);	/* landlock_restrict_self */
		CHECK(run_filter(f, n, arch, SYS_socket, V(AF_INET)) == allow);
		CHECK(run_filter(f, n, arch, SYS_socket, V(AF_PACKET)) ==
		    (SECCOMP_RET_ERRNO | EAFNOSUPPORT));
		CHECK(run_filter(f, n, arch, SYS_clone, V(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |
		    SIGCHLD)) == allow);
		CHECK(run_filter(f, n, arch, SYS_clone, V(CLONE_NEWUSER | SIGCHLD)) == eperm);
		CHECK(run_filter(f, n, arch, SYS_clone3, NULL) == (SECCOMP_RET_ERRNO | ENOSYS));
		/* a session's abort(3), and no other signal */
		CHECK(run_filter(f, n, arch, SYS_tgkill, V(self, 12345, SIGABRT)) == allow);
		CHECK(run_filter(f, n, arch, SYS_tgkill, V(self, 12345, SIGKILL)) == eperm);
		CHECK(run_filter(f, n, arch, SYS_tkill, V(12345, SIGABRT)) == allow);
		CHECK(run_filter(f, n, arch, SYS_tkill, V(12345, SIGTERM)) == eperm);
		CHECK(run_filter(f, n, arch, SYS_kill, V(1, SIGABRT)) == eperm);
		/* what neither it nor a session needs */
		CHECK(run_filter(f, n, arch, SYS_bind, NULL) == eperm);
		CHECK(run_filter(f, n, arch, SYS_listen, NULL) == eperm);
		CHECK(run_filter(f, n, arch, SYS_ptrace, NULL) == eperm);
		CHECK(run_filter(f, n, arch, SYS_unlinkat, NULL) == eperm);
		CHECK(run_filter(f, n, arch, SYS_setresuid, NULL) == eperm);
		CHECK(run_filter(f, n, arch, SYS_unshare, NULL) == eperm);
		return;
	}
	if (phase != SANDBOX_HANDLER) {
		CHECK(run_filter(f, n, arch, SYS_mmap, V(0, 4096, PROT_READ | PROT_WRITE)) == allow);
		CHECK(run_filter(f, n, arch, SYS_mmap, V(0, 4096, PROT_READ | PROT_EXEC)) == deny);
		CHECK(run_filter(f, n, arch, SYS_mprotect, V(0, 4096, PROT_EXEC)) == deny);
		CHECK(run_filter(f, n, arch, SYS_setsockopt, V(0, SOL_SOCKET, SO_RCVLOWAT)) ==
		    (phase != SANDBOX_RELAY ? allow : deny));
		CHECK(run_filter(f, n, arch, SYS_setsockopt, V(0, SOL_SOCKET, SO_SNDBUF)) == deny);
		/* the handshake reads files and stacks the session's filter; the session neither */
		CHECK(run_filter(f, n, arch, SYS_openat, V(0, 0, O_RDONLY)) ==
		    (phase == SANDBOX_TLS_HANDSHAKE ? allow : deny));
		CHECK(run_filter(f, n, arch, SYS_fstat, NULL) ==
		    (phase == SANDBOX_TLS_HANDSHAKE ? allow : deny));
		CHECK(run_filter(f, n, arch, SYS_prctl, V(PR_SET_SECCOMP)) ==
		    (phase == SANDBOX_TLS_HANDSHAKE ? allow : deny));
		CHECK(run_filter(f, n, arch, SYS_seccomp, V(SECCOMP_SET_MODE_FILTER)) ==
		    (phase == SANDBOX_TLS_HANDSHAKE ? allow : deny));
		CHECK(run_filter(f, n, arch, SYS_openat, V(0, 0, O_WRONLY | O_APPEND)) == deny);
		CHECK(run_filter(f, n, arch, SYS_openat, V(0, 0, O_RDONLY | O_CREAT)) == deny);
		CHECK(run_filter(f, n, arch, SYS_prctl, V(PR_SET_DUMPABLE)) == deny);
		CHECK(run_filter(f, n, arch, SYS_prctl, V(PR_SET_PDEATHSIG)) == deny);
		CHECK(run_filter(f, n, arch, SYS_seccomp, V(SECCOMP_SET_MODE_STRICT)) == deny);
		return;
	}
	CHECK(run_filter(f, n, arch, SYS_socket, V(AF_INET6)) == allow);
	CHECK(run_filter(f, n, arch, SYS_socket, V(AF_PACKET)) == (SECCOMP_RET_ERRNO | EAFNOSUPPORT));
	/* clone: fork, thread and spawn flags; no namespace, whatever else is set */
	CHECK(run_filter(f, n, arch, SYS_clone, V(CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD)) == allow);
	CHECK(run_filter(f, n, arch, SYS_clone, V(CLONE_VM | CLONE_VFORK | SIGCHLD)) == allow);
	CHECK(run_filter(f, n, arch, SYS_clone, V(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
	    CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |
	    CLONE_DETACHED)) == allow);
	for (unsigned b = 8; b < 32; b++) {
		uint64_t bit = 1ull << b;
		bool ok = bit & (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |
		    CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_VFORK);

		CHECK(run_filter(f, n, arch, SYS_clone, V(bit | SIGCHLD)) == (ok ? allow : eperm));
	}
	CHECK(run_filter(f, n, arch, SYS_clone3, NULL) == (SECCOMP_RET_ERRNO | ENOSYS));
	/* opens: reading and writing; never creating, truncating, both ways */
	CHECK(run_filter(f, n, arch, SYS_openat, V(0, 0, O_RDONLY | O_CLOEXEC)) == allow);
	CHECK(run_filter(f, n, arch, SYS_openat, V(0, 0, O_WRONLY | O_APPEND | O_CLOEXEC)) == allow);
	CHECK(run_filter(f, n, arch, SYS_openat, V(0, 0, O_WRONLY | O_APPEND | O_CREAT)) == eperm);
	CHECK(run_filter(f, n, arch, SYS_openat, V(0, 0, O_WRONLY | O_TRUNC)) == eperm);
	CHECK(run_filter(f, n, arch, SYS_openat, V(0, 0, O_RDWR)) == eperm);
	CHECK(run_filter(f, n, arch, SYS_openat, V(0, 0, O_TMPFILE | O_WRONLY)) == eperm);
#ifdef SYS_open
	CHECK(run_filter(f, n, arch, SYS_open, V(0, O_RDONLY)) == allow);
	CHECK(run_filter(f, n, arch, SYS_open, V(0, O_WRONLY | O_CREAT)) == eperm);
	CHECK(run_filter(f, n, arch, SYS_open, V(0, O_RDWR)) == eperm);
#endif
	/* signals: SIGABRT to this process only */
	CHECK(run_filter(f, n, arch, SYS_kill, V(self, SIGABRT)) == allow);
	CHECK(run_filter(f, n, arch, SYS_kill, V(self, SIGKILL)) == eperm);
	CHECK(run_filter(f, n, arch, SYS_kill, V((uint64_t)-1, SIGABRT)) == eperm);
	CHECK(run_filter(f, n, arch, SYS_kill, V(0, SIGABRT)) == eperm);
	CHECK(run_filter(f, n, arch, SYS_kill, V(1, SIGABRT)) == eperm);
	CHECK(run_filter(f, n, arch, SYS_tgkill, V(self, 12345, SIGABRT)) == allow);
	CHECK(run_filter(f, n, arch, SYS_tgkill, V(1, 1, SIGABRT)) == eperm);
	CHECK(run_filter(f, n, arch, SYS_tkill, V(self, SIGABRT)) == allow);
	CHECK(run_filter(f, n, arch, SYS_tkill, V(self + 1, SIGABRT)) == eperm);
	/* no program was allowed in this process: no execve at all */
	CHECK(run_filter(f, n, arch, SYS_execve, V(0)) == eperm);
}

/* Runs FN in a child and checks that it exits 0 (saying where it failed) */
#define CHILD_OK(fn) do { \
	int st_ = in_child(fn); \
	CHECK(EXITED(st_, 0)); \
	if (!EXITED(st_, 0)) \
		fprintf(stderr, #fn ": status 0x%x\n", st_); \
} while (0)

int
main(void)
{
	int st;

	st = in_child(probe);
	if (EXITED(st, 3)) {
		fprintf(stderr, "test_sandbox: no filter on this architecture, skipped\n");
		return 0;
	}
	CHECK(EXITED(st, 0));
	test_filter_tree(SANDBOX_HANDLER, SECCOMP_RET_ERRNO | EPERM);
	test_filter_tree(SANDBOX_LAUNCHER, SECCOMP_RET_ERRNO | EPERM);
	test_filter_tree(SANDBOX_RELAY, SECCOMP_RET_KILL_PROCESS);
	test_filter_tree(SANDBOX_TLS_HANDSHAKE, SECCOMP_RET_KILL_PROCESS);
	test_filter_tree(SANDBOX_TLS, SECCOMP_RET_KILL_PROCESS);
	CHILD_OK(handler_refuses);
	CHILD_OK(handler_refuses_namespaces);
	CHILD_OK(handler_allows_fork);
	CHILD_OK(handler_refuses_creating);
	CHILD_OK(handler_refuses_bind);
	CHILD_OK(handler_exec);
	st = in_child(handler_refuses_kill);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT))
		fprintf(stderr, "handler_refuses_kill: status 0x%x\n", st);
	CHILD_OK(relay_allows_copy);
	CHECK(KILLED(in_child(relay_kills_socket)));
	CHECK(KILLED(in_child(relay_kills_open)));
	CHECK(KILLED(in_child(relay_kills_exec_mapping)));
	CHECK(KILLED(in_child(stacked_relay_after_handler)));
	CHILD_OK(tls_allows_session);
	CHILD_OK(tls_handshake_reads);
	CHECK(KILLED(in_child(tls_handshake_then_session)));
	CHECK(KILLED(in_child(tls_handshake_kills_write_open)));
	CHECK(KILLED(in_child(tls_kills_connect)));
	CHECK(KILLED(in_child(tls_kills_open)));
	CHECK(KILLED(in_child(tls_kills_exec)));
	CHECK(KILLED(in_child(tls_kills_socket)));
	CHECK(KILLED(in_child(tls_kills_fork)));
	CHECK(KILLED(in_child(tls_kills_other_sockopt)));
	CHILD_OK(install_fails_under_refusing_parent);
	fprintf(stderr, "test_sandbox: binaries run with: %s\n", sandbox_mode());
	UNIT_DONE();
}
