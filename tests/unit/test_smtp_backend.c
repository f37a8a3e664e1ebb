/* SPDX-License-Identifier: ISC */
/* test_smtp_backend.c: xtext, then the SMTP backend login
 * (doc/wire.md#smtp-backend-login) for every combination of xclient,
 * proxy_smtp_auth, smtp_auth none and the client's HELO/EHLO, against a
 * scripted fake backend on a socketpair (peer.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "peer.h"
#include "smtp_backend.h"
#include "unit.h"
#include "xtext.h"

#define S(x) x, sizeof(x) - 1

static void
test_xtext(void)
{
	char out[64];
	size_t n;

	n = xtext_encode(out, sizeof out, S("alice@example.com"));
	CHECK_MEM(out, n, "alice@example.com", 17);
	n = xtext_encode(out, sizeof out, S("a b+c=d\xff\x7f\x01~!"));
	CHECK_MEM(out, n, "a+20b+2Bc+3Dd+FF+7F+01~!", 24);
	n = xtext_encode(out, sizeof out, S("\0"));
	CHECK_MEM(out, n, "+00", 3);
	n = xtext_encode(out, sizeof out, "", 0);
	CHECK(n == 0);
	/* exactly full fits; one byte short does not */
	CHECK(xtext_encode(out, 3, S("=")) == 3);
	CHECK(xtext_encode(out, 2, S("=")) == (size_t)-1);
	CHECK(xtext_encode(out, 2, S("ab")) == 2);
	CHECK(xtext_encode(out, 1, S("ab")) == (size_t)-1);
	/* LOGIN=x NAME=y cannot be smuggled in */
	n = xtext_encode(out, sizeof out, S("x NAME=evil\r\n"));
	CHECK_MEM(out, n, "x+20NAME+3Devil+0D+0A", 21);
}

/* ---- the session's inputs ---- */

struct opts {
	bool xclient, smtp_auth, none, esmtp, ipv6, have_pass;
	const char *helo, *login, *pass;
};

static char scratch[4096];

static void
setup(struct smtp_backend *sb, const struct opts *o)
{
	memset(sb, 0, sizeof *sb);
	sb->server_name = "mail.test";
	sb->xclient = o->xclient;
	sb->smtp_auth = o->smtp_auth;
	sb->none = o->none;
	sb->esmtp = o->esmtp;
	sb->addr = o->ipv6 ? "2001:db8::1" : "192.0.2.1";
	sb->ipv6 = o->ipv6;
	sb->host = "[UNAVAILABLE]";
	if (o->helo) {
		sb->helo = o->helo;
		sb->helolen = strlen(o->helo);
	}
	if (o->none) {
		sb->from = "MAIL FROM:<a@b> SIZE=10";
		sb->fromlen = strlen(sb->from);
		sb->to = "RCPT TO:<c@d>";
		sb->tolen = strlen(sb->to);
	}
	sb->login = o->login ? o->login : "";
	sb->loginlen = strlen(sb->login);
	sb->pass = o->pass ? o->pass : "";
	sb->passlen = strlen(sb->pass);
	sb->have_pass = o->have_pass;
	sb->scratch = scratch;
	sb->scratchcap = smtp_backend_scratch_size(sb);
	CHECK(sb->scratchcap <= sizeof scratch);
	CHECK(smtp_backend_init(sb) == 0);
}

static void
test_init(void)
{
	struct smtp_backend sb;
	struct opts o = { .xclient = true, .none = true, .helo = "x" };

	setup(&sb, &o);
	sb.helo = "x\0y";
	sb.helolen = 3;
	CHECK(smtp_backend_init(&sb) == -1 && errno == EINVAL);
	sb.helo = "x\ry";
	CHECK(smtp_backend_init(&sb) == -1);
	sb.helo = "x";
	sb.helolen = 1;
	CHECK(smtp_backend_init(&sb) == 0);
	sb.from = "MAIL FROM:<a>\r\nRCPT TO:<evil>";
	sb.fromlen = strlen(sb.from);
	CHECK(smtp_backend_init(&sb) == -1);
	sb.from = "MAIL FROM:<a>";
	sb.fromlen = strlen(sb.from);
	sb.to = "RCPT TO:<b>\n";
	sb.tolen = strlen(sb.to);
	CHECK(smtp_backend_init(&sb) == -1);
	sb.to = "RCPT TO:<b>";
	sb.tolen = strlen(sb.to);
	sb.host = "a\r\nb";
	CHECK(smtp_backend_init(&sb) == -1);
	sb.host = NULL;
	CHECK(smtp_backend_init(&sb) == -1);
	sb.host = "[UNAVAILABLE]";
	sb.server_name = NULL;
	CHECK(smtp_backend_init(&sb) == -1);
	sb.server_name = "mail.test";

	/* a login with a NUL: refused where it would be sent (XCLIENT LOGIN=,
	 * AUTH PLAIN), let through where it is not */
	sb.none = false;
	sb.login = "alice\0evil";
	sb.loginlen = 10;
	CHECK(smtp_backend_init(&sb) == -1 && errno == EINVAL);
	sb.xclient = false;
	sb.smtp_auth = true;
	CHECK(smtp_backend_init(&sb) == -1 && errno == EINVAL);
	sb.smtp_auth = false;
	CHECK(smtp_backend_init(&sb) == 0);
	sb.xclient = true;
	sb.loginlen = 5;
	CHECK(smtp_backend_init(&sb) == 0);
}

