/* SPDX-License-Identifier: ISC */
/* smtp_backend.c: the SMTP backend login as a state machine
 * (doc/wire.md#smtp-backend-login).
 * The HELO, MAIL and RCPT lines are the client's own bytes, sent as they
 * came (nginx does the same); the parser guarantees they hold no CR or LF
 * and the front end refuses NUL, and init() checks both again. The login
 * goes out xtext-encoded (XCLIENT) or base64-encoded (AUTH PLAIN). */
#include <errno.h>
#include <string.h>

#include "base64.h"
#include "smtp_backend.h"
#include "xtext.h"

#define S(x) backend_iov((x), sizeof(x) - 1)

static size_t
auth_raw_len(const struct smtp_backend *sb)
{
	return 2 + sb->loginlen + sb->passlen;
}

size_t
smtp_backend_scratch_size(const struct smtp_backend *sb)
{
	size_t x = 0, a = 0;

	if (sb->xclient)
		x = sizeof "XCLIENT ADDR=IPV6: LOGIN= NAME=\r\n" +
		    (sb->addr ? strlen(sb->addr) : 0) + XTEXT_MAX(sb->loginlen) +
		    (sb->host ? strlen(sb->host) : 0);
	if (sb->smtp_auth)	/* the encoded line, then the raw bytes behind it */
		a = sizeof "AUTH PLAIN \r\n" + base64_encoded_len(auth_raw_len(sb)) +
		    auth_raw_len(sb);
	return x > a ? x : a;
}

/* No byte that could end the command line early. */
static bool
line_safe(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0')
			return false;
	return true;
}

int
smtp_backend_init(struct smtp_backend *sb)
{
	bool ok = sb->server_name != NULL && line_safe(sb->server_name, strlen(sb->server_name));

	if (sb->xclient)
		ok = ok && sb->addr != NULL && sb->host != NULL &&
		    line_safe(sb->addr, strlen(sb->addr)) && line_safe(sb->host, strlen(sb->host));
	if (sb->helolen > 0)
		ok = ok && sb->helo != NULL && line_safe(sb->helo, sb->helolen);
	if (sb->none)
		ok = ok && sb->from != NULL && sb->to != NULL && sb->fromlen > 0 && sb->tolen > 0 &&
		    line_safe(sb->from, sb->fromlen) && line_safe(sb->to, sb->tolen);
	if (sb->loginlen > 0 && sb->login == NULL)
		ok = false;
	/* a NUL in a login (AUTH LOGIN, EXTERNAL and CRAM-MD5 decode one) would
	 * end it early at the backend: AUTH PLAIN's field separator, the end of
	 * the C string XCLIENT LOGIN= decodes to */
	if ((sb->xclient || sb->smtp_auth) && sb->loginlen > 0 && sb->login != NULL &&
	    memchr(sb->login, '\0', sb->loginlen) != NULL)
		ok = false;
	if (sb->passlen > 0 && sb->pass == NULL)
		ok = false;
	if (!ok) {
		errno = EINVAL;
		return -1;
	}
	sb->state = SMTP_BK_START;
	return 0;
}

/* The first three bytes of the reply: "220", "250", ... */
static bool
code(const char *p, size_t n, const char *want)
{
	return n >= 3 && memcmp(p, want, 3) == 0;
}

static int
put(struct smtp_backend *sb, size_t *len, const void *p, size_t n)
{
	if (n > sb->scratchcap - *len)
		return -1;
	memcpy(sb->scratch + *len, p, n);
	*len += n;
	return 0;
}

static enum smtp_bk_step
xclient(struct smtp_backend *sb, struct iovec iov[3], int *iovcnt)
{
	size_t len = 0, x;
	int r;

	if (sb->scratch == NULL)
		return SMTP_BK_NO_ROOM;
	r = put(sb, &len, "XCLIENT ADDR=", 13);
	if (r == 0 && sb->ipv6)
		r = put(sb, &len, "IPV6:", 5);
	if (r == 0)
		r = put(sb, &len, sb->addr, strlen(sb->addr));
	/* with proxy_smtp_auth the backend learns the login from AUTH itself */
	if (r == 0 && sb->loginlen > 0 && !sb->smtp_auth) {
		r = put(sb, &len, " LOGIN=", 7);
		x = r == 0 ? xtext_encode(sb->scratch + len, sb->scratchcap - len, sb->login,
		    sb->loginlen) : (size_t)-1;
		if (x == (size_t)-1)
			r = -1;
		else
			len += x;
	}
	if (r == 0)
		r = put(sb, &len, " NAME=", 6);
	if (r == 0)
		r = put(sb, &len, sb->host, strlen(sb->host));
	if (r == 0)
		r = put(sb, &len, "\r\n", 2);
	if (r == -1)
		return SMTP_BK_NO_ROOM;
	iov[0] = (struct iovec){ sb->scratch, len };
	*iovcnt = 1;
	sb->state = SMTP_BK_XCLIENT;
	return SMTP_BK_NEXT;
}

