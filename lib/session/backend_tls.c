/* SPDX-License-Identifier: ISC */
/* backend_tls.c: TLS to the backend, the handler's side: the choice per
 * user, the STARTTLS exchange in clear, the hand-off of the backend socket
 * to mailproxy-tls -U and its report (see backend_tls.h), and the -t check. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_tls.h"
#include "clock.h"
#include "io.h"
#include "log.h"
#include "sieve_backend.h"
#include "tls_report.h"
#include "tls_start.h"

bool
backend_tls_name_ok(const char *p, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i], l = c | 0x20;

		if (!((l >= 'a' && l <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' || c == ':'))
			return false;
	}
	return true;
}

static bool
span_is(const struct auth_reply *r, struct auth_span v, const char *want)
{
	return v.len == strlen(want) && strncasecmp(auth_span_ptr(r, v), want, v.len) == 0;
}

int
backend_tls_choose(struct session *s, const struct auth_reply *r)
{
	const struct mp_proxy_tls *pt = &s->srv->ptls;
	const char *name = pt->name;

	s->btls = pt->mode;
	s->btls_verify = pt->verify;
	if (r->backend_tls.len > 0) {
		if (span_is(r, r->backend_tls, "off"))
			s->btls = MP_PROXY_SSL_OFF;
		else if (span_is(r, r->backend_tls, "on"))
			s->btls = MP_PROXY_SSL_ON;
		else if (span_is(r, r->backend_tls, "starttls"))
			s->btls = MP_PROXY_SSL_STARTTLS;
		else
			goto bad;
	}
	if (r->backend_tls_verify.len > 0) {
		if (span_is(r, r->backend_tls_verify, "on"))
			s->btls_verify = true;
		else if (span_is(r, r->backend_tls_verify, "off"))
			s->btls_verify = false;
		else
			goto bad;
	}
	if (r->backend_tls_name.len > 0) {
		if (!backend_tls_name_ok(auth_span_ptr(r, r->backend_tls_name), r->backend_tls_name.len))
			goto bad;
		memcpy(s->btls_name, auth_span_ptr(r, r->backend_tls_name), r->backend_tls_name.len);
		s->btls_name[r->backend_tls_name.len] = '\0';
		return 0;
	}
	if (name != NULL) {
		snprintf(s->btls_name, sizeof s->btls_name, "%s", name);
		return 0;
	}
	/* nginx's default, $proxy_host: here the address Auth-Server gave */
	if (s->upstream.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&s->upstream)->sin_addr, s->btls_name,
		    sizeof s->btls_name);
	else if (s->upstream.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&s->upstream)->sin6_addr, s->btls_name,
		    sizeof s->btls_name);
	else
		s->btls_name[0] = '\0';	/* a unix socket: there is no name to check */
	return 0;
bad:
	log_msg(MP_LOG_ERR, "auth http server %s sent an invalid Auth-Backend-TLS* header",
	    s->srv->auth_http.text);
	return -1;
}

/* ---- STARTTLS in clear --------------------------------------------------- */

static bool
starts(const struct backend_buf *b, size_t off, const char *s, size_t n)
{
	return b->len - off >= n && memcmp(b->p + off, s, n) == 0;
}

/* An EHLO reply that lists the STARTTLS keyword on one of its lines. */
static bool
ehlo_starttls(const char *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; ) {
		const char *e = memchr(p + i, '\n', n - i);
		size_t end = e != NULL ? (size_t)(e - p) : n, k = end;

		while (k > i && (p[k - 1] == '\r' || p[k - 1] == ' '))
			k--;
		if (k - i == 12 && strncasecmp(p + i + 4, "STARTTLS", 8) == 0)
			return true;
		i = end + 1;
	}
	return false;
}

/* A ManageSieve response whose last line is OK, and a capability list
 * (RFC 5804 1.7) with a "STARTTLS" line. */
static bool
sieve_ok(const char *p, size_t n)
{
	size_t i = n >= 2 ? n - 2 : 0;

	while (i > 0 && p[i - 1] != '\n')
		i--;
	return n - i >= 2 && strncasecmp(p + i, "OK", 2) == 0;
}

static bool
sieve_starttls(const char *p, size_t n)
{
	for (size_t i = 0; i < n; ) {
		const char *e = memchr(p + i, '\n', n - i);
		size_t end = e != NULL ? (size_t)(e - p) : n;

		if (end - i >= 10 && strncasecmp(p + i, "\"STARTTLS\"", 10) == 0 &&
		    (end - i == 10 || p[i + 10] == '\r'))
			return true;
		i = end + 1;
	}
	return false;
}

