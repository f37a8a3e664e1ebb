/* SPDX-License-Identifier: ISC */
/* fuzz_backend_reply.c: libFuzzer target for the backend login dialogues'
 * pure parts: the reply framing (backend_frame_line, backend_frame_smtp,
 * imap_backend_frame) and the state machines (imap_backend_step,
 * pop3_backend_step, smtp_backend_step) with their init functions.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib \
 *            tests/fuzz/fuzz_backend_reply.c lib/net/backend.c lib/net/imap_backend.c \
 *            lib/net/pop3_backend.c lib/net/smtp_backend.c lib/base/base64.c lib/base/xtext.c
 * The input (after chunk.h's chunk-size byte) is three option bytes, then
 * the backend's byte stream:
 *   opt[0]  bits 0-1 protocol (0 IMAP, 1 POP3, 2 and 3 SMTP); IMAP and POP3:
 *           bit 2 proxy_client_id (ID first, XCLIENT on "+OK [XCLIENT]"); SMTP: bit 2
 *           xclient, 3 proxy_smtp_auth, 4 Auth-Method none, 5 esmtp, 6 ipv6,
 *           7 a password is available
 *   opt[1]  bits 0-1 proxy_buffer size (4096 512 64 16), 2-3 login,
 *           4-5 password, 6-7 IMAP tag / SMTP client HELO (tables below)
 *   opt[2]  bits 0-1 SMTP scratch (full, -1, -7 bytes, none), 2-3 MAIL/RCPT,
 *           4-5 XCLIENT address/host
 * The stream is read as backend_read_reply() does: bytes go into the
 * bounded buffer, the protocol's frame function is asked for a complete
 * reply, a reply that does not fit the buffer is "too long" (the end), and
 * each reply is judged by the step function, then consumed, until the
 * dialogue is done or rejected. This runs whole and in chunks (the two
 * must agree, which is the framing's monotonicity); each frame is also
 * checked on exact-size copies of truncations of itself, every step's
 * result against a model of the dialogue, and every command it returns
 * (read through its iovec, so ASan sees it) against what must be sent. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "base64.h"
#include "chunk.h"
#include "imap_backend.h"
#include "pop3_backend.h"
#include "smtp_backend.h"

#define CMDSZ 4096

enum proto { P_IMAP, P_POP3, P_SMTP };

static const size_t caps[4] = { 4096, 512, 64, 16 };

struct str {
	const char *p;
	size_t n;
};
#define STR(s) { s, sizeof(s) - 1 }

static const char longstr[] =
    "a-very-long-login.with+plus=equals%percent and spaces\x01\x7f\xff"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789";

static const struct str logins[4] = {
	STR("user"), STR(""), STR("user+tag=1@example.com \x01\x7f\xff"), STR(longstr)
};
static const struct str passes[4] = {
	STR("secret"), STR(""), STR("p\r\nQUIT\r\n"), STR(longstr)
};
static const struct str tags[4] = {
	STR("a01 "), STR("A "), STR("a01"), STR("x.y_z-0123456789012345678901234567890123456789 ")
};
static const struct str helos[4] = {
	STR(""), STR("client.example"), STR("[192.0.2.1]"), STR("bad\r\nMAIL FROM:<x>")
};
static const struct str froms[4] = {
	STR("MAIL FROM:<a@example.com> SIZE=100"), STR("MAIL FROM:<>"), STR(""),
	STR("MAIL FROM:<a\0b>")
};
static const struct str tos[4] = {
	STR("RCPT TO:<b@example.org>"), STR("RCPT TO:<postmaster>"), STR(""), STR("RCPT TO:<c>")
};
static const char *const addrs[4] = { "192.0.2.1", "2001:db8::1", "", "192.0.2.1\r\nQUIT" };
static const char *const hosts[4] = { "[UNAVAILABLE]", "mail.example", "", "x" };

/* One dialogue: the protocol's state and what it was set up with. */
struct dlg {
	enum proto proto;
	size_t cap;
	struct imap_backend ib;
	struct pop3_backend pb;
	struct smtp_backend sb;
	char *scratch;
	size_t scratchfull;
	struct str login, pass, tag, helo;
	bool ident;		/* IMAP ID / POP3 XCLIENT before the login */
};

