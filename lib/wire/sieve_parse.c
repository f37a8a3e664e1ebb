/* SPDX-License-Identifier: ISC */
/* sieve_parse.c: the ManageSieve command parser (see sieve_parse.h). */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "sieve_parse.h"

enum {
	S_NAME,		/* the command name */
	S_SPACES,	/* between tokens */
	S_ATOM,
	S_QUOTED,
	S_QUOTED_BS,	/* after a backslash in a quoted string */
	S_AFTER,	/* after a string: SP or the line end */
	S_LIT_LEN,	/* "{" digits */
	S_LIT_PLUS,	/* "{N+": "}" must follow */
	S_LIT_CR,	/* "{N}": CRLF or LF must follow */
	S_LIT_LF,
	S_LIT_DATA,
	S_CR,		/* CR at the line end: LF must follow */
	S_SKIP		/* a parser error: skip to LF */
};

static const struct {
	const char *name;
	int cmd;
} names[] = {
	{ "AUTHENTICATE", SIEVE_CMD_AUTHENTICATE }, { "STARTTLS", SIEVE_CMD_STARTTLS },
	{ "LOGOUT", SIEVE_CMD_LOGOUT }, { "CAPABILITY", SIEVE_CMD_CAPABILITY },
	{ "NOOP", SIEVE_CMD_NOOP },
};

static void
reset(struct sieve_parser *p, int state, int cmd, size_t max)
{
	memset(p, 0, sizeof *p);
	p->state = state;
	p->cmd = cmd;
	p->max = max;
}

void
sieve_parser_init(struct sieve_parser *p, size_t max)
{
	reset(p, S_NAME, SIEVE_CMD_UNKNOWN, max);
}

void
sieve_parser_sasl(struct sieve_parser *p, size_t max)
{
	reset(p, S_SPACES, SIEVE_CMD_NONE, max);
}

/* RFC 5804 ATOM-CHAR: any CHAR but ATOM-SPECIALS (SP ( ) { " \ and CTL) */
static int
atom_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '(' && c != ')' && c != '{' && c != '\\';
}

static void
name_done(struct sieve_parser *p, const char *buf)
{
	size_t n = p->pos - p->start;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == n && strncasecmp(names[i].name, buf + p->start, n) == 0)
			p->cmd = names[i].cmd;
}

static void
arg_done(struct sieve_parser *p, size_t end, int string)
{
	p->argoff[p->nargs] = p->start;
	p->arglen[p->nargs] = end - p->start;
	p->argstr[p->nargs] = string;
	p->nargs++;
}

/* the quoted string buf[start..pos) without its escapes, in place */
static size_t
unescape(char *buf, size_t start, size_t end)
{
	size_t o = start;

	for (size_t i = start; i < end; i++) {
		if (buf[i] == '\\')
			i++;
		buf[o++] = buf[i];
	}
	return o;
}

/* Does the line buf[0..end) (LF included) end in "{N}" or "{N+}"? */
static int
ends_in_literal(const char *buf, size_t end)
{
	size_t i = end - 1, digits = 0;

	if (i > 0 && buf[i - 1] == '\r')
		i--;
	if (i == 0 || buf[--i] != '}')
		return 0;
	if (i > 0 && buf[i - 1] == '+')
		i--;
	while (i > 0 && buf[i - 1] >= '0' && buf[i - 1] <= '9') {
		i--;
		digits++;
	}
	return digits > 0 && i > 0 && buf[i - 1] == '{';
}

static int
done(struct sieve_parser *p, char *buf, size_t *used)
{
	*used = p->pos + 1;
	for (unsigned i = 0; i < p->nargs; i++) {
		p->args[i].p = buf + p->argoff[i];
		p->args[i].len = p->arglen[i];
		p->args[i].string = p->argstr[i];
	}
	return SIEVE_DONE;
}

/* A token may start here: an argument, or the line end. 1 go on, 0 error. */
static int
token(struct sieve_parser *p, unsigned char c)
{
	if (c == ' ')
		return 1;
	if (c == '\r') {
		p->state = S_CR;
		return 1;
	}
	if (p->nargs == SIEVE_MAX_ARGS)
		return 0;
	p->start = p->pos + 1;
	if (c == '"') {
		p->state = S_QUOTED;
		p->out = 0;	/* counts escapes */
	} else if (c == '{') {
		p->state = S_LIT_LEN;
		p->litlen = 0;
	} else if (atom_char(c)) {
		p->start = p->pos;
		p->state = S_ATOM;
	} else {
		return 0;
	}
	return 1;
}

