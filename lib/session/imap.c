/* SPDX-License-Identifier: ISC */
/* imap.c: the IMAP pre-authentication dialogue (nginx's imap handler):
 * greeting, CAPABILITY, NOOP, LOGOUT, STARTTLS, LOGIN and AUTHENTICATE
 * (the SASL exchange is sasl_session.c's), tags and literals, and the
 * backend login of imap_backend.c. */
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "frontend.h"
#include "ident.h"
#include "imap_backend.h"
#include "log.h"
#include "log_debug.h"

static const char greeting[] = "* OK IMAP4 ready\r\n";
/* imap_id on: nothing about the backend or the proxy (RFC 2971 allows NIL) */
static const char id_reply[] = "* ID NIL\r\n";
static const char id_done[] = "OK ID completed\r\n";

static enum session_next
tagged(struct session *s, const char *text)
{
	return session_reply3(s, "", 0, s->tag, s->taglen, text, strlen(text)) == 0 ?
	    NEXT_READ : NEXT_CLOSE;
}

static bool
listed(const struct mp_strlist *l, const char *word)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], word) == 0)
			return true;
	return false;
}

static enum session_next
capability(struct session *s)
{
	const struct mp_server *srv = s->srv;
	int starttls = s->tls ? MP_STARTTLS_OFF : srv->ssl.starttls;
	char line[2048];
	size_t n = 0;

#define ADD(str) do { size_t l_ = strlen(str); if (n + l_ < sizeof line) { memcpy(line + n, str, l_); n += l_; } } while (0)
	ADD("* CAPABILITY");
	for (size_t i = 0; i < srv->imap_capabilities.n; i++) {
		ADD(" ");
		ADD(srv->imap_capabilities.v[i]);
	}
	if (srv->imap_id && !listed(&srv->imap_capabilities, "ID"))
		ADD(" ID");
	if (starttls == MP_STARTTLS_ONLY) {
		ADD(" STARTTLS LOGINDISABLED");
	} else {
		for (size_t i = 0; i < sizeof sasl_names / sizeof sasl_names[0]; i++)
			if (srv->imap_auth & sasl_names[i].bit) {
				ADD(" AUTH=");
				ADD(sasl_names[i].name);
			}
		if (starttls == MP_STARTTLS_ON)
			ADD(" STARTTLS");
	}
	ADD("\r\n");
#undef ADD
	return session_reply3(s, line, n, s->tag, s->taglen, "OK completed\r\n", 14) == 0 ?
	    NEXT_READ : NEXT_CLOSE;
}

static void
set_tag(struct session *s, const struct imap_parser *p)
{
	if (p->taglen == 0) {
		memcpy(s->tag, "* ", 2);
		s->taglen = 2;
		return;
	}
	s->taglen = p->taglen < sizeof s->tag ? p->taglen : sizeof s->tag;
	memcpy(s->tag, p->tag, s->taglen);
}

/* A complete command in the not-authenticated state; BASE is the buffer
 * the parser read it from (ID's offsets are into it). */
static enum session_next
command(struct session *s, const struct imap_parser *p, const char *base)
{
	switch (p->cmd) {
	case IMAP_CMD_CAPABILITY:
		return capability(s);
	case IMAP_CMD_NOOP:
		return tagged(s, "OK completed\r\n");
	case IMAP_CMD_LOGOUT:
		(void)session_reply3(s, "* BYE\r\n", 7, s->tag, s->taglen, "OK completed\r\n", 14);
		return NEXT_CLOSE;
	case IMAP_CMD_STARTTLS:
		if (s->tls || s->srv->ssl.starttls == MP_STARTTLS_OFF)
			return session_invalid(s);
		/* whatever came behind STARTTLS is never executed (CVE-2014-3556) */
		s->len = 0;
		if (tagged(s, "OK completed\r\n") == NEXT_CLOSE || session_tls(s) == -1)
			return NEXT_CLOSE;
		return NEXT_READ;
	case IMAP_CMD_LOGIN:
		if (!session_login_allowed(s) || p->nargs != 2 || p->args[0].len == 0)
			return session_invalid(s);
		session_set_login(s, p->args[0].p, p->args[0].len);
		session_set_pass(s, p->args[1].p, p->args[1].len);
		s->method = METHOD_PLAIN;
		return NEXT_AUTH;
	case IMAP_CMD_ID:
		/* the parser knows ID only with imap_id on */
		(void)imap_id_text(&p->id, base, s->imap_id, sizeof s->imap_id);
		return session_reply3(s, id_reply, sizeof id_reply - 1, s->tag, s->taglen,
		    id_done, sizeof id_done - 1) == 0 ? NEXT_READ : NEXT_CLOSE;
	case IMAP_CMD_AUTHENTICATE:
		if (p->nargs == 0)
			return session_invalid(s);
		return sasl_session_start(s, p->args[0].p, p->args[0].len, p->nargs,
		    p->nargs > 1 ? p->args[1].p : NULL, p->nargs > 1 ? p->args[1].len : 0);
	default:
		return session_invalid(s);
	}
}

