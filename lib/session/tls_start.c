/* SPDX-License-Identifier: ISC */
/* tls_start.c: hand the client socket to mailproxy-tls and continue over a
 * plaintext socketpair (see tls_start.h for the process shape), and the
 * configuration check of what libtls can express. Handler side: no libtls. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "libexec.h"
#include "log.h"
#include "sandbox.h"
#include "tls_start.h"
#include "tlsd_req.h"

static int
same_file(int fd, const struct stat *st)
{
	struct stat f;

	return fstat(fd, &f) == 0 && f.st_dev == st->st_dev && f.st_ino == st->st_ino;
}

void
tls_exec_init(struct tls_exec *x, const struct session *s, const char *mode)
{
	x->argc = 0;
	libexec_path("mailproxy-tls", x->path, sizeof x->path);
	snprintf(x->idx, sizeof x->idx, "%td", s->srv - s->cf->servers);
	/* the server index means something only in the files this process read */
	snprintf(x->digest, sizeof x->digest, "%016" PRIx64, s->cf->digest);
	x->argv[x->argc++] = libexec_arg("mailproxy-tls");
	if (mode != NULL)
		x->argv[x->argc++] = libexec_arg(mode);
	tls_exec_arg(x, "-c", s->cf->file);
	tls_exec_arg(x, "-s", x->idx);
	tls_exec_arg(x, "-d", x->digest);
	tls_exec_arg(x, "-i", log_session_id());
	tls_exec_arg(x, "-C", s->conn->peer_ip);
	tls_exec_arg(x, "-S", s->conn->local_text);
}

void
tls_exec_arg(struct tls_exec *x, const char *opt, const char *val)
{
	/* the callers' arguments are a fixed set: more is a bug here */
	if (x->argc + 3 > sizeof x->argv / sizeof x->argv[0])
		abort();
	x->argv[x->argc++] = libexec_arg(opt);
	x->argv[x->argc++] = libexec_arg(val);
	x->argv[x->argc] = NULL;
}

void
tls_exec(struct tls_exec *x, int net, int plain, const struct stat *client)
{
	int null;

	net = fcntl(net, F_DUPFD, 10);
	plain = fcntl(plain, F_DUPFD, 10);
	if (net == -1 || plain == -1 || dup2(net, 0) == -1 || dup2(plain, 1) == -1)
		goto fail;
	/* under inetd stderr may be the client socket: never log to the client */
	if (same_file(2, client) && (null = open("/dev/null", O_WRONLY)) >= 0) {
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	/* the raw call: musl has no wrapper */
	if (syscall(SYS_close_range, 3, ~0U, 0) == -1) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	}
	execv(sandbox_exec_path(x->path), x->argv);
fail:
	log_msg(MP_LOG_ALERT, "execv(\"%s\") failed: %s", x->path, strerror(errno));
	_exit(111);
}

/* The parent: become mailproxy-tls with the client on 0 and the plaintext
 * end on 1. Never returns. */
static void
exec_tls(struct session *s, int client, int plain)
{
	struct tls_exec x;
	struct stat cs;

	if (fstat(client, &cs) == -1) {
		log_msg(MP_LOG_ALERT, "fstat() failed: %s", strerror(errno));
		_exit(111);
	}
	tls_exec_init(&x, s, NULL);
	tls_exec(&x, client, plain, &cs);
}

/* Read one line (up to '\n') from FD before DEADLINE into BUF: its length,
 * or 0 when none came. */
static size_t
read_line(int fd, char *buf, size_t cap, int64_t deadline)
{
	size_t got = 0;

	while (got < cap - 1 && memchr(buf, '\n', got) == NULL) {
		ssize_t n = io_read(fd, buf + got, cap - 1 - got, deadline);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	return memchr(buf, '\n', got) != NULL ? got : 0;
}

/* Offer the client socket and the plaintext end PLAIN to a mailproxy-tls
 * daemon (tlsd_req.h): 1 a child of it has them now; 0 there is no daemon,
 * it did not greet us within a second (a daemon that cannot start leaves
 * connections queued until systemd gives up on it), or it declined: start
 * our own; -1 the descriptors were sent but no answer came, so nobody
 * knows who owns the client: close. Logged. */
static int
hand_to_daemon(struct session *s, int plain)
{
	const char *path = getenv("MAILPROXY_TLS_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct tlsd_req req;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(2 * sizeof(int))];
	} cb;
	struct iovec iov = { &req, sizeof req };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
	    .msg_controllen = sizeof cb.buf };
	struct cmsghdr *cm;
	char ans[TLSD_ANSWER_MAX + 1];
	int fd, fds[2] = { s->cfd, plain };
	ssize_t n;

	if (path == NULL)
		path = TLSD_SOCKET_PATH;
	if (*path == '\0' || strlen(path) >= sizeof sun.sun_path)
		return 0;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return 0;
	/* no daemon (ENOENT, ECONNREFUSED) or a full backlog (EAGAIN): our own process */
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return 0;
	}
	/* the descriptors leave only once the daemon has accepted us */
	if (read_line(fd, ans, sizeof ans, mp_now_ms() + (s->srv->timeout_ms < 1000 ?
	    s->srv->timeout_ms : 1000)) == 0 || strcmp(ans, TLSD_HELLO) != 0) {
		close(fd);
		log_msg(MP_LOG_WARN, "the mailproxy-tls daemon at %s did not greet: starting mailproxy-tls",
		    path);
		return 0;
	}
	memset(&req, 0, sizeof req);
	memcpy(req.magic, TLSD_REQ_MAGIC, sizeof TLSD_REQ_MAGIC);
	req.server = (uint32_t)(s->srv - s->cf->servers);
	req.digest = s->cf->digest;
	snprintf(req.sid, sizeof req.sid, "%s", log_session_id());
	snprintf(req.client, sizeof req.client, "%s", s->conn->peer_ip);
	snprintf(req.local, sizeof req.local, "%s", s->conn->local_text);
	memset(&cb, 0, sizeof cb);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(cm), fds, sizeof fds);
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		close(fd);	/* nothing left: the descriptors are still only ours */
		return 0;
	}
	n = (ssize_t)read_line(fd, ans, sizeof ans, mp_now_ms() + s->srv->timeout_ms);
	close(fd);
	if (n == 0) {
		log_msg(MP_LOG_ALERT, "the mailproxy-tls daemon at %s did not answer", path);
		return -1;
	}
	if (strcmp(ans, "Y\n") == 0)
		return 1;
	if (ans[0] != 'N') {
		log_msg(MP_LOG_ALERT, "the mailproxy-tls daemon at %s answered nonsense", path);
		return -1;
	}
	ans[strcspn(ans, "\n")] = '\0';
	log_msg(MP_LOG_WARN, "the mailproxy-tls daemon at %s declined (%s): starting mailproxy-tls",
	    path, ans + (ans[1] == ' ' ? 2 : 1));
	return 0;
}

