/* SPDX-License-Identifier: ISC */
/* sasl.c: SASL mechanism selection, response decoding, salt and challenge,
 * and the POP3/SMTP response-line parser, as nginx's mail proxy does them
 * (see sasl.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "conf.h"
#include "sasl.h"

_Static_assert(SASL_MECH_PLAIN == MP_AUTH_PLAIN && SASL_MECH_LOGIN == MP_AUTH_LOGIN &&
    SASL_MECH_CRAM_MD5 == MP_AUTH_CRAM_MD5 && SASL_MECH_EXTERNAL == MP_AUTH_EXTERNAL &&
    SASL_MECH_XOAUTH2 == MP_AUTH_XOAUTH2 && SASL_MECH_OAUTHBEARER == MP_AUTH_OAUTHBEARER,
    "sasl_mech values must equal the MP_AUTH_* bits");

static int
name_is(const char *s, size_t len, const char *upper)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (c != (unsigned char)upper[i] || upper[i] == '\0')
			return 0;
	}
	return upper[len] == '\0';
}

unsigned
sasl_mechanism(const char *name, size_t len)
{
	if (name_is(name, len, "PLAIN"))
		return SASL_MECH_PLAIN;
	if (name_is(name, len, "LOGIN"))
		return SASL_MECH_LOGIN;
	if (name_is(name, len, "CRAM-MD5"))
		return SASL_MECH_CRAM_MD5;
	if (name_is(name, len, "EXTERNAL"))
		return SASL_MECH_EXTERNAL;
	if (name_is(name, len, "XOAUTH2"))
		return SASL_MECH_XOAUTH2;
	if (name_is(name, len, "OAUTHBEARER"))
		return SASL_MECH_OAUTHBEARER;
	return SASL_MECH_NONE;
}

int
sasl_auth_parse(const char *mech, size_t len, unsigned nargs)
{
	if (nargs == 0)
		return SASL_AUTH_INVALID;
	switch (sasl_mechanism(mech, len)) {
	case SASL_MECH_LOGIN:
		return nargs == 1 ? SASL_AUTH_LOGIN :
		    nargs == 2 ? SASL_AUTH_LOGIN_USERNAME : SASL_AUTH_INVALID;
	case SASL_MECH_PLAIN:
		return nargs == 1 ? SASL_AUTH_PLAIN :
		    nargs == 2 ? SASL_AUTH_PLAIN_INITIAL : SASL_AUTH_INVALID;
	case SASL_MECH_CRAM_MD5:
		/* no initial response for CRAM-MD5 */
		return nargs == 1 ? SASL_AUTH_CRAM_MD5 : SASL_AUTH_INVALID;
	case SASL_MECH_EXTERNAL:
		return nargs == 1 ? SASL_AUTH_EXTERNAL :
		    nargs == 2 ? SASL_AUTH_EXTERNAL_INITIAL : SASL_AUTH_INVALID;
	case SASL_MECH_XOAUTH2:
	case SASL_MECH_OAUTHBEARER:
		return nargs == 1 ? SASL_AUTH_OAUTH :
		    nargs == 2 ? SASL_AUTH_OAUTH_INITIAL : SASL_AUTH_INVALID;
	}
	return SASL_AUTH_INVALID;
}

/* base64 into dst[cap] with the sasl_rc mapping of failures. */
static int
decode(const char *b64, size_t len, char *dst, size_t cap, size_t *n)
{
	if (base64_decode(dst, cap, b64, len, n) == 0)
		return SASL_OK;
	return errno == ENOBUFS ? SASL_ETOOBIG : SASL_EBASE64;
}

int
sasl_plain(const char *b64, size_t len, char *work, size_t cap,
    char *login, size_t *loginlen, char *pass, size_t *passlen)
{
	const char *nul1, *nul2;
	size_t n;
	int rc;

	if ((rc = decode(b64, len, work, cap, &n)) != SASL_OK)
		return rc;
	nul1 = memchr(work, '\0', n);
	if (nul1 == NULL || nul1 == work + n - 1) {
		/* nginx's scan runs past the first NUL and then finds the end */
		rc = SASL_ELOGIN;
		goto out;
	}
	nul2 = memchr(nul1 + 1, '\0', (size_t)(work + n - (nul1 + 1)));
	if (nul2 == NULL) {
		rc = SASL_EPASSWORD;
		goto out;
	}
	*loginlen = (size_t)(nul2 - (nul1 + 1));
	memcpy(login, nul1 + 1, *loginlen);
	*passlen = (size_t)(work + n - (nul2 + 1));
	memcpy(pass, nul2 + 1, *passlen);
out:
	explicit_bzero(work, n);
	return rc;
}

