/* imap.c: the IMAP pre-authentication dialogue (nginx's imap handler):
 * greeting, CAPABILITY, NOOP, LOGOUT, LOGIN, AUTHENTICATE, then the auth
 * request, the backend login and the hand-off to the relay. AUTHENTICATE
 * and its SASL steps are in imap_auth.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "imap.h"
#include "imap_backend.h"
#include "imap_int.h"
#include "log.h"
#include "log_debug.h"
#include "session.h"

static const char greeting[] = "* OK IMAP4 ready\r\n";
static const char internal_error[] = "* BAD internal server error\r\n";
static const char cert_missing[] = "* BYE No required SSL certificate\r\n";
static const char cert_error[] = "* BYE SSL certificate error\r\n";

static int
tagged(struct imap *im, const char *text)
{
	return session_reply3(im->s, "", 0, im->tag, im->taglen, text, strlen(text));
}

int
imap_bad(struct imap *im)
{
	return tagged(im, "BAD invalid command\r\n");
}

static int
capability(struct imap *im)
{
	const struct mp_server *srv = im->s->srv;
	int starttls = im->s->tls ? MP_STARTTLS_OFF : srv->ssl.starttls;
	static const struct { unsigned bit; const char *name; } methods[] = {
		{ MP_AUTH_PLAIN, " AUTH=PLAIN" }, { MP_AUTH_LOGIN, " AUTH=LOGIN" },
		{ MP_AUTH_CRAM_MD5, " AUTH=CRAM-MD5" }, { MP_AUTH_EXTERNAL, " AUTH=EXTERNAL" },
	};
	char line[2048];
	size_t n = 0;

#define ADD(str) do { size_t l_ = strlen(str); if (n + l_ < sizeof line) { memcpy(line + n, str, l_); n += l_; } } while (0)
	ADD("* CAPABILITY");
	for (size_t i = 0; i < srv->imap_capabilities.n; i++) {
		ADD(" ");
		ADD(srv->imap_capabilities.v[i]);
	}
	if (starttls == MP_STARTTLS_ONLY) {
		ADD(" STARTTLS LOGINDISABLED");
	} else {
		for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
			if (srv->imap_auth & methods[i].bit)
				ADD(methods[i].name);
		if (starttls == MP_STARTTLS_ON)
			ADD(" STARTTLS");
	}
	ADD("\r\n");
#undef ADD
	return session_reply3(im->s, line, n, im->tag, im->taglen, "OK completed\r\n", 14);
}

static void
set_tag(struct imap *im)
{
	if (im->p.taglen == 0) {
		memcpy(im->tag, "* ", 2);
		im->taglen = 2;
		return;
	}
	im->taglen = im->p.taglen < sizeof im->tag ? im->p.taglen : sizeof im->tag;
	memcpy(im->tag, im->p.tag, im->taglen);
}

/* Everything after the authenticating command goes to the backend. */
static int
authenticate_and_relay(struct imap *im)
{
	struct session *s = im->s;
	struct auth_failure f;
	struct imap_backend ib;
	struct backend_buf b;
	enum backend_result rc;

	switch (session_auth(s, "imap", &f)) {
	case SA_OK:
		break;
	case SA_FAIL:
		im->state = IMAP_START;
		s->deadline = mp_now_ms() + s->srv->timeout_ms;
		if (session_reply3(im->s, im->tag, im->taglen, "NO ", 3, f.text, f.textlen) == -1 ||
		    session_reply(s, "\r\n", 2) == -1)
			return 0;
		return 1;	/* the session goes on */
	case SA_FAIL_CLOSE:
		(void)(session_reply3(im->s, im->tag, im->taglen, "NO ", 3, f.text, f.textlen) == 0 &&
		    session_reply(s, "\r\n", 2) == 0);
		return 0;
	default:
		(void)session_reply(s, internal_error, sizeof internal_error - 1);
		return 0;
	}

	if (session_connect_backend(s) == -1) {
		(void)session_reply(s, internal_error, sizeof internal_error - 1);
		return 0;
	}
	b.cap = s->srv->proxy_buffer;
	b.len = 0;
	b.p = malloc(b.cap);
	if (b.p == NULL || imap_backend_init(&ib, im->tag, im->taglen, s->login, s->loginlen,
	    s->pass, s->passlen) == -1) {
		free(b.p);
		log_msg(MP_LOG_ALERT, "backend login could not start");
		(void)session_reply(s, internal_error, sizeof internal_error - 1);
		return 0;
	}
	rc = imap_backend_login(s->bfd, &ib, &b, s->deadline);
	explicit_bzero(s->pass, s->credcap);
	if (rc == BACKEND_OK) {
		log_set_action(NULL);
		log_msg(MP_LOG_INFO, "client logged in");
		if (session_reply(s, b.p, b.len) == 0)
			(void)session_exec_relay(s, s->buf, s->len);
	} else {
		bool pass = rc == BACKEND_REJECTED && s->srv->proxy_pass_error_message;

		backend_log_result(rc, &b, pass);
		if (pass)
			(void)session_reply(s, b.p, b.len);
		else
			(void)session_reply(s, internal_error, sizeof internal_error - 1);
	}
	free(b.p);
	return 0;
}

/* A complete command in the not-authenticated state. Returns 1 to go on,
 * 0 to close. */
