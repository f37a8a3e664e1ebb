/* SPDX-License-Identifier: ISC */
/* auth_http_request.c: the auth_http request, byte for byte as nginx builds
 * it (doc/wire.md#auth-request): fixed header order, Auth-User, Auth-Pass
 * and Auth-SSL-Cert escaped with NGX_ESCAPE_MAIL_AUTH, everything else sent
 * as is. Values that are sent as is must not hold CR, LF or NUL; such a
 * request is refused rather than let a value end a header line early. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth_http.h"

struct out {
	char *p;
	size_t len, cap;
	int err;		/* 0, ENOSPC or EINVAL; the first one sticks */
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (n > o->cap - o->len) {
		o->err = ENOSPC;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A value that goes on the wire unescaped: a NUL would have ended the C
 * string already, so only CR and LF need looking for. */
static void
put_safe(struct out *o, const char *s)
{
	if (strpbrk(s, "\r\n") != NULL) {
		if (!o->err)
			o->err = EINVAL;
		return;
	}
	put_str(o, s);
}

/* "Name: value\r\n" with a raw value. */
static void
header(struct out *o, const char *name, const char *value)
{
	put_str(o, name);
	put_safe(o, value);
	put(o, "\r\n", 2);
}

static void
header_escaped(struct out *o, const char *name, const char *v, size_t n)
{
	size_t w;

	put_str(o, name);
	if (o->err)
		return;
	w = auth_http_escape(o->p + o->len, o->cap - o->len, v ? v : "", v ? n : 0);
	if (w == (size_t)-1) {
		o->err = ENOSPC;
		return;
	}
	o->len += w;
	put(o, "\r\n", 2);
}

size_t
auth_http_escape(char *dst, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, w = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c <= 0x20 || c == '%') {
			if (cap - w < 3)
				return (size_t)-1;
			dst[w++] = '%';
			dst[w++] = hex[c >> 4];
			dst[w++] = hex[c & 15];
		} else {
			if (cap - w < 1)
				return (size_t)-1;
			dst[w++] = (char)c;
		}
	}
	return w;
}

/* The salt is ours ("<rand.time@name>\r\n"), but it goes out raw: it must
 * end in CRLF and hold no other CR, LF or NUL. */
static bool
salt_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || s[n - 2] != '\r' || s[n - 1] != '\n')
		return false;
	for (i = 0; i < n - 2; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return false;
	return true;
}

static bool
known_method(const char *m)
{
	static const char *const v[] = { "plain", "apop", "cram-md5", "external", "none",
	    "xoauth2", "oauthbearer" };
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		if (strcmp(m, v[i]) == 0)
			return true;
	return false;
}

static void
ssl_headers(struct out *o, const struct auth_request *rq)
{
	if (!rq->ssl)
		return;
	put_str(o, "Auth-SSL: on\r\n");
	if (rq->ssl_protocol)
		header(o, "Auth-SSL-Protocol: ", rq->ssl_protocol);
	if (rq->ssl_cipher)
		header(o, "Auth-SSL-Cipher: ", rq->ssl_cipher);
	if (rq->ssl_verify)
		header(o, "Auth-SSL-Verify: ", rq->ssl_verify);
	if (rq->ssl_subject)
		header(o, "Auth-SSL-Subject: ", rq->ssl_subject);
	if (rq->ssl_issuer)
		header(o, "Auth-SSL-Issuer: ", rq->ssl_issuer);
	if (rq->ssl_serial)
		header(o, "Auth-SSL-Serial: ", rq->ssl_serial);
	if (rq->ssl_fingerprint)
		header(o, "Auth-SSL-Fingerprint: ", rq->ssl_fingerprint);
	if (rq->ssl_cert && rq->ssl_certlen)
		header_escaped(o, "Auth-SSL-Cert: ", rq->ssl_cert, rq->ssl_certlen);
}

int
auth_http_build(const struct mp_server *srv, const struct auth_request *rq,
    char *buf, size_t cap, size_t *len)
{
	struct out o = { buf, 0, cap, 0 };
	char num[24];
	bool pp, none;
	size_t i;

	if (rq->method == NULL || !known_method(rq->method) || rq->protocol == NULL
	    || rq->client_ip == NULL || srv->auth_http.uri == NULL
	    || srv->auth_http.host == NULL) {
		errno = EINVAL;
		return -1;
	}
	pp = rq->pp_addr != NULL;
	if (pp != (rq->pp_port != NULL) || pp != (rq->pp_server_addr != NULL)
	    || pp != (rq->pp_server_port != NULL)) {
		errno = EINVAL;
		return -1;
	}
	none = strcmp(rq->method, "none") == 0;

	put_str(&o, "GET ");
	put_safe(&o, srv->auth_http.uri);
	put_str(&o, " HTTP/1.0\r\n");
	header(&o, "Host: ", srv->auth_http.host);
	header(&o, "Auth-Method: ", rq->method);
	header_escaped(&o, "Auth-User: ", rq->user, rq->userlen);
	header_escaped(&o, "Auth-Pass: ", rq->pass, rq->passlen);

	/* Only the digest methods use a salt (nginx 1.29.1). */
	if (rq->salt && rq->saltlen
	    && (strcmp(rq->method, "apop") == 0 || strcmp(rq->method, "cram-md5") == 0)) {
		if (!salt_ok(rq->salt, rq->saltlen)) {
			errno = EINVAL;
			return -1;
		}
		put_str(&o, "Auth-Salt: ");
		put(&o, rq->salt, rq->saltlen);
	}

	header(&o, "Auth-Protocol: ", rq->protocol);
	snprintf(num, sizeof num, "%u", rq->attempt);
	header(&o, "Auth-Login-Attempt: ", num);
	header(&o, "Client-IP: ", rq->client_ip);
	if (rq->client_host && rq->client_host[0])
		header(&o, "Client-Host: ", rq->client_host);

	if (pp) {
		header(&o, "Proxy-Protocol-Addr: ", rq->pp_addr);
		header(&o, "Proxy-Protocol-Port: ", rq->pp_port);
		header(&o, "Proxy-Protocol-Server-Addr: ", rq->pp_server_addr);
		header(&o, "Proxy-Protocol-Server-Port: ", rq->pp_server_port);
	}

	if (none) {
		header(&o, "Auth-SMTP-Helo: ", rq->smtp_helo ? rq->smtp_helo : "");
		header(&o, "Auth-SMTP-From: ", rq->smtp_from ? rq->smtp_from : "");
		header(&o, "Auth-SMTP-To: ", rq->smtp_to ? rq->smtp_to : "");
	}

	ssl_headers(&o, rq);
	if (rq->session_id && rq->session_id[0])
		header(&o, "Auth-Session-Id: ", rq->session_id);
	if (rq->imap_id && rq->imap_id[0])
		header(&o, "Auth-IMAP-ID: ", rq->imap_id);

	for (i = 0; i < srv->nauth_http_headers; i++) {
		const struct mp_header *h = &srv->auth_http_headers[i];

		put_safe(&o, h->name);
		put(&o, ": ", 2);
		put_safe(&o, h->value);
		put(&o, "\r\n", 2);
	}
	put(&o, "\r\n", 2);

	if (o.err) {
		errno = o.err;
		return -1;
	}
	*len = o.len;
	return 0;
}
