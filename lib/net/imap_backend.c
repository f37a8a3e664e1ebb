/* SPDX-License-Identifier: ISC */
/* imap_backend.c: the IMAP backend login as a state machine
 * (doc/wire.md#imap-backend-login).
 * Like nginx, only the first bytes of each reply are judged; the login and
 * password go as synchronizing literals, so they need no quoting. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "imap_backend.h"

int
imap_backend_init(struct imap_backend *ib, const char *tag, size_t taglen,
    const char *login, size_t loginlen, const char *pass, size_t passlen)
{
	memset(ib, 0, sizeof *ib);
	if (tag == NULL || taglen < 2 || tag[taglen - 1] != ' ' || login == NULL || pass == NULL) {
		errno = EINVAL;
		return -1;
	}
	ib->state = IMAP_BK_START;
	ib->tag = tag;
	ib->taglen = taglen;
	ib->login = login;
	ib->loginlen = loginlen;
	ib->pass = pass;
	ib->passlen = passlen;
	return 0;
}

int
imap_backend_set_id(struct imap_backend *ib, const char *args, size_t len)
{
	if (len == 0 || len > sizeof ib->id - 6 || memchr(args, '\r', len) != NULL ||
	    memchr(args, '\n', len) != NULL || memchr(args, '\0', len) != NULL) {
		errno = EINVAL;
		return -1;
	}
	memcpy(ib->id, "ID ", 3);
	memcpy(ib->id + 3, args, len);
	memcpy(ib->id + 3 + len, "\r\n", 2);
	ib->idlen = len + 5;
	return 0;
}

/* The length of the literal announced at the end of the line P[0..N)
 * ("... {12}\r\n"), or -1 if it announces none. */
static long
line_literal(const char *p, size_t n)
{
	size_t i = n - 2, digits = 0;
	long v = 0, m = 1;

	if (n < 5 || p[i] != '\r' || p[i - 1] != '}')
		return -1;
	i--;
	if (i > 0 && p[i - 1] == '+')
		i--;
	while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9') {
		if (++digits > 9)
			return -1;	/* beyond any proxy_buffer: the line is just too long */
		v += (p[i - 1] - '0') * m;
		m *= 10;
		i--;
	}
	return digits > 0 && i > 0 && p[i - 1] == '{' ? v : -1;
}

/* ID's reply: untagged lines, each with its literals, then the tagged line. */
static size_t
frame_untagged(const char *p, size_t n)
{
	size_t at = 0, i;

	for (;;) {
		size_t rest;

		if (n - at < 2)
			return 0;
		if (p[at] != '*' || p[at + 1] != ' ') {
			rest = backend_frame_line(NULL, p + at, n - at);
			return rest == 0 ? 0 : at + rest;
		}
		/* an untagged line, through every literal it announces */
		for (i = at + 2;;) {
			long lit;

			while (i < n && p[i] != '\n')
				i++;
			if (i == n)
				return 0;
			i++;
			lit = line_literal(p + at, i - at);
			if (lit < 0)
				break;
			if ((size_t)lit > n - i)
				return 0;
			i += (size_t)lit;
		}
		at = i;
	}
}

/* Where the line after a leading untagged "* " line starts, or 0 if P does
 * not start with one or its line is not complete yet. */
static size_t
untagged_end(const char *p, size_t n)
{
	if (n < 2 || p[0] != '*' || p[1] != ' ')
		return 0;
	for (size_t i = 3; i < n; i++)
		if (p[i] == '\n' && p[i - 1] == '\r')
			return i + 1;
	return 0;
}

size_t
imap_backend_frame(const void *arg, const char *p, size_t n)
{
	const struct imap_backend *ib = arg;
	size_t u, rest;

	if (ib->state == IMAP_BK_ID)
		return frame_untagged(p, n);
	if (ib->state != IMAP_BK_PASSWD)
		return backend_frame_line(NULL, p, n);
	/* SmarterMail and Gmail put "* CAPABILITY ..." before the tagged OK */
	if (n < 2)
		return 0;
	if (p[0] != '*' || p[1] != ' ')
		return backend_frame_line(NULL, p, n);
	u = untagged_end(p, n);
	if (u == 0)
		return 0;
	rest = backend_frame_line(NULL, p + u, n - u);
	return rest == 0 ? 0 : u + rest;
}

