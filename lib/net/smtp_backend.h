/* SPDX-License-Identifier: ISC */
/* smtp_backend.h: log in to an SMTP backend as nginx does
 * (doc/wire.md#smtp-backend-login):
 *
 *   S: 220 ...                 C: EHLO <server_name>   (HELO if neither the
 *                                                       client's EHLO nor xclient)
 *   S: 250 ...                 C: XCLIENT ADDR=<ip> [LOGIN=<xtext>] NAME=<host>
 *   S: 220|250 ...             C: HELO|EHLO <client's helo>   (if it sent one)
 *   S: 250 ...                 then by mode:
 *     smtp_auth none           C: MAIL ...   S: 250   C: RCPT ...   S: (any)
 *     proxy_smtp_auth on       C: AUTH PLAIN <base64 \0login\0pass>   S: 235
 *     otherwise                done
 *
 * (without xclient the XCLIENT and repeated HELO steps are left out). Only
 * the first three bytes of each reply are judged, multi-line replies are
 * read to their last line. The pure part (judging a reply, building the
 * next command) needs no socket; smtp_backend_login() drives it over one. */
#ifndef MP_SMTP_BACKEND_H
#define MP_SMTP_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "backend.h"

/* What the dialogue waits for: the reply to the last thing sent. */
enum smtp_bk_state {
	SMTP_BK_START,		/* the greeting: 220 */
	SMTP_BK_HELO,		/* to HELO/EHLO <server_name>: 250 */
	SMTP_BK_XCLIENT,	/* to XCLIENT: 220 or 250 */
	SMTP_BK_CLIENT_HELO,	/* to the client's HELO/EHLO: 250 */
	SMTP_BK_FROM,		/* to MAIL: 250 */
	SMTP_BK_TO,		/* to RCPT: anything (it is the client's answer) */
	SMTP_BK_AUTH,		/* to AUTH PLAIN: 235 */
	SMTP_BK_DONE
};

enum smtp_bk_step {
	SMTP_BK_NEXT = BACKEND_STEP_NEXT,	/* state advanced */
	SMTP_BK_ACCEPT = BACKEND_STEP_ACCEPT,
	SMTP_BK_REJECT = BACKEND_STEP_REJECT,
	SMTP_BK_NO_PASSWORD = BACKEND_STEP_OWN,	/* proxy_smtp_auth without a password: "no password available" */
	SMTP_BK_NO_ROOM		/* the scratch buffer is too small (a caller bug) */
};

struct smtp_backend {
	enum smtp_bk_state state;

	/* set by the caller (zero the struct first), then smtp_backend_init() */
	const char *server_name;
	bool xclient;			/* proxy xclient */
	bool smtp_auth;			/* proxy_smtp_auth */
	bool none;			/* Auth-Method none: replay MAIL and RCPT */
	bool esmtp;			/* the client ever sent EHLO */
	const char *addr;		/* the client's IP text, XCLIENT ADDR= */
	bool ipv6;			/* ... prefixed with "IPV6:" */
	const char *host;		/* XCLIENT NAME=, e.g. "[UNAVAILABLE]" */
	const char *helo; size_t helolen;	/* the client's HELO/EHLO argument; 0: none */
	const char *from; size_t fromlen;	/* the MAIL line without CRLF (none) */
	const char *to; size_t tolen;		/* the RCPT line without CRLF (none) */
	const char *login; size_t loginlen;	/* never logged */
	const char *pass; size_t passlen;
	bool have_pass;
	char *scratch;			/* smtp_backend_scratch_size() bytes: XCLIENT, */
	size_t scratchcap;		/* AUTH PLAIN (holds the password: wiped at the end) */
};

/* Bytes of scratch the dialogue of SB needs (inputs set). */
size_t smtp_backend_scratch_size(const struct smtp_backend *sb);

/* Checks the inputs and sets the state to SMTP_BK_START: 0, or -1 with
 * errno EINVAL when something required is missing or a value sent without
 * encoding (server name, address, host, HELO, MAIL, RCPT) holds CR, LF or
 * NUL, which would let it end the line early. */
int smtp_backend_init(struct smtp_backend *sb);

/* Judge the complete reply P[0..N) for sb->state. On SMTP_BK_NEXT, IOV[0..2]
 * and *IOVCNT hold the command to send and sb->state is the next one. */
enum smtp_bk_step smtp_backend_step(struct smtp_backend *sb, const char *p, size_t n,
    struct iovec iov[3], int *iovcnt);

/* Run the dialogue on FD (connected, non-blocking, nothing read yet) until
 * DEADLINE. Replies go to B (the proxy_buffer). BACKEND_OK leaves the last
 * reply in B: with sb->none that is the RCPT reply, which nginx forwards to
 * the client; otherwise the client gets "235 2.0.0 OK". BACKEND_REJECTED
 * leaves the reply that failed its step. BACKEND_INVALID with *NO_PASSWORD
 * set is nginx's "no password available". The scratch buffer is wiped
 * before return. Nothing behind the last reply is read from FD. */
enum backend_result smtp_backend_login(int fd, struct smtp_backend *sb, struct backend_buf *b,
    int64_t deadline, bool *no_password);

#endif