/* What proxy_client_id sends (ident.c's text) */
#define ID_ARGS "(\"x-originating-ip\" \"192.0.2.1\" \"x-session-id\" \"0a1b\")"
static const char id_args[] = ID_ARGS;
static const char id_cmd[] = "ID " ID_ARGS "\r\n";
static const char xclient_line[] = "XCLIENT ADDR=192.0.2.1 PORT=5555 SESSION=0a1b\r\n";

static bool
has_crlf(const char *p, size_t n)
{
	return memchr(p, '\r', n) != NULL || memchr(p, '\n', n) != NULL;
}

static bool
line_safe(const char *p, size_t n)
{
	return !has_crlf(p, n) && memchr(p, '\0', n) == NULL;
}

/* Sets D up from the option bytes; false when init (rightly) refused it. */
static bool
setup(struct dlg *d, const uint8_t opt[3])
{
	unsigned sel = opt[1] >> 6;
	bool valid;
	int rc;

	memset(d, 0, sizeof *d);
	d->proto = (opt[0] & 3) == 3 ? P_SMTP : (enum proto)(opt[0] & 3);
	d->cap = caps[opt[1] & 3];
	d->login = logins[(opt[1] >> 2) & 3];
	d->pass = passes[(opt[1] >> 4) & 3];
	errno = 0;
	switch (d->proto) {
	case P_IMAP:
		d->tag = tags[sel];
		rc = imap_backend_init(&d->ib, d->tag.p, d->tag.n, d->login.p, d->login.n,
		    d->pass.p, d->pass.n);
		valid = d->tag.n >= 2 && d->tag.p[d->tag.n - 1] == ' ';
		check(valid ? rc == 0 && d->ib.state == IMAP_BK_START : rc == -1 && errno == EINVAL);
		d->ident = valid && (opt[0] & 4);
		if (d->ident)
			check(imap_backend_set_id(&d->ib, id_args, sizeof id_args - 1) == 0);
		return valid;
	case P_POP3:
		rc = pop3_backend_init(&d->pb, d->login.p, d->login.n, d->pass.p, d->pass.n);
		valid = !has_crlf(d->login.p, d->login.n) && !has_crlf(d->pass.p, d->pass.n);
		check(valid ? rc == 0 && d->pb.state == POP3_BK_START : rc == -1 && errno == EINVAL);
		d->ident = valid && (opt[0] & 4);
		if (d->ident)
			check(pop3_backend_set_xclient(&d->pb, xclient_line, sizeof xclient_line - 1) == 0);
		return valid;
	case P_SMTP:
		break;
	}
	d->helo = helos[sel];
	d->sb.server_name = "mx.example";
	d->sb.xclient = opt[0] & 4;
	d->sb.smtp_auth = opt[0] & 8;
	d->sb.none = opt[0] & 16;
	d->sb.esmtp = opt[0] & 32;
	d->sb.ipv6 = opt[0] & 64;
	d->sb.have_pass = opt[0] & 128;
	d->sb.addr = addrs[(opt[2] >> 4) & 3];
	d->sb.host = hosts[(opt[2] >> 4) & 3];
	d->sb.helo = d->helo.p;
	d->sb.helolen = d->helo.n;
	d->sb.from = froms[(opt[2] >> 2) & 3].p;
	d->sb.fromlen = froms[(opt[2] >> 2) & 3].n;
	d->sb.to = tos[(opt[2] >> 2) & 3].p;
	d->sb.tolen = tos[(opt[2] >> 2) & 3].n;
	d->sb.login = d->login.p;
	d->sb.loginlen = d->login.n;
	d->sb.pass = d->pass.p;
	d->sb.passlen = d->pass.n;
	d->scratchfull = smtp_backend_scratch_size(&d->sb);
	if ((opt[2] & 3) != 3) {
		static const size_t less[3] = { 0, 1, 7 };
		size_t n = d->scratchfull > less[opt[2] & 3] ? d->scratchfull - less[opt[2] & 3] : 0;

		d->scratch = malloc(n ? n : 1);
		check(d->scratch != NULL);
		d->sb.scratch = d->scratch;
		d->sb.scratchcap = n;
	}
	valid = line_safe(d->helo.p, d->helo.n);
	if (d->sb.xclient)
		valid = valid && line_safe(d->sb.addr, strlen(d->sb.addr)) &&
		    line_safe(d->sb.host, strlen(d->sb.host));
	if (d->sb.none)
		valid = valid && d->sb.fromlen > 0 && d->sb.tolen > 0 &&
		    line_safe(d->sb.from, d->sb.fromlen) && line_safe(d->sb.to, d->sb.tolen);
	rc = smtp_backend_init(&d->sb);
	check(valid ? rc == 0 && d->sb.state == SMTP_BK_START : rc == -1 && errno == EINVAL);
	return valid;
}

