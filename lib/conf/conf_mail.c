/* SPDX-License-Identifier: ISC */
/* conf_mail.c: the mail directives that are more than one slot: protocol,
 * error_log, resolver, auth_http, auth_http_header, set_real_ip_from,
 * starttls and ssl_session_cache, with nginx's checks and messages. */
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "conf_int.h"
#include "log_syslog.h"
#include "protocol.h"

int
conf_set_protocol(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	const char *v = ps->args[1].s;
	const struct mp_protocol *p = protocol_by_name(v);

	if (p == NULL)
		return conf_error(ps, "unknown protocol \"%s\"", v);
	c->s.protocol = p->id;
	return 0;
}

static const char *const log_levels[] = {
	"", "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"
};
static const char *const debug_levels[] = {
	"debug_core", "debug_alloc", "debug_mutex", "debug_event", "debug_http",
	"debug_mail", "debug_stream"
};

/* ngx_log_set_levels(): one level, or debug_* sub-levels, nothing twice. */
static int
log_level(struct conf_parse *ps, int *level)
{
	bool debug_bits = false;
	size_t i, n;

	*level = 0;
	for (i = 2; i < ps->nargs; i++) {
		const char *v = ps->args[i].s;
		bool found = false;

		for (n = 1; n <= MP_LOG_DEBUG; n++) {
			if (strcmp(v, log_levels[n]) == 0) {
				if (*level != 0 || debug_bits)
					return conf_error(ps, "duplicate log level \"%s\"", v);
				*level = (int)n;
				found = true;
				break;
			}
		}
		for (n = 0; !found && n < sizeof(debug_levels) / sizeof(debug_levels[0]); n++) {
			if (strcmp(v, debug_levels[n]) == 0) {
				if (*level != 0)
					return conf_error(ps, "invalid log level \"%s\"", v);
				debug_bits = found = true;
			}
		}
		if (!found)
			return conf_error(ps, "invalid log level \"%s\"", v);
	}
	if (debug_bits)
		*level = MP_LOG_DEBUG;
	else if (*level == 0)
		*level = MP_LOG_ERR;
	return 0;
}

/* syslog:SPEC: a host name in server= is resolved now, as nginx does when
 * it reads its configuration; the first address is the collector. */
static int
syslog_target(struct conf_parse *ps, const char *spec, struct mp_syslog *sl)
{
	char err[512], host[SYSLOG_HOST_MAX];
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res;
	in_port_t port;
	int rc = syslog_parse(spec, sl, host, sizeof host, err, sizeof err);

	if (rc == -1)
		return conf_error(ps, "%s", err);
	if (rc == 0)
		return 0;
	port = ((struct sockaddr_in *)&sl->sa)->sin_port;
	if ((ps->flags & CONF_NORESOLVE) || getaddrinfo(host, NULL, &hints, &res) != 0)
		return conf_error(ps, "host not found in syslog server \"%s\"", host);
	if ((res->ai_family == AF_INET || res->ai_family == AF_INET6) && res->ai_addrlen <= sizeof sl->sa) {
		memcpy(&sl->sa, res->ai_addr, res->ai_addrlen);
		sl->salen = res->ai_addrlen;
		/* sin_port and sin6_port sit at the same offset */
		((struct sockaddr_in *)&sl->sa)->sin_port = port;
	}
	freeaddrinfo(res);
	if (sl->salen == 0)
		return conf_error(ps, "host not found in syslog server \"%s\"", host);
	return 0;
}

/* error_log FILE [LEVEL]: main, mail or server; every line is kept. */
int
conf_set_error_log(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	struct mp_log_target **v = c ? &c->s.error_log : &ps->cf->error_log, *t;
	size_t *n = c ? &c->s.nerror_log : &ps->cf->nerror_log;
	const char *path = ps->args[1].s;
	struct mp_syslog *sl = NULL;
	int level;

	if (log_level(ps, &level) < 0)
		return -1;
	if (strncmp(path, "syslog:", 7) == 0) {
		sl = arena_zalloc(ps->a, sizeof *sl);
		if (sl == NULL)
			return conf_nomem(ps);
		if (syslog_target(ps, path + 7, sl) == -1)
			return -1;
	} else if (strcmp(path, "stderr") != 0) {
		path = conf_full_name(ps, path, ps->args[1].len);
		if (path == NULL)
			return conf_nomem(ps);
	}
	if (c != NULL) {
		if (!conf_is_set(c, d))
			*n = 0;
		conf_mark_set(c, d);
	}
	t = ARENA_PUSH(ps->a, *v, *n);
	if (t == NULL)
		return conf_nomem(ps);
	t->path = path;
	t->level = level;
	t->syslog = sl;
	return 0;
}

