/* SPDX-License-Identifier: ISC */
/* test_imap_parse.c: the IMAP command parser against nginx's behaviour,
 * each case fed whole and byte by byte (which must agree). */
#include <stdlib.h>
#include <string.h>

#include "imap_parse.h"
#include "unit.h"

#define BUFSZ 512

struct outcome {
	int rc;			/* final rc: DONE, INVALID, INVALID_CLOSE, or AGAIN */
	size_t used;
	int literals;		/* IMAP_LITERAL returns on the way */
	char tag[IMAP_TAG_MAX + 1];
	size_t taglen;
	int cmd;
	unsigned nargs;
	char arg[IMAP_MAX_ARGS][BUFSZ];
	size_t arglen[IMAP_MAX_ARGS];
};

/* Feeds in[0..n) growing the visible length by step bytes at a time (0 =
 * all at once) until the parser returns something other than AGAIN or the
 * input is exhausted. sasl: start in SASL-response mode with tag "t ". */
static void
feed(struct imap_parser *p, const char *in, size_t n, size_t step, struct outcome *o)
{
	static char buf[BUFSZ];
	size_t len = step ? 0 : n, used = 0;
	int rc;

	memcpy(buf, in, n);
	memset(o, 0, sizeof *o);
	for (;;) {
		if (step && len < n)
			len = len + step < n ? len + step : n;
		rc = imap_parse(p, buf, len, &used);
		if (rc == IMAP_LITERAL) {
			o->literals++;
			if (step == 0 || len == n)
				continue;
			continue;
		}
		if (rc != IMAP_AGAIN || len == n)
			break;
	}
	o->rc = rc;
	o->used = rc == IMAP_AGAIN ? 0 : used;
	o->taglen = p->taglen;
	memcpy(o->tag, p->tag, p->taglen);
	o->cmd = p->cmd;
	if (rc == IMAP_DONE) {
		o->nargs = p->nargs;
		for (unsigned i = 0; i < p->nargs; i++) {
			o->arglen[i] = p->args[i].len;
			memcpy(o->arg[i], p->args[i].p, p->args[i].len);
		}
	}
}

static int
same(const struct outcome *a, const struct outcome *b)
{
	if (a->rc != b->rc || a->used != b->used || a->literals != b->literals ||
	    a->taglen != b->taglen || memcmp(a->tag, b->tag, a->taglen) != 0 ||
	    a->cmd != b->cmd || a->nargs != b->nargs)
		return 0;
	for (unsigned i = 0; i < a->nargs; i++)
		if (a->arglen[i] != b->arglen[i] || memcmp(a->arg[i], b->arg[i], a->arglen[i]) != 0)
			return 0;
	return 1;
}

/* Parses one command from a fresh parser, whole and split at every byte
 * (and in 2- and 3-byte steps); all must agree. sasl != 0: as a SASL
 * response after an AUTHENTICATE with tag "t ". */
static struct outcome
parse_mode(const char *in, size_t n, int sasl, size_t before)
{
	struct imap_parser p;
	struct outcome whole, split;
	size_t step;

	for (step = 0; step <= 3; step++) {
		imap_parser_init(&p);
		p.before = before;
		if (sasl) {
			memcpy(p.tag, "t ", 2);
			p.taglen = 2;
			p.cmd = IMAP_CMD_AUTHENTICATE;
			imap_parser_sasl(&p);
		}
		feed(&p, in, n, step, step ? &split : &whole);
		if (step && !same(&whole, &split)) {
			unit_failed++;
			fprintf(stderr, "split at %zu differs for \"%.*s\"\n", step, (int)n, in);
		}
	}
	unit_checks++;
	return whole;
}

#define PARSE(s) parse_mode((s), sizeof(s) - 1, 0, 0)
#define PARSE_SASL(s) parse_mode((s), sizeof(s) - 1, 1, 0)
#define CHECK_ARG(o, i, s) CHECK_MEM((o).arg[i], (o).arglen[i], (s), sizeof(s) - 1)
#define CHECK_TAG(o, s) CHECK_MEM((o).tag, (o).taglen, (s), sizeof(s) - 1)