/* Send the C string CMD, read the reply framed by FRAME into R. */
static enum backend_result
ask(struct session *s, const char *a, const char *b, const char *c, backend_frame_fn *frame,
    struct backend_buf *r)
{
	struct iovec iov[3] = { backend_iov(a, strlen(a)), backend_iov(b, strlen(b)),
	    backend_iov(c, strlen(c)) };
	enum backend_result rc = backend_send(s->bfd, iov, 3, s->deadline);

	return rc == BACKEND_OK ? backend_read_reply(s->bfd, frame, NULL, r, s->deadline) : rc;
}

/* The reply R without its line end, for a log line. */
static int
shown(const struct backend_buf *r)
{
	size_t n = r->len;

	while (n > 0 && (r->p[n - 1] == '\n' || r->p[n - 1] == '\r'))
		n--;
	return n > 512 ? 512 : (int)n;
}

static int
refused(struct backend_buf *r, const char *what)
{
	log_msg(MP_LOG_ERR, "upstream %s: \"%.*s\"", what, shown(r), r->p);
	return -1;
}

/* The exchange up to the handshake; the greeting stays at the start of B
 * for the dialogue after it. 0, or -1 logged. */
static int
starttls(struct session *s, struct backend_buf *b)
{
	int proto = s->proto->id;
	backend_frame_fn *frame = proto == MP_PROTO_SMTP ? backend_frame_smtp :
	    proto == MP_PROTO_SIEVE ? sieve_backend_frame : backend_frame_line;
	struct backend_buf r;
	enum backend_result rc;
	char tag[sizeof s->tag + 1];
	ssize_t n;
	char c;

	log_set_action("reading response from upstream");
	rc = backend_read_reply(s->bfd, frame, NULL, b, s->deadline);
	if (rc == BACKEND_OK && (proto == MP_PROTO_SIEVE ? !sieve_ok(b->p, b->len) :
	    !starts(b, 0, proto == MP_PROTO_IMAP ? "* OK" : proto == MP_PROTO_POP3 ? "+OK" : "220",
	    proto == MP_PROTO_IMAP ? 4 : 3)))
		rc = BACKEND_REJECTED;
	if (rc != BACKEND_OK) {
		backend_log_result(rc, b, false);
		return -1;
	}
	r = (struct backend_buf){ b->p + b->len, b->cap - b->len, 0 };
	switch (proto) {
	case MP_PROTO_IMAP:
		memcpy(tag, s->tag, s->taglen);
		tag[s->taglen] = '\0';
		rc = ask(s, tag, "STARTTLS", "\r\n", frame, &r);
		if (rc == BACKEND_OK && !(starts(&r, 0, tag, s->taglen) && starts(&r, s->taglen, "OK", 2)))
			return refused(&r, "does not support STARTTLS");
		break;
	case MP_PROTO_SIEVE:
		if (!sieve_starttls(b->p, b->len))
			return refused(b, "does not offer STARTTLS");
		rc = ask(s, "STARTTLS", "", "\r\n", frame, &r);
		if (rc == BACKEND_OK && !sieve_ok(r.p, r.len))
			return refused(&r, "does not support STARTTLS");
		break;
	case MP_PROTO_POP3:
		rc = ask(s, "STLS", "", "\r\n", frame, &r);
		if (rc == BACKEND_OK && !starts(&r, 0, "+OK", 3))
			return refused(&r, "does not support STLS");
		break;
	default:
		rc = ask(s, "EHLO ", s->srv->server_name, "\r\n", frame, &r);
		if (rc == BACKEND_OK && !starts(&r, 0, "250", 3))
			return refused(&r, "sent invalid response");
		if (rc == BACKEND_OK && !ehlo_starttls(r.p, r.len))
			return refused(&r, "does not offer STARTTLS");
		if (rc == BACKEND_OK)
			rc = ask(s, "STARTTLS", "", "\r\n", frame, &r);
		if (rc == BACKEND_OK && !starts(&r, 0, "220", 3))
			return refused(&r, "does not support STARTTLS");
		break;
	}
	if (rc != BACKEND_OK) {
		backend_log_result(rc, &r, false);
		return -1;
	}
	/* anything behind the reply came before the handshake: not the
	 * backend's to say inside TLS, and maybe not the backend's at all */
	do
		n = recv(s->bfd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		log_msg(MP_LOG_ERR, "upstream sent data after its STARTTLS reply: TLS refused");
		return -1;
	}
	if (n == 0) {
		log_msg(MP_LOG_ERR, "upstream prematurely closed connection");
		return -1;
	}
	/* ManageSieve sends its capabilities again inside TLS (RFC 5804 2.2):
	 * the dialogue reads those; the others' greeting starts it */
	if (proto != MP_PROTO_SIEVE)
		backend_hold_reply(b->len);
	return 0;
}

