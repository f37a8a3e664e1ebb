/* SPDX-License-Identifier: ISC */
/* tlsd_io.c: the TLS engine's handshake and its I/O loop.
 *
 * The loop joins the TLS connection (client socket TFD) and the plaintext
 * socket PFD (the handler, later the relay) with one bounded buffer per
 * direction. libtls answers TLS_WANT_POLLIN / TLS_WANT_POLLOUT per call; each
 * direction remembers what it waits for, so a tls_read that needs the socket
 * writable (or a tls_write that needs it readable) is retried on the right
 * event. A finished direction is passed on as a half-close: the client's
 * close_notify or EOF becomes shutdown(PFD, SHUT_WR); the plaintext side's EOF
 * becomes close_notify and shutdown(TFD, SHUT_WR). The loop ends when both
 * directions are finished, or LINGER_MS after the plaintext side finished
 * while the client keeps its side open, or when no byte moved either way for
 * IDLE_MS: the peer that handed us the session (a handler, a relay) ends it
 * long before that, but a plaintext end that nobody reads or closes must not
 * keep a process with the key forever. A session quiet for TLSD_IDLE_MS
 * gives its free memory back (idle()): most sessions sit idle for hours. */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tls.h>

#include "clock.h"
#include "io.h"
#include "log.h"
#include "tls_hello.h"
#include "tlsd.h"

#define TLSD_BUF 16384	/* one TLS record's worth of plaintext, per direction */
#define TLSD_IDLE_MS 1000	/* this long without traffic, a session counts as idle */

/* Refuse a ClientHello whose ALPN list lacks ALPN with the fatal alert
 * no_application_protocol (120), as OpenSSL does for nginx. The record is
 * only peeked at: libtls reads it afterwards. SO_RCVLOWAT makes poll wait
 * for the whole record instead of spinning on a partial one. */
static int
check_alpn(int fd, const char *alpn, int64_t deadline, uint8_t *hb, size_t cap, char *err,
    size_t errlen)
{
	static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x78 };
	size_t need = 5;
	ssize_t prev = -1;
	int r, one = 1;

	for (;;) {
		ssize_t n;

		if ((r = io_wait(fd, POLLIN, deadline)) <= 0)
			break;		/* the handshake reports the timeout */
		n = recv(fd, hb, cap, MSG_PEEK);
		/* readable with nothing new under SO_RCVLOWAT is the client's EOF:
		 * the handshake reads it and fails, instead of spinning here */
		if (n <= 0 || n == prev)
			break;
		prev = n;
		r = tlsd_hello_alpn(hb, (size_t)n, alpn, &need);
		if (r == -1) {
			if (send(fd, alert, sizeof alert, MSG_NOSIGNAL) < 0)
				(void)0;	/* the client learns it from the close */
			snprintf(err, errlen, "the client's ALPN list lacks \"%s\"", alpn);
			return -1;
		}
		if (r == 0 || need > cap || (size_t)n >= need)
			break;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &(int){ (int)need }, sizeof(int)) == -1)
			break;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
	return 0;
}

int
tlsd_handshake_wait(struct tls *ctx, int fd, int64_t deadline, char *err, size_t errlen)
{
	for (;;) {
		int r = tls_handshake(ctx);

		if (r == 0)
			return 0;
		if (r != TLS_WANT_POLLIN && r != TLS_WANT_POLLOUT) {
			const char *e = tls_error(ctx);

			snprintf(err, errlen, "%s", e ? e : "handshake failed");
			return -1;
		}
		r = io_wait(fd, r == TLS_WANT_POLLIN ? POLLIN : POLLOUT, deadline);
		if (r == 0) {
			snprintf(err, errlen, "timed out");
			errno = ETIMEDOUT;
			return -1;
		}
		if (r == -1) {
			snprintf(err, errlen, "poll() failed: %s", strerror(errno));
			return -1;
		}
	}
}

