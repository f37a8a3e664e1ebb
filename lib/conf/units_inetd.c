/* SPDX-License-Identifier: ISC */
/* units_inetd.c: "mailproxy -T inetd|xinetd": one inetd.conf line (openbsd-inetd
 * syntax) or xinetd service block per listen that needs a socket of its own. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "units_int.h"

/* openbsd-inetd stops a service for ten minutes once it has started it more
 * than N times in a minute (nowait.N; 256 when not given). The limit is for
 * servers that fail and are restarted in a loop; a nowait stream service
 * starts once per accepted client, so the count is the clients' rate and
 * the penalty is what a flood wants. 10^9 a minute is a rate no host
 * reaches, and below INT_MAX, past which inetd falls back to 256. */
#define INETD_MAX_PER_MINUTE 1000000000

/* xinetd: at most this many new connections a second, or the service
 * pauses for a second (the default, 50 then 10 s, stops it under a burst) */
#define XINETD_CPS "1000 1"

static void
inetd_params(struct ctx *c, const struct mp_listen *l, bool x)
{
	if (l->backlog > 0)
		units_warn(c, l, "backlog", x ? "xinetd's backlog is fixed (64)"
		    : "inetd has none per service (openbsd-inetd: -q N, for every service)");
	/* what the service manager lacks, mailproxy sets on each connection
	 * (lib/net/conn_opts.c); a buffer size then comes after the handshake, so
	 * the window scale stays what the listening socket's buffer gave */
	if (l->rcvbuf >= 0)
		fprintf(c->out, "# rcvbuf: set by mailproxy on each connection (%s has no setting; "
		    "the TCP window scale follows the listening socket's)\n", x ? "xinetd" : "inetd");
	if (l->sndbuf >= 0)
		fprintf(c->out, "# sndbuf: set by mailproxy on each connection (%s has no setting)\n",
		    x ? "xinetd" : "inetd");
	if (l->so_keepalive >= 0 && !x)
		fprintf(c->out, "# so_keepalive: set by mailproxy on each connection "
		    "(inetd has no setting)\n");
	if (x && (l->keepidle > 0 || l->keepintvl > 0 || l->keepcnt > 0))
		fprintf(c->out, "# so_keepalive timers: set by mailproxy on each connection "
		    "(xinetd sets only SO_KEEPALIVE)\n");
	if (x && l->so_keepalive == 0)
		fprintf(c->out, "# so_keepalive=off: no KEEPALIVE flag\n");
	if (l->sa.ss_family == AF_INET6 && x && l->wildcard)
		units_warn(c, l, "ipv6only", "xinetd cannot set IPV6_V6ONLY; the socket follows "
		    "net.ipv6.bindv6only");
	else if (l->sa.ss_family == AF_INET6 && !x && units_v6only(l) == 0)
		units_warn(c, l, "ipv6only=off", "inetd's tcp6 socket takes IPv6 clients only; IPv4 "
		    "clients need a listen of their own");
	else if (l->sa.ss_family != AF_INET6 && l->ipv6only != -1)
		units_warn(c, l, "ipv6only", "only an IPv6 address has it; nginx ignores it here too");
	if (l->multipath)
		units_warn(c, l, "multipath", "inetd cannot open an MPTCP socket; the socket is opened without it");
	units_handler_params(c, l);
}

