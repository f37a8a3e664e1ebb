/* SPDX-License-Identifier: ISC */
/* test_pop3_backend.c: the POP3 backend login, first as pure functions, then
 * against a scripted fake backend on a socketpair (peer.h). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "peer.h"
#include "pop3_backend.h"
#include "unit.h"

#define S(x) x, sizeof(x) - 1

static size_t
gather(const struct iovec *iov, int n, char *dst)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		memcpy(dst + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	return len;
}

/* ---- pure part ---- */

static void
test_init(void)
{
	struct pop3_backend pb;

	CHECK(pop3_backend_init(&pb, S("user"), S("pass")) == 0 && pb.state == POP3_BK_START);
	CHECK(pop3_backend_init(&pb, S("user name"), S("pa ss%")) == 0);
	CHECK(pop3_backend_init(&pb, S(""), S("")) == 0);
	errno = 0;
	CHECK(pop3_backend_init(&pb, S("us\r\ner"), S("p")) == -1 && errno == EINVAL);
	CHECK(pop3_backend_init(&pb, S("u"), S("p\nDELE 1")) == -1);
	CHECK(pop3_backend_init(&pb, S("u"), S("p\r")) == -1);
	CHECK(pop3_backend_init(&pb, NULL, 0, S("p")) == -1);
	CHECK(pop3_backend_init(&pb, S("u"), NULL, 0) == -1);
}

static void
test_step(void)
{
	struct pop3_backend pb;
	struct iovec iov[3];
	char sent[128];
	int n;

	CHECK(pop3_backend_init(&pb, S("user name"), S("pa ss\"")) == 0);
	CHECK(pop3_backend_step(&pb, S("+OK Dovecot ready.\r\n"), iov, &n) == POP3_BK_NEXT);
	CHECK(pb.state == POP3_BK_USER);
	CHECK_MEM(sent, gather(iov, n, sent), "USER user name\r\n", 16);
	CHECK(pop3_backend_step(&pb, S("+OK\r\n"), iov, &n) == POP3_BK_NEXT);
	CHECK(pb.state == POP3_BK_PASS);
	CHECK_MEM(sent, gather(iov, n, sent), "PASS pa ss\"\r\n", 13);
	CHECK(pop3_backend_step(&pb, S("+OK Logged in.\r\n"), iov, &n) == POP3_BK_ACCEPT);
	CHECK(pb.state == POP3_BK_DONE && n == 0);
	CHECK(pop3_backend_step(&pb, S("+OK\r\n"), iov, &n) == POP3_BK_REJECT);

	/* only "+OK" counts, case-sensitively, at each step */
	static const char *const no[] = { "-ERR no\r\n", "+ok\r\n", "+O\r\n", "OK\r\n", "+\r\n", "" };
	for (int st = POP3_BK_START; st <= POP3_BK_PASS; st++)
		for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
			pb.state = (enum pop3_bk_state)st;
			CHECK(pop3_backend_step(&pb, no[i], strlen(no[i]), iov, &n) == POP3_BK_REJECT);
			CHECK(pb.state == (enum pop3_bk_state)st && n == 0);
		}
	pb.state = POP3_BK_START;
	CHECK(pop3_backend_step(&pb, S("+OKAY\r\n"), iov, &n) == POP3_BK_NEXT);
}

/* ---- against a fake backend ---- */

static enum backend_result
login(struct peer *f, struct backend_buf *b, size_t cap, int64_t ms)
{
	struct pop3_backend pb;

	peer_buf(b, cap);
	pop3_backend_init(&pb, S("alice"), S("secret pw"));
	return pop3_backend_login(f->fd, &pb, b, mp_now_ms() + ms);
}

#define GREET "+OK Dovecot ready.\r\n"
#define C1 "USER alice\r\n"
#define C2 "PASS secret pw\r\n"

/* The whole dialogue; the tests change the last reply, or end it early. */
static const struct peer_step dialogue[] = {
	{ NULL, GREET, false }, { C1, "+OK\r\n", false }, { C2, "+OK Logged in.\r\n", false },
	{ NULL, NULL, false }
};

static void
test_success(void)
{
	peer_ok(dialogue, login, "+OK Logged in.\r\n", "", false);
	peer_ok(dialogue, login, "+OK Logged in.\r\n", "", true);
	peer_ok(dialogue, login, "+OK\r\n", "+OK 2 messages\r\n", false);
	peer_ok(dialogue, login, "+OK Logged in.\r\n", "+OK 2 messages\r\n", true);
}

/* A rejection at step K returns exactly that step's reply, and nothing
 * further is sent. */
static void
test_reject(void)
{
	peer_reject(dialogue, login, 0, "-ERR [SYS/TEMP] too many connections\r\n");
	peer_reject(dialogue, login, 0, "* OK IMAP4rev1\r\n");
	peer_reject(dialogue, login, 1, "-ERR no USER now\r\n");
	peer_reject(dialogue, login, 2, "-ERR [AUTH] Authentication failed.\r\n");
	peer_reject(dialogue, login, 2, "+ok\r\n");
}

static void
test_eof_timeout_toolong(void)
{
	struct backend_buf b;
	struct peer_step eof_script[] = { { NULL, GREET, false }, { C1, "+O", false },
	    { NULL, NULL, false } };
	struct peer_step hold_script[] = { { NULL, GREET, false }, { C1, NULL, false },
	    { NULL, NULL, false } };
	struct peer_step long_script[] = { { NULL, "+OK 123456789012345678901234567890", false },
	    { NULL, NULL, false } };
	struct peer_step short_script[] = { { NULL, "+\r\n", false }, { NULL, NULL, false } };

	peer_expect(eof_script, false, login, sizeof peer_bufmem, 5000, BACKEND_EOF, &b);

	peer_timeout(hold_script, login, 300);

	peer_expect(long_script, true, login, 32, 5000, BACKEND_TOO_LONG, &b);
	CHECK(b.len == 32);

	/* nginx wants 4 bytes before it looks at a reply: "+\r\n" is not one yet */
	peer_expect(short_script, true, login, sizeof peer_bufmem, 300, BACKEND_TIMEOUT, &b);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	test_init();
	test_step();
	test_success();
	test_reject();
	test_eof_timeout_toolong();
	UNIT_DONE();
}
