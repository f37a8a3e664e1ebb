/* SPDX-License-Identifier: ISC */
/* relay.c: the proxying phase. One poll loop, two directions, each a fixed
 * buffer filled from its source and flushed to its destination. A direction
 * is done when its source said EOF, its buffer is flushed and its destination
 * was shut down for writing; the session is done when both are (nginx ends at
 * the first EOF and may drop bytes still queued the other way; keeping
 * half-closes costs nothing and loses nothing).
 *
 * dir_fill()/dir_flush() are the only places that move bytes. Between two
 * sockets they splice(2): source -> pipe -> destination, so the bytes stay
 * in the kernel (page references move, nothing is copied to user space);
 * the pipe is the direction's buffer and an idle pipe holds no pages. A pipe
 * is bounded twice: by bytes and by slots, one per page reference, so many
 * small reads fill it with most of its bytes free. A splice into a pipe
 * whose slots are taken fails with EAGAIN while the source stays readable:
 * the direction then stops polling its source (it is "full") until a flush
 * has moved bytes out, or the loop would spin for as long as the destination
 * does not read.
 *
 * A pipe starts at the kernel's default and grows to 1 MiB when a transfer
 * fills it (one splice per megabyte instead of per 64 KiB: ~18% more
 * throughput for a bulk stream here); it shrinks back once the direction has
 * been empty for a second, because the kernel charges a pipe's capacity,
 * full or empty, to the user (fs.pipe-user-pages-soft: 64 MiB by default,
 * after which new pipes get two pages), and every session of the service runs
 * as the same user. The read/write path through a buffer is for anything
 * else (and for a kernel that refuses the first splice). That buffer is the
 * caller's, or when the caller gave none, malloc'd here when copying starts:
 * a spliced session allocates nothing, so an idle relay holds no heap pages
 * for it.
 *
 * proxy_timeout counts from the last byte moved either way (nginx's meaning):
 * time spent waiting on a peer that does not read is idle time. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "relay.h"

struct dir {
	int src, dst;
	enum relay_end src_fail, dst_fail;	/* whom to blame for an error */
	char *buf;		/* NULL until copying needs it (see dir_buffer) */
	bool ownbuf;		/* buf was allocated here */
	size_t cap, off, len;	/* buf[off..len) is read but not yet written */
	int pipe[2];		/* splice mode when pipe[0] != -1 */
	size_t pcap, inpipe;	/* the pipe's size, and the bytes in it */
	size_t pbase;		/* the size it was created with */
	bool full;		/* its slots are taken: wait for a flush, not the source */
	bool nogrow;		/* the kernel refused to grow it: do not ask again */
	int64_t quiet;		/* when it last became empty (grown pipes only) */
	bool eof;		/* src sent EOF */
	bool shut;		/* dst was shut down for writing */
	uint64_t bytes;		/* written to dst */
};

static bool
dir_wants_read(const struct dir *d)
{
	if (d->pipe[0] != -1)
		return !d->eof && !d->full && d->inpipe < d->pcap;
	return !d->eof && d->len < d->cap;
}

static bool
dir_wants_write(const struct dir *d)
{
	if (d->pipe[0] != -1)
		return d->inpipe > 0;
	return d->off < d->len;
}

static void
dir_unpipe(struct dir *d)
{
	if (d->pipe[0] != -1) {
		close(d->pipe[0]);
		close(d->pipe[1]);
	}
	d->pipe[0] = d->pipe[1] = -1;
}

/* The copy buffer, allocated on first use when the caller gave none: 0, or
 * -1 with errno ENOMEM. The relay's seccomp filter allows brk and mmap. */
static int
dir_buffer(struct dir *d)
{
	if (d->buf != NULL)
		return 0;
	d->buf = malloc(d->cap);
	if (d->buf == NULL) {
		errno = ENOMEM;
		return -1;
	}
	d->ownbuf = true;
	return 0;
}

#define PIPE_BULK (1u << 20)	/* pipe-max-size's default */
#define PIPE_QUIET_MS 1000

/* Pipe sizes are whole pages: at least the kernel's 64 KiB default, more
 * for a bigger configured buffer, up to PIPE_BULK. */
static void
dir_pipe(struct dir *d)
{
	size_t want = d->cap < 65536 ? 65536 : d->cap > PIPE_BULK ? PIPE_BULK : d->cap;
	int sz;

	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		d->pipe[0] = d->pipe[1] = -1;
		return;
	}
	sz = fcntl(d->pipe[1], F_SETPIPE_SZ, (int)want);
	if (sz == -1)
		sz = fcntl(d->pipe[1], F_GETPIPE_SZ);
	if (sz <= 0) {
		dir_unpipe(d);
		return;
	}
	d->pcap = d->pbase = (size_t)sz;
}

/* A fill that found the pipe's whole free space taken is a bulk transfer. */
static void
dir_grow(struct dir *d, int64_t now)
{
	int sz;

	if (d->pcap >= PIPE_BULK || d->nogrow)
		return;
	sz = fcntl(d->pipe[1], F_SETPIPE_SZ, (int)PIPE_BULK);
	if (sz == -1) {
		d->nogrow = true;	/* EPERM: over the user's pipe budget */
		return;
	}
	d->pcap = (size_t)sz;
	d->quiet = now;
}

