/* SPDX-License-Identifier: ISC */
/* test_sieve.c: the ManageSieve parser (sieve_parse.c) and the backend
 * login's pure part (sieve_backend.c): commands, strings and literals,
 * their bounds and errors, whole and byte by byte; the backend's framing,
 * its judgement of the greeting, and the AUTHENTICATE it sends. */
#include <errno.h>
#include <stdlib.h>

#include "sieve_backend.h"
#include "sieve_parse.h"
#include "unit.h"

#define S(x) x, sizeof(x) - 1

struct res {
	int rc;
	size_t used;
	struct sieve_parser p;
	char buf[512];
};

/* Parse IN (a command line, or a SASL response if SASL) whole; with
 * BYTEWISE, fed one byte at a time, as a slow client would send it. */
static void
parse(struct res *r, const char *in, size_t n, int sasl, int bytewise, size_t max)
{
	size_t have = 0;

	memcpy(r->buf, in, n);
	if (sasl)
		sieve_parser_sasl(&r->p, max);
	else
		sieve_parser_init(&r->p, max);
	r->used = 0;
	do {
		have = bytewise ? have + 1 : n;
		r->rc = sieve_parse(&r->p, r->buf, have, &r->used);
	} while (r->rc == SIEVE_AGAIN && have < n);
}

/* Both ways must agree; returns the whole result in R. */
static void
both(struct res *r, const char *in, size_t n, int sasl, size_t max, const char *file, int line)
{
	struct res b;

	parse(&b, in, n, sasl, 1, max);
	parse(r, in, n, sasl, 0, max);
	CHECK_AT(r->rc == b.rc && r->used == b.used && r->p.nargs == b.p.nargs &&
	    r->p.cmd == b.p.cmd, file, line);
	for (unsigned i = 0; r->rc == SIEVE_DONE && i < r->p.nargs && i < b.p.nargs; i++)
		CHECK_AT(r->p.args[i].len == b.p.args[i].len &&
		    memcmp(r->p.args[i].p, b.p.args[i].p, r->p.args[i].len) == 0, file, line);
}
#define BOTH(r, in, sasl) both((r), (in), strlen(in), (sasl), 512, __FILE__, __LINE__)
#define ARG(r, i, s) unit_check_mem((r)->p.args[i].p, (r)->p.args[i].len, s, sizeof(s) - 1, \
	__FILE__, __LINE__)

