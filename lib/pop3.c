/* pop3.c: the POP3 pre-authentication dialogue (nginx's pop3 handler):
 * greeting (with the APOP salt), CAPA, NOOP, QUIT, STLS, USER/PASS, APOP,
 * AUTH, then the auth request, the backend login and the hand-off to the
 * relay.
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
#include "pop3.h"
#include "pop3_backend.h"
#include "pop3_parse.h"
#include "sasl.h"
#include "session.h"

static const char greeting[] = "+OK POP3 ready\r\n";
static const char ok[] = "+OK\r\n";
static const char invalid_command[] = "-ERR invalid command\r\n";
static const char internal_error[] = "-ERR internal server error\r\n";
static const char cert_missing[] = "-ERR No required SSL certificate\r\n";
static const char cert_error[] = "-ERR SSL certificate error\r\n";
static const char plain_challenge[] = "+ \r\n";
static const char username_prompt[] = "+ VXNlcm5hbWU6\r\n";
static const char password_prompt[] = "+ UGFzc3dvcmQ6\r\n";
static const char capa_head[] = "+OK Capability list follows\r\n";
static const char methods_head[] = "+OK methods supported:\r\n";

/* SASL methods in nginx's advertising order; "plain" also enables LOGIN. */
static const struct { unsigned bit; const char *name; } methods[] = {
	{ MP_AUTH_PLAIN, "PLAIN" }, { MP_AUTH_LOGIN, "LOGIN" },
	{ MP_AUTH_CRAM_MD5, "CRAM-MD5" }, { MP_AUTH_EXTERNAL, "EXTERNAL" },
};

enum pop3_state {
	POP3_START,
	POP3_USER,		/* USER accepted, PASS expected */
	POP3_AUTH_PLAIN,
	POP3_AUTH_LOGIN_USER,
	POP3_AUTH_LOGIN_PASS,
	POP3_AUTH_CRAM_MD5,
	POP3_AUTH_EXTERNAL
};

/* What a command asks of the loop. */
enum pop3_next {
	NEXT_CLOSE,		/* the session ends (reply sent, or the client is gone) */
	NEXT_READ,		/* reply sent; parse the next command */
	NEXT_AUTH		/* credentials complete: ask the auth server */
};

struct pop3 {
	struct session *s;
	struct pop3_parser p;
	int state;
	char *dec;		/* SASL decoding, credcap bytes */
};

static enum pop3_next
reply(struct pop3 *pp, const char *text, size_t n)
{
	return session_reply(pp->s, text, n) == 0 ? NEXT_READ : NEXT_CLOSE;
}

static enum pop3_next
invalid(struct pop3 *pp)
{
	pp->state = POP3_START;
	return reply(pp, invalid_command, sizeof invalid_command - 1);
}

/* A multi-line reply assembled in one buffer, sent in one write. */
struct out {
	char b[4096];
	size_t n;
	bool overflow;
};

static void
add(struct out *o, const char *p, size_t n)
{
	if (o->overflow || n > sizeof o->b - o->n) {
		o->overflow = true;
		return;
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void
adds(struct out *o, const char *p)
{
	add(o, p, strlen(p));
}

static enum pop3_next
send_out(struct pop3 *pp, const struct out *o)
{
	if (o->overflow) {
		/* only a configuration with kilobytes of capabilities gets here */
		log_msg(MP_LOG_ERR, "pop3_capabilities too long for a reply");
		(void)session_reply(pp->s, internal_error, sizeof internal_error - 1);
		return NEXT_CLOSE;
	}
	return reply(pp, o->b, o->n);
}

static unsigned
enabled(const struct session *s)
{
	unsigned m = s->srv->pop3_auth;

	return m & MP_AUTH_PLAIN ? m | MP_AUTH_LOGIN : m;
}

static bool
strcase_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		int ca = *a >= 'a' && *a <= 'z' ? *a - 32 : *a;
		int cb = *b >= 'a' && *b <= 'z' ? *b - 32 : *b;

		if (ca != cb)
			return false;
	}
	return *a == *b;
}

/* CAPA; STLS_VARIANT is false in the "user" state, where nginx always
 * answers with the plain list. */
