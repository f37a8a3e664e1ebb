/* resolver.c: forward-confirmed reverse DNS of the SMTP client with c-ares,
 * deciding as nginx's mail SMTP module and resolver do
 * (doc/wire.md#smtp-client-host).
 *
 * c-ares asks the `resolver` servers (UDP, TCP on truncation, the next
 * server on silence or a refused port); the answers are walked here so
 * that a PTR name is seen as DNS carried it and checked before use. Where
 * nginx's resolver ignores an unusable answer and lets the query time out,
 * the result here is the same [TEMPUNAVAIL] without the wait.
 *
 * This file decides and logs; the pure helpers are in resolver_addr.c, the
 * answer walk in resolver_answer.c, the channel and its poll loop in
 * resolver_channel.c. */
#include <stdio.h>
#include <string.h>

#include "cares_load.h"
#include "clock.h"
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

	resolver_client_bytes(client, &want, &wantlen);
	if (resolver_ptr_qname(client, qname, sizeof qname) == -1)
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);

	memset(&ptr, 0, sizeof ptr);
	ptr.type = T_PTR;
	ares_query(ch, qname, C_IN, T_PTR, resolver_on_answer, &ptr);
	resolver_run(ch, &ptr, 1, mp_now_ms() + srv->resolver_timeout_ms);
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
		ares_query(ch, name, C_IN, fwd[i].type, resolver_on_answer, &fwd[i]);
	}
	resolver_run(ch, fwd, nq, mp_now_ms() + srv->resolver_timeout_ms);
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
	if (resolver_client_bytes(client, &a, &alen) == AF_UNSPEC)
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	pp_addr_text(client, ip, sizeof ip);
	if (cares_load(why, sizeof why) == -1) {
		log_msg(MP_LOG_ALERT, "%s", why);
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	}
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	if (resolver_channel_open(srv, &ch) == -1) {
		ares_library_cleanup();
		return result(RESOLVER_TEMPUNAVAIL, out, cap, NULL);
	}
	rc = lookup(srv, ch, client, ip, out, cap);
	ares_destroy(ch);
	ares_library_cleanup();
	return rc;
}
