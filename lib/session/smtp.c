/* SPDX-License-Identifier: ISC */
/* smtp.c: the SMTP pre-authentication dialogue (nginx's smtp handler):
 * client host, greeting delay, greeting, the command loop (commands, or
 * SASL response lines after AUTH: sasl_session.c), STARTTLS, RSET, NOOP,
 * QUIT, and the envelope's buffers. HELO/EHLO, MAIL and RCPT are in
 * smtp_envelope.c, the backend login in smtp_login.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "frontend.h"
#include "io.h"
#include "log.h"
#include "log_debug.h"
#include "resolver.h"
#include "smtp_int.h"

/* Client-Host and XCLIENT NAME: the forward-confirmed reverse DNS name of
 * the client, or nginx's [UNAVAILABLE] / [TEMPUNAVAIL]; only SMTP asks. */
static void
client_host(struct session *s)
{
	(void)resolver_client_host(s->srv, (const struct sockaddr *)&s->conn->peer,
	    s->client_host, sizeof s->client_host);
}

/* After TLS the EHLO reply changes (STARTTLS, AUTH with starttls only). */
static int
tls_ehlo(struct smtp *sm)
{
	free(sm->ehlo);
	sm->ehlo = smtp_ehlo_list(sm->s, &sm->ehlolen);
	return sm->ehlo != NULL ? 0 : -1;
}

/* STARTTLS (RFC 3207; CVE-2014-3556): forget HELO, MAIL and RCPT, drop
 * every byte buffered behind the command, reply, hand the socket to the
 * TLS process, and go on without a new greeting. */
static enum session_next
starttls(struct smtp *sm)
{
	struct session *s = sm->s;

	if (s->tls || s->srv->ssl.starttls == MP_STARTTLS_OFF)
		return session_invalid(s);
	/* the strings too: the auth request reads them as C strings */
	s->smtp_helolen = 0;
	s->smtp_helo[0] = '\0';
	smtp_forget_envelope(s);
	s->len = 0;
	if (session_say(s, "220 2.0.0 Start TLS\r\n") == NEXT_CLOSE ||
	    session_tls(s) == -1 || tls_ehlo(sm) == -1)
		return NEXT_CLOSE;
	return NEXT_READ;
}

/* AUTH mech [initial-response] */
static enum session_next
auth(struct smtp *sm)
{
	struct session *s = sm->s;
	const struct smtp_parser *p = &sm->p;

	if (p->nargs == 0 && session_login_allowed(s))
		return session_say(s, smtp_invalid_argument);
	return sasl_session_start(s, p->args[0].p, p->args[0].len, p->nargs,
	    p->nargs > 1 ? p->args[1].p : NULL, p->nargs > 1 ? p->args[1].len : 0);
}

/* A complete command line of USED bytes at the start of the buffer. */
static enum session_next
command(struct smtp *sm, size_t used)
{
	struct session *s = sm->s;

	switch (sm->p.cmd) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
		return smtp_helo(sm);
	case SMTP_CMD_AUTH:
		return auth(sm);
	case SMTP_CMD_QUIT:
		return session_bye(s, smtp_bye);
	case SMTP_CMD_MAIL:
		return smtp_mail(sm, used);
	case SMTP_CMD_RCPT:
		return smtp_rcpt(sm);
	case SMTP_CMD_RSET:
		smtp_forget_envelope(s);
		return session_say(s, smtp_ok);
	case SMTP_CMD_NOOP:
		return session_say(s, smtp_ok);
	case SMTP_CMD_STARTTLS:
		return starttls(sm);
	default:
		/* VRFY, EXPN, HELP: known to the parser, not counted as errors */
		return session_invalid(s);
	}
}

/* smtp_greeting_delay: a client that talks first is a spammer's
 * pipelining engine. 1 greet, 0 close. */
