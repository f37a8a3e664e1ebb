/* SPDX-License-Identifier: ISC */
/* test_imap_backend.c: the IMAP backend login, first as pure functions, then
 * against a scripted fake backend on a socketpair (peer.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "imap_backend.h"
#include "peer.h"
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

static enum backend_result
login(struct peer *f, struct backend_buf *b, size_t cap, int64_t ms)
{
	struct imap_backend ib;

	peer_buf(b, cap);
	imap_backend_init(&ib, S("a01 "), S("user"), S("secret"));
	return imap_backend_login(f->fd, &ib, b, mp_now_ms() + ms);
}

#define GREET "* OK IMAP4rev1 ready\r\n"
#define C1 "a01 LOGIN {4}\r\n"
#define C2 "user {6}\r\n"
#define C3 "secret\r\n"

/* The whole dialogue; the tests change the last reply, or end it early. */
static const struct peer_step dialogue[] = {
	{ NULL, GREET, false }, { C1, "+ go ahead\r\n", false }, { C2, "+ go ahead\r\n", false },
	{ C3, "a01 OK done\r\n", false }, { NULL, NULL, false }
};

static void
test_success(void)
{
	peer_ok(dialogue, login, "a01 OK LOGIN completed\r\n", "", false);
	peer_ok(dialogue, login, "* CAPABILITY IMAP4rev1 IDLE\r\na01 OK [CAPABILITY IMAP4rev1] done\r\n",
	    "", false);
	peer_ok(dialogue, login, "* CAPABILITY IMAP4rev1 IDLE\r\na01 OK done\r\n", "", true);
	peer_ok(dialogue, login, "a01 OK done\r\n", "* 3 EXISTS\r\n", false);
	peer_ok(dialogue, login, "* CAPABILITY IMAP4rev1\r\na01 OK done\r\n",
	    "* 1 RECENT\r\n* 2 EXISTS\r\n", false);
	peer_ok(dialogue, login, "a01 OK done\r\n", "* 3 EXISTS\r\n", true);
}

/* A rejection at step K returns exactly that step's reply, and nothing
 * further is sent. */
static void
test_reject(void)
{
	peer_reject(dialogue, login, 0, "* BYE too many connections\r\n");
	peer_reject(dialogue, login, 0, "* PREAUTH hi\r\n");
	peer_reject(dialogue, login, 1, "a01 BAD literals not allowed\r\n");
	peer_reject(dialogue, login, 2, "a01 NO nope\r\n");
	peer_reject(dialogue, login, 3, "a01 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
	peer_reject(dialogue, login, 3,
	    "* CAPABILITY IMAP4rev1\r\na01 NO [AUTHENTICATIONFAILED] no\r\n");
	peer_reject(dialogue, login, 3, "* CAPABILITY IMAP4rev1\r\n* CAPABILITY IMAP4rev1\r\n");
	peer_reject(dialogue, login, 3, "a01 BAD\r\n");
}

static void
test_eof_timeout_toolong(void)
{
	struct backend_buf b;
	struct peer_step eof_script[] = { { NULL, GREET, false }, { C1, "+ go", false },
	    { NULL, NULL, false } };
	struct peer_step hold_script[] = { { NULL, GREET, false }, { C1, NULL, false },
	    { NULL, NULL, false } };
	struct peer_step long_script[] = { { NULL, "* OK 123456789012345678901234567890", false },
	    { NULL, NULL, false } };
	struct peer_step fit_script[] = { { NULL, "* OK 1234567890123456789012345\r\n", false },
	    { C1, "+ 1234567890123456789012345678\r\n", false }, { C2, NULL, false },
	    { NULL, NULL, false } };

	peer_expect(eof_script, false, login, sizeof peer_bufmem, 5000, BACKEND_EOF, &b);

	peer_timeout(hold_script, login, 300);

	peer_expect(long_script, true, login, 32, 5000, BACKEND_TOO_LONG, &b);
	CHECK(b.len == 32);

	/* a reply that fills the buffer exactly still fits; the timeout then hits */
	peer_expect(fit_script, true, login, 32, 300, BACKEND_TIMEOUT, &b);
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
