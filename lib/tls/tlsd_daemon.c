/* SPDX-License-Identifier: ISC */
/* tlsd_daemon.c: the accept loop of mailproxy-tls -D.
 *
 * A mailproxy-tls executed per session pays, in every process, for OpenSSL's
 * start-up: libcrypto's relocations dirty ~400 KiB and the first SSL_CTX
 * builds an algorithm store of ~200 KiB more, per idle session, and the
 * exec and key load cost ~4 ms of CPU per connection (bench/README). The
 * daemon pays that once: it reads the configuration, builds every server's
 * context, and forks a child per session, whose pages stay shared with it
 * until written. The handler hands over the client socket and the plaintext
 * end (SCM_RIGHTS).
 *
 * Whoever may hand us a socket gets a TLS session on it served with the
 * server's key, and reads its plaintext: that is the key's whole power. So a
 * connection is served only when its peer (SO_PEERCRED, the credentials of
 * the process that connected) runs as our own uid, the handlers' user, or as
 * root; anyone else is logged and closed before the hello. The socket's mode
 * keeps them out too (mailproxy-tls.socket); this check does not rely on it.
 *
 * A request whose configuration digest differs from the daemon's is declined,
 * and the handler then starts its own mailproxy-tls, so a daemon that was not
 * restarted after an edit never serves a server with another server's
 * settings. The digest is a consistency check, not a secret: anyone can read
 * the configuration.
 *
 * SIGHUP (systemctl reload) makes the daemon read the configuration and every
 * certificate and key again: the next sessions get the new contexts, and a
 * live session keeps the ones it started with, in its own child. A reload
 * that fails keeps the old ones whole. A SIGHUP sent before a connection is
 * made is acted on before that connection is accepted, so a handler that
 * connects after the reload was asked for is served by the new settings.
 * systemd (Type=notify) is told READY, RELOADING, and in STATUS the number
 * of live sessions (tlsd_notify.c), at most once a second. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "tlsd_daemon.h"
#include "tlsd_notify.h"

/* the shortest time between two STATUS= messages: see tlsd_daemon_run */
#define TLSD_STATUS_USEC 1000000ULL

static volatile sig_atomic_t children_ended, reload_asked;
static sigset_t unblocked;	/* the mask from before, SIGCHLD and SIGHUP let through: in ppoll and in the children */
static long live;		/* children forked and not yet reaped: the live sessions */

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		children_ended = 1;
	else
		reload_asked = 1;
}

/* A SIGHUP still pending (ppoll returned with a connection and left it
 * blocked) is taken here, so that ppoll does not deliver it again, and
 * noted in reload_asked. */
static void
take_hup(void)
{
	sigset_t pend, hup;

	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	if (sigpending(&pend) == 0 && sigismember(&pend, SIGHUP) &&
	    sigtimedwait(&hup, NULL, &(struct timespec){ 0, 0 }) == SIGHUP)
		reload_asked = 1;
}

/* Wait for the children that ended: a session's own failures are logged by
 * its child, but a child killed by a signal (a crash, the OOM killer) could
 * not say so itself. */
static void
reap(void)
{
	int st;
	pid_t pid;

	children_ended = 0;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		live--;
		if (WIFSIGNALED(st))
			log_msg(MP_LOG_ALERT, "TLS session process %ld exited on signal %d",
			    (long)pid, WTERMSIG(st));
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 111)
			log_msg(MP_LOG_ALERT, "TLS session process %ld exited with code 111 (a system error, logged)",
			    (long)pid);
	}
}

/* The peer of connection C may hand us sessions: it runs as our uid or as
 * root. Else logged (pid, uid and gid, as the kernel gives them) and 0. */
