/* SPDX-License-Identifier: ISC */
/* test_sasl.c: mechanism selection, the four decoders, salt and challenge,
 * and the POP3/SMTP response-line parser, against nginx's behaviour. */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"
#include "unit.h"

#define CAP 64
static char work[CAP], login[CAP], pass[CAP];
static size_t loginlen, passlen;

static void
reset(void)
{
	memset(login, 'L', sizeof login);
	memset(pass, 'P', sizeof pass);
	memset(work, 'W', sizeof work);
	loginlen = passlen = 999;
}

/* base64 of n raw bytes, for readable test inputs */
static char b64[256];
static size_t
enc(const char *raw, size_t n)
{
	return base64_encode(b64, raw, n);
}
#define ENC(s) enc((s), sizeof(s) - 1)

static int
plain(const char *raw, size_t n)
{
	reset();
	size_t e = enc(raw, n);
	return sasl_plain(b64, e, work, CAP, login, &loginlen, pass, &passlen);
}
#define PLAIN(s) plain((s), sizeof(s) - 1)

static int
wiped(void)
{
	for (size_t i = 0; i < CAP; i++)
		if (work[i] != 0 && work[i] != 'W')
			return 0;
	return 1;
}

static void
test_mechanism(void)
{
	CHECK(sasl_mechanism("PLAIN", 5) == SASL_MECH_PLAIN);
	CHECK(sasl_mechanism("plain", 5) == SASL_MECH_PLAIN);
	CHECK(sasl_mechanism("LoGiN", 5) == SASL_MECH_LOGIN);
	CHECK(sasl_mechanism("cram-md5", 8) == SASL_MECH_CRAM_MD5);
	CHECK(sasl_mechanism("External", 8) == SASL_MECH_EXTERNAL);
	CHECK(sasl_mechanism("PLAI", 4) == SASL_MECH_NONE);
	CHECK(sasl_mechanism("PLAINX", 6) == SASL_MECH_NONE);
	CHECK(sasl_mechanism("PLA\0N", 5) == SASL_MECH_NONE);
	CHECK(sasl_mechanism("CRAM_MD5", 8) == SASL_MECH_NONE);
	CHECK(sasl_mechanism("GSSAPI", 6) == SASL_MECH_NONE);
	CHECK(sasl_mechanism("", 0) == SASL_MECH_NONE);

	CHECK(sasl_auth_parse("x", 1, 0) == SASL_AUTH_INVALID);
	CHECK(sasl_auth_parse("login", 5, 1) == SASL_AUTH_LOGIN);
	CHECK(sasl_auth_parse("login", 5, 2) == SASL_AUTH_LOGIN_USERNAME);
	CHECK(sasl_auth_parse("login", 5, 3) == SASL_AUTH_INVALID);
	CHECK(sasl_auth_parse("PLAIN", 5, 1) == SASL_AUTH_PLAIN);
	CHECK(sasl_auth_parse("PLAIN", 5, 2) == SASL_AUTH_PLAIN_INITIAL);
	CHECK(sasl_auth_parse("PLAIN", 5, 3) == SASL_AUTH_INVALID);
	CHECK(sasl_auth_parse("CRAM-MD5", 8, 1) == SASL_AUTH_CRAM_MD5);
	CHECK(sasl_auth_parse("CRAM-MD5", 8, 2) == SASL_AUTH_INVALID);
	CHECK(sasl_auth_parse("EXTERNAL", 8, 1) == SASL_AUTH_EXTERNAL);
	CHECK(sasl_auth_parse("EXTERNAL", 8, 2) == SASL_AUTH_EXTERNAL_INITIAL);
	CHECK(sasl_auth_parse("EXTERNAL", 8, 3) == SASL_AUTH_INVALID);
	CHECK(sasl_auth_parse("DIGEST-MD5", 10, 1) == SASL_AUTH_INVALID);
}