/* Give a grown pipe back once it has been empty for a while; the
 * milliseconds until it should be looked at again, or -1 when it needs no
 * look (a pipe with bytes in it is stamped when a flush empties it, so a
 * direction blocked on its destination sleeps without a timer). */
static int
dir_shrink(struct dir *d, int64_t now)
{
	if (d->pipe[0] == -1 || d->pcap == d->pbase || d->inpipe > 0)
		return -1;
	if (now - d->quiet >= PIPE_QUIET_MS) {
		int sz = fcntl(d->pipe[1], F_SETPIPE_SZ, (int)d->pbase);

		if (sz > 0)
			d->pcap = (size_t)sz;
		d->nogrow = false;
		return -1;
	}
	return (int)(d->quiet + PIPE_QUIET_MS - now);
}

/* splice(2) into or out of the pipe; the sockets are non-blocking and so is the pipe. */
static ssize_t
splice_some(int from, int to, size_t n)
{
	ssize_t k;

	do
		k = splice(from, NULL, to, NULL, n, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	while (k == -1 && errno == EINTR);
	return k;
}

static bool
dir_done(const struct dir *d)
{
	return d->eof && d->off == d->len && d->shut;
}

/* The source polled readable, yet an empty pipe took nothing, or splice(2)
 * said EOF: TCP urgent data stops splice at its mark, with EAGAIN while
 * poll(2) keeps saying readable, or with 0 once a FIN has come behind it.
 * read(2) tells a real EOF, steps over the mark, dropping the urgent byte as
 * a read-based proxy (nginx) does, and what it read goes into the pipe: at
 * most PIPE_BUF bytes into an empty pipe are written whole. Returns as
 * dir_fill(). */
static int
dir_past_mark(struct dir *d)
{
	char b[512];
	ssize_t n, w;

	do
		n = read(d->src, b, sizeof b);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	if (n == 0) {
		d->eof = true;
		return 1;
	}
	w = write(d->pipe[1], b, (size_t)n);
	if (w != n) {
		if (w >= 0)
			errno = EIO;
		return -1;
	}
	d->inpipe += (size_t)n;
	return 1;
}

/* 1 moved bytes or saw EOF, 0 nothing to do now, -1 error (errno). */
static int
dir_fill(struct dir *d)
{
	ssize_t n;

	if (!dir_wants_read(d))
		return 0;
	if (d->pipe[0] != -1) {
		n = splice_some(d->src, d->pipe[1], d->pcap - d->inpipe);
		if (n == -1 && (errno == EINVAL || errno == ENOSYS) && d->inpipe == 0 && d->bytes == 0) {
			/* no splice for this pair after all: copy from the start */
			if (dir_buffer(d) == -1)
				return -1;
			dir_unpipe(d);
			return dir_fill(d);
		}
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (n <= 0) {
			/* EAGAIN, or 0 (EOF, or a FIN behind an urgent mark) */
			if (d->inpipe == 0)
				return dir_past_mark(d);
			d->full = true;
			return 0;
		}
		if ((size_t)n == d->pcap - d->inpipe)
			dir_grow(d, mp_now_ms());
		d->inpipe += (size_t)n;
		return 1;
	}
	if (d->off > 0) {
		/* after a partial write: keep the pending bytes at the front */
		memmove(d->buf, d->buf + d->off, d->len - d->off);
		d->len -= d->off;
		d->off = 0;
	}
	do
		n = read(d->src, d->buf + d->len, d->cap - d->len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	if (n == 0)
		d->eof = true;
	d->len += (size_t)n;
	return 1;
}

/* Write what is pending; once the source's EOF is flushed, pass it on. */
static int
dir_flush(struct dir *d)
{
	int moved = 0;

	while (d->pipe[0] != -1 && d->inpipe > 0) {
		ssize_t n = splice_some(d->pipe[0], d->dst, d->inpipe);

		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return moved;
			return -1;
		}
		d->inpipe -= (size_t)n;
		d->bytes += (uint64_t)n;
		d->full = false;	/* slots may be free: try the source again */
		moved = 1;
		if (d->inpipe == 0 && d->pcap != d->pbase)
			d->quiet = mp_now_ms();
	}
	while (dir_wants_write(d)) {
		ssize_t n = write(d->dst, d->buf + d->off, d->len - d->off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return moved;
			return -1;
		}
		d->off += (size_t)n;
		d->bytes += (uint64_t)n;
		moved = 1;
	}
	d->off = d->len = 0;
	if (d->eof && !d->shut) {
		/* ENOTCONN etc.: the peer is gone, the other direction will see it */
		(void)shutdown(d->dst, SHUT_WR);
		d->shut = true;
	}
	return moved;
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return (fl & O_NONBLOCK) ? 0 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static bool
ready(const struct pollfd *p, short ev)
{
	return (p->events & ev) && (p->revents & (ev | POLLHUP | POLLERR));
}

/* Move bytes in D as far as its fds allow; the flags say which end polled ready. */
static int
dir_step(struct dir *d, bool src_ready, bool dst_ready, struct relay_stats *st, int64_t *last)
{
	int filled = 0, flushed = 0;

	if (src_ready) {
		filled = dir_fill(d);
		if (filled == -1) {
			st->end = d->src_fail;
			return -1;
		}
	}
	/* after a read, write at once: the destination is usually writable,
	 * which saves a poll round */
	if (dst_ready || filled == 1 || !dir_wants_write(d)) {
		flushed = dir_flush(d);
		if (flushed == -1) {
			st->end = d->dst_fail;
			return -1;
		}
	}
	if (filled == 1 || flushed == 1)
		*last = mp_now_ms();
	return 0;
}

void
relay_run(const struct relay_conf *rc, struct relay_stats *st)
{
	struct dir c2b = {
		.src = rc->cfd, .dst = rc->bfd, .src_fail = RELAY_END_CLIENT,
		.dst_fail = RELAY_END_BACKEND, .buf = rc->cbuf, .cap = rc->cbufsize,
		.pipe = { -1, -1 }
	};
	struct dir b2c = {
		.src = rc->bfd, .dst = rc->cfd, .src_fail = RELAY_END_BACKEND,
		.dst_fail = RELAY_END_CLIENT, .buf = rc->ubuf, .cap = rc->ubufsize,
		.pipe = { -1, -1 }
	};
	int64_t start = mp_now_ms(), last = start;

	memset(st, 0, sizeof *st);
	st->end = RELAY_END_SYSTEM;
	if (set_nonblock(rc->cfd) == -1 || set_nonblock(rc->bfd) == -1)
		goto fail;
	/* no fstat here: the relay's seccomp filter does not allow it; the
	 * caller knows its fds, and a refused first splice falls back */
	if (!rc->copy) {
		dir_pipe(&c2b);
		dir_pipe(&b2c);
	}
	if ((c2b.pipe[0] == -1 && dir_buffer(&c2b) == -1) || (b2c.pipe[0] == -1 && dir_buffer(&b2c) == -1))
		goto fail;

	while (!dir_done(&c2b) || !dir_done(&b2c)) {
		struct pollfd pfd[2];
		int ms = -1, r, look;
		bool cr, cw, br, bw;
		int64_t now;

		/* an fd with nothing wanted is left out, so a hang-up on it cannot spin the loop */
		pfd[0].events = (dir_wants_read(&c2b) ? POLLIN : 0) | (dir_wants_write(&b2c) ? POLLOUT : 0);
		pfd[1].events = (dir_wants_read(&b2c) ? POLLIN : 0) | (dir_wants_write(&c2b) ? POLLOUT : 0);
		pfd[0].fd = pfd[0].events ? rc->cfd : -1;
		pfd[1].fd = pfd[1].events ? rc->bfd : -1;
		pfd[0].revents = pfd[1].revents = 0;

		now = mp_now_ms();
		if (rc->idle_ms > 0) {
			int64_t left = last + rc->idle_ms - now;

			if (left <= 0) {
				st->end = RELAY_END_TIMEOUT;
				goto out;
			}
			ms = left > 1000000000 ? 1000000000 : (int)left;
		}
		look = dir_shrink(&c2b, now);
		if (look >= 0 && (ms == -1 || look < ms))
			ms = look;
		look = dir_shrink(&b2c, now);
		if (look >= 0 && (ms == -1 || look < ms))
			ms = look;
		r = poll(pfd, 2, ms);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			continue;	/* the deadlines are checked above */
		if ((pfd[0].revents | pfd[1].revents) & POLLNVAL) {
			errno = EBADF;
			goto fail;
		}
		/* POLLHUP/POLLERR count as ready: the read or write then reports
		 * it; a writable fd is not taken as readable, which would
		 * count as a pipe with its slots taken */
		cr = ready(&pfd[0], POLLIN);
		cw = ready(&pfd[0], POLLOUT);
		br = ready(&pfd[1], POLLIN);
		bw = ready(&pfd[1], POLLOUT);
		if (dir_step(&c2b, cr, bw, st, &last) == -1 || dir_step(&b2c, br, cw, st, &last) == -1)
			goto fail;
	}
	st->end = RELAY_END_DONE;
	goto out;
fail:
	st->err = errno;
out:
	st->spliced = c2b.pipe[0] != -1 && b2c.pipe[0] != -1;
	dir_unpipe(&c2b);
	dir_unpipe(&b2c);
	if (c2b.ownbuf)
		free(c2b.buf);
	if (b2c.ownbuf)
		free(b2c.buf);
	st->c2b = c2b.bytes;
	st->b2c = b2c.bytes;
	st->ms = mp_now_ms() - start;
}

const char *
relay_end_text(enum relay_end e)
{
	switch (e) {
	case RELAY_END_DONE:
		return "both sides closed";
	case RELAY_END_TIMEOUT:
		return "client timed out (proxy_timeout)";
	case RELAY_END_CLIENT:
		return "client connection failed";
	case RELAY_END_BACKEND:
		return "upstream connection failed";
	case RELAY_END_SYSTEM:
		break;
	}
	return "relay failed";
}
