/* SPDX-License-Identifier: ISC */
/* sasl.h: the SASL pieces nginx's mail proxy shares between IMAP, POP3 and
 * SMTP (ngx_mail_auth_parse, ngx_mail_auth_plain/login/cram_md5/external,
 * ngx_mail_salt): mechanism selection, response decoding into caller
 * buffers, the CRAM-MD5/APOP salt and challenge, and the response-line
 * parser of SMTP. Nothing here keeps secrets: the work buffer
 * is wiped before return; the caller wipes login/password when done. */
#ifndef MP_SASL_H
#define MP_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol.h"	/* SASL_SALT_SIZE */

/* Results of the decoders: 0, or a negative reason (the caller logs it).
 * Every negative value means "invalid command" on the wire. */
enum sasl_rc {
	SASL_OK = 0,
	SASL_EBASE64 = -1,	/* "client sent invalid base64 encoding in AUTH <MECH> command" */
	SASL_ELOGIN = -2,	/* PLAIN: "client sent invalid login in AUTH PLAIN command" */
	SASL_EPASSWORD = -3,	/* PLAIN: "client sent invalid password in AUTH PLAIN command" */
	SASL_EHASH = -4,	/* "client sent invalid CRAM-MD5 hash in AUTH CRAM-MD5 command" */
	SASL_ETOOBIG = -5,	/* an output buffer is smaller than cap requires */
	SASL_EOAUTH = -6,	/* XOAUTH2/OAUTHBEARER: "client sent invalid message in AUTH <MECH> command" */
	SASL_ETOKEN = -7	/* ...: "client sent invalid bearer token in AUTH <MECH> command" */
};

/* Mechanism names (case-insensitive); the values equal conf.h's MP_AUTH_*. */
enum sasl_mech {
	SASL_MECH_NONE = 0,
	SASL_MECH_PLAIN = 0x01,
	SASL_MECH_LOGIN = 0x02,
	SASL_MECH_CRAM_MD5 = 0x08,
	SASL_MECH_EXTERNAL = 0x10,
	SASL_MECH_XOAUTH2 = 0x40,
	SASL_MECH_OAUTHBEARER = 0x80
};
unsigned sasl_mechanism(const char *name, size_t len);

/* ngx_mail_auth_parse(): what an AUTH/AUTHENTICATE line with nargs
 * arguments (mechanism first) asks for. "Is it enabled", starttls-only and
 * POP3's bare AUTH listing are the caller's checks. */
enum sasl_auth {
	SASL_AUTH_INVALID,
	SASL_AUTH_LOGIN,		/* send the username prompt */
	SASL_AUTH_LOGIN_USERNAME,	/* args[1] is the base64 username; send the password prompt */
	SASL_AUTH_PLAIN,		/* send the empty challenge */
	SASL_AUTH_PLAIN_INITIAL,	/* decode args[1] now */
	SASL_AUTH_CRAM_MD5,		/* send the salt challenge (if enabled) */
	SASL_AUTH_EXTERNAL,		/* send the username prompt (if enabled) */
	SASL_AUTH_EXTERNAL_INITIAL,	/* decode args[1] now (if enabled) */
	SASL_AUTH_OAUTH,		/* XOAUTH2, OAUTHBEARER: send the empty challenge (if enabled) */
	SASL_AUTH_OAUTH_INITIAL		/* decode args[1] now (if enabled) */
};
int sasl_auth_parse(const char *mech, size_t len, unsigned nargs);

/* Decoders. b64/len is the client's response argument. work, login and
 * pass each hold cap bytes; cap >= the command buffer size always suffices.
 * On failure the outputs are untouched. */

/* PLAIN: authzid NUL authcid NUL passwd; authzid ignored; login and password
 * may be empty. A missing first NUL, or one that is the last byte, is
 * SASL_ELOGIN; a missing second NUL is SASL_EPASSWORD (as nginx). */
int sasl_plain(const char *b64, size_t len, char *work, size_t cap,
    char *login, size_t *loginlen, char *pass, size_t *passlen);

/* LOGIN steps: the decoded bytes are the username / the password. */
int sasl_login_user(const char *b64, size_t len, char *login, size_t cap, size_t *loginlen);
int sasl_login_pass(const char *b64, size_t len, char *pass, size_t cap, size_t *passlen);

/* CRAM-MD5: "user SP digest": the login ends at the first space, the rest
 * must be exactly 32 bytes (hex is not checked). Deviation: nginx keeps a
 * stale password length when there is no space at all; here that is
 * always SASL_EHASH. */