int
sasl_login_user(const char *b64, size_t len, char *login, size_t cap, size_t *loginlen)
{
	return decode(b64, len, login, cap, loginlen);
}

int
sasl_login_pass(const char *b64, size_t len, char *pass, size_t cap, size_t *passlen)
{
	return decode(b64, len, pass, cap, passlen);
}

int
sasl_cram_md5(const char *b64, size_t len, char *work, size_t cap,
    char *login, size_t *loginlen, char *digest, size_t *digestlen)
{
	const char *sp;
	size_t n;
	int rc;

	if ((rc = decode(b64, len, work, cap, &n)) != SASL_OK)
		return rc;
	sp = memchr(work, ' ', n);
	if (sp == NULL || work + n - (sp + 1) != 32) {
		rc = SASL_EHASH;
		goto out;
	}
	*loginlen = (size_t)(sp - work);
	memcpy(login, work, *loginlen);
	*digestlen = 32;
	memcpy(digest, sp + 1, 32);
out:
	explicit_bzero(work, n);
	return rc;
}

int
sasl_external(const char *b64, size_t len, char *login, size_t cap, size_t *loginlen)
{
	return decode(b64, len, login, cap, loginlen);
}

size_t
sasl_salt_format(char *dst, size_t cap, unsigned long rnd, long long now,
    const char *server_name)
{
	int n = snprintf(dst, cap, "<%lu.%lld@%s>\r\n", rnd, now, server_name);

	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}

/* splitmix64's finaliser: spreads the few changing bits of the inputs. */
static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

unsigned long
sasl_random(void)
{
	struct timespec rt = { 0, 0 }, mt = { 0, 0 };
	uint64_t z;

	(void)clock_gettime(CLOCK_REALTIME, &rt);
	(void)clock_gettime(CLOCK_MONOTONIC, &mt);
	z = (uint64_t)getpid() << 32 ^ (uint64_t)rt.tv_sec ^ (uint64_t)rt.tv_nsec << 20;
	z = mix64(z ^ mix64((uint64_t)mt.tv_sec << 30 ^ (uint64_t)mt.tv_nsec));
	return (unsigned long)(z & 0x7fffffffu);
}

size_t
sasl_salt(char *dst, size_t cap, const char *server_name)
{
	return sasl_salt_format(dst, cap, sasl_random(), (long long)time(NULL), server_name);
}

size_t
sasl_challenge(char *dst, size_t cap, const char *prefix, const char *salt, size_t saltlen)
{
	size_t plen = strlen(prefix), n;

	if (saltlen >= 2)
		saltlen -= 2;	/* the stored salt ends in CRLF */
	n = plen + base64_encoded_len(saltlen) + 2;
	if (n > cap)
		return 0;
	memcpy(dst, prefix, plen);
	n = plen + base64_encode(dst + plen, salt, saltlen);
	dst[n++] = '\r';
	dst[n++] = '\n';
	return n;
}

int
mail_parse_authline(char *buf, size_t len, size_t *used,
    struct mail_arg *args, unsigned maxargs, unsigned *nargs)
{
	enum { ARG, SPACES, ALMOST_DONE } state = ARG;
	size_t i, start = 0;
	unsigned n = 0;

	if (maxargs == 0)
		maxargs = 1;
	if (maxargs > MAIL_LINE_MAXARGS)
		maxargs = MAIL_LINE_MAXARGS;

	for (i = 0; i < len; i++) {
		char ch = buf[i];

		switch (state) {
		case ARG:
			if (ch != ' ' && ch != '\r' && ch != '\n')
				break;
			args[n].p = buf + start;
			args[n].len = i - start;
			n++;
			if (ch == '\n')
				goto done;
			state = ch == ' ' ? SPACES : ALMOST_DONE;
			break;
		case SPACES:
			if (ch == ' ')
				break;
			if (ch == '\r') {
				state = ALMOST_DONE;
				break;
			}
			if (ch == '\n')
				goto done;
			if (n >= maxargs)
				goto invalid;
			start = i;
			state = ARG;
			break;
		case ALMOST_DONE:
			if (ch == '\n')
				goto done;
			goto invalid;
		}
	}
	return MAIL_LINE_AGAIN;

done:
	*nargs = n;
	*used = i + 1;
	return MAIL_LINE_DONE;

invalid:
	for (; i < len; i++) {
		if (buf[i] == '\n') {
			*nargs = 0;
			*used = i + 1;
			return MAIL_LINE_INVALID;
		}
	}
	return MAIL_LINE_AGAIN;
}
