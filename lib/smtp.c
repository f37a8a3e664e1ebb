/* smtp.c: the SMTP pre-authentication dialogue (nginx's smtp handler):
 * client host, greeting delay, greeting, HELO/EHLO, AUTH, MAIL/RCPT for
 * smtp_auth none, RSET, NOOP, QUIT, then the auth request, the backend
 * login and the hand-off to the relay. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "io.h"
#include "log.h"
#include "sasl.h"
#include "resolver.h"
#include "session.h"
#include "smtp.h"
#include "smtp_backend.h"
#include "smtp_parse.h"

static const char internal_error[] = "451 4.3.2 Internal server error\r\n";
static const char invalid_command[] = "500 5.5.1 Invalid command\r\n";
static const char invalid_argument[] = "501 5.5.4 Invalid argument\r\n";
static const char invalid_pipelining[] = "503 5.5.0 Improper use of SMTP command pipelining\r\n";
static const char bad_sequence[] = "503 5.5.1 Bad sequence of commands\r\n";
static const char auth_required[] = "530 5.7.1 Authentication required\r\n";
static const char ok[] = "250 2.0.0 OK\r\n";
static const char bye[] = "221 2.0.0 Bye\r\n";
static const char auth_ok[] = "235 2.0.0 OK\r\n";

#define REPLY(s, str) session_reply((s), (str), sizeof(str) - 1)

enum smtp_state {
	SMTP_START,
	SMTP_AUTH_PLAIN,
	SMTP_AUTH_LOGIN_USER,
	SMTP_AUTH_LOGIN_PASS,
	SMTP_AUTH_CRAM_MD5,
	SMTP_AUTH_EXTERNAL
};

struct smtp {
	struct session *s;
	struct smtp_parser p;
	int state;
	char *dec;			/* SASL decoding, credcap bytes */
	char *ehlo;			/* the EHLO reply, built again after TLS */
	size_t ehlolen;
};

static int
invalid(struct smtp *sm)
{
	sm->state = SMTP_START;
	return REPLY(sm->s, invalid_command) == 0;
}

/* Client-Host and XCLIENT NAME: the forward-confirmed reverse DNS name of
 * the client, or nginx's [UNAVAILABLE] / [TEMPUNAVAIL]; only SMTP asks. */
static void
client_host(struct session *s)
{
	(void)resolver_client_host(s->srv, (const struct sockaddr *)&s->conn->peer,
	    s->client_host, sizeof s->client_host);
}

/* The EHLO reply: server name, smtp_capabilities, AUTH, STARTTLS, each a
 * "250-" line but the last, which is "250 ". */
static char *
ehlo_list(const struct session *s, size_t *lenp)
{
	const struct mp_server *srv = s->srv;
	int starttls = s->tls ? MP_STARTTLS_OFF : srv->ssl.starttls;
	static const struct { unsigned bit; const char *name; } methods[] = {
		{ MP_AUTH_PLAIN, " PLAIN" }, { MP_AUTH_LOGIN, " LOGIN" },
		{ MP_AUTH_CRAM_MD5, " CRAM-MD5" }, { MP_AUTH_EXTERNAL, " EXTERNAL" },
	};
	char auth[64] = "AUTH";
	const char *line[4 + 2];
	size_t nlines = 0, size = 0, n = 0, ncaps = srv->smtp_capabilities.n;
	bool has_auth = false;
	char *out;

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (srv->smtp_auth & methods[i].bit) {
			strcat(auth, methods[i].name);
			has_auth = true;
		}
	/* before TLS, "starttls only" hides AUTH, which is refused then */
	if (starttls == MP_STARTTLS_ONLY)
		has_auth = false;
	size += 6 + strlen(srv->server_name);
	for (size_t i = 0; i < ncaps; i++)
		size += 6 + strlen(srv->smtp_capabilities.v[i]);
	size += 6 + sizeof auth + 6 + 8;
	out = malloc(size);
	if (out == NULL)
		return NULL;

	if (has_auth)
		line[nlines++] = auth;
	if (starttls != MP_STARTTLS_OFF)
		line[nlines++] = "STARTTLS";
#define LINE(str, last) do { const char *l_ = (str); size_t k_ = strlen(l_); \
	memcpy(out + n, (last) ? "250 " : "250-", 4); memcpy(out + n + 4, l_, k_); \
	memcpy(out + n + 4 + k_, "\r\n", 2); n += k_ + 6; } while (0)
	LINE(srv->server_name, ncaps + nlines == 0);
	for (size_t i = 0; i < ncaps; i++)
		LINE(srv->smtp_capabilities.v[i], i + 1 == ncaps && nlines == 0);
	for (size_t i = 0; i < nlines; i++)
		LINE(line[i], i + 1 == nlines);
