/* smtp.c: the SMTP pre-authentication dialogue (nginx's smtp handler):
 * client host, greeting delay, greeting, the command loop and its state
 * machine (commands, or SASL response lines after AUTH), STARTTLS, RSET,
 * NOOP, QUIT, and the session's buffers. HELO/EHLO, MAIL and RCPT are in
 * smtp_envelope.c, AUTH in smtp_auth.c, the auth request, backend login and
 * relay hand-off in smtp_login.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "io.h"
#include "log.h"
#include "log_debug.h"
#include "resolver.h"
#include "smtp.h"
#include "smtp_int.h"

int
smtp_invalid(struct smtp *sm)
{
	sm->state = SMTP_START;
	return REPLY(sm->s, smtp_invalid_command) == 0;
}

/* Client-Host and XCLIENT NAME: the forward-confirmed reverse DNS name of
 * the client, or nginx's [UNAVAILABLE] / [TEMPUNAVAIL]; only SMTP asks. */
static void
client_host(struct session *s)
{
	(void)resolver_client_host(s->srv, (const struct sockaddr *)&s->conn->peer,
	    s->client_host, sizeof s->client_host);
}

/* STARTTLS (RFC 3207; CVE-2014-3556): forget HELO, MAIL and RCPT, drop
 * every byte buffered behind the command, reply, hand the socket to the
 * TLS process, and go on without a new greeting. */
static int
tls_ehlo(struct smtp *sm)
{
	free(sm->ehlo);
	sm->ehlo = smtp_ehlo_list(sm->s, &sm->ehlolen);
	return sm->ehlo != NULL ? 0 : -1;
}

static int
starttls(struct smtp *sm)
{
	struct session *s = sm->s;

	if (s->tls || s->srv->ssl.starttls == MP_STARTTLS_OFF)
		return smtp_invalid(sm);
	/* the strings too: the auth request reads them as C strings */
	s->smtp_helolen = 0;
	s->smtp_helo[0] = '\0';
	smtp_forget_envelope(s);
	s->len = 0;
	if (REPLY(s, "220 2.0.0 Start TLS\r\n") == -1 ||
	    session_tls(s, smtp_cert_missing, smtp_cert_error) == -1 || tls_ehlo(sm) == -1)
		return 0;
	return 1;
}

/* A complete command line of USED bytes at the start of the buffer. */
static int
command(struct smtp *sm, size_t used)
{
	struct session *s = sm->s;

	switch (sm->p.cmd) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
		return smtp_helo(sm);
	case SMTP_CMD_AUTH:
		return smtp_auth_start(sm);
	case SMTP_CMD_QUIT:
		(void)REPLY(s, smtp_bye);
		return 0;
	case SMTP_CMD_MAIL:
		return smtp_mail(sm, used);
	case SMTP_CMD_RCPT:
		return smtp_rcpt(sm);
	case SMTP_CMD_RSET:
		smtp_forget_envelope(s);
		return REPLY(s, smtp_ok) == 0;
	case SMTP_CMD_NOOP:
		return REPLY(s, smtp_ok) == 0;
	case SMTP_CMD_STARTTLS:
		return starttls(sm);
	default:
		/* VRFY, EXPN, HELP: known to the parser, not counted as errors */
		return smtp_invalid(sm);
	}
}

static int
too_long(struct smtp *sm)
{
	log_msg(MP_LOG_INFO, "client sent too long command");
	(void)REPLY(sm->s, smtp_invalid_command);
	return 0;
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
	(void)REPLY(s, smtp_invalid_pipelining);
	return 0;
}

