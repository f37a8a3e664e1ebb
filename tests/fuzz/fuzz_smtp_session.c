/* SPDX-License-Identifier: ISC */
/* fuzz_smtp_session.c: libFuzzer target for the SMTP front end end to end:
 * smtp_serve() runs a whole client session over a socketpair, with the
 * real parser, state machine, SASL steps, auth request builder
 * (auth_http_build) and backend login (smtp_backend_login). This file
 * replaces, at link time, the four functions that leave the process:
 *   auth_http_query          checks the request, answers from a script
 *   session_connect_backend  a socketpair whose peer holds scripted replies
 *   session_exec_relay       checks the hand-off and returns as on failure
 *   session_tls              STARTTLS without a handshake: TLS is "on"
 * and nanosleep on the session's thread (Auth-Wait delays take no time).
 * The archive members that define the real ones (auth_http_transport.o,
 * handoff.o, session_tls.o) are then never linked.
 *
 * Input: three option bytes, then the client's byte stream, written into
 * the socket at once and closed (so everything is pipelined). The stream
 * may hold the separator "\n--tls--\n": what follows it is what the client
 * sends once TLS is up, on the new socket session_tls() puts in place (as
 * mailproxy-tls does), so bytes pipelined behind STARTTLS are still lost.
 *   opt[0] bits 0-2 configuration (confs[] below), bit 3 the backend
 *          refuses its last step, bit 4 the client is IPv6
 *   opt[1..2] the auth server's answers, 3 bits per request, in turn
 *          (answer_text below); the 6th request answers like the 1st
 *
 * Invariants (abort on failure):
 *   - the request is CRLF lines of "Name: value" with known names, ends
 *     with the empty line, and no CR or LF is inside a value;
 *   - Auth-User and Auth-Pass are escaped, decode to at most the session's
 *     credential bound, and are empty with Auth-Method: none;
 *   - Auth-SMTP-* go with "none" only; the attempt number never decreases;
 *   - the backend is connected only after an OK, gets only CRLF lines that
 *     hold no other CR or LF and fit the bound, XCLIENT only with xclient
 *     on, XCLIENT LOGIN= and AUTH PLAIN only for a login the auth server
 *     accepted (its own Auth-User, or the user of a non-"none" request it
 *     answered OK) and holding that login whole (no NUL, which AUTH PLAIN
 *     takes as a separator and Postfix's XCLIENT as the end), MAIL/RCPT
 *     only after a "none" request;
 *   - the client's replies are CRLF lines "ddd " or "ddd-";
 *   - the pipelined bytes handed to the relay fit the client buffer.
 * FUZZ_TRACE=1 in the environment prints each auth request, the replies and
 * what the backend got, to read a finding. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "auth_http.h"
#include "base64.h"
#include "conf_int.h"
#include "session.h"
#include "smtp.h"
#include "tlsd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOPT 3
#define INPUT_MAX 32768		/* what one socket write takes without a reader */
#define REPLIES_MAX 262144
#define BACKEND_MAX 65536

/* An invariant failed: name its line, for the finding's report. */
static void
fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_smtp_session.c:%d: invariant failed: %s\n", line, what);
	abort();
}
#define check(c) ((c) ? (void)0 : fail(__LINE__, #c))

/* Fixed configurations: smtp_auth with and without none, xclient and
 * proxy_smtp_auth on and off, a small client buffer, STARTTLS. */
#define MAIL_HEAD "mail { server_name mx.fuzz.test; auth_http 127.0.0.1:9/auth; " \
    "server { listen 127.0.0.1:25; protocol smtp; "