static void
test_plain(void)
{
	CHECK(PLAIN("\0user\0secret") == SASL_OK);
	CHECK_MEM(login, loginlen, "user", 4);
	CHECK_MEM(pass, passlen, "secret", 6);
	CHECK(wiped());
	CHECK(PLAIN("admin\0user\0pa ss\r\n") == SASL_OK);	/* authzid ignored */
	CHECK_MEM(login, loginlen, "user", 4);
	CHECK_MEM(pass, passlen, "pa ss\r\n", 7);
	CHECK(PLAIN("\0\0") == SASL_OK && loginlen == 0 && passlen == 0);	/* both empty */
	CHECK(PLAIN("\0u\0p\0q") == SASL_OK);	/* a third NUL stays in the password */
	CHECK_MEM(pass, passlen, "p\0q", 3);

	CHECK(PLAIN("user") == SASL_ELOGIN);	/* no NUL */
	CHECK(loginlen == 999 && login[0] == 'L');	/* outputs untouched */
	CHECK(wiped());
	CHECK(PLAIN("") == SASL_ELOGIN);
	CHECK(PLAIN("\0") == SASL_ELOGIN);	/* the NUL is the last byte */
	CHECK(PLAIN("authz\0") == SASL_ELOGIN);
	CHECK(PLAIN("\0user") == SASL_EPASSWORD);
	CHECK(PLAIN("a\0user") == SASL_EPASSWORD);

	reset();
	CHECK(sasl_plain("AHUAcA==*", 9, work, CAP, login, &loginlen, pass, &passlen) == SASL_OK);
	CHECK(sasl_plain("AHUAcA=", 7, work, CAP, login, &loginlen, pass, &passlen) == SASL_OK);
	CHECK(sasl_plain("*", 1, work, CAP, login, &loginlen, pass, &passlen) == SASL_EBASE64);
	CHECK(sasl_plain("AHUAc", 5, work, CAP, login, &loginlen, pass, &passlen) == SASL_EBASE64);
	CHECK(sasl_plain("", 0, work, CAP, login, &loginlen, pass, &passlen) == SASL_ELOGIN);
	CHECK(sasl_plain("AHUAcA==", 8, work, 3, login, &loginlen, pass, &passlen) == SASL_ETOOBIG);
}

static void
test_login_external(void)
{
	reset();
	CHECK(sasl_login_user("dXNlcg==", 8, login, CAP, &loginlen) == SASL_OK);
	CHECK_MEM(login, loginlen, "user", 4);
	CHECK(sasl_login_user("", 0, login, CAP, &loginlen) == SASL_OK && loginlen == 0);
	loginlen = 7;
	CHECK(sasl_login_user("dXNlcg=*", 8, login, CAP, &loginlen) == SASL_OK);
	CHECK(sasl_login_user("*", 1, login, CAP, &loginlen) == SASL_EBASE64);
	CHECK(sasl_login_user("dXNlc", 5, login, CAP, &loginlen) == SASL_EBASE64);
	CHECK(sasl_login_pass("c2VjcmV0", 8, pass, CAP, &passlen) == SASL_OK);
	CHECK_MEM(pass, passlen, "secret", 6);
	CHECK(sasl_login_pass("c2Vj cmV0", 9, pass, CAP, &passlen) == SASL_EBASE64);
	CHECK(sasl_login_pass("c2VjcmV0", 8, pass, 5, &passlen) == SASL_ETOOBIG);

	CHECK(sasl_external("dXNlcg", 6, login, CAP, &loginlen) == SASL_OK);
	CHECK_MEM(login, loginlen, "user", 4);
	CHECK(sasl_external("=", 1, login, CAP, &loginlen) == SASL_OK && loginlen == 0);
	CHECK(sasl_external("!", 1, login, CAP, &loginlen) == SASL_EBASE64);
}