static int
state_of(const struct dlg *d)
{
	switch (d->proto) {
	case P_IMAP:
		return (int)d->ib.state;
	case P_POP3:
		return (int)d->pb.state;
	case P_SMTP:
		break;
	}
	return (int)d->sb.state;
}

static bool
done(const struct dlg *d)
{
	switch (d->proto) {
	case P_IMAP:
		return d->ib.state == IMAP_BK_DONE;
	case P_POP3:
		return d->pb.state == POP3_BK_DONE;
	case P_SMTP:
		break;
	}
	return d->sb.state == SMTP_BK_DONE;
}

static size_t
frame_raw(const struct dlg *d, const char *p, size_t n)
{
	switch (d->proto) {
	case P_IMAP:
		return imap_backend_frame(&d->ib, p, n);
	case P_POP3:
		return backend_frame_line(NULL, p, n);
	case P_SMTP:
		break;
	}
	return backend_frame_smtp(NULL, p, n);
}

/* The frame of P[0..N) copied to a buffer of exactly N bytes (ASan sees an
 * overread). */
static size_t
frame_exact(const struct dlg *d, const char *p, size_t n)
{
	char *c = malloc(n ? n : 1);
	size_t r;

	check(c != NULL);
	memcpy(c, p, n);
	r = frame_raw(d, c, n);
	free(c);
	check(r <= n);
	return r;
}

/* The frame R of P[0..N): a complete reply ends in CRLF, is at least 4
 * bytes, is framed the same on exactly its own bytes, and none of its
 * prefixes is complete. */
static void
check_frame(const struct dlg *d, const char *p, size_t n, size_t r)
{
	if (r == 0)
		return;
	check(r >= 4 && r <= n && p[r - 2] == '\r' && p[r - 1] == '\n');
	check(frame_exact(d, p, r) == r);
	check(frame_exact(d, p, r - 1) == 0);
	check(frame_exact(d, p, r / 2) == 0);
	check(frame_exact(d, p, 0) == 0);
	if (r <= 48)
		for (size_t k = 1; k + 1 < r; k++)
			check(frame_exact(d, p, k) == 0);
	/* an SMTP reply: every line but the last is "xxx-" (or under 4 bytes
	 * in all so far), the last one is not */
	if (d->proto == P_SMTP) {
		size_t start = 0;

		for (size_t i = 1; i < r; i++) {
			if (p[i] != '\n' || p[i - 1] != '\r')
				continue;
			if (i + 1 == r)
				break;
			check(i + 1 < 4 || (i - start >= 3 && p[start + 3] == '-'));
			start = i + 1;
		}
	}
}

static bool
starts(const char *p, size_t n, const char *s, size_t slen)
{
	return n >= slen && memcmp(p, s, slen) == 0;
}