int sasl_cram_md5(const char *b64, size_t len, char *work, size_t cap,
    char *login, size_t *loginlen, char *digest, size_t *digestlen);

/* EXTERNAL: the decoded identity (possibly empty) is the login. */
int sasl_external(const char *b64, size_t len, char *login, size_t cap, size_t *loginlen);

/* Bearer tokens (sasl_oauth.c): the user and the token of a client's
 * XOAUTH2 or OAUTHBEARER message, the token without its "Bearer " scheme.
 *   XOAUTH2      "user=" user ^A "auth=Bearer " token ^A ^A, where ^A is
 *                0x01: exactly these two fields, once each, in any order.
 *   OAUTHBEARER  RFC 7628 3.1: the GS2 header "n," or "y," (no channel
 *                binding: "p=" is refused), an optional "a=" authzid with
 *                "=2C" and "=3D" for ',' and '=' (the user; may be absent,
 *                then the user is empty), ",", ^A, key=value pairs each
 *                ending in ^A (keys of letters, values of VCHAR, SP, HTAB,
 *                CR, LF; "auth" once and required, "host" and "port" at
 *                most once, other keys allowed), ^A.
 * The token is RFC 6750's b64token (letters, digits, "-._~+/", then '='
 * padding), after "Bearer" (any case) and one or more spaces. The user
 * holds no control byte (C0, DEL); it may be empty only with OAUTHBEARER.
 * Nothing may follow the final ^A. SASL_EOAUTH for a malformed message,
 * SASL_ETOKEN for a bad or missing token. work, login and token hold cap
 * bytes each; work is wiped before return. */
int sasl_xoauth2(const char *b64, size_t len, char *work, size_t cap,
    char *login, size_t *loginlen, char *token, size_t *tokenlen);
int sasl_oauthbearer(const char *b64, size_t len, char *work, size_t cap,
    char *login, size_t *loginlen, char *token, size_t *tokenlen);

/* An Auth-Error-SASL value is sent to the client as a challenge: it must
 * be base64 (RFC 4648 alphabet and padding, non-empty). */
bool sasl_is_base64(const char *p, size_t len);

/* The salt "<RANDOM.UNIXTIME@server_name>\r\n" of ngx_mail_salt(): RANDOM is
 * a decimal in [0, 2^31-1] like nginx's random(). Returns its length, or 0
 * if it does not fit in cap (SASL_SALT_SIZE always does: protocol.h).
 * sasl_salt_format() is the pure part. */
size_t sasl_salt_format(char *dst, size_t cap, unsigned long rnd, long long now,
    const char *server_name);
size_t sasl_salt(char *dst, size_t cap, const char *server_name);

/* A cheap, NOT cryptographic number in [0, 2^31-1] from the pid and two
 * clocks; the salt only has to differ between connections, as nginx's
 * srandom(pid, time) seeded random() does. */
unsigned long sasl_random(void);

/* The CRAM-MD5 challenge line: prefix, base64 of the salt without its
 * CRLF, CRLF (e.g. "+ PDEyMz...\r\n" or "334 PDEy...\r\n"). Returns its
 * length, or 0 if it does not fit in cap. */
size_t sasl_challenge(char *dst, size_t cap, const char *prefix,
    const char *salt, size_t saltlen);

/* SMTP SASL response lines, parsed as nginx's smtp parser does in its
 * argument state after AUTH: arguments separated by one or more spaces, the
 * first starting at byte 0 (so a leading space gives an empty first
 * argument and an empty line one empty argument), CRLF or LF ends the line,
 * a CR not followed by LF or an argument beyond maxargs (SMTP 11) is a
 * parser error and the rest of the line is skipped. Stateless: call again
 * on the grown buffer. POP3 and IMAP do not use this: their responses go
 * through their own parsers, pop3_parser_sasl() (nginx's POP3 buffer
 * model) and imap_parser_sasl() (quoted strings, literals). */
#define MAIL_LINE_MAXARGS 11
struct mail_arg {
	char *p;
	size_t len;
};
enum mail_line_rc {
	MAIL_LINE_AGAIN,	/* no LF yet (a full buffer is "too long command") */
	MAIL_LINE_DONE,		/* args/nargs set; the line is *used bytes */
	MAIL_LINE_INVALID	/* parser error; the bad line is *used bytes */
};
int mail_parse_authline(char *buf, size_t len, size_t *used,
    struct mail_arg *args, unsigned maxargs, unsigned *nargs);

/* Log a decoder failure (a negative enum sasl_rc) as nginx words it; MECH
 * names the mechanism for the base64 case ("PLAIN", "LOGIN", ...). */
void sasl_log(int rc, const char *mech);

#endif
