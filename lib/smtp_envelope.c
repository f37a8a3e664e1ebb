/* smtp_envelope.c: the SMTP commands that need no credentials: the EHLO
 * list, HELO/EHLO, and MAIL FROM and RCPT TO, which with smtp_auth none
 * are what the auth request and the backend get instead of a login. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "smtp_int.h"

/* The EHLO reply: server name, smtp_capabilities, AUTH, STARTTLS, each a
 * "250-" line but the last, which is "250 ". */
char *
smtp_ehlo_list(const struct session *s, size_t *lenp)
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

void
smtp_forget_envelope(struct session *s)
{
	s->smtp_from[0] = s->smtp_to[0] = '\0';
	s->smtp_fromlen = s->smtp_tolen = 0;
}

int
smtp_helo(struct smtp *sm)
{
	struct session *s = sm->s;
	struct smtp_parser *p = &sm->p;

	if (p->nargs != 1 || has_nul(p->args[0].p, p->args[0].len))
		return REPLY(s, smtp_invalid_argument) == 0;
	store(s->smtp_helo, &s->smtp_helolen, p->args[0].p, p->args[0].len);
	smtp_forget_envelope(s);
	if (p->cmd == SMTP_CMD_HELO)
		return session_reply3(s, "250 ", 4, s->srv->server_name, strlen(s->srv->server_name),
		    "\r\n", 2) == 0;
	s->esmtp = true;
	return session_reply(s, sm->ehlo, sm->ehlolen) == 0;
}

/* nginx logs the rejected command with CR and LF shown as '_'. Only this
 * line is shown, not what was pipelined behind it (it may hold a password). */
void
smtp_log_rejected(const char *what, const char *p, size_t n)
{
	char line[512];
	size_t k = n < sizeof line ? n : sizeof line;

	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)p[i];

		line[i] = c == '\r' || c == '\n' ? '_' : c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	log_msg(MP_LOG_INFO, "client was rejected%s: \"%.*s\"", what, (int)k, line);
}

int
smtp_mail(struct smtp *sm, size_t used)
{
	struct session *s = sm->s;
	struct smtp_parser *p = &sm->p;

	if (!(s->srv->smtp_auth & MP_AUTH_NONE)) {
		smtp_log_rejected("", s->buf, used);
		return REPLY(s, smtp_auth_required) == 0;
	}
	if (s->smtp_fromlen > 0)
		return REPLY(s, smtp_bad_sequence) == 0;
	if (p->nargs == 0 || has_nul(s->buf, p->textlen))
		return REPLY(s, smtp_invalid_argument) == 0;
	store(s->smtp_from, &s->smtp_fromlen, s->buf, p->textlen);
	/* credentials of an earlier failed AUTH are not the envelope's (1.29.1) */
	explicit_bzero(s->pass, s->credcap);
	s->loginlen = s->passlen = 0;
	s->have_pass = false;
	log_set_login("", 0);
	return REPLY(s, smtp_ok) == 0;
}

int
smtp_rcpt(struct smtp *sm)
{
	struct session *s = sm->s;
	struct smtp_parser *p = &sm->p;

	if (s->smtp_fromlen == 0)
		return REPLY(s, smtp_bad_sequence) == 0;
	if (p->nargs == 0 || has_nul(s->buf, p->textlen))
		return REPLY(s, smtp_invalid_argument) == 0;
	store(s->smtp_to, &s->smtp_tolen, s->buf, p->textlen);
	s->method = "none";
	return 2;
}
