/* imap.c: the IMAP pre-authentication dialogue (nginx's imap handler):
 * greeting, CAPABILITY, NOOP, LOGOUT, LOGIN, AUTHENTICATE, then the auth
 * request, the backend login and the hand-off to the relay. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "imap.h"
#include "imap_backend.h"
#include "imap_parse.h"
#include "log.h"
#include "sasl.h"
#include "session.h"

static const char greeting[] = "* OK IMAP4 ready\r\n";
static const char internal_error[] = "* BAD internal server error\r\n";
static const char cert_missing[] = "* BYE No required SSL certificate\r\n";
static const char cert_error[] = "* BYE SSL certificate error\r\n";

enum imap_state {
	IMAP_START,
	IMAP_AUTH_PLAIN,
	IMAP_AUTH_LOGIN_USER,
	IMAP_AUTH_LOGIN_PASS,
	IMAP_AUTH_CRAM_MD5,
	IMAP_AUTH_EXTERNAL
};

struct imap {
	struct session *s;
	struct imap_parser p;
	int state;
	char tag[IMAP_TAG_MAX + 2];	/* the tag with its trailing space, or "* " */
	size_t taglen;
	char *dec;			/* SASL decoding, cap bytes */
};

static int
tagged(struct imap *im, const char *text)
{
	return session_reply3(im->s, "", 0, im->tag, im->taglen, text, strlen(text));
}

static int
bad(struct imap *im)
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
			return bad(im) == 0;
		/* whatever came behind STARTTLS is never executed (CVE-2014-3556) */
		s->len = 0;
		if (tagged(im, "OK completed\r\n") == -1 ||
		    session_tls(s, cert_missing, cert_error) == -1)
			return 0;
		return 1;
	case IMAP_CMD_LOGIN:
		if (!session_login_allowed(s) || p->nargs != 2 || p->args[0].len == 0)
			return bad(im) == 0;
		session_set_login(s, p->args[0].p, p->args[0].len);
		session_set_pass(s, p->args[1].p, p->args[1].len);
		s->method = "plain";
		return 2;
	case IMAP_CMD_AUTHENTICATE:
		return 3;
	default:
		return bad(im) == 0;
	}
}

/* Send a SASL challenge; the client's next line is a response. */
static int
challenge(struct imap *im, int state, const char *line, size_t n)
{
	im->state = state;
	return session_reply(im->s, line, n) == 0;
}

static int
plain(struct imap *im, const struct imap_arg *a)
{
	struct session *s = im->s;
	int rc = sasl_plain(a->p, a->len, im->dec, s->credcap, s->login, &s->loginlen,
	    s->pass, &s->passlen);

	if (rc != SASL_OK) {
		sasl_log(rc, "PLAIN");
		return bad(im) == 0;
	}
	log_set_login(s->login, s->loginlen);
	s->have_pass = true;
	s->method = "plain";
	return 2;
}

static int
external(struct imap *im, const struct imap_arg *a)
{
	struct session *s = im->s;
	int rc = sasl_external(a->p, a->len, s->login, s->credcap, &s->loginlen);

	if (rc != SASL_OK) {
		sasl_log(rc, "EXTERNAL");
		return bad(im) == 0;
	}
	log_set_login(s->login, s->loginlen);
	s->passlen = 0;
	s->have_pass = false;
	s->method = "external";
	return 2;
}

static int
login_user(struct imap *im, const struct imap_arg *a, bool initial)
{
	struct session *s = im->s;
	int rc = sasl_login_user(a->p, a->len, s->login, s->credcap, &s->loginlen);

	if (rc != SASL_OK) {
		sasl_log(rc, "LOGIN");
		/* nginx quirk: in the username step the reply carries no tag at all */
		if (!initial)
			return session_reply(s, "BAD invalid command\r\n", 21) == 0;
		return bad(im) == 0;
	}
	log_set_login(s->login, s->loginlen);
	return challenge(im, IMAP_AUTH_LOGIN_PASS, "+ UGFzc3dvcmQ6\r\n", 16);
}

