/* SPDX-License-Identifier: ISC */
/* sieve_backend.h: log in to a ManageSieve backend (RFC 5804 2.1), as
 * Dovecot's managesieve proxy does (doc/wire.md#sieve-backend-login):
 *
 *   S: capability lines, then OK ...   C: AUTHENTICATE "PLAIN" "<base64>"
 *   S: OK ...                          -> forwarded to the client as is
 *
 * The backend must list PLAIN in its "SASL" capability; a response is its
 * lines up to the first that starts with OK, NO or BYE, literals included.
 * The pure part needs no socket; sieve_backend_login() drives it over one. */
#ifndef MP_SIEVE_BACKEND_H
#define MP_SIEVE_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "backend.h"

enum sieve_bk_state {
	SIEVE_BK_GREETING,	/* the capabilities and OK */
	SIEVE_BK_AUTH,		/* OK to AUTHENTICATE */
	SIEVE_BK_DONE
};

enum sieve_bk_step {
	SIEVE_BK_NEXT = BACKEND_STEP_NEXT,
	SIEVE_BK_ACCEPT = BACKEND_STEP_ACCEPT,
	SIEVE_BK_REJECT = BACKEND_STEP_REJECT,
	SIEVE_BK_NO_PLAIN = BACKEND_STEP_OWN	/* the greeting's SASL lacks PLAIN */
};

struct sieve_backend {
	enum sieve_bk_state state;
	char head[48];		/* AUTHENTICATE "PLAIN" and the string's start */
	size_t headlen;
	const char *tail;	/* the string's end and CRLF */
	char *b64;		/* base64 of NUL login NUL password: the secret */
	size_t b64len;
};

/* The bytes WORK must hold for a login and a password of these lengths. */
size_t sieve_backend_worksize(size_t loginlen, size_t passlen);

/* Build the AUTHENTICATE command in WORK (sieve_backend_worksize() bytes,
 * wiped by the caller when done): a quoted string, or a literal {N+} when
 * the base64 is longer than a quoted string may be (1024 octets). 0, or -1
 * with errno EINVAL when a login or password holds a NUL (it would end
 * the field early in PLAIN's message), or WORK is too small. */
int sieve_backend_init(struct sieve_backend *sb, const char *login, size_t loginlen,
    const char *pass, size_t passlen, char *work, size_t workcap);

/* The length of the complete response at the start of P[0..N), or 0. */
size_t sieve_backend_frame(const void *arg, const char *p, size_t n);

/* Judge the complete response P[0..N) for sb->state. */
enum sieve_bk_step sieve_backend_step(struct sieve_backend *sb, const char *p, size_t n,
    struct iovec iov[3], int *iovcnt);

/* Run the dialogue on FD until DEADLINE; as pop3_backend_login(), with
 * BACKEND_INVALID (*own SIEVE_BK_NO_PLAIN) for a backend without PLAIN. */
enum backend_result sieve_backend_login(int fd, struct sieve_backend *sb,
    struct backend_buf *b, int64_t deadline, int *own);

#endif
