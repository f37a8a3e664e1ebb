/* SPDX-License-Identifier: ISC */
/* sasl_session.c: AUTH (POP3 RFC 5034, SMTP RFC 4954) and AUTHENTICATE
 * (IMAP RFC 9051 6.2.2) as nginx answers them, one driver for every
 * protocol: the mechanism with an optional initial response, the
 * challenges of the protocol table, and each response line decoded into
 * the session's credentials. XOAUTH2 and OAUTHBEARER (RFC 7628) as
 * freenginx 1.27.1 adds them: the token is the password. */
#include <string.h>

#include "log.h"
#include "session.h"

/* Send a challenge; the client's next line is the response to it. */
static enum session_next
challenge(struct session *s, enum sasl_wait next, const char *line, size_t n)
{
	s->sasl = next;
	return session_reply(s, line, n) == 0 ? NEXT_READ : NEXT_CLOSE;
}

static enum session_next
prompt(struct session *s, enum sasl_wait next, const char *line)
{
	return challenge(s, next, line, strlen(line));
}

static enum session_next
decoded(struct session *s, int rc, const char *mech, enum auth_method method)
{
	if (rc != SASL_OK) {
		sasl_log(rc, mech);
		return session_invalid(s);
	}
	s->method = method;
	return NEXT_AUTH;
}

/* PLAIN and CRAM-MD5 decode a login and a password (CRAM-MD5: the digest,
 * until the request is built) */
static enum session_next
login_and_pass(struct session *s, int rc, const char *mech, enum auth_method method)
{
	if (rc == SASL_OK) {
		log_set_login(s->login, s->loginlen);
		s->have_pass = true;
	}
	return decoded(s, rc, mech, method);
}

static enum session_next
plain(struct session *s, const char *p, size_t len)
{
	return login_and_pass(s, sasl_plain(p, len, s->dec, s->credcap, s->login, &s->loginlen,
	    s->pass, &s->passlen), "PLAIN", METHOD_PLAIN);
}

static enum session_next
external(struct session *s, const char *p, size_t len)
{
	int rc = sasl_external(p, len, s->login, s->credcap, &s->loginlen);

	if (rc == SASL_OK) {
		log_set_login(s->login, s->loginlen);
		s->passlen = 0;
		s->have_pass = false;
	}
	return decoded(s, rc, "EXTERNAL", METHOD_EXTERNAL);
}

/* XOAUTH2 or OAUTHBEARER: the user and the bearer token, which stands in
 * for the password towards the auth server (Auth-Pass) and, unless the
 * auth server names another, the backend. */
static enum session_next
oauth(struct session *s, enum sasl_wait mech, const char *p, size_t len)
{
	bool x = mech == SASL_WAIT_XOAUTH2;
	int rc = (x ? sasl_xoauth2 : sasl_oauthbearer)(p, len, s->dec, s->credcap,
	    s->login, &s->loginlen, s->pass, &s->passlen);

	return login_and_pass(s, rc, x ? "XOAUTH2" : "OAUTHBEARER",
	    x ? METHOD_XOAUTH2 : METHOD_OAUTHBEARER);
}

/* INITIAL: the username came with the mechanism. */
static enum session_next
login_user(struct session *s, const char *p, size_t len, bool initial)
{
	const char *bad = s->proto->invalid_command;
	int rc = sasl_login_user(p, len, s->login, s->credcap, &s->loginlen);

	if (rc != SASL_OK) {
		sasl_log(rc, "LOGIN");
		/* nginx's IMAP answers a bad username step with no tag at all */
		if (!initial)
			return session_say(s, bad);
		return session_invalid(s);
	}
	log_set_login(s->login, s->loginlen);
	return prompt(s, SASL_WAIT_LOGIN_PASS, s->proto->password_prompt);
}

static enum session_next
login_pass(struct session *s, const char *p, size_t len)
{
	int rc = sasl_login_pass(p, len, s->pass, s->credcap, &s->passlen);

	if (rc == SASL_OK)
		s->have_pass = true;
	return decoded(s, rc, "LOGIN", METHOD_PLAIN);
}

