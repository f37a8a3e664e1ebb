/* SPDX-License-Identifier: ISC */
/* test_auth_http.c: the auth_http request bytes, the reply parser and its
 * outcomes (doc/wire.md#auth-request to #auth-transport), and the libcurl
 * transport against tiny servers forked on loopback and on a unix socket. */

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "auth_http.h"
#include "unit.h"

static struct mp_server srv;
static char buf[AUTH_HTTP_REQ_BASE];
static size_t blen;

static void
srv_reset(void)
{
	memset(&srv, 0, sizeof srv);
	srv.auth_http.host = "127.0.0.1";
	srv.auth_http.port = 80;
	srv.auth_http.uri = "/auth";
	srv.auth_http.text = "http://127.0.0.1/auth";
	srv.auth_http_timeout_ms = 60000;
}

static struct auth_request
rq_plain(void)
{
	struct auth_request rq;

	memset(&rq, 0, sizeof rq);
	rq.method = "plain";
	rq.user = "user"; rq.userlen = 4;
	rq.pass = "secret"; rq.passlen = 6;
	rq.protocol = "imap";
	rq.attempt = 1;
	rq.client_ip = "192.0.2.1";
	return rq;
}

#define BUILD_OK(rq, want) do { \
	CHECK(auth_http_build(&srv, &(rq), buf, sizeof buf, &blen) == 0); \
	CHECK_MEM(buf, blen, want, strlen(want)); } while (0)

#define BUILD_FAILS(rq, err) do { size_t l_ = 0; errno = 0; \
	CHECK(auth_http_build(&srv, &(rq), buf, sizeof buf, &l_) == -1); \
	CHECK(errno == (err)); } while (0)