static void
test_commands(void)
{
	struct outcome o;

	o = PARSE("a01 NOOP\r\n");
	CHECK(o.rc == IMAP_DONE && o.used == 10 && o.cmd == IMAP_CMD_NOOP && o.nargs == 0);
	CHECK_TAG(o, "a01 ");

	o = PARSE("A1 login user pass\r\n");
	CHECK(o.rc == IMAP_DONE && o.cmd == IMAP_CMD_LOGIN && o.nargs == 2);
	CHECK_ARG(o, 0, "user");
	CHECK_ARG(o, 1, "pass");

	o = PARSE("x CaPaBiLiTy\n");	/* bare LF */
	CHECK(o.rc == IMAP_DONE && o.cmd == IMAP_CMD_CAPABILITY && o.used == 13);
	o = PARSE("x logout\r\n");
	CHECK(o.rc == IMAP_DONE && o.cmd == IMAP_CMD_LOGOUT);
	o = PARSE("x StartTLS\r\n");
	CHECK(o.rc == IMAP_DONE && o.cmd == IMAP_CMD_STARTTLS);
	o = PARSE("x AUTHENTICATE PLAIN\r\n");
	CHECK(o.rc == IMAP_DONE && o.cmd == IMAP_CMD_AUTHENTICATE && o.nargs == 1);
	CHECK_ARG(o, 0, "PLAIN");
	o = PARSE("x AUTHENTICATE plain dGVzdAB0ZXN0AHRlc3Q=\r\n");
	CHECK(o.rc == IMAP_DONE && o.nargs == 2);
	CHECK_ARG(o, 1, "dGVzdAB0ZXN0AHRlc3Q=");

	o = PARSE("a   NOOP   \r\n");	/* several spaces everywhere */
	CHECK(o.rc == IMAP_DONE && o.cmd == IMAP_CMD_NOOP && o.nargs == 0);
	CHECK_TAG(o, "a ");
	o = PARSE("a NOOP x y z\r\n");	/* 3 arguments are fine */
	CHECK(o.rc == IMAP_DONE && o.nargs == 3);
	CHECK_ARG(o, 2, "z");

	/* unknown words and the 4th argument are parser errors, tagged */
	o = PARSE("a ID (\"name\" \"x\")\r\n");
	CHECK(o.rc == IMAP_INVALID && o.used == 19);
	CHECK_TAG(o, "a ");
	o = PARSE("a SELECT INBOX\r\n");
	CHECK(o.rc == IMAP_INVALID);
	CHECK_TAG(o, "a ");
	o = PARSE("a NOOPS\r\n");
	CHECK(o.rc == IMAP_INVALID);
	o = PARSE("a NO1P\r\n");
	CHECK(o.rc == IMAP_INVALID);
	o = PARSE("a NOOP x y z w\r\n");
	CHECK(o.rc == IMAP_INVALID && o.used == 16);
	CHECK_TAG(o, "a ");
	o = PARSE("a NOOP x y z \"w\"\r\n");
	CHECK(o.rc == IMAP_INVALID);
	o = PARSE("a NOOP x y z {1}\r\n");	/* no "+ OK" for a 4th literal */
	CHECK(o.rc == IMAP_INVALID && o.literals == 0);
}

static void
test_tags(void)
{
	struct outcome o;

	o = PARSE(" NOOP\r\n");		/* empty tag is one space (doc/wire.md#imap-grammar) */
	CHECK(o.rc == IMAP_DONE && o.cmd == IMAP_CMD_NOOP);
	CHECK_TAG(o, " ");

	o = PARSE("\r\n");		/* empty line: "* BAD" */
	CHECK(o.rc == IMAP_INVALID && o.taglen == 0 && o.used == 2);
	o = PARSE("\n");
	CHECK(o.rc == IMAP_INVALID && o.taglen == 0 && o.used == 1);
	o = PARSE("abc\r\n");
	CHECK(o.rc == IMAP_INVALID && o.taglen == 0);
	o = PARSE("abc \r\n");		/* tag, no command */
	CHECK(o.rc == IMAP_INVALID);
	CHECK_TAG(o, "abc ");
	o = PARSE("a*b NOOP\r\n");
	CHECK(o.rc == IMAP_INVALID && o.taglen == 0 && o.used == 10);
	o = PARSE("Az09-._ NOOP\r\n");
	CHECK(o.rc == IMAP_DONE);
	CHECK_TAG(o, "Az09-._ ");

	o = PARSE("abcdefghijklmnopqrstuvwxyz012345 NOOP\r\n");	/* 32 */
	CHECK(o.rc == IMAP_DONE && o.taglen == 33);
	o = PARSE("abcdefghijklmnopqrstuvwxyz0123456 NOOP\r\n");	/* 33 */
	CHECK(o.rc == IMAP_INVALID && o.taglen == 0);

	o = PARSE("a\0b NOOP\r\n");	/* NUL is not a tag character */
	CHECK(o.rc == IMAP_INVALID && o.taglen == 0);
	o = PARSE("a NO\0P\r\n");
	CHECK(o.rc == IMAP_INVALID);
	CHECK_TAG(o, "a ");
}

