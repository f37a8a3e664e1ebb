/* tls_start.c: hand the client socket to mailproxy-tls and continue over a
 * plaintext socketpair (see tls_start.h for the process shape), and the
 * configuration check of what libtls can express. Handler side: no libtls. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"
#include "libexec.h"
#include "log.h"
#include "tls_start.h"

static char *
unconst(const char *p)
{
	union { const char *c; char *m; } u = { .c = p };

	return u.m;
}

static int
same_file(int fd, const struct stat *st)
{
	struct stat f;

	return fstat(fd, &f) == 0 && f.st_dev == st->st_dev && f.st_ino == st->st_ino;
}

/* The parent: become mailproxy-tls with the client on 0 and the plaintext
 * end on 1. Never returns. */
static void
exec_tls(struct session *s, int client, int plain)
{
	char path[PATH_MAX], idx[32];
	char *argv[16];
	size_t ac = 0;
	struct stat cs;
	int null;

	libexec_path("mailproxy-tls", path, sizeof path);
	snprintf(idx, sizeof idx, "%td", s->srv - s->cf->servers);
	argv[ac++] = unconst("mailproxy-tls");
	argv[ac++] = unconst("-c"); argv[ac++] = unconst(s->cf->file);
	argv[ac++] = unconst("-s"); argv[ac++] = idx;
	argv[ac++] = unconst("-i"); argv[ac++] = unconst(log_session_id());
	argv[ac++] = unconst("-C"); argv[ac++] = unconst(s->conn->peer_ip);
	argv[ac++] = unconst("-S"); argv[ac++] = unconst(s->conn->local_text);
	argv[ac] = NULL;

	client = fcntl(client, F_DUPFD, 10);
	plain = fcntl(plain, F_DUPFD, 10);
	if (client == -1 || plain == -1 || dup2(client, 0) == -1 || dup2(plain, 1) == -1)
		goto fail;
	/* under inetd stderr may be the client socket: never log into TLS */
	if (fstat(0, &cs) == 0 && same_file(2, &cs) && (null = open("/dev/null", O_WRONLY)) >= 0) {
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	/* the raw call: musl has no wrapper */
	if (syscall(SYS_close_range, 3, ~0U, 0) == -1) {
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	}
	execv(path, argv);
fail:
	log_msg(MP_LOG_ALERT, "execv(\"%s\") failed: %s", path, strerror(errno));
	_exit(111);
}

/* Read exactly N bytes before DEADLINE. */
static int
read_exact(int fd, char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t r = io_read(fd, p, n, deadline);

		if (r <= 0)
			return r == 0 ? 0 : -1;
		p += r;
		n -= (size_t)r;
	}
	return 1;
}

int
session_start_tls(struct session *s, struct tls_info *out)
{
	static char frame[TLSD_REPORT_HDR + TLSD_REPORT_MAX];
	struct stat cs;
	int sp[2], fl, r;
	pid_t pid;
	long blen;
	int64_t deadline;

	if (fstat(s->cfd, &cs) == -1 || (fl = fcntl(s->cfd, F_GETFL)) == -1 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_msg(MP_LOG_ALERT, "socketpair() failed: %s", strerror(errno));
		return -1;
	}
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

	/* the child: every descriptor that was the client becomes the plaintext
	 * end (inetd gives the socket as 0 and 1, maybe 2: that one goes to null) */
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
	deadline = mp_now_ms() + s->srv->timeout_ms + 1000;
	r = read_exact(s->cfd, frame, TLSD_REPORT_HDR, deadline);
	if (r <= 0)
		goto fail;
	blen = tlsd_report_body_len(frame, TLSD_REPORT_HDR);
	if (blen < 0 || (r = read_exact(s->cfd, frame + TLSD_REPORT_HDR, (size_t)blen, deadline)) <= 0 ||
	    tlsd_report_parse(frame, TLSD_REPORT_HDR + (size_t)blen, out) == -1) {
		log_msg(MP_LOG_ALERT, "mailproxy-tls sent an invalid report");
		return -1;
	}
	s->tls = true;
	return 0;
fail:
	if (r == -1 && errno == ETIMEDOUT)
		log_msg(MP_LOG_INFO, "client timed out while SSL handshaking");
	return -1;
}

static int
unsupported(const struct mp_server *srv, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s is not supported by libtls in %s:%u", what, srv->file, srv->line);
	return -1;
}

int
tlsd_check_server(const struct mp_server *srv, char *err, size_t errlen)
{
	const struct mp_ssl *ssl = &srv->ssl;
	const struct mp_strlist *l[2] = { &ssl->certificate, &ssl->certificate_key };

	if (ssl->protocols & 3)
		return unsupported(srv, "\"ssl_protocols\" SSLv2/SSLv3", err, errlen);
	if ((ssl->protocols & (4 | 8 | 16 | 32)) == 0)
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
