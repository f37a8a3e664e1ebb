/* SPDX-License-Identifier: ISC */
/* log_debug.c: the debug lines, each one bounded (DBG_SHOW bytes of any
 * peer text) and escaped (\xNN for control bytes, quotes and backslashes),
 * and none with a secret in it: which arguments are secrets is decided
 * here, per command, not at the call sites. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "log_debug.h"

#define DBG_SHOW 128	/* bytes of one argument or line shown */
#define DBG_LINE 768

/* Append LEN bytes of P to OUT at *O, escaped, at most DBG_SHOW of them. */
static void
esc(char *out, size_t cap, size_t *o, const char *p, size_t len)
{
	size_t n = len < DBG_SHOW ? len : DBG_SHOW;

	for (size_t i = 0; i < n && *o + 8 < cap; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			*o += (size_t)snprintf(out + *o, cap - *o, "\\x%02x", c);
		else
			out[(*o)++] = (char)c;
	}
	if (n < len && *o + 4 < cap) {
		memcpy(out + *o, "...", 3);
		*o += 3;
	}
	out[*o] = '\0';
}

static void
put(char *out, size_t cap, size_t *o, const char *s)
{
	int r = snprintf(out + *o, cap - *o, "%s", s);

	if (r > 0)
		*o = *o + (size_t)r < cap ? *o + (size_t)r : cap - 1;
}

/* "PROTO command: "NAME" "arg"... (N hidden)": arguments from SECRET on are
 * secrets and only counted. */
static void
command(const char *proto, const char *tag, size_t taglen, const char *name,
    const char *const *argp, const size_t *argl, unsigned nargs, unsigned secret)
{
	char out[DBG_LINE];
	size_t o = 0;

	put(out, sizeof out, &o, proto);
	put(out, sizeof out, &o, " command: \"");
	esc(out, sizeof out, &o, tag, taglen);
	put(out, sizeof out, &o, name);
	put(out, sizeof out, &o, "\"");
	for (unsigned i = 0; i < nargs && i < secret; i++) {
		put(out, sizeof out, &o, " \"");
		esc(out, sizeof out, &o, argp[i], argl[i]);
		put(out, sizeof out, &o, "\"");
	}
	if (nargs > secret) {
		char h[48];

		snprintf(h, sizeof h, " (%u argument%s hidden)", nargs - secret,
		    nargs - secret == 1 ? "" : "s");
		put(out, sizeof out, &o, h);
	}
	log_msg(MP_LOG_DEBUG, "%s", out);
}

#define ARGS(p, max) \
	const char *argp[max]; size_t argl[max]; \
	for (unsigned i = 0; i < (p)->nargs && i < (max); i++) { \
		argp[i] = (p)->args[i].p; argl[i] = (p)->args[i].len; }

void
log_debug_imap(const struct imap_parser *p, bool sasl)
{
	static const char *const names[] = {
		"?", "LOGIN", "LOGOUT", "CAPABILITY", "NOOP", "STARTTLS", "AUTHENTICATE"
	};
	unsigned secret = p->nargs;

	if (!log_wants(MP_LOG_DEBUG))
		return;
	if (sasl) {
		log_msg(MP_LOG_DEBUG, "imap SASL response (hidden)");
		return;
	}
	if (p->cmd == IMAP_CMD_LOGIN || p->cmd == IMAP_CMD_AUTHENTICATE)
		secret = 1;	/* the user name, the mechanism */
	ARGS(p, IMAP_MAX_ARGS)
	command("imap", p->tag, p->taglen, (unsigned)p->cmd < 7 ? names[p->cmd] : "?", argp, argl,
	    p->nargs, secret);
}

