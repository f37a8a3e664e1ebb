/* SPDX-License-Identifier: ISC */
/* peer.h: a scripted fake backend on a socketpair, for the backend login tests.
 * peer_start() forks a child that follows a script of steps: read what the
 * step expects (exactly, if set), then send its reply (if set), byte by byte
 * when slow. The child exits 0 only if the client sent exactly what the
 * script expects and, with hold, nothing more before it closes;
 * peer_finish() closes our end and checks that. */
#ifndef MP_PEER_H
#define MP_PEER_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "unit.h"

struct peer_step {
	const char *expect, *send;
	bool slow;
};

struct peer {
	pid_t pid;
	int fd;		/* ours, non-blocking */
};

#define PEER_SLOW_US 2000	/* between the bytes of a slow reply */

static inline int
peer_read_exact(int fd, char *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, buf, n);

		if (r <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

static inline void
peer_child(int fd, const struct peer_step *script, bool hold)
{
	for (const struct peer_step *s = script; s->expect || s->send; s++) {
		if (s->expect) {
			char buf[512];
			size_t n = strlen(s->expect);

			if (n > sizeof buf)
				_exit(5);
			if (peer_read_exact(fd, buf, n) == -1 || memcmp(buf, s->expect, n) != 0)
				_exit(3);
		}
		if (s->send && s->slow) {
			for (const char *p = s->send; *p; p++) {
				(void)!write(fd, p, 1);
				usleep(PEER_SLOW_US);
			}
		} else if (s->send) {
			(void)!write(fd, s->send, strlen(s->send));
		}
	}
	if (hold) {
		char c;
		ssize_t r = read(fd, &c, 1);

		/* nothing more may arrive: the client must only close (a reset
		 * if it left bytes of ours unread) */
		_exit(r == 0 || (r == -1 && errno == ECONNRESET) ? 0 : 4);
	}
	_exit(0);
}

static inline void
peer_start(struct peer *f, const struct peer_step *script, bool hold)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		exit(2);
	f->pid = fork();
	if (f->pid == -1)
		exit(2);
	if (f->pid == 0) {
		close(sv[0]);
		peer_child(sv[1], script, hold);
	}
	close(sv[1]);
	f->fd = sv[0];
	fcntl(f->fd, F_SETFL, O_NONBLOCK);
}

static inline void
peer_finish_at(struct peer *f, const char *file, int line)
{
	int status;

	close(f->fd);
	waitpid(f->pid, &status, 0);
	CHECK_AT(WIFEXITED(status) && WEXITSTATUS(status) == 0, file, line);
}
#define peer_finish(f) peer_finish_at((f), __FILE__, __LINE__)

/* What came behind the last reply is still in the socket, for the relay:
 * wait for it, SETTLE_US more for the rest of a slow reply, and compare. */
static inline void
peer_rest_at(struct peer *f, const char *want, useconds_t settle_us, const char *file, int line)
{
	char rest[256];
	struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
	ssize_t n;

	CHECK_AT(poll(&pfd, 1, 2000) == 1, file, line);
	usleep(settle_us);
	n = read(f->fd, rest, sizeof rest);
	unit_check_mem(rest, n > 0 ? (size_t)n : 0, want, strlen(want), file, line);
}
#define peer_rest(f, want, settle_us) peer_rest_at((f), (want), (settle_us), __FILE__, __LINE__)

/* The buffer the login reads the backend's replies into, CAP bytes of it. */
static char peer_bufmem[4096];

static inline void
peer_buf(struct backend_buf *b, size_t cap)
{
	b->p = peer_bufmem;
	b->cap = cap;
	b->len = 0;
}

/* A backend login under test: CAP bytes of peer_bufmem for the replies, MS
 * milliseconds to go. */
typedef enum backend_result peer_login_fn(struct peer *f, struct backend_buf *b, size_t cap,
    int64_t ms);

/* LOGIN (CAP bytes of buffer, MS to go) against SCRIPT must return WANT;
 * B is left as the login left it. */