#undef LINE
	*lenp = n;
	return out;
}

/* NUL is the one byte the parser lets into an argument that the auth
 * request (Auth-SMTP-*) and the backend lines (HELO, MAIL, RCPT) must not
 * carry: CR and LF end a line before they can get there. */
static bool
has_nul(const char *p, size_t n)
{
	return memchr(p, '\0', n) != NULL;
}

static void
store(char *dst, size_t *dstlen, const char *p, size_t n)
{
	memcpy(dst, p, n);
	dst[n] = '\0';
	*dstlen = n;
}

static void
forget_envelope(struct session *s)
{
	s->smtp_from[0] = s->smtp_to[0] = '\0';
	s->smtp_fromlen = s->smtp_tolen = 0;
}

static int
helo(struct smtp *sm)
{
	struct session *s = sm->s;
	struct smtp_parser *p = &sm->p;

	if (p->nargs != 1 || has_nul(p->args[0].p, p->args[0].len))
		return REPLY(s, invalid_argument) == 0;
	store(s->smtp_helo, &s->smtp_helolen, p->args[0].p, p->args[0].len);
	forget_envelope(s);
	if (p->cmd == SMTP_CMD_HELO)
		return session_reply3(s, "250 ", 4, s->srv->server_name, strlen(s->srv->server_name),
		    "\r\n", 2) == 0;
	s->esmtp = true;
	return session_reply(s, sm->ehlo, sm->ehlolen) == 0;
}

/* nginx logs the rejected command with CR and LF shown as '_'. Only this
 * line is shown, not what was pipelined behind it (it may hold a password). */
static void
log_rejected(const char *what, const char *p, size_t n)
{
	char line[512];
	size_t k = n < sizeof line ? n : sizeof line;

	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)p[i];

		line[i] = c == '\r' || c == '\n' ? '_' : c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	log_msg(MP_LOG_INFO, "client was rejected%s: \"%.*s\"", what, (int)k, line);
}

static int
mail(struct smtp *sm, size_t used)
{
	struct session *s = sm->s;
	struct smtp_parser *p = &sm->p;

	if (!(s->srv->smtp_auth & MP_AUTH_NONE)) {
		log_rejected("", s->buf, used);
		return REPLY(s, auth_required) == 0;
	}
	if (s->smtp_fromlen > 0)
		return REPLY(s, bad_sequence) == 0;
	if (p->nargs == 0 || has_nul(s->buf, p->textlen))
		return REPLY(s, invalid_argument) == 0;
	store(s->smtp_from, &s->smtp_fromlen, s->buf, p->textlen);
	/* credentials of an earlier failed AUTH are not the envelope's (1.29.1) */
	explicit_bzero(s->pass, s->credcap);
	s->loginlen = s->passlen = 0;
	s->have_pass = false;
	log_set_login("", 0);
	return REPLY(s, ok) == 0;
}

static int
rcpt(struct smtp *sm)
{
	struct session *s = sm->s;
	struct smtp_parser *p = &sm->p;

	if (s->smtp_fromlen == 0)
		return REPLY(s, bad_sequence) == 0;
	if (p->nargs == 0 || has_nul(s->buf, p->textlen))
		return REPLY(s, invalid_argument) == 0;
	store(s->smtp_to, &s->smtp_tolen, s->buf, p->textlen);
	s->method = "none";
	return 2;
}

static const char cert_missing[] = "421 4.7.1 No required SSL certificate\r\n";
static const char cert_error[] = "421 4.7.1 SSL certificate error\r\n";

/* STARTTLS (RFC 3207; CVE-2014-3556): forget HELO, MAIL and RCPT, drop
 * every byte buffered behind the command, reply, hand the socket to the
 * TLS process, and go on without a new greeting. */
static int
tls_ehlo(struct smtp *sm)
{
	free(sm->ehlo);
	sm->ehlo = ehlo_list(sm->s, &sm->ehlolen);
	return sm->ehlo != NULL ? 0 : -1;
}

static int
starttls(struct smtp *sm)
{
	struct session *s = sm->s;

	if (s->tls || s->srv->ssl.starttls == MP_STARTTLS_OFF)
		return invalid(sm);
	s->smtp_helolen = s->smtp_fromlen = s->smtp_tolen = 0;
	s->len = 0;
	if (REPLY(s, "220 2.0.0 Start TLS\r\n") == -1 ||
	    session_tls(s, cert_missing, cert_error) == -1 || tls_ehlo(sm) == -1)
		return 0;
	return 1;
}

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
		return invalid(sm);
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
		return invalid(sm);
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
		return invalid(sm);
	}
	log_set_login(s->login, s->loginlen);
	return challenge(sm, SMTP_AUTH_LOGIN_PASS, "334 UGFzc3dvcmQ6\r\n", 18);
}

