/* SPDX-License-Identifier: ISC */
/* mailproxy-accept: the high-rate mode.  systemd keeps the listening sockets
 * (a socket unit with Accept=no hands them over, LISTEN_FDS from fd 3); this
 * accepts on them and starts PROGRAM once per connection, exactly as systemd
 * starts an Accept=yes instance: the connection on fd 3, LISTEN_FDS=1,
 * LISTEN_PID its own pid, REMOTE_ADDR and REMOTE_PORT; so the handler is the
 * same program, unchanged, with its own system call filter, in this unit's
 * sandbox.  It bounds the sessions as MaxConnections= and
 * MaxConnectionsPerSource= do (a connection beyond them is accepted and
 * closed at once, as systemd does), logs refusals once per burst, and reaps.
 * A session dies with it: PR_SET_PDEATHSIG here, the unit's cgroup in systemd.
 * Its seccomp filter goes on before the first accept; the sessions inherit it.
 *
 *   mailproxy-accept [-c max] [-s per_source] handler [args...]
 *
 * Exit: 100 usage, 111 no listening socket or a system error. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "conn.h"
#include "launcher.h"
#include "log.h"
#include "sandbox.h"

#define LISTEN_MAX 64		/* sockets of one unit; more is a mistake */
#define ACCEPT_BATCH 64		/* per socket and wake-up: drain a burst, then reap */

struct launcher {
	int nlisten;
	struct pollfd pfd[1 + LISTEN_MAX];	/* the signalfd, then the sockets */
	struct launcher_table tab;
	struct launcher_burst burst;
	size_t per_source;	/* 0: no bound per source */
	char **argv;
	pid_t self;
};

static void
usage(void)
{
	fprintf(stderr, "usage: mailproxy-accept [-c max] [-s per_source] /path/to/handler [args...]\n");
	exit(100);
}

static long
number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "mailproxy-accept: \"%s\" is not a number from %ld to %ld\n", s, min, max);
		usage();
	}
	return v;
}

/* The sockets systemd passed (Accept=no): listening stream sockets only. */
static int
take_sockets(struct launcher *l)
{
	int acc, type;
	socklen_t len;

	/* made close-on-exec, the variables removed: each session gets its own */
	l->nlisten = conn_listen_fds();
	if (l->nlisten < 1 || l->nlisten > LISTEN_MAX) {
		log_msg(MP_LOG_EMERG, "%d sockets passed: start mailproxy-accept from a socket "
		    "unit with Accept=no and from 1 to %d ListenStream= lines", l->nlisten,
		    LISTEN_MAX);
		return -1;
	}
	for (int i = 0; i < l->nlisten; i++) {
		int fd = LISTEN_FDS_START + i;

		len = sizeof acc;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == -1 || acc == 0 ||
		    (len = sizeof type, getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len)) == -1 ||
		    type != SOCK_STREAM) {
			log_msg(MP_LOG_EMERG, "fd %d is not a listening stream socket: "
			    "the socket unit needs Accept=no and ListenStream=", fd);
			return -1;
		}
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
			log_msg(MP_LOG_EMERG, "fcntl(%d) failed (%d: %s)", fd, errno, strerror(errno));
			return -1;
		}
		l->pfd[1 + i].fd = fd;
		l->pfd[1 + i].events = POLLIN;
	}
	return 0;
}

/* In the child: become the session, as systemd makes an Accept=yes instance. */
static void __attribute__((noreturn))
child(const struct launcher *l, int cfd, const struct sockaddr *peer)
{
	char pid[32], ip[64], port[16];
	sigset_t none;

	/* the session ends with the launcher, even if the cgroup is not killed */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != l->self)
		_exit(111);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (cfd == LISTEN_FDS_START ? fcntl(cfd, F_SETFD, 0) == -1 :
	    dup2(cfd, LISTEN_FDS_START) == -1)
		_exit(111);
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	conn_addr_ip(peer, ip, sizeof ip);
	snprintf(port, sizeof port, "%u", conn_addr_port(peer));
	if (setenv("LISTEN_PID", pid, 1) == -1 || setenv("LISTEN_FDS", "1", 1) == -1 ||
	    setenv("LISTEN_FDNAMES", "connection", 1) == -1 ||
	    (peer->sa_family != AF_UNIX &&
	    (setenv("REMOTE_ADDR", ip, 1) == -1 || setenv("REMOTE_PORT", port, 1) == -1)))
		_exit(111);
	execv(l->argv[0], l->argv);
	log_msg(MP_LOG_ALERT, "execv() of %s failed (%d: %s)", l->argv[0], errno, strerror(errno));
	_exit(111);
}

