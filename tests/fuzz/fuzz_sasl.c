/* SPDX-License-Identifier: ISC */
/* fuzz_sasl.c: libFuzzer target for base64 and the SASL decoders.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib \
 *            tests/fuzz/fuzz_sasl.c lib/wire/sasl.c lib/base/base64.c
 * First byte selects maxargs for the response-line parser; the rest is fed
 * to every decoder as a client argument, and decode(encode(x)) == x is
 * checked on the raw bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"

#define CAP 512

static void
check(int cond)
{
	if (!cond)
		abort();
}

/* A decoded bearer-token message: a b64token, a user without control
 * bytes (not empty for XOAUTH2), both shorter than the message. */
static const char b64token[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";

static void
zeroed(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check(p[i] == 0);
}

static void
oauth_result(const char *user, size_t ul, const char *tok, size_t tl, size_t msglen, bool xoauth2)
{
	size_t i = 0;

	check(tl > 0 && ul + tl < msglen);
	check(!xoauth2 || ul > 0);
	for (i = 0; i < ul; i++)
		check((unsigned char)user[i] >= 0x20 && user[i] != 0x7f);
	for (i = 0; i < tl && tok[i] != '='; i++)
		check(memchr(b64token, tok[i], sizeof b64token - 1) != NULL);
	check(i > 0);
	for (; i < tl; i++)
		check(tok[i] == '=');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char work[CAP], login[CAP], pass[CAP], enc[2 * CAP + 8], line[CAP];
	static struct mail_arg args[MAIL_LINE_MAXARGS];
	const char *in;
	size_t n, ll, pl, e, used;
	unsigned maxargs, nargs;
	int rc;

	if (size < 1 || size > CAP)
		return 0;
	maxargs = data[0] % (MAIL_LINE_MAXARGS + 2);
	in = (const char *)data + 1;
	n = size - 1;

	/* decode(encode(x)) == x, with and without padding */
	e = base64_encode(enc, in, n);
	check(e == base64_encoded_len(n));
	check(base64_decode(work, CAP, enc, e, &ll) == 0 && ll == n && memcmp(work, in, n) == 0);
	while (e > 0 && enc[e - 1] == '=')
		e--;
	check(base64_decode(work, CAP, enc, e, &ll) == 0 && ll == n && memcmp(work, in, n) == 0);

	/* the raw bytes as a base64 argument */
	rc = base64_decode(work, CAP, in, n, &ll);
	check(rc == -1 || ll <= base64_decoded_max(n));
	ll = pl = 0;
	rc = sasl_plain(in, n, work, CAP, login, &ll, pass, &pl);
	check(rc <= 0 && rc >= SASL_ETOOBIG);
	if (rc == SASL_OK)
		check(ll + pl + 2 <= base64_decoded_max(n));
	rc = sasl_cram_md5(in, n, work, CAP, login, &ll, pass, &pl);
	if (rc == SASL_OK)
		check(pl == 32 && memchr(login, ' ', ll) == NULL);
	(void)sasl_login_user(in, n, login, CAP, &ll);
	(void)sasl_login_pass(in, n, pass, 8, &pl);
	(void)sasl_external(in, n, login, CAP, &ll);
	(void)sasl_auth_parse(in, n, maxargs);

	/* the raw bytes as a decoded XOAUTH2 / OAUTHBEARER message; the work
	 * buffer is wiped after each */
	e = base64_encode(enc, in, n);
	ll = pl = 0;
	memset(work, 0, CAP);
	rc = sasl_xoauth2(enc, e, work, CAP, login, &ll, pass, &pl);
	check(rc <= 0 && rc >= SASL_ETOKEN && rc != SASL_EBASE64 && rc != SASL_ETOOBIG);
	if (rc == SASL_OK)
		oauth_result(login, ll, pass, pl, n, true);
	zeroed(work, CAP);
	rc = sasl_oauthbearer(enc, e, work, CAP, login, &ll, pass, &pl);
	check(rc <= 0 && rc >= SASL_ETOKEN && rc != SASL_EBASE64 && rc != SASL_ETOOBIG);
	if (rc == SASL_OK)
		oauth_result(login, ll, pass, pl, n, false);
	zeroed(work, CAP);
	/* and as the client's base64 argument */
	(void)sasl_xoauth2(in, n, work, CAP, login, &ll, pass, &pl);
	(void)sasl_oauthbearer(in, n, work, CAP, login, &ll, pass, &pl);
	if (sasl_is_base64(in, n)) {
		check(n > 0);
		for (size_t i = 0; i < n; i++)
			check(in[i] == '=' || (in[i] != '-' && in[i] != '.' && in[i] != '_' &&
			    in[i] != '~' && memchr(b64token, in[i], sizeof b64token - 1) != NULL));
	}

	/* the raw bytes as a salt and as a response line */
	e = sasl_challenge(enc, sizeof enc, "334 ", in, n);
	check(e == 0 || (e >= 6 && enc[e - 1] == '\n'));
	memcpy(line, in, n);
	rc = mail_parse_authline(line, n, &used, args, maxargs, &nargs);
	if (rc != MAIL_LINE_AGAIN) {
		check(used > 0 && used <= n && line[used - 1] == '\n');
		if (rc == MAIL_LINE_DONE) {
			check(nargs >= 1 && nargs <= (maxargs == 0 ? 1 : maxargs > MAIL_LINE_MAXARGS ? MAIL_LINE_MAXARGS : maxargs));
			for (unsigned i = 0; i < nargs; i++)
				check(args[i].p >= line && args[i].p + args[i].len < line + used);
		}
	}
	return 0;
}
