/* SPDX-License-Identifier: ISC */
/* imap_id.h: the argument of the IMAP ID command (RFC 2971,
 * doc/wire.md#imap-id), parsed a byte at a time inside imap_parse's state
 * machine once the word ID is read:
 *
 *   id-params  = "(" [pair *(SP pair)] ")" / "NIL"    then CRLF or LF
 *   pair       = string SP (string / "NIL")
 *   string     = quoted / literal
 *   quoted     = DQUOTE *(any byte but NUL CR LF DQUOTE "\" / "\" DQUOTE / "\\") DQUOTE
 *   literal    = "{" 1*DIGIT ["+"] "}" CRLF, then that many bytes, none NUL
 *
 * Bounds (RFC 2971 section 3.3): at most IMAP_ID_PAIRS pairs, a field of at
 * most IMAP_ID_FIELD_MAX bytes, a value of at most IMAP_ID_VALUE_MAX; a
 * literal announcing more is refused at its "}", before any of its bytes.
 * "NIL" is any case. Anything else -- a stray space, an unknown escape, an
 * unbalanced parenthesis, bytes after ")" -- is refused.
 *
 * The strings stay in the caller's buffer: quoted ones are unescaped in
 * place when they end, and their offsets are kept, so the parser holds no
 * pointer and resumes at any byte, as imap_parse does. */
#ifndef MP_IMAP_ID_H
#define MP_IMAP_ID_H

#include <stdbool.h>
#include <stddef.h>

#define IMAP_ID_PAIRS		30
#define IMAP_ID_FIELD_MAX	30
#define IMAP_ID_VALUE_MAX	1024
/* The Auth-IMAP-ID header's value: pairs that do not fit are left out. */
#define IMAP_ID_TEXT_MAX	1024

enum imap_id_rc {
	IMAP_ID_MORE,		/* the byte is taken; the next please */
	IMAP_ID_LITERAL,	/* a synchronising literal's CRLF: send "+ OK" */
	IMAP_ID_END,		/* the byte is the LF that ends the command */
	IMAP_ID_BAD		/* not an ID argument, or beyond a bound */
};

struct imap_id_str {
	size_t off, len;	/* in the caller's buffer; a NIL value has nil set */
	bool nil;
};

struct imap_id {
	/* private */
	int state;
	size_t start, len, litlen;
	bool bad;		/* a NUL inside a literal: refused at its end */
	/* results: str[2k] is a field, str[2k + 1] its value */
	unsigned nstr;
	bool nil;		/* "ID NIL" */
	struct imap_id_str str[2 * IMAP_ID_PAIRS];
};

void imap_id_init(struct imap_id *id);

/* Take BUF[I], the next byte of the argument (the first is the one after
 * "ID "); the bytes before it are the ones given before, unchanged. */
enum imap_id_rc imap_id_byte(struct imap_id *id, char *buf, size_t i);

/* The pairs as "field=value&field=value" for the auth request: fields in
 * lower case, every byte outside [A-Za-z0-9._~-] as %XX, a NIL value as the
 * field alone. Pairs that would take the text past CAP - 1 bytes are left
 * out whole. Writes a NUL; returns the length. */
size_t imap_id_text(const struct imap_id *id, const char *buf, char *out, size_t cap);

#endif