/* AUTHENTICATE mech [initial-response]: 1 go on, 0 close, 2 authenticate. */
static int
authenticate(struct imap *im, const struct imap_arg *args, unsigned nargs)
{
	struct session *s = im->s;
	unsigned enabled = s->srv->imap_auth;
	char chal[512];
	size_t clen;

	if (!session_login_allowed(s) || nargs == 0)
		return bad(im) == 0;
	switch (sasl_auth_parse(args[0].p, args[0].len, nargs)) {
	case SASL_AUTH_LOGIN:
		return challenge(im, IMAP_AUTH_LOGIN_USER, "+ VXNlcm5hbWU6\r\n", 16);
	case SASL_AUTH_LOGIN_USERNAME:
		return login_user(im, &args[1], true);
	case SASL_AUTH_PLAIN:
		return challenge(im, IMAP_AUTH_PLAIN, "+ \r\n", 4);
	case SASL_AUTH_PLAIN_INITIAL:
		return plain(im, &args[1]);
	case SASL_AUTH_CRAM_MD5:
		if (!(enabled & MP_AUTH_CRAM_MD5))
			return bad(im) == 0;
		if (s->saltlen == 0)
			s->saltlen = sasl_salt(s->salt, sizeof s->salt, s->srv->server_name);
		clen = sasl_challenge(chal, sizeof chal, "+ ", s->salt, s->saltlen);
		if (s->saltlen == 0 || clen == 0) {
			log_msg(MP_LOG_ERR, "server_name is too long for a CRAM-MD5 salt");
			return bad(im) == 0;
		}
		return challenge(im, IMAP_AUTH_CRAM_MD5, chal, clen);
	case SASL_AUTH_EXTERNAL:
		if (!(enabled & MP_AUTH_EXTERNAL))
			return bad(im) == 0;
		return challenge(im, IMAP_AUTH_EXTERNAL, "+ VXNlcm5hbWU6\r\n", 16);
	case SASL_AUTH_EXTERNAL_INITIAL:
		if (!(enabled & MP_AUTH_EXTERNAL))
			return bad(im) == 0;
		return external(im, &args[1]);
	default:
		return bad(im) == 0;
	}
}

/* One SASL response line in an AUTHENTICATE exchange: 1, 0 or 2 as above. */
static int
auth_step(struct imap *im, const struct imap_arg *a)
{
	struct session *s = im->s;
	int state = im->state, rc;

	im->state = IMAP_START;	/* a bad step ends the exchange */
	switch (state) {
	case IMAP_AUTH_PLAIN:
		return plain(im, a);
	case IMAP_AUTH_LOGIN_USER:
		return login_user(im, a, false);
	case IMAP_AUTH_LOGIN_PASS:
		rc = sasl_login_pass(a->p, a->len, s->pass, s->credcap, &s->passlen);
		if (rc != SASL_OK) {
			sasl_log(rc, "LOGIN");
			return bad(im) == 0;
		}
		s->have_pass = true;
		s->method = "plain";
		return 2;
	case IMAP_AUTH_CRAM_MD5:
		rc = sasl_cram_md5(a->p, a->len, im->dec, s->credcap, s->login, &s->loginlen,
		    s->pass, &s->passlen);
		if (rc != SASL_OK) {
			sasl_log(rc, "CRAM-MD5");
			return bad(im) == 0;
		}
		log_set_login(s->login, s->loginlen);
		s->have_pass = true;	/* the digest, until the request is built */
		s->method = "cram-md5";
		return 2;
	case IMAP_AUTH_EXTERNAL:
		return external(im, a);
	}
	return bad(im) == 0;
}

static int
too_long(struct imap *im)
{
	log_msg(MP_LOG_INFO, "client sent too long command");
	set_tag(im);
	(void)bad(im);
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
			r = bad(im);
			session_consume(s, off + used);
			off = 0;
			imap_parser_next(&im->p);
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
		if (im->state == IMAP_START) {
			r = command(im);
			if (r == 3)
				r = authenticate(im, im->p.args, im->p.nargs);
		} else {
			r = auth_step(im, im->p.nargs > 0 ? &im->p.args[0] : &empty);
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
