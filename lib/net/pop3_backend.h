/* SPDX-License-Identifier: ISC */
/* pop3_backend.h: log in to a POP3 backend as nginx does
 * (doc/wire.md#pop3-backend-login):
 *
 *   S: +OK [XCLIENT] ...              [C: XCLIENT ADDR= PORT= SESSION=   proxy_client_id
 *   S: +OK|-ERR ...]                  C: USER <login>
 *   S: +OK ...                        C: PASS <password>
 *   S: +OK ...                        -> forwarded to the client as is
 *
 * APOP, CRAM-MD5 and EXTERNAL clients are logged in the same way, with the
 * password the auth server sent. The pure part (judging a reply, building
 * the next command) needs no socket; pop3_backend_login() drives it over one. */
#ifndef MP_POP3_BACKEND_H
#define MP_POP3_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "backend.h"
#include "ident.h"

/* What the dialogue waits for: the reply to the last thing sent. */
enum pop3_bk_state {
	POP3_BK_START,		/* the greeting, "+OK" */
	POP3_BK_USER,		/* "+OK" to "USER <login>" */
	POP3_BK_PASS,		/* "+OK" to "PASS <password>" */
	POP3_BK_DONE,
	POP3_BK_XCLIENT		/* "+OK" or "-ERR" to "XCLIENT ...", then USER */
};

enum pop3_bk_step {
	POP3_BK_NEXT = BACKEND_STEP_NEXT,
	POP3_BK_ACCEPT = BACKEND_STEP_ACCEPT,
	POP3_BK_REJECT = BACKEND_STEP_REJECT
};

struct pop3_backend {
	enum pop3_bk_state state;
	const char *login, *pass;	/* sent verbatim; never logged */
	size_t loginlen, passlen;
	char xclient[IDENT_OUT_MAX];	/* "XCLIENT ...\r\n", or "" to send none */
	size_t xclientlen;
	bool xclient_sent, xclient_refused;
};

/* 0, or -1 with errno EINVAL when LOGIN or PASS is NULL or holds a CR or LF.
 * Deviation: nginx sends them raw, so a decoded SASL password with CRLF in
 * it would smuggle commands to the backend; here the login is refused. */
int pop3_backend_init(struct pop3_backend *pb, const char *login, size_t loginlen,
    const char *pass, size_t passlen);

/* Send LINE (ident_xclient()'s, CRLF-terminated) before USER when the
 * greeting announces it as Dovecot does ("+OK [XCLIENT] ..."). 0, or -1
 * with errno EINVAL when it is too long or holds a CR, LF or NUL before its end. */
int pop3_backend_set_xclient(struct pop3_backend *pb, const char *line, size_t len);

/* Judge the complete reply P[0..N) (framed by backend_frame_line) for
 * pb->state. On POP3_BK_NEXT, IOV[0..2] and *IOVCNT hold the command to send
 * (pointing into static text and the caller's strings) and pb->state is the
 * next one. */
enum pop3_bk_step pop3_backend_step(struct pop3_backend *pb, const char *p, size_t n,
    struct iovec iov[3], int *iovcnt);

/* Run the dialogue on FD (connected, non-blocking, nothing read yet; a PROXY
 * header, if any, already sent) until DEADLINE. Replies go to B (the
 * proxy_buffer): BACKEND_OK leaves the reply to PASS there, to forward to
 * the client; BACKEND_REJECTED the reply that failed its step (for
 * proxy_pass_error_message); BACKEND_TOO_LONG the partial line. Nothing
 * behind the final reply is read from FD. */
enum backend_result pop3_backend_login(int fd, struct pop3_backend *pb, struct backend_buf *b,
    int64_t deadline);

#endif
