/* SPDX-License-Identifier: ISC */
/* sasl_oauth.c: the bearer-token mechanisms of sasl.h, XOAUTH2 (Google's
 * format) and OAUTHBEARER (RFC 7628), decoded and checked field by field
 * over the decoded bytes, with explicit lengths: a field is accepted only
 * whole, and nothing may follow the final separator. Pure functions: no
 * I/O, no logging, no allocation. */
#include <errno.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"

#define KVSEP 0x01

/* A span of the decoded message. */
struct span {
	const char *p;
	size_t len;
};

/* The fields a message may name once. */
struct fields {
	struct span user, auth;
	bool has_user, has_auth, has_host, has_port;
};

static bool
is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 7628 value: VCHAR, SP, HTAB, CR, LF. */
static bool
is_value_byte(unsigned char c)
{
	return (c >= 0x20 && c <= 0x7e) || c == '\t' || c == '\r' || c == '\n';
}

/* A user name: anything but a control byte (UTF-8 passes). */
static bool
user_ok(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool
key_is(struct span k, const char *name)
{
	return k.len == strlen(name) && memcmp(k.p, name, k.len) == 0;
}

/* "Bearer" (any case), one or more SP, then RFC 6750's b64token:
 * 1*(ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/") *"=". */
static bool
bearer(struct span v, struct span *token)
{
	static const char scheme[] = "bearer";
	size_t i = 0, start;

	if (v.len < sizeof scheme)
		return false;
	for (; i < sizeof scheme - 1; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != (unsigned char)scheme[i])
			return false;
	}
	if (v.p[i] != ' ')
		return false;
	while (i < v.len && v.p[i] == ' ')
		i++;
	start = i;
	for (; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (!is_alpha(c) && !is_digit(c) && strchr("-._~+/", c) == NULL)
			break;
	}
	if (i == start)
		return false;
	while (i < v.len && v.p[i] == '=')
		i++;
	if (i != v.len)
		return false;
	token->p = v.p + start;
	token->len = v.len - start;
	return true;
}

/* key=value pairs, each ending in KVSEP, then one more KVSEP, then the end
 * of the message. XOAUTH2: only "user" and "auth", and values of any byte
 * but KVSEP and NUL (checked later per field); OAUTHBEARER: RFC 7628's
 * grammar, other keys allowed. Every known key at most once. */
static int
kvpairs(const char *p, size_t len, bool xoauth2, struct fields *f)
{
	size_t i = 0;

	for (;;) {
		struct span k, v;

		if (i >= len)
			return SASL_EOAUTH;
		if (p[i] == KVSEP)
			break;
		k.p = p + i;
		while (i < len && is_alpha((unsigned char)p[i]))
			i++;
		k.len = (size_t)(p + i - k.p);
		if (k.len == 0 || i >= len || p[i] != '=')
			return SASL_EOAUTH;
		v.p = p + ++i;
		while (i < len && p[i] != KVSEP) {
			unsigned char c = (unsigned char)p[i];

			if (c == '\0' || (!xoauth2 && !is_value_byte(c)))
				return SASL_EOAUTH;
			i++;
		}
		if (i >= len)
			return SASL_EOAUTH;
		v.len = (size_t)(p + i - v.p);
		i++;	/* the pair's KVSEP */

		if (key_is(k, "auth")) {
			if (f->has_auth)
				return SASL_EOAUTH;
			f->has_auth = true;
			f->auth = v;
		} else if (xoauth2 && key_is(k, "user")) {
			if (f->has_user)
				return SASL_EOAUTH;
			f->has_user = true;
			f->user = v;
		} else if (!xoauth2 && key_is(k, "host")) {
			if (f->has_host)
				return SASL_EOAUTH;
			f->has_host = true;
		} else if (!xoauth2 && key_is(k, "port")) {
			if (f->has_port)
				return SASL_EOAUTH;
			f->has_port = true;
		} else if (xoauth2) {
			return SASL_EOAUTH;
		}
	}
	/* the closing KVSEP is the last byte */
	return i + 1 == len ? SASL_OK : SASL_EOAUTH;
}