static inline void
peer_expect_at(const struct peer_step *script, bool hold, peer_login_fn *login, size_t cap,
    int64_t ms, enum backend_result want, struct backend_buf *b, const char *file, int line)
{
	struct peer f;

	peer_start(&f, script, hold);
	CHECK_AT(login(&f, b, cap, ms) == want, file, line);
	peer_finish_at(&f, file, line);
}
#define peer_expect(script, hold, login, cap, ms, want, b) \
	peer_expect_at((script), (hold), (login), (cap), (ms), (want), (b), __FILE__, __LINE__)

/* LOGIN against SCRIPT, the peer held, must return WANT with exactly REPLY in
 * the buffer and, if AFTER is not empty, AFTER behind it in the socket. */
static inline void
peer_run_at(const struct peer_step *script, peer_login_fn *login, enum backend_result want,
    const char *reply, const char *after, useconds_t settle_us, const char *file, int line)
{
	struct peer f;
	struct backend_buf b;

	peer_start(&f, script, true);
	CHECK_AT(login(&f, &b, sizeof peer_bufmem, 5000) == want, file, line);
	unit_check_mem(b.p, b.len, reply, strlen(reply), file, line);
	if (*after)
		peer_rest_at(&f, after, settle_us, file, line);
	peer_finish_at(&f, file, line);
}
#define peer_run(script, login, want, reply, after, settle_us) \
	peer_run_at((script), (login), (want), (reply), (after), (settle_us), __FILE__, __LINE__)

#define PEER_MAX_STEPS 16

/* Copies the first N steps of SCRIPT into S and ends it there. */
static inline void
peer_copy(struct peer_step *s, const struct peer_step *script, size_t n)
{
	if (n + 1 > PEER_MAX_STEPS)
		abort();
	memcpy(s, script, n * sizeof *s);
	s[n] = (struct peer_step){ NULL, NULL, false };
}

/* The whole LOGIN dialogue SCRIPT, its last reply FINAL with AFTER behind it,
 * every reply slow or not: the login must succeed with exactly FINAL in the
 * buffer, and AFTER left in the socket. */
static inline void
peer_ok_at(const struct peer_step *script, peer_login_fn *login, const char *final,
    const char *after, bool slow, const char *file, int line)
{
	struct peer_step s[PEER_MAX_STEPS];
	char send[512];
	size_t n = 0;

	while (script[n].expect || script[n].send)
		n++;
	peer_copy(s, script, n);
	for (size_t i = 0; i < n; i++)
		s[i].slow = slow;
	if (snprintf(send, sizeof send, "%s%s", final, after) >= (int)sizeof send)
		abort();
	s[n - 1].send = send;
	peer_run_at(s, login, BACKEND_OK, final, after, slow ? 100000 : 10000, file, line);
}
#define peer_ok(script, login, final, after, slow) \
	peer_ok_at((script), (login), (final), (after), (slow), __FILE__, __LINE__)

/* SCRIPT up to its step K, which replies REPLY instead: the login must be
 * rejected with exactly that reply, and send nothing more (the peer checks). */
static inline void
peer_reject_at(const struct peer_step *script, peer_login_fn *login, size_t k, const char *reply,
    const char *file, int line)
{
	struct peer_step s[PEER_MAX_STEPS];

	peer_copy(s, script, k + 1);
	s[k].send = reply;
	peer_run_at(s, login, BACKEND_REJECTED, reply, "", 0, file, line);
}
#define peer_reject(script, login, k, reply) \
	peer_reject_at((script), (login), (k), (reply), __FILE__, __LINE__)

/* LOGIN against SCRIPT, the peer held, must time out after MS milliseconds. */
static inline void
peer_timeout_at(const struct peer_step *script, peer_login_fn *login, int64_t ms,
    const char *file, int line)
{
	struct peer f;
	struct backend_buf b;
	int64_t t0;

	peer_start(&f, script, true);
	t0 = mp_now_ms();
	CHECK_AT(login(&f, &b, sizeof peer_bufmem, ms) == BACKEND_TIMEOUT, file, line);
	CHECK_AT(mp_now_ms() - t0 >= ms - 10 && mp_now_ms() - t0 < ms + 1700, file, line);
	peer_finish_at(&f, file, line);
}
#define peer_timeout(script, login, ms) peer_timeout_at((script), (login), (ms), __FILE__, __LINE__)

#endif