static enum pop3_next
capa(struct pop3 *pp, bool stls_variant)
{
	const struct mp_server *srv = pp->s->srv;
	int starttls = pp->s->tls || !stls_variant ? MP_STARTTLS_OFF : srv->ssl.starttls;
	unsigned m = enabled(pp->s);
	struct out o = { .n = 0 };

	adds(&o, capa_head);
	for (size_t i = 0; i < srv->pop3_capabilities.n; i++) {
		/* the USER command is refused before TLS with starttls only */
		if (starttls == MP_STARTTLS_ONLY && strcase_eq(srv->pop3_capabilities.v[i], "USER"))
			continue;
		adds(&o, srv->pop3_capabilities.v[i]);
		adds(&o, "\r\n");
	}
	if (starttls != MP_STARTTLS_ONLY) {
		adds(&o, "SASL");
		for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
			if (m & methods[i].bit) {
				adds(&o, " ");
				adds(&o, methods[i].name);
			}
		adds(&o, "\r\n");
	}
	if (starttls != MP_STARTTLS_OFF)
		adds(&o, "STLS\r\n");
	adds(&o, ".\r\n");
	return send_out(pp, &o);
}

/* Bare AUTH: the enabled SASL methods, one per line. */
static enum pop3_next
auth_list(struct pop3 *pp)
{
	unsigned m = enabled(pp->s);
	struct out o = { .n = 0 };

	adds(&o, methods_head);
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (m & methods[i].bit) {
			adds(&o, methods[i].name);
			adds(&o, "\r\n");
		}
	adds(&o, ".\r\n");
	return send_out(pp, &o);
}

/* STLS on a plain connection with starttls on|only: everything buffered
 * behind the command is dropped (plaintext injection, CVE-2014-3556), then
 * "+OK", the handshake, and the start state again without a new greeting. */
static enum pop3_next
stls(struct pop3 *pp)
{
	struct session *s = pp->s;

	if (s->tls || s->srv->ssl.starttls == MP_STARTTLS_OFF)
		return invalid(pp);
	s->len = 0;
	if (reply(pp, ok, sizeof ok - 1) == NEXT_CLOSE ||
	    session_tls(s, cert_missing, cert_error) == -1)
		return NEXT_CLOSE;
	/* nginx arms `timeout` afresh for the handshake and keeps that timer */
	s->deadline = mp_now_ms() + s->srv->timeout_ms;
	return NEXT_READ;
}

/* Send a SASL challenge; the client's next line is a response. */
static enum pop3_next
challenge(struct pop3 *pp, int state, const char *line, size_t n)
{
	pp->state = state;
	return reply(pp, line, n);
}

static enum pop3_next
plain(struct pop3 *pp, const struct pop3_arg *a)
{
	struct session *s = pp->s;
	int rc = sasl_plain(a->p, a->len, pp->dec, s->credcap, s->login, &s->loginlen,
	    s->pass, &s->passlen);

	if (rc != SASL_OK) {
		sasl_log(rc, "PLAIN");
		return invalid(pp);
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
		return invalid(pp);
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
		return invalid(pp);
	}
	log_set_login(s->login, s->loginlen);
	return challenge(pp, POP3_AUTH_LOGIN_PASS, password_prompt, sizeof password_prompt - 1);
}

/* AUTH [mech [initial-response]] */
static enum pop3_next
auth(struct pop3 *pp, const struct pop3_arg *args, unsigned nargs)
{
	struct session *s = pp->s;
	unsigned m = enabled(s);
	char chal[512];
	size_t clen;

	if (!session_login_allowed(s))
		return invalid(pp);
	if (nargs == 0)
		return auth_list(pp);
	switch (sasl_auth_parse(args[0].p, args[0].len, nargs)) {
	case SASL_AUTH_LOGIN:
		return challenge(pp, POP3_AUTH_LOGIN_USER, username_prompt, sizeof username_prompt - 1);
	case SASL_AUTH_LOGIN_USERNAME:
		return login_user(pp, &args[1]);
	case SASL_AUTH_PLAIN:
		return challenge(pp, POP3_AUTH_PLAIN, plain_challenge, sizeof plain_challenge - 1);
	case SASL_AUTH_PLAIN_INITIAL:
		return plain(pp, &args[1]);
	case SASL_AUTH_CRAM_MD5:
		if (!(m & MP_AUTH_CRAM_MD5))
			return invalid(pp);
		/* the greeting carried the salt: cram-md5 being enabled made one */
		clen = sasl_challenge(chal, sizeof chal, "+ ", s->salt, s->saltlen);
		if (s->saltlen == 0 || clen == 0) {
			log_msg(MP_LOG_ERR, "no salt for a CRAM-MD5 challenge");
			(void)session_reply(s, internal_error, sizeof internal_error - 1);
			return NEXT_CLOSE;
		}
		return challenge(pp, POP3_AUTH_CRAM_MD5, chal, clen);
	case SASL_AUTH_EXTERNAL:
		if (!(m & MP_AUTH_EXTERNAL))
			return invalid(pp);
		return challenge(pp, POP3_AUTH_EXTERNAL, username_prompt, sizeof username_prompt - 1);
	case SASL_AUTH_EXTERNAL_INITIAL:
		if (!(m & MP_AUTH_EXTERNAL))
			return invalid(pp);
		return external(pp, &args[1]);
	default:
		return invalid(pp);
	}
}

