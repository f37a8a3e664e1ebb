/* SPDX-License-Identifier: ISC */
/* ident.h: the client's identity as a backend's login dialogue carries it
 * (proxy_client_id): the arguments of an IMAP ID command with the fields
 * Dovecot reads from a trusted proxy, and a POP3 XCLIENT line. Pure text
 * builders: every value is checked against a small alphabet first, so no
 * quote, backslash, space, CR, LF or NUL can reach the command; a value
 * that fails its check is left out with its name, never sent cut or raw
 * (doc/wire.md#client-identity). */
#ifndef MP_IDENT_H
#define MP_IDENT_H

#include <stdbool.h>
#include <stddef.h>

/* Dovecot keeps a session id of at most 64 bytes (LOGIN_MAX_SESSION_ID_LEN). */
#define IDENT_SID_MAX	64
/* Room for the longest ID list and XCLIENT line the builders write. */
#define IDENT_OUT_MAX	512

struct ident {
	const char *ip;		/* the client (after set_real_ip_from), "192.0.2.1" */
	unsigned port;		/* its port; 0 unknown */
	const char *lip;	/* the address it connected to; NULL unknown */
	unsigned lport;
	const char *sid;	/* the session id of mailproxy's log lines */
};

/* An address as text: 1-45 of [0-9A-Fa-f.:] (IPv4, IPv6 without scope). */
bool ident_addr_ok(const char *s);

/* A session id: 1-IDENT_SID_MAX of [0-9A-Za-z]. */
bool ident_sid_ok(const char *s);

/* The ID argument list, "(\"x-originating-ip\" \"192.0.2.1\" ... \"x-session-id\" \"...\")",
 * without the command, into OUT (CAP bytes, NUL-terminated). Returns its
 * length, or 0 when no field is valid or it does not fit. */
size_t ident_imap_id(const struct ident *id, char *out, size_t cap);

/* "XCLIENT ADDR=... PORT=... SESSION=...\r\n" into OUT (CAP bytes,
 * NUL-terminated): its length, or 0 when no field is valid or it does not fit. */
size_t ident_xclient(const struct ident *id, char *out, size_t cap);

#endif