static int
trusted(int c)
{
	struct ucred uc;
	socklen_t len = sizeof uc;

	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1 || len != sizeof uc) {
		log_msg(MP_LOG_ALERT, "getsockopt(SO_PEERCRED) failed (%d: %s): request refused",
		    errno, strerror(errno));
		return 0;
	}
	if (uc.uid == 0 || uc.uid == geteuid())
		return 1;
	log_msg(MP_LOG_WARN, "refused a request from pid %ld uid %lu gid %lu: only uid %lu "
	    "(this daemon's) and root may hand it sessions", (long)uc.pid, (unsigned long)uc.uid,
	    (unsigned long)uc.gid, (unsigned long)geteuid());
	return 0;
}

static void
answer(int c, const char *text)
{
	(void)send(c, text, strlen(text), MSG_NOSIGNAL);
}

/* The request and its two descriptors: 0, or -1 (answered here). Stray
 * descriptors are closed. */
static int
receive(int c, struct tlsd_req *req, int fds[2])
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cb;
	struct iovec iov = { req, sizeof *req };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
	    .msg_controllen = sizeof cb.buf };
	struct cmsghdr *cm;
	int nfds = 0;
	ssize_t n;

	fds[0] = fds[1] = -1;
	/* a handler sends its request with the connect, in one message: a peer
	 * that is silent for 100 ms is not one, and must not hold the loop */
	if (poll(&(struct pollfd){ .fd = c, .events = POLLIN }, 1, 100) != 1)
		n = -1;
	else
		n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	for (cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof fd, sizeof fd);
			if (nfds < 2)
				fds[nfds] = fd;
			else
				close(fd);
			nfds++;
		}
	}
	if (n == (ssize_t)sizeof *req && !(mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) && nfds == 2 &&
	    tlsd_req_check(req, sizeof *req) == 0)
		return 0;
	for (int i = 0; i < 2; i++)
		if (fds[i] != -1)
			close(fds[i]);
	answer(c, "N malformed request\n");
	return -1;
}

/* The child: the session on fds 0 and 1, under the handler's filter. */
static void
child(int lfd, int c, const int fds[2], size_t server, const struct tlsd_req *req,
    tlsd_serve_fn serve)
{
	close(lfd);
	close(c);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_IGN);	/* a reload is the daemon's: the session goes on */
	sigprocmask(SIG_SETMASK, &unblocked, NULL);
	if (dup2(fds[0], 0) == -1 || dup2(fds[1], 1) == -1)
		_exit(111);
	close(fds[0]);
	close(fds[1]);
	if (sandbox_enter(SANDBOX_HANDLER) == -1) {
		log_msg(MP_LOG_ALERT, "seccomp filter not installed (%d: %s)", errno, strerror(errno));
		_exit(111);
	}
	_exit(serve(server, req));
}

static void
one(int lfd, int c, const struct mp_conf *cf, const unsigned char *ready, tlsd_prefork_fn prefork,
    tlsd_serve_fn serve)
{
	struct tlsd_req req;
	char text[TLSD_ANSWER_MAX];
	int fds[2];
	pid_t pid;

	if (!trusted(c))
		return;		/* no hello: the handler's own mailproxy-tls serves, if it can */
	answer(c, TLSD_HELLO);
	if (receive(c, &req, fds) == -1)
		return;
	if (req.server >= cf->nservers || !ready[req.server]) {
		snprintf(text, sizeof text, "N no TLS server %u in %s\n", req.server, cf->file);
		answer(c, text);
	} else if (req.digest != cf->digest) {
		snprintf(text, sizeof text, "N the daemon read another version of %s: reload it\n",
		    cf->file);
		answer(c, text);
	} else {
		prefork();
		if ((pid = fork()) == 0)
			child(lfd, c, fds, req.server, &req, serve);
		if (pid == -1) {
			snprintf(text, sizeof text, "N fork() failed: %s\n", strerror(errno));
			answer(c, text);
		} else {
			live++;
			answer(c, "Y\n");
		}
	}
	close(fds[0]);
	close(fds[1]);
}

/* STATUS= for systemctl status: the servers, the live sessions and, after a
 * reload that failed, why (cut to fit one message). The reason may quote the
 * configuration ("unknown directive" and its name, which may hold a newline):
 * its control bytes become '?', so that it cannot end the line and set
 * another variable (READY=1, MAINPID=). */