int
sieve_parse(struct sieve_parser *p, char *buf, size_t len, size_t *used)
{
	while (p->pos < len) {
		unsigned char c = (unsigned char)buf[p->pos];
		int ok = 1;

		switch (p->state) {
		case S_NAME:
			if (atom_char(c)) {
				ok = p->pos < SIEVE_NAME_MAX;
				break;
			}
			if (p->pos == 0 || (c != ' ' && c != '\r' && c != '\n')) {
				ok = 0;
				break;
			}
			name_done(p, buf);
			p->state = S_SPACES;
			if (c == '\n')
				return done(p, buf, used);
			ok = token(p, c);
			break;
		case S_SPACES:
			if (c == '\n')
				return done(p, buf, used);
			ok = token(p, c);
			break;
		case S_ATOM:
			if (atom_char(c))
				break;
			arg_done(p, p->pos, 0);
			p->state = S_SPACES;
			if (c == '\n')
				return done(p, buf, used);
			ok = token(p, c);
			break;
		case S_QUOTED:
			if (c == '\\') {
				p->state = S_QUOTED_BS;
				p->out++;
			} else if (c == '"') {
				arg_done(p, p->out ? unescape(buf, p->start, p->pos) : p->pos, 1);
				p->state = S_AFTER;
			} else {
				ok = c != '\0' && c != '\r' && c != '\n';
			}
			break;
		case S_QUOTED_BS:
			ok = c == '"' || c == '\\';
			p->state = S_QUOTED;
			break;
		case S_AFTER:
			p->state = S_SPACES;
			if (c == '\n')
				return done(p, buf, used);
			ok = (c == ' ' || c == '\r') && token(p, c);
			break;
		case S_LIT_LEN:
			if (c >= '0' && c <= '9') {
				if (p->litlen > (SIZE_MAX - 9) / 10) {
					ok = 0;
					break;
				}
				p->litlen = p->litlen * 10 + (c - '0');
				break;
			}
			if (p->pos == p->start || (c != '+' && c != '}')) {
				ok = 0;
				break;
			}
			if (c == '+') {
				p->state = S_LIT_PLUS;
				break;
			}
			/* FALLTHROUGH */
		case S_LIT_PLUS:
			if (c != '}') {
				ok = 0;
				break;
			}
			if (p->litlen > p->max) {
				*used = p->pos + 1;
				return SIEVE_INVALID_CLOSE;
			}
			p->state = S_LIT_CR;
			break;
		case S_LIT_CR:
			if (c == '\r') {
				p->state = S_LIT_LF;
				break;
			}
			/* FALLTHROUGH */
		case S_LIT_LF:
			if (c != '\n') {
				ok = 0;
				break;
			}
			p->start = p->pos + 1;
			if (p->litlen == 0) {
				arg_done(p, p->start, 1);
				p->state = S_AFTER;
			} else {
				p->state = S_LIT_DATA;
			}
			break;
		case S_LIT_DATA:
			/* the rest of the literal, or of the buffer, at once */
			if (len - p->pos < p->litlen) {
				p->litlen -= len - p->pos;
				p->pos = len - 1;
				break;
			}
			p->pos += p->litlen - 1;
			p->litlen = 0;
			arg_done(p, p->pos + 1, 1);
			p->state = S_AFTER;
			break;
		case S_CR:
			if (c == '\n')
				return done(p, buf, used);
			ok = 0;
			break;
		case S_SKIP:
			if (c == '\n') {
				*used = p->pos + 1;
				return ends_in_literal(buf, p->pos + 1) ? SIEVE_INVALID_CLOSE
				    : SIEVE_INVALID;
			}
			break;
		}
		/* the offending byte may be the LF that ends the line: skip
		 * from it, not past it */
		if (ok)
			p->pos++;
		else
			p->state = S_SKIP;
	}
	return SIEVE_AGAIN;
}
