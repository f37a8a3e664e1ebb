/* SPDX-License-Identifier: ISC */
/* pop3.c: the POP3 pre-authentication dialogue (nginx's pop3 handler):
 * greeting (with the APOP salt), the command loop and its states (start,
 * user; the SASL exchange of AUTH is sasl_session.c's), NOOP, QUIT, STLS,
 * USER/PASS and APOP, and the backend login of pop3_backend.c. CAPA and
 * the AUTH list are in pop3_capa.c.
 *
 * The command buffer is nginx's: 128 bytes, never compacted while it still
 * holds unprocessed bytes, emptied only when drained. So whether a
 * pipelined command is "too long" depends on what came before it in the
 * same buffer, exactly as in nginx. */
#include <stdbool.h>
#include <string.h>

#include "clock.h"
#include "frontend.h"
#include "ident.h"
#include "log.h"
#include "log_debug.h"
#include "pop3_backend.h"
#include "pop3_int.h"
#include "pop3_parse.h"

static const char greeting[] = "+OK POP3 ready\r\n";
static const char ok[] = "+OK\r\n";

/* Between USER and PASS: the state of the dialogue outside SASL. */
struct pop3 {
	struct pop3_parser p;
	bool user;
};

/* STLS on a plain connection with starttls on|only: everything buffered
 * behind the command is dropped (plaintext injection, CVE-2014-3556), then
 * "+OK", the handshake, and the start state again without a new greeting. */
static enum session_next
stls(struct session *s)
{
	if (s->tls || s->srv->ssl.starttls == MP_STARTTLS_OFF)
		return session_invalid(s);
	s->len = 0;
	if (session_say(s, ok) == NEXT_CLOSE || session_tls(s) == -1)
		return NEXT_CLOSE;
	/* nginx arms `timeout` afresh for the handshake and keeps that timer */
	s->deadline = mp_now_ms() + s->srv->timeout_ms;
	return NEXT_READ;
}

/* A complete command line in the user state: PASS, or USER again. */
static enum session_next
user_command(struct session *s, struct pop3 *pp)
{
	const struct pop3_parser *p = &pp->p;

	pp->user = false;
	switch (p->cmd) {
	case POP3_CMD_PASS:
		if (p->nargs != 1)
			return session_invalid(s);
		session_set_pass(s, p->args[0].p, p->args[0].len);
		s->method = METHOD_PLAIN;
		return NEXT_AUTH;
	case POP3_CMD_CAPA:
		pp->user = true;
		return pop3_capa(s, false);
	case POP3_CMD_QUIT:
		return session_bye(s, ok);
	case POP3_CMD_NOOP:
		pp->user = true;
		return session_say(s, ok);
	default:
		return session_invalid(s);	/* USER must be sent again */
	}
}

/* A complete command line in the start state. */
static enum session_next
command(struct session *s, struct pop3 *pp)
{
	const struct pop3_parser *p = &pp->p;

	if (pp->user)
		return user_command(s, pp);
	switch (p->cmd) {
	case POP3_CMD_USER:
		if (!session_login_allowed(s) || p->nargs != 1)
			return session_invalid(s);
		session_set_login(s, p->args[0].p, p->args[0].len);
		pp->user = true;
		return session_say(s, ok);
	case POP3_CMD_CAPA:
		return pop3_capa(s, true);
	case POP3_CMD_APOP:
		if (!session_login_allowed(s) || p->nargs != 2 || !(s->srv->pop3_auth & MP_AUTH_APOP))
			return session_invalid(s);
		session_set_login(s, p->args[0].p, p->args[0].len);
		session_set_pass(s, p->args[1].p, p->args[1].len);	/* the digest */
		s->method = METHOD_APOP;
		return NEXT_AUTH;
	case POP3_CMD_AUTH:
		if (p->nargs == 0 && session_login_allowed(s))
			return pop3_auth_list(s);
		return sasl_session_start(s, p->args[0].p, p->args[0].len, p->nargs,
		    p->nargs > 1 ? p->args[1].p : NULL, p->nargs > 1 ? p->args[1].len : 0);
	case POP3_CMD_QUIT:
		return session_bye(s, ok);
	case POP3_CMD_NOOP:
		return session_say(s, ok);
	case POP3_CMD_STLS:
		return stls(s);
	default:
		return session_invalid(s);	/* PASS before USER */
	}
}

