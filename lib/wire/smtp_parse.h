/* SPDX-License-Identifier: ISC */
/* smtp_parse.h: nginx's SMTP command parser (ngx_mail_smtp_parse_command,
 * nginx 1.21+) as a pure, resumable state machine over the caller's bounded
 * command buffer. No I/O, no logging, no globals, no allocation.
 *
 * Grammar: command [SP+ arg]... [SP*] line end.
 *   command  exactly 4 letters, or the 8 letters STARTTLS, any case:
 *            HELO EHLO QUIT AUTH NOOP MAIL RSET RCPT VRFY EXPN HELP
 *            STARTTLS; any other word (DATA too), a non-letter in the word,
 *            or an empty line is a parser error.
 *   arg      bytes up to SP/CR/LF (NUL and every other byte included); at
 *            most SMTP_MAX_ARGS, a further one is a parser error.
 *   line end CRLF or bare LF; a CR not followed by LF is a parser error.
 * After a parser error the rest of the line, up to its LF, is skipped.
 *
 * Use:
 *   smtp_parser_init(&p), then keep the current command at the start of buf
 *   and call smtp_parse(&p, buf, len, &used) whenever bytes were appended
 *   (same buf, larger len):
 *   SMTP_AGAIN    need more bytes. If buf is full, that is nginx's "too long
 *                 command" (also while an invalid line is being skipped):
 *                 reply "500 5.5.1 Invalid command" and close.
 *   SMTP_DONE     a complete line of *used bytes; cmd, args, nargs, textlen
 *                 set; args point into buf.
 *   SMTP_INVALID  parser error; the whole bad line is *used bytes; counts
 *                 towards max_errors.
 *   After DONE/INVALID, use the results, drop *used bytes and call
 *   smtp_parser_init(&p) before the next line.
 *
 * SASL response lines after AUTH are not commands: parse them with
 * mail_parse_authline() (sasl.h), as nginx parses them in its argument state. */
#ifndef MP_SMTP_PARSE_H
#define MP_SMTP_PARSE_H

#include <stddef.h>

#define SMTP_MAX_ARGS	11	/* nginx: args.nelts <= 10 before a new one */

enum smtp_cmd {
	SMTP_CMD_NONE,
	SMTP_CMD_HELO,
	SMTP_CMD_EHLO,
	SMTP_CMD_QUIT,
	SMTP_CMD_AUTH,
	SMTP_CMD_NOOP,
	SMTP_CMD_MAIL,
	SMTP_CMD_RSET,
	SMTP_CMD_RCPT,
	SMTP_CMD_VRFY,
	SMTP_CMD_EXPN,
	SMTP_CMD_HELP,
	SMTP_CMD_STARTTLS
};

enum smtp_rc {
	SMTP_AGAIN,
	SMTP_DONE,
	SMTP_INVALID
};

struct smtp_arg {
	char *p;
	size_t len;
};

struct smtp_parser {
	/* private: resumable state, offsets into buf */
	int state;
	size_t pos;			/* bytes of buf already scanned */
	size_t argstart;		/* start of the argument being scanned */
	size_t argoff[SMTP_MAX_ARGS], arglen[SMTP_MAX_ARGS];

	/* results */
	int cmd;			/* enum smtp_cmd */
	struct smtp_arg args[SMTP_MAX_ARGS];
	unsigned nargs;
	/* The command text nginx forwards for MAIL/RCPT: from the command word
	 * to the end of the last argument ("MAIL FROM:<a@b> SIZE=10"); the
	 * command word alone if there is no argument. It starts at buf[0]. */
	size_t textlen;
};

void smtp_parser_init(struct smtp_parser *p);

/* Parses buf[0..len); returns an enum smtp_rc, sets *used on DONE/INVALID. */
int smtp_parse(struct smtp_parser *p, char *buf, size_t len, size_t *used);

#endif
