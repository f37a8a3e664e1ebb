/* imap_auth.c: IMAP AUTHENTICATE (RFC 3501 6.2.2, RFC 4959) as nginx
 * answers it: the mechanism with an optional initial response, the "+ "
 * challenges, and each SASL response line decoded into the session's
 * credentials. */
#include "imap_int.h"
#include "log.h"
#include "sasl.h"

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
		return imap_bad(im) == 0;
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
		return imap_bad(im) == 0;
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
		return imap_bad(im) == 0;
	}
	log_set_login(s->login, s->loginlen);
	return challenge(im, IMAP_AUTH_LOGIN_PASS, "+ UGFzc3dvcmQ6\r\n", 16);
}

/* AUTHENTICATE mech [initial-response]: 1 go on, 0 close, 2 authenticate. */
int
imap_authenticate(struct imap *im, const struct imap_arg *args, unsigned nargs)
{
	struct session *s = im->s;
	unsigned enabled = s->srv->imap_auth;
	char chal[512];
	size_t clen;

	if (!session_login_allowed(s) || nargs == 0)
		return imap_bad(im) == 0;
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
			return imap_bad(im) == 0;
		if (s->saltlen == 0)
			s->saltlen = sasl_salt(s->salt, sizeof s->salt, s->srv->server_name);
		clen = sasl_challenge(chal, sizeof chal, "+ ", s->salt, s->saltlen);
		if (s->saltlen == 0 || clen == 0) {
			log_msg(MP_LOG_ERR, "server_name is too long for a CRAM-MD5 salt");
			return imap_bad(im) == 0;
		}
		return challenge(im, IMAP_AUTH_CRAM_MD5, chal, clen);
	case SASL_AUTH_EXTERNAL:
		if (!(enabled & MP_AUTH_EXTERNAL))
			return imap_bad(im) == 0;
		return challenge(im, IMAP_AUTH_EXTERNAL, "+ VXNlcm5hbWU6\r\n", 16);
	case SASL_AUTH_EXTERNAL_INITIAL:
		if (!(enabled & MP_AUTH_EXTERNAL))
			return imap_bad(im) == 0;
		return external(im, &args[1]);
	default:
		return imap_bad(im) == 0;
	}
}

/* One SASL response line in an AUTHENTICATE exchange: 1, 0 or 2 as above. */
int
imap_auth_step(struct imap *im, const struct imap_arg *a)
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
			return imap_bad(im) == 0;
		}
		s->have_pass = true;
		s->method = "plain";
		return 2;
	case IMAP_AUTH_CRAM_MD5:
		rc = sasl_cram_md5(a->p, a->len, im->dec, s->credcap, s->login, &s->loginlen,
		    s->pass, &s->passlen);
		if (rc != SASL_OK) {
			sasl_log(rc, "CRAM-MD5");
			return imap_bad(im) == 0;
		}
		log_set_login(s->login, s->loginlen);
		s->have_pass = true;	/* the digest, until the request is built */
		s->method = "cram-md5";
		return 2;
	case IMAP_AUTH_EXTERNAL:
		return external(im, a);
	}
	return imap_bad(im) == 0;
}
