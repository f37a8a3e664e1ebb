/* SPDX-License-Identifier: ISC */
/* auth_http_reply.c: the auth server's reply (doc/wire.md#auth-reply,
 * #auth-outcome). A resumable byte state machine over one 1 KiB buffer, as
 * nginx reads it: an optional "HTTP/" status line that is skipped whole, then
 * header lines up to the empty line. A line may arrive split over any number
 * of feeds. Then the outcome, in nginx's order, with nginx's address and
 * number parsers. No I/O, no allocation, no logging. */

#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "auth_http.h"

enum {
	/* status line: "HTTP/" at byte 0, else headers start at byte 0 */
	S_H = 0, S_HT, S_HTT, S_HTTP, S_HTTP_SLASH, S_SKIP, S_STATUS_CR,
	/* header lines, as ngx_mail_auth_http_parse_header_line() */
	S_START, S_NAME, S_SPACE_BEFORE, S_VALUE, S_SPACE_AFTER, S_LINE_CR,
	S_END_CR
};

void
auth_reply_init(struct auth_reply *r)
{
	memset(r, 0, sizeof *r);
	r->client_id = -1;
	r->state = S_H;
	r->rc = AUTH_R_AGAIN;
}

static bool
is_alnum(unsigned char c)
{
	unsigned char l = c | 0x20;

	return (l >= 'a' && l <= 'z') || (c >= '0' && c <= '9');
}

/* ASCII-only, as ngx_strncasecmp: header names never depend on the locale. */
static bool
name_is(const struct auth_reply *r, const char *want)
{
	size_t n = strlen(want), i;

	if ((size_t)(r->name_end - r->name_start) != n)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char a = (unsigned char)r->buf[r->name_start + i];
		unsigned char b = (unsigned char)want[i];

		if (a >= 'A' && a <= 'Z')
			a |= 0x20;
		if (b >= 'A' && b <= 'Z')
			b |= 0x20;
		if (a != b)
			return false;
	}
	return true;
}

static bool
value_is(const struct auth_reply *r, const char *want)
{
	size_t n = strlen(want);

	return (size_t)(r->val_end - r->val_start) == n
	    && memcmp(r->buf + r->val_start, want, n) == 0;
}

static void
header_line(struct auth_reply *r)
{
	struct auth_span v = { r->val_start, (uint16_t)(r->val_end - r->val_start) };
	int64_t n;

	if (name_is(r, "Auth-Status")) {
		if (value_is(r, "OK"))
			return;
		if (value_is(r, "WAIT")) {
			r->wait = true;
			return;
		}
		r->status_error = true;
		r->error = v;
	} else if (name_is(r, "Auth-Server")) {
		r->server = v;
	} else if (name_is(r, "Auth-Port")) {
		r->port = v;
	} else if (name_is(r, "Auth-User")) {
		r->has_user = true;
		r->user = v;
	} else if (name_is(r, "Auth-Pass")) {
		r->has_pass = true;
		r->pass = v;
	} else if (name_is(r, "Auth-Wait")) {
		n = auth_atoi(r->buf + v.off, v.len);
		if (n >= 0)
			r->wait_sec = n;
	} else if (name_is(r, "Auth-Error-Code")) {
		r->has_errcode = true;
		r->errcode = v;
	} else if (name_is(r, "Auth-Error-SASL")) {
		r->errsasl = v;
	} else if (name_is(r, "Auth-Proxy-Client-Id")) {
		r->client_id = value_is(r, "on") ? 1 : value_is(r, "off") ? 0 : -1;
	} else if (name_is(r, "Auth-Backend-TLS")) {
		r->backend_tls = v;
	} else if (name_is(r, "Auth-Backend-TLS-Name")) {
		r->backend_tls_name = v;
	} else if (name_is(r, "Auth-Backend-TLS-Verify")) {
		r->backend_tls_verify = v;
	}
}

