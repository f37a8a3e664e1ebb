/* SPDX-License-Identifier: ISC */
/* tlsd_req.h: the handler's exchange with a mailproxy-tls daemon
 * (mailproxy-tls -D, socket-activated on a unix socket): the daemon's hello,
 * then the request with two descriptors, the client socket and the plaintext
 * end of a socketpair, in one sendmsg(2) with SCM_RIGHTS; then the daemon's
 * one-line answer. */
#ifndef MP_TLSD_REQ_H
#define MP_TLSD_REQ_H

#include <stddef.h>
#include <stdint.h>

/* Where the handler looks for the daemon; $MAILPROXY_TLS_SOCKET overrides
 * it, and an empty value means "never ask a daemon". */
#define TLSD_SOCKET_PATH "/run/mailproxy/tls.sock"

#define TLSD_REQ_MAGIC "MPTLS/1"

struct tlsd_req {
	char magic[8];		/* TLSD_REQ_MAGIC and its NUL */
	uint32_t server;	/* index of the server{} in the configuration */
	uint32_t flags;		/* 0 */
	uint64_t digest;	/* mp_conf.digest: the daemon must have read the same files */
	char sid[24];		/* the session id for log lines */
	char client[64];	/* the client's address, for log lines */
	char local[160];	/* the local address text, for log lines */
};

/* What the daemon writes first, as it accepts: the handler sends its
 * descriptors only after reading it. */
#define TLSD_HELLO "MPTLS/1 ready\n"

/* The answer: "Y\n" when a daemon's child took the session, or "N reason\n"
 * (at most TLSD_ANSWER_MAX bytes) when the handler should start its own
 * mailproxy-tls. */
#define TLSD_ANSWER_MAX 256

/* 0 when the N bytes at R are a well-formed request (size, magic, every
 * string NUL-terminated, flags 0); -1 otherwise. Checks the form only. */
int tlsd_req_check(const void *r, size_t n);

/* A request's string (at most INMAX bytes of IN, up to its NUL) made fit for
 * a log line in OUT (CAP bytes, always NUL-terminated): control bytes, DEL,
 * bytes past ASCII, '"' and '\\' become "\xNN". A string longer than CAP
 * allows is cut before a whole character or escape, never inside one.
 * Returns the length of OUT. */
size_t tlsd_req_text(char *out, size_t cap, const char *in, size_t inmax);

#endif
