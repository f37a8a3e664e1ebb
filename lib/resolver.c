/* resolver.c: forward-confirmed reverse DNS of the SMTP client with c-ares,
 * deciding as nginx's mail SMTP module and resolver do (spec 3.5.2).
 *
 * c-ares asks the `resolver` servers (UDP, TCP on truncation, the next
 * server on silence or a refused port); the answers are walked here so
 * that a PTR name is seen as DNS carried it and checked before use. Where
 * nginx's resolver ignores an unusable answer and lets the query time out,
 * the result here is the same [TEMPUNAVAIL] without the wait. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cares_load.h"
#include "clock.h"
#include "log.h"
#include "proxy_proto.h"
#include "resolver.h"

#define T_A 1
#define T_PTR 12
#define T_AAAA 28
#define C_IN 1

/* nginx's resolver state codes and ngx_resolver_strerror() texts */
#define NGX_FORMERR 1
#define NGX_SERVFAIL 2
#define NGX_NXDOMAIN 3
#define NGX_NOTIMP 4
#define NGX_REFUSED 5
#define NGX_TIMEDOUT 110

#define MAX_SERVERS 16
#define NAME_MAX_TEXT 256	/* a DNS name is at most 253 characters */

struct query {
	int type;
	bool done;
	int status;		/* ARES_* */
	/* PTR: the first usable name */
	bool have_name;
	char name[NAME_MAX_TEXT * 4];	/* as ares_expand_name wrote it, escapes and all */
	/* A/AAAA */
	int naddrs;
	bool match;
	const uint8_t *want;	/* the client's address: 4 or 16 bytes */
	size_t wantlen;
};

static const char *
ngx_strerror(int state)
{
	static const char *const text[] = {
		"Format error", "Server failure", "Host not found", "Unimplemented",
		"Operation refused"
	};

	if (state > 0 && state < 6)
		return text[state - 1];
	if (state == NGX_TIMEDOUT)
		return "Operation timed out";
	return "Unknown error";
}

/* What nginx's resolver would have reported for a c-ares status. */
static int
ngx_state(int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		return NGX_NXDOMAIN;	/* NOERROR without answers counts as NXDOMAIN */
	case ARES_ESERVFAIL:
		return NGX_SERVFAIL;
	case ARES_EREFUSED:
		return NGX_REFUSED;
	case ARES_ENOTIMP:
		return NGX_NOTIMP;
	case ARES_EFORMERR:
		return NGX_FORMERR;
	default:
		return NGX_TIMEDOUT;	/* silence, refused ports, cut-off, garbage */
	}
}

bool
resolver_name_ok(const char *name)
{
	if (name[0] == '\0')
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* The client's address bytes, a v4-mapped one as IPv4. */
static int
client_bytes(const struct sockaddr *sa, const uint8_t **p, size_t *len)
{
	if (sa->sa_family == AF_INET) {
		*p = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		*len = 4;
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		*p = s6->sin6_addr.s6_addr;
		*len = 16;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			*p += 12;
			*len = 4;
			return AF_INET;
		}
		return AF_INET6;
	}
	return AF_UNSPEC;
}

int
resolver_ptr_qname(const struct sockaddr *addr, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *a;
	size_t len, o = 0;

	switch (client_bytes(addr, &a, &len)) {
	case AF_INET:
		if (snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]) >= (int)cap)
			return -1;
		return 0;
	case AF_INET6:
		if (cap < 64 + sizeof "ip6.arpa")
			return -1;
		for (size_t i = 16; i-- > 0;) {
			out[o++] = hex[a[i] & 15];
			out[o++] = '.';
			out[o++] = hex[a[i] >> 4];
			out[o++] = '.';
		}
		memcpy(out + o, "ip6.arpa", sizeof "ip6.arpa");
		return 0;
	default:
		return -1;
	}
}

static int
set_port(struct sockaddr_storage *ss, long port)
{
	if (port < 1 || port > 65535)
		return -1;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	return 0;
}

static long
parse_port(const char *p)
{
	char *end;
	long v;

	if (*p < '0' || *p > '9')
		return -1;
	v = strtol(p, &end, 10);
	return *end == '\0' ? v : -1;
}

