/* SPDX-License-Identifier: ISC */
/* mailproxy-accept: the high-rate mode.  systemd keeps the listening sockets
 * (an Accept=no socket unit: its Backlog=, buffers and keepalive apply), and
 * this one long-lived process accepts on them and forks and executes the
 * short-lived handler per connection, as PID 1 does for Accept=yes, without
 * a unit per connection.  The handler gets the connection as systemd gives
 * it (fd 3, LISTEN_FDS=1, LISTEN_PID, LISTEN_FDNAMES=connection) and
 * sandboxes itself as always.  The limits of the Accept=yes socket units:
 * -c in all (MaxConnections=), -s per client address
 * (MaxConnectionsPerSource=); a connection beyond them is closed at once.
 *
 *   mailproxy-accept [-c max] [-s per-source] handler [args...]
 *
 * Exit: 100 usage, 111 no listening socket or a system error.  The handler's
 * processes die with it (PR_SET_PDEATHSIG), and the unit's cgroup is killed
 * when it stops: a killed launcher leaves no session behind. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXLISTEN 64
#define MAXCHILD 65536

struct child {
	pid_t pid;		/* 0: free */
	unsigned char addr[16];	/* IPv4 as v4-mapped IPv6; unix peers all match */
};

static struct child *kids;
static unsigned maxkids = 1024, persource = 64, live;
static unsigned long refused;
static time_t refused_logged;

static void
die(const char *what)
{
	fprintf(stderr, "mailproxy-accept: %s: %s\n", what, strerror(errno));
	exit(111);
}

/* the client's address as 16 bytes: a v4 client and its v4-mapped form are one source */
static void
source(const struct sockaddr_storage *ss, unsigned char out[16])
{
	memset(out, 0, 16);
	if (ss->ss_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

static unsigned
count_source(const unsigned char a[16])
{
	unsigned n = 0;

	for (unsigned i = 0; i < maxkids; i++)
		if (kids[i].pid != 0 && memcmp(kids[i].addr, a, 16) == 0)
			n++;
	return n;
}

/* said at most once a second: a flood must not flood the journal too */
static void
refuse(int fd, const char *why)
{
	time_t now = time(NULL);

	close(fd);
	refused++;
	if (now != refused_logged) {
		fprintf(stderr, "mailproxy-accept: %s: %lu connection(s) closed at once so far\n",
		    why, refused);
		refused_logged = now;
	}
}

static void
reap(void)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		for (unsigned i = 0; i < maxkids; i++)
			if (kids[i].pid == pid) {
				kids[i].pid = 0;
				live--;
				break;
			}
}

static void
spawn(int fd, const unsigned char addr[16], char **argv, const sigset_t *old)
{
	unsigned slot;
	pid_t pid;
	char env[32];

	for (slot = 0; slot < maxkids && kids[slot].pid != 0; slot++)
		;
	pid = fork();
	if (pid == -1) {
		refuse(fd, "fork failed");
		return;
	}
	if (pid == 0) {
		/* the handler and what it executes end with this launcher */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() == 1)
			_exit(111);
		if (fd != 3 && (dup2(fd, 3) == -1 || close(fd) == -1))
			_exit(111);
		snprintf(env, sizeof env, "%d", (int)getpid());
		if (setenv("LISTEN_FDS", "1", 1) == -1 || setenv("LISTEN_PID", env, 1) == -1 ||
		    setenv("LISTEN_FDNAMES", "connection", 1) == -1)
			_exit(111);
		sigprocmask(SIG_SETMASK, old, NULL);
		execv(argv[0], argv);
		fprintf(stderr, "mailproxy-accept: execv %s: %s\n", argv[0], strerror(errno));
		_exit(111);
	}
	close(fd);
	kids[slot].pid = pid;
	memcpy(kids[slot].addr, addr, 16);
	live++;
}

int
main(int argc, char **argv)
{
	struct pollfd pfd[MAXLISTEN + 1];
	sigset_t set, old;
	const char *e;
	int nl, ch;

	while ((ch = getopt(argc, argv, "+c:s:")) != -1) {
		switch (ch) {
		case 'c':
			maxkids = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			persource = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	argv += optind;
	if (argv[0] == NULL || argv[0][0] != '/' || maxkids == 0 || maxkids > MAXCHILD ||
	    persource == 0)
		goto usage;
	e = getenv("LISTEN_PID");
	if (e == NULL || strtol(e, NULL, 10) != (long)getpid() || (e = getenv("LISTEN_FDS")) == NULL ||
	    (nl = atoi(e)) < 1 || nl > MAXLISTEN) {
		fprintf(stderr, "mailproxy-accept: no listening sockets (LISTEN_FDS): "
		    "run it from an Accept=no socket unit\n");
		return 111;
	}
	unsetenv("LISTEN_FDNAMES");
	if ((kids = calloc(maxkids, sizeof *kids)) == NULL)
		die("calloc");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &old) == -1)
		die("sigprocmask");
	if ((pfd[nl].fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1)
		die("signalfd");
	pfd[nl].events = POLLIN;
	for (int i = 0; i < nl; i++) {
		/* the handlers must not hold the listeners */
		if (fcntl(3 + i, F_SETFD, FD_CLOEXEC) == -1 ||
		    fcntl(3 + i, F_SETFL, fcntl(3 + i, F_GETFL) | O_NONBLOCK) == -1)
			die("fcntl on a listening socket");
		pfd[i].fd = 3 + i;
		pfd[i].events = POLLIN;
	}
	for (;;) {
		if (poll(pfd, (nfds_t)nl + 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[nl].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(pfd[nl].fd, &si, sizeof si) == (ssize_t)sizeof si)
				;
			reap();
		}
		for (int i = 0; i < nl; i++) {
			struct sockaddr_storage ss;
			socklen_t len = sizeof ss;
			unsigned char a[16];
			int fd;

			if (!(pfd[i].revents & POLLIN))
				continue;
			fd = accept4(pfd[i].fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
			if (fd == -1) {
				/* gone before accept, or out of fds: try the next round */
				if (errno == EMFILE || errno == ENFILE)
					fprintf(stderr, "mailproxy-accept: accept: %s\n", strerror(errno));
				continue;
			}
			source(&ss, a);
			if (live >= maxkids)
				refuse(fd, "too many connections (-c)");
			else if (count_source(a) >= persource)
				refuse(fd, "too many connections from one address (-s)");
			else
				spawn(fd, a, argv, &old);
		}
	}
usage:
	fprintf(stderr, "usage: mailproxy-accept [-c max] [-s per-source] /path/to/handler [args...]\n");
	return 100;
}