#define MAIL_TAIL " } }"
#define TLS_FILES " ssl_certificate /nonexistent/c.pem; ssl_certificate_key /nonexistent/k.pem;"
static const char *const confs[8] = {
	MAIL_HEAD "smtp_auth login plain none; xclient on; proxy_smtp_auth off;" MAIL_TAIL,
	MAIL_HEAD "smtp_auth login plain none; xclient off; proxy_smtp_auth on;" MAIL_TAIL,
	MAIL_HEAD "smtp_auth none; xclient on; proxy_smtp_auth on;" MAIL_TAIL,
	MAIL_HEAD "smtp_auth plain login cram-md5 external xoauth2 oauthbearer; xclient on;"
	    " auth_http_header X-Fuzz yes;" MAIL_TAIL,
	MAIL_HEAD "smtp_auth plain login cram-md5 external none; xclient on;"
	    " proxy_smtp_auth on; smtp_capabilities PIPELINING 8BITMIME;" MAIL_TAIL,
	MAIL_HEAD "smtp_auth none plain oauthbearer; xclient off; smtp_client_buffer 128;"
	    " max_errors 20;" MAIL_TAIL,
	MAIL_HEAD "smtp_auth cram-md5 login none; starttls on;" TLS_FILES MAIL_TAIL,
	MAIL_HEAD "smtp_auth plain external none; starttls only; xclient on;"
	    " proxy_smtp_auth off;" TLS_FILES MAIL_TAIL,
};

static struct mp_conf cfs[8];
static bool loaded;
static pthread_t main_thread;
static bool trace;		/* FUZZ_TRACE=1: print what each side got */

static void
show(const char *what, const char *p, size_t n)
{
	if (trace)
		fprintf(stderr, "--- %s (%zu bytes)\n%.*s\n", what, n, (int)n, p);
}

/* What the auth server says to the k-th request of a session. */
enum answer {
	A_OK, A_OK2, A_OK_RENAME, A_FAIL_WAIT, A_FAIL_CLOSE, A_WAIT, A_NO_SERVER, A_FAIL_CODE
};
static const char *const answer_text[8] = {
	"Auth-Status: OK\r\nAuth-Server: 127.0.0.1\r\nAuth-Port: 2525\r\n",
	"Auth-Status: OK\r\nAuth-Server: ::1\r\nAuth-Port: 25\r\n",
	("Auth-Status: OK\r\nAuth-Server: 127.0.0.1\r\nAuth-Port: 25\r\n"
	    "Auth-User: renamed+user=1\r\nAuth-Pass: from-auth\r\n"),
	/* Auth-Error-SASL counts for XOAUTH2 and OAUTHBEARER only */
	"Auth-Status: Invalid login\r\nAuth-Wait: 1\r\nAuth-Error-SASL: eyJzdGF0dXMiOiI0MDEifQ==\r\n",
	"Auth-Error-SASL: eyJzdGF0dXMiOiI0MDEifQ==\r\nAuth-Status: Invalid login\r\n",
	"Auth-Status: WAIT\r\nAuth-Wait: 1\r\n",
	"Auth-Status: OK\r\n",
	"Auth-Status: Try later\r\nAuth-Error-Code: 451 4.3.0\r\nAuth-Wait: 2\r\n"
	    "Auth-Error-SASL: not base64\r\n",
};
#define RENAMED "renamed+user=1"

/* The replies: the client's end is read until EOF, then the end that
 * replaced it at STARTTLS, if any. The session's end gets a send buffer
 * that holds every reply (SO_SNDBUFFORCE, root), so they are read after
 * the session; without that privilege a thread reads them meanwhile, which
 * costs a thread and its wake-ups per run. */
struct drain {
	int fd;
	int next_fd;		/* set before the old end closes */
	char *buf;
	size_t len;
};

static bool
big_sndbuf(int fd)
{
	int size = 32 * 1024 * 1024;

	return setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) == 0;
}

/* One session's record. */
static struct {
	const struct mp_server *srv;
	uint8_t opt[NOPT];
	unsigned nreq;
	unsigned last_attempt;
	bool in_session;
	bool ok;			/* the last request was answered OK */
	bool ok_none;			/* ... and it was a "none" request */
	char accepted[4096];		/* the login that OK accepted */
	size_t acceptedlen;
	bool connected, relayed;
	int bpeer;			/* the backend's end of the socketpair */
	size_t credcap;
	struct tls_info ti;
	const uint8_t *after_tls;	/* the client's bytes once TLS is up */
	size_t nafter_tls;
	struct drain *drain;
} R;

/* ---- the auth request --------------------------------------------------- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* NGX_ESCAPE_MAIL_AUTH undone; the value must be escaped as sent. */
static size_t
unescape(const char *v, size_t n, char *out, size_t cap)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		check(c > 0x20);
		if (c == '%') {
			check(n - i >= 3);
			check(hexval(v[i + 1]) >= 0 && hexval(v[i + 2]) >= 0);
			c = (unsigned char)(hexval(v[i + 1]) * 16 + hexval(v[i + 2]));
			check(c <= 0x20 || c == '%');
			i += 2;
		}
		check(w < cap);
		out[w++] = (char)c;
	}
	return w;
}