static void
test_cram_md5(void)
{
	static const char ok[] = "tim b913a602c7eda7a495b4e6e7334d3890";
	size_t e;

	reset();
	e = ENC(ok);
	CHECK(sasl_cram_md5(b64, e, work, CAP, login, &loginlen, pass, &passlen) == SASL_OK);
	CHECK_MEM(login, loginlen, "tim", 3);
	CHECK_MEM(pass, passlen, "b913a602c7eda7a495b4e6e7334d3890", 32);
	CHECK(wiped());

	e = ENC(" 0123456789abcdef0123456789ABCDEF");	/* empty login, hex not checked */
	CHECK(sasl_cram_md5(b64, e, work, CAP, login, &loginlen, pass, &passlen) == SASL_OK);
	CHECK(loginlen == 0);
	e = ENC("a b c 0123456789abcdef0123456789a");	/* login ends at the first space */
	CHECK(sasl_cram_md5(b64, e, work, CAP, login, &loginlen, pass, &passlen) == SASL_EHASH);
	e = ENC("a b 0123456789abcdef0123456789abcd");
	CHECK(sasl_cram_md5(b64, e, work, CAP, login, &loginlen, pass, &passlen) == SASL_OK);
	CHECK_MEM(login, loginlen, "a", 1);
	CHECK_MEM(pass, passlen, "b 0123456789abcdef0123456789abcd", 32);

	reset();
	e = ENC("tim b913a602c7eda7a495b4e6e7334d389");	/* 31 */
	CHECK(sasl_cram_md5(b64, e, work, CAP, login, &loginlen, pass, &passlen) == SASL_EHASH);
	CHECK(loginlen == 999);
	e = ENC("tim b913a602c7eda7a495b4e6e7334d38900");	/* 33 */
	CHECK(sasl_cram_md5(b64, e, work, CAP, login, &loginlen, pass, &passlen) == SASL_EHASH);
	e = ENC("timb913a602c7eda7a495b4e6e7334d3890");	/* no space */
	CHECK(sasl_cram_md5(b64, e, work, CAP, login, &loginlen, pass, &passlen) == SASL_EHASH);
	CHECK(sasl_cram_md5("", 0, work, CAP, login, &loginlen, pass, &passlen) == SASL_EHASH);
	CHECK(sasl_cram_md5("*", 1, work, CAP, login, &loginlen, pass, &passlen) == SASL_EBASE64);
}

static void
test_salt(void)
{
	char salt[128], chal[256], dec[128];
	size_t n, c, d;

	n = sasl_salt_format(salt, sizeof salt, 2147483647UL, 1700000000LL, "mail.example.com");
	CHECK_MEM(salt, n, "<2147483647.1700000000@mail.example.com>\r\n", 42);
	CHECK(sasl_salt_format(salt, 42, 2147483647UL, 1700000000LL, "mail.example.com") == 0);
	CHECK(sasl_salt_format(salt, 43, 2147483647UL, 1700000000LL, "mail.example.com") == 42);

	c = sasl_challenge(chal, sizeof chal, "+ ", salt, n);
	CHECK(c > 4 && memcmp(chal, "+ ", 2) == 0 && memcmp(chal + c - 2, "\r\n", 2) == 0);
	CHECK(base64_decode(dec, sizeof dec, chal + 2, c - 4, &d) == 0);
	CHECK_MEM(dec, d, "<2147483647.1700000000@mail.example.com>", 40);
	c = sasl_challenge(chal, sizeof chal, "334 ", "<1.2@h>\r\n", 9);
	CHECK_MEM(chal, c, "334 PDEuMkBoPg==\r\n", 18);
	CHECK(sasl_challenge(chal, 17, "334 ", "<1.2@h>\r\n", 9) == 0);
	CHECK(sasl_challenge(chal, 18, "334 ", "<1.2@h>\r\n", 9) == 18);

	/* the live salt has nginx's shape and varies */
	int shape = 1, differ = 0;
	char first[128];
	size_t firstlen = sasl_salt(first, sizeof first, "h.example");
	for (int i = 0; i < 50; i++) {
		unsigned long r = sasl_random();
		n = sasl_salt(salt, sizeof salt, "h.example");
		char *dot = memchr(salt, '.', n);
		if (r > 2147483647UL || n < 14 || salt[0] != '<' || dot == NULL ||
		    memcmp(salt + n - 13, "@h.example>\r\n", 13) != 0 ||
		    strspn(salt + 1, "0123456789") != (size_t)(dot - salt - 1))
			shape = 0;
		if (n != firstlen || memcmp(salt, first, n) != 0)
			differ = 1;
	}
	CHECK(shape);
	CHECK(differ);
}