int
tlsd_handshake(struct tls *srv, int fd, const char *alpn, int64_t deadline, struct tls **ctx,
    char *err, size_t errlen)
{
	*ctx = NULL;
	if (alpn != NULL) {
		/* one record: mapped for the peek only, so no page of it outlives the handshake */
		size_t cap = 5 + 16384;
		uint8_t *hb = tlsd_pages(cap);
		int r;

		if (hb == NULL) {
			snprintf(err, errlen, "mmap() failed: %s", strerror(errno));
			return -1;
		}
		r = check_alpn(fd, alpn, deadline, hb, cap, err, errlen);
		tlsd_pages_free(hb, cap);
		if (r == -1)
			return -1;
	}
	if (tls_accept_socket(srv, ctx, fd) == -1) {
		snprintf(err, errlen, "%s", tls_error(srv));
		return -1;
	}
	return tlsd_handshake_wait(*ctx, fd, deadline, err, errlen);
}

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src != NULL ? src : "");
}

int
tlsd_collect(struct tls *ctx, const struct mp_ssl *ssl, struct tls_info *ti, char *err, size_t errlen)
{
	const uint8_t *chain = NULL;
	size_t chainlen = 0;

	memset(ti, 0, sizeof *ti);
	copy(ti->protocol, sizeof ti->protocol, tls_conn_version(ctx));
	copy(ti->cipher, sizeof ti->cipher, tls_conn_cipher(ctx));
	copy(ti->sni, sizeof ti->sni, tls_conn_servername(ctx));
	copy(ti->alpn, sizeof ti->alpn, tls_conn_alpn_selected(ctx));
	if (tls_peer_cert_provided(ctx))
		chain = tls_peer_cert_chain_pem(ctx, &chainlen);
	return tlsd_verify_peer(ssl, chain, chainlen, ti, err, errlen);
}

/* One direction of the loop. */
struct dir {
	char *buf;	/* TLSD_BUF bytes, mapped by tlsd_run */
	size_t len;
	bool eof;	/* nothing more will be read from the source */
	bool shut;	/* the half-close has been passed to the sink */
	short want;	/* TLS_WANT_* translated to poll events, 0 = none pending */
};

/* client -> plaintext: tls_read, then write(PFD). */
static int
step_in(struct tls *ctx, struct dir *d, int pfd, bool *progress)
{
	if (!d->eof && d->len < TLSD_BUF) {
		ssize_t r = tls_read(ctx, d->buf + d->len, TLSD_BUF - d->len);

		if (r > 0) {
			d->len += (size_t)r;
			d->want = 0;
			*progress = true;
		} else if (r == TLS_WANT_POLLIN) {
			d->want = POLLIN;
		} else if (r == TLS_WANT_POLLOUT) {
			d->want = POLLOUT;
		} else if (r == 0) {
			d->eof = true;
			d->want = 0;
			*progress = true;
		} else {
			log_msg(MP_LOG_INFO, "SSL_read() failed: %s while proxying", tls_error(ctx));
			return -1;
		}
	}
	if (d->len > 0) {
		ssize_t w = write(pfd, d->buf, d->len);

		if (w > 0) {
			memmove(d->buf, d->buf + w, d->len - (size_t)w);
			d->len -= (size_t)w;
			*progress = true;
		} else if (w == -1 && errno != EAGAIN && errno != EINTR) {
			return -1;	/* the handler is gone: nothing left to deliver */
		}
	}
	if (d->eof && d->len == 0 && !d->shut) {
		shutdown(pfd, SHUT_WR);
		d->shut = true;
		*progress = true;
	}
	return 0;
}

/* plaintext -> client: read(PFD), then tls_write; at EOF close_notify. */
static int
step_out(struct tls *ctx, struct dir *d, int pfd, int tfd, bool *progress)
{
	if (!d->eof && d->len < TLSD_BUF) {
		ssize_t r = read(pfd, d->buf + d->len, TLSD_BUF - d->len);

		if (r > 0) {
			d->len += (size_t)r;
			*progress = true;
		} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
			d->eof = true;
			*progress = true;
		}
	}
	while (d->len > 0) {
		ssize_t w = tls_write(ctx, d->buf, d->len);

		if (w > 0) {
			memmove(d->buf, d->buf + w, d->len - (size_t)w);
			d->len -= (size_t)w;
			d->want = 0;
			*progress = true;
			continue;
		}
		if (w == TLS_WANT_POLLIN || w == TLS_WANT_POLLOUT) {
			d->want = w == TLS_WANT_POLLIN ? POLLIN : POLLOUT;
			return 0;
		}
		log_msg(MP_LOG_INFO, "SSL_write() failed: %s while proxying", tls_error(ctx));
		return -1;
	}
	if (d->eof && !d->shut) {
		int r = tls_close(ctx);

		if (r == TLS_WANT_POLLIN || r == TLS_WANT_POLLOUT) {
			d->want = r == TLS_WANT_POLLIN ? POLLIN : POLLOUT;
			return 0;
		}
		shutdown(tfd, SHUT_WR);
		d->shut = true;
		d->want = 0;
		*progress = true;
	}
	return 0;
}

