/* test_imap_backend.c: the IMAP backend login, first as pure functions, then
 * against a scripted fake backend on a socketpair. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "imap_backend.h"
#include "unit.h"

#define S(x) x, sizeof(x) - 1

/* ---- pure part ---- */

static size_t
frame(enum imap_bk_state st, const char *p)
{
	struct imap_backend ib;

	imap_backend_init(&ib, S("a01 "), S("user"), S("secret"));
	ib.state = st;
	return imap_backend_frame(&ib, p, strlen(p));
}

static void
test_frame(void)
{
	CHECK(frame(IMAP_BK_START, "") == 0);
	CHECK(frame(IMAP_BK_START, "* OK") == 0);
	CHECK(frame(IMAP_BK_START, "* OK\r") == 0);
	CHECK(frame(IMAP_BK_START, "* OK\r\n") == 6);
	CHECK(frame(IMAP_BK_START, "* OK\r\n* more\r\n") == 6);
	CHECK(frame(IMAP_BK_LOGIN, "+\r\n") == 0);		/* nginx wants 4 bytes */
	CHECK(frame(IMAP_BK_LOGIN, "+\r\n+ x\r\n") == 8);
	CHECK(frame(IMAP_BK_LOGIN, "+ \r\n") == 4);
	CHECK(frame(IMAP_BK_PASSWD, "*") == 0);
	CHECK(frame(IMAP_BK_PASSWD, "a01 OK\r\n") == 8);
	CHECK(frame(IMAP_BK_PASSWD, "* CAPABILITY IMAP4rev1\r\n") == 0);
	CHECK(frame(IMAP_BK_PASSWD, "* CAPABILITY IMAP4rev1\r\na01 OK") == 0);
	CHECK(frame(IMAP_BK_PASSWD, "* CAPABILITY IMAP4rev1\r\na01 OK\r\n") == 32);
	CHECK(frame(IMAP_BK_PASSWD, "* CAPABILITY IMAP4rev1\r\na01 OK\r\n* 1 EXISTS\r\n") == 32);
	CHECK(frame(IMAP_BK_PASSWD, "*x\r\n") == 4);
	CHECK(backend_frame_smtp(NULL, S("250-a\r\n")) == 0);
	CHECK(backend_frame_smtp(NULL, S("250-a\r\n250 b\r\n")) == 14);
	CHECK(backend_frame_smtp(NULL, S("250-a\r\n250 b\r\n220 c\r\n")) == 14);
	CHECK(backend_frame_smtp(NULL, S("250\r\n")) == 5);
	CHECK(backend_frame_smtp(NULL, S("250 ok")) == 0);
}

/* Run the whole dialogue through imap_backend_step() and collect what is sent. */
static void
test_step(void)
{
	struct imap_backend ib;
	struct iovec iov[2];
	int n;
	char sent[128];
	size_t len;

	CHECK(imap_backend_init(&ib, S("a01"), S("u"), S("p")) == -1 && errno == EINVAL);
	CHECK(imap_backend_init(&ib, S(" "), S("u"), S("p")) == -1);
	CHECK(imap_backend_init(&ib, S("a01 "), S("user name"), S("pa ss\"")) == 0);

	CHECK(imap_backend_step(&ib, S("* OK ready\r\n"), iov, &n) == IMAP_BK_NEXT);
	CHECK(n == 2 && ib.state == IMAP_BK_LOGIN);
	len = 0;
	for (int i = 0; i < n; i++, len += iov[i - 1].iov_len)
		memcpy(sent + len, iov[i].iov_base, iov[i].iov_len);
	CHECK_MEM(sent, len, "a01 LOGIN {9}\r\n", 15);

	CHECK(imap_backend_step(&ib, S("+ OK\r\n"), iov, &n) == IMAP_BK_NEXT);
	len = 0;
	for (int i = 0; i < n; i++, len += iov[i - 1].iov_len)
		memcpy(sent + len, iov[i].iov_base, iov[i].iov_len);
	CHECK_MEM(sent, len, "user name {6}\r\n", 15);

	CHECK(imap_backend_step(&ib, S("+ OK\r\n"), iov, &n) == IMAP_BK_NEXT);
	len = 0;
	for (int i = 0; i < n; i++, len += iov[i - 1].iov_len)
		memcpy(sent + len, iov[i].iov_base, iov[i].iov_len);
	CHECK_MEM(sent, len, "pa ss\"\r\n", 8);
	CHECK(ib.state == IMAP_BK_PASSWD);

	CHECK(imap_backend_step(&ib, S("a01 NO bad\r\n"), iov, &n) == IMAP_BK_REJECT);
	CHECK(imap_backend_step(&ib, S("a0 OK x\r\n"), iov, &n) == IMAP_BK_REJECT);
	CHECK(imap_backend_step(&ib, S("a01 ok\r\n"), iov, &n) == IMAP_BK_REJECT);
	CHECK(imap_backend_step(&ib, S("* CAPABILITY x\r\n* OK\r\n"), iov, &n) == IMAP_BK_REJECT);
	CHECK(imap_backend_step(&ib, S("* CAPABILITY x\r\na01 OK\r\n"), iov, &n) == IMAP_BK_ACCEPT);
	CHECK(ib.state == IMAP_BK_DONE && n == 0);

	ib.state = IMAP_BK_START;
	CHECK(imap_backend_step(&ib, S("* BYE\r\n"), iov, &n) == IMAP_BK_REJECT);
	CHECK(imap_backend_step(&ib, S("* ok\r\n"), iov, &n) == IMAP_BK_REJECT);
	ib.state = IMAP_BK_LOGIN;
	CHECK(imap_backend_step(&ib, S("a01 BAD\r\n"), iov, &n) == IMAP_BK_REJECT);
	ib.state = IMAP_BK_USER;
	CHECK(imap_backend_step(&ib, S("* BYE\r\n"), iov, &n) == IMAP_BK_REJECT);
}

