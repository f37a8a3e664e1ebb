/* SPDX-License-Identifier: ISC */
/* imap_parse.c: the IMAP command line state machine; grammar, quirks and
 * calling convention are in imap_parse.h. State lives in offsets, never in
 * pointers, so a command split at any byte parses as if it came whole. */
#include <limits.h>
#include <string.h>
#include <sys/types.h>

#include "imap_parse.h"

enum {
	ST_START,		/* nothing of this line seen yet */
	ST_TAG,
	ST_SPACES_BEFORE_CMD,
	ST_CMD,
	ST_SPACES_BEFORE_ARG,
	ST_ARG,			/* atom, quoted string, or a SASL response */
	ST_BACKSLASH,		/* inside a quoted string, after '\' */
	ST_LITERAL,		/* after '{': digits */
	ST_LITERAL_PLUS,	/* after "{N+": expects '}' */
	ST_LITERAL_EOL,		/* after '}': CR* LF */
	ST_LITERAL_DATA,
	ST_LITERAL_END,		/* after the literal: SP, CR or LF */
	ST_ALMOST_DONE,		/* after CR: LF */
	ST_SKIP,		/* parser error: skipping to LF */
	ST_ID,			/* the argument of ID, byte by byte to imap_id.c */
	ST_FINISHED		/* DONE/INVALID returned; next/sasl/init expected */
};

static const struct {
	const char *name;
	size_t len;
	int cmd;
} commands[] = {
	{ "NOOP", 4, IMAP_CMD_NOOP },
	{ "LOGIN", 5, IMAP_CMD_LOGIN },
	{ "LOGOUT", 6, IMAP_CMD_LOGOUT },
	{ "STARTTLS", 8, IMAP_CMD_STARTTLS },
	{ "CAPABILITY", 10, IMAP_CMD_CAPABILITY },
	{ "AUTHENTICATE", 12, IMAP_CMD_AUTHENTICATE },
	{ "ID", 2, IMAP_CMD_ID },
};

#define CR '\r'
#define LF '\n'

static int
is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_tagchar(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static int
lookup(const char *w, size_t n)
{
	size_t i, j;

	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (commands[i].len != n)
			continue;
		for (j = 0; j < n; j++)
			if ((w[j] & ~0x20) != commands[i].name[j])
				break;
		if (j == n)
			return commands[i].cmd;
	}
	return IMAP_CMD_NONE;
}

void
imap_parser_init(struct imap_parser *p)
{
	memset(p, 0, sizeof *p);
}

void
imap_parser_next(struct imap_parser *p)
{
	unsigned quoted = p->quoted, id_on = p->id_on;

	imap_parser_init(p);
	p->quoted = quoted;	/* nginx never clears it after a line ends */
	p->id_on = id_on;
}

void
imap_parser_sasl(struct imap_parser *p)
{
	p->state = ST_ARG;
	p->pos = 0;
	p->start = 0;
	p->litlen = 0;
	p->backslash = 0;
	p->nosync = 0;
	p->nargs = 0;
}

/* Ends the argument [start, end); quoted ones are unescaped in place. */
static void
push_arg(struct imap_parser *p, char *buf, size_t end)
{
	size_t len = end - p->start;

	if (p->backslash) {
		char *a = buf + p->start;
		size_t s, d;

		for (s = d = 0; s < len; s++, d++) {
			if (a[s] == '\\' && s + 1 < len)
				s++;
			a[d] = a[s];
		}
		len = d;
		p->backslash = 0;
	}
	p->argoff[p->nargs] = p->start;
	p->arglen[p->nargs] = len;
	p->nargs++;
}

/* Starts an argument at i if nginx still allows one (nelts <= 2). */
static int
may_start_arg(const struct imap_parser *p)
{
	return p->nargs < IMAP_MAX_ARGS;
}

/* Whether the bad line ending with the LF at i announced a non-synchronising
 * literal, judged the way nginx does (relative to its buffer start). */
static int
ends_nosync(const struct imap_parser *p, const char *buf, size_t i)
{
	size_t k;

	if (p->before + i <= sizeof "{1+}" - 1)
		return 0;
	/* bytes before buf[0] are the previous line's LF: never '}' or '+' */
	if (i == 0)
		return 0;
	k = i - 1;
	if (buf[k] == CR) {
		if (k == 0)
			return 0;
		k--;
	}
	return buf[k] == '}' && k > 0 && buf[k - 1] == '+';
}

