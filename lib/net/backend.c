/* SPDX-License-Identifier: ISC */
/* backend.c: connect, send and read for the backend login dialogues.
 * The reader peeks before it consumes, so it takes exactly one reply off the
 * socket: the bytes behind it (say, an IDLE update that raced the LOGIN
 * reply) are still there when the relay starts. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "log_debug.h"
#include "clock.h"
#include "io.h"
#include "log.h"

int
backend_connect(const struct sockaddr *sa, socklen_t len, int64_t deadline)
{
	int fd, err = 0, w, saved;
	socklen_t elen = sizeof err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, sa, len) == 0)
		return fd;
	/* after EINTR the connect goes on in the background, as after EINPROGRESS */
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	w = io_wait(fd, POLLOUT, deadline);
	if (w == 0)
		errno = ETIMEDOUT;
	if (w <= 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
		goto fail;
	if (err != 0) {
		errno = err;
		goto fail;
	}
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

struct iovec
backend_iov(const char *p, size_t n)
{
	union { const char *c; void *m; } u = { .c = p };

	return (struct iovec){ u.m, n };
}

enum backend_result
backend_send(int fd, struct iovec *iov, int iovcnt, int64_t deadline)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };
	size_t total = 0;
	ssize_t n;
	int w;

	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	w = io_wait(fd, POLLOUT, deadline);
	if (w == 0)
		return BACKEND_TIMEOUT;
	if (w < 0)
		return BACKEND_ERROR;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
		return BACKEND_ERROR;
	if (n == -1 || (size_t)n != total) {
		errno = EMSGSIZE;
		return BACKEND_ERROR;
	}
	return BACKEND_OK;
}

/* Take N bytes that a peek has shown to be queued. */
static int
consume(int fd, char *dst, size_t n)
{
	while (n > 0) {
		ssize_t r = recv(fd, dst, n, MSG_DONTWAIT);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;
			return -1;
		}
		dst += r;
		n -= (size_t)r;
	}
	return 0;
}

enum backend_result
backend_read_reply(int fd, backend_frame_fn *frame, const void *arg,
    struct backend_buf *b, int64_t deadline)
{
	b->len = 0;
	for (;;) {
		ssize_t n;
		size_t end, take;
		int w;

		if (b->len == b->cap)
			return BACKEND_TOO_LONG;
		n = recv(fd, b->p + b->len, b->cap - b->len, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0)
			return BACKEND_EOF;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return BACKEND_ERROR;
			w = io_wait(fd, POLLIN, deadline);
			if (w == 0)
				return BACKEND_TIMEOUT;
			if (w < 0)
				return BACKEND_ERROR;
			continue;
		}
		end = frame(arg, b->p, b->len + (size_t)n);
		if (end != 0 && (end <= b->len || end > b->len + (size_t)n)) {
			errno = EPROTO;	/* a framer that is not monotone: a bug */
			return BACKEND_ERROR;
		}
		/* without a reply end in sight, every peeked byte belongs to the reply */
		take = end != 0 ? end - b->len : (size_t)n;
		if (consume(fd, b->p + b->len, take) == -1)
			return BACKEND_ERROR;
		b->len += take;
		if (end != 0) {
			log_debug_upstream_reply(b->p, b->len);
			return BACKEND_OK;
		}
	}
}

/* the length of a reply read before STARTTLS, for the next dialogue; 0: none */
static size_t held;

void
backend_hold_reply(size_t len)
{
	held = len;
}

enum backend_result
backend_dialogue(int fd, const struct backend_dialogue *d, void *arg,
    struct backend_buf *b, int64_t deadline, int *own)
{
	size_t first = held <= b->cap ? held : 0;

	held = 0;
	for (;;) {
		struct iovec iov[3];
		int iovcnt, st;
		enum backend_result r;

		if (first > 0) {
			b->len = first;
			first = 0;
		} else if ((r = backend_read_reply(fd, d->frame, arg, b, deadline)) != BACKEND_OK) {
			return r;
		}
		st = d->step(arg, b->p, b->len, iov, &iovcnt);
		if (st == BACKEND_STEP_ACCEPT)
			return BACKEND_OK;
		if (st == BACKEND_STEP_REJECT)
			return BACKEND_REJECTED;
		if (st != BACKEND_STEP_NEXT) {
			if (own != NULL)
				*own = st;
			errno = EINVAL;
			return BACKEND_INVALID;
		}
		log_debug_upstream_send(iov, iovcnt, d->secret_from(arg, iov, iovcnt));
		r = backend_send(fd, iov, iovcnt, deadline);
		if (r != BACKEND_OK)
			return r;
	}
}

size_t
backend_frame_line(const void *arg, const char *p, size_t n)
{
	(void)arg;
	for (size_t i = 3; i < n; i++)
		if (p[i] == '\n' && p[i - 1] == '\r')
			return i + 1;
	return 0;
}

size_t
backend_frame_smtp(const void *arg, const char *p, size_t n)
{
	size_t start = 0;

	(void)arg;
	for (size_t i = 1; i < n; i++) {
		if (p[i] != '\n' || p[i - 1] != '\r')
			continue;
		/* "250-..." continues the reply; "250 ...", "250\r\n" end it */
		if (i + 1 >= 4 && (i - start < 3 || p[start + 3] != '-'))
			return i + 1;
		start = i + 1;
	}
	return 0;
}

/* The reply without its final CRLF, for a log line. */
static int
reply_len(const struct backend_buf *b)
{
	size_t n = b->len;

	while (n > 0 && (b->p[n - 1] == '\n' || b->p[n - 1] == '\r'))
		n--;
	return n > 1024 ? 1024 : (int)n;
}

void
backend_log_result(enum backend_result r, const struct backend_buf *b, int passed)
{
	int saved = errno;

	switch (r) {
	case BACKEND_OK:
		break;
	case BACKEND_REJECTED:
		log_msg(passed ? MP_LOG_INFO : MP_LOG_ERR, "upstream sent invalid response: \"%.*s\"",
		    reply_len(b), b->p);
		break;
	case BACKEND_TIMEOUT:
		log_msg(MP_LOG_INFO, "upstream timed out (%d: %s)", ETIMEDOUT, strerror(ETIMEDOUT));
		break;
	case BACKEND_EOF:
		log_msg(MP_LOG_ERR, "upstream prematurely closed connection");
		break;
	case BACKEND_ERROR:
		log_msg(MP_LOG_ERR, "upstream connection failed (%d: %s)", saved, strerror(saved));
		break;
	case BACKEND_TOO_LONG:
		log_msg(MP_LOG_ERR, "upstream sent too long response line: \"%.*s\"",
		    reply_len(b), b->p);
		break;
	case BACKEND_INVALID:
		log_msg(MP_LOG_ERR, "upstream login not attempted: invalid login data");
		break;
	case BACKEND_ABORTED:
		break;
	}
	errno = saved;
}
