/* SPDX-License-Identifier: ISC */
/* test_smtp_parse.c: the SMTP command parser: every command, argument
 * limits, line ends, the skip after an error, and every split point. */
#include <stdlib.h>

#include "smtp_parse.h"
#include "unit.h"

#define S(x) x, sizeof(x) - 1

struct res {
	int rc;
	size_t used;
	int cmd;
	unsigned nargs;
	char args[SMTP_MAX_ARGS + 1][64];
	size_t textlen;
};

/* Feed IN (N bytes) in pieces of SPLIT bytes (0: at once) into a buffer
 * that holds the line at its start, as smtp.c does; stop at the first
 * result that is not SMTP_AGAIN. */
static struct res
parse(const char *in, size_t n, size_t split)
{
	struct smtp_parser p;
	struct res r;
	char buf[1024];
	size_t have = 0;

	memset(&r, 0, sizeof r);
	smtp_parser_init(&p);
	for (;;) {
		size_t add = split ? split : n - have;

		if (add > n - have)
			add = n - have;
		memcpy(buf + have, in + have, add);
		have += add;
		r.rc = smtp_parse(&p, buf, have, &r.used);
		if (r.rc != SMTP_AGAIN || have == n)
			break;
	}
	r.cmd = p.cmd;
	r.nargs = r.rc == SMTP_DONE ? p.nargs : 0;
	for (unsigned i = 0; i < r.nargs; i++) {
		size_t l = p.args[i].len < 63 ? p.args[i].len : 63;

		memcpy(r.args[i], p.args[i].p, l);
		r.args[i][l] = '\0';
		CHECK(p.args[i].p >= buf && p.args[i].p + p.args[i].len <= buf + r.used);
	}
	r.textlen = p.textlen;
	return r;
}

static struct res
parse_str(const char *in)
{
	return parse(in, strlen(in), 0);
}

static void
test_commands(void)
{
	static const struct { const char *word; int cmd; } t[] = {
		{ "HELO", SMTP_CMD_HELO }, { "EHLO", SMTP_CMD_EHLO }, { "QUIT", SMTP_CMD_QUIT },
		{ "AUTH", SMTP_CMD_AUTH }, { "NOOP", SMTP_CMD_NOOP }, { "MAIL", SMTP_CMD_MAIL },
		{ "RSET", SMTP_CMD_RSET }, { "RCPT", SMTP_CMD_RCPT }, { "VRFY", SMTP_CMD_VRFY },
		{ "EXPN", SMTP_CMD_EXPN }, { "HELP", SMTP_CMD_HELP }, { "STARTTLS", SMTP_CMD_STARTTLS },
		{ "helo", SMTP_CMD_HELO }, { "eHlO", SMTP_CMD_EHLO }, { "starttls", SMTP_CMD_STARTTLS },
		{ "StartTls", SMTP_CMD_STARTTLS },
	};
	char line[64];
	struct res r;

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(line, sizeof line, "%s\r\n", t[i].word);
		r = parse_str(line);
		CHECK(r.rc == SMTP_DONE && r.cmd == t[i].cmd && r.nargs == 0);
		CHECK(r.used == strlen(line) && r.textlen == strlen(t[i].word));
		snprintf(line, sizeof line, "%s\n", t[i].word);
		r = parse_str(line);
		CHECK(r.rc == SMTP_DONE && r.cmd == t[i].cmd && r.used == strlen(line));
		snprintf(line, sizeof line, "%s x\r\n", t[i].word);
		r = parse_str(line);
		CHECK(r.rc == SMTP_DONE && r.cmd == t[i].cmd && r.nargs == 1);
		CHECK_STR(r.args[0], "x");
	}

	/* not commands to nginx */
	static const char *bad[] = {
		"DATA\r\n", "BDAT 1\r\n", "TURN\r\n", "ETRN x\r\n", "STARTTL\r\n", "STARTTLSX\r\n",
		"HEL\r\n", "HELOO\r\n", "\r\n", "\n", " HELO x\r\n", "HEL0 x\r\n", "HE-O\r\n",
		"H\xc3\x89LO\r\n", "HELO\tx\r\n", "\x00HELO\r\n", "XCLIENT ADDR=1.2.3.4\r\n",
		"AUTH\r\r\n", "NOOP\rx\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = bad[i][0] == '\0' ? 7 : strlen(bad[i]);

		r = parse(bad[i], n, 0);
		CHECK(r.rc == SMTP_INVALID && r.used == n);
	}
}

