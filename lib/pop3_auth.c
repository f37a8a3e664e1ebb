/* pop3_auth.c: POP3 AUTH (RFC 5034) as nginx answers it: the mechanism
 * with an optional initial response, the "+ " challenges, and each SASL
 * response line decoded into the session's credentials. */
#include "log.h"
#include "pop3_int.h"
#include "sasl.h"

/* Send a SASL challenge; the client's next line is a response. */
static enum pop3_next
challenge(struct pop3 *pp, int state, const char *line, size_t n)
{
	pp->state = state;
	return pop3_reply(pp, line, n);
}

static enum pop3_next
plain(struct pop3 *pp, const struct pop3_arg *a)
{
	struct session *s = pp->s;
	int rc = sasl_plain(a->p, a->len, pp->dec, s->credcap, s->login, &s->loginlen,
	    s->pass, &s->passlen);

	if (rc != SASL_OK) {
		sasl_log(rc, "PLAIN");
		return pop3_invalid(pp);
	}
	log_set_login(s->login, s->loginlen);
	s->have_pass = true;
	s->method = "plain";
	return NEXT_AUTH;
}

static enum pop3_next
external(struct pop3 *pp, const struct pop3_arg *a)
{
	struct session *s = pp->s;
	int rc = sasl_external(a->p, a->len, s->login, s->credcap, &s->loginlen);

	if (rc != SASL_OK) {
		sasl_log(rc, "EXTERNAL");
		return pop3_invalid(pp);
	}
	log_set_login(s->login, s->loginlen);
	s->passlen = 0;
	s->have_pass = false;
	s->method = "external";
	return NEXT_AUTH;
}

static enum pop3_next
login_user(struct pop3 *pp, const struct pop3_arg *a)
{
	struct session *s = pp->s;
	int rc = sasl_login_user(a->p, a->len, s->login, s->credcap, &s->loginlen);

	if (rc != SASL_OK) {
		sasl_log(rc, "LOGIN");
		return pop3_invalid(pp);
	}
	log_set_login(s->login, s->loginlen);
	return challenge(pp, POP3_AUTH_LOGIN_PASS, pop3_password_prompt,
	    sizeof pop3_password_prompt - 1);
}

/* AUTH [mech [initial-response]] */
enum pop3_next
pop3_auth_start(struct pop3 *pp, const struct pop3_arg *args, unsigned nargs)
{
	struct session *s = pp->s;
	unsigned m = pop3_enabled(s);
	char chal[512];
	size_t clen;

	if (!session_login_allowed(s))
		return pop3_invalid(pp);
	if (nargs == 0)
		return pop3_auth_list(pp);
	switch (sasl_auth_parse(args[0].p, args[0].len, nargs)) {
	case SASL_AUTH_LOGIN:
		return challenge(pp, POP3_AUTH_LOGIN_USER, pop3_username_prompt,
		    sizeof pop3_username_prompt - 1);
	case SASL_AUTH_LOGIN_USERNAME:
		return login_user(pp, &args[1]);
	case SASL_AUTH_PLAIN:
		return challenge(pp, POP3_AUTH_PLAIN, pop3_plain_challenge,
		    sizeof pop3_plain_challenge - 1);
	case SASL_AUTH_PLAIN_INITIAL:
		return plain(pp, &args[1]);
	case SASL_AUTH_CRAM_MD5:
		if (!(m & MP_AUTH_CRAM_MD5))
			return pop3_invalid(pp);
		/* the greeting carried the salt: cram-md5 being enabled made one */
		clen = sasl_challenge(chal, sizeof chal, "+ ", s->salt, s->saltlen);
		if (s->saltlen == 0 || clen == 0) {
			log_msg(MP_LOG_ERR, "no salt for a CRAM-MD5 challenge");
			(void)session_reply(s, pop3_internal_error, sizeof pop3_internal_error - 1);
			return NEXT_CLOSE;
		}
		return challenge(pp, POP3_AUTH_CRAM_MD5, chal, clen);
	case SASL_AUTH_EXTERNAL:
		if (!(m & MP_AUTH_EXTERNAL))
			return pop3_invalid(pp);
		return challenge(pp, POP3_AUTH_EXTERNAL, pop3_username_prompt,
		    sizeof pop3_username_prompt - 1);
	case SASL_AUTH_EXTERNAL_INITIAL:
		if (!(m & MP_AUTH_EXTERNAL))
			return pop3_invalid(pp);
		return external(pp, &args[1]);
	default:
		return pop3_invalid(pp);
	}
}

/* One SASL response line of an AUTH exchange. */
enum pop3_next
pop3_auth_step(struct pop3 *pp, const struct pop3_arg *a)
{
	struct session *s = pp->s;
	int state = pp->state, rc;

	pp->state = POP3_START;	/* a bad step ends the exchange */
	switch (state) {
	case POP3_AUTH_PLAIN:
		return plain(pp, a);
	case POP3_AUTH_LOGIN_USER:
		return login_user(pp, a);
	case POP3_AUTH_LOGIN_PASS:
		rc = sasl_login_pass(a->p, a->len, s->pass, s->credcap, &s->passlen);
		if (rc != SASL_OK) {
			sasl_log(rc, "LOGIN");
			return pop3_invalid(pp);
		}
		s->have_pass = true;
		s->method = "plain";
		return NEXT_AUTH;
	case POP3_AUTH_CRAM_MD5:
		rc = sasl_cram_md5(a->p, a->len, pp->dec, s->credcap, s->login, &s->loginlen,
		    s->pass, &s->passlen);
		if (rc != SASL_OK) {
			sasl_log(rc, "CRAM-MD5");
			return pop3_invalid(pp);
		}
		log_set_login(s->login, s->loginlen);
		s->have_pass = true;	/* the digest, until the request is built */
		s->method = "cram-md5";
		return NEXT_AUTH;
	case POP3_AUTH_EXTERNAL:
		return external(pp, a);
	}
	return pop3_invalid(pp);
}