static const char *const known_headers[] = {
	"Host", "Auth-Method", "Auth-User", "Auth-Pass", "Auth-Salt", "Auth-Protocol",
	"Auth-Login-Attempt", "Client-IP", "Client-Host", "Auth-SMTP-Helo", "Auth-SMTP-From",
	"Auth-SMTP-To", "Auth-SSL", "Auth-SSL-Protocol", "Auth-SSL-Cipher", "Auth-SSL-Verify",
	"Auth-SSL-Subject", "Auth-SSL-Issuer", "Auth-SSL-Serial", "Auth-SSL-Fingerprint",
	"Auth-SSL-Cert", "X-Fuzz",
};

static bool
known(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof known_headers / sizeof known_headers[0]; i++)
		if (strlen(known_headers[i]) == n && memcmp(known_headers[i], name, n) == 0)
			return true;
	return false;
}

struct reqinfo {
	const char *method; size_t methodlen;
	char user[4096]; size_t userlen;
	char pass[4096]; size_t passlen;
	unsigned attempt;
	bool smtp_headers;
};

static bool
is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

static void
check_request(const char *req, size_t len, struct reqinfo *ri)
{
	static const char first[] = "GET /auth HTTP/1.0\r\n";
	size_t pos = sizeof first - 1;
	bool seen_method = false, seen_user = false, seen_pass = false, end = false;

	memset(ri, 0, sizeof *ri);
	check(len <= AUTH_HTTP_REQ_SIZE(16384));
	check(len > pos && memcmp(req, first, pos) == 0);
	while (pos < len) {
		const char *line = req + pos, *crlf = NULL, *colon;
		size_t n, namelen;

		for (size_t i = pos; i + 1 < len; i++)
			if (req[i] == '\r' && req[i + 1] == '\n') {
				crlf = req + i;
				break;
			}
		check(crlf != NULL);
		n = (size_t)(crlf - line);
		pos += n + 2;
		/* no bare CR or LF, no NUL inside a line */
		check(memchr(line, '\r', n) == NULL && memchr(line, '\n', n) == NULL);
		check(memchr(line, '\0', n) == NULL);
		if (n == 0) {
			end = true;
			break;
		}
		colon = memchr(line, ':', n);
		check(colon != NULL && (size_t)(colon - line) + 1 < n + 1);
		namelen = (size_t)(colon - line);
		check(known(line, namelen));
		check(namelen + 1 == n || colon[1] == ' ');
		{
			const char *v = namelen + 1 == n ? colon + 1 : colon + 2;
			size_t vn = n - (size_t)(v - line);

			if (is(line, namelen, "Auth-Method")) {
				ri->method = v;
				ri->methodlen = vn;
				seen_method = true;
			} else if (is(line, namelen, "Auth-User")) {
				ri->userlen = unescape(v, vn, ri->user, R.credcap);
				seen_user = true;
			} else if (is(line, namelen, "Auth-Pass")) {
				ri->passlen = unescape(v, vn, ri->pass, R.credcap);
				seen_pass = true;
			} else if (is(line, namelen, "Auth-Login-Attempt")) {
				ri->attempt = (unsigned)strtoul(v, NULL, 10);
			} else if (namelen > 10 && memcmp(line, "Auth-SMTP-", 10) == 0) {
				ri->smtp_headers = true;
			}
		}
	}
	check(end && pos == len);
	check(seen_method && seen_user && seen_pass);
	check(ri->attempt >= 1 && ri->attempt >= R.last_attempt);
	R.last_attempt = ri->attempt;
	check(is(ri->method, ri->methodlen, "plain") || is(ri->method, ri->methodlen, "cram-md5") ||
	    is(ri->method, ri->methodlen, "external") || is(ri->method, ri->methodlen, "none") ||
	    is(ri->method, ri->methodlen, "xoauth2") || is(ri->method, ri->methodlen, "oauthbearer"));
	if (is(ri->method, ri->methodlen, "none")) {
		/* the issue-11 rule: a "none" request names nobody */
		check(ri->userlen == 0);
		check(ri->passlen == 0);
		check(ri->smtp_headers);
	} else {
		check(!ri->smtp_headers);
	}
}