static void
test_request_plain(void)
{
	struct auth_request rq = rq_plain();

	srv_reset();
	BUILD_OK(rq,
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: user\r\n"
	    "Auth-Pass: secret\r\n"
	    "Auth-Protocol: imap\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "\r\n");

	/* empty credentials are still sent; a salt is never sent with plain */
	rq.user = NULL; rq.userlen = 0;
	rq.pass = ""; rq.passlen = 0;
	rq.salt = "<1.2@h>\r\n"; rq.saltlen = 9;
	rq.protocol = "pop3";
	rq.attempt = 12;
	BUILD_OK(rq,
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: \r\n"
	    "Auth-Pass: \r\n"
	    "Auth-Protocol: pop3\r\n"
	    "Auth-Login-Attempt: 12\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "\r\n");
}

static void
test_request_escape(void)
{
	struct auth_request rq = rq_plain();
	char out[64];
	const char in[] = "a b%c\x01\x1f\x7f\xff+:/\t";

	CHECK(auth_http_escape(out, sizeof out, in, sizeof in - 1) == 23);
	CHECK_MEM(out, 23, "a%20b%25c%01%1F\x7f\xff+:/%09", 23);
	CHECK(auth_http_escape(out, 2, "%", 1) == (size_t)-1);
	CHECK(auth_http_escape(out, 3, "%", 1) == 3);
	CHECK(auth_http_escape(out, 0, "", 0) == 0);

	srv_reset();
	rq.user = "us er\r\n"; rq.userlen = 7;
	rq.pass = "p\0%"; rq.passlen = 3;	/* NUL inside the password */
	BUILD_OK(rq,
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: us%20er%0D%0A\r\n"
	    "Auth-Pass: p%00%25\r\n"
	    "Auth-Protocol: imap\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "\r\n");
}

static void
test_request_digest(void)
{
	struct auth_request rq = rq_plain();

	srv_reset();
	rq.method = "apop";
	rq.pass = "0123456789abcdef0123456789abcdef"; rq.passlen = 32;
	rq.salt = "<123.456@mail.example>\r\n"; rq.saltlen = 24;
	rq.protocol = "pop3";
	BUILD_OK(rq,
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: apop\r\n"
	    "Auth-User: user\r\n"
	    "Auth-Pass: 0123456789abcdef0123456789abcdef\r\n"
	    "Auth-Salt: <123.456@mail.example>\r\n"
	    "Auth-Protocol: pop3\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "\r\n");

	rq.method = "cram-md5";
	rq.protocol = "smtp";
	rq.client_host = "[UNAVAILABLE]";
	BUILD_OK(rq,
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: cram-md5\r\n"
	    "Auth-User: user\r\n"
	    "Auth-Pass: 0123456789abcdef0123456789abcdef\r\n"
	    "Auth-Salt: <123.456@mail.example>\r\n"
	    "Auth-Protocol: smtp\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "Client-Host: [UNAVAILABLE]\r\n"
	    "\r\n");

	/* no salt: no header */
	rq.salt = NULL; rq.saltlen = 0;
	rq.client_host = NULL;
	CHECK(auth_http_build(&srv, &rq, buf, sizeof buf, &blen) == 0);
	CHECK(memmem(buf, blen, "Auth-Salt", 9) == NULL);

	/* a salt must end in its CRLF and hold no other */
	rq.salt = "<1.2@h>"; rq.saltlen = 7;
	BUILD_FAILS(rq, EINVAL);
	rq.salt = "<1.2\r\n@h>\r\n"; rq.saltlen = 11;
	BUILD_FAILS(rq, EINVAL);
	rq.salt = "<1.2\0@h>\r\n"; rq.saltlen = 10;
	BUILD_FAILS(rq, EINVAL);
}

static void
test_request_external(void)
{
	struct auth_request rq = rq_plain();

	srv_reset();
	rq.method = "external";
	rq.user = "CN=client"; rq.userlen = 9;
	rq.pass = NULL; rq.passlen = 0;
	rq.salt = "<1.2@h>\r\n"; rq.saltlen = 9;	/* not for external */
	BUILD_OK(rq,
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: external\r\n"
	    "Auth-User: CN=client\r\n"
	    "Auth-Pass: \r\n"
	    "Auth-Protocol: imap\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "\r\n");
}

static void
test_request_smtp_none(void)
{
	struct auth_request rq = rq_plain();

	srv_reset();
	srv.auth_http.is_unix = true;
	srv.auth_http.host = "localhost";
	srv.auth_http.uri = "/a?b=c d";	/* sent verbatim */
	rq.method = "none";
	rq.user = NULL; rq.userlen = 0;
	rq.pass = NULL; rq.passlen = 0;
	rq.protocol = "smtp";
	rq.attempt = 3;
	rq.client_host = "client.example";
	rq.smtp_helo = "me.example";
	rq.smtp_from = "MAIL FROM:<a@b> SIZE=100";
	rq.smtp_to = "RCPT TO:<c@d>";
	BUILD_OK(rq,
	    "GET /a?b=c d HTTP/1.0\r\n"
	    "Host: localhost\r\n"
	    "Auth-Method: none\r\n"
	    "Auth-User: \r\n"
	    "Auth-Pass: \r\n"
	    "Auth-Protocol: smtp\r\n"
	    "Auth-Login-Attempt: 3\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "Client-Host: client.example\r\n"
	    "Auth-SMTP-Helo: me.example\r\n"
	    "Auth-SMTP-From: MAIL FROM:<a@b> SIZE=100\r\n"
	    "Auth-SMTP-To: RCPT TO:<c@d>\r\n"
	    "\r\n");

	/* no HELO: an empty value */
	rq.smtp_helo = NULL;
	CHECK(auth_http_build(&srv, &rq, buf, sizeof buf, &blen) == 0);
	CHECK(memmem(buf, blen, "\r\nAuth-SMTP-Helo: \r\nAuth-SMTP-From", 34) != NULL);

	/* the SMTP group only goes with method none */
	rq.method = "plain";
	CHECK(auth_http_build(&srv, &rq, buf, sizeof buf, &blen) == 0);
	CHECK(memmem(buf, blen, "Auth-SMTP", 9) == NULL);

	/* unescaped values must not carry CR or LF */
	rq.method = "none";
	rq.smtp_from = "MAIL FROM:<a@b>\r\nX-Evil: 1";
	BUILD_FAILS(rq, EINVAL);
	rq.smtp_from = "MAIL FROM:<a@b>";
	rq.smtp_to = "RCPT TO:<c@d>\n";
	BUILD_FAILS(rq, EINVAL);
	rq.smtp_to = "RCPT TO:<c@d>";
	rq.smtp_helo = "x\ry";
	BUILD_FAILS(rq, EINVAL);
	rq.smtp_helo = "x";
	rq.client_host = "evil\r\nAuth-Pass: x";
	BUILD_FAILS(rq, EINVAL);
}

static void
test_request_proxy_protocol(void)
{
	struct auth_request rq = rq_plain();

	srv_reset();
	rq.pp_addr = "198.51.100.7";
	rq.pp_port = "40000";
	rq.pp_server_addr = "203.0.113.1";
	rq.pp_server_port = "143";
	BUILD_OK(rq,
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: user\r\n"
	    "Auth-Pass: secret\r\n"
	    "Auth-Protocol: imap\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "Proxy-Protocol-Addr: 198.51.100.7\r\n"
	    "Proxy-Protocol-Port: 40000\r\n"
	    "Proxy-Protocol-Server-Addr: 203.0.113.1\r\n"
	    "Proxy-Protocol-Server-Port: 143\r\n"
	    "\r\n");

	/* all four or none */
	rq.pp_server_port = NULL;
	BUILD_FAILS(rq, EINVAL);
	rq.pp_server_port = "14\n3";
	BUILD_FAILS(rq, EINVAL);
}

static void
test_request_ssl(void)
{
	struct auth_request rq = rq_plain();
	static const char pem[] = "-----BEGIN CERTIFICATE-----\nMII+/A==\n-----END CERTIFICATE-----\n";

	srv_reset();
	rq.ssl = true;
	rq.ssl_protocol = "TLSv1.3";
	rq.ssl_cipher = "TLS_AES_256_GCM_SHA384";
	BUILD_OK(rq,
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: user\r\n"
	    "Auth-Pass: secret\r\n"
	    "Auth-Protocol: imap\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "Auth-SSL: on\r\n"
	    "Auth-SSL-Protocol: TLSv1.3\r\n"
	    "Auth-SSL-Cipher: TLS_AES_256_GCM_SHA384\r\n"
	    "\r\n");

	rq.ssl_verify = "SUCCESS";
	rq.ssl_subject = "CN=client,O=Example";
	rq.ssl_issuer = "CN=ca";
	rq.ssl_serial = "0A1B";
	rq.ssl_fingerprint = "0123456789abcdef0123456789abcdef01234567";
	rq.ssl_cert = pem; rq.ssl_certlen = sizeof pem - 1;
	BUILD_OK(rq,
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: user\r\n"
	    "Auth-Pass: secret\r\n"
	    "Auth-Protocol: imap\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "Auth-SSL: on\r\n"
	    "Auth-SSL-Protocol: TLSv1.3\r\n"
	    "Auth-SSL-Cipher: TLS_AES_256_GCM_SHA384\r\n"
	    "Auth-SSL-Verify: SUCCESS\r\n"
	    "Auth-SSL-Subject: CN=client,O=Example\r\n"
	    "Auth-SSL-Issuer: CN=ca\r\n"
	    "Auth-SSL-Serial: 0A1B\r\n"
	    "Auth-SSL-Fingerprint: 0123456789abcdef0123456789abcdef01234567\r\n"
	    "Auth-SSL-Cert: -----BEGIN%20CERTIFICATE-----%0AMII+/A==%0A"
	    "-----END%20CERTIFICATE-----%0A\r\n"
	    "\r\n");

	rq.ssl_verify = "FAILED:certificate\r\nhas expired";
	BUILD_FAILS(rq, EINVAL);
	rq.ssl_verify = "NONE";
	rq.ssl_subject = NULL; rq.ssl_issuer = NULL; rq.ssl_serial = NULL;
	rq.ssl_fingerprint = NULL; rq.ssl_cert = NULL; rq.ssl_certlen = 0;
	CHECK(auth_http_build(&srv, &rq, buf, sizeof buf, &blen) == 0);
	CHECK(memmem(buf, blen, "Auth-SSL-Verify: NONE\r\n\r\n", 25) != NULL);
}

static void
test_request_headers(void)
{
	struct auth_request rq = rq_plain();
	struct mp_header h[2] = { { "X-Auth-Key", "secret key" }, { "X-Other", "" } };

	srv_reset();
	srv.auth_http_headers = h;
	srv.nauth_http_headers = 2;
	rq.ssl = true;
	BUILD_OK(rq,
	    "GET /auth HTTP/1.0\r\n"
	    "Host: 127.0.0.1\r\n"
	    "Auth-Method: plain\r\n"
	    "Auth-User: user\r\n"
	    "Auth-Pass: secret\r\n"
	    "Auth-Protocol: imap\r\n"
	    "Auth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\n"
	    "Auth-SSL: on\r\n"
	    "X-Auth-Key: secret key\r\n"
	    "X-Other: \r\n"
	    "\r\n");

	h[1].value = "a\nb";
	BUILD_FAILS(rq, EINVAL);
	h[1].value = "";
	srv.auth_http.uri = "/x\r\nHost: y";
	BUILD_FAILS(rq, EINVAL);
}

static void
test_request_refusals(void)
{
	struct auth_request rq = rq_plain();
	size_t need, cap, l;
	char small[512];

	srv_reset();
	rq.method = "login";
	BUILD_FAILS(rq, EINVAL);
	rq.method = "plain";
	rq.client_ip = NULL;
	BUILD_FAILS(rq, EINVAL);
	rq.client_ip = "192.0.2.1";

	/* every capacity below the exact size fails cleanly, the exact one fits */
	rq.user = "a b"; rq.userlen = 3;
	CHECK(auth_http_build(&srv, &rq, small, sizeof small, &need) == 0);
	for (cap = 0; cap < need; cap++) {
		errno = 0;
		if (auth_http_build(&srv, &rq, small, cap, &l) != -1 || errno != ENOSPC) {
			CHECK(!"short buffer accepted");
			break;
		}
	}
	CHECK(auth_http_build(&srv, &rq, small, need, &l) == 0 && l == need);
}

/* ---- reply parser ---------------------------------------------------- */

static int
feed_all(struct auth_reply *r, const char *s, size_t n)
{
	auth_reply_init(r);
	return auth_reply_feed(r, s, n);
}

/* The same text fed whole, byte by byte, and split in two at every offset
 * must give the same code and the same results. */
static int
feed_every_way(struct auth_reply *r, const char *s)
{
	static struct auth_reply t;
	size_t n = strlen(s), i, k;
	int rc, rc2;

	rc = feed_all(r, s, n);
	auth_reply_init(&t);
	rc2 = AUTH_R_AGAIN;
	for (i = 0; i < n && rc2 == AUTH_R_AGAIN; i++)
		rc2 = auth_reply_feed(&t, s + i, 1);
	CHECK(rc2 == rc);
	if (rc == AUTH_R_DONE)
		CHECK(memcmp(&t.status_error, &r->status_error,
		    sizeof *r - offsetof(struct auth_reply, status_error)) == 0);
	for (k = 0; k <= n; k++) {
		auth_reply_init(&t);
		rc2 = auth_reply_feed(&t, s, k);
		if (rc2 == AUTH_R_AGAIN)
			rc2 = auth_reply_feed(&t, s + k, n - k);
		if (rc2 != rc) {
			fprintf(stderr, "split at %zu: %d != %d\n", k, rc2, rc);
			CHECK(rc2 == rc);
			break;
		}
	}
	return rc;
}

#define SPAN_IS(r, sp, want) CHECK_MEM(auth_span_ptr(r, sp), (sp).len, want, strlen(want))

static void
test_reply_basic(void)
{
	static struct auth_reply r;

	CHECK(feed_every_way(&r,
	    "HTTP/1.0 200 OK\r\n"
	    "Auth-Status: OK\r\n"
	    "Auth-Server: 127.0.0.1\r\n"
	    "Auth-Port: 8143\r\n"
	    "Auth-Pass: pa%20ss\r\n"
	    "\r\n"
	    "body is ignored\r\n") == AUTH_R_DONE);
	CHECK(!r.status_error && !r.wait);
	SPAN_IS(&r, r.server, "127.0.0.1");
	SPAN_IS(&r, r.port, "8143");
	CHECK(r.has_pass && !r.has_user);
	SPAN_IS(&r, r.pass, "pa%20ss");	/* not unescaped, as nginx */

	/* the status code is ignored; headers only; bare LF */
	CHECK(feed_every_way(&r, "HTTP/1.1 500 Internal Server Error\nAuth-Server: ::1\nAuth-Port: 1\n\n") == AUTH_R_DONE);
	SPAN_IS(&r, r.server, "::1");
	CHECK(feed_every_way(&r, "Auth-Status: OK\r\nAuth-Server: 10.0.0.1\r\nAuth-Port: 25\r\n\r\n") == AUTH_R_DONE);
	SPAN_IS(&r, r.server, "10.0.0.1");
	CHECK(feed_every_way(&r, "\r\n") == AUTH_R_DONE);
	CHECK(r.server.len == 0 && r.port.len == 0 && !r.status_error);
	CHECK(feed_every_way(&r, "\n") == AUTH_R_DONE);
	CHECK(feed_every_way(&r, "HTTP/1.0 200 OK\r\n\r\n") == AUTH_R_DONE);
	/* "HTTP" without the slash: the line is a header */
	CHECK(feed_every_way(&r, "HTTP-Foo: x\r\nHTTx: y\r\nAuth-Port: 2\r\n\r\n") == AUTH_R_DONE);
	SPAN_IS(&r, r.port, "2");
	CHECK(feed_every_way(&r, "HTTP/\r\n\r\n") == AUTH_R_DONE);
	CHECK(feed_every_way(&r, "HTTP/1.0 200 OK\r\n") == AUTH_R_AGAIN);
	CHECK(feed_every_way(&r, "HTT") == AUTH_R_AGAIN);
	CHECK(feed_every_way(&r, "") == AUTH_R_AGAIN);
}

static void
test_reply_syntax(void)
{
	static struct auth_reply r;

	/* status line: CR must be followed by LF */
	CHECK(feed_every_way(&r, "HTTP/1.0 200 OK\rX\n\r\n") == AUTH_R_BAD_STATUS);
	CHECK(feed_every_way(&r, "HTTP/1.0 200\r\r\n") == AUTH_R_BAD_STATUS);
	CHECK(strcmp(auth_reply_rc_text(AUTH_R_BAD_STATUS), "sent invalid response") == 0);
	CHECK(strcmp(auth_reply_rc_text(AUTH_R_BAD_HEADER), "sent invalid header in response") == 0);
	CHECK(auth_reply_rc_text(AUTH_R_DONE) == NULL);
	CHECK(auth_reply_rc_text(AUTH_R_FULL) == NULL);

	/* header names: letters, digits, '-'; starting with a letter or digit */
	CHECK(feed_every_way(&r, "Auth_Status: OK\r\n\r\n") == AUTH_R_BAD_HEADER);
	CHECK(feed_every_way(&r, "-Auth: OK\r\n\r\n") == AUTH_R_BAD_HEADER);
	CHECK(feed_every_way(&r, "Auth-Port : 1\r\n\r\n") == AUTH_R_BAD_HEADER);
	CHECK(feed_every_way(&r, " Auth-Port: 1\r\n\r\n") == AUTH_R_BAD_HEADER);
	CHECK(feed_every_way(&r, ": 1\r\n\r\n") == AUTH_R_BAD_HEADER);
	CHECK(feed_every_way(&r, "Auth\x80: 1\r\n\r\n") == AUTH_R_BAD_HEADER);
	CHECK(feed_every_way(&r, "1-2-3: x\r\n0: y\r\n\r\n") == AUTH_R_DONE);
	/* a CR must be followed by LF, in a line and at the end */
	CHECK(feed_every_way(&r, "Auth-Port: 1\rx\n\r\n") == AUTH_R_BAD_HEADER);
	CHECK(feed_every_way(&r, "Auth-Port: 1 \rx\n\r\n") == AUTH_R_BAD_HEADER);
	CHECK(feed_every_way(&r, "Auth-Port:\r\r\n\r\n") == AUTH_R_BAD_HEADER);
	CHECK(feed_every_way(&r, "Auth-Port\rx\r\n") == AUTH_R_BAD_HEADER);
	CHECK(feed_every_way(&r, "Auth-Port: 1\r\n\rx") == AUTH_R_BAD_HEADER);
	/* a name without a colon is a header with an empty value */
	CHECK(feed_every_way(&r, "Auth-Pass\r\nAuth-User\n\r\n") == AUTH_R_DONE);
	CHECK(r.has_pass && r.pass.len == 0 && r.has_user && r.user.len == 0);

	/* values: leading and trailing spaces (only 0x20) go, inner ones stay */
	CHECK(feed_every_way(&r, "Auth-Status:   Invalid  login  \r\nAuth-Server:\t1.2.3.4\t\r\n"
	    "Auth-Port:\r\nAuth-User:    \r\n\r\n") == AUTH_R_DONE);
	CHECK(r.status_error);
	SPAN_IS(&r, r.error, "Invalid  login");
	SPAN_IS(&r, r.server, "\t1.2.3.4\t");
	CHECK(r.port.len == 0);
	CHECK(r.has_user && r.user.len == 0);
	CHECK(feed_every_way(&r, "Auth-Status:a b c   \nAuth-Server:x:y  z\n\n") == AUTH_R_DONE);
	SPAN_IS(&r, r.error, "a b c");
	SPAN_IS(&r, r.server, "x:y  z");
	/* any other byte goes into a value, NUL and 8-bit included */
	{
		static const char s[] = "Auth-Status: a\0b\xff\r\n\r\n";

		CHECK(feed_all(&r, s, sizeof s - 1) == AUTH_R_DONE);
		CHECK_MEM(auth_span_ptr(&r, r.error), r.error.len, "a\0b\xff", 4);
	}
}

static void
test_reply_headers(void)
{
	static struct auth_reply r;

	/* names case-insensitive; the Auth-Status values are case-sensitive */
	CHECK(feed_every_way(&r, "auth-status: ok\r\nAUTH-SERVER: 1.1.1.1\r\nauth-port: 3\r\n\r\n") == AUTH_R_DONE);
	CHECK(r.status_error);
	SPAN_IS(&r, r.error, "ok");
	SPAN_IS(&r, r.server, "1.1.1.1");
	CHECK(feed_every_way(&r, "Auth-Status: Wait\r\n\r\n") == AUTH_R_DONE);
	CHECK(r.status_error && !r.wait);
	CHECK(feed_every_way(&r, "Auth-Status: OK \r\n\r\n") == AUTH_R_DONE);
	CHECK(!r.status_error);

	/* last occurrence wins; an OK does not clear an error */
	CHECK(feed_every_way(&r,
	    "Auth-Status: first\r\nAuth-Status: second\r\nAuth-Status: OK\r\n"
	    "Auth-Server: 1.1.1.1\r\nAuth-Server: 2.2.2.2\r\n"
	    "Auth-Port: 1\r\nAuth-Port: 2\r\n"
	    "Auth-User: u1\r\nAuth-User: u2\r\n"
	    "Auth-Pass: p1\r\nAuth-Pass: p2\r\n"
	    "Auth-Error-Code: 451 4.3.0\r\nAuth-Error-Code: 452 4.3.1\r\n"
	    "X-Unknown: whatever\r\n\r\n") == AUTH_R_DONE);
	CHECK(r.status_error);
	SPAN_IS(&r, r.error, "second");
	SPAN_IS(&r, r.server, "2.2.2.2");
	SPAN_IS(&r, r.port, "2");
	SPAN_IS(&r, r.user, "u2");
	SPAN_IS(&r, r.pass, "p2");
	SPAN_IS(&r, r.errcode, "452 4.3.1");

	/* WAIT sets a flag; Auth-Wait: numeric values only, last one wins */
	CHECK(feed_every_way(&r, "Auth-Status: WAIT\r\nAuth-Wait: 3\r\nAuth-Wait: x\r\nAuth-Wait: -1\r\n\r\n") == AUTH_R_DONE);
	CHECK(r.wait && !r.status_error && r.wait_sec == 3);
	CHECK(feed_every_way(&r, "Auth-Wait: 3\r\nAuth-Wait: 7\r\nAuth-Wait:\r\nAuth-Wait: 99999999999999999999\r\n\r\n") == AUTH_R_DONE);
	CHECK(r.wait_sec == 7);
	CHECK(feed_every_way(&r, "Auth-Wait: 0\r\n\r\n") == AUTH_R_DONE);
	CHECK(r.wait_sec == 0);
	CHECK(feed_every_way(&r, "Auth-Wait: 007\r\n\r\n") == AUTH_R_DONE);
	CHECK(r.wait_sec == 7);
}

static void
test_reply_limit(void)
{
	static struct auth_reply r;
	static char big[2048];
	size_t n;

	/* exactly 1024 bytes, ending with the empty line: complete */
	memset(big, 0, sizeof big);
	strcpy(big, "X-Pad: ");
	n = strlen(big);
	memset(big + n, 'a', 1024 - n - 4);
	memcpy(big + 1024 - 4, "\r\n\r\n", 4);
	CHECK(feed_every_way(&r, big) == AUTH_R_DONE);

	/* one byte more: the 1 KiB buffer fills first */
	memset(big + n, 'a', 1024 - n - 3);
	memcpy(big + 1024 - 3, "\r\n\r\n", 4);
	CHECK(strlen(big) == 1025);
	CHECK(feed_every_way(&r, big) == AUTH_R_FULL);
	CHECK(auth_reply_feed(&r, "\r\n", 2) == AUTH_R_FULL);

	/* a complete block followed by a long body is fine */
	memset(big, 'b', sizeof big - 1);
	memcpy(big, "Auth-Port: 9\r\n\r\n", 16);
	CHECK(feed_all(&r, big, sizeof big - 1) == AUTH_R_DONE);
	/* after DONE or an error, further bytes are ignored */
	CHECK(auth_reply_feed(&r, "garbage", 7) == AUTH_R_DONE);
	CHECK(feed_all(&r, "_x", 2) == AUTH_R_BAD_HEADER);
	CHECK(auth_reply_feed(&r, "\r\n", 2) == AUTH_R_BAD_HEADER);
}

/* ---- outcome ---------------------------------------------------------- */

static int
outcome(const char *text, int proto, bool have_pw, bool *sw, struct auth_result *res,
    char *why, size_t whylen)
{
	static struct auth_reply r;

	if (feed_all(&r, text, strlen(text)) != AUTH_R_DONE)
		return -1;
	return auth_reply_outcome(&r, proto, have_pw, sw, res, why, whylen);
}

static void
test_outcome(void)
{
	static struct auth_result res;
	char why[256];
	bool sw = false;
	struct sockaddr_in *sin = (struct sockaddr_in *)&res.sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&res.sa;
	struct in6_addr a6;

	CHECK(outcome("Auth-Status: OK\r\nAuth-Server: 127.0.0.1\r\nAuth-Port: 8143\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_OK);
	CHECK(res.outcome == AUTH_OK && why[0] == '\0');
	CHECK(res.salen == sizeof *sin && sin->sin_family == AF_INET);
	CHECK(ntohl(sin->sin_addr.s_addr) == 0x7f000001 && ntohs(sin->sin_port) == 8143);
	CHECK_STR(res.upstream, "127.0.0.1:8143");

	/* no Auth-Status at all is success */
	CHECK(outcome("Auth-Server: 2001:db8::1\r\nAuth-Port: 00143\r\n\r\n",
	    MP_PROTO_POP3, true, &sw, &res, why, sizeof why) == AUTH_OK);
	CHECK(sin6->sin6_family == AF_INET6 && ntohs(sin6->sin6_port) == 143);
	inet_pton(AF_INET6, "2001:db8::1", &a6);
	CHECK(memcmp(&sin6->sin6_addr, &a6, 16) == 0);
	CHECK_STR(res.upstream, "2001:db8::1:00143");

	/* errors: text, SMTP code, wait */
	CHECK(outcome("Auth-Status: Invalid login or password\r\nAuth-Wait: 3\r\n\r\n",
	    MP_PROTO_POP3, true, &sw, &res, why, sizeof why) == AUTH_ERROR);
	CHECK_MEM(res.errmsg, res.errmsglen, "Invalid login or password", 25);
	CHECK(res.errcode != NULL && res.errcodelen == 0 && res.wait_sec == 3 && !res.retry && why[0] == '\0');
	CHECK(outcome("Auth-Status: Temporary server problem, try again later\r\n"
	    "Auth-Error-Code: 451 4.3.0\r\nAuth-Wait: 3\r\n\r\n",
	    MP_PROTO_SMTP, true, &sw, &res, why, sizeof why) == AUTH_ERROR);
	CHECK_MEM(res.errcode, res.errcodelen, "451 4.3.0", 9);
	CHECK(outcome("Auth-Status: No\r\nAuth-Error-Code:\r\n\r\n",
	    MP_PROTO_SMTP, true, &sw, &res, why, sizeof why) == AUTH_ERROR);
	CHECK_MEM(res.errcode, res.errcodelen, "535 5.7.0", 9);
	CHECK(res.wait_sec == 0);
	/* an error wins over everything that follows */
	CHECK(outcome("Auth-Status: bad\r\nAuth-Server: 1.2.3.4\r\nAuth-Port: 1\r\nAuth-Status: OK\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_ERROR);

	/* an empty Auth-Status: an empty error for IMAP/POP3, none for SMTP */
	CHECK(outcome("Auth-Status:\r\n\r\n", MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_ERROR);
	CHECK(res.errmsglen == 0);
	CHECK(outcome("Auth-Status:\r\n\r\n", MP_PROTO_SMTP, true, &sw, &res, why, sizeof why) == AUTH_NO_SERVER);
	CHECK(outcome("Auth-Status: x\r\nAuth-Status:\r\nAuth-Server: 1.2.3.4\r\nAuth-Port: 25\r\n\r\n",
	    MP_PROTO_SMTP, true, &sw, &res, why, sizeof why) == AUTH_OK);

	/* missing or empty server/port */
	CHECK(outcome("Auth-Server: 1.2.3.4\r\n\r\n", MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_NO_SERVER);
	CHECK_STR(why, "did not send server or port");
	CHECK(outcome("Auth-Port: 1\r\n\r\n", MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_NO_SERVER);
	CHECK(outcome("Auth-Server:  \r\nAuth-Port: 1\r\n\r\n", MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_NO_SERVER);

	/* password: IMAP/POP3 need one, SMTP does not; an empty Auth-Pass counts */
	CHECK(outcome("Auth-Server: 1.2.3.4\r\nAuth-Port: 143\r\n\r\n",
	    MP_PROTO_IMAP, false, &sw, &res, why, sizeof why) == AUTH_NO_PASSWORD);
	CHECK_STR(why, "did not send password");
	CHECK(outcome("Auth-Server: 1.2.3.4\r\nAuth-Port: 143\r\n\r\n",
	    MP_PROTO_POP3, false, &sw, &res, why, sizeof why) == AUTH_NO_PASSWORD);
	CHECK(outcome("Auth-Server: 1.2.3.4\r\nAuth-Port: 143\r\nAuth-Pass:\r\n\r\n",
	    MP_PROTO_IMAP, false, &sw, &res, why, sizeof why) == AUTH_OK);
	CHECK(outcome("Auth-Server: 1.2.3.4\r\nAuth-Port: 25\r\n\r\n",
	    MP_PROTO_SMTP, false, &sw, &res, why, sizeof why) == AUTH_OK);
	/* ... and is checked before the address */
	CHECK(outcome("Auth-Server: bad\r\nAuth-Port: 143\r\n\r\n",
	    MP_PROTO_IMAP, false, &sw, &res, why, sizeof why) == AUTH_NO_PASSWORD);

	/* bad address, bad port, with nginx's exact log text */
	CHECK(outcome("Auth-Server: mail.example.com\r\nAuth-Port: 143\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_BAD_ADDR);
	CHECK_STR(why, "sent invalid server address:\"mail.example.com\"");
	CHECK(outcome("Auth-Server: 1.2.3.4\r\nAuth-Port: 65536\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_BAD_PORT);
	CHECK_STR(why, "sent invalid server port:\"65536\"");
	CHECK(outcome("Auth-Server: 1.2.3.4\r\nAuth-Port: 0\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_BAD_PORT);
	CHECK(outcome("Auth-Server: 1.2.3.4\r\nAuth-Port: +1\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_BAD_PORT);
	CHECK(outcome("Auth-Server: 1.2.3.4\r\nAuth-Port: 1 2\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_BAD_PORT);
	CHECK(outcome("Auth-Server: 1.2.3.4\r\nAuth-Port: 65535\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_OK);
	/* a short WHY buffer truncates, never overflows */
	CHECK(outcome("Auth-Server: mail.example.com\r\nAuth-Port: 143\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, 10) == AUTH_BAD_ADDR);
	CHECK_STR(why, "sent inva");
	CHECK(outcome("Auth-Server: mail.example.com\r\nAuth-Port: 143\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, 31) == AUTH_BAD_ADDR);
	CHECK_STR(why, "sent invalid server address:\"m");
	CHECK(sw == false);
}

static void
test_outcome_wait(void)
{
	static struct auth_result res;
	char why[64];
	bool sw = false;

	CHECK(outcome("Auth-Status: WAIT\r\nAuth-Wait: 2\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_RETRY_WAIT);
	CHECK(sw && res.wait_sec == 2);
	sw = false;	/* the delay ended */

	/* WAIT and an error: the error path, but a retry after the delay */
	CHECK(outcome("Auth-Status: WAIT\r\nAuth-Status: denied\r\nAuth-Wait: 1\r\n\r\n",
	    MP_PROTO_POP3, true, &sw, &res, why, sizeof why) == AUTH_ERROR);
	CHECK(res.retry && res.wait_sec == 1);
	sw = false;
	CHECK(outcome("Auth-Status: denied\r\nAuth-Status: WAIT\r\n\r\n",
	    MP_PROTO_POP3, true, &sw, &res, why, sizeof why) == AUTH_ERROR);
	CHECK(!res.retry && res.wait_sec == 0);
	sw = false;

	/* a WAIT without a delay leaves the session flag set: later replies
	 * are retries too, until an error (nginx keeps s->auth_wait) */
	CHECK(outcome("Auth-Status: WAIT\r\n\r\n", MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_RETRY_WAIT);
	CHECK(sw && res.wait_sec == 0);
	CHECK(outcome("Auth-Server: 1.2.3.4\r\nAuth-Port: 1\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_RETRY_WAIT);
	CHECK(outcome("Auth-Status: no\r\nAuth-Wait: 5\r\n\r\n",
	    MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_ERROR);
	CHECK(res.retry);
}

static void
test_addr(void)
{
	static const char *const good6[] = {
		"::", "::1", "1::", "1:2:3:4:5:6:7:8", "2001:db8::1", "fe80::1:2",
		"::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4", "ABCD:ef01::",
		"::2:3:4:5:6:7:8", "0:0:0:0:0:0:0:0",
	};
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "255.255.255.255",
		"1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "[::1]", ":::", "1::2::3", "12345::",
		"1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:",
		"::1.2.3", "::1.2.3.256", "1:2:3:4:5:6:7:1.2.3.4", "g::", "::1%eth0",
		"localhost", "1.2.3.4:80", "0x7f.0.0.1",
		"1:2:3:4:5:6:7::",	/* inet_pton takes it, nginx does not */
	};
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct in6_addr want;
	socklen_t sl;
	size_t i;

	for (i = 0; i < sizeof good6 / sizeof good6[0]; i++) {
		int ok = auth_parse_addr(good6[i], strlen(good6[i]), &ss, &sl) == 0
		    && ss.ss_family == AF_INET6
		    && inet_pton(AF_INET6, good6[i], &want) == 1
		    && memcmp(&sin6->sin6_addr, &want, 16) == 0;

		if (!ok)
			fprintf(stderr, "ipv6 %s\n", good6[i]);
		CHECK(ok);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int ok = auth_parse_addr(bad[i], strlen(bad[i]), &ss, &sl) == -1;

		if (!ok)
			fprintf(stderr, "accepted %s\n", bad[i]);
		CHECK(ok);
	}
	/* nginx's quirks: empty octets are 0, leading zeros are decimal, one
	 * leading ':' is skipped */
	CHECK(auth_parse_addr("1..2.3", 6, &ss, &sl) == 0 && ntohl(sin->sin_addr.s_addr) == 0x01000203);
	CHECK(auth_parse_addr("010.0.0.1", 9, &ss, &sl) == 0 && ntohl(sin->sin_addr.s_addr) == 0x0a000001);
	CHECK(auth_parse_addr("...", 3, &ss, &sl) == 0 && sin->sin_addr.s_addr == 0);
	CHECK(auth_parse_addr("0.0.0.0", 7, &ss, &sl) == 0 && sl == sizeof *sin);
	CHECK(auth_parse_addr(":1:2:3:4:5:6:7:8", 16, &ss, &sl) == 0 && ss.ss_family == AF_INET6);
	CHECK(auth_parse_addr("1.2.3.4\0", 8, &ss, &sl) == -1);

	CHECK(auth_atoi("0", 1) == 0);
	CHECK(auth_atoi("", 0) == -1);
	CHECK(auth_atoi("9223372036854775807", 19) == INT64_MAX);
	CHECK(auth_atoi("9223372036854775808", 19) == -1);
	CHECK(auth_atoi("12a", 3) == -1);
	CHECK(auth_atoi("-1", 2) == -1);
}

/* ---- transport, against servers forked here ---------------------------- */

enum { SV_NORMAL, SV_DRIP, SV_SLOW, SV_CLOSE_MID, SV_BIG, SV_KEEP_OPEN, SV_RESET };

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Child: accept one connection, read the request to its empty line, pass
 * it to the parent through REQFD, then answer as MODE says. */
static void
serve_one(int lfd, int reqfd, int mode, const char *reply)
{
	static char req[AUTH_HTTP_REQ_BASE];
	size_t n = 0, i;
	ssize_t r;
	int c = accept(lfd, NULL, NULL);

	if (c < 0)
		_exit(1);
	while (n < sizeof req && (n < 4 || memcmp(req + n - 4, "\r\n\r\n", 4) != 0)) {
		r = read(c, req + n, sizeof req - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	write_all(reqfd, req, n);
	close(reqfd);
	switch (mode) {
	case SV_NORMAL:
		write_all(c, reply, strlen(reply));
		break;
	case SV_DRIP:
		for (i = 0; reply[i]; i++) {
			write_all(c, reply + i, 1);
			usleep(2000);
		}
		break;
	case SV_SLOW:
		sleep(3);
		write_all(c, reply, strlen(reply));
		break;
	case SV_CLOSE_MID:
		write_all(c, reply, strlen(reply) / 2);
		break;
	case SV_BIG:
	case SV_KEEP_OPEN:
		write_all(c, reply, strlen(reply));
		sleep(3);	/* the client must not wait for the close */
		break;
	case SV_RESET: {
		struct linger lg = { 1, 0 };

		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		break;
	}
	}
	close(c);
	_exit(0);
}

struct server {
	pid_t pid;
	int reqfd;		/* parent's end: the request as received */
};

static struct server
serve(int lfd, int mode, const char *reply)
{
	struct server s = { -1, -1 };
	int p[2];

	if (pipe(p) < 0)
		return s;
	s.pid = fork();
	if (s.pid == 0) {
		close(p[0]);
		serve_one(lfd, p[1], mode, reply);
	}
	close(p[1]);
	s.reqfd = p[0];
	return s;
}

static size_t
server_done(struct server *s, char *req, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap && (r = read(s->reqfd, req + n, cap - n)) > 0)
		n += (size_t)r;
	close(s->reqfd);
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	return n;
}

static int
listen_tcp(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0
	    || listen(fd, 4) < 0 || getsockname(fd, (struct sockaddr *)&sin, &sl) < 0)
		return -1;
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 || listen(fd, 4) < 0)
		return -1;
	return fd;
}

static const char ok_reply[] =
    "HTTP/1.0 200 OK\r\nAuth-Status: OK\r\nAuth-Server: 127.0.0.1\r\nAuth-Port: 10143\r\n\r\n";

/* One exchange: returns the transport code, checks that the server got
 * exactly the bytes we built. */
static int
exchange(int lfd, int mode, const char *reply, struct auth_reply *out, char *why,
    size_t whylen, int64_t *elapsed)
{
	struct auth_request rq = rq_plain();
	static char req[AUTH_HTTP_REQ_BASE], got[AUTH_HTTP_REQ_BASE];
	size_t reqlen, gotlen;
	struct server s;
	int64_t t0;
	int rc;

	rq.user = "a user"; rq.userlen = 6;
	if (auth_http_build(&srv, &rq, req, sizeof req, &reqlen) < 0)
		return -1;
	s = serve(lfd, mode, reply);
	t0 = mono_ms();
	rc = auth_http_query(&srv, req, reqlen, out, why, whylen);
	*elapsed = mono_ms() - t0;
	gotlen = server_done(&s, got, sizeof got);
	CHECK_MEM(got, gotlen, req, reqlen);
	return rc;
}

static void
transport_suite(int lfd, const char *label)
{
	static struct auth_reply out;
	static struct auth_result res;
	static char big[1400];
	char why[256];
	int64_t ms;
	bool sw = false;
	int rc;

	fprintf(stderr, "transport over %s\n", label);

	rc = exchange(lfd, SV_NORMAL, ok_reply, &out, why, sizeof why, &ms);
	CHECK(rc == AUTH_T_OK);
	CHECK(why[0] == '\0');
	CHECK(auth_reply_outcome(&out, MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_OK);
	CHECK_STR(res.upstream, "127.0.0.1:10143");

	/* headers only, no status line, dripped a byte at a time */
	rc = exchange(lfd, SV_DRIP, "Auth-Status: Invalid login\nAuth-Wait: 2\n\n",
	    &out, why, sizeof why, &ms);
	CHECK(rc == AUTH_T_OK);
	CHECK(auth_reply_outcome(&out, MP_PROTO_IMAP, true, &sw, &res, why, sizeof why) == AUTH_ERROR);
	CHECK_MEM(res.errmsg, res.errmsglen, "Invalid login", 13);

	/* the end of the headers ends the exchange, not the close */
	rc = exchange(lfd, SV_KEEP_OPEN, "Auth-Server: 10.0.0.1\r\nAuth-Port: 25\r\n\r\nbody",
	    &out, why, sizeof why, &ms);
	CHECK(rc == AUTH_T_OK && ms < 1500);

	/* slow server past a short timeout */
	srv.auth_http_timeout_ms = 300;
	rc = exchange(lfd, SV_SLOW, ok_reply, &out, why, sizeof why, &ms);
	CHECK(rc == AUTH_T_TIMEOUT);
	CHECK_STR(why, "timed out");
	CHECK(ms >= 250 && ms < 2000);
	srv.auth_http_timeout_ms = 5000;

	/* closed in the middle of the headers */
	rc = exchange(lfd, SV_CLOSE_MID, ok_reply, &out, why, sizeof why, &ms);
	CHECK(rc == AUTH_T_CLOSED);
	CHECK(why[0] == '\0');

	/* reset right after the request */
	rc = exchange(lfd, SV_RESET, ok_reply, &out, why, sizeof why, &ms);
	CHECK(rc == AUTH_T_CLOSED);
	fprintf(stderr, "  reset: \"%s\"\n", why);

	/* more than 1024 bytes of headers, connection kept open */
	memset(big, 'x', sizeof big - 1);
	memcpy(big, "X-Pad: ", 7);
	rc = exchange(lfd, SV_BIG, big, &out, why, sizeof why, &ms);
	CHECK(rc == AUTH_T_CLOSED && ms < 1500);

	/* parse errors */
	rc = exchange(lfd, SV_NORMAL, "HTTP/1.0 200 OK\rAuth-Port: 1\r\n\r\n", &out, why, sizeof why, &ms);
	CHECK(rc == AUTH_T_INVALID);
	CHECK_STR(why, "sent invalid response");
	rc = exchange(lfd, SV_NORMAL, "HTTP/1.0 200 OK\r\nAuth_Port: 1\r\n\r\n", &out, why, sizeof why, &ms);
	CHECK(rc == AUTH_T_INVALID);
	CHECK_STR(why, "sent invalid header in response");
}

static void
test_transport(void)
{
	char dir[] = "/tmp/test_auth_http.XXXXXX", path[100];
	unsigned port = 0;
	int lfd, rc;
	static struct auth_reply out;
	char why[256];

	signal(SIGPIPE, SIG_IGN);

	lfd = listen_tcp(&port);
	CHECK(lfd >= 0);
	srv_reset();
	srv.auth_http.port = port;
	srv.auth_http_timeout_ms = 5000;
	transport_suite(lfd, "127.0.0.1");
	close(lfd);

	/* connection refused: the port is closed now */
	rc = auth_http_query(&srv, "GET / HTTP/1.0\r\n\r\n", 18, &out, why, sizeof why);
	CHECK(rc == AUTH_T_CONNECT);
	fprintf(stderr, "  refused: \"%s\"\n", why);
	{
		char want[128];

		snprintf(want, sizeof want, "connect() to 127.0.0.1:%u failed (111: Connection refused)", port);
		CHECK_STR(why, want);
	}

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/auth.sock", dir);
	lfd = listen_unix(path);
	CHECK(lfd >= 0);
	srv_reset();
	srv.auth_http.is_unix = true;
	srv.auth_http.host = "localhost";
	srv.auth_http.path = path;
	srv.auth_http_timeout_ms = 5000;
	transport_suite(lfd, path);
	close(lfd);
	unlink(path);

	/* no socket file */
	rc = auth_http_query(&srv, "GET / HTTP/1.0\r\n\r\n", 18, &out, why, sizeof why);
	CHECK(rc == AUTH_T_CONNECT);
	{
		char want[256];

		snprintf(want, sizeof want, "connect() to unix:%s failed (2: No such file or directory)", path);
		CHECK_STR(why, want);
	}
	rmdir(dir);
}

int
main(void)
{
	test_request_plain();
	test_request_escape();
	test_request_digest();
	test_request_external();
	test_request_smtp_none();
	test_request_proxy_protocol();
	test_request_ssl();
	test_request_headers();
	test_request_refusals();
	test_reply_basic();
	test_reply_syntax();
	test_reply_headers();
	test_reply_limit();
	test_outcome();
	test_outcome_wait();
	test_addr();
	test_transport();
	UNIT_DONE();
}