static enum session_next
cram_md5(struct session *s, const char *p, size_t len)
{
	return login_and_pass(s, sasl_cram_md5(p, len, s->dec, s->credcap, s->login,
	    &s->loginlen, s->pass, &s->passlen), "CRAM-MD5", METHOD_CRAM_MD5);
}

/* The salt: POP3's greeting made it; IMAP and SMTP make one per exchange.
 * The configuration refuses a server_name too long for it. */
static enum session_next
cram_md5_challenge(struct session *s)
{
	char chal[512];
	size_t clen = 0;

	if (s->saltlen == 0)
		s->saltlen = sasl_salt(s->salt, sizeof s->salt, s->srv->server_name);
	if (s->saltlen > 0)
		clen = sasl_challenge(chal, sizeof chal, s->proto->challenge_prefix,
		    s->salt, s->saltlen);
	if (clen == 0) {
		log_msg(MP_LOG_ERR, "no salt for a CRAM-MD5 challenge");
		return session_bye(s, s->proto->internal_error);
	}
	return challenge(s, SASL_WAIT_CRAM_MD5, chal, clen);
}

enum session_next
sasl_session_start(struct session *s, const char *mech, size_t mechlen, unsigned nargs,
    const char *ir, size_t irlen)
{
	const struct mp_protocol *pr = s->proto;
	unsigned enabled = pr->auth_methods(s->srv), mb;
	enum sasl_wait wait;

	if (!session_login_allowed(s) || nargs == 0)
		return session_invalid(s);
	switch (sasl_auth_parse(mech, mechlen, nargs)) {
	case SASL_AUTH_LOGIN:
		return prompt(s, SASL_WAIT_LOGIN_USER, pr->username_prompt);
	case SASL_AUTH_LOGIN_USERNAME:
		return login_user(s, ir, irlen, true);
	case SASL_AUTH_PLAIN:
		return prompt(s, SASL_WAIT_PLAIN, pr->plain_challenge);
	case SASL_AUTH_PLAIN_INITIAL:
		return plain(s, ir, irlen);
	case SASL_AUTH_CRAM_MD5:
		if (!(enabled & MP_AUTH_CRAM_MD5))
			return session_invalid(s);
		return cram_md5_challenge(s);
	case SASL_AUTH_EXTERNAL:
		if (!(enabled & MP_AUTH_EXTERNAL))
			return session_invalid(s);
		return prompt(s, SASL_WAIT_EXTERNAL, pr->username_prompt);
	case SASL_AUTH_EXTERNAL_INITIAL:
		if (!(enabled & MP_AUTH_EXTERNAL))
			return session_invalid(s);
		return external(s, ir, irlen);
	case SASL_AUTH_OAUTH:
	case SASL_AUTH_OAUTH_INITIAL:
		mb = sasl_mechanism(mech, mechlen);
		if (!(enabled & mb))
			return session_invalid(s);
		wait = mb == MP_AUTH_XOAUTH2 ? SASL_WAIT_XOAUTH2 : SASL_WAIT_OAUTHBEARER;
		if (nargs == 1)
			return prompt(s, wait, pr->plain_challenge);
		return oauth(s, wait, ir, irlen);
	default:
		return session_invalid(s);
	}
}

enum session_next
sasl_session_step(struct session *s, const char *p, size_t len)
{
	enum sasl_wait wait = s->sasl;

	s->sasl = SASL_IDLE;	/* a bad step ends the exchange */
	switch (wait) {
	case SASL_WAIT_PLAIN:
		return plain(s, p, len);
	case SASL_WAIT_LOGIN_USER:
		return login_user(s, p, len, false);
	case SASL_WAIT_LOGIN_PASS:
		return login_pass(s, p, len);
	case SASL_WAIT_CRAM_MD5:
		return cram_md5(s, p, len);
	case SASL_WAIT_EXTERNAL:
		return external(s, p, len);
	case SASL_WAIT_XOAUTH2:
	case SASL_WAIT_OAUTHBEARER:
		return oauth(s, wait, p, len);
	case SASL_WAIT_AUTH_ERROR:
		return session_auth_error(s);
	case SASL_IDLE:
		break;
	}
	return session_invalid(s);
}
