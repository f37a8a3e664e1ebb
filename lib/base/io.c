/* SPDX-License-Identifier: ISC */
/* io.c: the handler talks to one client and one backend at a time, so plain
 * poll(2) per call is all the event loop it needs. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "clock.h"
#include "io.h"

int
io_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int ms = -1, r;

		if (deadline >= 0) {
			int64_t left = deadline - mp_now_ms();
			if (left <= 0)
				return 0;
			ms = left > 1000000000 ? 1000000000 : (int)left;
		}
		r = poll(&pfd, 1, ms);
		if (r > 0)
			return 1;
		if (r == 0)
			continue;	/* re-check the deadline */
		if (errno != EINTR)
			return -1;
	}
}

int
io_wait_readable(int fd, int64_t deadline)
{
	return io_wait(fd, POLLIN, deadline);
}

ssize_t
io_read(int fd, void *buf, size_t n, int64_t deadline)
{
	for (;;) {
		ssize_t r = read(fd, buf, n);
		int w;

		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		w = io_wait(fd, POLLIN, deadline);
		if (w == 0)
			return errno = ETIMEDOUT, -1;
		if (w < 0)
			return -1;
	}
}

int
io_read_exact(int fd, void *buf, size_t n, int64_t deadline)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = io_read(fd, p, n, deadline);

		if (r <= 0) {
			if (r == 0)
				errno = ECONNRESET;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
io_write_all(int fd, const void *buf, size_t n, int64_t deadline)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t r = write(fd, p, n);
		int w;

		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN)
			return -1;
		w = io_wait(fd, POLLOUT, deadline);
		if (w == 0)
			return errno = ETIMEDOUT, -1;
		if (w < 0)
			return -1;
	}
	return 0;
}

int
io_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}