static void
test_commands(void)
{
	struct res r;

	BOTH(&r, "CAPABILITY\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.cmd == SIEVE_CMD_CAPABILITY && r.p.nargs == 0 && r.used == 12);
	BOTH(&r, "noop\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.cmd == SIEVE_CMD_NOOP && r.used == 5);
	BOTH(&r, "Authenticate \"PLAIN\"  \"AGFsaWNl\"\r\nNOOP\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.cmd == SIEVE_CMD_AUTHENTICATE && r.p.nargs == 2);
	CHECK(r.used == 34 && r.p.args[0].string && r.p.args[1].string);
	ARG(&r, 0, "PLAIN");
	ARG(&r, 1, "AGFsaWNl");
	BOTH(&r, "LOGOUT\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.cmd == SIEVE_CMD_LOGOUT);
	BOTH(&r, "STARTTLS\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.cmd == SIEVE_CMD_STARTTLS);
	/* an atom argument, an unknown command with its literal parsed whole */
	BOTH(&r, "AUTHENTICATE PLAIN\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.nargs == 1 && !r.p.args[0].string);
	ARG(&r, 0, "PLAIN");
	BOTH(&r, "PUTSCRIPT \"s\" {8+}\r\nLOGOUT\r\n\r\nNOOP\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.cmd == SIEVE_CMD_UNKNOWN && r.p.nargs == 2 && r.used == 30);
	ARG(&r, 1, "LOGOUT\r\n");
	BOTH(&r, "UNAUTHENTICATE\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.cmd == SIEVE_CMD_UNKNOWN);
}

static void
test_strings(void)
{
	struct res r;

	BOTH(&r, "NOOP \"a\\\"b\\\\c\"\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.nargs == 1);
	ARG(&r, 0, "a\"b\\c");
	BOTH(&r, "NOOP \"\"\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.nargs == 1 && r.p.args[0].len == 0 && r.p.args[0].string);
	BOTH(&r, "NOOP {3}\r\na\"b\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.nargs == 1);
	ARG(&r, 0, "a\"b");
	BOTH(&r, "NOOP {0+}\r\n\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.nargs == 1 && r.p.args[0].len == 0);
	both(&r, S("NOOP {4+}\nx\0\ry\n"), 0, 512, __FILE__, __LINE__);
	CHECK(r.rc == SIEVE_DONE && r.p.args[0].len == 4 && r.p.args[0].p[1] == '\0');
	/* SASL responses: no command name */
	BOTH(&r, "\"*\"\r\n", 1);
	CHECK(r.rc == SIEVE_DONE && r.p.cmd == SIEVE_CMD_NONE && r.p.nargs == 1);
	ARG(&r, 0, "*");
	BOTH(&r, "{4+}\r\nYWJj\r\n", 1);
	CHECK(r.rc == SIEVE_DONE && r.p.nargs == 1);
	ARG(&r, 0, "YWJj");
	BOTH(&r, "\r\n", 1);
	CHECK(r.rc == SIEVE_DONE && r.p.nargs == 0);
}

static void
test_errors(void)
{
	static const char *const bad[] = {
		"\r\n", " NOOP\r\n", "NO\rOP\r\n", "NOOP \"a\\x\"\r\n", "NOOP \"a\rb\"\r\n",
		"NOOP \"a\0b\"\r\n", "NOOP \"a\"b\r\n", "NOOP {}\r\n", "NOOP {+}\r\n", "NOOP {1x}\r\n",
		"NOOP {1}x\r\n", "NOOP {1}\rx\n", "NOOP (x)\r\n", "NOOP \"a\" \"b\" \"c\" \"d\"\r\n",
		"VERYLONGCOMMANDNAME\r\n", "NOOP \r\r\n", "bad(\r\n", "NOOP\r",
	};
	struct res r;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = strlen(bad[i]);

		if (i == 5)
			n = 12;	/* the NUL */
		both(&r, bad[i], n, 0, 512, __FILE__, __LINE__);
		if (bad[i][n - 1] == '\n')
			CHECK(r.rc == SIEVE_INVALID && r.used == n);
		else
			CHECK(r.rc == SIEVE_AGAIN);
		if (r.rc != SIEVE_INVALID && bad[i][n - 1] == '\n')
			fprintf(stderr, "case %zu: rc %d\n", i, r.rc);
	}
	/* a line that might announce a literal, a literal beyond the buffer */
	BOTH(&r, "NOOP \"a\" \"b\" \"c\" {8+}\r\nLOGOUT\r\n", 0);
	CHECK(r.rc == SIEVE_INVALID_CLOSE && r.used == 23);
	BOTH(&r, "x( {12}\n", 0);
	CHECK(r.rc == SIEVE_INVALID_CLOSE);
	both(&r, S("NOOP {101+}\r\n"), 0, 100, __FILE__, __LINE__);
	CHECK(r.rc == SIEVE_INVALID_CLOSE && r.used == 11);
	both(&r, S("NOOP {100+}\r\n"), 0, 100, __FILE__, __LINE__);
	CHECK(r.rc == SIEVE_AGAIN);
	BOTH(&r, "NOOP {184467440737095516160+}\r\n", 0);
	CHECK(r.rc == SIEVE_INVALID_CLOSE);
	/* a 16-character name is the longest */
	BOTH(&r, "ABCDEFGHIJKLMNOP\r\n", 0);
	CHECK(r.rc == SIEVE_DONE && r.p.cmd == SIEVE_CMD_UNKNOWN);
}

/* ---- the backend ---- */

static size_t
gather(const struct iovec *iov, int n, char *dst)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		memcpy(dst + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	return len;
}

static const char greeting[] = "\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n"
    "\"SIEVE\" \"fileinto\"\r\n\"SASL\" \"LOGIN PLAIN\"\r\n\"VERSION\" \"1.0\"\r\n"
    "OK \"Dovecot ready.\"\r\n";

static void
test_frame(void)
{
	size_t n = sizeof greeting - 1;

	for (size_t k = 0; k < n; k++)
		CHECK(sieve_backend_frame(NULL, greeting, k) == 0);
	CHECK(sieve_backend_frame(NULL, greeting, n) == n);
	CHECK(sieve_backend_frame(NULL, S("OK\r\nextra")) == 4);
	CHECK(sieve_backend_frame(NULL, S("ok (SASL \"x\") \"y\"\r\n")) == 19);
	CHECK(sieve_backend_frame(NULL, S("BYE\n")) == 4);
	CHECK(sieve_backend_frame(NULL, S("OKAY\r\nNO x\r\n")) == 12);
	/* a literal's lines are not responses */
	CHECK(sieve_backend_frame(NULL, S("\"X\" {6}\r\nOK y\r\n\r\nNO z\r\n")) == 23);
	CHECK(sieve_backend_frame(NULL, S("\"X\" {6}\r\nOK y\r\n")) == 0);
	CHECK(sieve_backend_frame(NULL, S("NO {99999999999999999999999}\r\nabc\r\n")) == 0);
	CHECK(sieve_backend_frame(NULL, S("NO {0}\r\n\r\n")) == 10);
}

static void
test_login(void)
{
	struct sieve_backend sb;
	struct iovec iov[3];
	char work[4096], out[4200], big[900];
	int n;
	size_t len;

	CHECK(sieve_backend_init(&sb, S("alice"), S("alicepass"), work,
	    sieve_backend_worksize(5, 9)) == 0);
	CHECK(sieve_backend_step(&sb, greeting, sizeof greeting - 1, iov, &n) == SIEVE_BK_NEXT);
	len = gather(iov, n, out);
	unit_check_mem(out, len, S("AUTHENTICATE \"PLAIN\" \"AGFsaWNlAGFsaWNlcGFzcw==\"\r\n"),
	    __FILE__, __LINE__);
	CHECK(sieve_backend_step(&sb, S("OK \"Logged in.\"\r\n"), iov, &n) == SIEVE_BK_ACCEPT && n == 0);

	CHECK(sieve_backend_init(&sb, S("a"), S("b"), work, sizeof work) == 0);
	CHECK(sieve_backend_step(&sb, S("\"SASL\" \"LOGIN PLAINX\"\r\nOK\r\n"), iov, &n) ==
	    SIEVE_BK_NO_PLAIN);
	CHECK(sieve_backend_init(&sb, S("a"), S("b"), work, sizeof work) == 0);
	CHECK(sieve_backend_step(&sb, S("\"SASL\" \"plain\"\r\nOK\r\n"), iov, &n) == SIEVE_BK_NEXT);
	CHECK(sieve_backend_step(&sb, S("NO \"Authentication failed.\"\r\n"), iov, &n) ==
	    SIEVE_BK_REJECT);
	CHECK(sieve_backend_init(&sb, S("a"), S("b"), work, sizeof work) == 0);
	CHECK(sieve_backend_step(&sb, S("\"SASL\" \"PLAIN\"\r\nBYE \"no\"\r\n"), iov, &n) ==
	    SIEVE_BK_REJECT);

	/* a NUL would end PLAIN's field early: another user, another password */
	errno = 0;
	CHECK(sieve_backend_init(&sb, S("victim\0x"), S("p"), work, sizeof work) == -1 &&
	    errno == EINVAL);
	CHECK(sieve_backend_init(&sb, S("u"), S("p\0q"), work, sizeof work) == -1);
	CHECK(sieve_backend_init(&sb, S("u"), S("p"), work, 4) == -1);

	/* past 1024 bytes of base64, a literal */
	memset(big, 'x', sizeof big);
	CHECK(sieve_backend_init(&sb, big, sizeof big, S("p"), work, sizeof work) == 0);
	CHECK(sieve_backend_step(&sb, greeting, sizeof greeting - 1, iov, &n) == SIEVE_BK_NEXT);
	len = gather(iov, n, out);
	CHECK(len > 30 && memcmp(out, "AUTHENTICATE \"PLAIN\" {1204+}\r\n", 30) == 0);
	CHECK(len == 30 + 1204 + 2 && memcmp(out + len - 2, "\r\n", 2) == 0);
}

int
main(void)
{
	test_commands();
	test_strings();
	test_errors();
	test_frame();
	test_login();
	UNIT_DONE();
}