/* ---- mailproxy-tls -U ---------------------------------------------------- */

/* The parent: become mailproxy-tls -U with the backend on 0 and the
 * plaintext end on 1. Never returns. */
static void
exec_upstream(struct session *s, int backend, int plain, const struct stat *client)
{
	struct tls_exec x;
	char login[512];

	tls_exec_init(&x, s, "-U");
	tls_exec_arg(&x, "-P", s->upstream_text);
	/* cut as the relay gets it; the log escapes it */
	snprintf(login, sizeof login, "%.*s", (int)(s->loginlen < 500 ? s->loginlen : 500), s->login);
	tls_exec_arg(&x, "-l", login);
	tls_exec_arg(&x, "-n", s->btls_name);
	tls_exec_arg(&x, "-V", s->btls_verify ? "1" : "0");
	tls_exec(&x, backend, plain, client);
}

static int
spawn(struct session *s)
{
	static struct tls_info ti;
	struct stat client;
	int sp[2];
	pid_t pid;

	if (fstat(s->cfd, &client) == -1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_msg(MP_LOG_ALERT, "socketpair() failed: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_msg(MP_LOG_ALERT, "fork() failed: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	if (pid > 0) {
		close(sp[1]);
		exec_upstream(s, s->bfd, sp[0], &client);
	}
	close(sp[0]);
	close(s->bfd);
	s->bfd = sp[1];
	if (io_set_nonblock(s->bfd, 1) == -1) {
		log_msg(MP_LOG_ALERT, "fcntl() failed: %s", strerror(errno));
		return -1;
	}
	/* mailproxy-tls bounds the handshake by `timeout` and logs a failure:
	 * then it closes, and there is nothing to add here */
	if (tls_read_report(s->bfd, &ti, s->deadline + 1000) == -1)
		return -1;
	log_msg(MP_LOG_DEBUG, "upstream TLS: %s, %s", ti.protocol, ti.cipher);
	return 0;
}

int
backend_tls_start(struct session *s, struct backend_buf *b)
{
	if (s->btls == MP_PROXY_SSL_OFF)
		return 0;
	if (s->btls == MP_PROXY_SSL_STARTTLS && starttls(s, b) == -1)
		return -1;
	log_set_action("SSL handshaking to upstream");
	if (spawn(s) == -1)
		return -1;
	log_set_action("reading response from upstream");
	return 0;
}

/* ---- mailproxy -t -------------------------------------------------------- */

int
backend_tls_check(const struct mp_server *srv, char *err, size_t errlen)
{
	const struct mp_proxy_tls *pt = &srv->ptls;
	FILE *f;

	if (pt->certificate != NULL && pt->certificate_key == NULL) {
		snprintf(err, errlen, "no \"proxy_ssl_certificate_key\" is defined for certificate \"%s\" "
		    "in %s:%u", pt->certificate, srv->file, srv->line);
		return -1;
	}
	if (pt->certificate == NULL && pt->certificate_key != NULL) {
		snprintf(err, errlen, "no \"proxy_ssl_certificate\" is defined for key \"%s\" in %s:%u",
		    pt->certificate_key, srv->file, srv->line);
		return -1;
	}
	if (pt->protocols & 3) {
		snprintf(err, errlen, "\"proxy_ssl_protocols\" SSLv2/SSLv3 is not supported by libtls "
		    "in %s:%u", srv->file, srv->line);
		return -1;
	}
	if (pt->name != NULL && !backend_tls_name_ok(pt->name, strlen(pt->name))) {
		snprintf(err, errlen, "invalid \"proxy_ssl_name\" \"%s\" in %s:%u", pt->name, srv->file,
		    srv->line);
		return -1;
	}
	/* nginx loads it at start; the CA file is no secret, the handler may open it */
	if (pt->trusted_certificate != NULL) {
		if ((f = fopen(pt->trusted_certificate, "re")) == NULL) {
			snprintf(err, errlen, "cannot open \"proxy_ssl_trusted_certificate\" \"%s\" (%d: %s) "
			    "in %s:%u", pt->trusted_certificate, errno, strerror(errno), srv->file, srv->line);
			return -1;
		}
		fclose(f);
	}
	return 0;
}