int
tls_read_report(int fd, struct tls_info *out, int64_t deadline)
{
	/* one frame at a time: the client's report, later the backend's */
	static char frame[TLSD_REPORT_HDR + TLSD_REPORT_MAX];
	long blen;

	if (io_read_exact(fd, frame, TLSD_REPORT_HDR, deadline) == -1)
		return -1;
	blen = tlsd_report_body_len(frame, TLSD_REPORT_HDR);
	if (blen < 0 || io_read_exact(fd, frame + TLSD_REPORT_HDR, (size_t)blen, deadline) == -1 ||
	    tlsd_report_parse(frame, TLSD_REPORT_HDR + (size_t)blen, out) == -1) {
		log_msg(MP_LOG_ALERT, "mailproxy-tls sent an invalid report");
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int
session_start_tls(struct session *s, struct tls_info *out)
{
	struct stat cs;
	int sp[2], fl, r;
	pid_t pid;

	if (fstat(s->cfd, &cs) == -1 || (fl = fcntl(s->cfd, F_GETFL)) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_msg(MP_LOG_ALERT, "socketpair() failed: %s", strerror(errno));
		return -1;
	}
	r = hand_to_daemon(s, sp[0]);
	if (r == -1) {
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (r == 0) {
		pid = fork();
		if (pid == -1) {
			log_msg(MP_LOG_ALERT, "fork() failed: %s", strerror(errno));
			close(sp[0]);
			close(sp[1]);
			return -1;
		}
		if (pid > 0) {
			close(sp[1]);
			exec_tls(s, s->cfd, sp[0]);
		}
	}

	/* the handler (the child, or this process when a daemon took the client):
	 * every descriptor that was the client becomes the plaintext end (inetd
	 * gives the socket as 0 and 1, maybe 2: that one goes to null) */
	close(sp[0]);
	int fds[5] = { 0, 1, 2, 3, s->cfd };

	for (int i = 0; i < 5; i++) {
		int fd = fds[i], to = sp[1], null = -1;

		if (fd == sp[1] || !same_file(fd, &cs))
			continue;
		if (fd == 2 && fd != s->cfd) {
			if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
				_exit(111);
			to = null;
		}
		if (dup2(to, fd) == -1) {
			log_msg(MP_LOG_ALERT, "dup2() failed: %s", strerror(errno));
			_exit(111);
		}
		if (null != -1)
			close(null);
	}
	if (s->cfd != sp[1])
		close(sp[1]);
	if (fcntl(s->cfd, F_SETFL, fl) == -1)
		log_msg(MP_LOG_ALERT, "fcntl() failed: %s", strerror(errno));

	/* mailproxy-tls enforces `timeout` on the handshake and logs it; wait a
	 * little longer so that its line is the one that explains the end */
	if (tls_read_report(s->cfd, out, mp_now_ms() + s->srv->timeout_ms + 1000) == -1) {
		if (errno == ETIMEDOUT)
			log_msg(MP_LOG_INFO, "client timed out while SSL handshaking");
		return -1;
	}
	s->tls = true;
	return 0;
}

static int
unsupported(const struct mp_server *srv, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s is not supported by libtls in %s:%u", what, srv->file, srv->line);
	return -1;
}

int
tls_check_server(const struct mp_server *srv, char *err, size_t errlen)
{
	const struct mp_ssl *ssl = &srv->ssl;
	const struct mp_strlist *l[2] = { &ssl->certificate, &ssl->certificate_key };

	if (ssl->protocols & (MP_SSLv2 | MP_SSLv3))
		return unsupported(srv, "\"ssl_protocols\" SSLv2/SSLv3", err, errlen);
	if ((ssl->protocols & MP_TLS_ANY) == 0)
		return unsupported(srv, "\"ssl_protocols\" without a TLS version", err, errlen);
	if (ssl->certificate_compression)
		return unsupported(srv, "\"ssl_certificate_compression on\"", err, errlen);
	if (ssl->conf_command.n > 0)
		return unsupported(srv, "\"ssl_conf_command\"", err, errlen);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < l[k]->n; i++)
			if (strncmp(l[k]->v[i], "engine:", 7) == 0 || strncmp(l[k]->v[i], "store:", 6) == 0)
				return unsupported(srv, k ? "an \"engine:\"/\"store:\" key" :
				    "an \"engine:\"/\"store:\" certificate", err, errlen);
	if (ssl->verify_depth < 0)
		return unsupported(srv, "a negative \"ssl_verify_depth\"", err, errlen);
	return 0;
}
