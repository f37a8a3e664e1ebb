/* SPDX-License-Identifier: ISC */
/* test_pop3_parse.c: the POP3 command parser, command by command, then the
 * argument and line-end rules, SASL response lines, every split point of a
 * pipeline, and nginx's 128-byte buffer. */
#include <stdlib.h>

#include "pop3_parse.h"
#include "unit.h"

/* The results of parsing a stream, one line per result:
 *   D<cmd>:<used>[:<arg>]...   a command (args between '[' ']')
 *   I:<used>                   a parser error
 *   A                          more bytes needed at the end
 *   L                          "too long": nginx's buffer filled up
 * CHUNK 0 feeds everything at once; otherwise CHUNK bytes at a time. The
 * buffer is emptied only when drained, as pop3.c does. SASL switches the
 * parser to SASL lines after an AUTH with arguments. */
static char out[8192];

static const char *
run(const char *in, size_t n, size_t chunk, size_t cap, int sasl)
{
	struct pop3_parser p;
	char buf[1024];
	size_t have = 0, off = 0, fed = 0, o = 0;
	int in_sasl = 0;

	if (cap > sizeof buf)
		abort();
	out[0] = '\0';
	pop3_parser_init(&p);
	for (;;) {
		size_t used = 0;
		int rc = pop3_parse(&p, buf + off, have - off, &used);

		if (rc == POP3_AGAIN) {
			size_t add = chunk ? chunk : n - fed;

			if (fed == n) {
				o += (size_t)snprintf(out + o, sizeof out - o, "A");
				return out;
			}
			if (have == cap) {
				o += (size_t)snprintf(out + o, sizeof out - o, "L");
				return out;
			}
			if (add > n - fed)
				add = n - fed;
			if (add > cap - have)
				add = cap - have;
			memcpy(buf + have, in + fed, add);
			have += add;
			fed += add;
			continue;
		}
		if (rc == POP3_INVALID) {
			o += (size_t)snprintf(out + o, sizeof out - o, "I:%zu\n", used);
			in_sasl = 0;
			pop3_parser_init(&p);
		} else {
			o += (size_t)snprintf(out + o, sizeof out - o, "D%d:%zu", p.cmd, used);
			for (unsigned i = 0; i < p.nargs; i++)
				o += (size_t)snprintf(out + o, sizeof out - o, ":[%.*s]",
				    (int)p.args[i].len, p.args[i].p);
			o += (size_t)snprintf(out + o, sizeof out - o, "\n");
			/* one SASL line after an AUTH with a mechanism */
			if (sasl && !in_sasl && p.cmd == POP3_CMD_AUTH && p.nargs > 0) {
				in_sasl = 1;
				pop3_parser_sasl(&p);
			} else {
				in_sasl = 0;
				pop3_parser_init(&p);
			}
		}
		off += used;
		if (off == have)
			off = have = 0;
	}
}

static const char *
parse(const char *in)
{
	return run(in, strlen(in), 0, 1024, 0);
}

static void
test_commands(void)
{
	CHECK_STR(parse("USER alice\r\n"), "D1:12:[alice]\nA");
	CHECK_STR(parse("PASS secret\r\n"), "D2:13:[secret]\nA");
	CHECK_STR(parse("APOP alice 0123\r\n"), "D3:17:[alice]:[0123]\nA");
	CHECK_STR(parse("QUIT\r\n"), "D4:6\nA");
	CHECK_STR(parse("CAPA\r\n"), "D5:6\nA");
	CHECK_STR(parse("AUTH\r\n"), "D6:6\nA");
	CHECK_STR(parse("NOOP\r\n"), "D7:6\nA");
	CHECK_STR(parse("STLS\r\n"), "D8:6\nA");
	/* any case, bare LF */
	CHECK_STR(parse("quit\n"), "D4:5\nA");
	CHECK_STR(parse("cApA\n"), "D5:5\nA");
	CHECK_STR(parse("Auth plain\n"), "D6:11:[plain]\nA");
	CHECK_STR(parse("stls\r\n"), "D8:6\nA");
	/* arguments of commands that take none are still parsed */
	CHECK_STR(parse("NOOP a b\r\n"), "D7:10:[a]:[b]\nA");
	CHECK_STR(parse("QUIT now\r\n"), "D4:10:[now]\nA");
}

