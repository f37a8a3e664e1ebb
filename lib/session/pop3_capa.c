/* SPDX-License-Identifier: ISC */
/* pop3_capa.c: the POP3 multi-line lists: CAPA (RFC 2449) and the bare
 * AUTH list of SASL methods, in nginx's order and wording, each built in
 * one bounded buffer and sent in one write. */
#include <string.h>

#include "log.h"
#include "pop3_int.h"

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

static enum session_next
send_out(struct session *s, const struct out *o)
{
	if (o->overflow) {
		/* only a configuration with kilobytes of capabilities gets here */
		log_msg(MP_LOG_ERR, "pop3_capabilities too long for a reply");
		return session_bye(s, s->proto->internal_error);
	}
	return session_reply(s, o->b, o->n) == 0 ? NEXT_READ : NEXT_CLOSE;
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
enum session_next
pop3_capa(struct session *s, bool stls_variant)
{
	const struct mp_server *srv = s->srv;
	int starttls = s->tls || !stls_variant ? MP_STARTTLS_OFF : srv->ssl.starttls;
	unsigned m = s->proto->auth_methods(srv);
	struct out o = { .n = 0 };

	adds(&o, "+OK Capability list follows\r\n");
	for (size_t i = 0; i < srv->pop3_capabilities.n; i++) {
		/* the USER command is refused before TLS with starttls only */
		if (starttls == MP_STARTTLS_ONLY && strcase_eq(srv->pop3_capabilities.v[i], "USER"))
			continue;
		adds(&o, srv->pop3_capabilities.v[i]);
		adds(&o, "\r\n");
	}
	if (starttls != MP_STARTTLS_ONLY) {
		adds(&o, "SASL");
		for (size_t i = 0; i < sizeof sasl_names / sizeof sasl_names[0]; i++)
			if (m & sasl_names[i].bit) {
				adds(&o, " ");
				adds(&o, sasl_names[i].name);
			}
		adds(&o, "\r\n");
	}
	if (starttls != MP_STARTTLS_OFF)
		adds(&o, "STLS\r\n");
	adds(&o, ".\r\n");
	return send_out(s, &o);
}

/* Bare AUTH: the enabled SASL methods, one per line. */
enum session_next
pop3_auth_list(struct session *s)
{
	unsigned m = s->proto->auth_methods(s->srv);
	struct out o = { .n = 0 };

	adds(&o, "+OK methods supported:\r\n");
	for (size_t i = 0; i < sizeof sasl_names / sizeof sasl_names[0]; i++)
		if (m & sasl_names[i].bit) {
			adds(&o, sasl_names[i].name);
			adds(&o, "\r\n");
		}
	adds(&o, ".\r\n");
	return send_out(s, &o);
}