static void
test_quoted(void)
{
	struct outcome o;

	o = PARSE("a LOGIN \"us er\" \"p\\\"a\\\\ss\"\r\n");
	CHECK(o.rc == IMAP_DONE && o.nargs == 2);
	CHECK_ARG(o, 0, "us er");
	CHECK_ARG(o, 1, "p\"a\\ss");

	o = PARSE("a LOGIN \"\" \"\"\r\n");	/* empty quoted strings */
	CHECK(o.rc == IMAP_DONE && o.nargs == 2 && o.arglen[0] == 0 && o.arglen[1] == 0);

	o = PARSE("a LOGIN us\"er pa\\ss\r\n");	/* '"' and '\' inside atoms are plain */
	CHECK(o.rc == IMAP_DONE && o.nargs == 2);
	CHECK_ARG(o, 0, "us\"er");
	CHECK_ARG(o, 1, "pa\\ss");

	o = PARSE("a LOGIN \"abc\"def\r\n");	/* the closing quote ends the argument */
	CHECK(o.rc == IMAP_DONE && o.nargs == 2);
	CHECK_ARG(o, 0, "abc");
	CHECK_ARG(o, 1, "def");

	o = PARSE("a LOGIN \"ab\\\r\n");	/* CR after a backslash */
	CHECK(o.rc == IMAP_INVALID);
	CHECK_TAG(o, "a ");
	o = PARSE("a LOGIN \"ab\\\n");
	CHECK(o.rc == IMAP_INVALID);

	/* a quoted string may end at CR (nginx): one argument */
	o = PARSE("a LOGIN \"user\r\n");
	CHECK(o.rc == IMAP_DONE && o.nargs == 1);
	CHECK_ARG(o, 0, "user");

	o = PARSE("a LOGIN \"u\\0\0x\" p\r\n");	/* NUL and escapes inside */
	CHECK(o.rc == IMAP_DONE && o.nargs == 2);
	CHECK_ARG(o, 0, "u0\0x");
}