static struct reqinfo ri;

int
auth_http_query(const struct mp_server *srv, const char *req, size_t reqlen,
    struct auth_reply *out, char *why, size_t whylen)
{
	unsigned script = (unsigned)R.opt[1] | (unsigned)R.opt[2] << 8;
	enum answer a = (enum answer)(script >> (3 * (R.nreq % 5)) & 7);
	char reply[1024];
	int n;

	(void)srv;
	check(whylen > 0);
	why[0] = '\0';
	show("auth request", req, reqlen);
	check_request(req, reqlen, &ri);
	R.nreq++;
	R.ok = a == A_OK || a == A_OK2 || a == A_OK_RENAME;
	R.ok_none = R.ok && is(ri.method, ri.methodlen, "none");
	R.acceptedlen = 0;
	if (a == A_OK_RENAME) {
		memcpy(R.accepted, RENAMED, sizeof RENAMED - 1);
		R.acceptedlen = sizeof RENAMED - 1;
	} else if (R.ok && !R.ok_none) {
		memcpy(R.accepted, ri.user, ri.userlen);
		R.acceptedlen = ri.userlen;
	}
	n = snprintf(reply, sizeof reply, "HTTP/1.0 200 OK\r\n%s\r\n", answer_text[a]);
	auth_reply_init(out);
	check(auth_reply_feed(out, reply, (size_t)n) == AUTH_R_DONE);
	return AUTH_T_OK;
}

/* ---- the backend -------------------------------------------------------- */

int
session_connect_backend(struct session *s)
{
	const struct mp_server *srv = s->srv;
	char script[512];
	size_t n = 0;
	int sv[2];
	bool none = s->method == METHOD_NONE;

	check(R.ok && !R.connected);
	check(s->bfd == -1);
	R.connected = true;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	s->bfd = sv[0];
	R.bpeer = sv[1];
	/* the replies the login will need, in order; the last one refused if asked */
#define ADD(str) do { memcpy(script + n, str, sizeof(str) - 1); n += sizeof(str) - 1; } while (0)
	ADD("220 backend ESMTP\r\n");
	ADD("250-backend\r\n250 PIPELINING\r\n");
	if (srv->xclient) {
		ADD("220 backend ESMTP\r\n");
		if (s->smtp_helolen > 0)
			ADD("250 backend\r\n");
	}
	if (none) {
		ADD("250 2.1.0 Ok\r\n");
		if (R.opt[0] & 8)
			ADD("554 5.7.1 Relay access denied\r\n");
		else
			ADD("250 2.1.5 Ok\r\n");
	} else if (srv->proxy_smtp_auth) {
		if (R.opt[0] & 8)
			ADD("535 5.7.8 Error: authentication failed\r\n");
		else
			ADD("235 2.7.0 Authentication successful\r\n");
	}
#undef ADD
	check(write(R.bpeer, script, n) == (ssize_t)n);
	return 0;
}

int
session_exec_relay(struct session *s, const char *pending, size_t npending)
{
	check(R.connected && !R.relayed);
	check(npending <= s->cap);
	check(npending == 0 || pending != NULL);
	R.relayed = true;
	errno = ENOEXEC;
	return -1;
}

/* The handshake "succeeds": the session's plaintext side is a new socket
 * that carries what the client sends after TLS. */
int
session_tls(struct session *s)
{
	int sv[2];

	check(!s->tls);
	check(s->len == 0);	/* nothing read before TLS survives it */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	(void)big_sndbuf(sv[0]);
	if (R.nafter_tls > 0 && write(sv[1], R.after_tls, R.nafter_tls) != (ssize_t)R.nafter_tls)
		abort();
	shutdown(sv[1], SHUT_WR);
	R.nafter_tls = 0;
	__atomic_store_n(&R.drain->next_fd, sv[1], __ATOMIC_RELEASE);
	close(s->cfd);
	s->cfd = sv[0];
	s->tls = true;
	s->tlsinfo = &R.ti;
	return 0;
}

/* Auth-Wait and WAIT delays, on the session's thread only: the others
 * (libFuzzer's own) sleep for real. */