int
imap_parse(struct imap_parser *p, char *buf, size_t len, size_t *used)
{
	size_t i;
	unsigned char ch;
	unsigned d;

	for (i = p->pos; i < len; i++) {
		ch = (unsigned char)buf[i];

		switch (p->state) {
		case ST_START:
			p->start = i;
			p->taglen = 0;
			p->state = ST_TAG;
			/* FALLTHROUGH */
		case ST_TAG:
			if (ch == ' ') {
				p->taglen = i - p->start + 1;
				memcpy(p->tag, buf + p->start, p->taglen);
				p->state = ST_SPACES_BEFORE_CMD;
				break;
			}
			if (!is_tagchar(ch) || i - p->start >= IMAP_TAG_MAX)
				goto invalid;
			break;

		case ST_SPACES_BEFORE_CMD:
			if (ch == ' ')
				break;
			if (ch == CR || ch == LF)
				goto invalid;
			p->start = i;
			p->state = ST_CMD;
			break;

		case ST_CMD:
			if (ch == ' ' || ch == CR || ch == LF) {
				p->cmd = lookup(buf + p->start, i - p->start);
				if (p->cmd == IMAP_CMD_ID && !p->id_on)
					p->cmd = IMAP_CMD_NONE;	/* as nginx: unknown */
				if (p->cmd == IMAP_CMD_NONE)
					goto invalid;
				if (p->cmd == IMAP_CMD_ID) {
					if (ch != ' ')
						goto invalid;	/* ID takes one argument */
					imap_id_init(&p->id);
					p->state = ST_ID;
					break;
				}
				if (ch == LF)
					goto done;
				p->state = ch == ' ' ? ST_SPACES_BEFORE_ARG : ST_ALMOST_DONE;
				break;
			}
			if (!is_alpha(ch))
				goto invalid;
			break;

		case ST_SPACES_BEFORE_ARG:
			switch (ch) {
			case ' ':
				break;
			case CR:
				p->state = ST_ALMOST_DONE;
				break;
			case LF:
				goto done;
			case '"':
				if (!may_start_arg(p))
					goto invalid;
				p->quoted = 1;
				p->start = i + 1;
				p->state = ST_ARG;
				break;
			case '{':
				if (!may_start_arg(p))
					goto invalid;
				p->litlen = 0;
				p->state = ST_LITERAL;
				break;
			default:
				if (!may_start_arg(p))
					goto invalid;
				p->start = i;
				p->state = ST_ARG;
				break;
			}
			break;

		case ST_ARG:
			if (ch == ' ' && p->quoted)
				break;
			switch (ch) {
			case '"':
				if (!p->quoted)
					break;
				p->quoted = 0;
				/* FALLTHROUGH */
			case ' ':
			case CR:
			case LF:
				/* CR/LF end even a quoted string, leaving quoted set */
				push_arg(p, buf, i);
				if (ch == LF)
					goto done;
				p->state = ch == CR ? ST_ALMOST_DONE : ST_SPACES_BEFORE_ARG;
				break;
			case '\\':
				if (p->quoted) {
					p->backslash = 1;
					p->state = ST_BACKSLASH;
				}
				break;
			}
			break;

		case ST_BACKSLASH:
			if (ch == CR || ch == LF)
				goto invalid;
			p->state = ST_ARG;
			break;

		case ST_LITERAL:
			if (ch >= '0' && ch <= '9') {
				d = ch - '0';
				if (p->litlen > ((size_t)SSIZE_MAX - d) / 10)
					goto invalid;
				p->litlen = p->litlen * 10 + d;
				break;
			}
			if (ch == '}') {
				p->state = ST_LITERAL_EOL;
				break;
			}
			if (ch == '+') {
				p->state = ST_LITERAL_PLUS;
				break;
			}
			goto invalid;

		case ST_LITERAL_PLUS:
			if (ch != '}')
				goto invalid;
			p->nosync = 1;
			p->state = ST_LITERAL_EOL;
			break;

		case ST_LITERAL_EOL:
			if (ch == CR)
				break;
			if (ch != LF)
				goto invalid;
			p->start = i + 1;
			p->state = ST_LITERAL_DATA;
			if (!p->nosync) {
				p->pos = i + 1;
				*used = i + 1;
				return IMAP_LITERAL;
			}
			p->nosync = 0;
			break;

		case ST_LITERAL_DATA:
			/* nginx: "if (literal_len && --literal_len)": {0} takes a byte */
			if (p->litlen && --p->litlen)
				break;
			p->argoff[p->nargs] = p->start;
			p->arglen[p->nargs] = i + 1 - p->start;
			p->nargs++;
			p->state = ST_LITERAL_END;
			break;

		case ST_LITERAL_END:
			if (ch == LF)
				goto done;
			if (ch == ' ')
				p->state = ST_SPACES_BEFORE_ARG;
			else if (ch == CR)
				p->state = ST_ALMOST_DONE;
			else
				goto invalid;
			break;

		case ST_ALMOST_DONE:
			if (ch == LF)
				goto done;
			goto invalid;

		case ST_ID:
			switch (imap_id_byte(&p->id, buf, i)) {
			case IMAP_ID_MORE:
				break;
			case IMAP_ID_LITERAL:
				p->pos = i + 1;
				*used = i + 1;
				return IMAP_LITERAL;
			case IMAP_ID_END:
				goto done;
			default:
				goto invalid;
			}
			break;

		case ST_SKIP:
			goto invalid;

		default:	/* ST_FINISHED: the caller forgot next/sasl */
			goto invalid;
		}
	}

	p->pos = len;
	return IMAP_AGAIN;

done:
	for (d = 0; d < p->nargs; d++) {
		p->args[d].p = buf + p->argoff[d];
		p->args[d].len = p->arglen[d];
	}
	p->state = ST_FINISHED;
	p->pos = i + 1;
	*used = i + 1;
	return IMAP_DONE;

invalid:
	p->state = ST_SKIP;
	p->quoted = 0;
	p->backslash = 0;
	p->nosync = 0;
	p->litlen = 0;
	for (; i < len; i++) {
		if (buf[i] == LF) {
			p->state = ST_FINISHED;
			p->pos = i + 1;
			*used = i + 1;
			return ends_nosync(p, buf, i) ? IMAP_INVALID_CLOSE : IMAP_INVALID;
		}
	}
	p->pos = len;
	return IMAP_AGAIN;
}