static void
test_literals(void)
{
	struct outcome o;

	o = PARSE("a LOGIN {4}\r\nuser {4}\r\npass\r\n");
	CHECK(o.rc == IMAP_DONE && o.literals == 2 && o.nargs == 2);
	CHECK_ARG(o, 0, "user");
	CHECK_ARG(o, 1, "pass");

	o = PARSE("a LOGIN {4+}\r\nuser {4+}\r\npass\r\n");	/* no "+ OK" */
	CHECK(o.rc == IMAP_DONE && o.literals == 0 && o.nargs == 2);
	CHECK_ARG(o, 1, "pass");

	o = PARSE("a LOGIN {7+}\r\na\r\n\0b\"\\ x\r\n");	/* verbatim */
	CHECK(o.rc == IMAP_DONE && o.nargs == 2);
	CHECK_ARG(o, 0, "a\r\n\0b\"\\");
	CHECK_ARG(o, 1, "x");

	o = PARSE("a LOGIN {3}\r\r\r\nabc\n");	/* CRs before the LF are skipped */
	CHECK(o.rc == IMAP_DONE && o.literals == 1);
	CHECK_ARG(o, 0, "abc");

	o = PARSE("a LOGIN {3}\n\"x\" \"y\"\n");	/* a literal then a quoted */
	CHECK(o.rc == IMAP_DONE && o.nargs == 2);
	CHECK_ARG(o, 0, "\"x\"");
	CHECK_ARG(o, 1, "y");

	/* {0} and {} take one byte (doc/wire.md#imap-literals) */
	o = PARSE("a LOGIN {0}\r\nX y\r\n");
	CHECK(o.rc == IMAP_DONE && o.literals == 1 && o.nargs == 2);
	CHECK_ARG(o, 0, "X");
	CHECK_ARG(o, 1, "y");
	o = PARSE("a LOGIN {}\r\n\r\n");	/* the CR is the value, LF ends */
	CHECK(o.rc == IMAP_DONE && o.nargs == 1);
	CHECK_ARG(o, 0, "\r");
	o = PARSE("a LOGIN {0+}\r\nXY\r\n");	/* then only SP/CR/LF */
	CHECK(o.rc == IMAP_INVALID);

	/* a literal without its data waits */
	o = PARSE("a LOGIN {0}\r\n");
	CHECK(o.rc == IMAP_AGAIN && o.literals == 1);
	o = PARSE("a LOGIN {99999999}\r\nabc");
	CHECK(o.rc == IMAP_AGAIN && o.literals == 1);
	CHECK_TAG(o, "a ");		/* a too-long reply is tagged */

	/* 1.29.6: after a literal only SP, CR, LF; no second '{' */
	o = PARSE("a LOGIN {1+}\r\nxy\r\n");
	CHECK(o.rc == IMAP_INVALID);
	CHECK_TAG(o, "a ");
	o = PARSE("a LOGIN {1+}\r\nx{1+}\r\ny\r\n");
	CHECK(o.rc == IMAP_INVALID_CLOSE && o.used == 21);
	o = PARSE("a LOGIN {1}\r\nx\ry\r\n");
	CHECK(o.rc == IMAP_INVALID);

	/* malformed announcements */
	o = PARSE("a LOGIN {1x}\r\n");
	CHECK(o.rc == IMAP_INVALID && o.literals == 0);
	o = PARSE("a LOGIN {1+x}\r\n");
	CHECK(o.rc == IMAP_INVALID);
	o = PARSE("a LOGIN {1}x\r\n");
	CHECK(o.rc == IMAP_INVALID);
	o = PARSE("a LOGIN {1}\r\0\n");
	CHECK(o.rc == IMAP_INVALID);
	o = PARSE("a LOGIN x{1}\r\n");	/* '{' inside an atom is plain */
	CHECK(o.rc == IMAP_DONE && o.literals == 0);
	CHECK_ARG(o, 0, "x{1}");

	/* length overflow (1.29.6) versus the largest accepted value */
	o = PARSE("a LOGIN {9223372036854775807}\r\n");
	CHECK(o.rc == IMAP_AGAIN && o.literals == 1);
	o = PARSE("a LOGIN {9223372036854775808}\r\n");
	CHECK(o.rc == IMAP_INVALID && o.literals == 0);
	o = PARSE("a LOGIN {99999999999999999999999999}\r\n");
	CHECK(o.rc == IMAP_INVALID);
	o = PARSE("a LOGIN {000000000000000000000000001}\r\nx\r\n");
	CHECK(o.rc == IMAP_DONE);
}

static void
test_nosync_close(void)
{
	struct outcome o;

	/* a bad line announcing {N+} closes the connection (doc/wire.md#imap-literals) */
	o = PARSE("a FOO {3+}\r\n");
	CHECK(o.rc == IMAP_INVALID_CLOSE);
	CHECK_TAG(o, "a ");
	o = PARSE("a FOO {3+}\n");
	CHECK(o.rc == IMAP_INVALID_CLOSE);
	o = PARSE("a FOO {3}\r\n");
	CHECK(o.rc == IMAP_INVALID);
	o = PARSE("{5}\r\n");		/* a literal in the tag position */
	CHECK(o.rc == IMAP_INVALID && o.taglen == 0);
	o = PARSE("{5+}\r\n");
	CHECK(o.rc == IMAP_INVALID_CLOSE && o.taglen == 0);
	/* nginx looks only when the LF is more than 4 bytes into its buffer */
	o = PARSE("{1+}\n");
	CHECK(o.rc == IMAP_INVALID);
	o = parse_mode("{1+}\n", 5, 0, 1);
	CHECK(o.rc == IMAP_INVALID_CLOSE);
	o = parse_mode("+}\n", 3, 0, 10);
	CHECK(o.rc == IMAP_INVALID_CLOSE);
	o = parse_mode("}\n", 2, 0, 10);	/* the byte before is the previous LF */
	CHECK(o.rc == IMAP_INVALID);
	o = parse_mode("\r\n", 2, 0, 10);
	CHECK(o.rc == IMAP_INVALID);
	o = PARSE("a NOOP x y z {1+}\r\n");	/* 4th argument as a literal */
	CHECK(o.rc == IMAP_INVALID_CLOSE);
	o = PARSE("a LOGIN {1+}\r\nx +}\r\n");	/* valid syntax: no close */
	CHECK(o.rc == IMAP_DONE);
}