static void
test_args(void)
{
	struct res r;

	r = parse_str("MAIL FROM:<a@b> SIZE=100\r\n");
	CHECK(r.rc == SMTP_DONE && r.cmd == SMTP_CMD_MAIL && r.nargs == 2);
	CHECK_STR(r.args[0], "FROM:<a@b>");
	CHECK_STR(r.args[1], "SIZE=100");
	CHECK(r.textlen == strlen("MAIL FROM:<a@b> SIZE=100"));

	/* spaces: several between, trailing ones ignored, text ends at the last arg */
	r = parse_str("RCPT   TO:<c@d>    NOTIFY=NEVER   \r\n");
	CHECK(r.rc == SMTP_DONE && r.nargs == 2);
	CHECK_STR(r.args[0], "TO:<c@d>");
	CHECK_STR(r.args[1], "NOTIFY=NEVER");
	CHECK(r.textlen == strlen("RCPT   TO:<c@d>    NOTIFY=NEVER"));

	r = parse_str("HELO \r\n");
	CHECK(r.rc == SMTP_DONE && r.cmd == SMTP_CMD_HELO && r.nargs == 0 && r.textlen == 4);
	r = parse_str("EHLO a b\n");
	CHECK(r.rc == SMTP_DONE && r.nargs == 2);

	/* tabs and other bytes are part of an argument; so is NUL (smtp.c refuses it) */
	r = parse(S("HELO a\tb\x01\xff\r\n"), 0);
	CHECK(r.rc == SMTP_DONE && r.nargs == 1);
	CHECK_STR(r.args[0], "a\tb\x01\xff");
	r = parse(S("MAIL FROM:<a\0b>\r\n"), 0);
	CHECK(r.rc == SMTP_DONE && r.nargs == 1 && r.textlen == 15);

	/* 11 arguments are fine, a 12th is a parser error */
	r = parse_str("AUTH 1 2 3 4 5 6 7 8 9 10 11\r\n");
	CHECK(r.rc == SMTP_DONE && r.nargs == 11);
	CHECK_STR(r.args[10], "11");
	r = parse_str("AUTH 1 2 3 4 5 6 7 8 9 10 11   \r\n");
	CHECK(r.rc == SMTP_DONE && r.nargs == 11);
	r = parse_str("AUTH 1 2 3 4 5 6 7 8 9 10 11 12\r\n");
	CHECK(r.rc == SMTP_INVALID && r.used == 33);
}

static void
test_line_ends(void)
{
	struct res r;

	r = parse_str("NOOP\r");
	CHECK(r.rc == SMTP_AGAIN);
	r = parse_str("NOOP x\rNOOP\r\n");
	CHECK(r.rc == SMTP_INVALID && r.used == 13);
	r = parse_str("NOOP \r \n");
	CHECK(r.rc == SMTP_INVALID && r.used == 8);
	r = parse_str("HELO x\r\rNOOP\n");
	CHECK(r.rc == SMTP_INVALID && r.used == 13);

	/* the invalid line is skipped to its LF; the next line is untouched */
	r = parse_str("DATA\r\nNOOP\r\n");
	CHECK(r.rc == SMTP_INVALID && r.used == 6);
	r = parse_str("D@TA junk junk\nNOOP\r\n");
	CHECK(r.rc == SMTP_INVALID && r.used == 15);
	/* an error with no LF in sight: wait for it (or "too long") */
	r = parse_str("DATA xxxxxxxx");
	CHECK(r.rc == SMTP_AGAIN);
	r = parse_str("NOOP\r\nDATA\r\n");
	CHECK(r.rc == SMTP_DONE && r.used == 6);
}

/* Every split point of every line gives the same result as a whole read. */
static void
test_splits(void)
{
	static const char *lines[] = {
		"MAIL FROM:<a@b> SIZE=100\r\n", "RCPT   TO:<c@d>    \r\n", "STARTTLS\r\n",
		"AUTH PLAIN AGFsaWNlAGFsaWNlcGFzcw==\r\n", "HELO x\r\rNOOP\n", "DATA\r\n",
		"AUTH 1 2 3 4 5 6 7 8 9 10 11 12\r\n", "EHLO a\n", "ehlo\r\n", "\r\n",
		"HELO x\ry\n",
	};

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		size_t n = strlen(lines[i]);
		struct res whole = parse(lines[i], n, 0);

		for (size_t split = 1; split < n; split++) {
			struct res r = parse(lines[i], n, split);

			CHECK(r.rc == whole.rc && r.used == whole.used && r.nargs == whole.nargs);
			if (r.rc == SMTP_DONE)
				CHECK(r.cmd == whole.cmd && r.textlen == whole.textlen);
			for (unsigned k = 0; k < r.nargs; k++)
				CHECK_STR(r.args[k], whole.args[k]);
		}
	}
}

/* A pipelined stream, consumed line by line as smtp.c does. */
static void
test_pipeline(void)
{
	char buf[256];
	const char *in = "EHLO x\r\nBAD\r\nMAIL FROM:<>\r\nQUIT\r\n";
	int want[] = { SMTP_CMD_EHLO, -1, SMTP_CMD_MAIL, SMTP_CMD_QUIT };
	size_t len = strlen(in);
	struct smtp_parser p;

	memcpy(buf, in, len);
	for (size_t i = 0; i < 4; i++) {
		size_t used = 0;
		int rc;

		smtp_parser_init(&p);
		rc = smtp_parse(&p, buf, len, &used);
		CHECK(want[i] == -1 ? rc == SMTP_INVALID : rc == SMTP_DONE && p.cmd == want[i]);
		memmove(buf, buf + used, len - used);
		len -= used;
	}
	CHECK(len == 0);
}

int
main(void)
{
	test_commands();
	test_args();
	test_line_ends();
	test_splits();
	test_pipeline();
	UNIT_DONE();
}
