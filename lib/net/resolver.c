/* SPDX-License-Identifier: ISC */
/* resolver.c: forward-confirmed reverse DNS of the SMTP client with c-ares,
 * deciding as nginx's mail SMTP module and resolver do
 * (doc/wire.md#smtp-client-host).
 *
 * c-ares asks one `resolver` server at a time (UDP, TCP on truncation);
 * the answers are walked here so that a PTR name is seen as DNS carried it
 * and checked before use. Where nginx's resolver ignores an unusable answer
 * and lets the query time out, the result here is the same [TEMPUNAVAIL]
 * without the wait.
 *
 * A process lives for one connection and cannot remember, as nginx's
 * resolver does, which server is broken; so a server's failure (SERVFAIL,
 * REFUSED, silence, a malformed answer, an empty PTR answer) costs a try
 * of the next server within resolver_timeout, not the client's host name.
 * An answer about the name (NXDOMAIN, a PTR name, addresses) is final.
 *
 * This file decides and logs; the pure helpers are in resolver_addr.c, the
 * answer walk in resolver_answer.c, the channel and its poll loop in
 * resolver_channel.c. */
#include <stdio.h>
#include <string.h>

#include "cares_load.h"
#include "clock.h"
#include "conn.h"
#include "log.h"
#include "proxy_proto.h"
#include "resolver.h"
#include "resolver_int.h"

/* nginx's resolver state codes and ngx_resolver_strerror() texts */
#define NGX_FORMERR 1
#define NGX_SERVFAIL 2
#define NGX_NXDOMAIN 3
#define NGX_NOTIMP 4
#define NGX_REFUSED 5
#define NGX_TIMEDOUT 110

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

/* The server failed, rather than answered about the name: ask the next. */
static bool
server_failed(const struct query *q)
{
	switch (q->status) {
	case ARES_SUCCESS:
		return q->type == T_PTR && !q->have_name;	/* empty, or only CNAMEs */
	case ARES_ENOTFOUND:
		return false;				/* NXDOMAIN */
	case ARES_ENODATA:
		return q->type == T_PTR;		/* a name without A is usual */
	default:
		return true;	/* SERVFAIL, REFUSED, FORMERR, silence, garbage */
	}
}

static const char *
status_text(const struct query *q)
{
	return q->status == ARES_SUCCESS || q->status == ARES_ENODATA ? "empty answer" :
	    ngx_strerror(ngx_state(q->status));
}

/* Send the NQ queries for NAME to the servers in turn, from server FROM,
 * until none has a server failure or DEADLINE passes. The time left is
 * shared among the servers not yet asked; each failing server is logged
 * once per lookup when another is asked after it. Returns the server that
 * answered last. */
static int
ask(const struct resolver_servers *rs, int from, const char *name, struct query *q, int nq,
    int64_t deadline)
{
	int i = from;

	for (int t = 0; t < rs->n; t++) {
		int64_t left = deadline - mp_now_ms(), budget;
		int failed = -1;
		ares_channel ch;

		i = (from + t) % rs->n;
		if (left <= 0)
			break;
		budget = t + 1 < rs->n ? left / (rs->n - t) : left;
		if (resolver_channel_open(rs, i, budget, &ch) == -1)
			break;
		for (int k = 0; k < nq; k++) {
			if (t > 0 && !server_failed(&q[k]))
				continue;
			q[k].done = q[k].have_name = q[k].match = false;
			q[k].status = 0;
			q[k].naddrs = 0;
			ares_query(ch, name, C_IN, q[k].type, resolver_on_answer, &q[k]);
		}
		resolver_run(ch, q, nq, mp_now_ms() + budget);
		ares_destroy(ch);
		for (int k = 0; k < nq && failed == -1; k++)
			if (server_failed(&q[k]))
				failed = k;
		if (failed == -1)
			break;
		if (t + 1 < rs->n) {
			char addr[80];

			conn_addr_text((const struct sockaddr *)&rs->ss[i], addr, sizeof addr);
			log_msg(MP_LOG_WARN, "resolver %s failed for \"%s\" (%s), "
			    "asking the next", addr, name, status_text(&q[failed]));
		}
	}
	return i;
}

static int
lookup(const struct mp_server *srv, const struct resolver_servers *rs,
    const struct sockaddr *client, const char *ip, char *out, size_t cap)
{
	static struct query ptr, fwd[2];
	char qname[80], name[NAME_MAX_TEXT], shown[sizeof ptr.name * 4 + 8];
	const uint8_t *want = NULL;
	size_t wantlen = 0;
	bool any_addrs = false;
	int nq = 0, state = NGX_NXDOMAIN, from;

	resolver_client_bytes(client, &want, &wantlen);
	if (resolver_ptr_qname(client, qname, sizeof qname) == -1)
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);

	memset(&ptr, 0, sizeof ptr);
	ptr.type = T_PTR;
	from = ask(rs, rs->first, qname, &ptr, 1, mp_now_ms() + srv->resolver_timeout_ms);
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
	}
	/* the server that named the client is asked first for its addresses */
	(void)ask(rs, from, name, fwd, nq, mp_now_ms() + srv->resolver_timeout_ms);
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
	static struct resolver_servers rs;
	int rc;

	if (srv->resolver.n == 0)
		return result(RESOLVER_UNAVAIL, out, cap, NULL);
	if (resolver_client_bytes(client, &a, &alen) == AF_UNSPEC)
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	pp_addr_text(client, ip, sizeof ip);
	if (cares_load(why, sizeof why) == -1) {
		log_msg(MP_LOG_ALERT, "%s", why);
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	}
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	if (resolver_servers_load(srv, &rs) == -1) {
		ares_library_cleanup();
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	}
	rc = lookup(srv, &rs, client, ip, out, cap);
	ares_library_cleanup();
	return rc;
}