static void
test_unknown(void)
{
	static const char *const bad[] = {
		"STAT\r\n", "LIST\r\n", "RETR 1\r\n", "DELE 1\r\n", "RSET\r\n", "TOP 1 1\r\n",
		"UIDL\r\n", "XUSER a\r\n", "USERS a\r\n", "USE a\r\n", "US3R a\r\n",
		"\r\n", "\n", " USER a\r\n", "U\r\n", "CAP\r\n", "CAPAB\r\n", "QU-T\r\n",
		"USER\tx\r\n", "NOOP\rX\r\n", "NOOP\r\r\n", "USER a\rb\r\n", "NOOP a\r \r\n",
		"\xc3\x9cSER a\r\n",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[32];

		snprintf(want, sizeof want, "I:%zu\nA", strlen(bad[i]));
		CHECK_STR(parse(bad[i]), want);
	}
	/* the line after an error parses normally */
	CHECK_STR(parse("STAT\r\nNOOP\r\n"), "I:6\nD7:6\nA");
	CHECK_STR(parse("RETR 1 2 3 4 5\nQUIT\n"), "I:15\nD4:5\nA");
	/* an unfinished bad line waits for its LF */
	CHECK_STR(parse("XXXX yyy"), "A");
	CHECK_STR(parse("XXXX yyy\r"), "A");
	CHECK_STR(parse("NOOP\rX"), "A");
}

static void
test_args(void)
{
	/* one or more spaces separate, at most 3 arguments */
	CHECK_STR(parse("AUTH a b c\r\n"), "D6:12:[a]:[b]:[c]\nA");
	CHECK_STR(parse("AUTH   a    b  c   \r\n"), "D6:21:[a]:[b]:[c]\nA");
	CHECK_STR(parse("AUTH a b c d\r\n"), "I:14\nA");
	CHECK_STR(parse("APOP a b c d\r\n"), "I:14\nA");
	CHECK_STR(parse("NOOP    \r\n"), "D7:10\nA");
	CHECK_STR(parse("APOP a\tb c\r\n"), "D3:12:[a\tb]:[c]\nA");
	/* USER and PASS: one argument to the end of the line, spaces included */
	CHECK_STR(parse("USER a b  c  \r\n"), "D1:15:[a b  c  ]\nA");
	CHECK_STR(parse("PASS   x y z w v\r\n"), "D2:18:[x y z w v]\nA");
	CHECK_STR(parse("pass p a s s\n"), "D2:13:[p a s s]\nA");
	CHECK_STR(parse("USER\r\n"), "D1:6\nA");
	CHECK_STR(parse("USER    \r\n"), "D1:10\nA");
	CHECK_STR(parse("PASS %\x01\xff\r\n"), "D2:10:[%\x01\xff]\nA");
	/* CR must be followed by LF, also inside an argument */
	CHECK_STR(parse("PASS a\rb\r\n"), "I:10\nA");
	CHECK_STR(parse("APOP a\r b\r\n"), "I:11\nA");
}

static void
test_sasl(void)
{
	struct pop3_parser p;
	char line[64];
	size_t used = 0;

#define SASL_LINE(s) (strcpy(line, s), pop3_parser_sasl(&p), pop3_parse(&p, line, strlen(line), &used))
	CHECK(SASL_LINE("dXNlcg==\r\n") == POP3_DONE && used == 10 && p.nargs == 1 &&
	    p.args[0].len == 8 && memcmp(p.args[0].p, "dXNlcg==", 8) == 0);
	CHECK(SASL_LINE("\r\n") == POP3_DONE && used == 2 && p.nargs == 1 && p.args[0].len == 0);
	CHECK(SASL_LINE("\n") == POP3_DONE && p.nargs == 1 && p.args[0].len == 0);
	CHECK(SASL_LINE(" a\r\n") == POP3_DONE && p.nargs == 2 && p.args[0].len == 0 &&
	    p.args[1].len == 1 && p.args[1].p[0] == 'a');
	CHECK(SASL_LINE("a b c\r\n") == POP3_DONE && p.nargs == 3);
	CHECK(SASL_LINE("a b c d\r\n") == POP3_INVALID && used == 9);
	CHECK(SASL_LINE("a\rb\n") == POP3_INVALID && used == 4);
	CHECK(SASL_LINE("*\r\n") == POP3_DONE && p.nargs == 1 && p.args[0].len == 1);
	CHECK(SASL_LINE("QUIT\r\n") == POP3_DONE && p.cmd == POP3_CMD_AUTH && p.nargs == 1);
	CHECK(SASL_LINE("abc") == POP3_AGAIN);
#undef SASL_LINE
}