/* The model: does state STATE accept the reply P[0..N)? */
static bool
model_accepts(const struct dlg *d, int state, const char *p, size_t n)
{
	size_t u = 0;

	switch (d->proto) {
	case P_IMAP:
		switch ((enum imap_bk_state)state) {
		case IMAP_BK_START:
			return starts(p, n, "* OK", 4);
		case IMAP_BK_LOGIN:
		case IMAP_BK_USER:
			return starts(p, n, "+", 1);
		case IMAP_BK_PASSWD:
			if (starts(p, n, "* ", 2)) {
				for (size_t i = 3; i < n && u == 0; i++)
					if (p[i] == '\n' && p[i - 1] == '\r')
						u = i + 1;
			}
			return starts(p + u, n - u, d->tag.p, d->tag.n) &&
			    starts(p + u + d->tag.n, n - u - d->tag.n, "OK", 2);
		case IMAP_BK_ID:
			/* any tagged reply: the login goes on after NO or BAD too */
			for (u = n - 1; u > 0 && p[u - 1] != '\n'; u--)
				;
			return starts(p + u, n - u, d->tag.p, d->tag.n);
		case IMAP_BK_DONE:
			return false;
		}
		return false;
	case P_POP3:
		if (state == POP3_BK_XCLIENT)
			return starts(p, n, "+OK", 3) || starts(p, n, "-ERR", 4);
		return state != POP3_BK_DONE && starts(p, n, "+OK", 3);
	case P_SMTP:
		break;
	}
	switch ((enum smtp_bk_state)state) {
	case SMTP_BK_START:
		return starts(p, n, "220", 3);
	case SMTP_BK_HELO:
	case SMTP_BK_CLIENT_HELO:
	case SMTP_BK_FROM:
		return starts(p, n, "250", 3);
	case SMTP_BK_XCLIENT:
		return starts(p, n, "220", 3) || starts(p, n, "250", 3);
	case SMTP_BK_TO:
		return true;
	case SMTP_BK_AUTH:
		return starts(p, n, "235", 3);
	case SMTP_BK_DONE:
		return false;
	}
	return false;
}

/* SMTP after the HELO/EHLO exchange, by mode: the next state (DONE: accept),
 * or -1 for "no password". */
static int
smtp_after_helo(const struct dlg *d)
{
	if (d->sb.none)
		return SMTP_BK_FROM;
	if (d->sb.smtp_auth)
		return d->sb.have_pass ? SMTP_BK_AUTH : -1;
	return SMTP_BK_DONE;
}

/* The model: the state after STATE accepted a reply (-1: no password). */
static int
model_next(const struct dlg *d, int state, const char *p, size_t n)
{
	if (d->proto == P_IMAP && state == IMAP_BK_START && d->ident)
		return IMAP_BK_ID;
	if (d->proto == P_IMAP && state == IMAP_BK_ID)
		return IMAP_BK_LOGIN;
	if (d->proto == P_POP3 && state == POP3_BK_START && d->ident &&
	    starts(p, n, "+OK [XCLIENT]", 13))
		return POP3_BK_XCLIENT;
	if (d->proto == P_POP3 && state == POP3_BK_XCLIENT)
		return POP3_BK_USER;
	if (d->proto != P_SMTP)
		return state + 1;
	switch ((enum smtp_bk_state)state) {
	case SMTP_BK_START:
		return SMTP_BK_HELO;
	case SMTP_BK_HELO:
		return d->sb.xclient ? SMTP_BK_XCLIENT : smtp_after_helo(d);
	case SMTP_BK_XCLIENT:
		return d->helo.n > 0 ? SMTP_BK_CLIENT_HELO : smtp_after_helo(d);
	case SMTP_BK_CLIENT_HELO:
		return smtp_after_helo(d);
	case SMTP_BK_FROM:
		return SMTP_BK_TO;
	case SMTP_BK_TO:
	case SMTP_BK_AUTH:
	case SMTP_BK_DONE:
		break;
	}
	return SMTP_BK_DONE;
}

