/* SPDX-License-Identifier: ISC */
/* pop3_backend.c: the POP3 backend login as a state machine
 * (doc/wire.md#pop3-backend-login).
 * Like nginx, only the first three bytes of each reply are judged. */
#include <errno.h>
#include <string.h>

#include "pop3_backend.h"

static int
crlf_free(const char *p, size_t n)
{
	return memchr(p, '\r', n) == NULL && memchr(p, '\n', n) == NULL;
}

int
pop3_backend_init(struct pop3_backend *pb, const char *login, size_t loginlen,
    const char *pass, size_t passlen)
{
	memset(pb, 0, sizeof *pb);
	if (login == NULL || pass == NULL || !crlf_free(login, loginlen) ||
	    !crlf_free(pass, passlen)) {
		errno = EINVAL;
		return -1;
	}
	pb->state = POP3_BK_START;
	pb->login = login;
	pb->loginlen = loginlen;
	pb->pass = pass;
	pb->passlen = passlen;
	return 0;
}

int
pop3_backend_set_xclient(struct pop3_backend *pb, const char *line, size_t len)
{
	if (len < 3 || len > sizeof pb->xclient || line[len - 2] != '\r' ||
	    line[len - 1] != '\n' || !crlf_free(line, len - 2) ||
	    memchr(line, '\0', len) != NULL) {
		errno = EINVAL;
		return -1;
	}
	memcpy(pb->xclient, line, len);
	pb->xclientlen = len;
	return 0;
}

static int
positive(const char *p, size_t n)
{
	return n >= 3 && memcmp(p, "+OK", 3) == 0;
}

enum pop3_bk_step
pop3_backend_step(struct pop3_backend *pb, const char *p, size_t n,
    struct iovec iov[3], int *iovcnt)
{
	*iovcnt = 0;
	/* a backend that refuses XCLIENT still takes the login */
	if (pb->state == POP3_BK_XCLIENT) {
		if (!positive(p, n) && (n < 4 || memcmp(p, "-ERR", 4) != 0))
			return POP3_BK_REJECT;
		pb->xclient_refused = !positive(p, n);
		pb->state = POP3_BK_START;
	} else if (!positive(p, n)) {
		return POP3_BK_REJECT;
	} else if (pb->state == POP3_BK_START && pb->xclientlen > 0 &&
	    n >= 13 && memcmp(p, "+OK [XCLIENT]", 13) == 0) {
		iov[0] = backend_iov(pb->xclient, pb->xclientlen);
		*iovcnt = 1;
		pb->xclient_sent = true;
		pb->state = POP3_BK_XCLIENT;
		return POP3_BK_NEXT;
	}
	switch (pb->state) {
	case POP3_BK_START:
		iov[0] = backend_iov("USER ", 5);
		iov[1] = backend_iov(pb->login, pb->loginlen);
		iov[2] = backend_iov("\r\n", 2);
		*iovcnt = 3;
		pb->state = POP3_BK_USER;
		return POP3_BK_NEXT;
	case POP3_BK_USER:
		iov[0] = backend_iov("PASS ", 5);
		iov[1] = backend_iov(pb->pass, pb->passlen);
		iov[2] = backend_iov("\r\n", 2);
		*iovcnt = 3;
		pb->state = POP3_BK_PASS;
		return POP3_BK_NEXT;
	case POP3_BK_PASS:
		pb->state = POP3_BK_DONE;
		return POP3_BK_ACCEPT;
	case POP3_BK_XCLIENT:
	case POP3_BK_DONE:
		break;
	}
	return POP3_BK_REJECT;
}

static int
step(void *pb, const char *p, size_t n, struct iovec iov[3], int *iovcnt)
{
	return pop3_backend_step(pb, p, n, iov, iovcnt);
}

/* "PASS " is shown, the password is not */
static int
secret_from(const void *arg, const struct iovec *iov, int iovcnt)
{
	const struct pop3_backend *pb = arg;

	return iovcnt > 1 && iov[1].iov_base == (const void *)pb->pass ? 1 : iovcnt;
}

static const struct backend_dialogue dialogue = { backend_frame_line, step, secret_from };

enum backend_result
pop3_backend_login(int fd, struct pop3_backend *pb, struct backend_buf *b, int64_t deadline)
{
	b->len = 0;
	if (pb->login == NULL || pb->state != POP3_BK_START) {
		errno = EINVAL;
		return BACKEND_INVALID;
	}
	return backend_dialogue(fd, &dialogue, pb, b, deadline, NULL);
}