/* A pipeline gives the same results however it is split. */
static void
test_splits(void)
{
	static const char pipe[] =
	    "CAPA\r\nUSER alice smith \r\npass  pw d\nSTAT 1\r\nAUTH PLAIN\r\n"
	    "AGFsaWNlAHB3\r\nAUTH LOGIN dXNlcg==\r\n a b\r\nNOOP\rX\r\nAPOP a b c d\r\n"
	    "\r\nQUIT\r\n";
	static const char want[] =
	    "D5:6\nD1:19:[alice smith ]\nD2:11:[pw d]\nI:8\nD6:12:[PLAIN]\n"
	    "D6:14:[AGFsaWNlAHB3]\nD6:21:[LOGIN]:[dXNlcg==]\nD6:6:[]:[a]:[b]\nI:8\nI:14\n"
	    "I:2\nD4:6\nA";
	char whole[sizeof out];

	strcpy(whole, run(pipe, sizeof pipe - 1, 0, 1024, 1));
	CHECK_STR(whole, want);
	for (size_t chunk = 1; chunk < sizeof pipe; chunk++)
		CHECK_STR(run(pipe, sizeof pipe - 1, chunk, 1024, 1), whole);

	/* every split point of a single line, fed in two pieces */
	for (size_t cut = 0; cut <= 21; cut++) {
		struct pop3_parser p;
		char buf[32] = "APOP  alice   digest\r\n";
		size_t used = 0;
		int rc;

		pop3_parser_init(&p);
		rc = pop3_parse(&p, buf, cut, &used);
		CHECK(rc == POP3_AGAIN || cut == 21);
		rc = pop3_parse(&p, buf, 22, &used);
		CHECK(rc == POP3_DONE && used == 22 && p.cmd == POP3_CMD_APOP && p.nargs == 2);
		CHECK_MEM(p.args[0].p, p.args[0].len, "alice", 5);
		CHECK_MEM(p.args[1].p, p.args[1].len, "digest", 6);
	}
}

/* nginx's fixed 128-byte buffer, emptied only when drained. */
static void
test_too_long(void)
{
	char in[512];
	size_t n;

	/* "USER " + 121 bytes + CRLF is exactly 128 */
	n = (size_t)snprintf(in, sizeof in, "USER %0121d\r\n", 7);
	CHECK(n == 128);
	CHECK(strncmp(run(in, n, 0, POP3_BUFFER, 0), "D1:128:[", 8) == 0);
	CHECK(strncmp(run(in, n, 1, POP3_BUFFER, 0), "D1:128:[", 8) == 0);
	n = (size_t)snprintf(in, sizeof in, "USER %0122d\r\n", 7);
	CHECK_STR(run(in, n, 0, POP3_BUFFER, 0), "L");
	CHECK_STR(run(in, n, 5, POP3_BUFFER, 0), "L");
	/* a bad line is skipped within the buffer too */
	n = (size_t)snprintf(in, sizeof in, "XXXX %0200d\r\nNOOP\r\n", 7);
	CHECK_STR(run(in, n, 0, POP3_BUFFER, 0), "L");
	/* the bytes of earlier pipelined commands still occupy the buffer */
	n = (size_t)snprintf(in, sizeof in, "NOOP\r\nUSER %0115d\r\n", 7);
	CHECK(n == 128);
	CHECK(strncmp(run(in, n, 0, POP3_BUFFER, 0), "D7:6\nD1:122:[", 13) == 0);
	n = (size_t)snprintf(in, sizeof in, "NOOP\r\nUSER %0116d\r\n", 7);
	CHECK_STR(run(in, n, 0, POP3_BUFFER, 0), "D7:6\nL");
	/* ...unless the buffer drained in between */
	CHECK(strncmp(run(in, n, 6, POP3_BUFFER, 0), "D7:6\nD1:123:[", 13) == 0);
}

int
main(void)
{
	test_commands();
	test_unknown();
	test_args();
	test_sasl();
	test_splits();
	test_too_long();
	UNIT_DONE();
}