/* ---- pure dialogue: feed replies, collect what would be sent ---- */

/* Runs the dialogue with REPLIES (NULL-terminated; "" stops early) and
 * writes every command sent, concatenated, into SENT. Returns the last step. */
static enum smtp_bk_step
dialogue(const struct opts *o, const char *const *replies, char *sent, size_t cap)
{
	struct smtp_backend sb;
	enum smtp_bk_step st = SMTP_BK_REJECT;
	size_t len = 0;

	setup(&sb, o);
	for (const char *const *r = replies; *r; r++) {
		struct iovec iov[3];
		int n;

		st = smtp_backend_step(&sb, *r, strlen(*r), iov, &n);
		if (st != SMTP_BK_NEXT)
			break;
		for (int i = 0; i < n; i++) {
			CHECK(len + iov[i].iov_len < cap);
			memcpy(sent + len, iov[i].iov_base, iov[i].iov_len);
			len += iov[i].iov_len;
		}
	}
	sent[len] = '\0';
	return st;
}

#define R220 "220 backend ESMTP\r\n"
#define R250 "250 ok\r\n"
#define R250M "250-backend\r\n250-PIPELINING\r\n250 XCLIENT ADDR LOGIN NAME\r\n"

static void
check_dialogue(const struct opts *o, const char *const *replies, enum smtp_bk_step want,
    const char *want_sent, int line)
{
	char sent[2048];
	enum smtp_bk_step st = dialogue(o, replies, sent, sizeof sent);

	if (st != want || strcmp(sent, want_sent) != 0) {
		unit_failed++;
		fprintf(stderr, "%s:%d: step %d (want %d), sent \"%s\", want \"%s\"\n", __FILE__,
		    line, st, want, sent, want_sent);
	}
	unit_checks++;
}
#define DIALOGUE(o, want, sent, ...) do { const char *r_[] = { __VA_ARGS__, NULL }; \
	check_dialogue(o, r_, want, sent, __LINE__); } while (0)

