/* SPDX-License-Identifier: ISC */
/* sieve_backend.c: the ManageSieve backend login (see sieve_backend.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "sieve_backend.h"

#define QUOTED_MAX 1024	/* RFC 5804: octets between the quotes */

size_t
sieve_backend_worksize(size_t loginlen, size_t passlen)
{
	size_t raw = 2 + loginlen + passlen;

	return base64_encoded_len(raw) + raw;
}

int
sieve_backend_init(struct sieve_backend *sb, const char *login, size_t loginlen,
    const char *pass, size_t passlen, char *work, size_t workcap)
{
	size_t raw = 2 + loginlen + passlen, enc;
	char *r;

	memset(sb, 0, sizeof *sb);
	if (memchr(login, '\0', loginlen) != NULL || memchr(pass, '\0', passlen) != NULL ||
	    workcap < sieve_backend_worksize(loginlen, passlen)) {
		errno = EINVAL;
		return -1;
	}
	/* authzid (none) NUL authcid NUL passwd (RFC 4616) */
	enc = base64_encoded_len(raw);
	r = work + enc;
	r[0] = '\0';
	memcpy(r + 1, login, loginlen);
	r[1 + loginlen] = '\0';
	memcpy(r + 2 + loginlen, pass, passlen);
	sb->b64 = work;
	sb->b64len = base64_encode(work, r, raw);
	explicit_bzero(r, raw);
	if (sb->b64len <= QUOTED_MAX) {
		sb->headlen = (size_t)snprintf(sb->head, sizeof sb->head, "AUTHENTICATE \"PLAIN\" \"");
		sb->tail = "\"\r\n";
	} else {
		sb->headlen = (size_t)snprintf(sb->head, sizeof sb->head,
		    "AUTHENTICATE \"PLAIN\" {%zu+}\r\n", sb->b64len);
		sb->tail = "\r\n";
	}
	sb->state = SIEVE_BK_GREETING;
	return 0;
}

/* The end of the line starting at POS, past the literals it announces
 * ("{N}" or "{N+}" before a line end, then N bytes), or 0 if incomplete. */
static size_t
line_end(const char *p, size_t n, size_t pos)
{
	for (size_t i = pos; i < n; i++) {
		size_t j = i, d, lit = 0;

		if (p[i] != '\n')
			continue;
		if (j > pos && p[j - 1] == '\r')
			j--;
		if (j <= pos || p[j - 1] != '}')
			return i + 1;
		j--;
		if (j > pos && p[j - 1] == '+')
			j--;
		for (d = j; d > pos && p[d - 1] >= '0' && p[d - 1] <= '9'; d--)
			;
		if (d == j || d <= pos || p[d - 1] != '{')
			return i + 1;
		/* saturated past N: a literal that long is incomplete here */
		for (; d < j; d++)
			lit = lit > n / 10 ? n + 1 : lit * 10 + (size_t)(p[d] - '0');
		if (lit > n - (i + 1))
			return 0;
		i += lit;	/* the loop steps past the literal's last byte */
	}
	return 0;
}

enum { R_NONE, R_OK, R_NO, R_BYE };

/* OK, NO or BYE as the first word of the line P[0..N) */
static int
response(const char *p, size_t n)
{
	static const struct { const char *w; size_t len; int r; } words[] = {
		{ "OK", 2, R_OK }, { "NO", 2, R_NO }, { "BYE", 3, R_BYE },
	};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (n > words[i].len && strncasecmp(p, words[i].w, words[i].len) == 0 &&
		    (p[words[i].len] == ' ' || p[words[i].len] == '\r' || p[words[i].len] == '\n'))
			return words[i].r;
	return R_NONE;
}

size_t
sieve_backend_frame(const void *arg, const char *p, size_t n)
{
	size_t pos = 0;

	(void)arg;
	for (;;) {
		size_t end = line_end(p, n, pos);

		if (end == 0)
			return 0;
		if (response(p + pos, end - pos) != R_NONE)
			return end;
		pos = end;
	}
}

/* A quoted string at P[*I..N): its contents (escapes kept) in *S, *LEN. */
static int
quoted(const char *p, size_t n, size_t *i, const char **s, size_t *len)
{
	size_t k = *i;

	if (k >= n || p[k] != '"')
		return 0;
	for (k++; k < n && p[k] != '"'; k++)
		if (p[k] == '\\')
			k++;
	if (k >= n)
		return 0;
	*s = p + *i + 1;
	*len = k - *i - 1;
	*i = k + 1;
	return 1;
}

/* Does the capability line P[0..N) say "SASL" with PLAIN among its words? */
static int
sasl_plain(const char *p, size_t n)
{
	const char *name, *v;
	size_t i = 0, namelen, vlen;

	if (!quoted(p, n, &i, &name, &namelen) || namelen != 4 ||
	    strncasecmp(name, "SASL", 4) != 0)
		return 0;
	while (i < n && p[i] == ' ')
		i++;
	if (!quoted(p, n, &i, &v, &vlen))
		return 0;
	for (size_t w = 0; w < vlen; ) {
		size_t e = w;

		while (e < vlen && v[e] != ' ')
			e++;
		if (e - w == 5 && strncasecmp(v + w, "PLAIN", 5) == 0)
			return 1;
		w = e + 1;
	}
	return 0;
}

enum sieve_bk_step
sieve_backend_step(struct sieve_backend *sb, const char *p, size_t n,
    struct iovec iov[3], int *iovcnt)
{
	size_t pos = 0, last = 0;
	int plain = 0;

	*iovcnt = 0;
	/* the frame's lines: capabilities, then the response */
	for (size_t end; (end = line_end(p, n, pos)) != 0; pos = end) {
		last = pos;
		plain |= sasl_plain(p + pos, end - pos);
	}
	if (response(p + last, n - last) != R_OK)
		return SIEVE_BK_REJECT;
	switch (sb->state) {
	case SIEVE_BK_GREETING:
		if (!plain)
			return SIEVE_BK_NO_PLAIN;
		iov[0] = backend_iov(sb->head, sb->headlen);
		iov[1] = backend_iov(sb->b64, sb->b64len);
		iov[2] = backend_iov(sb->tail, strlen(sb->tail));
		*iovcnt = 3;
		sb->state = SIEVE_BK_AUTH;
		return SIEVE_BK_NEXT;
	case SIEVE_BK_AUTH:
		sb->state = SIEVE_BK_DONE;
		return SIEVE_BK_ACCEPT;
	case SIEVE_BK_DONE:
		break;
	}
	return SIEVE_BK_REJECT;
}

static int
step(void *sb, const char *p, size_t n, struct iovec iov[3], int *iovcnt)
{
	return sieve_backend_step(sb, p, n, iov, iovcnt);
}

/* AUTHENTICATE "PLAIN" is shown, the base64 is not */
static int
secret_from(const void *arg, const struct iovec *iov, int iovcnt)
{
	(void)arg;
	(void)iov;
	return iovcnt > 1 ? 1 : iovcnt;
}

static const struct backend_dialogue dialogue = { sieve_backend_frame, step, secret_from };

enum backend_result
sieve_backend_login(int fd, struct sieve_backend *sb, struct backend_buf *b,
    int64_t deadline, int *own)
{
	b->len = 0;
	if (sb->b64 == NULL || sb->state != SIEVE_BK_GREETING) {
		errno = EINVAL;
		return BACKEND_INVALID;
	}
	return backend_dialogue(fd, &dialogue, sb, b, deadline, own);
}