static void
refuse(struct launcher *l, enum launcher_refusal why, const struct sockaddr *peer)
{
	struct timespec now;
	char who[80];
	int err = errno;	/* fork's or accept's */

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!launcher_burst_refuse(&l->burst, why, &now))
		return;
	if (peer != NULL)
		conn_addr_text(peer, who, sizeof who);
	if (why == REFUSED_TOTAL)
		log_msg(MP_LOG_WARN, "too many connections (-c): %zu at once, closing %s; until "
		    "refusals stop for %d s they are counted, not logged", l->tab.cap, who,
		    LAUNCHER_QUIET_MS / 1000);
	else if (why == REFUSED_SOURCE)
		log_msg(MP_LOG_WARN, "too many connections from one address (-s): %zu at once, "
		    "closing %s; until refusals stop for %d s they are counted, not logged",
		    l->per_source, who, LAUNCHER_QUIET_MS / 1000);
	else if (why == REFUSED_FORK)
		log_msg(MP_LOG_ALERT, "fork() failed (%d: %s), closing %s at once; until refusals "
		    "stop for %d s they are counted, not logged", err, strerror(err), who,
		    LAUNCHER_QUIET_MS / 1000);
	else
		log_msg(MP_LOG_ALERT, "accept4() failed (%d: %s): the clients wait in the backlog, "
		    "tried again every 0.1 s; until failures stop for %d s they are counted, not "
		    "logged", err, strerror(err), LAUNCHER_QUIET_MS / 1000);
}

static void
summary(struct launcher *l)
{
	struct timespec now;
	const unsigned long *n = l->burst.n;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!launcher_burst_due(&l->burst, &now))
		return;
	if (n[REFUSED_TOTAL] + n[REFUSED_SOURCE] + n[REFUSED_FORK] + n[REFUSED_ACCEPT] > 0)
		log_msg(MP_LOG_WARN, "%lu more connections closed at once in %.1f s: %lu over -c, "
		    "%lu over -s, %lu for want of a process; %lu accept(2) failures",
		    n[REFUSED_TOTAL] + n[REFUSED_SOURCE] + n[REFUSED_FORK] + n[REFUSED_ACCEPT],
		    (double)launcher_ms(&l->burst.said, &now) / 1000, n[REFUSED_TOTAL],
		    n[REFUSED_SOURCE], n[REFUSED_FORK], n[REFUSED_ACCEPT]);
	launcher_burst_said(&l->burst, &now);
}

static void
serve(struct launcher *l, int cfd, const struct sockaddr *peer)
{
	struct launcher_source src;
	pid_t pid;

	launcher_source_of(peer, &src);
	if (l->tab.used >= l->tab.cap) {
		refuse(l, REFUSED_TOTAL, peer);
		return;
	}
	if (l->per_source > 0 && launcher_table_count(&l->tab, &src) >= l->per_source) {
		refuse(l, REFUSED_SOURCE, peer);
		return;
	}
	pid = fork();
	if (pid == 0)
		child(l, cfd, peer);
	if (pid == -1) {
		refuse(l, REFUSED_FORK, peer);
		return;
	}
	launcher_table_add(&l->tab, pid, &src);	/* a slot is free: checked above */
}