static void
test_combinations(void)
{
	struct opts o;

	/* xclient on, AUTH by the client, no HELO: EHLO, XCLIENT with LOGIN; done */
	o = (struct opts){ .xclient = true, .login = "user", .pass = "secret", .have_pass = true };
	DIALOGUE(&o, SMTP_BK_ACCEPT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 LOGIN=user NAME=[UNAVAILABLE]\r\n",
	    R220, R250M, "220 ok\r\n");
	/* ... the client said EHLO: repeated after XCLIENT */
	o.helo = "client.example";
	o.esmtp = true;
	DIALOGUE(&o, SMTP_BK_ACCEPT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 LOGIN=user NAME=[UNAVAILABLE]\r\n"
	    "EHLO client.example\r\n", R220, R250M, "250 ok\r\n", R250M);
	/* ... the client said HELO: still EHLO to the backend first (XCLIENT), then HELO */
	o.esmtp = false;
	DIALOGUE(&o, SMTP_BK_ACCEPT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 LOGIN=user NAME=[UNAVAILABLE]\r\n"
	    "HELO client.example\r\n", R220, R250, R220, R250);
	/* ... a login that needs xtext; IPv6 client */
	o = (struct opts){ .xclient = true, .ipv6 = true, .login = "a b=c+d", .have_pass = true };
	DIALOGUE(&o, SMTP_BK_ACCEPT,
	    "EHLO mail.test\r\nXCLIENT ADDR=IPV6:2001:db8::1 LOGIN=a+20b+3Dc+2Bd NAME=[UNAVAILABLE]\r\n",
	    R220, R250, R250);

	/* xclient on, smtp_auth none: no LOGIN, MAIL, RCPT; any RCPT reply ends it */
	o = (struct opts){ .xclient = true, .none = true, .helo = "h", .esmtp = true };
	DIALOGUE(&o, SMTP_BK_ACCEPT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\nEHLO h\r\n"
	    "MAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<c@d>\r\n",
	    R220, R250, R220, R250, R250, "550 5.1.1 no such user\r\n");
	o.helo = NULL;
	DIALOGUE(&o, SMTP_BK_ACCEPT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\n"
	    "MAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<c@d>\r\n",
	    R220, R250, R250, R250, R250);
	/* an auth server's Auth-User shows up as LOGIN= even with none */
	o.login = "who";
	DIALOGUE(&o, SMTP_BK_ACCEPT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 LOGIN=who NAME=[UNAVAILABLE]\r\n"
	    "MAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<c@d>\r\n",
	    R220, R250, R250, R250, R250);

	/* xclient on + proxy_smtp_auth: XCLIENT without LOGIN, then AUTH PLAIN */
	o = (struct opts){ .xclient = true, .smtp_auth = true, .login = "user", .pass = "secret",
	    .have_pass = true, .helo = "h", .esmtp = true };
	DIALOGUE(&o, SMTP_BK_ACCEPT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\nEHLO h\r\n"
	    "AUTH PLAIN AHVzZXIAc2VjcmV0\r\n",
	    R220, R250, R250, R250, "235 2.7.0 Authentication successful\r\n");
	DIALOGUE(&o, SMTP_BK_REJECT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\nEHLO h\r\n"
	    "AUTH PLAIN AHVzZXIAc2VjcmV0\r\n",
	    R220, R250, R250, R250, "535 5.7.8 Error: authentication failed\r\n");
	/* EXTERNAL without Auth-Pass: nothing to AUTH with */
	o.have_pass = false;
	o.pass = NULL;
	DIALOGUE(&o, SMTP_BK_NO_PASSWORD,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\nEHLO h\r\n",
	    R220, R250, R250, R250);
	/* an empty password is still a password */
	o.have_pass = true;
	o.pass = "";
	DIALOGUE(&o, SMTP_BK_ACCEPT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\nEHLO h\r\n"
	    "AUTH PLAIN AHVzZXIA\r\n", R220, R250, R250, R250, "235 ok\r\n");

	/* xclient off: HELO (client used HELO or nothing) or EHLO (client used EHLO) */
	o = (struct opts){ .login = "user", .pass = "secret", .have_pass = true };
	DIALOGUE(&o, SMTP_BK_ACCEPT, "HELO mail.test\r\n", R220, R250);
	o.helo = "h";
	DIALOGUE(&o, SMTP_BK_ACCEPT, "HELO mail.test\r\n", R220, R250);
	o.esmtp = true;
	DIALOGUE(&o, SMTP_BK_ACCEPT, "EHLO mail.test\r\n", R220, R250M);
	o = (struct opts){ .none = true, .helo = "h" };
	DIALOGUE(&o, SMTP_BK_ACCEPT,
	    "HELO mail.test\r\nMAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<c@d>\r\n",
	    R220, R250, R250, "250 2.1.5 Ok\r\n");
	o = (struct opts){ .smtp_auth = true, .login = "user", .pass = "secret", .have_pass = true,
	    .esmtp = true, .helo = "h" };
	DIALOGUE(&o, SMTP_BK_ACCEPT, "EHLO mail.test\r\nAUTH PLAIN AHVzZXIAc2VjcmV0\r\n",
	    R220, R250M, "235 ok\r\n");
	/* none wins over proxy_smtp_auth, as in nginx */
	o.none = true;
	DIALOGUE(&o, SMTP_BK_ACCEPT,
	    "EHLO mail.test\r\nMAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<c@d>\r\n",
	    R220, R250, R250, R250);
}

static void
test_rejects(void)
{
	struct opts x = { .xclient = true, .none = true, .helo = "h", .esmtp = true };

	DIALOGUE(&x, SMTP_BK_REJECT, "", "554 go away\r\n");
	DIALOGUE(&x, SMTP_BK_REJECT, "", "250 not a greeting\r\n");
	DIALOGUE(&x, SMTP_BK_REJECT, "EHLO mail.test\r\n", R220, "502 5.5.2 no EHLO\r\n");
	DIALOGUE(&x, SMTP_BK_REJECT, "EHLO mail.test\r\n", R220, "220 not 250\r\n");
	DIALOGUE(&x, SMTP_BK_REJECT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\n",
	    R220, R250, "550 5.7.0 not authorized\r\n");
	DIALOGUE(&x, SMTP_BK_REJECT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\n",
	    R220, R250, "251 odd\r\n");
	DIALOGUE(&x, SMTP_BK_REJECT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\nEHLO h\r\n",
	    R220, R250, R220, "220 not 250\r\n");
	DIALOGUE(&x, SMTP_BK_REJECT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\nEHLO h\r\n"
	    "MAIL FROM:<a@b> SIZE=10\r\n", R220, R250, R220, R250, "552 too big\r\n");
	/* only the first three bytes count */
	DIALOGUE(&x, SMTP_BK_ACCEPT,
	    "EHLO mail.test\r\nXCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\nEHLO h\r\n"
	    "MAIL FROM:<a@b> SIZE=10\r\nRCPT TO:<c@d>\r\n",
	    "220x\r\n", "250-\r\n", "2200\r\n", "250\r\n", "2509\r\n", "xyz\r\n");
}