/* Nothing moved for TLSD_IDLE_MS: the session may now stay idle for hours.
 * The empty buffers' pages go back, and so do the heap's free pages (the
 * record buffers OpenSSL released among them): free() alone keeps them. */
static void
idle(struct dir *in, struct dir *out)
{
	if (in->len == 0)
		tlsd_pages_drop(in->buf, TLSD_BUF);
	if (out->len == 0)
		tlsd_pages_drop(out->buf, TLSD_BUF);
	malloc_trim(0);
}

/* The poll timeout for a deadline LEFT ms away, folded into MS (-1: none). */
static int
sooner(int ms, int64_t left)
{
	if (left > 3600000)
		left = 3600000;
	return ms < 0 || left < ms ? (int)left : ms;
}

static int
loop(struct tls *ctx, int tfd, int pfd, int64_t linger_ms, int64_t idle_ms, struct dir *in,
    struct dir *out)
{
	int64_t linger_end = -1, last = mp_now_ms();
	bool busy = true;	/* bytes moved since the last idle() */

	for (;;) {
		struct pollfd p[2];
		bool progress = false;
		int ms = -1, r;

		if (step_in(ctx, in, pfd, &progress) == -1 || step_out(ctx, out, pfd, tfd, &progress) == -1)
			return -1;
		if (in->shut && out->shut)
			return 0;
		if (progress) {
			busy = true;
			last = mp_now_ms();
			continue;	/* libtls may hold decrypted bytes the socket no longer shows */
		}

		p[0].fd = tfd;
		p[0].events = 0;
		if (!in->eof && in->len < TLSD_BUF)
			p[0].events |= in->want ? in->want : POLLIN;
		if (out->len > 0 || (out->eof && !out->shut))
			p[0].events |= out->want ? out->want : POLLOUT;
		p[1].fd = pfd;
		p[1].events = 0;
		if (!out->eof && out->len < TLSD_BUF)
			p[1].events |= POLLIN;
		if (in->len > 0)
			p[1].events |= POLLOUT;
		if (p[0].events == 0)
			p[0].fd = -1;
		if (p[1].events == 0)
			p[1].fd = -1;

		if (out->shut && linger_end < 0)
			linger_end = mp_now_ms() + linger_ms;
		if (linger_end >= 0) {
			int64_t left = linger_end - mp_now_ms();

			if (left <= 0)
				return 0;
			ms = sooner(ms, left);
		}
		if (idle_ms > 0) {
			int64_t left = last + idle_ms - mp_now_ms();

			if (left <= 0) {
				log_msg(MP_LOG_INFO, "no byte moved either way for %lld ms: TLS session "
				    "closed while proxying", (long long)idle_ms);
				return 0;
			}
			ms = sooner(ms, left);
		}
		if (busy)
			ms = sooner(ms, TLSD_IDLE_MS);
		r = poll(p, 2, ms);
		if (r == -1 && errno != EINTR) {
			log_msg(MP_LOG_ALERT, "poll() failed: %s", strerror(errno));
			return -1;
		}
		if (r == 0 && busy) {
			idle(in, out);
			busy = false;
		}
	}
}

int
tlsd_run(struct tls *ctx, int tfd, int pfd, int64_t linger_ms, int64_t idle_ms)
{
	/* mapped, not static: pages no byte went through are never dirty */
	char *bufs = tlsd_pages(2 * TLSD_BUF);
	struct dir in = { 0 }, out = { 0 };
	int rc;

	if (bufs == NULL) {
		log_msg(MP_LOG_ALERT, "mmap() failed: %s", strerror(errno));
		return -1;
	}
	in.buf = bufs;
	out.buf = bufs + TLSD_BUF;
	rc = loop(ctx, tfd, pfd, linger_ms, idle_ms, &in, &out);
	tlsd_pages_free(bufs, 2 * TLSD_BUF);
	return rc;
}
