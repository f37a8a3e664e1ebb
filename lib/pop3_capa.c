/* pop3_capa.c: the POP3 multi-line lists: CAPA (RFC 2449) and the bare
 * AUTH list of SASL methods, in nginx's order and wording, each built in
 * one bounded buffer and sent in one write. */
#include <string.h>

#include "log.h"
#include "pop3_int.h"

/* SASL methods in nginx's advertising order; "plain" also enables LOGIN. */
static const struct { unsigned bit; const char *name; } methods[] = {
	{ MP_AUTH_PLAIN, "PLAIN" }, { MP_AUTH_LOGIN, "LOGIN" },
	{ MP_AUTH_CRAM_MD5, "CRAM-MD5" }, { MP_AUTH_EXTERNAL, "EXTERNAL" },
};

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
		(void)session_reply(pp->s, pop3_internal_error, sizeof pop3_internal_error - 1);
		return NEXT_CLOSE;
	}
	return pop3_reply(pp, o->b, o->n);
}

unsigned
pop3_enabled(const struct session *s)
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
enum pop3_next
pop3_capa(struct pop3 *pp, bool stls_variant)
{
	const struct mp_server *srv = pp->s->srv;
	int starttls = pp->s->tls || !stls_variant ? MP_STARTTLS_OFF : srv->ssl.starttls;
	unsigned m = pop3_enabled(pp->s);
	struct out o = { .n = 0 };

	adds(&o, pop3_capa_head);
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
enum pop3_next
pop3_auth_list(struct pop3 *pp)
{
	unsigned m = pop3_enabled(pp->s);
	struct out o = { .n = 0 };

	adds(&o, pop3_methods_head);
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (m & methods[i].bit) {
			adds(&o, methods[i].name);
			adds(&o, "\r\n");
		}
	adds(&o, ".\r\n");
	return send_out(pp, &o);
}
