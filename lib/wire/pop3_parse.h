/* SPDX-License-Identifier: ISC */
/* pop3_parse.h: nginx's POP3 command parser (ngx_mail_pop3_parse_command,
 * nginx 1.21+) as a pure, resumable state machine over the caller's
 * bounded command buffer. No I/O, no logging, no globals, no allocation.
 *
 * Grammar: command [SP+ arg]... line end.
 *   command  exactly 4 letters, any case, followed by SP, CR or LF:
 *            USER PASS APOP QUIT CAPA AUTH NOOP STLS. Any other word
 *            (STAT, RETR, ..., or a non-letter) is a parser error.
 *   arg      at most 3, separated by one or more spaces; an argument runs
 *            to SP/CR/LF, except for USER and PASS, whose argument runs to
 *            the end of the line spaces included (trailing ones too).
 *   line end CRLF or bare LF; a CR not followed by LF is a parser error.
 * After a parser error the rest of the line (up to LF) is skipped.
 *
 * SASL responses (the lines after an AUTH challenge) go through the same
 * machine entered in the argument state, as nginx does: the first argument
 * starts at the first byte of the line, so an empty line is one empty
 * argument and a leading space gives an empty first argument.
 *
 * Use:
 *   pop3_parser_init(&p) for a command line, pop3_parser_sasl(&p) for a
 *   SASL response line. Keep the line at the start of buf and call
 *   pop3_parse(&p, buf, len, &used) whenever bytes were appended (same buf,
 *   larger len):
 *   POP3_AGAIN    need more bytes. If nginx's 128-byte buffer is full, that
 *                 is "too long command" (also while a bad line is being
 *                 skipped): reply "-ERR invalid command" and close.
 *   POP3_DONE     a complete line of *used bytes; cmd, args, nargs set
 *                 (args point into buf).
 *   POP3_INVALID  parser error; the whole bad line is *used bytes. Counts
 *                 towards max_errors.
 *   Then drop *used bytes and init the parser again for the next line. */
#ifndef MP_POP3_PARSE_H
#define MP_POP3_PARSE_H

#include <stddef.h>

#include "protocol.h"	/* POP3_BUFFER */

#define POP3_MAX_ARGS	3	/* nginx: args.nelts <= 2 before a new one */

enum pop3_cmd {
	POP3_CMD_NONE,
	POP3_CMD_USER,
	POP3_CMD_PASS,
	POP3_CMD_APOP,
	POP3_CMD_QUIT,
	POP3_CMD_CAPA,
	POP3_CMD_AUTH,
	POP3_CMD_NOOP,
	POP3_CMD_STLS
};

enum pop3_rc {
	POP3_AGAIN,
	POP3_DONE,
	POP3_INVALID
};

struct pop3_arg {
	char *p;
	size_t len;
};

struct pop3_parser {
	/* private: resumable state, offsets into buf */
	int state;
	size_t pos;			/* bytes of buf already scanned */
	size_t start;			/* start of the argument being scanned */
	size_t argoff[POP3_MAX_ARGS], arglen[POP3_MAX_ARGS];

	/* results */
	int cmd;			/* enum pop3_cmd; POP3_CMD_AUTH for SASL lines */
	struct pop3_arg args[POP3_MAX_ARGS];
	unsigned nargs;
};

/* The next line is a command. */
void pop3_parser_init(struct pop3_parser *p);

/* The next line is a SASL response to an AUTH challenge. */
void pop3_parser_sasl(struct pop3_parser *p);

/* Parses buf[0..len); returns an enum pop3_rc and sets *used on DONE/INVALID. */
int pop3_parse(struct pop3_parser *p, char *buf, size_t len, size_t *used);

#endif