int
units_print_inetd(struct ctx *c)
{
	const struct mp_conf *cf = c->cf;

	units_header(c, "inetd.conf lines (openbsd-inetd syntax)");
	fprintf(c->out, "# They run as user mailproxy, who must be able to read %s and the\n"
	    "# TLS keys: useradd --system --no-create-home --shell /usr/sbin/nologin mailproxy\n",
	    c->conf);
	for (size_t i = 0; i < cf->nlistens; i++) {
		const struct mp_listen *l = &cf->listens[i], *w = units_covering(cf, l);
		char text[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
		const char *proto = "tcp4";

		fprintf(c->out, "\n");
		units_listen_comment(c, l);
		if (w != NULL) {
			fprintf(c->out, "# no \"bind\": served by the line for %s, as in nginx\n", w->text);
			continue;
		}
		inetd_params(c, l, false);
		if (l->sa.ss_family == AF_UNIX) {
			units_sock_text(l, text, sizeof text);
			proto = "unix";
		} else if (l->wildcard) {
			snprintf(text, sizeof text, "%u", units_lport(l));
		} else {
			units_sock_text(l, text, sizeof text);
		}
		if (l->sa.ss_family == AF_INET6)
			proto = "tcp6";
		fprintf(c->out, "%s\tstream\t%s\tnowait.%d\tmailproxy\t%s\tmailproxy -c %s\n", text,
		    proto, INETD_MAX_PER_MINUTE, c->exe, c->conf);
	}
	return 0;
}

/* The bounds of the socket units (units_bounds). */
static void
xinetd_limits(struct ctx *c, const struct mp_listen *l)
{
	int max, per_source;

	units_bounds(l, &max, &per_source);
	fprintf(c->out, "\tinstances      = %d\n", max);
	if (per_source > 0)
		fprintf(c->out, "\tper_source     = %d\n", per_source);
	else
		fprintf(c->out, "\t# proxy_protocol: every client comes from the balancer\n"
		    "\tper_source     = UNLIMITED\n");
	fprintf(c->out, "\t# the default, 50 a second, would stop the service for 10 s under a burst\n"
	    "\tcps            = %s\n", XINETD_CPS);
}

int
units_print_xinetd(struct ctx *c)
{
	const struct mp_conf *cf = c->cf;
	char names[64][80];	/* for the -2, -3 suffixes of repeated names */
	size_t nnames = 0;

	units_header(c, "xinetd service blocks");
	fprintf(c->out, "# They run as user mailproxy, who must be able to read %s and the\n"
	    "# TLS keys: useradd --system --no-create-home --shell /usr/sbin/nologin mailproxy\n",
	    c->conf);
	for (size_t i = 0; i < cf->nlistens; i++) {
		const struct mp_listen *l = &cf->listens[i], *w = units_covering(cf, l);
		char base[64], name[80], ip[INET6_ADDRSTRLEN];
		size_t same = 0;

		fprintf(c->out, "\n");
		units_listen_comment(c, l);
		if (w != NULL) {
			fprintf(c->out, "# no \"bind\": served by the service for %s, as in nginx\n", w->text);
			continue;
		}
		if (l->sa.ss_family == AF_UNIX) {
			units_warn(c, l, "unix:", "xinetd listens on IP sockets only; no service for it");
			continue;
		}
		units_base_name(l, base, sizeof base);
		for (size_t n = 0; n < nnames; n++)
			same += strcmp(names[n], base) == 0;
		if (nnames < sizeof names / sizeof names[0])
			snprintf(names[nnames++], sizeof names[0], "%s", base);
		if (same > 0)
			snprintf(name, sizeof name, "%s-%zu", base, same + 1);
		else
			snprintf(name, sizeof name, "%s", base);
		inetd_params(c, l, true);
		fprintf(c->out, "service mailproxy-%s\n{\n"
		    "\ttype           = UNLISTED\n\tsocket_type    = stream\n"
		    "\tprotocol       = tcp\n\twait           = no\n\tuser           = mailproxy\n",
		    name);
		if (!l->wildcard) {
			if (l->sa.ss_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)&l->sa)->sin_addr, ip, sizeof ip);
			else
				inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&l->sa)->sin6_addr, ip, sizeof ip);
			fprintf(c->out, "\tbind           = %s\n", ip);
		}
		fprintf(c->out, "\tport           = %u\n\tflags          = %s%s\n"
		    "\tserver         = %s\n\tserver_args    = -c %s\n", units_lport(l),
		    l->sa.ss_family == AF_INET6 ? "IPv6" : "IPv4",
		    l->so_keepalive > 0 ? " KEEPALIVE" : "", c->exe, c->conf);
		xinetd_limits(c, l);
		fprintf(c->out, "}\n");
	}
	return 0;
}