static enum smtp_bk_step
auth_plain(struct smtp_backend *sb, struct iovec iov[3], int *iovcnt)
{
	size_t raw = auth_raw_len(sb), enc = base64_encoded_len(raw);
	size_t line = 11 + enc + 2;
	char *r;

	if (!sb->have_pass)
		return SMTP_BK_NO_PASSWORD;
	if (sb->scratch == NULL || sb->scratchcap < line + raw)
		return SMTP_BK_NO_ROOM;
	r = sb->scratch + sb->scratchcap - raw;
	r[0] = '\0';
	if (sb->loginlen > 0)
		memcpy(r + 1, sb->login, sb->loginlen);
	r[1 + sb->loginlen] = '\0';
	if (sb->passlen > 0)
		memcpy(r + 2 + sb->loginlen, sb->pass, sb->passlen);
	memcpy(sb->scratch, "AUTH PLAIN ", 11);
	base64_encode(sb->scratch + 11, r, raw);
	explicit_bzero(r, raw);
	memcpy(sb->scratch + 11 + enc, "\r\n", 2);
	iov[0] = (struct iovec){ sb->scratch, line };
	*iovcnt = 1;
	sb->state = SMTP_BK_AUTH;
	return SMTP_BK_NEXT;
}

/* After the HELO/EHLO (or XCLIENT) exchange: by mode. */
static enum smtp_bk_step
after_helo(struct smtp_backend *sb, struct iovec iov[3], int *iovcnt)
{
	if (sb->none) {
		iov[0] = backend_iov(sb->from, sb->fromlen);
		iov[1] = S("\r\n");
		*iovcnt = 2;
		sb->state = SMTP_BK_FROM;
		return SMTP_BK_NEXT;
	}
	if (sb->smtp_auth)
		return auth_plain(sb, iov, iovcnt);
	sb->state = SMTP_BK_DONE;
	return SMTP_BK_ACCEPT;
}

enum smtp_bk_step
smtp_backend_step(struct smtp_backend *sb, const char *p, size_t n,
    struct iovec iov[3], int *iovcnt)
{
	*iovcnt = 0;
	switch (sb->state) {
	case SMTP_BK_START:
		if (!code(p, n, "220"))
			return SMTP_BK_REJECT;
		/* XCLIENT needs ESMTP */
		iov[0] = backend_iov(sb->esmtp || sb->xclient ? "EHLO " : "HELO ", 5);
		iov[1] = backend_iov(sb->server_name, strlen(sb->server_name));
		iov[2] = S("\r\n");
		*iovcnt = 3;
		sb->state = SMTP_BK_HELO;
		return SMTP_BK_NEXT;
	case SMTP_BK_HELO:
		if (!code(p, n, "250"))
			return SMTP_BK_REJECT;
		if (sb->xclient)
			return xclient(sb, iov, iovcnt);
		return after_helo(sb, iov, iovcnt);
	case SMTP_BK_XCLIENT:
		if (!code(p, n, "220") && !code(p, n, "250"))
			return SMTP_BK_REJECT;
		if (sb->helolen == 0)
			return after_helo(sb, iov, iovcnt);
		/* XCLIENT resets the backend's session: say hello again as the client */
		iov[0] = backend_iov(sb->esmtp ? "EHLO " : "HELO ", 5);
		iov[1] = backend_iov(sb->helo, sb->helolen);
		iov[2] = S("\r\n");
		*iovcnt = 3;
		sb->state = SMTP_BK_CLIENT_HELO;
		return SMTP_BK_NEXT;
	case SMTP_BK_CLIENT_HELO:
		if (!code(p, n, "250"))
			return SMTP_BK_REJECT;
		return after_helo(sb, iov, iovcnt);
	case SMTP_BK_FROM:
		if (!code(p, n, "250"))
			return SMTP_BK_REJECT;
		iov[0] = backend_iov(sb->to, sb->tolen);
		iov[1] = S("\r\n");
		*iovcnt = 2;
		sb->state = SMTP_BK_TO;
		return SMTP_BK_NEXT;
	case SMTP_BK_TO:
		sb->state = SMTP_BK_DONE;
		return SMTP_BK_ACCEPT;
	case SMTP_BK_AUTH:
		if (!code(p, n, "235"))
			return SMTP_BK_REJECT;
		sb->state = SMTP_BK_DONE;
		return SMTP_BK_ACCEPT;
	case SMTP_BK_DONE:
		break;
	}
	return SMTP_BK_REJECT;
}

static int
step(void *sb, const char *p, size_t n, struct iovec iov[3], int *iovcnt)
{
	return smtp_backend_step(sb, p, n, iov, iovcnt);
}

/* AUTH PLAIN carries the password in its one line */
static int
secret_from(const void *arg, const struct iovec *iov, int iovcnt)
{
	const struct smtp_backend *sb = arg;

	return sb->state == SMTP_BK_AUTH ? 0 : iovcnt;
}

static const struct backend_dialogue dialogue = { backend_frame_smtp, step, secret_from };

enum backend_result
smtp_backend_login(int fd, struct smtp_backend *sb, struct backend_buf *b, int64_t deadline,
    bool *no_password)
{
	enum backend_result r;
	int own = 0;

	*no_password = false;
	b->len = 0;
	if (sb->state != SMTP_BK_START || sb->server_name == NULL) {
		errno = EINVAL;
		return BACKEND_INVALID;
	}
	r = backend_dialogue(fd, &dialogue, sb, b, deadline, &own);
	*no_password = r == BACKEND_INVALID && own == SMTP_BK_NO_PASSWORD;
	if (sb->scratch != NULL)
		explicit_bzero(sb->scratch, sb->scratchcap);
	return r;
}
