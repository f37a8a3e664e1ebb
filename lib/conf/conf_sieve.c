/* SPDX-License-Identifier: ISC */
/* conf_sieve.c: sieve_capabilities, the ManageSieve capability lines of the
 * greeting (RFC 5804 1.7). Each argument is one line, "NAME" or "NAME VALUE"
 * (the value runs to the end of the argument); the front end sends it as
 * the quoted strings "NAME" "VALUE". What could break that quoting is
 * refused here, once, rather than escaped on every connection. */
#include <string.h>
#include <strings.h>

#include "conf_int.h"

/* RFC 5804's quoted strings hold at most 1024 octets */
#define SIEVE_CAPA_MAX 1024

static const char *
capa_error(const char *v, size_t len)
{
	const char *sp = memchr(v, ' ', len);
	size_t namelen = sp != NULL ? (size_t)(sp - v) : len;

	if (namelen == 0)
		return "it must start with a capability name";
	if (len > SIEVE_CAPA_MAX)
		return "it is longer than 1024 bytes";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			return "it holds a control character, '\"' or '\\'";
	}
	if ((namelen == 4 && strncasecmp(v, "SASL", 4) == 0) ||
	    (namelen == 8 && strncasecmp(v, "STARTTLS", 8) == 0))
		return "\"SASL\" and \"STARTTLS\" follow \"sieve_auth\" and \"starttls\"";
	return NULL;
}

/* As every list directive: a level's lines add up and replace the default. */
int
conf_set_sieve_capabilities(struct conf_parse *ps, const struct conf_dir *d,
    struct conf_srv *c)
{
	struct mp_strlist *l = (struct mp_strlist *)((char *)&c->s + d->off);

	if (!conf_is_set(c, d)) {
		l->n = 0;
		l->v = NULL;
	}
	conf_mark_set(c, d);
	for (size_t i = 1; i < ps->nargs; i++) {
		const char *why = capa_error(ps->args[i].s, ps->args[i].len), **slot;

		if (why != NULL)
			return conf_error(ps, "invalid value \"%s\" in \"%s\" directive, %s",
			    ps->args[i].s, d->name, why);
		slot = ARENA_PUSH(ps->a, l->v, l->n);
		if (slot == NULL)
			return conf_nomem(ps);
		*slot = ps->args[i].s;
	}
	return 0;
}
