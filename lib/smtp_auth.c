/* smtp_auth.c: SMTP AUTH (RFC 4954) as nginx answers it: the mechanism
 * with an optional initial response, the 334 challenges, and each SASL
 * response line decoded into the session's credentials. */
#include "log.h"
#include "smtp_int.h"

static int
challenge(struct smtp *sm, int state, const char *line, size_t n)
{
	sm->state = state;
	return session_reply(sm->s, line, n) == 0;
}

static int
plain(struct smtp *sm, const char *b64, size_t len)
{
	struct session *s = sm->s;
	int rc = sasl_plain(b64, len, sm->dec, s->credcap, s->login, &s->loginlen,
	    s->pass, &s->passlen);

	if (rc != SASL_OK) {
		sasl_log(rc, "PLAIN");
		return smtp_invalid(sm);
	}
	log_set_login(s->login, s->loginlen);
	s->have_pass = true;
	s->method = "plain";
	return 2;
}

static int
external(struct smtp *sm, const char *b64, size_t len)
{
	struct session *s = sm->s;
	int rc = sasl_external(b64, len, s->login, s->credcap, &s->loginlen);

	if (rc != SASL_OK) {
		sasl_log(rc, "EXTERNAL");
		return smtp_invalid(sm);
	}
	log_set_login(s->login, s->loginlen);
	s->passlen = 0;
	s->have_pass = false;
	s->method = "external";
	return 2;
}

static int
login_user(struct smtp *sm, const char *b64, size_t len)
{
	struct session *s = sm->s;
	int rc = sasl_login_user(b64, len, s->login, s->credcap, &s->loginlen);

	if (rc != SASL_OK) {
		sasl_log(rc, "LOGIN");
		return smtp_invalid(sm);
	}
	log_set_login(s->login, s->loginlen);
	return challenge(sm, SMTP_AUTH_LOGIN_PASS, "334 UGFzc3dvcmQ6\r\n", 18);
}

/* AUTH mech [initial-response]: 1 go on, 0 close, 2 authenticate. */
int
smtp_auth_start(struct smtp *sm)
{
	struct session *s = sm->s;
	const struct smtp_arg *a = sm->p.args;
	unsigned enabled = s->srv->smtp_auth;
	char chal[512];
	size_t clen;

	if (!s->tls && s->srv->ssl.starttls == MP_STARTTLS_ONLY)
		return smtp_invalid(sm);
	if (sm->p.nargs == 0)
		return REPLY(s, smtp_invalid_argument) == 0;
	switch (sasl_auth_parse(a[0].p, a[0].len, sm->p.nargs)) {
	case SASL_AUTH_LOGIN:
		return challenge(sm, SMTP_AUTH_LOGIN_USER, "334 VXNlcm5hbWU6\r\n", 18);
	case SASL_AUTH_LOGIN_USERNAME:
		return login_user(sm, a[1].p, a[1].len);
	case SASL_AUTH_PLAIN:
		return challenge(sm, SMTP_AUTH_PLAIN, "334 \r\n", 6);
	case SASL_AUTH_PLAIN_INITIAL:
		return plain(sm, a[1].p, a[1].len);
	case SASL_AUTH_CRAM_MD5:
		if (!(enabled & MP_AUTH_CRAM_MD5))
			return smtp_invalid(sm);
		if (s->saltlen == 0)
			s->saltlen = sasl_salt(s->salt, sizeof s->salt, s->srv->server_name);
		clen = sasl_challenge(chal, sizeof chal, "334 ", s->salt, s->saltlen);
		if (s->saltlen == 0 || clen == 0) {
			log_msg(MP_LOG_ERR, "server_name is too long for a CRAM-MD5 salt");
			(void)REPLY(s, smtp_internal_error);
			return 0;
		}
		return challenge(sm, SMTP_AUTH_CRAM_MD5, chal, clen);
	case SASL_AUTH_EXTERNAL:
		if (!(enabled & MP_AUTH_EXTERNAL))
			return smtp_invalid(sm);
		return challenge(sm, SMTP_AUTH_EXTERNAL, "334 VXNlcm5hbWU6\r\n", 18);
	case SASL_AUTH_EXTERNAL_INITIAL:
		if (!(enabled & MP_AUTH_EXTERNAL))
			return smtp_invalid(sm);
		return external(sm, a[1].p, a[1].len);
	default:
		return smtp_invalid(sm);
	}
}

/* One SASL response line: 1, 0 or 2 as above. */
int
smtp_auth_step(struct smtp *sm, const struct mail_arg *a)
{
	struct session *s = sm->s;
	int state = sm->state, rc;

	sm->state = SMTP_START;	/* a bad step ends the exchange */
	switch (state) {
	case SMTP_AUTH_PLAIN:
		return plain(sm, a->p, a->len);
	case SMTP_AUTH_LOGIN_USER:
		return login_user(sm, a->p, a->len);
	case SMTP_AUTH_LOGIN_PASS:
		rc = sasl_login_pass(a->p, a->len, s->pass, s->credcap, &s->passlen);
		if (rc != SASL_OK) {
			sasl_log(rc, "LOGIN");
			return smtp_invalid(sm);
		}
		s->have_pass = true;
		s->method = "plain";
		return 2;
	case SMTP_AUTH_CRAM_MD5:
		rc = sasl_cram_md5(a->p, a->len, sm->dec, s->credcap, s->login, &s->loginlen,
		    s->pass, &s->passlen);
		if (rc != SASL_OK) {
			sasl_log(rc, "CRAM-MD5");
			return smtp_invalid(sm);
		}
		log_set_login(s->login, s->loginlen);
		s->have_pass = true;	/* the digest, until the request is built */
		s->method = "cram-md5";
		return 2;
	case SMTP_AUTH_EXTERNAL:
		return external(sm, a->p, a->len);
	}
	return smtp_invalid(sm);
}