int
resolver_parse_server(const char *word, struct sockaddr_storage *out, int max)
{
	char host[256];
	const char *colon, *port = NULL;
	struct addrinfo hints, *res, *ai;
	size_t hl;
	int n = 0;
	long pn = 53;

	if (max < 1)
		return -1;
	if (word[0] == '[') {
		const char *close = strchr(word, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		hl = (size_t)(close - word - 1);
		if (hl >= sizeof host)
			return -1;
		memcpy(host, word + 1, hl);
		host[hl] = '\0';
		if (close[1] == ':')
			port = close + 2;
	} else {
		colon = strchr(word, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hl = (size_t)(colon - word);
			port = colon + 1;
		} else {
			hl = strlen(word);	/* no port, or a bare IPv6 address */
		}
		if (hl >= sizeof host)
			return -1;
		memcpy(host, word, hl);
		host[hl] = '\0';
	}
	if (port != NULL && (pn = parse_port(port)) < 0)
		return -1;

	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)out)->sin_addr) == 1) {
		out->ss_family = AF_INET;
		return set_port(out, pn) == 0 ? 1 : -1;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)out)->sin6_addr) == 1) {
		out->ss_family = AF_INET6;
		return set_port(out, pn) == 0 ? 1 : -1;
	}
	/* nginx resolves a name at start-up; here at use, with the system resolver */
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		memset(&out[n], 0, sizeof out[n]);
		memcpy(&out[n], ai->ai_addr, ai->ai_addrlen);
		if (set_port(&out[n], pn) == 0)
			n++;
	}
	freeaddrinfo(res);
	return n > 0 ? n : -1;
}

/* ---- answers ------------------------------------------------------------ */

/* Skip a (possibly compressed) name at OFF; the offset after it, or -1. */
static long
skip_name(const unsigned char *m, size_t len, size_t off)
{
	for (int labels = 0; labels < 128; labels++) {
		unsigned c;

		if (off >= len)
			return -1;
		c = m[off];
		if (c == 0)
			return (long)off + 1;
		if ((c & 0xc0) == 0xc0)
			return off + 2 <= len ? (long)off + 2 : -1;
		if ((c & 0xc0) != 0)
			return -1;
		off += 1 + c;
	}
	return -1;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	size_t len = alen > 0 ? (size_t)alen : 0, qd, an;
	long off = 12;

	(void)timeouts;
	q->done = true;
	q->status = status;
	if (status != ARES_SUCCESS || abuf == NULL || len < 12)
		return;
	qd = get16(abuf + 4);
	an = get16(abuf + 6);
	for (size_t i = 0; i < qd; i++) {
		if ((off = skip_name(abuf, len, (size_t)off)) < 0 || (size_t)off + 4 > len)
			goto bad;
		off += 4;
	}
	for (size_t i = 0; i < an; i++) {
		unsigned type, class, rdlen;
		const unsigned char *rd;

		if ((off = skip_name(abuf, len, (size_t)off)) < 0 || (size_t)off + 10 > len)
			goto bad;
		type = get16(abuf + off);
		class = get16(abuf + off + 2);
		rdlen = get16(abuf + off + 8);
		off += 10;
		if ((size_t)off + rdlen > len)
			goto bad;
		rd = abuf + off;
		off += rdlen;
		if (class != C_IN || type != (unsigned)q->type)
			continue;	/* CNAME and the like: as nginx, look further */
		if (type == T_PTR && !q->have_name && rdlen > 0) {
			char *name = NULL;
			long enclen = 0;

			if (ares_expand_name(rd, abuf, alen, &name, &enclen) != ARES_SUCCESS)
				continue;
			if (enclen <= (long)rdlen) {
				snprintf(q->name, sizeof q->name, "%s", name);
				q->have_name = true;
			}
			ares_free_string(name);
		} else if ((type == T_A && rdlen == 4) || (type == T_AAAA && rdlen == 16)) {
			q->naddrs++;
			if (q->wantlen == rdlen && memcmp(rd, q->want, rdlen) == 0)
				q->match = true;
		}
	}
	return;
bad:
	/* a garbled answer after the records we took: keep what was usable */
	if (!q->have_name && q->naddrs == 0)
		q->status = ARES_EBADRESP;
}

/* ---- the channel ---------------------------------------------------------- */