void
log_debug_pop3(const struct pop3_parser *p, bool sasl)
{
	static const char *const names[] = {
		"?", "USER", "PASS", "APOP", "QUIT", "CAPA", "AUTH", "NOOP", "STLS"
	};
	unsigned secret = p->nargs;

	if (!log_wants(MP_LOG_DEBUG))
		return;
	if (sasl) {
		log_msg(MP_LOG_DEBUG, "pop3 SASL response (hidden)");
		return;
	}
	if (p->cmd == POP3_CMD_PASS)
		secret = 0;
	else if (p->cmd == POP3_CMD_APOP || p->cmd == POP3_CMD_AUTH)
		secret = 1;	/* the user name, the mechanism */
	ARGS(p, POP3_MAX_ARGS)
	command("pop3", "", 0, (unsigned)p->cmd < 9 ? names[p->cmd] : "?", argp, argl, p->nargs,
	    secret);
}

void
log_debug_smtp(const struct smtp_parser *p)
{
	static const char *const names[] = {
		"?", "HELO", "EHLO", "QUIT", "AUTH", "NOOP", "MAIL", "RSET", "RCPT", "VRFY",
		"EXPN", "HELP", "STARTTLS"
	};
	unsigned secret;

	if (!log_wants(MP_LOG_DEBUG))
		return;
	if (p == NULL) {
		log_msg(MP_LOG_DEBUG, "smtp SASL response (hidden)");
		return;
	}
	secret = p->nargs;
	if (p->cmd == SMTP_CMD_AUTH)
		secret = 1;	/* the mechanism */
	ARGS(p, SMTP_MAX_ARGS)
	command("smtp", "", 0, (unsigned)p->cmd < 13 ? names[p->cmd] : "?", argp, argl, p->nargs,
	    secret);
}

void
log_debug_sieve(const struct sieve_parser *p, bool sasl)
{
	static const char *const names[] = {
		"", "?", "AUTHENTICATE", "STARTTLS", "LOGOUT", "CAPABILITY", "NOOP"
	};
	unsigned secret = p->nargs;

	if (!log_wants(MP_LOG_DEBUG))
		return;
	if (sasl) {
		log_msg(MP_LOG_DEBUG, "sieve SASL response (hidden)");
		return;
	}
	if (p->cmd == SIEVE_CMD_AUTHENTICATE)
		secret = 1;	/* the mechanism */
	ARGS(p, SIEVE_MAX_ARGS)
	command("sieve", "", 0, (unsigned)p->cmd < 7 ? names[p->cmd] : "?", argp, argl, p->nargs,
	    secret);
}

/* One header line of the auth request; Auth-Pass's value never shows. */
void
log_debug_auth_request(const char *req, size_t len)
{
	const char *p = req, *end = req + len;

	if (!log_wants(MP_LOG_DEBUG))
		return;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (nl != NULL ? (size_t)(nl - p) : (size_t)(end - p));
		char out[DBG_LINE];
		size_t o = 0;

		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l == 0)
			break;
		if (l >= 10 && strncasecmp(p, "Auth-Pass:", 10) == 0) {
			put(out, sizeof out, &o, "Auth-Pass: (hidden)");
		} else {
			esc(out, sizeof out, &o, p, l);
		}
		log_msg(MP_LOG_DEBUG, "auth http request: \"%s\"", out);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

void
log_debug_upstream_send(const struct iovec *iov, int iovcnt, int secret_from)
{
	char out[DBG_LINE];
	size_t o = 0, hidden = 0;

	if (!log_wants(MP_LOG_DEBUG))
		return;
	for (int i = 0; i < iovcnt; i++) {
		if (i < secret_from)
			esc(out, sizeof out, &o, iov[i].iov_base, iov[i].iov_len);
		else
			hidden += iov[i].iov_len;
	}
	out[o] = '\0';
	if (hidden > 0)
		log_msg(MP_LOG_DEBUG, "sent to upstream: \"%s\" and %zu bytes (hidden)", out, hidden);
	else
		log_msg(MP_LOG_DEBUG, "sent to upstream: \"%s\"", out);
}

void
log_debug_upstream_reply(const char *p, size_t len)
{
	char out[DBG_LINE];
	size_t o = 0;

	if (!log_wants(MP_LOG_DEBUG))
		return;
	esc(out, sizeof out, &o, p, len);
	log_msg(MP_LOG_DEBUG, "upstream sent: \"%s\"", out);
}