static void
test_line_ends(void)
{
	struct outcome o;

	o = PARSE("a NOOP\rX\r\n");
	CHECK(o.rc == IMAP_INVALID && o.used == 10);
	CHECK_TAG(o, "a ");
	o = PARSE("a NOOP x\r\r\n");
	CHECK(o.rc == IMAP_INVALID);
	o = PARSE("a LOGIN u\0ser p\r\n");	/* NUL inside an atom is data */
	CHECK(o.rc == IMAP_DONE && o.nargs == 2);
	CHECK_ARG(o, 0, "u\0ser");

	/* an invalid line is consumed only once its LF arrived */
	o = PARSE("a*b NOOP");
	CHECK(o.rc == IMAP_AGAIN && o.taglen == 0);
	o = PARSE("a01 LOGIN xxxx");
	CHECK(o.rc == IMAP_AGAIN);
	CHECK_TAG(o, "a01 ");
}

static void
test_sasl_mode(void)
{
	struct outcome o;

	o = PARSE_SASL("dGVzdA==\r\n");
	CHECK(o.rc == IMAP_DONE && o.nargs == 1 && o.cmd == IMAP_CMD_AUTHENTICATE);
	CHECK_ARG(o, 0, "dGVzdA==");
	CHECK_TAG(o, "t ");
	o = PARSE_SASL("\r\n");		/* an empty response is one empty argument */
	CHECK(o.rc == IMAP_DONE && o.nargs == 1 && o.arglen[0] == 0);
	o = PARSE_SASL("\n");
	CHECK(o.rc == IMAP_DONE && o.nargs == 1 && o.arglen[0] == 0);
	o = PARSE_SASL(" x\r\n");
	CHECK(o.rc == IMAP_DONE && o.nargs == 2 && o.arglen[0] == 0);
	o = PARSE_SASL("*\r\n");	/* cancel: base64 decides it is bad */
	CHECK(o.rc == IMAP_DONE && o.nargs == 1);
	o = PARSE_SASL("\"abc\"\r\n");	/* no quoting in the first position */
	CHECK(o.rc == IMAP_DONE && o.nargs == 1);
	CHECK_ARG(o, 0, "\"abc\"");
	o = PARSE_SASL("x \"a b\"\r\n");	/* but after a space */
	CHECK(o.rc == IMAP_DONE && o.nargs == 2);
	CHECK_ARG(o, 1, "a b");
	o = PARSE_SASL("x {3}\r\nabc\r\n");
	CHECK(o.rc == IMAP_DONE && o.literals == 1 && o.nargs == 2);
	o = PARSE_SASL("a b c d\r\n");	/* parser error, AUTHENTICATE's tag */
	CHECK(o.rc == IMAP_INVALID);
	CHECK_TAG(o, "t ");
	o = PARSE_SASL("a\rb\r\n");
	CHECK(o.rc == IMAP_INVALID);
	o = PARSE_SASL("a b c {1+}\r\n");
	CHECK(o.rc == IMAP_INVALID_CLOSE);
	CHECK_TAG(o, "t ");
}

