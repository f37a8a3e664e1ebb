/* resolver_channel.c: the c-ares side of a lookup: a channel on the
 * `resolver` servers (UDP, TCP on truncation, the next server on silence
 * or a refused port, nginx's 5 s between tries) and the poll loop that
 * drives it to a deadline. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "cares_load.h"
#include "clock.h"
#include "log.h"
#include "resolver.h"
#include "resolver_int.h"

#define MAX_SERVERS 16

int
resolver_channel_open(const struct mp_server *srv, ares_channel *ch)
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