static int
greet(struct session *s)
{
	char line[sizeof greeting + sizeof s->salt];
	size_t n = sizeof greeting - 1;

	memcpy(line, greeting, n);
	if (s->srv->pop3_auth & s->proto->salt_methods) {
		s->saltlen = sasl_salt(s->salt, sizeof s->salt, s->srv->server_name);
		s->salt_greeting = true;
		if (s->saltlen == 0) {
			log_msg(MP_LOG_ERR, "no salt for the APOP greeting");
			(void)session_say(s, s->proto->internal_error);
			return -1;
		}
		/* "+OK POP3 ready <salt>\r\n": the salt brings its own CRLF */
		line[n - 2] = ' ';
		memcpy(line + n - 1, s->salt, s->saltlen);
		n += s->saltlen - 1;
	}
	return session_greet(s, line, n);
}

int
pop3_run(struct session *s)
{
	struct pop3 pp;
	size_t off = 0;	/* start of the current line in nginx's buffer */

	memset(&pp, 0, sizeof pp);
	pop3_parser_init(&pp.p);
	if (session_start(s) == -1 || greet(s) == -1)
		return 0;
	for (;;) {
		enum session_next next;
		size_t used = 0;
		int rc = pop3_parse(&pp.p, s->buf + off, s->len - off, &used);

		if (rc == POP3_AGAIN) {
			if (session_read(s) == NEXT_CLOSE)
				return 0;
			continue;
		}
		off += used;
		if (rc == POP3_DONE)
			log_debug_pop3(&pp.p, s->sasl != SASL_IDLE);
		if (rc == POP3_INVALID) {
			pp.user = false;
			next = session_error(s);
		} else if (s->sasl == SASL_IDLE) {
			next = command(s, &pp);
		} else {
			next = sasl_session_step(s, pp.p.nargs > 0 ? pp.p.args[0].p : "",
			    pp.p.nargs > 0 ? pp.p.args[0].len : 0);
		}

		/* nginx empties its buffer only once every byte in it is processed
		 * (STLS empties it at once) */
		if (off >= s->len) {
			s->len = 0;
			off = 0;
		}
		/* credentials live between USER and PASS too */
		if (session_settle(s, next, s->buf + off, s->len - off, pp.user) == NEXT_CLOSE)
			return 0;
		if (s->sasl == SASL_IDLE)
			pop3_parser_init(&pp.p);
		else
			pop3_parser_sasl(&pp.p);
	}
}

/* With proxy_client_id, XCLIENT with the client's identity (ident.h). */
static int
set_xclient(struct session *s, struct pop3_backend *pb)
{
	char line[IDENT_OUT_MAX];
	size_t n = session_ident(s, ident_xclient, line, sizeof line);

	return n == 0 ? -1 : pop3_backend_set_xclient(pb, line, n);
}

/* USER and PASS, whatever the client's method; the parser let CR or LF
 * into neither, but the auth server's Auth-User and Auth-Pass may carry them */
enum backend_result
pop3_login(struct session *s, struct backend_buf *b)
{
	struct pop3_backend pb;
	enum backend_result r;

	if (pop3_backend_init(&pb, s->login, s->loginlen, s->pass, s->passlen) == -1) {
		log_msg(MP_LOG_ERR, "login or password with CR or LF cannot be sent to a "
		    "POP3 backend");
		return BACKEND_ABORTED;
	}
	if (s->client_id && set_xclient(s, &pb) == -1) {
		log_msg(MP_LOG_ALERT, "backend login could not start");
		return BACKEND_ABORTED;
	}
	r = pop3_backend_login(s->bfd, &pb, b, s->deadline);
	if (r == BACKEND_OK && s->client_id && !pb.xclient_sent)
		log_msg(MP_LOG_WARN, "upstream does not announce XCLIENT: the client's address "
		    "was not passed on");
	if (pb.xclient_refused)
		log_msg(MP_LOG_WARN, "upstream refused XCLIENT: the client's address was not "
		    "passed on");
	return r;
}
