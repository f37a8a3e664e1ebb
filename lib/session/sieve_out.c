/* SPDX-License-Identifier: ISC */
/* sieve_out.c: ManageSieve replies as they are built (sieve_int.h): strings
 * quoted or as literals, and the capability lines of the greeting,
 * CAPABILITY and STARTTLS (doc/wire.md#sieve-commands). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sieve_int.h"

static void
flush(struct sieve_out *o)
{
	if (o->err == 0 && o->n > 0 && session_reply(o->s, o->b, o->n) == -1)
		o->err = -1;
	o->n = 0;
}

void
sieve_put(struct sieve_out *o, const char *p, size_t n)
{
	while (n > 0) {
		size_t k = sizeof o->b - o->n < n ? sizeof o->b - o->n : n;

		memcpy(o->b + o->n, p, k);
		o->n += k;
		p += k;
		n -= k;
		if (o->n == sizeof o->b)
			flush(o);
	}
}

void
sieve_puts(struct sieve_out *o, const char *str)
{
	sieve_put(o, str, strlen(str));
}

/* A string (RFC 5804 4): quoted if it can be, else a literal {N} */
void
sieve_put_string(struct sieve_out *o, const char *p, size_t n)
{
	size_t i = 0;
	char lit[32];

	while (i < n && n <= 1024 && (unsigned char)p[i] >= 0x20 && (unsigned char)p[i] < 0x7f)
		i++;
	if (i < n || n > 1024) {
		sieve_put(o, lit, (size_t)snprintf(lit, sizeof lit, "{%zu}\r\n", n));
		sieve_put(o, p, n);
		return;
	}
	sieve_put(o, "\"", 1);
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			sieve_put(o, "\\", 1);
		sieve_put(o, p + i, 1);
	}
	sieve_put(o, "\"", 1);
}

enum session_next
sieve_end(struct sieve_out *o)
{
	flush(o);
	return o->err == 0 ? NEXT_READ : NEXT_CLOSE;
}

/* "SASL" (empty until TLS with starttls only, RFC 5804 1.7) and "STARTTLS" */
static void
put_sasl(struct sieve_out *o)
{
	const struct session *s = o->s;
	unsigned methods = s->proto->auth_methods(s->srv);
	const char *sep = "";

	sieve_puts(o, "\"SASL\" \"");
	for (size_t i = 0; session_login_allowed(s) && i < sizeof sasl_names / sizeof sasl_names[0]; i++)
		if (methods & sasl_names[i].bit) {
			sieve_puts(o, sep);
			sieve_puts(o, sasl_names[i].name);
			sep = " ";
		}
	sieve_puts(o, "\"\r\n");
	if (!s->tls && s->srv->ssl.starttls != MP_STARTTLS_OFF)
		sieve_puts(o, "\"STARTTLS\"\r\n");
}

/* The configured lines, "NAME" or "NAME" "VALUE", with SASL and STARTTLS
 * before VERSION, where Dovecot puts them; then the final OK TEXT. */
void
sieve_capabilities(struct sieve_out *o, const char *text)
{
	const struct mp_strlist *l = &o->s->srv->sieve_capabilities;
	int sasl = 0;

	for (size_t i = 0; i < l->n; i++) {
		const char *line = l->v[i], *sp = strchr(line, ' ');
		size_t namelen = sp != NULL ? (size_t)(sp - line) : strlen(line);

		if (!sasl && namelen == 7 && strncasecmp(line, "VERSION", 7) == 0) {
			put_sasl(o);
			sasl = 1;
		}
		sieve_put(o, "\"", 1);
		sieve_put(o, line, namelen);
		sieve_put(o, "\"", 1);
		if (sp != NULL) {
			sieve_puts(o, " \"");
			sieve_puts(o, sp + 1);
			sieve_put(o, "\"", 1);
		}
		sieve_puts(o, "\r\n");
	}
	if (!sasl)
		put_sasl(o);
	sieve_puts(o, text);
}