/* One SASL response line of an AUTH exchange. */
static enum pop3_next
auth_step(struct pop3 *pp, const struct pop3_arg *a)
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
			return invalid(pp);
		}
		s->have_pass = true;
		s->method = "plain";
		return NEXT_AUTH;
	case POP3_AUTH_CRAM_MD5:
		rc = sasl_cram_md5(a->p, a->len, pp->dec, s->credcap, s->login, &s->loginlen,
		    s->pass, &s->passlen);
		if (rc != SASL_OK) {
			sasl_log(rc, "CRAM-MD5");
			return invalid(pp);
		}
		log_set_login(s->login, s->loginlen);
		s->have_pass = true;	/* the digest, until the request is built */
		s->method = "cram-md5";
		return NEXT_AUTH;
	case POP3_AUTH_EXTERNAL:
		return external(pp, a);
	}
	return invalid(pp);
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
				return invalid(pp);
			session_set_pass(s, p->args[0].p, p->args[0].len);
			s->method = "plain";
			pp->state = POP3_START;
			return NEXT_AUTH;
		case POP3_CMD_CAPA:
			return capa(pp, false);
		case POP3_CMD_QUIT:
			(void)reply(pp, ok, sizeof ok - 1);
			return NEXT_CLOSE;
		case POP3_CMD_NOOP:
			return reply(pp, ok, sizeof ok - 1);
		default:
			return invalid(pp);	/* USER must be sent again */
		}
	}

	switch (p->cmd) {
	case POP3_CMD_USER:
		if (!session_login_allowed(s) || p->nargs != 1)
			return invalid(pp);
		session_set_login(s, p->args[0].p, p->args[0].len);
		pp->state = POP3_USER;
		return reply(pp, ok, sizeof ok - 1);
	case POP3_CMD_CAPA:
		return capa(pp, true);
	case POP3_CMD_APOP:
		if (!session_login_allowed(s) || p->nargs != 2 || !(s->srv->pop3_auth & MP_AUTH_APOP))
			return invalid(pp);
		session_set_login(s, p->args[0].p, p->args[0].len);
		session_set_pass(s, p->args[1].p, p->args[1].len);	/* the digest */
		s->method = "apop";
		return NEXT_AUTH;
	case POP3_CMD_AUTH:
		return auth(pp, p->args, p->nargs);
	case POP3_CMD_QUIT:
		(void)reply(pp, ok, sizeof ok - 1);
		return NEXT_CLOSE;
	case POP3_CMD_NOOP:
		return reply(pp, ok, sizeof ok - 1);
	case POP3_CMD_STLS:
		return stls(pp);
	default:
		return invalid(pp);	/* PASS before USER */
	}
}

static enum pop3_next
auth_failed(struct session *s, const struct auth_failure *f)
{
	char line[sizeof f->text + 8];
	size_t n = 5;

	memcpy(line, "-ERR ", 5);
	memcpy(line + n, f->text, f->textlen);
	n += f->textlen;
	memcpy(line + n, "\r\n", 2);
	n += 2;
	return session_reply(s, line, n) == 0 ? NEXT_READ : NEXT_CLOSE;
}

/* Authenticate; on success log in to the backend and exec the relay with
 * PENDING, the bytes the client sent behind its login. */