static int
channel_open(const struct mp_server *srv, ares_channel *ch)
{
	static struct sockaddr_storage ss[MAX_SERVERS];
	static struct ares_addr_port_node nodes[MAX_SERVERS];
	struct ares_options opt;
	char lookups[] = "b", resolvconf[] = "/dev/null";
	int64_t per_try;
	int n = 0, first, rc;

	for (size_t i = 0; i < srv->resolver.n && n < MAX_SERVERS; i++) {
		int k = resolver_parse_server(srv->resolver.v[i], ss + n, MAX_SERVERS - n);

		if (k < 0) {
			log_msg(MP_LOG_ERR, "resolver \"%s\" cannot be used", srv->resolver.v[i]);
			continue;
		}
		n += k;
	}
	if (n == 0)
		return -1;

	/* nginx resends every 5 s, each time to the next server */
	per_try = srv->resolver_timeout_ms < 5000 ? srv->resolver_timeout_ms : 5000;
	if (per_try < 1)
		per_try = 1;
	memset(&opt, 0, sizeof opt);
	/* NOCHECKRESP: a SERVFAIL or REFUSED answer is the outcome, as it is
	 * for nginx, not a reason to ask the next server */
	opt.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
	opt.timeout = (int)per_try;
	opt.tries = (int)(srv->resolver_timeout_ms / per_try / n + 1);
	if (opt.tries > 16)
		opt.tries = 16;
	opt.lookups = lookups;
	opt.resolvconf_path = resolvconf;	/* the servers are ours, not the system's */
	rc = ares_init_options(ch, &opt, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_LOOKUPS | ARES_OPT_RESOLVCONF | ARES_OPT_ROTATE);
	if (rc != ARES_SUCCESS) {
		log_msg(MP_LOG_ALERT, "ares_init_options() failed: %s", ares_strerror(rc));
		return -1;
	}
	/* the first server by process, as nginx's round robin spreads
	 * lookups over the servers */
	first = (int)(getpid() % n);
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage *s = &ss[(first + i) % n];
		struct ares_addr_port_node *d = &nodes[i];

		memset(d, 0, sizeof *d);
		d->family = s->ss_family;
		if (s->ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)s;

			memcpy(&d->addr.addr4, &s4->sin_addr, 4);
			d->udp_port = d->tcp_port = ntohs(s4->sin_port);
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)s;

			memcpy(&d->addr.addr6, &s6->sin6_addr, 16);
			d->udp_port = d->tcp_port = ntohs(s6->sin6_port);
		}
		d->next = i + 1 < n ? &nodes[i + 1] : NULL;
	}
	rc = ares_set_servers_ports(*ch, nodes);
	if (rc != ARES_SUCCESS) {
		log_msg(MP_LOG_ALERT, "ares_set_servers_ports() failed: %s", ares_strerror(rc));
		ares_destroy(*ch);
		return -1;
	}
	return 0;
}

static bool
all_done(const struct query *q, int n)
{
	for (int i = 0; i < n; i++)
		if (!q[i].done)
			return false;
	return true;
}

/* Drive the channel until every query has its callback; at the deadline
 * the rest are cancelled (ARES_ECANCELLED: a timeout for nginx). */
