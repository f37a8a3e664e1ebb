/* SPDX-License-Identifier: ISC */
/* imap_parse.h: nginx's IMAP command parser (ngx_mail_imap_parse_command,
 * nginx 1.29.6+) as a pure, resumable state machine over the caller's
 * bounded command buffer. No I/O, no logging, no globals, no allocation.
 *
 * Grammar: tag SP+ command [SP+ arg]... line end.
 *   tag      1-32 of [A-Za-z0-9-._]; a line starting with SP has an empty
 *            tag, stored as the single space (doc/wire.md#imap-grammar).
 *   command  NOOP LOGIN LOGOUT STARTTLS CAPABILITY AUTHENTICATE, any case;
 *            any other word is a parser error. With p.id_on (imap_id on),
 *            also ID: one SP, then the bytes up to the line end are
 *            imap_id.h's (its literals answered as IMAP_LITERAL), with no
 *            args; p.id holds the pairs.
 *   arg      at most 3; atom (bytes up to SP/CR/LF), quoted "..." (spaces
 *            allowed, \x gives x, unescaped in place), literal {N} or {N+}
 *            CRLF + N bytes verbatim. After a literal only SP, CR, LF.
 *   line end CRLF or bare LF; a CR not followed by LF is a parser error.
 * nginx quirks kept on purpose (doc/wire.md#imap-grammar, #imap-literals):
 *   - {0} (and {}) takes one byte as the literal value (doc/wire.md#imap-literals);
 *   - CR/LF inside a quoted string end the argument (no closing quote
 *     needed) and leave nginx's "quoted" flag set, so in the NEXT command
 *     an atom behaves as quoted (spaces included, '"' ends it) until a '"'
 *     closes it or a parser error clears the flag; imap_parser_next()
 *     keeps that flag, imap_parser_init() clears it;
 *   - after a parser error the rest of the line is skipped; if it ends in
 *     "+}" (CR ignored) and the LF lies more than 4 bytes after the start
 *     of nginx's buffer, the result is IMAP_INVALID_CLOSE
 *     (doc/wire.md#imap-literals);
 *   - a literal length above SSIZE_MAX is a parser error (1.29.6).
 *
 * Use:
 *   imap_parser_init(&p) once per connection. Keep the current command at
 *   the start of buf; call imap_parse(&p, buf, len, &used) whenever bytes
 *   were appended (same buf, larger len):
 *   IMAP_AGAIN    need more bytes. If buf is full, that is nginx's "too long
 *                 command" (also while an invalid line is being skipped):
 *                 reply BAD with p.tag (or "* " if p.taglen == 0) and close.
 *   IMAP_LITERAL  a synchronising {N} was announced: send "+ OK\r\n", then
 *                 call again with the same buf (do not remove any bytes).
 *   IMAP_DONE     a complete line of *used bytes; tag, cmd, args, nargs set.
 *                 args point into buf (quoted args unescaped in place).
 *   IMAP_INVALID  parser error; the whole bad line is *used bytes. Reply
 *                 "<tag>BAD invalid command" (tag "* " if p.taglen == 0);
 *                 counts towards max_errors.
 *   IMAP_INVALID_CLOSE  as IMAP_INVALID, then close the connection.
 *   After DONE/INVALID, use the results, drop *used bytes, then call
 *   imap_parser_next(&p) for the next command, or imap_parser_sasl(&p) when
 *   the next line is a SASL response of an AUTHENTICATE exchange.
 *
 * SASL responses: nginx parses them with this same machine, entered in the
 * argument state with the AUTHENTICATE tag kept (so quoted strings and
 * literals after a space, the 3-argument cap, the tag on errors and the
 * "+}" rule all apply). cmd stays IMAP_CMD_AUTHENTICATE; use args[0].
 *
 * Buffer model: nginx does not compact its buffer until it is drained, and
 * during an AUTHENTICATE exchange it keeps the AUTHENTICATE line and every
 * response line in it. A caller that compacts sets p.before to the number
 * of bytes nginx would still hold before buf: the consumed bytes since its
 * buffer last drained, e.g. earlier pipelined commands, or the AUTHENTICATE
 * line and earlier responses. Only the "+}" rule reads it; the "too long"
 * decision is the caller's. */
#ifndef MP_IMAP_PARSE_H
#define MP_IMAP_PARSE_H

#include <stddef.h>

#include "imap_id.h"

#define IMAP_TAG_MAX	32	/* tag characters (nginx), not counting the space */
#define IMAP_MAX_ARGS	3	/* nginx: args.nelts <= 2 before a new one */

enum imap_cmd {
	IMAP_CMD_NONE,
	IMAP_CMD_LOGIN,
	IMAP_CMD_LOGOUT,
	IMAP_CMD_CAPABILITY,
	IMAP_CMD_NOOP,
	IMAP_CMD_STARTTLS,
	IMAP_CMD_AUTHENTICATE,
	IMAP_CMD_ID		/* only with id_on; its argument in id */
};

enum imap_rc {
	IMAP_AGAIN,
	IMAP_DONE,
	IMAP_LITERAL,
	IMAP_INVALID,
	IMAP_INVALID_CLOSE
};

struct imap_arg {
	char *p;
	size_t len;
};

struct imap_parser {
	/* private: resumable state, offsets into buf */
	int state;
	size_t pos;			/* bytes of buf already scanned */
	size_t start;			/* start of the token being scanned */
	size_t litlen;			/* literal bytes still to come */
	size_t argoff[IMAP_MAX_ARGS], arglen[IMAP_MAX_ARGS];
	unsigned quoted:1, backslash:1, nosync:1;

	/* input */
	size_t before;			/* see "Buffer model" above; 0 by default */
	unsigned id_on:1;		/* imap_id on: ID is a command (kept by _next) */

	/* results */
	char tag[IMAP_TAG_MAX + 1];	/* with its trailing space, as nginx stores it */
	size_t taglen;			/* 0: no tag recognised, reply with "* " */
	int cmd;			/* enum imap_cmd */
	struct imap_arg args[IMAP_MAX_ARGS];
	unsigned nargs;
	struct imap_id id;		/* IMAP_CMD_ID: the pairs (imap_id.h) */
};

/* A new connection: everything cleared. */
void imap_parser_init(struct imap_parser *p);

/* The next command line: keeps nginx's sticky quoted flag, clears the
 * rest (p.before too: set it again if you model nginx's buffer). */
void imap_parser_next(struct imap_parser *p);

/* The next line is a SASL response: keeps tag and cmd, starts in an argument. */
void imap_parser_sasl(struct imap_parser *p);

/* Parses buf[0..len); returns an enum imap_rc, sets *used on DONE/INVALID*
 * (and, informationally, on LITERAL: the bytes scanned so far). */
int imap_parse(struct imap_parser *p, char *buf, size_t len, size_t *used);

#endif
