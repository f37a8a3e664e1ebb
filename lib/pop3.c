/* pop3.c: the POP3 pre-authentication dialogue (nginx's pop3 handler):
 * greeting (with the APOP salt), the command loop and its state machine
 * (start, user, SASL steps), NOOP, QUIT, STLS, USER/PASS and APOP, and the
 * session's buffers. CAPA and the AUTH list are in pop3_capa.c, AUTH in
 * pop3_auth.c, the auth request, backend login and relay hand-off in
 * pop3_login.c.
 *
 * The command buffer is nginx's: 128 bytes, never compacted while it still
 * holds unprocessed bytes, emptied only when drained. So whether a
 * pipelined command is "too long" depends on what came before it in the
 * same buffer, exactly as in nginx. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "log_debug.h"
#include "pop3.h"
#include "pop3_int.h"
#include "sasl.h"

enum pop3_next
pop3_reply(struct pop3 *pp, const char *text, size_t n)
{
	return session_reply(pp->s, text, n) == 0 ? NEXT_READ : NEXT_CLOSE;
}

enum pop3_next
pop3_invalid(struct pop3 *pp)
{
	pp->state = POP3_START;
	return pop3_reply(pp, pop3_invalid_command, sizeof pop3_invalid_command - 1);
}

/* STLS on a plain connection with starttls on|only: everything buffered
 * behind the command is dropped (plaintext injection, CVE-2014-3556), then
 * "+OK", the handshake, and the start state again without a new greeting. */
static enum pop3_next
stls(struct pop3 *pp)
{
	struct session *s = pp->s;

	if (s->tls || s->srv->ssl.starttls == MP_STARTTLS_OFF)
		return pop3_invalid(pp);
	s->len = 0;
	if (pop3_reply(pp, pop3_ok, sizeof pop3_ok - 1) == NEXT_CLOSE ||
	    session_tls(s, pop3_cert_missing, pop3_cert_error) == -1)
		return NEXT_CLOSE;
	/* nginx arms `timeout` afresh for the handshake and keeps that timer */
	s->deadline = mp_now_ms() + s->srv->timeout_ms;
	return NEXT_READ;
}

/* A complete command line in the start or user state. */
static enum pop3_next
command(struct pop3 *pp)
{
	struct session *s = pp->s;
	const struct pop3_parser *p = &pp->p;

	if (pp->state == POP3_USER) {
		switch (p->cmd) {
		case POP3_CMD_PASS:
			if (p->nargs != 1)
				return pop3_invalid(pp);
			session_set_pass(s, p->args[0].p, p->args[0].len);
			s->method = "plain";
			pp->state = POP3_START;
			return NEXT_AUTH;
		case POP3_CMD_CAPA:
			return pop3_capa(pp, false);
		case POP3_CMD_QUIT:
			(void)pop3_reply(pp, pop3_ok, sizeof pop3_ok - 1);
			return NEXT_CLOSE;
		case POP3_CMD_NOOP:
			return pop3_reply(pp, pop3_ok, sizeof pop3_ok - 1);
		default:
			return pop3_invalid(pp);	/* USER must be sent again */
		}
	}

	switch (p->cmd) {
	case POP3_CMD_USER:
		if (!session_login_allowed(s) || p->nargs != 1)
			return pop3_invalid(pp);
		session_set_login(s, p->args[0].p, p->args[0].len);
		pp->state = POP3_USER;
		return pop3_reply(pp, pop3_ok, sizeof pop3_ok - 1);
	case POP3_CMD_CAPA:
		return pop3_capa(pp, true);
	case POP3_CMD_APOP:
		if (!session_login_allowed(s) || p->nargs != 2 || !(s->srv->pop3_auth & MP_AUTH_APOP))
			return pop3_invalid(pp);
		session_set_login(s, p->args[0].p, p->args[0].len);
		session_set_pass(s, p->args[1].p, p->args[1].len);	/* the digest */
		s->method = "apop";
		return NEXT_AUTH;
	case POP3_CMD_AUTH:
		return pop3_auth_start(pp, p->args, p->nargs);
	case POP3_CMD_QUIT:
		(void)pop3_reply(pp, pop3_ok, sizeof pop3_ok - 1);
		return NEXT_CLOSE;
	case POP3_CMD_NOOP:
		return pop3_reply(pp, pop3_ok, sizeof pop3_ok - 1);
	case POP3_CMD_STLS:
		return stls(pp);
	default:
		return pop3_invalid(pp);	/* PASS before USER */
	}
}