/* Up to ACCEPT_BATCH connections from socket FD; false if accept(2) needs a pause. */
static bool
accept_some(struct launcher *l, int fd)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);

		if (cfd == -1) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				return true;
			/* out of descriptors or memory: the backlog waits, we do
			 * not spin, and the log gets a line per burst */
			refuse(l, REFUSED_ACCEPT, NULL);
			return false;
		}
		if (len == 0)	/* an unnamed unix peer */
			ss.ss_family = AF_UNIX;
		serve(l, cfd, (struct sockaddr *)&ss);
		close(cfd);
	}
	return true;
}

static void
reap(struct launcher *l)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (!launcher_table_remove(&l->tab, pid))
			continue;
		/* as for an Accept=yes instance: 0 and SIGPIPE are a session's normal ends */
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			log_msg(MP_LOG_WARN, "session %ld exited with status %d", (long)pid,
			    WEXITSTATUS(status));
		else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGPIPE)
			log_msg(MP_LOG_WARN, "session %ld killed by signal %d", (long)pid,
			    WTERMSIG(status));
	}
}

static int
run(struct launcher *l)
{
	struct signalfd_siginfo si;
	struct timespec now;
	bool pause = false;

	for (;;) {
		int wait;

		clock_gettime(CLOCK_MONOTONIC, &now);
		wait = launcher_burst_wait(&l->burst, &now);
		if (pause && (wait == -1 || wait > 100))
			wait = 100;
		for (int i = 0; i < l->nlisten; i++)
			l->pfd[1 + i].events = pause ? 0 : POLLIN;
		pause = false;
		if (poll(l->pfd, 1 + (nfds_t)l->nlisten, wait) == -1 && errno != EINTR) {
			log_msg(MP_LOG_EMERG, "poll() failed (%d: %s)", errno, strerror(errno));
			return 111;
		}
		if (l->pfd[0].revents & POLLIN) {
			while (read(l->pfd[0].fd, &si, sizeof si) == (ssize_t)sizeof si)
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
					return 0;
			reap(l);
		}
		for (int i = 0; i < l->nlisten; i++)
			if (l->pfd[1 + i].revents & POLLIN)
				pause |= !accept_some(l, l->pfd[1 + i].fd);
		summary(l);
	}
}

int
main(int argc, char **argv)
{
	static struct launcher l;
	long max = 1024, per_source = 64;
	sigset_t mask;
	int ch;

	log_init("mailproxy-accept");
	while ((ch = getopt(argc, argv, "+c:s:")) != -1) {
		switch (ch) {
		case 'c':
			max = number(optarg, 1, LAUNCHER_MAX);
			break;
		case 's':
			per_source = number(optarg, 0, LAUNCHER_MAX);
			break;
		default:
			usage();
		}
	}
	if (optind == argc || argv[optind][0] != '/')
		usage();	/* an absolute path: nothing is looked up in PATH */
	l.argv = argv + optind;
	l.per_source = (size_t)per_source;
	l.self = getpid();

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1 ||
	    (l.pfd[0].fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) == -1) {
		log_msg(MP_LOG_EMERG, "signalfd() failed (%d: %s)", errno, strerror(errno));
		return 111;
	}
	l.pfd[0].events = POLLIN;
	signal(SIGPIPE, SIG_IGN);	/* a gone journal costs a log line, not the launcher */
	if (take_sockets(&l) == -1)
		return 111;
	if (launcher_table_init(&l.tab, (size_t)max) == -1) {
		log_msg(MP_LOG_EMERG, "no memory for %ld sessions", max);
		return 111;
	}
	/* before the first accept: its list covers the sessions too, which
	 * inherit it (lib/base/sandbox.c, launcher_calls); no filter, no service */
	if (sandbox_enter(SANDBOX_LAUNCHER) == -1) {
		log_msg(MP_LOG_EMERG, "seccomp filter not installed (%d: %s)", errno, strerror(errno));
		return 111;
	}
	log_msg(MP_LOG_NOTICE, "serving %d sockets with %s: at most %ld sessions, %ld per "
	    "address (0: no bound); system call filter: %s", l.nlisten, l.argv[0], max,
	    per_source, sandbox_mode());
	return run(&l);
}
