/* SPDX-License-Identifier: ISC */
/* pop3_parse.c: the POP3 command parser of pop3_parse.h. Every state
 * consumes one byte; the state and the argument offsets survive between
 * calls, so a line may arrive in any number of pieces. */
#include <string.h>

#include "pop3_parse.h"

enum {
	sw_command,
	sw_spaces_before_argument,
	sw_argument,
	sw_almost_done,
	sw_invalid
};

static const struct {
	char name[5];
	int cmd;
} commands[] = {
	{ "USER", POP3_CMD_USER }, { "PASS", POP3_CMD_PASS }, { "APOP", POP3_CMD_APOP },
	{ "QUIT", POP3_CMD_QUIT }, { "CAPA", POP3_CMD_CAPA }, { "AUTH", POP3_CMD_AUTH },
	{ "NOOP", POP3_CMD_NOOP }, { "STLS", POP3_CMD_STLS },
};

static int
upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static int
letter(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* The command word of 4 letters at buf, or POP3_CMD_NONE. */
static int
lookup(const char *buf)
{
	char w[4];

	for (int i = 0; i < 4; i++)
		w[i] = (char)upper((unsigned char)buf[i]);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (memcmp(w, commands[i].name, 4) == 0)
			return commands[i].cmd;
	return POP3_CMD_NONE;
}

void
pop3_parser_init(struct pop3_parser *p)
{
	memset(p, 0, sizeof *p);
	p->state = sw_command;
	p->cmd = POP3_CMD_NONE;
}

void
pop3_parser_sasl(struct pop3_parser *p)
{
	memset(p, 0, sizeof *p);
	/* nginx leaves its parser in the argument state after AUTH, with the
	 * argument starting where the next line starts */
	p->state = sw_argument;
	p->start = 0;
	p->cmd = POP3_CMD_AUTH;
}

static void
push(struct pop3_parser *p, size_t end)
{
	p->argoff[p->nargs] = p->start;
	p->arglen[p->nargs] = end - p->start;
	p->nargs++;
}

int
pop3_parse(struct pop3_parser *p, char *buf, size_t len, size_t *used)
{
	size_t i;

	for (i = p->pos; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		switch (p->state) {
		case sw_command:
			if (ch == ' ' || ch == '\r' || ch == '\n') {
				if (i != 4 || (p->cmd = lookup(buf)) == POP3_CMD_NONE)
					goto invalid;
				if (ch == ' ')
					p->state = sw_spaces_before_argument;
				else if (ch == '\r')
					p->state = sw_almost_done;
				else
					goto done;
				break;
			}
			if (!letter(ch))
				goto invalid;
			break;

		case sw_spaces_before_argument:
			if (ch == ' ')
				break;
			if (ch == '\r') {
				p->state = sw_almost_done;
				break;
			}
			if (ch == '\n')
				goto done;
			if (p->nargs >= POP3_MAX_ARGS)
				goto invalid;
			p->start = i;
			p->state = sw_argument;
			break;

		case sw_argument:
			/* a user name or password may contain spaces */
			if (ch == ' ' && (p->cmd == POP3_CMD_USER || p->cmd == POP3_CMD_PASS))
				break;
			if (ch != ' ' && ch != '\r' && ch != '\n')
				break;
			push(p, i);
			if (ch == ' ')
				p->state = sw_spaces_before_argument;
			else if (ch == '\r')
				p->state = sw_almost_done;
			else
				goto done;
			break;

		case sw_almost_done:
			if (ch == '\n')
				goto done;
			goto invalid;

		case sw_invalid:
			goto invalid;
		}
	}
	p->pos = i;
	return POP3_AGAIN;

done:
	for (unsigned k = 0; k < p->nargs; k++) {
		p->args[k].p = buf + p->argoff[k];
		p->args[k].len = p->arglen[k];
	}
	p->pos = i + 1;
	*used = i + 1;
	return POP3_DONE;

invalid:
	/* skip the rest of the line */
	p->state = sw_invalid;
	p->nargs = 0;
	for (; i < len; i++) {
		if (buf[i] == '\n') {
			p->pos = i + 1;
			*used = i + 1;
			return POP3_INVALID;
		}
	}
	p->pos = i;
	return POP3_AGAIN;
}