/* The GS2 header of OAUTHBEARER: gs2-cb-flag "," [ "a=" saslname ] ","
 * (RFC 5801 with RFC 7628's restriction to "n" and "y"). The authzid is
 * unescaped in place (it only shrinks) and becomes *USER. Returns the
 * header's length, or 0. */
static size_t
gs2_header(char *p, size_t len, struct span *user)
{
	size_t i, n = 0;
	char *out = p;

	user->p = p;
	user->len = 0;
	if (len < 2 || (p[0] != 'n' && p[0] != 'y') || p[1] != ',')
		return 0;
	i = 2;
	if (i + 1 < len && p[i] == 'a' && p[i + 1] == '=') {
		i += 2;
		out = p + i;
		user->p = out;
		while (i < len && p[i] != ',') {
			char c = p[i];

			if (c == '=') {
				if (len - i >= 3 && p[i + 1] == '2' && p[i + 2] == 'C')
					c = ',';
				else if (len - i >= 3 && p[i + 1] == '3' && p[i + 2] == 'D')
					c = '=';
				else
					return 0;
				i += 3;
			} else {
				i++;
			}
			out[n++] = c;	/* never ahead of the scan */
		}
		if (n == 0 || !user_ok(out, n))
			return 0;
	}
	if (i >= len || p[i] != ',')
		return 0;
	user->len = n;
	return i + 1;
}

/* base64 into work[cap] with the sasl_rc mapping of failures. */
static int
decode(const char *b64, size_t len, char *work, size_t cap, size_t *n)
{
	if (base64_decode(work, cap, b64, len, n) == 0)
		return SASL_OK;
	return errno == ENOBUFS ? SASL_ETOOBIG : SASL_EBASE64;
}

/* The token out of a message's "auth" field, into TOKEN. */
static int
take_token(const struct fields *f, char *token, size_t *tokenlen)
{
	struct span t;

	if (!f->has_auth || !bearer(f->auth, &t))
		return SASL_ETOKEN;
	memcpy(token, t.p, t.len);
	*tokenlen = t.len;
	return SASL_OK;
}

int
sasl_xoauth2(const char *b64, size_t len, char *work, size_t cap,
    char *login, size_t *loginlen, char *token, size_t *tokenlen)
{
	struct fields f;
	size_t n;
	int rc;

	if ((rc = decode(b64, len, work, cap, &n)) != SASL_OK)
		return rc;
	memset(&f, 0, sizeof f);
	rc = kvpairs(work, n, true, &f);
	if (rc == SASL_OK && (!f.has_user || f.user.len == 0 || !user_ok(f.user.p, f.user.len)))
		rc = SASL_EOAUTH;
	if (rc == SASL_OK)
		rc = take_token(&f, token, tokenlen);
	if (rc == SASL_OK) {
		memcpy(login, f.user.p, f.user.len);
		*loginlen = f.user.len;
	}
	explicit_bzero(work, n);
	return rc;
}

int
sasl_oauthbearer(const char *b64, size_t len, char *work, size_t cap,
    char *login, size_t *loginlen, char *token, size_t *tokenlen)
{
	struct fields f;
	struct span user;
	size_t n, h;
	int rc;

	if ((rc = decode(b64, len, work, cap, &n)) != SASL_OK)
		return rc;
	memset(&f, 0, sizeof f);
	h = gs2_header(work, n, &user);
	if (h == 0 || h >= n || work[h] != KVSEP)
		rc = SASL_EOAUTH;
	else
		rc = kvpairs(work + h + 1, n - h - 1, false, &f);
	if (rc == SASL_OK)
		rc = take_token(&f, token, tokenlen);
	if (rc == SASL_OK) {
		memcpy(login, user.p, user.len);
		*loginlen = user.len;
	}
	explicit_bzero(work, n);
	return rc;
}

bool
sasl_is_base64(const char *p, size_t len)
{
	size_t i = 0, pad;

	while (i < len && (is_alpha((unsigned char)p[i]) || is_digit((unsigned char)p[i]) ||
	    p[i] == '+' || p[i] == '/'))
		i++;
	if (i == 0)
		return false;
	for (pad = 0; i < len && p[i] == '=' && pad < 2; i++)
		pad++;
	return i == len;
}