/* ---- against a fake backend ---- */

/* One step of the fake backend: read EXPECT exactly (if set), then send
 * SEND (if set), byte by byte when SLOW. */
struct step {
	const char *expect, *send;
	bool slow;
};

enum after { HOLD, CLOSE };

struct fake {
	pid_t pid;
	int fd;
};

static int
read_exact(int fd, char *buf, size_t n)
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

/* The child exits 0 if the client sent what the script expects. */
static void
fake_start(struct fake *f, const struct step *script, enum after after)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		exit(2);
	f->pid = fork();
	if (f->pid == 0) {
		close(sv[0]);
		for (const struct step *s = script; s->expect || s->send; s++) {
			if (s->expect) {
				char buf[256];
				size_t n = strlen(s->expect);

				if (read_exact(sv[1], buf, n) == -1 || memcmp(buf, s->expect, n) != 0)
					_exit(3);
			}
			if (s->send && s->slow) {
				for (const char *p = s->send; *p; p++) {
					(void)!write(sv[1], p, 1);
					usleep(2000);
				}
			} else if (s->send) {
				(void)!write(sv[1], s->send, strlen(s->send));
			}
		}
		if (after == HOLD) {
			char c;

			ssize_t r = read(sv[1], &c, 1);

			/* nothing more may arrive: the client must only close (a reset
			 * if it left bytes of ours unread) */
			_exit(r == 0 || (r == -1 && errno == ECONNRESET) ? 0 : 4);
		}
		_exit(0);
	}
	close(sv[1]);
	f->fd = sv[0];
	fcntl(f->fd, F_SETFL, O_NONBLOCK);
}

