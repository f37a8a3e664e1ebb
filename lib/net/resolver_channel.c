/* SPDX-License-Identifier: ISC */
/* resolver_channel.c: the c-ares side of a lookup: the `resolver`
 * servers, a channel on one of them (UDP, TCP on truncation, one try) and
 * the poll loop that drives it to a deadline. Which server is asked when
 * is resolver.c's choice. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cares_load.h"
#include "clock.h"
#include "log.h"
#include "resolver.h"
#include "resolver_int.h"

int
resolver_servers_load(const struct mp_server *srv, struct resolver_servers *rs)
{
	rs->n = 0;
	for (size_t i = 0; i < srv->resolver.n && rs->n < RESOLVER_MAX_SERVERS; i++) {
		int k = resolver_parse_server(srv->resolver.v[i], rs->ss + rs->n,
		    RESOLVER_MAX_SERVERS - rs->n);

		if (k < 0) {
			log_msg(MP_LOG_ERR, "resolver \"%s\" cannot be used", srv->resolver.v[i]);
			continue;
		}
		rs->n += k;
	}
	if (rs->n == 0)
		return -1;
	/* the first server by process, as nginx's round robin spreads lookups
	 * over the servers; the others follow when it fails */
	rs->first = (int)(getpid() % rs->n);
	return 0;
}

int
resolver_channel_open(const struct resolver_servers *rs, int i, int64_t timeout_ms,
    ares_channel *ch)
{
	const struct sockaddr_storage *s = &rs->ss[i];
	struct ares_addr_port_node node;
	struct ares_options opt;
	char lookups[] = "b", resolvconf[] = "/dev/null";
	int rc;

	memset(&opt, 0, sizeof opt);
	/* NOCHECKRESP: a SERVFAIL or REFUSED answer comes back to resolver.c,
	 * which decides whether the next server is asked */
	opt.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
	opt.timeout = timeout_ms > 0 && timeout_ms < INT32_MAX ? (int)timeout_ms : 1;
	opt.tries = 1;
	opt.lookups = lookups;
	opt.resolvconf_path = resolvconf;	/* the servers are ours, not the system's */
	rc = ares_init_options(ch, &opt, ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
	    ARES_OPT_LOOKUPS | ARES_OPT_RESOLVCONF);
	if (rc != ARES_SUCCESS) {
		log_msg(MP_LOG_ALERT, "ares_init_options() failed: %s", ares_strerror(rc));
		return -1;
	}
	memset(&node, 0, sizeof node);
	node.family = s->ss_family;
	if (s->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)s;

		memcpy(&node.addr.addr4, &s4->sin_addr, 4);
		node.udp_port = node.tcp_port = ntohs(s4->sin_port);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)s;

		memcpy(&node.addr.addr6, &s6->sin6_addr, 16);
		node.udp_port = node.tcp_port = ntohs(s6->sin6_port);
	}
	rc = ares_set_servers_ports(*ch, &node);
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
void
resolver_run(ares_channel ch, const struct query *q, int nq, int64_t deadline)
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
