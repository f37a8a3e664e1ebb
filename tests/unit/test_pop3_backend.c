/* test_pop3_backend.c: the POP3 backend login, first as pure functions, then
 * against a scripted fake backend on a socketpair. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
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

/* One step of the fake backend: read EXPECT exactly (if set), then send
 * SEND (if set), byte by byte when SLOW. */
struct step {
	const char *expect, *send;
	bool slow;
};

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

/* The child exits 0 if the client sent exactly what the script expects and,
 * with HOLD, nothing more before it closes. */
static void
fake_start(struct fake *f, const struct step *script, bool hold)
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
		if (hold) {
			char c;
			ssize_t r = read(sv[1], &c, 1);

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
	struct pop3_backend pb;

	b->p = bufmem;
	b->cap = cap;
	b->len = 0;
	pop3_backend_init(&pb, S("alice"), S("secret pw"));
	return pop3_backend_login(f->fd, &pb, b, mp_now_ms() + ms);
}

#define GREET "+OK Dovecot ready.\r\n"
#define C1 "USER alice\r\n"
#define C2 "PASS secret pw\r\n"

static void
run_ok(const char *final, const char *after, bool slow)
{
	char send[256];
	struct step script[] = {
		{ NULL, GREET, slow }, { C1, "+OK\r\n", slow }, { C2, send, slow },
		{ NULL, NULL, false }
	};
	struct fake f;
	struct backend_buf b;

	snprintf(send, sizeof send, "%s%s", final, after);
	fake_start(&f, script, true);
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
	run_ok("+OK Logged in.\r\n", "", false);
	run_ok("+OK Logged in.\r\n", "", true);
	run_ok("+OK\r\n", "+OK 2 messages\r\n", false);
	run_ok("+OK Logged in.\r\n", "+OK 2 messages\r\n", true);
}

/* A rejection at step K returns exactly that step's reply, and nothing
 * further is sent (the fake checks). */
static void
run_reject(int k, const char *reply)
{
	struct step script[4] = {
		{ NULL, GREET, false }, { C1, "+OK\r\n", false }, { C2, "+OK Logged in.\r\n", false },
		{ NULL, NULL, false }
	};
	struct fake f;
	struct backend_buf b;

	script[k].send = reply;
	script[k + 1] = (struct step){ NULL, NULL, false };
	fake_start(&f, script, true);
	CHECK(login(&f, &b, sizeof bufmem, 5000) == BACKEND_REJECTED);
	CHECK_MEM(b.p, b.len, reply, strlen(reply));
	fake_finish(&f);
}

static void
test_reject(void)
{
	run_reject(0, "-ERR [SYS/TEMP] too many connections\r\n");
	run_reject(0, "* OK IMAP4rev1\r\n");
	run_reject(1, "-ERR no USER now\r\n");
	run_reject(2, "-ERR [AUTH] Authentication failed.\r\n");
	run_reject(2, "+ok\r\n");
}

static void
test_eof_timeout_toolong(void)
{
	struct fake f;
	struct backend_buf b;
	int64_t t0;
	struct step eof_script[] = { { NULL, GREET, false }, { C1, "+O", false }, { NULL, NULL, false } };
	struct step hold_script[] = { { NULL, GREET, false }, { C1, NULL, false }, { NULL, NULL, false } };
	struct step long_script[] = { { NULL, "+OK 123456789012345678901234567890", false },
	    { NULL, NULL, false } };
	struct step short_script[] = { { NULL, "+\r\n", false }, { NULL, NULL, false } };

	fake_start(&f, eof_script, false);
	CHECK(login(&f, &b, sizeof bufmem, 5000) == BACKEND_EOF);
	fake_finish(&f);

	fake_start(&f, hold_script, true);
	t0 = mp_now_ms();
	CHECK(login(&f, &b, sizeof bufmem, 300) == BACKEND_TIMEOUT);
	CHECK(mp_now_ms() - t0 >= 290 && mp_now_ms() - t0 < 2000);
	fake_finish(&f);

	fake_start(&f, long_script, true);
	CHECK(login(&f, &b, 32, 5000) == BACKEND_TOO_LONG);
	CHECK(b.len == 32);
	fake_finish(&f);

	/* nginx wants 4 bytes before it looks at a reply: "+\r\n" is not one yet */
	fake_start(&f, short_script, true);
	CHECK(login(&f, &b, sizeof bufmem, 300) == BACKEND_TIMEOUT);
	fake_finish(&f);
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
