/* SPDX-License-Identifier: ISC */
/* relay.h: copy bytes both ways between the client and the backend after
 * the login, until both directions are done. Half-closes are propagated: EOF
 * from one side becomes shutdown(SHUT_WR) on the other once everything read
 * has been written, and the other direction goes on. Between sockets the
 * bytes go through a pipe per direction with splice(2) and never reach user
 * space (but for a few behind a TCP urgent mark, whose urgent byte is
 * dropped, as read(2) drops it); otherwise through the caller's buffers. A
 * direction whose destination does not read waits without polling its
 * source. */
#ifndef MP_RELAY_H
#define MP_RELAY_H

#include <stddef.h>
#include <stdint.h>

struct relay_conf {
	int cfd, bfd;		/* client, backend: stream fds, set non-blocking by relay_run */
	char *cbuf, *ubuf;	/* client->backend, backend->client; NULL: relay_run allocates
				 * one only for a direction that has to copy (no splice) */
	size_t cbufsize;	/* the client buffer (imap/smtp_client_buffer) */
	size_t ubufsize;	/* proxy_buffer */
	int64_t idle_ms;	/* proxy_timeout: no byte either way this long ends it; <= 0 never */
	int copy;		/* 1: read/write through the buffers; 0: splice(2) through
				 * pipes where the first splice works (set 1 when an
				 * fd is not a socket) */
};

enum relay_end {
	RELAY_END_DONE,		/* both directions reached EOF and were flushed */
	RELAY_END_TIMEOUT,	/* proxy_timeout */
	RELAY_END_CLIENT,	/* read from / write to the client failed (err) */
	RELAY_END_BACKEND,	/* read from / write to the backend failed (err) */
	RELAY_END_SYSTEM	/* poll() or fcntl() failed (err) */
};

struct relay_stats {
	uint64_t c2b, b2c;	/* bytes written to the backend / to the client */
	int64_t ms;		/* duration */
	enum relay_end end;
	int err;		/* errno for CLIENT, BACKEND, SYSTEM */
	int spliced;		/* 1 when the bytes went through pipes */
};

/* Run the relay to its end; fills ST. Closes nothing; needs SIGPIPE ignored
 * (writes to a closed peer must fail with EPIPE, not kill the process). */
void relay_run(const struct relay_conf *rc, struct relay_stats *st);

/* "client timed out", "client connection failed", ... for the log. */
const char *relay_end_text(enum relay_end e);

#endif