static int
starts(const char *p, size_t n, const char *s, size_t slen)
{
	return n >= slen && memcmp(p, s, slen) == 0;
}

/* "<tag>LOGIN {n}" */
static enum imap_bk_step
login(struct imap_backend *ib, struct iovec iov[2], int *iovcnt)
{
	int k = snprintf(ib->scratch, sizeof ib->scratch, "LOGIN {%zu}\r\n", ib->loginlen);

	iov[0] = backend_iov(ib->tag, ib->taglen);
	iov[1] = (struct iovec){ ib->scratch, (size_t)k };
	*iovcnt = 2;
	ib->state = IMAP_BK_LOGIN;
	return IMAP_BK_NEXT;
}

/* The last line of P[0..N), where the tagged reply is. */
static size_t
last_line(const char *p, size_t n)
{
	size_t i = n - 1;

	while (i > 0 && p[i - 1] != '\n')
		i--;
	return i;
}

enum imap_bk_step
imap_backend_step(struct imap_backend *ib, const char *p, size_t n,
    struct iovec iov[2], int *iovcnt)
{
	size_t u;
	int k;

	*iovcnt = 0;
	switch (ib->state) {
	case IMAP_BK_START:
		if (!starts(p, n, "* OK", 4))
			return IMAP_BK_REJECT;
		if (ib->idlen == 0)
			return login(ib, iov, iovcnt);
		iov[0] = backend_iov(ib->tag, ib->taglen);
		iov[1] = (struct iovec){ ib->id, ib->idlen };
		*iovcnt = 2;
		ib->state = IMAP_BK_ID;
		return IMAP_BK_NEXT;
	case IMAP_BK_ID:
		/* a backend without ID says NO or BAD: the login goes on without it */
		u = last_line(p, n);
		if (!starts(p + u, n - u, ib->tag, ib->taglen))
			return IMAP_BK_REJECT;
		ib->id_refused = !starts(p + u + ib->taglen, n - u - ib->taglen, "OK", 2);
		return login(ib, iov, iovcnt);
	case IMAP_BK_LOGIN:
		if (!starts(p, n, "+", 1))
			return IMAP_BK_REJECT;
		k = snprintf(ib->scratch, sizeof ib->scratch, " {%zu}\r\n", ib->passlen);
		iov[0] = backend_iov(ib->login, ib->loginlen);
		iov[1] = (struct iovec){ ib->scratch, (size_t)k };
		*iovcnt = 2;
		ib->state = IMAP_BK_USER;
		return IMAP_BK_NEXT;
	case IMAP_BK_USER:
		if (!starts(p, n, "+", 1))
			return IMAP_BK_REJECT;
		iov[0] = backend_iov(ib->pass, ib->passlen);
		iov[1] = backend_iov("\r\n", 2);
		*iovcnt = 2;
		ib->state = IMAP_BK_PASSWD;
		return IMAP_BK_NEXT;
	case IMAP_BK_PASSWD:
		u = untagged_end(p, n);
		if (!starts(p + u, n - u, ib->tag, ib->taglen) ||
		    !starts(p + u + ib->taglen, n - u - ib->taglen, "OK", 2))
			return IMAP_BK_REJECT;
		ib->state = IMAP_BK_DONE;
		return IMAP_BK_ACCEPT;
	case IMAP_BK_DONE:
		break;
	}
	return IMAP_BK_REJECT;
}

static int
step(void *ib, const char *p, size_t n, struct iovec iov[3], int *iovcnt)
{
	return imap_backend_step(ib, p, n, iov, iovcnt);
}

/* the password goes alone, as a literal */
static int
secret_from(const void *arg, const struct iovec *iov, int iovcnt)
{
	const struct imap_backend *ib = arg;

	return iov[0].iov_base == (const void *)ib->pass ? 0 : iovcnt;
}

static const struct backend_dialogue dialogue = { imap_backend_frame, step, secret_from };

enum backend_result
imap_backend_login(int fd, struct imap_backend *ib, struct backend_buf *b, int64_t deadline)
{
	b->len = 0;
	if (ib->tag == NULL || ib->state != IMAP_BK_START) {
		errno = EINVAL;
		return BACKEND_INVALID;
	}
	return backend_dialogue(fd, &dialogue, ib, b, deadline, NULL);
}