static void
fake_finish(struct fake *f)
{
	int status;

	close(f->fd);
	waitpid(f->pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static char bufmem[4096];

static enum backend_result
login(struct fake *f, struct backend_buf *b, size_t cap, int64_t ms)
{
	struct imap_backend ib;

	b->p = bufmem;
	b->cap = cap;
	b->len = 0;
	imap_backend_init(&ib, S("a01 "), S("user"), S("secret"));
	return imap_backend_login(f->fd, &ib, b, mp_now_ms() + ms);
}

#define GREET "* OK IMAP4rev1 ready\r\n"
#define C1 "a01 LOGIN {4}\r\n"
#define C2 "user {6}\r\n"
#define C3 "secret\r\n"

static void
run_ok(const char *final, const char *after, bool slow)
{
	char send[256];
	struct step script[] = {
		{ NULL, GREET, slow }, { C1, "+ go ahead\r\n", slow }, { C2, "+ go ahead\r\n", slow },
		{ C3, send, slow }, { NULL, NULL, false }
	};
	struct fake f;
	struct backend_buf b;

	snprintf(send, sizeof send, "%s%s", final, after);
	fake_start(&f, script, HOLD);
	CHECK(login(&f, &b, sizeof bufmem, 5000) == BACKEND_OK);
	CHECK_MEM(b.p, b.len, final, strlen(final));
	if (*after) {
		/* what came behind the final reply is still in the socket, for the relay */
		char rest[256];
		struct pollfd pfd = { .fd = f.fd, .events = POLLIN };
		ssize_t n;

		CHECK(poll(&pfd, 1, 2000) == 1);
		usleep(slow ? 100000 : 10000);
		n = read(f.fd, rest, sizeof rest);
		CHECK_MEM(rest, n > 0 ? (size_t)n : 0, after, strlen(after));
	}
	fake_finish(&f);
}

static void
test_success(void)
{
	run_ok("a01 OK LOGIN completed\r\n", "", false);
	run_ok("* CAPABILITY IMAP4rev1 IDLE\r\na01 OK [CAPABILITY IMAP4rev1] done\r\n", "", false);
	run_ok("* CAPABILITY IMAP4rev1 IDLE\r\na01 OK done\r\n", "", true);
	run_ok("a01 OK done\r\n", "* 3 EXISTS\r\n", false);
	run_ok("* CAPABILITY IMAP4rev1\r\na01 OK done\r\n", "* 1 RECENT\r\n* 2 EXISTS\r\n", false);
	run_ok("a01 OK done\r\n", "* 3 EXISTS\r\n", true);
}

/* A rejection at step K returns exactly that step's reply, and nothing
 * further is sent (the fake checks). */
static void
run_reject(int k, const char *reply)
{
	struct step script[5] = {
		{ NULL, GREET, false }, { C1, "+ go ahead\r\n", false }, { C2, "+ go ahead\r\n", false },
		{ C3, "a01 OK done\r\n", false }, { NULL, NULL, false }
	};
	struct fake f;
	struct backend_buf b;

	script[k].send = reply;
	script[k + 1] = (struct step){ NULL, NULL, false };
	fake_start(&f, script, HOLD);
	CHECK(login(&f, &b, sizeof bufmem, 5000) == BACKEND_REJECTED);
	CHECK_MEM(b.p, b.len, reply, strlen(reply));
	fake_finish(&f);
}

static void
test_reject(void)
{
	run_reject(0, "* BYE too many connections\r\n");
	run_reject(0, "* PREAUTH hi\r\n");
	run_reject(1, "a01 BAD literals not allowed\r\n");
	run_reject(2, "a01 NO nope\r\n");
	run_reject(3, "a01 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
	run_reject(3, "* CAPABILITY IMAP4rev1\r\na01 NO [AUTHENTICATIONFAILED] no\r\n");
	run_reject(3, "* CAPABILITY IMAP4rev1\r\n* CAPABILITY IMAP4rev1\r\n");
	run_reject(3, "a01 BAD\r\n");
}

static void
test_eof_timeout_toolong(void)
{
	struct fake f;
	struct backend_buf b;
	int64_t t0;
	struct step eof_script[] = { { NULL, GREET, false }, { C1, "+ go", false }, { NULL, NULL, false } };
	struct step hold_script[] = { { NULL, GREET, false }, { C1, NULL, false }, { NULL, NULL, false } };
	struct step long_script[] = { { NULL, "* OK 123456789012345678901234567890", false },
	    { NULL, NULL, false } };
	struct step fit_script[] = { { NULL, "* OK 1234567890123456789012345\r\n", false },
	    { C1, "+ 1234567890123456789012345678\r\n", false }, { C2, NULL, false },
	    { NULL, NULL, false } };

	fake_start(&f, eof_script, CLOSE);
	CHECK(login(&f, &b, sizeof bufmem, 5000) == BACKEND_EOF);
	fake_finish(&f);

	fake_start(&f, hold_script, HOLD);
	t0 = mp_now_ms();
	CHECK(login(&f, &b, sizeof bufmem, 300) == BACKEND_TIMEOUT);
	CHECK(mp_now_ms() - t0 >= 290 && mp_now_ms() - t0 < 2000);
	fake_finish(&f);

	fake_start(&f, long_script, HOLD);
	CHECK(login(&f, &b, 32, 5000) == BACKEND_TOO_LONG);
	CHECK(b.len == 32);
	fake_finish(&f);

	/* a reply that fills the buffer exactly still fits; the timeout then hits */
	fake_start(&f, fit_script, HOLD);
	CHECK(login(&f, &b, 32, 300) == BACKEND_TIMEOUT);
	fake_finish(&f);
}

static void
test_connect(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int l, fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(bind(l, (struct sockaddr *)&sin, sizeof sin) == 0);
	CHECK(listen(l, 1) == 0);
	CHECK(getsockname(l, (struct sockaddr *)&sin, &len) == 0);
	fd = backend_connect((struct sockaddr *)&sin, sizeof sin, mp_now_ms() + 2000);
	CHECK(fd >= 0);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	if (fd >= 0)
		close(fd);
	close(l);	/* nobody listens on that port now */
	fd = backend_connect((struct sockaddr *)&sin, sizeof sin, mp_now_ms() + 2000);
	CHECK(fd == -1 && errno == ECONNREFUSED);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	test_frame();
	test_step();
	test_success();
	test_reject();
	test_eof_timeout_toolong();
	test_connect();
	UNIT_DONE();
}
