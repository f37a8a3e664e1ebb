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
 * cache: the verdict for call NR on this architecture, argument 2 = ARG2
 * (every other argument 0). Only the instructions sandbox.c emits. */
static uint32_t
run_filter(const struct sock_filter *f, unsigned n, uint32_t arch, uint32_t nr, uint32_t arg2)
{
	struct seccomp_data d = { .nr = (int)nr, .arch = arch };
	uint32_t a = 0;

	d.args[2] = arg2;
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
		case BPF_RET | BPF_K:
			return i->k;
		default:
			return 0xdeadbeef;	/* an instruction this test does not know */
		}
	}
	return 0xdeadbeef;	/* fell off the end */
}

/* The search tree allows exactly the listed calls, every other number gets
 * the phase's default, and the argument checks still hold. */
static void
test_filter_tree(enum sandbox_phase phase, uint32_t deny)
{
	const void *insns;
	const int *calls;
	unsigned n, ncalls;
	uint32_t arch;

	CHECK(sandbox_program(phase, &insns, &n, &calls, &ncalls) == 0);
	if (n == 0)
		return;
	arch = ((const struct sock_filter *)insns)[1].k;	/* the JEQ on the architecture */
	for (uint32_t nr = 0; nr < 1024; nr++) {
		bool listed = false;
		uint32_t v = run_filter(insns, n, arch, nr, 0);

		for (unsigned i = 0; i < ncalls; i++)
			listed = listed || calls[i] == (int)nr;
		if (nr == SYS_socket || nr == SYS_mmap || nr == SYS_mprotect)
			continue;	/* argument checks: below */
		if (listed)
			CHECK(v == SECCOMP_RET_ALLOW);
		else if (v != deny) {
			CHECK(v == deny);
			fprintf(stderr, "  call %u: verdict %#x\n", nr, v);
		}
	}
	CHECK(run_filter(insns, n, arch, 0x40000000u | SYS_read, 0) == deny);	/* x32 */
	CHECK(run_filter(insns, n, arch ^ 1, SYS_read, 0) == SECCOMP_RET_KILL_PROCESS);
	if (phase == SANDBOX_RELAY) {
		CHECK(run_filter(insns, n, arch, SYS_mmap, PROT_READ | PROT_WRITE) == SECCOMP_RET_ALLOW);
		CHECK(run_filter(insns, n, arch, SYS_mmap, PROT_READ | PROT_EXEC) == deny);
		CHECK(run_filter(insns, n, arch, SYS_mprotect, PROT_EXEC) == deny);
	}
}

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
	test_filter_tree(SANDBOX_RELAY, SECCOMP_RET_KILL_PROCESS);
	st = in_child(handler_refuses);
	CHECK(EXITED(st, 0));
	if (!EXITED(st, 0))
		fprintf(stderr, "handler_refuses: status 0x%x\n", st);
	st = in_child(relay_allows_copy);
	CHECK(EXITED(st, 0));
	if (!EXITED(st, 0))
		fprintf(stderr, "relay_allows_copy: status 0x%x\n", st);
	CHECK(KILLED(in_child(relay_kills_socket)));
	CHECK(KILLED(in_child(relay_kills_open)));
	CHECK(KILLED(in_child(relay_kills_exec_mapping)));
	CHECK(KILLED(in_child(stacked_relay_after_handler)));
	fprintf(stderr, "test_sandbox: binaries run with: %s\n", sandbox_mode());
	UNIT_DONE();
}
