/* SPDX-License-Identifier: ISC */
/* io.h: blocking-style reads and writes on non-blocking fds, bounded by an
 * absolute deadline (mp_now_ms() based; -1 = none). */
#ifndef MP_IO_H
#define MP_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* > 0 bytes read, 0 on EOF, -1 on error (errno ETIMEDOUT at the deadline). */
ssize_t io_read(int fd, void *buf, size_t n, int64_t deadline);

/* 0 when all N bytes are read, -1 otherwise (errno ETIMEDOUT at the
 * deadline, ECONNRESET at an end of file before N bytes). */
int io_read_exact(int fd, void *buf, size_t n, int64_t deadline);

/* 0 when every byte is written, -1 on error (errno ETIMEDOUT at the deadline). */
int io_write_all(int fd, const void *buf, size_t n, int64_t deadline);

/* Wait until FD is ready for EVENTS (poll(2) bits) or the deadline passes:
 * 1 ready, 0 timeout, -1 error. */
int io_wait(int fd, short events, int64_t deadline);

/* io_wait(fd, POLLIN, deadline). */
int io_wait_readable(int fd, int64_t deadline);

int io_set_nonblock(int fd, int on);

#endif
