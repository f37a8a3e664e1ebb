/* SPDX-License-Identifier: ISC */
/* session.c: the session's buffers and client I/O of the pre-authentication
 * phase, and the replies every front end sends alike. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "io.h"
#include "log.h"
#include "session.h"

int
session_fill(struct session *s)
{
	ssize_t r;

	if (s->len == s->cap)
		return -1;
	r = io_read(s->cfd, s->buf + s->len, s->cap - s->len, s->deadline);
	if (r > 0) {
		s->len += (size_t)r;
		return 1;
	}
	if (r == 0)
		log_msg(MP_LOG_INFO, "client closed connection");
	else if (errno == ETIMEDOUT)
		log_msg(MP_LOG_INFO, "client timed out");
	else
		log_msg(MP_LOG_INFO, "recv() failed (%d: %s)", errno, strerror(errno));
	return 0;
}

enum session_next
session_read(struct session *s)
{
	int r = session_fill(s);

	if (r == -1) {
		log_msg(MP_LOG_INFO, "client sent too long command");
		(void)session_invalid(s);
	}
	return r == 1 ? NEXT_READ : NEXT_CLOSE;
}

int
session_start(struct session *s)
{
	return s->ls->ssl ? session_tls(s) : 0;
}

int
session_greet(struct session *s, const char *line, size_t n)
{
	if (session_reply(s, line, n) == -1)
		return -1;
	s->deadline = mp_now_ms() + s->srv->timeout_ms;
	return 0;
}

int
session_reply(struct session *s, const void *p, size_t n)
{
	/* nginx bounds a blocked client write by `timeout` too */
	if (io_write_all(s->cfd, p, n, mp_now_ms() + s->srv->timeout_ms) == -1) {
		if (errno == ETIMEDOUT)
			log_msg(MP_LOG_INFO, "client timed out");
		else
			log_msg(MP_LOG_INFO, "client write failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
session_consume(struct session *s, size_t n)
{
	if (n >= s->len) {
		s->len = 0;
		return;
	}
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
}

int
session_reply3(struct session *s, const char *a, size_t alen, const char *b, size_t blen,
    const char *c, size_t clen)
{
	char out[2048];

	if (alen + blen + clen > sizeof out) {
		int r = session_reply(s, a, alen);
		if (r == 0)
			r = session_reply(s, b, blen);
		if (r == 0)
			r = session_reply(s, c, clen);
		return r;
	}
	memcpy(out, a, alen);
	memcpy(out + alen, b, blen);
	memcpy(out + alen + blen, c, clen);
	return session_reply(s, out, alen + blen + clen);
}

void
session_set_login(struct session *s, const char *p, size_t n)
{
	s->loginlen = n < s->credcap ? n : s->credcap;
	memcpy(s->login, p, s->loginlen);
	log_set_login(s->login, s->loginlen);
}

void
session_set_pass(struct session *s, const char *p, size_t n)
{
	s->passlen = n < s->credcap ? n : s->credcap;
	memcpy(s->pass, p, s->passlen);
	s->have_pass = true;
}

void
session_forget_credentials(struct session *s)
{
	if (s->login != NULL)
		explicit_bzero(s->login, s->credcap);
	if (s->pass != NULL)
		explicit_bzero(s->pass, s->credcap);
	if (s->dec != NULL)
		explicit_bzero(s->dec, s->credcap);
	s->loginlen = s->passlen = 0;
	s->have_pass = false;
	s->method = METHOD_UNSET;
	s->sasl = SASL_IDLE;
	/* a fresh CRAM-MD5 challenge next time; POP3's APOP salt is the
	 * greeting's and cannot be sent again */
	if (!s->salt_greeting) {
		explicit_bzero(s->salt, sizeof s->salt);
		s->saltlen = 0;
	}
}

bool
session_login_allowed(const struct session *s)
{
	return s->tls || s->srv->ssl.starttls != MP_STARTTLS_ONLY;
}

enum session_next
session_say(struct session *s, const char *text)
{
	return session_reply(s, text, strlen(text)) == 0 ? NEXT_READ : NEXT_CLOSE;
}

enum session_next
session_bye(struct session *s, const char *text)
{
	(void)session_say(s, text);
	return NEXT_CLOSE;
}

enum session_next
session_invalid(struct session *s)
{
	const char *text = s->proto->invalid_command;

	/* a malformed line after Auth-Error-SASL gets the failure all the same:
	 * it must not keep a session the auth server closes */
	if (s->sasl == SASL_WAIT_AUTH_ERROR)
		return session_auth_error(s);
	s->sasl = SASL_IDLE;
	return session_reply3(s, s->tag, s->taglen, "", 0, text, strlen(text)) == 0 ?
	    NEXT_READ : NEXT_CLOSE;
}

enum session_next
session_error(struct session *s)
{
	s->errors++;
	if (session_invalid(s) == NEXT_CLOSE)
		return NEXT_CLOSE;
	if (s->errors >= s->srv->max_errors) {
		log_msg(MP_LOG_INFO, "client sent too many invalid commands");
		return NEXT_CLOSE;
	}
	return NEXT_READ;
}

int
session_open(struct session *s)
{
	size_t cap = s->proto->client_buffer(s->srv);

	s->cap = cap;
	s->len = 0;
	/* credentials also hold what the auth server may send back (1 KiB) */
	s->credcap = cap > 1100 ? cap : 1100;
	s->buf = malloc(cap);
	s->login = malloc(s->credcap);
	s->pass = malloc(s->credcap);
	s->dec = malloc(s->credcap);
	if (s->buf == NULL || s->login == NULL || s->pass == NULL || s->dec == NULL) {
		log_msg(MP_LOG_ALERT, "out of memory");
		return -1;
	}
	return 0;
}

void
session_close(struct session *s)
{
	session_forget_credentials(s);
	free(s->buf);
	free(s->login);
	free(s->pass);
	free(s->dec);
	s->buf = s->login = s->pass = s->dec = NULL;
	s->len = 0;
}