/* AUTH mech [initial-response]: 1 go on, 0 close, 2 authenticate. */
static int
auth(struct smtp *sm)
{
	struct session *s = sm->s;
	const struct smtp_arg *a = sm->p.args;
	unsigned enabled = s->srv->smtp_auth;
	char chal[512];
	size_t clen;

	if (!s->tls && s->srv->ssl.starttls == MP_STARTTLS_ONLY)
		return invalid(sm);
	if (sm->p.nargs == 0)
		return REPLY(s, invalid_argument) == 0;
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
			return invalid(sm);
		if (s->saltlen == 0)
			s->saltlen = sasl_salt(s->salt, sizeof s->salt, s->srv->server_name);
		clen = sasl_challenge(chal, sizeof chal, "334 ", s->salt, s->saltlen);
		if (s->saltlen == 0 || clen == 0) {
			log_msg(MP_LOG_ERR, "server_name is too long for a CRAM-MD5 salt");
			(void)REPLY(s, internal_error);
			return 0;
		}
		return challenge(sm, SMTP_AUTH_CRAM_MD5, chal, clen);
	case SASL_AUTH_EXTERNAL:
		if (!(enabled & MP_AUTH_EXTERNAL))
			return invalid(sm);
		return challenge(sm, SMTP_AUTH_EXTERNAL, "334 VXNlcm5hbWU6\r\n", 18);
	case SASL_AUTH_EXTERNAL_INITIAL:
		if (!(enabled & MP_AUTH_EXTERNAL))
			return invalid(sm);
		return external(sm, a[1].p, a[1].len);
	default:
		return invalid(sm);
	}
}

/* One SASL response line: 1, 0 or 2 as above. */
static int
auth_step(struct smtp *sm, const struct mail_arg *a)
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
			return invalid(sm);
		}
		s->have_pass = true;
		s->method = "plain";
		return 2;
	case SMTP_AUTH_CRAM_MD5:
		rc = sasl_cram_md5(a->p, a->len, sm->dec, s->credcap, s->login, &s->loginlen,
		    s->pass, &s->passlen);
		if (rc != SASL_OK) {
			sasl_log(rc, "CRAM-MD5");
			return invalid(sm);
		}
		log_set_login(s->login, s->loginlen);
		s->have_pass = true;	/* the digest, until the request is built */
		s->method = "cram-md5";
		return 2;
	case SMTP_AUTH_EXTERNAL:
		return external(sm, a->p, a->len);
	}
	return invalid(sm);
}

/* A complete command line of USED bytes at the start of the buffer. */
static int
command(struct smtp *sm, size_t used)
{
	struct session *s = sm->s;

	switch (sm->p.cmd) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
		return helo(sm);
	case SMTP_CMD_AUTH:
		return auth(sm);
	case SMTP_CMD_QUIT:
		(void)REPLY(s, bye);
		return 0;
	case SMTP_CMD_MAIL:
		return mail(sm, used);
	case SMTP_CMD_RCPT:
		return rcpt(sm);
	case SMTP_CMD_RSET:
		forget_envelope(s);
		return REPLY(s, ok) == 0;
	case SMTP_CMD_NOOP:
		return REPLY(s, ok) == 0;
	case SMTP_CMD_STARTTLS:
		return starttls(sm);
	default:
		/* VRFY, EXPN, HELP: known to the parser, not counted as errors */
		return invalid(sm);
	}
}

static int
login_failed(struct session *s, const struct auth_failure *f)
{
	return session_reply3(s, f->code, f->codelen, " ", 1, f->text, f->textlen) == 0 &&
	    session_reply(s, "\r\n", 2) == 0;
}