int
nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (R.in_session && pthread_equal(pthread_self(), main_thread))
		return 0;
	return (int)syscall(SYS_nanosleep, req, rem);
}

static size_t
xtext_decode(const char *p, size_t n, char *out, size_t cap)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		check(c > ' ' && c <= '~' && c != '=');
		if (c == '+') {
			check(n - i >= 3 && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0);
			c = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 2;
		}
		check(w < cap);
		out[w++] = c;
	}
	return w;
}

/* XCLIENT ADDR=... [LOGIN=...] NAME=...: the LOGIN value, if any. */
static void
check_xclient(const char *line, size_t n)
{
	static char dec[4096];
	const char *p = line, *end = line + n;
	bool login = false;

	check(R.srv->xclient);
	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		const char *w = sp ? sp + 1 : end;

		if (sp == NULL)
			break;
		p = w;
		if ((size_t)(end - p) >= 6 && memcmp(p, "LOGIN=", 6) == 0) {
			const char *v = p + 6, *ve = memchr(v, ' ', (size_t)(end - v));
			size_t dn;

			if (ve == NULL)
				ve = end;
			check(!login);
			login = true;
			dn = xtext_decode(v, (size_t)(ve - v), dec, sizeof dec);
			/* only a login the auth server accepted */
			check(!R.srv->proxy_smtp_auth);
			check(R.acceptedlen > 0);
			check(dn == R.acceptedlen && memcmp(dec, R.accepted, dn) == 0);
			/* Postfix decodes it to a C string: a NUL would cut it short */
			check(memchr(dec, '\0', dn) == NULL);
		}
	}
}

static void
check_auth_plain(const char *b64, size_t n)
{
	static char dec[16384];
	size_t dn;
	const char *nul;

	check(R.srv->proxy_smtp_auth && !R.ok_none);
	check(base64_decode(dec, sizeof dec, b64, n, &dn) == 0);
	check(dn >= 2 && dec[0] == '\0');
	nul = memchr(dec + 1, '\0', dn - 1);
	check(nul != NULL);
	/* the login is the whole field between the two NULs */
	check((size_t)(nul - dec - 1) == R.acceptedlen &&
	    memcmp(dec + 1, R.accepted, R.acceptedlen) == 0);
}

/* The line at *POS of P (LEN bytes), which must end in CRLF: its start, its
 * length without the CRLF in *N; *POS moves past it. */
static const char *
crlf_line(const char *p, size_t len, size_t *pos, size_t *n)
{
	const char *line = p + *pos, *lf = memchr(line, '\n', len - *pos);

	check(lf != NULL && lf > line && lf[-1] == '\r');
	*n = (size_t)(lf - line) - 1;
	*pos += *n + 2;
	return line;
}

static void
check_backend(const char *p, size_t len)
{
	size_t pos = 0, bound = 4 * R.credcap + 512;

	while (pos < len) {
		size_t n;
		const char *line = crlf_line(p, len, &pos, &n);

		check(n <= bound);
		check(memchr(line, '\r', n) == NULL && memchr(line, '\0', n) == NULL);
		if (n >= 5 && (memcmp(line, "EHLO ", 5) == 0 || memcmp(line, "HELO ", 5) == 0))
			continue;
		if (n >= 8 && memcmp(line, "XCLIENT ", 8) == 0) {
			check_xclient(line, n);
		} else if (n >= 11 && memcmp(line, "AUTH PLAIN ", 11) == 0) {
			check_auth_plain(line + 11, n - 11);
		} else {
			/* the client's own MAIL and RCPT, after a "none" OK */
			check(n >= 4 && (strncasecmp(line, "MAIL", 4) == 0 ||
			    strncasecmp(line, "RCPT", 4) == 0));
			check(R.ok_none);
		}
	}
}

/* ---- the client side ---------------------------------------------------- */

static void *
drain(void *arg)
{
	struct drain *d = arg;

	for (;;) {
		char tmp[8192];
		ssize_t n = read(d->fd, tmp, sizeof tmp);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			int next = __atomic_exchange_n(&d->next_fd, -1, __ATOMIC_ACQUIRE);

			close(d->fd);
			if (next == -1)
				break;
			d->fd = next;
			continue;
		}
		if ((size_t)n > REPLIES_MAX - d->len)
			n = (ssize_t)(REPLIES_MAX - d->len);
		memcpy(d->buf + d->len, tmp, (size_t)n);
		d->len += (size_t)n;
	}
	return NULL;
}