static int
greeting_delay(struct session *s)
{
	int64_t delay = s->srv->smtp_greeting_delay_ms;
	ssize_t n;
	int w;

	if (delay <= 0)
		return 1;
	w = io_wait_readable(s->cfd, mp_now_ms() + delay);
	if (w == 0)
		return 1;
	if (w == -1) {
		log_msg(MP_LOG_INFO, "client read failed: %s", strerror(errno));
		return 0;
	}
	n = io_read(s->cfd, s->buf, s->cap, mp_now_ms() + s->srv->timeout_ms);
	if (n <= 0) {
		log_msg(MP_LOG_INFO, "client closed connection");
		return 0;
	}
	smtp_log_rejected(" before greeting", s->buf, (size_t)n);
	(void)session_say(s, smtp_invalid_pipelining);
	return 0;
}

static int
setup(struct smtp *sm, struct session *s)
{
	size_t cap = s->cap;

	memset(sm, 0, sizeof *sm);
	sm->s = s;
	s->smtp_helo = malloc(cap + 1);
	s->smtp_from = malloc(cap + 1);
	s->smtp_to = malloc(cap + 1);
	sm->ehlo = smtp_ehlo_list(s, &sm->ehlolen);
	if (s->smtp_helo == NULL || s->smtp_from == NULL || s->smtp_to == NULL || sm->ehlo == NULL) {
		log_msg(MP_LOG_ALERT, "out of memory");
		return -1;
	}
	s->smtp_helo[0] = '\0';
	s->smtp_helolen = 0;
	smtp_forget_envelope(s);
	smtp_parser_init(&sm->p);
	return 0;
}

/* Everything setup() allocated. */
static void
teardown(struct smtp *sm, struct session *s)
{
	free(s->smtp_helo);
	free(s->smtp_from);
	free(s->smtp_to);
	free(sm->ehlo);
	s->smtp_helo = s->smtp_from = s->smtp_to = NULL;
}

static int serve(struct smtp *sm, struct session *s);

int
smtp_run(struct session *s)
{
	struct smtp sm;
	int rc = 1;

	if (setup(&sm, s) == 0)
		rc = serve(&sm, s);
	teardown(&sm, s);
	return rc;
}

static int
serve(struct smtp *sm, struct session *s)
{
	const char *name = s->srv->server_name;

	if (session_start(s) == -1 || (s->tls && tls_ehlo(sm) == -1))
		return 0;
	client_host(s);
	if (!greeting_delay(s))
		return 0;
	/* server_name has no bound here: the greeting may take three writes */
	if (session_reply3(s, "220 ", 4, name, strlen(name), " ESMTP ready\r\n", 14) == -1)
		return 0;
	s->deadline = mp_now_ms() + s->srv->timeout_ms;

	for (;;) {
		struct mail_arg args[MAIL_LINE_MAXARGS];
		enum session_next next;
		unsigned nargs = 0;
		size_t used = 0;
		int rc;

		if (s->sasl == SASL_IDLE) {
			rc = smtp_parse(&sm->p, s->buf, s->len, &used);
		} else {
			switch (mail_parse_authline(s->buf, s->len, &used, args, SMTP_MAX_ARGS,
			    &nargs)) {
			case MAIL_LINE_DONE:
				rc = SMTP_DONE;
				break;
			case MAIL_LINE_INVALID:
				rc = SMTP_INVALID;
				break;
			default:
				rc = SMTP_AGAIN;
				break;
			}
		}
		switch (rc) {
		case SMTP_AGAIN:
			if (session_read(s) == NEXT_CLOSE)
				return 0;
			continue;
		case SMTP_INVALID:
			next = session_error(s);
			session_consume(s, used);
			smtp_parser_init(&sm->p);
			session_forget_credentials(s);
			if (next == NEXT_CLOSE)
				return 0;
			continue;
		default:
			break;
		}

		log_debug_smtp(s->sasl == SASL_IDLE ? &sm->p : NULL);
		if (s->sasl == SASL_IDLE)
			next = command(sm, used);
		else
			next = sasl_session_step(s, args[0].p, args[0].len);
		/* the line is spent: what follows it stays for the next round or
		 * goes to the backend */
		session_consume(s, used);
		smtp_parser_init(&sm->p);
		if (session_settle(s, next, s->buf, s->len, false) == NEXT_CLOSE)
			return 0;
	}
}
