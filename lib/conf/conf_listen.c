/* SPDX-License-Identifier: ISC */
/* conf_listen.c: the "listen" directive (ngx_mail_core_listen()) and the
 * lookup of the listen entry, hence the server, that an accepted socket
 * belongs to. A host name is resolved here, each address becoming its own
 * entry, as nginx binds each; a port range gives one entry per port. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

#include "conf_int.h"
#include "protocol.h"

/* Every connection parses the configuration; nginx has no cap. */
#define CONF_MAX_LISTENS 1024
#define LISTEN_SET (2 * CONF_MAX_LISTENS)	/* slots: a power of two, half full at most */

int
conf_proto_by_port(unsigned port)
{
	const struct mp_protocol *p = protocol_by_port(port);

	return p != NULL ? (int)p->id : MP_PROTO_NONE;
}

static int
same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	switch (a->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port
		    && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	case AF_UNIX:
		return strcmp(((const struct sockaddr_un *)a)->sun_path,
		    ((const struct sockaddr_un *)b)->sun_path) == 0;
	}
	return 0;
}

static void
set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static int
is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == INADDR_ANY;
	if (ss->ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return 0;
}

/* FNV-1a of what same_addr() compares. */
static uint32_t
addr_hash(const struct sockaddr *sa)
{
	const unsigned char *p = NULL;
	size_t n = 0;
	uint32_t h = 2166136261u;

	switch (sa->sa_family) {
	case AF_INET:
		p = (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_port;
		n = 2 + 4;	/* sin_port and sin_addr, adjacent in struct sockaddr_in */
		break;
	case AF_INET6: {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		h = (h ^ (s6->sin6_port & 0xff)) * 16777619u;
		h = (h ^ (s6->sin6_port >> 8)) * 16777619u;
		p = (const void *)&s6->sin6_addr;
		n = sizeof s6->sin6_addr;
		break;
	}
	case AF_UNIX:
		p = (const void *)((const struct sockaddr_un *)(const void *)sa)->sun_path;
		n = strnlen((const char *)p, sizeof(((struct sockaddr_un *)0)->sun_path));
		break;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h ^ (uint32_t)sa->sa_family;
}

/* The slot of SA in the set of listens: the one holding it, or the empty
 * one where it goes. The duplicate check is then linear in the listens, not
 * quadratic: 1,000 servers cost 4.7 M instructions per connection before. */
static uint32_t *
set_slot(struct conf_parse *ps, const struct sockaddr *sa)
{
	for (uint32_t i = addr_hash(sa) & (LISTEN_SET - 1);; i = (i + 1) & (LISTEN_SET - 1)) {
		uint32_t *slot = &ps->listen_set[i];

		if (*slot == 0 || same_addr((struct sockaddr *)&ps->listens[*slot - 1].sa, sa))
			return slot;
	}
}

/* The earlier listen with SA's address, or NULL. A few listens are scanned;
 * past LISTEN_SCAN the set is built (8 KiB, zeroed: not worth it for the
 * usual handful, since every connection parses the configuration). */
#define LISTEN_SCAN 16
static int
seen(struct conf_parse *ps, const struct sockaddr *sa, uint32_t **slot)
{
	*slot = NULL;
	if (ps->listen_set == NULL && ps->nlistens < LISTEN_SCAN) {
		for (size_t i = 0; i < ps->nlistens; i++)
			if (same_addr((struct sockaddr *)&ps->listens[i].sa, sa))
				return 1;
		return 0;
	}
	if (ps->listen_set == NULL) {
		ps->listen_set = arena_zalloc(ps->a, LISTEN_SET * sizeof *ps->listen_set);
		if (ps->listen_set == NULL)
			return -1;
		for (size_t i = 0; i < ps->nlistens; i++)
			*set_slot(ps, (struct sockaddr *)&ps->listens[i].sa) = (uint32_t)i + 1;
	}
	*slot = set_slot(ps, sa);
	return **slot != 0;
}

/* Add one entry per port of the range, refusing an address:port seen before. */
static int
add(struct conf_parse *ps, const struct mp_listen *tpl, const struct sockaddr_storage *ss,
    socklen_t salen, unsigned port, unsigned last_port)
{
	struct mp_listen *l;

	if (last_port < port)
		last_port = port;
	for (;; port++) {
		struct sockaddr_storage sa = *ss;
		uint32_t *slot;
		int dup;

		set_port(&sa, port);
		if (ps->nlistens >= CONF_MAX_LISTENS)
			return conf_error(ps, "too many \"listen\" addresses, at most %d", CONF_MAX_LISTENS);
		dup = seen(ps, (struct sockaddr *)&sa, &slot);
		if (dup == -1)
			return conf_nomem(ps);
		if (dup) {
			char text[sizeof(l->text)];

			conf_sockaddr_text((struct sockaddr *)&sa, text, sizeof(text));
			return conf_error(ps, "duplicate \"%s\" address and port pair", text);
		}
		l = ARENA_PUSH(ps->a, ps->listens, ps->nlistens);
		if (l == NULL)
			return conf_nomem(ps);
		if (slot != NULL)
			*slot = (uint32_t)ps->nlistens;	/* index + 1 */
		*l = *tpl;
		l->sa = sa;
		l->salen = salen;
		l->wildcard = is_wildcard(&sa);
		conf_sockaddr_text((struct sockaddr *)&sa, l->text, sizeof(l->text));
		if (port >= last_port)
			return 0;
	}
}

/* "hostname:port": every address, IPv4 first as nginx orders them. */
static int
add_host(struct conf_parse *ps, const struct mp_listen *tpl, const struct conf_url *u)
{
	struct addrinfo hints, *res, *ai;
	char host[NI_MAXHOST];
	int family, rc = 0, n = 0;

	if (u->hostlen >= sizeof(host))
		return conf_error(ps, "host not found in \"%s\" of the \"listen\" directive", u->url);
	memcpy(host, u->host, u->hostlen);
	host[u->hostlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((ps->flags & CONF_NORESOLVE) || getaddrinfo(host, NULL, &hints, &res) != 0)
		return conf_error(ps, "host not found in \"%s\" of the \"listen\" directive", u->url);
	for (family = AF_INET; rc == 0; family = AF_INET6) {
		for (ai = res; ai != NULL && rc == 0; ai = ai->ai_next) {
			struct sockaddr_storage ss;
			const struct addrinfo *prev;
			bool seen = false;

			if (ai->ai_family != family || ai->ai_addrlen > sizeof(ss))
				continue;
			for (prev = res; prev != ai; prev = prev->ai_next)	/* same address twice */
				seen |= prev->ai_addrlen == ai->ai_addrlen
				    && memcmp(prev->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0;
			if (seen)
				continue;
			memset(&ss, 0, sizeof(ss));
			memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
			rc = add(ps, tpl, &ss, ai->ai_addrlen, u->port, u->last_port);
			n++;
		}
		if (family == AF_INET6)
			break;
	}
	freeaddrinfo(res);
	if (rc == 0 && n == 0)
		return conf_error(ps, "host not found in \"%s\" of the \"listen\" directive", u->url);
	return rc;
}

static int
keepalive(struct conf_parse *ps, struct mp_listen *l, const char *v)
{
	const char *end = v + strlen(v), *p, *q;
	int64_t t;

	if (strcmp(v, "on") == 0) {
		l->so_keepalive = 1;
		return 0;
	}
	if (strcmp(v, "off") == 0) {
		l->so_keepalive = 0;
		return 0;
	}
	p = memchr(v, ':', (size_t)(end - v));
	if (p == NULL)
		p = end;
	if (p > v) {
		if ((t = conf_parse_time(v, (size_t)(p - v), true)) < 0 || t > 0x7fffffff)
			goto invalid;
		l->keepidle = (int)t;
	}
	q = p < end ? p + 1 : end;
	p = memchr(q, ':', (size_t)(end - q));
	if (p == NULL)
		p = end;
	if (p > q) {
		if ((t = conf_parse_time(q, (size_t)(p - q), true)) < 0 || t > 0x7fffffff)
			goto invalid;
		l->keepintvl = (int)t;
	}
	q = p < end ? p + 1 : end;
	if (q < end) {
		if ((t = conf_atoi(q, (size_t)(end - q))) < 0 || t > 0x7fffffff)
			goto invalid;
		l->keepcnt = (int)t;
	}
	if (l->keepidle == 0 && l->keepintvl == 0 && l->keepcnt == 0)
		goto invalid;
	l->so_keepalive = 1;
	return 0;
invalid:
	return conf_error(ps, "invalid so_keepalive value: \"%s\"", v);
}

static int
param(struct conf_parse *ps, struct conf_srv *c, struct mp_listen *l, const char *v)
{
	int64_t n;

	if (strcmp(v, "bind") == 0) {
		l->bind = true;
	} else if (strncmp(v, "backlog=", 8) == 0) {
		n = conf_atoi(v + 8, strlen(v + 8));
		if (n <= 0 || n > 0x7fffffff)
			return conf_error(ps, "invalid backlog \"%s\"", v);
		l->backlog = (int)n;
		l->bind = true;
	} else if (strncmp(v, "rcvbuf=", 7) == 0 || strncmp(v, "sndbuf=", 7) == 0) {
		n = conf_parse_size(v + 7, strlen(v + 7));
		if (n < 0 || n > 0x7fffffff)
			return conf_error(ps, "invalid %.6s \"%s\"", v, v);
		*(v[0] == 'r' ? &l->rcvbuf : &l->sndbuf) = (int)n;
		l->bind = true;
	} else if (strncmp(v, "ipv6only=o", 10) == 0) {
		if (strcmp(v + 10, "n") == 0)
			l->ipv6only = 1;
		else if (strcmp(v + 10, "ff") == 0)
			l->ipv6only = 0;
		else
			return conf_error(ps, "invalid ipv6only flags \"%s\"", v + 9);
		l->bind = true;
	} else if (strcmp(v, "ssl") == 0) {
		l->ssl = true;
		c->ssl_listen = true;
		c->s.ssl.cert_file = ps->lx->file;
		c->s.ssl.cert_line = ps->line;
	} else if (strncmp(v, "so_keepalive=", 13) == 0) {
		if (keepalive(ps, l, v + 13) < 0)
			return -1;
		l->bind = true;
	} else if (strcmp(v, "proxy_protocol") == 0) {
		l->proxy_protocol = true;
	} else if (strcmp(v, "multipath") == 0) {
		l->multipath = true;
		l->bind = true;
	} else {
		return conf_error(ps, "invalid parameter \"%s\"", v);
	}
	return 0;
}

int
conf_set_listen(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	struct conf_word *w = &ps->args[1];
	struct mp_listen tpl;
	struct conf_url u;
	size_t i;

	c->listen = true;
	memset(&u, 0, sizeof(u));
	u.url = w->s;
	u.len = w->len;
	u.listen = true;
	if (conf_parse_url(&u) < 0)
		return conf_error(ps, "%s in \"%s\" of the \"listen\" directive", u.err, w->s);
	/* nginx would bind port 0, a random port no client can know: refuse it */
	if (u.no_port && u.family != AF_UNIX)
		return conf_error(ps, "no port in \"%s\" of the \"listen\" directive", w->s);

	memset(&tpl, 0, sizeof(tpl));
	tpl.backlog = tpl.rcvbuf = tpl.sndbuf = -1;
	tpl.ipv6only = tpl.so_keepalive = -1;
	tpl.server = &c->s;
	tpl.file = ps->lx->file;
	tpl.line = ps->line;
	if (c->s.protocol == MP_PROTO_NONE)
		c->s.protocol = conf_proto_by_port(u.port);
	for (i = 2; i < ps->nargs; i++) {
		if (param(ps, c, &tpl, ps->args[i].s) < 0)
			return -1;
	}
	if (u.family == AF_UNSPEC)
		return add_host(ps, &tpl, &u);
	return add(ps, &tpl, &u.sa, u.salen, u.port, u.last_port);
}

static const struct mp_listen *find_inet(const struct mp_conf *cf, int family,
    const void *addr, unsigned port)
{
	const struct mp_listen *l, *wild = NULL;
	size_t i;

	for (i = 0; i < cf->nlistens; i++) {
		l = &cf->listens[i];
		if (l->sa.ss_family != family)
			continue;
		if (family == AF_INET) {
			const struct sockaddr_in *s = (const struct sockaddr_in *)&l->sa;

			if (ntohs(s->sin_port) != port)
				continue;
			if (memcmp(&s->sin_addr, addr, 4) == 0)
				return l;
		} else {
			const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&l->sa;

			if (ntohs(s->sin6_port) != port)
				continue;
			if (memcmp(&s->sin6_addr, addr, 16) == 0)
				return l;
		}
		if (l->wildcard && wild == NULL)
			wild = l;
	}
	return wild;
}

const struct mp_listen *conf_find_listen(const struct mp_conf *cf, const struct sockaddr *sa,
    socklen_t salen)
{
	const struct mp_listen *l;
	size_t i;

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;

		if (salen < sizeof(*s))
			return NULL;
		return find_inet(cf, AF_INET, &s->sin_addr, ntohs(s->sin_port));
	}
	case AF_INET6: {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;

		if (salen < sizeof(*s))
			return NULL;
		/* a dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d */
		if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
			l = find_inet(cf, AF_INET, &s->sin6_addr.s6_addr[12], ntohs(s->sin6_port));
			if (l != NULL)
				return l;
		}
		return find_inet(cf, AF_INET6, &s->sin6_addr, ntohs(s->sin6_port));
	}
	case AF_UNIX: {
		const struct sockaddr_un *s = (const struct sockaddr_un *)sa;
		size_t off = offsetof(struct sockaddr_un, sun_path), len;

		if (salen <= off)
			return NULL;
		len = strnlen(s->sun_path, salen - off);
		for (i = 0; i < cf->nlistens; i++) {
			const struct sockaddr_un *p = (const struct sockaddr_un *)&cf->listens[i].sa;

			if (p->sun_family == AF_UNIX && strlen(p->sun_path) == len
			    && memcmp(p->sun_path, s->sun_path, len) == 0)
				return &cf->listens[i];
		}
		return NULL;
	}
	}
	return NULL;
}