static void
check_replies(const char *p, size_t len)
{
	size_t pos = 0;

	if (len == REPLIES_MAX)	/* cut: the last line may be partial */
		return;
	while (pos < len) {
		size_t n;
		const char *line = crlf_line(p, len, &pos, &n);

		check(n >= 4 && memchr(line, '\r', n) == NULL);
		for (int i = 0; i < 3; i++)
			check(line[i] >= '0' && line[i] <= '9');
		check(line[3] == ' ' || line[3] == '-');
	}
}

static void
load(void)
{
	char err[256];

	for (size_t i = 0; i < 8; i++)
		if (conf_parse_buffer(&cfs[i], "/nonexistent/fuzz.conf", confs[i],
		    strlen(confs[i]), CONF_NOINCLUDE | CONF_NORESOLVE, err, sizeof err) != 0 ||
		    cfs[i].nlistens != 1)
			abort();
	main_thread = pthread_self();
	trace = getenv("FUZZ_TRACE") != NULL;
	loaded = true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char replies[REPLIES_MAX], backend[BACKEND_MAX];
	struct conn conn;
	struct session s;
	static const char sep[] = "\n--tls--\n";
	struct drain d = { .buf = replies, .next_fd = -1 };
	const uint8_t *tls;
	pthread_t t;
	bool threaded;
	int sv[2];
	ssize_t n;
	size_t blen = 0;

	if (!loaded)
		load();
	if (size < NOPT)
		return 0;
	memset(&R, 0, sizeof R);
	memcpy(R.opt, data, NOPT);
	data += NOPT;
	size -= NOPT;
	if (size > INPUT_MAX)
		size = INPUT_MAX;
	R.bpeer = -1;
	R.drain = &d;
	tls = memmem(data, size, sep, sizeof sep - 1);
	if (tls != NULL) {
		R.after_tls = tls + sizeof sep - 1;
		R.nafter_tls = size - (size_t)(R.after_tls - data);
		size = (size_t)(tls - data) + 1;
	}
	snprintf(R.ti.protocol, sizeof R.ti.protocol, "TLSv1.3");
	snprintf(R.ti.cipher, sizeof R.ti.cipher, "TLS_AES_256_GCM_SHA384");

	memset(&conn, 0, sizeof conn);
	if (R.opt[0] & 16) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&conn.peer;

		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::1", &a->sin6_addr);
		snprintf(conn.peer_ip, sizeof conn.peer_ip, "2001:db8::1");
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&conn.peer;

		a->sin_family = AF_INET;
		inet_pton(AF_INET, "192.0.2.1", &a->sin_addr);
		snprintf(conn.peer_ip, sizeof conn.peer_ip, "192.0.2.1");
	}
	conn.peer_port = 5555;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	d.fd = sv[1];
	threaded = !big_sndbuf(sv[0]);
	if (threaded && pthread_create(&t, NULL, drain, &d) != 0)
		abort();

	memset(&s, 0, sizeof s);
	s.cf = &cfs[R.opt[0] & 7];
	s.ls = &s.cf->listens[0];
	s.srv = s.ls->server;
	s.conn = &conn;
	s.cfd = sv[0];
	s.bfd = -1;
	R.srv = s.srv;
	R.credcap = s.srv->smtp_client_buffer > 1100 ? s.srv->smtp_client_buffer : 1100;
	R.in_session = true;
	(void)smtp_serve(&s);
	R.in_session = false;

	close(s.cfd);
	if (threaded)
		pthread_join(t, NULL);
	else
		(void)drain(&d);
	show("replies", replies, d.len);
	check_replies(replies, d.len);
	if (s.bfd != -1) {
		close(s.bfd);
		while (blen < sizeof backend &&
		    (n = read(R.bpeer, backend + blen, sizeof backend - blen)) > 0)
			blen += (size_t)n;
		close(R.bpeer);
		show("backend", backend, blen);
		check_backend(backend, blen);
	}
	check(!R.relayed || R.connected);
	return 0;
}