static int
command(struct imap *im)
{
	struct session *s = im->s;
	struct imap_parser *p = &im->p;

	switch (p->cmd) {
	case IMAP_CMD_CAPABILITY:
		return capability(im) == 0;
	case IMAP_CMD_NOOP:
		return tagged(im, "OK completed\r\n") == 0;
	case IMAP_CMD_LOGOUT:
		(void)session_reply3(im->s, "* BYE\r\n", 7, im->tag, im->taglen, "OK completed\r\n", 14);
		return 0;
	case IMAP_CMD_STARTTLS:
		if (s->tls || s->srv->ssl.starttls == MP_STARTTLS_OFF)
			return imap_bad(im) == 0;
		/* whatever came behind STARTTLS is never executed (CVE-2014-3556) */
		s->len = 0;
		if (tagged(im, "OK completed\r\n") == -1 ||
		    session_tls(s, cert_missing, cert_error) == -1)
			return 0;
		return 1;
	case IMAP_CMD_LOGIN:
		if (!session_login_allowed(s) || p->nargs != 2 || p->args[0].len == 0)
			return imap_bad(im) == 0;
		session_set_login(s, p->args[0].p, p->args[0].len);
		session_set_pass(s, p->args[1].p, p->args[1].len);
		s->method = "plain";
		return 2;
	case IMAP_CMD_AUTHENTICATE:
		return 3;
	default:
		return imap_bad(im) == 0;
	}
}

static int
too_long(struct imap *im)
{
	log_msg(MP_LOG_INFO, "client sent too long command");
	set_tag(im);
	(void)imap_bad(im);
	return 0;
}

static int
imap_run(struct imap *im)
{
	struct session *s = im->s;
	size_t off = 0;	/* an AUTHENTICATE exchange stays in the buffer, as in nginx */

	imap_parser_init(&im->p);
	memcpy(im->tag, "* ", 2);
	im->taglen = 2;

	if (s->ls->ssl && session_tls(s, cert_missing, cert_error) == -1)
		return 0;
	if (session_reply(s, greeting, sizeof greeting - 1) == -1)
		return 0;
	s->deadline = mp_now_ms() + s->srv->timeout_ms;

	for (;;) {
		static const struct imap_arg empty = { "", 0 };
		size_t used = 0;
		int rc, r;

		rc = imap_parse(&im->p, s->buf + off, s->len - off, &used);
		switch (rc) {
		case IMAP_AGAIN:
			r = session_fill(s);
			if (r == 0)
				return 0;
			if (r == -1)
				return too_long(im);
			continue;
		case IMAP_LITERAL:
			if (session_reply(s, "+ OK\r\n", 6) == -1)
				return 0;
			continue;
		case IMAP_INVALID:
		case IMAP_INVALID_CLOSE:
			set_tag(im);
			im->state = IMAP_START;
			s->errors++;
			r = imap_bad(im);
			session_consume(s, off + used);
			off = 0;
			imap_parser_next(&im->p);
			session_forget_credentials(s, im->dec);
			if (r == -1 || rc == IMAP_INVALID_CLOSE)
				return 0;
			if (s->errors >= s->srv->max_errors) {
				log_msg(MP_LOG_INFO, "client sent too many invalid commands");
				return 0;
			}
			continue;
		default:
			break;
		}

		set_tag(im);
		log_debug_imap(&im->p, im->state != IMAP_START);
		if (im->state == IMAP_START) {
			r = command(im);
			if (r == 3)
				r = imap_authenticate(im, im->p.args, im->p.nargs);
		} else {
			r = imap_auth_step(im, im->p.nargs > 0 ? &im->p.args[0] : &empty);
		}
		if (im->state != IMAP_START) {
			/* a challenge went out: the response follows this line */
			off += used;
			imap_parser_sasl(&im->p);
			im->p.before = off;
		} else {
			session_consume(s, off + used);
			off = 0;
			imap_parser_next(&im->p);
		}
		if (r == 2)
			r = authenticate_and_relay(im);
		if (r == 0)
			return 0;
		/* credentials live only inside an AUTHENTICATE exchange */
		if (im->state == IMAP_START)
			session_forget_credentials(s, im->dec);
	}
}

int
imap_serve(struct session *s)
{
	struct imap im;
	size_t cap = s->srv->imap_client_buffer;
	int rc = 1;

	memset(&im, 0, sizeof im);
	im.s = s;
	s->cap = cap;
	/* credentials also hold what the auth server may send back (1 KiB) */
	s->credcap = cap > 1100 ? cap : 1100;
	s->buf = malloc(cap);
	s->login = malloc(s->credcap);
	s->pass = malloc(s->credcap);
	im.dec = malloc(s->credcap);
	if (s->buf == NULL || s->login == NULL || s->pass == NULL || im.dec == NULL)
		log_msg(MP_LOG_ALERT, "out of memory");
	else
		rc = imap_run(&im);
	if (s->pass != NULL)
		explicit_bzero(s->pass, s->credcap);
	if (im.dec != NULL)
		explicit_bzero(im.dec, s->credcap);
	free(s->buf);
	free(s->login);
	free(s->pass);
	free(im.dec);
	s->buf = s->login = s->pass = NULL;
	return rc;
}