static void
run(ares_channel ch, const struct query *q, int nq, int64_t deadline)
{
	while (!all_done(q, nq)) {
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct pollfd pfd[ARES_GETSOCK_MAXNUM];
		struct timeval maxtv, tv, *tvp;
		int64_t left = deadline - mp_now_ms();
		int bits, np = 0, ms, r;

		if (left <= 0) {
			ares_cancel(ch);
			return;
		}
		bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			short ev = 0;

			/* ARES_GETSOCK_WRITABLE() shifts a signed 1 into the sign bit */
			if (((unsigned)bits >> i) & 1u)
				ev |= POLLIN;
			if (((unsigned)bits >> (i + ARES_GETSOCK_MAXNUM)) & 1u)
				ev |= POLLOUT;
			if (ev == 0)
				continue;
			pfd[np].fd = socks[i];
			pfd[np].events = ev;
			pfd[np].revents = 0;
			np++;
		}
		maxtv.tv_sec = (time_t)(left / 1000);
		maxtv.tv_usec = (suseconds_t)(left % 1000) * 1000;
		tvp = ares_timeout(ch, &maxtv, &tv);
		ms = (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
		r = poll(pfd, (nfds_t)np, ms);
		if (r == -1 && errno != EINTR) {
			ares_cancel(ch);
			return;
		}
		if (r <= 0) {
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (int i = 0; i < np; i++) {
			if (pfd[i].revents == 0)
				continue;
			ares_process_fd(ch,
			    pfd[i].revents & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd : ARES_SOCKET_BAD,
			    pfd[i].revents & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
		}
	}
}

/* A name for a log line: ares_expand_name() has already written the
 * non-printable bytes as \DDD; escape what could still break the line. */
static void
printable(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && o + 5 < cap; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '"')
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}

static int
result(int rc, char *out, size_t cap, const char *name)
{
	const char *v = rc == RESOLVER_NAME ? name :
	    rc == RESOLVER_UNAVAIL ? RESOLVER_TEXT_UNAVAILABLE : RESOLVER_TEXT_TEMPUNAVAIL;

	snprintf(out, cap, "%s", v);
	return rc;
}

static int
lookup(const struct mp_server *srv, ares_channel ch, const struct sockaddr *client,
    const char *ip, char *out, size_t cap)
{
	static struct query ptr, fwd[2];
	char qname[80], name[NAME_MAX_TEXT], shown[sizeof ptr.name * 4 + 8];
	const uint8_t *want = NULL;
	size_t wantlen = 0;
	bool any_addrs = false;
	int nq = 0, state = NGX_NXDOMAIN;

	client_bytes(client, &want, &wantlen);
	if (resolver_ptr_qname(client, qname, sizeof qname) == -1)
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);

	memset(&ptr, 0, sizeof ptr);
	ptr.type = T_PTR;
	ares_query(ch, qname, C_IN, T_PTR, on_answer, &ptr);
	run(ch, &ptr, 1, mp_now_ms() + srv->resolver_timeout_ms);
	if (ptr.status == ARES_SUCCESS && !ptr.have_name)
		ptr.status = ARES_EBADRESP;	/* only CNAMEs or junk: nginx waits it out */
	if (ptr.status != ARES_SUCCESS) {
		state = ngx_state(ptr.status);
		log_msg(MP_LOG_ERR, "%s could not be resolved (%d: %s)", ip, state, ngx_strerror(state));
		return result(state == NGX_NXDOMAIN ? RESOLVER_UNAVAIL : RESOLVER_TEMPUNAVAIL,
		    out, cap, NULL);
	}
	/* the check that keeps CR, LF and the rest out of headers and XCLIENT */
	if (!resolver_name_ok(ptr.name) || strlen(ptr.name) >= sizeof name ||
	    strlen(ptr.name) >= cap) {
		printable(ptr.name, shown, sizeof shown);
		log_msg(MP_LOG_ERR, "%s resolved to invalid host name \"%s\"", ip, shown);
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	}
	memcpy(name, ptr.name, strlen(ptr.name) + 1);

	/* A and AAAA at once; the client must be among the addresses */
	memset(fwd, 0, sizeof fwd);
	if (srv->resolver_ipv4)
		fwd[nq++].type = T_A;
	if (srv->resolver_ipv6)
		fwd[nq++].type = T_AAAA;
	for (int i = 0; i < nq; i++) {
		fwd[i].want = want;
		fwd[i].wantlen = wantlen;
		ares_query(ch, name, C_IN, fwd[i].type, on_answer, &fwd[i]);
	}
	run(ch, fwd, nq, mp_now_ms() + srv->resolver_timeout_ms);
	for (int i = 0; i < nq; i++) {
		int st;

		if (fwd[i].match)
			return result(RESOLVER_NAME, out, cap, name);
		if (fwd[i].status == ARES_SUCCESS && fwd[i].naddrs > 0) {
			any_addrs = true;
			continue;
		}
		st = ngx_state(fwd[i].status == ARES_SUCCESS ? ARES_ENODATA : fwd[i].status);
		if (st != NGX_NXDOMAIN)
			state = st;
	}
	if (any_addrs)
		return result(RESOLVER_UNAVAIL, out, cap, NULL);
	log_msg(MP_LOG_ERR, "\"%s\" could not be resolved (%d: %s)", name, state, ngx_strerror(state));
	return result(state == NGX_NXDOMAIN ? RESOLVER_UNAVAIL : RESOLVER_TEMPUNAVAIL, out, cap, NULL);
}

int
resolver_client_host(const struct mp_server *srv, const struct sockaddr *client,
    char *out, size_t cap)
{
	const uint8_t *a;
	size_t alen;
	char ip[64], why[300];
	ares_channel ch;
	int rc;

	if (srv->resolver.n == 0)
		return result(RESOLVER_UNAVAIL, out, cap, NULL);
	if (client_bytes(client, &a, &alen) == AF_UNSPEC)
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	pp_addr_text(client, ip, sizeof ip);
	if (cares_load(why, sizeof why) == -1) {
		log_msg(MP_LOG_ALERT, "%s", why);
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	}
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	if (channel_open(srv, &ch) == -1) {
		ares_library_cleanup();
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	}
	rc = lookup(srv, ch, client, ip, out, cap);
	ares_destroy(ch);
	ares_library_cleanup();
	return rc;
}