/* Concatenates the command into CMD[CMDSZ]; returns its length. */
static size_t
gather(const struct iovec *iov, int iovcnt, int max, char *cmd)
{
	size_t len = 0;

	check(iovcnt >= 1 && iovcnt <= max);
	for (int i = 0; i < iovcnt; i++) {
		check(iov[i].iov_len == 0 || iov[i].iov_base != NULL);
		check(iov[i].iov_len <= CMDSZ - len);
		if (iov[i].iov_len)
			memcpy(cmd + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	check(len >= 2 && cmd[len - 2] == '\r' && cmd[len - 1] == '\n');
	return len;
}

/* The command must be exactly P[0..N) + Q[0..M) + R[0..K). */
static void
check_cmd(const char *cmd, size_t len, const char *p, size_t n, const char *q, size_t m,
    const char *r, size_t k)
{
	check(len == n + m + k);
	check(memcmp(cmd, p, n) == 0 && memcmp(cmd + n, q, m) == 0 && memcmp(cmd + n + m, r, k) == 0);
}

/* SMTP's command CMD[0..LEN), sent for the step into state NEXT. */
static void
check_smtp_cmd(const struct dlg *d, int next, const char *cmd, size_t len)
{
	const struct smtp_backend *sb = &d->sb;
	char raw[2 * sizeof longstr + 2];
	size_t rawlen;

	/* base64, xtext and the checks of init(): the line ends only at its end */
	check(line_safe(cmd, len - 2));
	switch ((enum smtp_bk_state)next) {
	case SMTP_BK_HELO:
		check_cmd(cmd, len, sb->esmtp || sb->xclient ? "EHLO " : "HELO ", 5,
		    sb->server_name, strlen(sb->server_name), "\r\n", 2);
		break;
	case SMTP_BK_XCLIENT:
		check(d->scratchfull >= len);
		check(starts(cmd, len, "XCLIENT ADDR=", 13));
		break;
	case SMTP_BK_CLIENT_HELO:
		check_cmd(cmd, len, sb->esmtp ? "EHLO " : "HELO ", 5, d->helo.p, d->helo.n,
		    "\r\n", 2);
		break;
	case SMTP_BK_FROM:
		check_cmd(cmd, len, sb->from, sb->fromlen, "", 0, "\r\n", 2);
		break;
	case SMTP_BK_TO:
		check_cmd(cmd, len, sb->to, sb->tolen, "", 0, "\r\n", 2);
		break;
	case SMTP_BK_AUTH:
		check(d->scratchfull >= len);
		check(starts(cmd, len, "AUTH PLAIN ", 11));
		check(base64_decode(raw, sizeof raw, cmd + 11, len - 13, &rawlen) == 0);
		check(rawlen == 2 + d->login.n + d->pass.n);
		check(raw[0] == '\0' && memcmp(raw + 1, d->login.p, d->login.n) == 0 &&
		    raw[1 + d->login.n] == '\0' &&
		    memcmp(raw + 2 + d->login.n, d->pass.p, d->pass.n) == 0);
		/* the raw credentials behind the line are wiped */
		for (size_t i = sb->scratchcap - rawlen; i < sb->scratchcap; i++)
			check(sb->scratch[i] == '\0');
		break;
	case SMTP_BK_START:
	case SMTP_BK_DONE:
		check(0);
	}
}

/* Judges the reply P[0..N) in D's state; logs; false when the dialogue ends. */
static bool
step(struct dlg *d, const char *p, size_t n, unsigned char *log, size_t *nl)
{
	static char cmd[CMDSZ];
	char num[32];
	struct iovec iov[3];
	int before = state_of(d), after, iovcnt = -1, rc = -1, next = 0;
	bool accept = model_accepts(d, before, p, n);
	size_t len = 0;

	memset(iov, 0, sizeof iov);
	if (accept)
		next = model_next(d, before, p, n);
	switch (d->proto) {
	case P_IMAP:
		rc = (int)imap_backend_step(&d->ib, p, n, iov, &iovcnt);
		check(rc == (int)(!accept ? IMAP_BK_REJECT :
		    next == IMAP_BK_DONE ? IMAP_BK_ACCEPT : IMAP_BK_NEXT));
		if (rc != IMAP_BK_NEXT)
			break;
		len = gather(iov, iovcnt, 2, cmd);
		check(len <= d->tag.n + d->login.n + d->pass.n + sizeof d->ib.scratch +
		    (d->ident ? d->ib.idlen : 0));
		if (before == IMAP_BK_START && d->ident) {
			check_cmd(cmd, len, d->tag.p, d->tag.n, id_cmd, sizeof id_cmd - 1, "", 0);
		} else if (before == IMAP_BK_START || before == IMAP_BK_ID) {
			snprintf(num, sizeof num, "LOGIN {%zu}\r\n", d->login.n);
			check_cmd(cmd, len, d->tag.p, d->tag.n, num, strlen(num), "", 0);
		} else if (before == IMAP_BK_LOGIN) {
			snprintf(num, sizeof num, " {%zu}\r\n", d->pass.n);
			check_cmd(cmd, len, d->login.p, d->login.n, num, strlen(num), "", 0);
		} else {
			check_cmd(cmd, len, d->pass.p, d->pass.n, "\r\n", 2, "", 0);
		}
		break;
	case P_POP3:
		rc = (int)pop3_backend_step(&d->pb, p, n, iov, &iovcnt);
		check(rc == (int)(!accept ? POP3_BK_REJECT :
		    next == POP3_BK_DONE ? POP3_BK_ACCEPT : POP3_BK_NEXT));
		if (rc != POP3_BK_NEXT)
			break;
		len = gather(iov, iovcnt, 3, cmd);
		check(!has_crlf(cmd, len - 2));
		if (next == POP3_BK_XCLIENT)
			check_cmd(cmd, len, xclient_line, sizeof xclient_line - 1, "", 0, "", 0);
		else if (before == POP3_BK_START || before == POP3_BK_XCLIENT)
			check_cmd(cmd, len, "USER ", 5, d->login.p, d->login.n, "\r\n", 2);
		else
			check_cmd(cmd, len, "PASS ", 5, d->pass.p, d->pass.n, "\r\n", 2);
		break;
	case P_SMTP:
		rc = (int)smtp_backend_step(&d->sb, p, n, iov, &iovcnt);
		if (!accept) {
			check(rc == SMTP_BK_REJECT);
			break;
		}
		if (next == -1) {
			check(rc == SMTP_BK_NO_PASSWORD);
			break;
		}
		if (next == SMTP_BK_DONE) {
			check(rc == SMTP_BK_ACCEPT);
			break;
		}
		/* a scratch of smtp_backend_scratch_size() bytes is always enough */
		if ((next == SMTP_BK_XCLIENT || next == SMTP_BK_AUTH) &&
		    (d->sb.scratch == NULL || d->sb.scratchcap < d->scratchfull)) {
			check(rc == SMTP_BK_NEXT || rc == SMTP_BK_NO_ROOM);
			if (rc == SMTP_BK_NO_ROOM)
				break;
		}
		check(rc == SMTP_BK_NEXT);
		len = gather(iov, iovcnt, 3, cmd);
		check_smtp_cmd(d, next, cmd, len);
		break;
	}
	after = state_of(d);
	if (d->proto == P_SMTP ? rc == SMTP_BK_NEXT : rc == 0 /* NEXT */) {
		/* ID and XCLIENT come after the others in their enums, and go back */
		check(after == next && (after > before ||
		    (d->proto == P_IMAP && before == IMAP_BK_ID) ||
		    (d->proto == P_POP3 && before == POP3_BK_XCLIENT)));
	} else if (d->proto == P_SMTP ? rc == SMTP_BK_ACCEPT : rc == 1 /* ACCEPT */) {
		check(done(d) && after > before && iovcnt == 0);
	} else {
		check(after == before && iovcnt == 0);
	}
	log[(*nl)++] = 'S';
	log[(*nl)++] = (unsigned char)rc;
	log[(*nl)++] = (unsigned char)after;
	log[(*nl)++] = (unsigned char)len;
	log[(*nl)++] = (unsigned char)n;
	return after != before && !done(d);
}

/* Runs the dialogue; writes a log of results; returns its length. */
static size_t
run(struct feed *f, unsigned char *log)
{
	struct dlg d;
	char *buf, *reply;
	size_t have = 0, nl = 0;
	bool more;

	if (f->n < 3) {
		log[nl++] = 'X';
		return nl;
	}
	f->fed = 3;
	if (!setup(&d, f->in)) {
		free(d.scratch);
		log[nl++] = 'I';
		return nl;
	}
	buf = malloc(d.cap);
	check(buf != NULL);
	while (nl + 16 < LOGSZ) {
		size_t r = frame_exact(&d, buf, have);

		if (r == 0) {
			enum feed_result fr = feed(f, buf, &have, d.cap);

			if (fr == FEED_MORE)
				continue;
			/* FEED_FULL: BACKEND_TOO_LONG; FEED_END: BACKEND_EOF */
			log[nl++] = fr == FEED_FULL ? 'L' : 'E';
			break;
		}
		check_frame(&d, buf, have, r);
		/* the reply alone, in a buffer of its size: ASan sees an overread */
		reply = malloc(r);
		check(reply != NULL);
		memcpy(reply, buf, r);
		more = step(&d, reply, r, log, &nl);
		free(reply);
		if (!more)
			break;
		memmove(buf, buf + r, have - r);
		have -= r;
	}
	free(buf);
	free(d.scratch);
	return nl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)chunk_compare(data, size, run);
	return 0;
}
