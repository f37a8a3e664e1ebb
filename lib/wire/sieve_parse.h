/* SPDX-License-Identifier: ISC */
/* sieve_parse.h: the ManageSieve command parser (RFC 5804 4, the commands
 * of the non-authenticated state; doc/wire.md#sieve-grammar) as a pure,
 * resumable state machine over the caller's bounded command buffer. No I/O,
 * no logging, no globals, no allocation.
 *
 * Grammar: name [SP+ arg]... line end.
 *   name     an atom of at most SIEVE_NAME_MAX characters, any case:
 *            AUTHENTICATE STARTTLS LOGOUT CAPABILITY NOOP; any other name
 *            is SIEVE_CMD_UNKNOWN, its arguments parsed all the same, so
 *            that the bytes of a literal are never taken for commands.
 *   arg      at most SIEVE_MAX_ARGS: an atom (ATOM-CHARs), a quoted string
 *            ("...", only \" and \\ escaped, unescaped in place; no CR, LF
 *            or NUL) or a literal {N+} or {N} (both, as Dovecot takes them)
 *            CRLF (or LF) and N bytes verbatim. After a string only SP, CR,
 *            LF. A quoted string is bounded by the buffer, not by RFC
 *            5804's 1024 octets: a long SASL response fits, as in Dovecot.
 *   line end CRLF or LF; a CR not followed by LF is a parser error.
 * A SASL response line (sieve_parser_sasl) has no name: only arguments,
 * spaces before the first allowed.
 *
 * After a parser error the rest of the line is skipped up to LF. If that
 * line ends in a literal announcement ({N} or {N+} before the line end),
 * the result is SIEVE_INVALID_CLOSE: whether N bytes of data follow cannot
 * be known, and they must not be read as commands. A literal longer than
 * the parser's max (the buffer) is SIEVE_INVALID_CLOSE at once.
 *
 * Use: keep the current line at the start of buf and call
 * sieve_parse(&p, buf, len, &used) whenever bytes were appended:
 *   SIEVE_AGAIN          need more bytes (a full buffer: the line is too long)
 *   SIEVE_DONE           a complete line of *used bytes: cmd, args, nargs
 *   SIEVE_INVALID        parser error; the bad line is *used bytes
 *   SIEVE_INVALID_CLOSE  parser error, then close (*used: the bytes scanned)
 * then drop *used bytes and init the parser for the next line. */
#ifndef MP_SIEVE_PARSE_H
#define MP_SIEVE_PARSE_H

#include <stddef.h>

#define SIEVE_NAME_MAX	16	/* the longest name, UNAUTHENTICATE, has 14 */
#define SIEVE_MAX_ARGS	3	/* PUTSCRIPT and RENAMESCRIPT take two */

enum sieve_cmd {
	SIEVE_CMD_NONE,		/* a SASL response line */
	SIEVE_CMD_UNKNOWN,
	SIEVE_CMD_AUTHENTICATE,
	SIEVE_CMD_STARTTLS,
	SIEVE_CMD_LOGOUT,
	SIEVE_CMD_CAPABILITY,
	SIEVE_CMD_NOOP
};

enum sieve_rc {
	SIEVE_AGAIN,
	SIEVE_DONE,
	SIEVE_INVALID,
	SIEVE_INVALID_CLOSE
};

struct sieve_arg {
	char *p;
	size_t len;
	int string;		/* 1 quoted or literal, 0 atom */
};

struct sieve_parser {
	/* private: resumable state, offsets into buf */
	int state;
	size_t pos;			/* bytes of buf already scanned */
	size_t start;			/* start of the token being scanned */
	size_t out;			/* quoted: where the next unescaped byte goes */
	size_t litlen;			/* literal bytes still to come */
	size_t max;			/* the longest literal accepted */
	size_t argoff[SIEVE_MAX_ARGS], arglen[SIEVE_MAX_ARGS];
	int argstr[SIEVE_MAX_ARGS];

	/* results */
	int cmd;			/* enum sieve_cmd */
	struct sieve_arg args[SIEVE_MAX_ARGS];
	unsigned nargs;
};

/* The next line is a command; MAX bounds a literal (the buffer's size). */
void sieve_parser_init(struct sieve_parser *p, size_t max);

/* The next line is a SASL response of an AUTHENTICATE exchange. */
void sieve_parser_sasl(struct sieve_parser *p, size_t max);

/* Parses buf[0..len); returns an enum sieve_rc and sets *used unless AGAIN. */
int sieve_parse(struct sieve_parser *p, char *buf, size_t len, size_t *used);

#endif