static int
setup(struct pop3 *pp, struct session *s)
{
	memset(pp, 0, sizeof *pp);
	pp->s = s;
	s->cap = POP3_BUFFER;
	s->len = 0;
	/* credentials also hold what the auth server may send back (1 KiB) */
	s->credcap = 1100;
	s->buf = malloc(s->cap);
	s->login = malloc(s->credcap);
	s->pass = malloc(s->credcap);
	pp->dec = malloc(s->credcap);
	if (s->buf == NULL || s->login == NULL || s->pass == NULL || pp->dec == NULL) {
		log_msg(MP_LOG_ALERT, "out of memory");
		return -1;
	}
	pop3_parser_init(&pp->p);
	return 0;
}

static int
send_greeting(struct session *s)
{
	char line[sizeof pop3_greeting + sizeof s->salt];
	size_t n = sizeof pop3_greeting - 1;

	memcpy(line, pop3_greeting, n);
	if (s->srv->pop3_auth & (MP_AUTH_APOP | MP_AUTH_CRAM_MD5)) {
		s->saltlen = sasl_salt(s->salt, sizeof s->salt, s->srv->server_name);
		s->salt_greeting = true;
		if (s->saltlen == 0) {
			log_msg(MP_LOG_ERR, "server_name is too long for an APOP salt");
			(void)session_reply(s, pop3_internal_error, sizeof pop3_internal_error - 1);
			return -1;
		}
		/* "+OK POP3 ready <salt>\r\n": the salt brings its own CRLF */
		line[n - 2] = ' ';
		memcpy(line + n - 1, s->salt, s->saltlen);
		n += s->saltlen - 1;
	}
	return session_reply(s, line, n);
}

/* Everything setup() allocated; the credentials are wiped first. */
static void
teardown(struct pop3 *pp, struct session *s)
{
	if (s->login != NULL)
		explicit_bzero(s->login, s->credcap);
	if (s->pass != NULL)
		explicit_bzero(s->pass, s->credcap);
	if (pp->dec != NULL)
		explicit_bzero(pp->dec, s->credcap);
	free(s->buf);
	free(s->login);
	free(s->pass);
	free(pp->dec);
	s->buf = s->login = s->pass = pp->dec = NULL;
	s->len = 0;
}

static int serve(struct pop3 *pp, struct session *s);

int
pop3_serve(struct session *s)
{
	struct pop3 pp;
	int rc;

	if (setup(&pp, s) == -1) {
		teardown(&pp, s);
		return 1;
	}
	rc = serve(&pp, s);
	teardown(&pp, s);
	return rc;
}

static int
serve(struct pop3 *pp, struct session *s)
{
	size_t off = 0;	/* start of the current line in nginx's buffer */

	if (s->ls->ssl && session_tls(s, pop3_cert_missing, pop3_cert_error) == -1)
		return 0;
	if (send_greeting(s) == -1)
		return 0;
	s->deadline = mp_now_ms() + s->srv->timeout_ms;

	for (;;) {
		static const struct pop3_arg empty = { "", 0 };
		enum pop3_next next;
		size_t used = 0;
		int rc, r;

		rc = pop3_parse(&pp->p, s->buf + off, s->len - off, &used);
		if (rc == POP3_AGAIN) {
			r = session_fill(s);
			if (r == 0)
				return 0;
			if (r == -1) {
				log_msg(MP_LOG_INFO, "client sent too long command");
				(void)session_reply(s, pop3_invalid_command, sizeof pop3_invalid_command - 1);
				return 0;
			}
			continue;
		}
		off += used;
		if (rc == POP3_DONE)
			log_debug_pop3(&pp->p, pp->state != POP3_START && pp->state != POP3_USER);
		if (rc == POP3_INVALID) {
			s->errors++;
			next = pop3_invalid(pp);
			if (next != NEXT_CLOSE && s->errors >= s->srv->max_errors) {
				log_msg(MP_LOG_INFO, "client sent too many invalid commands");
				next = NEXT_CLOSE;
			}
		} else if (pp->state == POP3_START || pp->state == POP3_USER) {
			next = command(pp);
		} else {
			next = pop3_auth_step(pp, pp->p.nargs > 0 ? &pp->p.args[0] : &empty);
		}

		/* nginx empties its buffer only once every byte in it is processed
		 * (STLS empties it at once) */
		if (off >= s->len) {
			s->len = 0;
			off = 0;
		}
		if (next == NEXT_AUTH) {
			pp->state = POP3_START;
			next = pop3_authenticate_and_relay(pp, s->buf + off, s->len - off);
		}
		if (next == NEXT_CLOSE)
			return 0;
		/* credentials live only between USER and PASS or inside an AUTH
		 * exchange */
		if (pp->state == POP3_START)
			session_forget_credentials(s, pp->dec);
		if (pp->state == POP3_START || pp->state == POP3_USER)
			pop3_parser_init(&pp->p);
		else
			pop3_parser_sasl(&pp->p);
	}
}