static int
line(const char *s, size_t n, unsigned maxargs, struct mail_arg *args, unsigned *nargs, size_t *used)
{
	static char buf[256];

	memcpy(buf, s, n);
	*nargs = 99;
	*used = 0;
	return mail_parse_authline(buf, n, used, args, maxargs, nargs);
}
#define LINE(s, m) line((s), sizeof(s) - 1, (m), a, &na, &used)

static void
test_authline(void)
{
	struct mail_arg a[MAIL_LINE_MAXARGS];
	unsigned na;
	size_t used;

	CHECK(LINE("dGVzdA==\r\n", 3) == MAIL_LINE_DONE && na == 1 && used == 10);
	CHECK_MEM(a[0].p, a[0].len, "dGVzdA==", 8);
	CHECK(LINE("dGVzdA==\n", 3) == MAIL_LINE_DONE && na == 1);
	CHECK(LINE("\r\n", 3) == MAIL_LINE_DONE && na == 1 && a[0].len == 0);
	CHECK(LINE(" x\r\n", 3) == MAIL_LINE_DONE && na == 2 && a[0].len == 0);
	CHECK(LINE("a  b \r\n", 3) == MAIL_LINE_DONE && na == 2);
	CHECK_MEM(a[1].p, a[1].len, "b", 1);
	CHECK(LINE("\"a b\"\r\n", 3) == MAIL_LINE_DONE && na == 2);	/* no quoting */
	CHECK(LINE("a b c\r\n", 3) == MAIL_LINE_DONE && na == 3);
	CHECK(LINE("a b c d\r\n", 3) == MAIL_LINE_INVALID && used == 9);	/* POP3: 3 */
	CHECK(LINE("1 2 3 4 5 6 7 8 9 10 11\r\n", 11) == MAIL_LINE_DONE && na == 11);
	CHECK(LINE("1 2 3 4 5 6 7 8 9 10 11 12\r\n", 11) == MAIL_LINE_INVALID);	/* SMTP: 11 */
	CHECK(LINE("abc\rx\r\n", 3) == MAIL_LINE_INVALID && used == 7);
	CHECK(LINE("abc", 3) == MAIL_LINE_AGAIN);
	CHECK(LINE("abc\r", 3) == MAIL_LINE_AGAIN);
	CHECK(LINE("a b c d", 3) == MAIL_LINE_AGAIN);	/* skipping waits for LF */
	CHECK(LINE("x\r\ny\r\n", 3) == MAIL_LINE_DONE && used == 3);	/* pipelined */
	CHECK(LINE("a\0b\r\n", 3) == MAIL_LINE_DONE && a[0].len == 3);
}

/* Every rejection the caller must tell apart has its own value. */
static void
test_distinct(void)
{
	int v[] = { SASL_OK, SASL_EBASE64, SASL_ELOGIN, SASL_EPASSWORD, SASL_EHASH, SASL_ETOOBIG };
	int ok = 1;

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		for (size_t j = i + 1; j < sizeof v / sizeof v[0]; j++)
			if (v[i] == v[j] || v[j] >= 0)
				ok = 0;
	CHECK(ok);
	CHECK(SASL_EBASE64 == -1);
}

int
main(void)
{
	test_mechanism();
	test_plain();
	test_login_external();
	test_cram_md5();
	test_salt();
	test_authline();
	test_distinct();
	UNIT_DONE();
}
