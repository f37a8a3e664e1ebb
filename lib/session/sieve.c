/* SPDX-License-Identifier: ISC */
/* sieve.c: the ManageSieve pre-authentication dialogue (RFC 5804; nginx has
 * none, so the replies are Dovecot's managesieve-login's): the greeting,
 * CAPABILITY and STARTTLS with the capability lines of sieve_out.c, NOOP
 * with its echo tag, LOGOUT, AUTHENTICATE with the shared SASL driver
 * (sasl_session.c) and "*" to cancel, and the backend login of
 * sieve_backend.c. A reply that closes the connection is
 * BYE, as RFC 5804 asks (doc/wire.md#sieve-commands). */
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "log.h"
#include "log_debug.h"
#include "sieve_backend.h"
#include "sieve_int.h"
#include "sieve_parse.h"

static const char greeting_ok[] = "OK \"ManageSieve ready.\"\r\n";
static const char too_long[] = "BYE \"Line too long.\"\r\n";
static const char too_many[] = "BYE \"Too many invalid commands.\"\r\n";

static int
greet(struct session *s)
{
	struct sieve_out o = { .s = s };

	sieve_capabilities(&o, greeting_ok);
	if (o.err == 0 && session_greet(s, o.b, o.n) == 0)
		return 0;
	return -1;
}

static enum session_next
capability(struct session *s)
{
	struct sieve_out o = { .s = s };

	sieve_capabilities(&o, "OK \"Capability completed.\"\r\n");
	return sieve_end(&o);
}

/* NOOP [tag]: the tag comes back in a TAG response code (RFC 5804 2.11) */
static enum session_next
noop(struct session *s, const struct sieve_parser *p)
{
	struct sieve_out o = { .s = s };

	if (p->nargs == 0)
		return session_say(s, "OK \"NOOP completed.\"\r\n");
	if (p->nargs != 1 || !p->args[0].string)
		return session_invalid(s);
	sieve_puts(&o, "OK (TAG ");
	sieve_put_string(&o, p->args[0].p, p->args[0].len);
	sieve_puts(&o, ") \"Done\"\r\n");
	return sieve_end(&o);
}

/* As IMAP's and POP3's: the bytes behind STARTTLS are dropped unread
 * (CVE-2014-3556); after the handshake the capabilities again (RFC 5804 2.2) */
static enum session_next
starttls(struct session *s)
{
	struct sieve_out o = { .s = s };

	if (s->tls || s->srv->ssl.starttls == MP_STARTTLS_OFF)
		return session_invalid(s);
	s->len = 0;
	if (session_say(s, "OK \"Begin TLS negotiation now.\"\r\n") == NEXT_CLOSE ||
	    session_tls(s) == -1)
		return NEXT_CLOSE;
	sieve_capabilities(&o, "OK \"TLS negotiation successful.\"\r\n");
	return sieve_end(&o);
}

/* AUTHENTICATE mechanism [initial-response]: both strings (RFC 5804 2.1) */
static enum session_next
authenticate(struct session *s, const struct sieve_parser *p)
{
	const struct sieve_arg *a = p->args;

	if (p->nargs == 0 || p->nargs > 2 || !a[0].string || (p->nargs == 2 && !a[1].string))
		return session_invalid(s);
	/* unlike nginx's IMAP, a mechanism that is not advertised is refused */
	if (session_login_allowed(s) &&
	    !(sasl_mechanism(a[0].p, a[0].len) & s->proto->auth_methods(s->srv)))
		return session_say(s, "NO \"Unsupported authentication mechanism.\"\r\n");
	return sasl_session_start(s, a[0].p, a[0].len, p->nargs,
	    p->nargs == 2 ? a[1].p : NULL, p->nargs == 2 ? a[1].len : 0);
}

/* Parser errors and unknown commands count towards max_errors; the last
 * one is answered with BYE */
static enum session_next
error(struct session *s)
{
	if (++s->errors >= s->srv->max_errors) {
		log_msg(MP_LOG_INFO, "client sent too many invalid commands");
		return session_bye(s, too_many);
	}
	return session_invalid(s);
}

