/* pop3_login.c: the end of the POP3 dialogue: the auth request, the
 * backend login (USER and PASS, whatever the client's method) and the
 * hand-off to the relay. */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "pop3_backend.h"
#include "pop3_int.h"

static enum pop3_next
auth_failed(struct session *s, const struct auth_failure *f)
{
	char line[sizeof f->text + 8];
	size_t n = 5;

	memcpy(line, "-ERR ", 5);
	memcpy(line + n, f->text, f->textlen);
	n += f->textlen;
	memcpy(line + n, "\r\n", 2);
	n += 2;
	return session_reply(s, line, n) == 0 ? NEXT_READ : NEXT_CLOSE;
}

/* Authenticate; on success log in to the backend and exec the relay with
 * PENDING, the bytes the client sent behind its login. */
enum pop3_next
pop3_authenticate_and_relay(struct pop3 *pp, const char *pending, size_t npending)
{
	struct session *s = pp->s;
	struct auth_failure f;
	struct pop3_backend pb;
	struct backend_buf b;
	enum backend_result rc;

	switch (session_auth(s, "pop3", &f)) {
	case SA_OK:
		break;
	case SA_FAIL:
		pp->state = POP3_START;
		s->deadline = mp_now_ms() + s->srv->timeout_ms;
		return auth_failed(s, &f);	/* the session goes on */
	case SA_FAIL_CLOSE:
		(void)auth_failed(s, &f);
		return NEXT_CLOSE;
	default:
		(void)session_reply(s, pop3_internal_error, sizeof pop3_internal_error - 1);
		return NEXT_CLOSE;
	}

	if (session_connect_backend(s) == -1) {
		(void)session_reply(s, pop3_internal_error, sizeof pop3_internal_error - 1);
		return NEXT_CLOSE;
	}
	b.cap = s->srv->proxy_buffer;
	b.len = 0;
	b.p = malloc(b.cap);
	if (b.p == NULL || pop3_backend_init(&pb, s->login, s->loginlen, s->pass, s->passlen) == -1) {
		log_msg(MP_LOG_ERR, "%s", b.p == NULL ? "out of memory" :
		    "login or password with CR or LF cannot be sent to a POP3 backend");
		free(b.p);
		explicit_bzero(s->pass, s->credcap);
		(void)session_reply(s, pop3_internal_error, sizeof pop3_internal_error - 1);
		return NEXT_CLOSE;
	}
	rc = pop3_backend_login(s->bfd, &pb, &b, s->deadline);
	explicit_bzero(s->pass, s->credcap);
	if (rc == BACKEND_OK) {
		log_set_action(NULL);
		log_msg(MP_LOG_INFO, "client logged in");
		if (session_reply(s, b.p, b.len) == 0)
			(void)session_exec_relay(s, pending, npending);
		free(b.p);
		return NEXT_CLOSE;
	}
	backend_log_result(rc, &b, rc == BACKEND_REJECTED && s->srv->proxy_pass_error_message);
	if (rc == BACKEND_REJECTED && s->srv->proxy_pass_error_message)
		(void)session_reply(s, b.p, b.len);
	else
		(void)session_reply(s, pop3_internal_error, sizeof pop3_internal_error - 1);
	free(b.p);
	return NEXT_CLOSE;
}