/* ---- against a fake backend ---- */

/* The session's inputs for the next login, and what it said of the password */
static const struct opts *login_opts;
static bool no_password;

static enum backend_result
login(struct peer *f, struct backend_buf *b, size_t cap, int64_t ms)
{
	struct smtp_backend sb;

	peer_buf(b, cap);
	setup(&sb, login_opts);
	return smtp_backend_login(f->fd, &sb, b, mp_now_ms() + ms, &no_password);
}

static void
test_fake(void)
{
	struct peer f;
	struct backend_buf b;
	const struct opts none = { .xclient = true, .none = true, .helo = "client.example",
	    .esmtp = true };
	const struct opts pauth = { .xclient = true, .smtp_auth = true, .login = "user",
	    .pass = "secret", .have_pass = true };

	/* none: multi-line replies, slow bytes; the RCPT reply is left in b; bytes
	 * behind it stay in the socket */
	{
		struct peer_step script[] = {
			{ NULL, "220-backend\r\n220 ESMTP\r\n", true },
			{ "EHLO mail.test\r\n", R250M, true },
			{ "XCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\n", "220 backend ESMTP\r\n", false },
			{ "EHLO client.example\r\n", R250M, false },
			{ "MAIL FROM:<a@b> SIZE=10\r\n", "250 2.1.0 Ok\r\n", false },
			{ "RCPT TO:<c@d>\r\n", "250 2.1.5 Ok\r\n354 early\r\n", false },
			{ NULL, NULL, false }
		};

		login_opts = &none;
		peer_run(script, login, BACKEND_OK, "250 2.1.5 Ok\r\n", "354 early\r\n", 0);
	}

	/* proxy_smtp_auth through to 235; the scratch holding the password is wiped */
	login_opts = &pauth;
	{
		struct peer_step script[] = {
			{ NULL, R220, false }, { "EHLO mail.test\r\n", R250, false },
			{ "XCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\n", R250, false },
			{ "AUTH PLAIN AHVzZXIAc2VjcmV0\r\n", "235 2.7.0 ok\r\n", false },
			{ NULL, NULL, false }
		};
		char zero[sizeof scratch];

		memset(scratch, 0, sizeof scratch);
		peer_expect(script, true, login, sizeof peer_bufmem, 5000, BACKEND_OK, &b);
		memset(zero, 0, sizeof zero);
		CHECK(memcmp(scratch, zero, sizeof scratch) == 0);

		/* a rejection leaves that reply in b and sends nothing more */
		peer_reject(script, login, 2, "550-5.7.0 not\r\n550 5.7.0 authorized\r\n");
	}

	/* no password: BACKEND_INVALID with the flag, before AUTH is sent */
	{
		struct opts o = pauth;
		struct peer_step script[] = {
			{ NULL, R220, false }, { "EHLO mail.test\r\n", R250, false },
			{ "XCLIENT ADDR=192.0.2.1 NAME=[UNAVAILABLE]\r\n", R250, false },
			{ NULL, NULL, false }
		};

		o.have_pass = false;
		o.pass = NULL;
		login_opts = &o;
		peer_start(&f, script, true);
		CHECK(login(&f, &b, sizeof peer_bufmem, 5000) == BACKEND_INVALID && no_password);
		peer_finish(&f);
		login_opts = &pauth;
	}

	/* EOF, timeout, too long */
	{
		struct peer_step eof[] = { { NULL, R220, false }, { "EHLO mail.test\r\n", "250-x", false },
		    { NULL, NULL, false } };
		struct peer_step hold[] = { { NULL, R220, false }, { "EHLO mail.test\r\n", NULL, false },
		    { NULL, NULL, false } };
		struct peer_step lng[] = { { NULL, "220-0123456789012345678901234567890123\r\n", false },
		    { NULL, NULL, false } };

		peer_expect(eof, false, login, sizeof peer_bufmem, 5000, BACKEND_EOF, &b);
		peer_timeout(hold, login, 300);
		peer_expect(lng, true, login, 32, 5000, BACKEND_TOO_LONG, &b);
	}
}

int
main(void)
{
	test_xtext();
	test_init();
	test_combinations();
	test_rejects();
	test_fake();
	UNIT_DONE();
}