static void
status(const struct mp_conf *cf, const unsigned char *ready, const char *failed, const char *extra)
{
	char why[201];
	size_t n = 0, i;

	for (i = 0; i < cf->nservers; i++)
		n += ready[i] != 0;
	for (i = 0; i + 1 < sizeof why && failed[i] != '\0'; i++)
		why[i] = (unsigned char)failed[i] < 0x20 || failed[i] == 0x7f ? '?' : failed[i];
	why[i] = '\0';
	tlsd_notify("%sSTATUS=TLS servers: %zu, live sessions: %ld%s%s", extra, n, live,
	    *why != '\0' ? "; the last reload failed, the previous settings stay: " : "", why);
}

int
tlsd_daemon_run(int lfd, const struct mp_conf *cf, const unsigned char *ready,
    tlsd_prefork_fn prefork, tlsd_serve_fn serve, tlsd_reload_fn reload)
{
	/* SIGCHLD and SIGHUP are blocked except inside ppoll, so a child's end
	 * or a reload can only interrupt the wait, never slip between the check
	 * and the wait */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_NOCLDSTOP };
	sigset_t block;
	char failed[1024] = "";
	long shown;
	unsigned long long sent;	/* when the last STATUS= went */

	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGHUP);
	if (sigaction(SIGCHLD, &sa, NULL) == -1 || sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigprocmask(SIG_BLOCK, &block, &unblocked) == -1) {
		log_msg(MP_LOG_EMERG, "signal set-up failed (%d: %s)", errno, strerror(errno));
		return -1;
	}
	sigdelset(&unblocked, SIGCHLD);
	sigdelset(&unblocked, SIGHUP);
	status(cf, ready, failed, "READY=1\n");
	shown = live;
	sent = tlsd_monotonic_usec();
	for (;;) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		struct timespec pause, *until = NULL;
		int c;

		if (children_ended)
			reap();
		if (reload_asked) {
			reload_asked = 0;
			tlsd_notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
			    tlsd_monotonic_usec(), cf->file);
			if (reload(&cf, &ready, failed, sizeof failed) == 0) {
				failed[0] = '\0';
				log_msg(MP_LOG_NOTICE, "reloaded %s: new sessions get its settings, "
				    "the %ld live ones keep theirs", cf->file, live);
			} else {
				log_msg(MP_LOG_ALERT, "reload failed, the previous settings stay in use: %s",
				    failed);
			}
			status(cf, ready, failed, "READY=1\n");
			shown = live;
			sent = tlsd_monotonic_usec();
		}
		/* the count changes with every session: each STATUS= is a message
		 * that PID 1 reads, so under load one a second at most, and the
		 * count of the moment once the sessions stop changing it */
		if (shown != live) {
			unsigned long long now = tlsd_monotonic_usec();

			if (now - sent >= TLSD_STATUS_USEC) {
				status(cf, ready, failed, "");
				shown = live;
				sent = now;
			} else {
				/* under a second, and above 0: tv_nsec stays below 10^9 */
				unsigned long long wait = TLSD_STATUS_USEC - (now - sent);

				pause.tv_sec = (time_t)(wait / 1000000);
				pause.tv_nsec = (long)(wait % 1000000) * 1000;
				until = &pause;
			}
		}
		if (ppoll(&pfd, 1, until, &unblocked) != 1)
			continue;	/* EINTR: a child ended, or a reload; 0: STATUS= is due */
		take_hup();
		if (reload_asked)
			continue;	/* before this connection: its handler gets the new settings */
		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c == -1) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				log_msg(MP_LOG_ALERT, "accept4() failed (%d: %s)", errno, strerror(errno));
				usleep(100 * 1000);
				continue;
			}
			log_msg(MP_LOG_EMERG, "accept4() failed (%d: %s)", errno, strerror(errno));
			return -1;
		}
		one(lfd, c, cf, ready, prefork, serve);
		close(c);
	}
}