static int
resolver_flag(struct conf_parse *ps, const char *arg, bool *out)
{
	if (strcmp(arg + 5, "on") == 0)
		*out = true;
	else if (strcmp(arg + 5, "off") == 0)
		*out = false;
	else
		return conf_error(ps, "invalid parameter: %s", arg);
	return 0;
}

/* resolver ADDRESS ... [valid=TIME] [ipv4=on|off] [ipv6=on|off] [status_zone=NAME] | off.
 * Addresses are kept as written ("ip", "ip:port", "[v6]:port", or a name). */
int
conf_set_resolver(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	struct mp_server *s = &c->s;
	size_t i;

	if (conf_is_set(c, d))
		return conf_error(ps, "\"%s\" directive is duplicate", d->name);
	conf_mark_set(c, d);
	s->resolver.n = 0;
	s->resolver.v = NULL;
	if (strcmp(ps->args[1].s, "off") == 0)
		return 0;
	for (i = 1; i < ps->nargs; i++) {
		struct conf_word *w = &ps->args[i];
		struct conf_url u;
		const char **slot;

		if (strncmp(w->s, "valid=", 6) == 0) {
			int64_t t = conf_parse_time(w->s + 6, w->len - 6, true);

			if (t < 0 || t > INT64_MAX / 1000)
				return conf_error(ps, "invalid parameter: %s", w->s);
			s->resolver_valid_ms = t * 1000;
			continue;
		}
		if (strncmp(w->s, "ipv4=", 5) == 0) {
			if (resolver_flag(ps, w->s, &s->resolver_ipv4) < 0)
				return -1;
			continue;
		}
		if (strncmp(w->s, "ipv6=", 5) == 0) {
			if (resolver_flag(ps, w->s, &s->resolver_ipv6) < 0)
				return -1;
			continue;
		}
		if (strncmp(w->s, "status_zone=", 12) == 0) {
			if (w->len == 12)
				return conf_error(ps, "invalid parameter: %s", w->s);
			continue;	/* statistics zones mean nothing here */
		}
		memset(&u, 0, sizeof(u));
		u.url = w->s;
		u.len = w->len;
		u.default_port = 53;
		if (conf_parse_url(&u) < 0)
			return conf_error(ps, "%s in resolver \"%s\"", u.err, w->s);
		slot = ARENA_PUSH(ps->a, s->resolver.v, s->resolver.n);
		if (slot == NULL)
			return conf_nomem(ps);
		*slot = w->s;
	}
	if (!s->resolver_ipv4 && !s->resolver_ipv6)
		return conf_error(ps, "\"ipv4\" and \"ipv6\" cannot both be \"off\"");
	return 0;
}

/* auth_http URL: [http://]host[:port][/uri] or unix:/path[:/uri]. The host is
 * not resolved here; the transport does that when it connects. */
int
conf_set_auth_http(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	struct mp_auth_url *a = &c->s.auth_http;
	struct conf_word *w = &ps->args[1];
	struct conf_url u;

	memset(&u, 0, sizeof(u));
	u.url = w->s;
	u.len = w->len;
	if (strncmp(w->s, "http://", 7) == 0) {
		u.url += 7;
		u.len -= 7;
	}
	u.default_port = 80;
	u.uri_part = true;
	if (conf_parse_url(&u) < 0)
		return conf_error(ps, "%s in auth_http \"%s\"", u.err, u.url);
	memset(a, 0, sizeof(*a));
	a->is_unix = u.family == AF_UNIX;
	a->port = u.port;
	a->text = w->s;
	if (a->is_unix) {
		a->host = "localhost";
		a->path = arena_strndup(ps->a, u.host, u.hostlen);
	} else {
		a->host = arena_strndup(ps->a, u.host, u.hostlen);
	}
	a->uri = u.uri ? arena_strndup(ps->a, u.uri, u.urilen) : "/";
	if (a->host == NULL || a->uri == NULL || (a->is_unix && a->path == NULL))
		return conf_nomem(ps);
	if (u.family != AF_UNSPEC) {
		memcpy(&a->addr, &u.sa, sizeof(a->addr));
		a->addrlen = u.salen;
	}
	conf_mark_set(c, d);	/* nginx: a second auth_http replaces the first */
	return 0;
}

int
conf_set_auth_http_header(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	struct mp_header *h;

	if (!conf_is_set(c, d)) {
		c->s.auth_http_headers = NULL;
		c->s.nauth_http_headers = 0;
	}
	conf_mark_set(c, d);
	h = ARENA_PUSH(ps->a, c->s.auth_http_headers, c->s.nauth_http_headers);
	if (h == NULL)
		return conf_nomem(ps);
	h->name = ps->args[1].s;
	h->value = ps->args[2].s;
	return 0;
}

/* ngx_ptocidr(): "addr" or "addr/bits"; 0 ok, -1 not a CIDR. Host bits are
 * cleared (nginx warns "low address bits ... are meaningless"). */
