/* SPDX-License-Identifier: ISC */
/* smtp_parse.c: the SMTP command line parser of smtp_parse.h. Like nginx it
 * looks only at the shape of the line: what the arguments mean is the
 * front end's business. */
#include <string.h>

#include "smtp_parse.h"

enum {
	ST_COMMAND,
	ST_SPACES,		/* before an argument */
	ST_ARG,
	ST_ALMOST_DONE,		/* CR seen, LF must follow */
	ST_INVALID		/* skipping the rest of a bad line */
};

void
smtp_parser_init(struct smtp_parser *p)
{
	memset(p, 0, sizeof *p);
	p->state = ST_COMMAND;
}

static int
letter(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
word_is(const char *w, const char *name, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)w[i];

		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		if (c != (unsigned char)name[i])
			return 0;
	}
	return 1;
}

static int
command(const char *w, size_t n)
{
	static const struct { const char *name; int cmd; } four[] = {
		{ "HELO", SMTP_CMD_HELO }, { "EHLO", SMTP_CMD_EHLO }, { "QUIT", SMTP_CMD_QUIT },
		{ "AUTH", SMTP_CMD_AUTH }, { "NOOP", SMTP_CMD_NOOP }, { "MAIL", SMTP_CMD_MAIL },
		{ "RSET", SMTP_CMD_RSET }, { "RCPT", SMTP_CMD_RCPT }, { "VRFY", SMTP_CMD_VRFY },
		{ "EXPN", SMTP_CMD_EXPN }, { "HELP", SMTP_CMD_HELP },
	};

	if (n == 8)
		return word_is(w, "STARTTLS", 8) ? SMTP_CMD_STARTTLS : SMTP_CMD_NONE;
	if (n != 4)
		return SMTP_CMD_NONE;
	for (size_t i = 0; i < sizeof four / sizeof four[0]; i++)
		if (word_is(w, four[i].name, 4))
			return four[i].cmd;
	return SMTP_CMD_NONE;
}

static void
results(struct smtp_parser *p, char *buf)
{
	for (unsigned i = 0; i < p->nargs; i++) {
		p->args[i].p = buf + p->argoff[i];
		p->args[i].len = p->arglen[i];
	}
	if (p->nargs > 0)
		p->textlen = p->argoff[p->nargs - 1] + p->arglen[p->nargs - 1];
}

int
smtp_parse(struct smtp_parser *p, char *buf, size_t len, size_t *used)
{
	size_t i;

	for (i = p->pos; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		switch (p->state) {
		case ST_COMMAND:
			if (ch == ' ' || ch == '\r' || ch == '\n') {
				p->cmd = command(buf, i);
				if (p->cmd == SMTP_CMD_NONE)
					goto invalid;
				p->textlen = i;
				if (ch == '\n')
					goto done;
				p->state = ch == ' ' ? ST_SPACES : ST_ALMOST_DONE;
				break;
			}
			if (!letter(ch))
				goto invalid;
			break;

		case ST_SPACES:
			if (ch == ' ')
				break;
			if (ch == '\r') {
				p->state = ST_ALMOST_DONE;
				break;
			}
			if (ch == '\n')
				goto done;
			if (p->nargs >= SMTP_MAX_ARGS)
				goto invalid;
			p->argstart = i;
			p->state = ST_ARG;
			break;

		case ST_ARG:
			if (ch != ' ' && ch != '\r' && ch != '\n')
				break;
			p->argoff[p->nargs] = p->argstart;
			p->arglen[p->nargs] = i - p->argstart;
			p->nargs++;
			if (ch == '\n')
				goto done;
			p->state = ch == ' ' ? ST_SPACES : ST_ALMOST_DONE;
			break;

		case ST_ALMOST_DONE:
			if (ch == '\n')
				goto done;
			goto invalid;

		case ST_INVALID:
			goto invalid;
		}
	}
	p->pos = i;
	return SMTP_AGAIN;

done:
	results(p, buf);
	*used = i + 1;
	return SMTP_DONE;

invalid:
	p->state = ST_INVALID;
	p->nargs = 0;
	p->cmd = SMTP_CMD_NONE;
	for (; i < len; i++) {
		if (buf[i] == '\n') {
			*used = i + 1;
			return SMTP_INVALID;
		}
	}
	p->pos = i;
	return SMTP_AGAIN;
}