/* Run the machine over buf[pos..len). */
static int
parse(struct auth_reply *r)
{
	while (r->pos < r->len) {
		uint16_t p = (uint16_t)r->pos++;
		unsigned char ch = (unsigned char)r->buf[p];

		switch (r->state) {
		case S_H: case S_HT: case S_HTT: case S_HTTP: case S_HTTP_SLASH:
			if (ch == (unsigned char)"HTTP/"[r->state]) {
				r->state++;
				break;
			}
			/* no status line: the same bytes are headers */
			r->pos = 0;
			r->state = S_START;
			break;
		case S_SKIP:
			if (ch == '\r')
				r->state = S_STATUS_CR;
			else if (ch == '\n')
				r->state = S_START;
			break;
		case S_STATUS_CR:
			if (ch != '\n')
				return AUTH_R_BAD_STATUS;
			r->state = S_START;
			break;

		case S_START:
			if (ch == '\r') {
				r->state = S_END_CR;
				break;
			}
			if (ch == '\n')
				return AUTH_R_DONE;
			if (!is_alnum(ch))
				return AUTH_R_BAD_HEADER;
			r->name_start = p;
			r->state = S_NAME;
			break;
		case S_NAME:
			if (is_alnum(ch) || ch == '-')
				break;
			if (ch == ':') {
				r->name_end = p;
				r->state = S_SPACE_BEFORE;
				break;
			}
			if (ch != '\r' && ch != '\n')
				return AUTH_R_BAD_HEADER;
			/* a name without a colon: a header with an empty value */
			r->name_end = r->val_start = r->val_end = p;
			goto line_end;
		case S_SPACE_BEFORE:
			if (ch == ' ')
				break;
			r->val_start = r->val_end = p;
			if (ch == '\r' || ch == '\n')
				goto line_end;
			r->state = S_VALUE;
			break;
		case S_VALUE:
			if (ch == ' ') {
				r->val_end = p;
				r->state = S_SPACE_AFTER;
			} else if (ch == '\r' || ch == '\n') {
				r->val_end = p;
				goto line_end;
			}
			break;
		case S_SPACE_AFTER:
			/* val_end stays at the first of the trailing spaces */
			if (ch == '\r' || ch == '\n')
				goto line_end;
			if (ch != ' ')
				r->state = S_VALUE;
			break;
		case S_LINE_CR:
			if (ch != '\n')
				return AUTH_R_BAD_HEADER;
			header_line(r);
			r->state = S_START;
			break;
		case S_END_CR:
			if (ch != '\n')
				return AUTH_R_BAD_HEADER;
			return AUTH_R_DONE;
		}
		continue;
line_end:
		if (ch == '\r') {
			r->state = S_LINE_CR;
		} else {
			header_line(r);
			r->state = S_START;
		}
	}
	return AUTH_R_AGAIN;
}

int
auth_reply_feed(struct auth_reply *r, const void *data, size_t n)
{
	size_t room;

	if (r->rc != AUTH_R_AGAIN)
		return r->rc;
	room = sizeof r->buf - r->len;
	if (n > room)
		n = room;
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	r->rc = parse(r);
	if (r->rc == AUTH_R_AGAIN && r->len == sizeof r->buf)
		r->rc = AUTH_R_FULL;
	return r->rc;
}

const char *
auth_reply_rc_text(int rc)
{
	switch (rc) {
	case AUTH_R_BAD_STATUS:
		return "sent invalid response";
	case AUTH_R_BAD_HEADER:
		return "sent invalid header in response";
	default:
		return NULL;
	}
}

/* ---- nginx's number and address parsers ------------------------------ */

int64_t
auth_atoi(const char *s, size_t len)
{
	int64_t v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		int d = (unsigned char)s[i] - '0';

		if (d < 0 || d > 9)
			return -1;
		if (v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	return v;
}

/* ngx_inet_addr: exactly three dots, octets 0..255 in decimal, an empty
 * octet counts as 0; the all-ones address is its error value. Host order. */
static int
inet4(const char *s, size_t len, uint32_t *out)
{
	uint32_t addr = 0, octet = 0;
	unsigned dots = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= '0' && c <= '9') {
			octet = octet * 10 + (c - '0');
			if (octet > 255)
				return -1;
		} else if (c == '.' && dots < 3) {
			addr = addr << 8 | octet;
			octet = 0;
			dots++;
		} else {
			return -1;
		}
	}
	if (dots != 3)
		return -1;
	addr = addr << 8 | octet;
	if (addr == 0xffffffffu)
		return -1;
	*out = addr;
	return 0;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* ngx_inet6_addr: groups of 1-4 hex digits, one "::", an optional dotted
 * IPv4 tail; one leading ':' is skipped (so ":1:2:3:4:5:6:7:8" passes). */
static int
inet6(const char *s, size_t len, uint8_t a[16])
{
	uint8_t t[16];
	size_t i = 0, w = 0, groups = 8, v4 = 0;
	bool have_v4 = false, have_zero = false;
	size_t zero = 0;
	unsigned nibbles = 0, word = 0;
	uint32_t ip4;
	int d;

	if (len == 0)
		return -1;
	if (s[0] == ':')
		i = 1;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ':') {
			if (nibbles) {
				v4 = i + 1;
				have_v4 = true;
				t[w++] = (uint8_t)(word >> 8);
				t[w++] = (uint8_t)word;
				if (--groups == 0)
					return -1;
				nibbles = word = 0;
				continue;
			}
			if (have_zero)
				return -1;
			v4 = i + 1;
			have_v4 = true;
			have_zero = true;
			zero = w;
			continue;
		}
		if (c == '.' && nibbles) {
			if (groups < 2 || !have_v4 || inet4(s + v4, len - v4, &ip4) < 0)
				return -1;
			t[w++] = (uint8_t)(ip4 >> 24);
			t[w++] = (uint8_t)(ip4 >> 16);
			groups--;
			word = ip4 & 0xffff;
			goto last;
		}
		if (++nibbles > 4 || (d = hexval(c)) < 0)
			return -1;
		word = word * 16 + (unsigned)d;
	}
	if (nibbles == 0 && !have_zero)
		return -1;
