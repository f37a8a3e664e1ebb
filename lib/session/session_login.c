/* SPDX-License-Identifier: ISC */
/* session_login.c: the end of every dialogue: the auth request, the answer
 * to a refusal, the backend login of the front end, and the hand-off to the
 * relay. */
#include <stdlib.h>
#include <string.h>

#include "backend_tls.h"
#include "clock.h"
#include "conn.h"
#include "frontend.h"
#include "ident.h"
#include "log.h"

size_t
session_ident(const struct session *s, size_t (*format)(const struct ident *, char *, size_t),
    char *out, size_t cap)
{
	const struct sockaddr *l = (const struct sockaddr *)&s->conn->local;
	struct ident id;
	char lip[64];

	memset(&id, 0, sizeof id);
	id.ip = s->conn->peer_ip;
	id.port = s->conn->peer_port;
	conn_addr_ip(l, lip, sizeof lip);
	id.lip = lip;
	id.lport = conn_addr_port(l);
	id.sid = log_session_id();
	return format(&id, out, cap);
}

/* "<tag>NO text", "-ERR text", or SMTP's "<Auth-Error-Code> text" into
 * s->autherr, the one buffer that also keeps it across an Auth-Error-SASL
 * challenge. */
static void
failure_line(struct session *s, const struct auth_failure *f)
{
	const char *prefix = s->proto->auth_failed;
	char *line = s->autherr;
	size_t n = 0;

	_Static_assert(sizeof s->autherr >= sizeof s->tag + sizeof f->code + 1 +
	    sizeof f->text + 2, "autherr holds any failure line");
	memcpy(line, s->tag, s->taglen);
	n += s->taglen;
	if (prefix != NULL) {
		memcpy(line + n, prefix, strlen(prefix));
		n += strlen(prefix);
	} else {
		memcpy(line + n, f->code, f->codelen);
		n += f->codelen;
		line[n++] = ' ';
	}
	memcpy(line + n, f->text, f->textlen);
	n += f->textlen;
	memcpy(line + n, "\r\n", 2);
	s->autherrlen = n + 2;
}

/* The failure reply kept in s->autherr: the line itself, or, for a front
 * end with its own failure reply (ManageSieve quotes the text), the auth
 * server's text for it. NEXT_READ, or NEXT_CLOSE if the client is gone. */
static enum session_next
send_failure(struct session *s)
{
	if (s->fe->auth_failed != NULL)
		return s->fe->auth_failed(s, s->autherr, s->autherrlen);
	return session_reply(s, s->autherr, s->autherrlen) == 0 ? NEXT_READ : NEXT_CLOSE;
}

/* A refusal: the failure reply in one write (or the front end's own), then
 * go on or CLOSE. With an Auth-Error-SASL (bearer tokens only,
 * session_auth.c) the client first gets it as a challenge, and the failure
 * answers its next line, whatever that line is (session_auth_error()). */
static enum session_next
auth_failed(struct session *s, const struct auth_failure *f, bool close)
{
	const char *prefix = s->proto->challenge_prefix;
	const char *suffix = s->proto->challenge_suffix;
	enum session_next next;

	if (s->fe->auth_failed != NULL) {
		_Static_assert(sizeof s->autherr >= sizeof f->text, "autherr holds the text");
		memcpy(s->autherr, f->text, f->textlen);
		s->autherrlen = f->textlen;
	} else {
		failure_line(s, f);
	}
	if (f->sasllen > 0) {
		s->autherr_close = close;
		s->sasl = SASL_WAIT_AUTH_ERROR;
		return session_reply3(s, prefix, strlen(prefix), f->sasl, f->sasllen,
		    suffix, strlen(suffix)) == 0 ? NEXT_READ : NEXT_CLOSE;
	}
	next = send_failure(s);
	return close ? NEXT_CLOSE : next;
}

enum session_next
session_auth_error(struct session *s)
{
	bool close = s->autherr_close;
	enum session_next next;

	s->sasl = SASL_IDLE;
	next = send_failure(s);
	return close ? NEXT_CLOSE : next;
}

static enum session_next
internal_error(struct session *s)
{
	return session_bye(s, s->proto->internal_error);
}

static void
relay(struct session *s, const struct backend_buf *b, const char *pending, size_t npending)
{
	const char *ok = s->proto->logged_in;
	int r;

	log_set_action(NULL);
	log_msg(MP_LOG_INFO, "client logged in");
	/* with smtp_auth none the backend's RCPT reply answers the client's RCPT */
	if (ok != NULL && s->method != METHOD_NONE)
		r = session_say(s, ok) == NEXT_READ ? 0 : -1;
	else
		r = session_reply(s, b->p, b->len);
	if (r == 0)
		(void)session_exec_relay(s, pending, npending);
}

enum session_next
session_settle(struct session *s, enum session_next next, const char *pending,
    size_t npending, bool keep)
{
	if (next == NEXT_AUTH)
		next = session_login(s, pending, npending);
	if (next != NEXT_CLOSE && s->sasl == SASL_IDLE && !keep)
		session_forget_credentials(s);
	return next;
}

enum session_next
session_login(struct session *s, const char *pending, size_t npending)
{
	struct auth_failure f;
	struct backend_buf b;
	enum backend_result rc;
	bool pass;

	switch (session_auth(s, &f)) {
	case SA_OK:
		break;
	case SA_FAIL:
		/* the session goes on; nginx keeps SMTP's HELO, MAIL and RCPT */
		s->deadline = mp_now_ms() + s->srv->timeout_ms;
		return auth_failed(s, &f, false);
	case SA_FAIL_CLOSE:
		return auth_failed(s, &f, true);
	default:
		return internal_error(s);
	}

	if (session_connect_backend(s) == -1)
		return internal_error(s);
	b.cap = s->srv->proxy_buffer;
	b.len = 0;
	b.p = malloc(b.cap);
	if (b.p == NULL) {
		log_msg(MP_LOG_ALERT, "out of memory");
		explicit_bzero(s->pass, s->credcap);
		return internal_error(s);
	}
	if (backend_tls_start(s, &b) == -1) {
		explicit_bzero(s->pass, s->credcap);
		free(b.p);
		return internal_error(s);
	}
	rc = s->fe->backend_login(s, &b);
	explicit_bzero(s->pass, s->credcap);
	if (rc == BACKEND_OK) {
		relay(s, &b, pending, npending);
		free(b.p);
		return NEXT_CLOSE;
	}
	pass = rc == BACKEND_REJECTED && s->srv->proxy_pass_error_message;
	backend_log_result(rc, &b, pass);
	if (pass)
		(void)session_reply(s, b.p, b.len);
	else
		(void)session_say(s, s->proto->internal_error);
	free(b.p);
	return NEXT_CLOSE;
}
