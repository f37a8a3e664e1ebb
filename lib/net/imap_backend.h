/* SPDX-License-Identifier: ISC */
/* imap_backend.h: log in to an IMAP backend as nginx does
 * (doc/wire.md#imap-backend-login):
 *
 *   S: * OK ...                       [C: <tag>ID (...)          proxy_client_id
 *   S: [* untagged lines]
 *   S: <tag>OK|NO|BAD ...]             C: <tag>LOGIN {len(login)}
 *   S: + ...                          C: <login> {len(password)}
 *   S: + ...                          C: <password>
 *   S: [* one untagged line]
 *   S: <tag>OK ...                    -> forwarded to the client as is
 *
 * The pure part (framing a reply, judging it, building the next command)
 * needs no socket; imap_backend_login() drives it over one. */
#ifndef MP_IMAP_BACKEND_H
#define MP_IMAP_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "backend.h"
#include "ident.h"

/* What the dialogue waits for: the reply to the last thing sent. */
enum imap_bk_state {
	IMAP_BK_START,		/* the greeting, "* OK" */
	IMAP_BK_LOGIN,		/* "+" to "<tag>LOGIN {n}" */
	IMAP_BK_USER,		/* "+" to "<login> {m}" */
	IMAP_BK_PASSWD,		/* "[* ...\r\n]<tag>OK" to "<password>" */
	IMAP_BK_DONE,
	IMAP_BK_ID		/* "[* ...]<tag>..." to "<tag>ID (...)", then LOGIN */
};

enum imap_bk_step {
	IMAP_BK_NEXT = BACKEND_STEP_NEXT,
	IMAP_BK_ACCEPT = BACKEND_STEP_ACCEPT,
	IMAP_BK_REJECT = BACKEND_STEP_REJECT
};

struct imap_backend {
	enum imap_bk_state state;
	const char *tag;	/* the client's tag with its trailing space, "a01 " */
	size_t taglen;
	const char *login, *pass;	/* sent verbatim as literals; never logged */
	size_t loginlen, passlen;
	char scratch[40];	/* "LOGIN {n}\r\n" / " {m}\r\n" of the current command */
	char id[IDENT_OUT_MAX + 8];	/* "ID (...)\r\n", or "" to send none */
	size_t idlen;
	bool id_refused;	/* the backend answered ID with NO or BAD */
};

/* 0, or -1 with errno EINVAL when TAG is not "<something> ". */
int imap_backend_init(struct imap_backend *ib, const char *tag, size_t taglen,
    const char *login, size_t loginlen, const char *pass, size_t passlen);

/* Send "<tag>ID ARGS" before the LOGIN; ARGS is ident_imap_id()'s list.
 * 0, or -1 with errno EINVAL when it holds CR, LF or NUL or is too long. */
int imap_backend_set_id(struct imap_backend *ib, const char *args, size_t len);

/* backend_frame_fn for ARG = struct imap_backend *: one line, or in
 * IMAP_BK_PASSWD one untagged "* " line plus the next line. */
size_t imap_backend_frame(const void *arg, const char *p, size_t n);

/* Judge the complete reply P[0..N) for ib->state. On IMAP_BK_NEXT, IOV[0..1]
 * and *IOVCNT hold the command to send (pointing into IB and the caller's
 * strings) and ib->state is the next one. */
enum imap_bk_step imap_backend_step(struct imap_backend *ib, const char *p, size_t n,
    struct iovec iov[2], int *iovcnt);

/* Run the dialogue on FD (connected, non-blocking, nothing read yet; a PROXY
 * header, if any, already sent) until DEADLINE. Replies go to B (the
 * proxy_buffer): BACKEND_OK leaves the final reply there, untagged line
 * included, to forward to the client; BACKEND_REJECTED leaves the reply that
 * failed its step (for proxy_pass_error_message); BACKEND_TOO_LONG the
 * partial line. Nothing behind the final reply is read from FD. */
enum backend_result imap_backend_login(int fd, struct imap_backend *ib, struct backend_buf *b,
    int64_t deadline);

#endif