last:
	t[w++] = (uint8_t)(word >> 8);
	t[w++] = (uint8_t)word;
	groups--;
	if (groups == 0) {
		if (have_zero)
			return -1;
	} else {
		if (!have_zero)
			return -1;
		/* open the "::" gap: the groups after it move to the end */
		memmove(t + 16 - (w - zero), t + zero, w - zero);
		memset(t + zero, 0, 16 - w);
	}
	memcpy(a, t, 16);
	return 0;
}

int
auth_parse_addr(const char *s, size_t len, struct sockaddr_storage *sa,
    socklen_t *salen)
{
	uint32_t ip4;
	uint8_t ip6[16];

	memset(sa, 0, sizeof *sa);
	if (inet4(s, len, &ip4) == 0) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(ip4);
		*salen = sizeof *sin;
		return 0;
	}
	if (inet6(s, len, ip6) == 0) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ip6, 16);
		*salen = sizeof *sin6;
		return 0;
	}
	return -1;
}

/* ---- outcome ---------------------------------------------------------- */

/* WHY = TEXT + '"' + value + '"', bounded. */
static void
why_quoted(char *why, size_t whylen, const char *text, const char *v, size_t n)
{
	size_t w = 0, tl = strlen(text);

	if (whylen == 0)
		return;
	if (tl > whylen - 1)
		tl = whylen - 1;
	memcpy(why, text, tl);
	w = tl;
	if (w < whylen - 1)
		why[w++] = '"';
	if (n > whylen - 1 - w)
		n = whylen - 1 - w;
	memcpy(why + w, v, n);
	w += n;
	if (w < whylen - 1)
		why[w++] = '"';
	why[w] = '\0';
}

static int
fail(struct auth_result *res, int outcome, char *why, size_t whylen, const char *text)
{
	res->outcome = outcome;
	if (whylen) {
		size_t n = strlen(text);

		if (n > whylen - 1)
			n = whylen - 1;
		memcpy(why, text, n);
		why[n] = '\0';
	}
	return outcome;
}

int
auth_reply_outcome(const struct auth_reply *r, int protocol,
    bool have_password, bool *session_wait, struct auth_result *res,
    char *why, size_t whylen)
{
	const char *addr = auth_span_ptr(r, r->server);
	const char *port = auth_span_ptr(r, r->port);
	int64_t pn;
	bool error;

	memset(res, 0, sizeof *res);
	if (whylen)
		why[0] = '\0';
	if (r->wait)
		*session_wait = true;

	/* nginx keeps the SMTP error as the bare text, and tests its length:
	 * an empty Auth-Status is no error there (IMAP/POP3 add a prefix). */
	error = r->status_error && (protocol != MP_PROTO_SMTP || r->error.len > 0);
	if (error) {
		res->outcome = AUTH_ERROR;
		res->errmsg = auth_span_ptr(r, r->error);
		res->errmsglen = r->error.len;
		res->errcode = "";
		if (protocol == MP_PROTO_SMTP) {
			if (r->has_errcode && r->errcode.len) {
				res->errcode = auth_span_ptr(r, r->errcode);
				res->errcodelen = r->errcode.len;
			} else {
				res->errcode = "535 5.7.0";
				res->errcodelen = 9;
			}
		}
		res->errsasl = auth_span_ptr(r, r->errsasl);
		res->errsasllen = r->errsasl.len;
		res->wait_sec = r->wait_sec;
		res->retry = r->wait_sec > 0 && *session_wait;
		return res->outcome;
	}
	if (*session_wait) {
		res->outcome = AUTH_RETRY_WAIT;
		res->wait_sec = r->wait_sec;
		return res->outcome;
	}
	if (r->server.len == 0 || r->port.len == 0)
		return fail(res, AUTH_NO_SERVER, why, whylen, "did not send server or port");
	if (protocol != MP_PROTO_SMTP && !have_password && !r->has_pass)
		return fail(res, AUTH_NO_PASSWORD, why, whylen, "did not send password");
	if (auth_parse_addr(addr, r->server.len, &res->sa, &res->salen) < 0) {
		res->outcome = AUTH_BAD_ADDR;
		why_quoted(why, whylen, "sent invalid server address:", addr, r->server.len);
		return res->outcome;
	}
	pn = auth_atoi(port, r->port.len);
	if (pn < 1 || pn > 65535) {
		res->outcome = AUTH_BAD_PORT;
		why_quoted(why, whylen, "sent invalid server port:", port, r->port.len);
		return res->outcome;
	}
	if (res->sa.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&res->sa)->sin6_port = htons((uint16_t)pn);
	else
		((struct sockaddr_in *)&res->sa)->sin_port = htons((uint16_t)pn);

	/* both spans are in one 1 KiB buffer, so this always fits */
	memcpy(res->upstream, addr, r->server.len);
	res->upstream[r->server.len] = ':';
	memcpy(res->upstream + r->server.len + 1, port, r->port.len);
	res->upstream[r->server.len + 1 + r->port.len] = '\0';
	res->outcome = AUTH_OK;
	return res->outcome;
}