static int
parse_cidr(const char *s, size_t len, struct mp_cidr *r)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len, i, max;
	int64_t bits;

	memset(r, 0, sizeof(*r));
	if (conf_inet4(s, alen, r->addr) == 0) {
		r->family = AF_INET;
		max = 32;
	} else if (conf_inet6(s, alen, r->addr) == 0) {
		r->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	bits = (int64_t)max;
	if (slash != NULL) {
		bits = conf_atoi(slash + 1, len - alen - 1);
		if (bits < 0 || bits > (int64_t)max)
			return -1;
	}
	for (i = 0; i < max / 8; i++) {
		int b = (int)bits - (int)i * 8;

		r->mask[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff << (8 - b));
		r->addr[i] &= r->mask[i];
	}
	return 0;
}

static int
add_cidr(struct conf_parse *ps, struct mp_server *s, const struct mp_cidr *r)
{
	struct mp_cidr *slot = ARENA_PUSH(ps->a, s->real_ip_from, s->nreal_ip_from);

	if (slot == NULL)
		return conf_nomem(ps);
	*slot = *r;
	return 0;
}

/* set_real_ip_from ADDRESS|CIDR|unix: -- a host name becomes exact entries. */
int
conf_set_realip(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	struct conf_word *w = &ps->args[1];
	struct addrinfo hints, *res, *ai;
	struct mp_cidr r;
	int rc = 0;

	if (!conf_is_set(c, d)) {
		c->s.real_ip_from = NULL;
		c->s.nreal_ip_from = 0;
	}
	conf_mark_set(c, d);
	if (strcmp(w->s, "unix:") == 0) {
		memset(&r, 0, sizeof(r));
		r.family = AF_UNIX;
		return add_cidr(ps, &c->s, &r);
	}
	if (parse_cidr(w->s, w->len, &r) == 0)
		return add_cidr(ps, &c->s, &r);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	if ((ps->flags & CONF_NORESOLVE) || getaddrinfo(w->s, NULL, &hints, &res) != 0)
		return conf_error(ps, "host not found in set_real_ip_from \"%s\"", w->s);
	for (ai = res; ai != NULL && rc == 0; ai = ai->ai_next) {
		memset(&r, 0, sizeof(r));
		if (ai->ai_family == AF_INET) {
			r.family = AF_INET;
			memcpy(r.addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
			memset(r.mask, 0xff, 4);
		} else if (ai->ai_family == AF_INET6) {
			r.family = AF_INET6;
			memcpy(r.addr, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
			memset(r.mask, 0xff, 16);
		} else {
			continue;
		}
		rc = add_cidr(ps, &c->s, &r);
	}
	freeaddrinfo(res);
	return rc;
}

/* starttls also marks where a missing certificate will be blamed. */
int
conf_set_starttls(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	if (conf_set_enum(ps, d, c) < 0)
		return -1;
	if (!c->ssl_listen) {
		c->s.ssl.cert_file = ps->lx->file;
		c->s.ssl.cert_line = ps->line;
	}
	return 0;
}

/* ssl_session_cache off | none | [builtin[:N]] [shared:name:size], kept as written. */
int
conf_set_session_cache(struct conf_parse *ps, const struct conf_dir *d, struct conf_srv *c)
{
	size_t i;
	char *s;

	for (i = 1; i < ps->nargs; i++) {
		struct conf_word *w = &ps->args[i];
		const char *colon;

		if (strcmp(w->s, "off") == 0 || strcmp(w->s, "none") == 0 || strcmp(w->s, "builtin") == 0)
			continue;
		if (w->len > 8 && strncmp(w->s, "builtin:", 8) == 0) {
			if (conf_atoi(w->s + 8, w->len - 8) < 0)
				goto invalid;
			continue;
		}
		if (w->len > 7 && strncmp(w->s, "shared:", 7) == 0) {
			int64_t size;

			colon = memchr(w->s + 7, ':', w->len - 7);
			if (colon == NULL || colon == w->s + 7)
				goto invalid;
			size = conf_parse_size(colon + 1, (size_t)(w->s + w->len - colon - 1));
			if (size < 0)
				goto invalid;
			if (size < 8 * 4096)
				return conf_error(ps, "session cache \"%s\" is too small", w->s);
			continue;
		}
invalid:
		return conf_error(ps, "invalid session cache \"%s\"", w->s);
	}
	s = ps->args[1].s;
	if (ps->nargs == 3) {
		size_t l1 = ps->args[1].len, l2 = ps->args[2].len;

		s = arena_alloc(ps->a, l1 + l2 + 2);
		if (s == NULL)
			return conf_nomem(ps);
		memcpy(s, ps->args[1].s, l1);
		s[l1] = ' ';
		memcpy(s + l1 + 1, ps->args[2].s, l2 + 1);
	}
	c->s.ssl.session_cache = s;
	conf_mark_set(c, d);
	return 0;
}