static enum pop3_next
authenticate_and_relay(struct pop3 *pp, const char *pending, size_t npending)
{
	struct session *s = pp->s;
	struct auth_failure f;
	struct pop3_backend pb;
	struct backend_buf b;
	enum backend_result rc;

	switch (session_auth(s, "pop3", &f)) {
	case SA_OK:
		break;
	case SA_FAIL:
		pp->state = POP3_START;
		s->deadline = mp_now_ms() + s->srv->timeout_ms;
		return auth_failed(s, &f);	/* the session goes on */
	case SA_FAIL_CLOSE:
		(void)auth_failed(s, &f);
		return NEXT_CLOSE;
	default:
		(void)session_reply(s, internal_error, sizeof internal_error - 1);
		return NEXT_CLOSE;
	}

	if (session_connect_backend(s) == -1) {
		(void)session_reply(s, internal_error, sizeof internal_error - 1);
		return NEXT_CLOSE;
	}
	b.cap = s->srv->proxy_buffer;
	b.len = 0;
	b.p = malloc(b.cap);
	if (b.p == NULL || pop3_backend_init(&pb, s->login, s->loginlen, s->pass, s->passlen) == -1) {
		log_msg(MP_LOG_ERR, "%s", b.p == NULL ? "out of memory" :
		    "login or password with CR or LF cannot be sent to a POP3 backend");
		free(b.p);
		explicit_bzero(s->pass, s->credcap);
		(void)session_reply(s, internal_error, sizeof internal_error - 1);
		return NEXT_CLOSE;
	}
	rc = pop3_backend_login(s->bfd, &pb, &b, s->deadline);
	explicit_bzero(s->pass, s->credcap);
	if (rc == BACKEND_OK) {
		log_msg(MP_LOG_INFO, "client logged in");
		if (session_reply(s, b.p, b.len) == 0)
			(void)session_exec_relay(s, pending, npending);
		free(b.p);
		return NEXT_CLOSE;
	}
	backend_log_result(rc, &b, rc == BACKEND_REJECTED && s->srv->proxy_pass_error_message);
	if (rc == BACKEND_REJECTED && s->srv->proxy_pass_error_message)
		(void)session_reply(s, b.p, b.len);
	else
		(void)session_reply(s, internal_error, sizeof internal_error - 1);
	free(b.p);
	return NEXT_CLOSE;
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
	char line[sizeof greeting + sizeof s->salt];
	size_t n = sizeof greeting - 1;

	memcpy(line, greeting, n);
	if (s->srv->pop3_auth & (MP_AUTH_APOP | MP_AUTH_CRAM_MD5)) {
		s->saltlen = sasl_salt(s->salt, sizeof s->salt, s->srv->server_name);
		if (s->saltlen == 0) {
			log_msg(MP_LOG_ERR, "server_name is too long for an APOP salt");
			(void)session_reply(s, internal_error, sizeof internal_error - 1);
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

	if (s->ls->ssl && session_tls(s, cert_missing, cert_error) == -1)
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
				(void)session_reply(s, invalid_command, sizeof invalid_command - 1);
				return 0;
			}
			continue;
		}
		off += used;
		if (rc == POP3_INVALID) {
			s->errors++;
			next = invalid(pp);
			if (next != NEXT_CLOSE && s->errors >= s->srv->max_errors) {
				log_msg(MP_LOG_INFO, "client sent too many invalid commands");
				next = NEXT_CLOSE;
			}
		} else if (pp->state == POP3_START || pp->state == POP3_USER) {
			next = command(pp);
		} else {
			next = auth_step(pp, pp->p.nargs > 0 ? &pp->p.args[0] : &empty);
		}

		/* nginx empties its buffer only once every byte in it is processed
		 * (STLS empties it at once) */
		if (off >= s->len) {
			s->len = 0;
			off = 0;
		}
		if (next == NEXT_AUTH) {
			pp->state = POP3_START;
			next = authenticate_and_relay(pp, s->buf + off, s->len - off);
		}
		if (next == NEXT_CLOSE)
			return 0;
		if (pp->state == POP3_START || pp->state == POP3_USER)
			pop3_parser_init(&pp->p);
		else
			pop3_parser_sasl(&pp->p);
	}
}