static int
setup(struct smtp *sm, struct session *s)
{
	size_t cap = s->srv->smtp_client_buffer;

	memset(sm, 0, sizeof *sm);
	sm->s = s;
	s->cap = cap;
	/* credentials also hold what the auth server may send back (1 KiB) */
	s->credcap = cap > 1100 ? cap : 1100;
	s->buf = malloc(cap);
	s->login = malloc(s->credcap);
	s->pass = malloc(s->credcap);
	sm->dec = malloc(s->credcap);
	s->smtp_helo = malloc(cap + 1);
	s->smtp_from = malloc(cap + 1);
	s->smtp_to = malloc(cap + 1);
	sm->ehlo = smtp_ehlo_list(s, &sm->ehlolen);
	if (s->buf == NULL || s->login == NULL || s->pass == NULL || sm->dec == NULL ||
	    s->smtp_helo == NULL || s->smtp_from == NULL || s->smtp_to == NULL || sm->ehlo == NULL) {
		log_msg(MP_LOG_ALERT, "out of memory");
		return -1;
	}
	s->smtp_helo[0] = '\0';
	s->smtp_helolen = 0;
	smtp_forget_envelope(s);
	smtp_parser_init(&sm->p);
	return 0;
}

/* Everything setup() allocated; the credentials are wiped first. */
static void
teardown(struct smtp *sm, struct session *s)
{
	if (s->login != NULL)
		explicit_bzero(s->login, s->credcap);
	if (s->pass != NULL)
		explicit_bzero(s->pass, s->credcap);
	if (sm->dec != NULL)
		explicit_bzero(sm->dec, s->credcap);
	free(s->buf);
	free(s->login);
	free(s->pass);
	free(sm->dec);
	free(s->smtp_helo);
	free(s->smtp_from);
	free(s->smtp_to);
	free(sm->ehlo);
	s->buf = s->login = s->pass = s->smtp_helo = s->smtp_from = s->smtp_to = NULL;
	s->len = 0;
}

static int serve(struct smtp *sm, struct session *s);

int
smtp_serve(struct session *s)
{
	struct smtp sm;
	int rc;

	if (setup(&sm, s) == -1) {
		teardown(&sm, s);
		return 1;
	}
	rc = serve(&sm, s);
	teardown(&sm, s);
	return rc;
}

static int
serve(struct smtp *sm, struct session *s)
{
	if (s->ls->ssl && (session_tls(s, smtp_cert_missing, smtp_cert_error) == -1 ||
	    tls_ehlo(sm) == -1))
		return 0;
	client_host(s);
	if (!greeting_delay(s))
		return 0;
	if (session_reply3(s, "220 ", 4, s->srv->server_name, strlen(s->srv->server_name),
	    " ESMTP ready\r\n", 14) == -1)
		return 0;
	s->deadline = mp_now_ms() + s->srv->timeout_ms;

	for (;;) {
		struct mail_arg args[MAIL_LINE_MAXARGS];
		unsigned nargs = 0;
		size_t used = 0;
		int rc, r;

		if (sm->state == SMTP_START) {
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
			r = session_fill(s);
			if (r == 0)
				return 0;
			if (r == -1)
				return too_long(sm);
			continue;
		case SMTP_INVALID:
			s->errors++;
			r = smtp_invalid(sm);
			session_consume(s, used);
			smtp_parser_init(&sm->p);
			session_forget_credentials(s, sm->dec);
			if (!r)
				return 0;
			if (s->errors >= s->srv->max_errors) {
				log_msg(MP_LOG_INFO, "client sent too many invalid commands");
				return 0;
			}
			continue;
		default:
			break;
		}

		log_debug_smtp(sm->state == SMTP_START ? &sm->p : NULL);
		if (sm->state == SMTP_START)
			r = command(sm, used);
		else
			r = smtp_auth_step(sm, &args[0]);
		/* the line is spent: what follows it stays for the next round or
		 * goes to the backend */
		session_consume(s, used);
		smtp_parser_init(&sm->p);
		if (r == 2)
			r = smtp_authenticate_and_relay(sm);
		if (r == 0)
			return 0;
		/* credentials live only inside an AUTH exchange: back at the
		 * command level, an exchange ended without a login */
		if (sm->state == SMTP_START)
			session_forget_credentials(s, sm->dec);
	}
}