/* A pipelined sequence through one parser, the caller compacting. */
static void
test_sequences(void)
{
	struct imap_parser p;
	char buf[128];
	size_t len, used;
	int rc;

	imap_parser_init(&p);
	len = sizeof "a NOOP\r\nb LOGOUT\r\n" - 1;
	memcpy(buf, "a NOOP\r\nb LOGOUT\r\n", len);
	rc = imap_parse(&p, buf, len, &used);
	CHECK(rc == IMAP_DONE && used == 8 && p.cmd == IMAP_CMD_NOOP);
	memmove(buf, buf + used, len - used);
	len -= used;
	imap_parser_next(&p);
	rc = imap_parse(&p, buf, len, &used);
	CHECK(rc == IMAP_DONE && used == len && p.cmd == IMAP_CMD_LOGOUT);
	CHECK_MEM(p.tag, p.taglen, "b ", 2);

	/* nginx's sticky quoted flag: an unterminated quoted string leaves the
	 * next command's atoms quoted, until a parser error or a '"' */
	imap_parser_init(&p);
	len = sizeof "a LOGIN \"user\r\n" - 1;
	memcpy(buf, "a LOGIN \"user\r\n", len);
	rc = imap_parse(&p, buf, len, &used);
	CHECK(rc == IMAP_DONE && p.nargs == 1);
	imap_parser_next(&p);
	len = sizeof "b LOGIN u p\r\n" - 1;
	memcpy(buf, "b LOGIN u p\r\n", len);
	rc = imap_parse(&p, buf, len, &used);
	CHECK(rc == IMAP_DONE && p.nargs == 1);
	CHECK_MEM(p.args[0].p, p.args[0].len, "u p", 3);
	imap_parser_next(&p);	/* still sticky: CR ended the atom */
	len = sizeof "c LOGIN u\" p\r\n" - 1;
	memcpy(buf, "c LOGIN u\" p\r\n", len);
	rc = imap_parse(&p, buf, len, &used);
	CHECK(rc == IMAP_DONE && p.nargs == 2);	/* the '"' closed it */
	CHECK_MEM(p.args[0].p, p.args[0].len, "u", 1);
	imap_parser_next(&p);
	len = sizeof "d LOGIN u p\r\n" - 1;
	memcpy(buf, "d LOGIN u p\r\n", len);
	rc = imap_parse(&p, buf, len, &used);
	CHECK(rc == IMAP_DONE && p.nargs == 2);

	/* a parser error clears it */
	imap_parser_init(&p);
	memcpy(buf, "a LOGIN \"user\r\n", 15);
	CHECK(imap_parse(&p, buf, 15, &used) == IMAP_DONE);
	imap_parser_next(&p);
	memcpy(buf, "b FOO\r\n", 7);
	CHECK(imap_parse(&p, buf, 7, &used) == IMAP_INVALID);
	imap_parser_next(&p);
	memcpy(buf, "d LOGIN u p\r\n", 13);
	CHECK(imap_parse(&p, buf, 13, &used) == IMAP_DONE && p.nargs == 2);

	/* AUTHENTICATE, then SASL lines with the tag kept */
	imap_parser_init(&p);
	memcpy(buf, "x1 AUTHENTICATE LOGIN\r\ndXNlcg==\r\n", 33);
	CHECK(imap_parse(&p, buf, 33, &used) == IMAP_DONE && used == 23);
	memmove(buf, buf + used, 33 - used);
	imap_parser_sasl(&p);
	p.before = used;
	rc = imap_parse(&p, buf, 10, &used);
	CHECK(rc == IMAP_DONE && p.nargs == 1 && used == 10);
	CHECK_MEM(p.tag, p.taglen, "x1 ", 3);
	CHECK_MEM(p.args[0].p, p.args[0].len, "dXNlcg==", 8);
	imap_parser_next(&p);	/* the exchange is over: before is cleared */
	CHECK(p.before == 0 && p.taglen == 0 && p.nargs == 0);
	memcpy(buf, "{1+}\n", 5);
	CHECK(imap_parse(&p, buf, 5, &used) == IMAP_INVALID);
}

/* Every prefix of a long mixed input, fed by a compacting caller in chunks
 * of every size, yields the same sequence of results as one big feed. */
static void
test_stream_splits(void)
{
	static const char in[] =
	    "a1 NOOP\r\n \tBAD\r\nb2 LOGIN {3}\r\nabc \"d\\\"e\"\r\n"
	    "c3 LOGIN {2+}\r\nxyz\r\n\r\nd4 CAPABILITY\n{4+}\r\ne5 LOGOUT\r\n";
	char log0[512], logn[512];
	size_t n0 = 0;

	for (size_t chunk = 0; chunk <= 7; chunk++) {
		struct imap_parser p;
		char buf[256];
		size_t have = 0, fed = 0, used, nl = 0;
		char *log = chunk ? logn : log0;

		imap_parser_init(&p);
		for (;;) {
			int rc = imap_parse(&p, buf, have, &used);

			if (rc == IMAP_AGAIN) {
				size_t add = chunk ? chunk : sizeof in - 1;

				if (fed == sizeof in - 1)
					break;
				if (add > sizeof in - 1 - fed)
					add = sizeof in - 1 - fed;
				memcpy(buf + have, in + fed, add);
				have += add;
				fed += add;
				continue;
			}
			log[nl++] = (char)('0' + rc);
			if (rc == IMAP_LITERAL)
				continue;
			log[nl++] = (char)('0' + p.nargs % 10);
			log[nl++] = (char)('0' + (int)(used % 64));
			memmove(buf, buf + used, have - used);
			have -= used;
			imap_parser_next(&p);
		}
		log[nl] = '\0';
		if (chunk == 0)
			n0 = nl;
		else
			CHECK(nl == n0 && memcmp(log0, logn, nl) == 0);
	}
	CHECK(n0 > 20);
}

int
main(void)
{
	test_commands();
	test_tags();
	test_quoted();
	test_literals();
	test_nosync_close();
	test_line_ends();
	test_sasl_mode();
	test_sequences();
	test_stream_splits();
	UNIT_DONE();
}
