/* test_sandbox.c: the seccomp filters, each tried in a forked child that
 * reports through its exit status (and leaves by exit_group(2) itself, so a
 * sanitizer build's exit-time leak check never runs under the filter). */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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