static int
backend_login(struct smtp *sm, struct backend_buf *b)
{
	struct session *s = sm->s;
	const struct mp_server *srv = s->srv;
	struct smtp_backend sb;
	enum backend_result rc;
	bool no_password;

	memset(&sb, 0, sizeof sb);
	sb.server_name = srv->server_name;
	sb.xclient = srv->xclient;
	sb.smtp_auth = srv->proxy_smtp_auth;
	sb.none = strcmp(s->method, "none") == 0;
	sb.esmtp = s->esmtp;
	sb.addr = s->conn->peer_ip;
	sb.ipv6 = s->conn->peer.ss_family == AF_INET6;
	sb.host = s->client_host;
	sb.helo = s->smtp_helo;
	sb.helolen = s->smtp_helolen;
	sb.from = s->smtp_from;
	sb.fromlen = s->smtp_fromlen;
	sb.to = s->smtp_to;
	sb.tolen = s->smtp_tolen;
	sb.login = s->login;
	sb.loginlen = s->loginlen;
	sb.pass = s->pass;
	sb.passlen = s->passlen;
	sb.have_pass = s->have_pass;
	sb.scratchcap = smtp_backend_scratch_size(&sb);
	sb.scratch = malloc(sb.scratchcap);
	if (sb.scratch == NULL || smtp_backend_init(&sb) == -1) {
		log_msg(MP_LOG_ALERT, "backend login could not start");
		free(sb.scratch);
		return -1;
	}
	rc = smtp_backend_login(s->bfd, &sb, b, s->deadline, &no_password);
	free(sb.scratch);
	explicit_bzero(s->pass, s->credcap);
	if (rc == BACKEND_OK) {
		log_msg(MP_LOG_INFO, "client logged in");
		/* with smtp_auth none the backend's RCPT reply answers the client's RCPT */
		if (sb.none)
			return session_reply(s, b->p, b->len) == 0 ? 1 : 0;
		return REPLY(s, auth_ok) == 0 ? 1 : 0;
	}
	if (no_password) {
		log_msg(MP_LOG_ERR, "no password available");
		return -1;
	}
	backend_log_result(rc, b, rc == BACKEND_REJECTED && srv->proxy_pass_error_message);
	if (rc == BACKEND_REJECTED && srv->proxy_pass_error_message) {
		(void)session_reply(s, b->p, b->len);
		return 0;
	}
	return -1;
}

/* Everything after the authenticating line goes to the backend. */
static int
authenticate_and_relay(struct smtp *sm)
{
	struct session *s = sm->s;
	struct auth_failure f;
	struct backend_buf b;
	int r;

	switch (session_auth(s, "smtp", &f)) {
	case SA_OK:
		break;
	case SA_FAIL:
		/* nginx keeps HELO, MAIL and RCPT for the next attempt */
		sm->state = SMTP_START;
		s->deadline = mp_now_ms() + s->srv->timeout_ms;
		return login_failed(s, &f) ? 1 : 0;
	case SA_FAIL_CLOSE:
		(void)login_failed(s, &f);
		return 0;
	default:
		(void)REPLY(s, internal_error);
		return 0;
	}

	if (session_connect_backend(s) == -1) {
		(void)REPLY(s, internal_error);
		return 0;
	}
	b.cap = s->srv->proxy_buffer;
	b.len = 0;
	b.p = malloc(b.cap);
	if (b.p == NULL) {
		log_msg(MP_LOG_ALERT, "out of memory");
		(void)REPLY(s, internal_error);
		return 0;
	}
	r = backend_login(sm, &b);
	if (r == -1)
		(void)REPLY(s, internal_error);
	if (r == 1)
		(void)session_exec_relay(s, s->buf, s->len);
	free(b.p);
	return 0;
}

static int
too_long(struct smtp *sm)
{
	log_msg(MP_LOG_INFO, "client sent too long command");
	(void)REPLY(sm->s, invalid_command);
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
	log_rejected(" before greeting", s->buf, (size_t)n);
	(void)REPLY(s, invalid_pipelining);
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
	sm->ehlo = ehlo_list(s, &sm->ehlolen);
	if (s->buf == NULL || s->login == NULL || s->pass == NULL || sm->dec == NULL ||
	    s->smtp_helo == NULL || s->smtp_from == NULL || s->smtp_to == NULL || sm->ehlo == NULL) {
		log_msg(MP_LOG_ALERT, "out of memory");
		return -1;
	}
	s->smtp_helo[0] = '\0';
	s->smtp_helolen = 0;
	forget_envelope(s);
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
	if (s->ls->ssl && (session_tls(s, cert_missing, cert_error) == -1 || tls_ehlo(sm) == -1))
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
			r = invalid(sm);
			session_consume(s, used);
			smtp_parser_init(&sm->p);
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

		if (sm->state == SMTP_START)
			r = command(sm, used);
		else
			r = auth_step(sm, &args[0]);
		/* the line is spent: what follows it stays for the next round or
		 * goes to the backend */
		session_consume(s, used);
		smtp_parser_init(&sm->p);
		if (r == 2)
			r = authenticate_and_relay(sm);
		if (r == 0)
			return 0;
	}
}
