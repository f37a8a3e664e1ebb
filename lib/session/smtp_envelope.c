/* SPDX-License-Identifier: ISC */
/* smtp_envelope.c: the SMTP commands that need no credentials: the EHLO
 * list, HELO/EHLO, and MAIL FROM and RCPT TO, which with smtp_auth none
 * are what the auth request and the backend get instead of a login. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "smtp_int.h"

/* The EHLO reply: server name, smtp_capabilities, AUTH, STARTTLS, each a
 * "250-" line but the last, which is "250 ". */
char *
smtp_ehlo_list(const struct session *s, size_t *lenp)
{
	const struct mp_server *srv = s->srv;
	int starttls = s->tls ? MP_STARTTLS_OFF : srv->ssl.starttls;
	char auth[96] = "AUTH";	/* every name of sasl_names fits */
	const char *line[4 + 2];
	size_t nlines = 0, size = 0, n = 0, ncaps = srv->smtp_capabilities.n;
	bool has_auth = false;
	char *out;

	for (size_t i = 0; i < sizeof sasl_names / sizeof sasl_names[0]; i++)
		if (srv->smtp_auth & sasl_names[i].bit) {
			strcat(auth, " ");
			strcat(auth, sasl_names[i].name);
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

void
smtp_forget_envelope(struct session *s)
{
	s->smtp_from[0] = s->smtp_to[0] = '\0';
	s->smtp_fromlen = s->smtp_tolen = 0;
}

enum session_next
smtp_helo(struct smtp *sm)
{
	struct session *s = sm->s;
	struct smtp_parser *p = &sm->p;

	if (p->nargs != 1 || has_nul(p->args[0].p, p->args[0].len))
		return session_say(s, smtp_invalid_argument);
	store(s->smtp_helo, &s->smtp_helolen, p->args[0].p, p->args[0].len);
	smtp_forget_envelope(s);
	if (p->cmd == SMTP_CMD_HELO)
		return session_reply3(s, "250 ", 4, s->srv->server_name, strlen(s->srv->server_name),
		    "\r\n", 2) == 0 ? NEXT_READ : NEXT_CLOSE;
	s->esmtp = true;
	return session_reply(s, sm->ehlo, sm->ehlolen) == 0 ? NEXT_READ : NEXT_CLOSE;
}

/* nginx logs the rejected command with CR and LF shown as '_'. Only the
 * first line is shown, not what was pipelined behind it, and of an AUTH
 * line only the mechanism: the rest may be a password or a bearer token. */
void
smtp_log_rejected(const char *what, const char *p, size_t n)
{
	const char *lf = memchr(p, '\n', n), *sp = NULL;
	char line[512];
	size_t k;

	if (lf != NULL)
		n = (size_t)(lf - p) + 1;
	if (n > 5 && strncasecmp(p, "AUTH ", 5) == 0) {
		/* the mechanism name (RFC 4422 3.1), then whatever follows hidden */
		for (sp = p + 5; sp < p + n && ((*sp >= 'A' && *sp <= 'Z') ||
		    (*sp >= 'a' && *sp <= 'z') || (*sp >= '0' && *sp <= '9') ||
		    *sp == '-' || *sp == '_'); sp++)
			;
		if (sp < p + n && *sp != '\r' && *sp != '\n')
			n = (size_t)(sp - p);
		else
			sp = NULL;
	}
	k = n < sizeof line ? n : sizeof line;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)p[i];

		line[i] = c == '\r' || c == '\n' ? '_' : c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	log_msg(MP_LOG_INFO, "client was rejected%s: \"%.*s%s\"", what, (int)k, line,
	    sp != NULL ? " (hidden)" : "");
}

enum session_next
smtp_mail(struct smtp *sm, size_t used)
{
	struct session *s = sm->s;
	struct smtp_parser *p = &sm->p;

	if (!(s->srv->smtp_auth & MP_AUTH_NONE)) {
		smtp_log_rejected("", s->buf, used);
		return session_say(s, smtp_auth_required);
	}
	if (s->smtp_fromlen > 0)
		return session_say(s, smtp_bad_sequence);
	if (p->nargs == 0 || has_nul(s->buf, p->textlen))
		return session_say(s, smtp_invalid_argument);
	store(s->smtp_from, &s->smtp_fromlen, s->buf, p->textlen);
	/* credentials of an earlier failed AUTH are not the envelope's (1.29.1) */
	explicit_bzero(s->pass, s->credcap);
	s->loginlen = s->passlen = 0;
	s->have_pass = false;
	log_set_login("", 0);
	return session_say(s, smtp_ok);
}

enum session_next
smtp_rcpt(struct smtp *sm)
{
	struct session *s = sm->s;
	struct smtp_parser *p = &sm->p;

	if (s->smtp_fromlen == 0)
		return session_say(s, smtp_bad_sequence);
	if (p->nargs == 0 || has_nul(s->buf, p->textlen))
		return session_say(s, smtp_invalid_argument);
	store(s->smtp_to, &s->smtp_tolen, s->buf, p->textlen);
	s->method = METHOD_NONE;
	return NEXT_AUTH;
}
