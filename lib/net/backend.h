/* SPDX-License-Identifier: ISC */
/* backend.h: the handler's side of a backend connection before the relay:
 * connect within a deadline, send one command in one write, and read one
 * reply into the proxy_buffer without ever reading past its end, so that
 * whatever the backend sends after its last login reply stays in the socket
 * for the relay. Shared by the IMAP, POP3 and SMTP login dialogues. */
#ifndef MP_BACKEND_H
#define MP_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* Outcome of a backend step or of a whole login dialogue. */
enum backend_result {
	BACKEND_OK = 0,
	BACKEND_REJECTED,	/* the reply is not what the step expects; bytes in the buffer */
	BACKEND_TIMEOUT,	/* the deadline passed */
	BACKEND_EOF,		/* the backend closed the connection */
	BACKEND_ERROR,		/* read/write error (errno), or a write that was not sent at once */
	BACKEND_TOO_LONG,	/* the reply does not fit the buffer; partial bytes in it */
	BACKEND_INVALID,	/* the caller's arguments cannot be sent (errno EINVAL) */
	BACKEND_ABORTED		/* not attempted or given up, the reason already logged */
};

/* The proxy_buffer: the caller owns the memory (cap bytes); len is the
 * length of the last reply read into it. */
struct backend_buf {
	char *p;
	size_t cap, len;
};

/* Length of the complete reply at the start of P[0..N), or 0 while it is
 * incomplete. Must be monotone: if P[0..N) is incomplete, the reply of any
 * longer input ends beyond N (the reader relies on it to consume bytes). */
typedef size_t backend_frame_fn(const void *arg, const char *p, size_t n);

/* Connect a TCP (or unix) stream socket to SA within DEADLINE (absolute
 * mp_now_ms(); -1 none). Returns a connected fd that is NON-BLOCKING and
 * close-on-exec, or -1 with errno (ETIMEDOUT at the deadline). */
int backend_connect(const struct sockaddr *sa, socklen_t len, int64_t deadline);

/* P as an iovec entry: a write never changes it, iov_base is not const only
 * because readv(2) shares the type. */
struct iovec backend_iov(const char *p, size_t n);

/* Send IOV as one write, as nginx does: a partial write is an error
 * (BACKEND_ERROR, errno EMSGSIZE). Waits for the socket to be writable first. */
enum backend_result backend_send(int fd, struct iovec *iov, int iovcnt, int64_t deadline);

/* Read one reply, framed by FRAME, into B (b->len = its length). Only the
 * reply's bytes are taken from FD (peek, then consume), so FD must be a socket. */
enum backend_result backend_read_reply(int fd, backend_frame_fn *frame, const void *arg,
    struct backend_buf *b, int64_t deadline);

/* What a step of a login dialogue says of a complete reply. The first three
 * are every dialogue's; a dialogue may add its own after them (errors). */
enum backend_step {
	BACKEND_STEP_NEXT,	/* accepted: send the command in iov, state advanced */
	BACKEND_STEP_ACCEPT,	/* the final reply accepted: logged in */
	BACKEND_STEP_REJECT,	/* not what this state expects */
	BACKEND_STEP_OWN	/* the first value of a dialogue's own */
};

/* A protocol's login dialogue, for backend_dialogue(); each gets ARG. */
struct backend_dialogue {
	backend_frame_fn *frame;
	/* judge the complete reply P[0..N); on BACKEND_STEP_NEXT the command
	 * to send is IOV[0..*IOVCNT) */
	int (*step)(void *arg, const char *p, size_t n, struct iovec iov[3], int *iovcnt);
	/* the first iov of that command that holds a credential (the debug
	 * log counts it and the rest, never shows them); IOVCNT: none */
	int (*secret_from)(const void *arg, const struct iovec *iov, int iovcnt);
};

/* The login loop every protocol shares: read a reply framed by D's frame,
 * judge it with its step, send the next command, until a step accepts
 * (BACKEND_OK), rejects (BACKEND_REJECTED, the reply in B) or says
 * something of its own (BACKEND_INVALID with errno EINVAL, the value in
 * *OWN if OWN is not NULL). */
enum backend_result backend_dialogue(int fd, const struct backend_dialogue *d, void *arg,
    struct backend_buf *b, int64_t deadline, int *own);

/* The next backend_dialogue() judges first the reply of LEN bytes already at
 * the start of its buffer instead of reading one: the greeting, read before
 * STARTTLS towards the backend (backend_tls.h). One dialogue, then it is
 * forgotten. */
void backend_hold_reply(size_t len);

/* nginx's framing: the first CRLF at which the reply is at least 4 bytes long. */
size_t backend_frame_line(const void *arg, const char *p, size_t n);

/* SMTP: up to the first CRLF-terminated line whose 4th byte is not '-'. */
size_t backend_frame_smtp(const void *arg, const char *p, size_t n);

/* Log a failed step as nginx does ("upstream timed out", "upstream sent
 * invalid response: ...", ...). PASSED: the reply goes to the client
 * (proxy_pass_error_message on), which makes a rejection info, not err. */
void backend_log_result(enum backend_result r, const struct backend_buf *b, int passed);

#endif
