/* smtp_login.c: the end of the SMTP dialogue: the auth request, the
 * backend login (XCLIENT, HELO/EHLO, AUTH or the envelope) and the hand-off
 * to the relay with whatever the client sent behind its last line. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "smtp_backend.h"
#include "smtp_int.h"

static int
login_failed(struct session *s, const struct auth_failure *f)
{
	return session_reply3(s, f->code, f->codelen, " ", 1, f->text, f->textlen) == 0 &&
	    session_reply(s, "\r\n", 2) == 0;
}

static int
backend_login(struct smtp *sm, struct backend_buf *b)
{
	struct session *s = sm->s;
	const struct mp_server *srv = s->srv;
	struct smtp_backend sb;
	enum backend_result rc;
	bool no_password;

	memset(&sb, 0, sizeof sb);
	sb.server_name = srv->server_name;
	sb.xclient = srv->xclient;
	sb.smtp_auth = srv->proxy_smtp_auth;
	sb.none = strcmp(s->method, "none") == 0;
	sb.esmtp = s->esmtp;
	sb.addr = s->conn->peer_ip;
	sb.ipv6 = s->conn->peer.ss_family == AF_INET6;
	sb.host = s->client_host;
	sb.helo = s->smtp_helo;
	sb.helolen = s->smtp_helolen;
	sb.from = s->smtp_from;
	sb.fromlen = s->smtp_fromlen;
	sb.to = s->smtp_to;
	sb.tolen = s->smtp_tolen;
	sb.login = s->login;
	sb.loginlen = s->loginlen;
	sb.pass = s->pass;
	sb.passlen = s->passlen;
	sb.have_pass = s->have_pass;
	sb.scratchcap = smtp_backend_scratch_size(&sb);
	sb.scratch = malloc(sb.scratchcap);
	if (sb.scratch == NULL || smtp_backend_init(&sb) == -1) {
		log_msg(MP_LOG_ALERT, "backend login could not start");
		free(sb.scratch);
		return -1;
	}
	rc = smtp_backend_login(s->bfd, &sb, b, s->deadline, &no_password);
	free(sb.scratch);
	explicit_bzero(s->pass, s->credcap);
	if (rc == BACKEND_OK) {
		log_set_action(NULL);
		log_msg(MP_LOG_INFO, "client logged in");
		/* with smtp_auth none the backend's RCPT reply answers the client's RCPT */
		if (sb.none)
			return session_reply(s, b->p, b->len) == 0 ? 1 : 0;
		return REPLY(s, smtp_auth_ok) == 0 ? 1 : 0;
	}
	if (no_password) {
		log_msg(MP_LOG_ERR, "no password available");
		return -1;
	}
	backend_log_result(rc, b, rc == BACKEND_REJECTED && srv->proxy_pass_error_message);
	if (rc == BACKEND_REJECTED && srv->proxy_pass_error_message) {
		(void)session_reply(s, b->p, b->len);
		return 0;
	}
	return -1;
}

/* Everything after the authenticating line goes to the backend. */
int
smtp_authenticate_and_relay(struct smtp *sm)
{
	struct session *s = sm->s;
	struct auth_failure f;
	struct backend_buf b;
	int r;

	switch (session_auth(s, "smtp", &f)) {
	case SA_OK:
		break;
	case SA_FAIL:
		/* nginx keeps HELO, MAIL and RCPT for the next attempt */
		sm->state = SMTP_START;
		s->deadline = mp_now_ms() + s->srv->timeout_ms;
		return login_failed(s, &f) ? 1 : 0;
	case SA_FAIL_CLOSE:
		(void)login_failed(s, &f);
		return 0;
	default:
		(void)REPLY(s, smtp_internal_error);
		return 0;
	}

	if (session_connect_backend(s) == -1) {
		(void)REPLY(s, smtp_internal_error);
		return 0;
	}
	b.cap = s->srv->proxy_buffer;
	b.len = 0;
	b.p = malloc(b.cap);
	if (b.p == NULL) {
		log_msg(MP_LOG_ALERT, "out of memory");
		(void)REPLY(s, smtp_internal_error);
		return 0;
	}
	r = backend_login(sm, &b);
	if (r == -1)
		(void)REPLY(s, smtp_internal_error);
	if (r == 1)
		(void)session_exec_relay(s, s->buf, s->len);
	free(b.p);
	return 0;
}