static enum session_next
command(struct session *s, const struct sieve_parser *p)
{
	switch (p->cmd) {
	case SIEVE_CMD_CAPABILITY:
		return p->nargs == 0 ? capability(s) : session_invalid(s);
	case SIEVE_CMD_NOOP:
		return noop(s, p);
	case SIEVE_CMD_LOGOUT:
		if (p->nargs != 0)
			return session_invalid(s);
		return session_bye(s, "OK \"Logout completed.\"\r\n");
	case SIEVE_CMD_STARTTLS:
		return p->nargs == 0 ? starttls(s) : session_invalid(s);
	case SIEVE_CMD_AUTHENTICATE:
		return authenticate(s, p);
	default:
		return error(s);
	}
}

/* A line of the SASL exchange: one string; "*" cancels (RFC 5804 2.1) */
static enum session_next
response(struct session *s, const struct sieve_parser *p)
{
	const struct sieve_arg *a = p->args;

	if (p->nargs != 1 || !a[0].string)
		return session_invalid(s);
	if (a[0].len == 1 && a[0].p[0] == '*') {
		s->sasl = SASL_IDLE;
		log_msg(MP_LOG_INFO, "client cancelled the authentication");
		return session_say(s, "NO \"Authentication cancelled.\"\r\n");
	}
	return sasl_session_step(s, a[0].p, a[0].len);
}

int
sieve_run(struct session *s)
{
	struct sieve_parser p;

	sieve_parser_init(&p, s->cap);
	if (session_start(s) == -1 || greet(s) == -1)
		return 0;
	for (;;) {
		enum session_next next;
		size_t used = 0;
		int rc = sieve_parse(&p, s->buf, s->len, &used), r;

		switch (rc) {
		case SIEVE_AGAIN:
			r = session_fill(s);
			if (r == -1) {
				log_msg(MP_LOG_INFO, "client sent too long command");
				(void)session_bye(s, too_long);
			}
			if (r != 1)
				return 0;
			continue;
		case SIEVE_INVALID_CLOSE:
			/* a literal that is too long, or behind a bad line */
			log_msg(MP_LOG_INFO, "client sent invalid literal");
			(void)session_bye(s, "BYE \"Invalid or too long literal.\"\r\n");
			return 0;
		case SIEVE_INVALID:
			next = error(s);
			break;
		default:
			log_debug_sieve(&p, s->sasl != SASL_IDLE);
			next = s->sasl == SASL_IDLE ? command(s, &p) : response(s, &p);
			break;
		}
		session_consume(s, used);
		/* everything after the authenticating line goes to the backend */
		if (session_settle(s, next, s->buf, s->len, false) == NEXT_CLOSE)
			return 0;
		if (s->sasl == SASL_IDLE)
			sieve_parser_init(&p, s->cap);
		else
			sieve_parser_sasl(&p, s->cap);
	}
}

/* NO and the auth server's text as a string (it may hold '"' or any byte) */
enum session_next
sieve_auth_failed(struct session *s, const char *text, size_t len)
{
	struct sieve_out o = { .s = s };

	sieve_puts(&o, "NO ");
	sieve_put_string(&o, text, len);
	sieve_puts(&o, "\r\n");
	return sieve_end(&o);
}

enum backend_result
sieve_login(struct session *s, struct backend_buf *b)
{
	size_t cap = sieve_backend_worksize(s->loginlen, s->passlen);
	struct sieve_backend sb;
	enum backend_result r;
	char *work = malloc(cap);
	int own = 0;

	if (work == NULL) {
		log_msg(MP_LOG_ALERT, "out of memory");
		return BACKEND_ABORTED;
	}
	if (sieve_backend_init(&sb, s->login, s->loginlen, s->pass, s->passlen, work, cap) == -1) {
		log_msg(MP_LOG_ERR, "login or password with NUL cannot be sent to a "
		    "ManageSieve backend");
		r = BACKEND_ABORTED;
	} else {
		r = sieve_backend_login(s->bfd, &sb, b, s->deadline, &own);
		if (r == BACKEND_INVALID && own == SIEVE_BK_NO_PLAIN) {
			log_msg(MP_LOG_ERR, "upstream does not offer SASL PLAIN");
			r = BACKEND_ABORTED;
		}
	}
	explicit_bzero(work, cap);
	free(work);
	return r;
}