int
imap_run(struct session *s)
{
	struct imap_parser p;
	size_t off = 0;	/* an AUTHENTICATE exchange stays in the buffer, as in nginx */

	imap_parser_init(&p);
	p.id_on = s->srv->imap_id;
	memcpy(s->tag, "* ", 2);
	s->taglen = 2;

	if (session_start(s) == -1 || session_greet(s, greeting, sizeof greeting - 1) == -1)
		return 0;
	for (;;) {
		enum session_next next;
		size_t used = 0, end;
		int rc;

		rc = imap_parse(&p, s->buf + off, s->len - off, &used);
		switch (rc) {
		case IMAP_AGAIN:
			set_tag(s, &p);	/* for "too long command" */
			if (session_read(s) == NEXT_CLOSE)
				return 0;
			continue;
		case IMAP_LITERAL:
			if (session_reply(s, "+ OK\r\n", 6) == -1)
				return 0;
			continue;
		case IMAP_INVALID:
		case IMAP_INVALID_CLOSE:
			set_tag(s, &p);
			if (rc == IMAP_INVALID_CLOSE) {
				s->errors++;
				next = session_invalid(s);
			} else {
				next = session_error(s);
			}
			session_consume(s, off + used);
			off = 0;
			imap_parser_next(&p);
			session_forget_credentials(s);
			if (next == NEXT_CLOSE || rc == IMAP_INVALID_CLOSE)
				return 0;
			continue;
		default:
			break;
		}

		set_tag(s, &p);
		log_debug_imap(&p, s->sasl != SASL_IDLE);
		if (s->sasl == SASL_IDLE)
			next = command(s, &p, s->buf + off);
		else
			next = sasl_session_step(s, p.nargs > 0 ? p.args[0].p : "",
			    p.nargs > 0 ? p.args[0].len : 0);
		/* everything after the authenticating command goes to the backend */
		end = off + used;
		if (session_settle(s, next, s->buf + end, s->len - end, false) == NEXT_CLOSE)
			return 0;
		if (s->sasl != SASL_IDLE) {
			/* a challenge went out (a refused bearer token's too): the
			 * response follows this line */
			off = end;
			imap_parser_sasl(&p);
			p.before = off;
		} else {
			session_consume(s, end);
			off = 0;
			imap_parser_next(&p);
		}
	}
}

/* With proxy_client_id, ID with the client's identity first (ident.h). */
static int
set_id(struct session *s, struct imap_backend *ib)
{
	char args[IDENT_OUT_MAX];
	size_t n = session_ident(s, ident_imap_id, args, sizeof args);

	return n == 0 ? -1 : imap_backend_set_id(ib, args, n);
}

/* LOGIN with the client's tag, login and password as literals */
enum backend_result
imap_login(struct session *s, struct backend_buf *b)
{
	struct imap_backend ib;
	enum backend_result r;

	if (imap_backend_init(&ib, s->tag, s->taglen, s->login, s->loginlen,
	    s->pass, s->passlen) == -1 || (s->client_id && set_id(s, &ib) == -1)) {
		log_msg(MP_LOG_ALERT, "backend login could not start");
		return BACKEND_ABORTED;
	}
	r = imap_backend_login(s->bfd, &ib, b, s->deadline);
	if (ib.id_refused)
		log_msg(MP_LOG_WARN, "upstream refused ID: the client's address was not passed on");
	return r;
}
