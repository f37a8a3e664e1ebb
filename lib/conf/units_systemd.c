/* SPDX-License-Identifier: ISC */
/* units_systemd.c: "mailproxy -T systemd": a drop-in for mailproxy@.service that runs
 * this binary with this configuration (and one for mailproxy-tls.service, with the keys as
 * credentials, when a server has TLS), and one .socket unit (Accept=yes) per group of
 * listens that share a name and identical parameters.
 * "mailproxy -T systemd-accept", the high-rate mode: the same sockets with
 * Accept=no, each mailproxy-accept@NAME.socket handing its listening sockets to
 * mailproxy-accept@NAME.service, whose drop-in runs mailproxy-accept with the
 * bounds MaxConnections= and MaxConnectionsPerSource= set with Accept=yes. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "libexec.h"
#include "units_int.h"

/* Values systemd expands specifiers in: "%" is written "%%". */
static void
put_unit(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '%')
			fputc('%', out);
		fputc(*s, out);
	}
}

static int
same_socket(const struct mp_listen *a, const struct mp_listen *b)
{
	char na[64], nb[64];

	units_base_name(a, na, sizeof na);
	units_base_name(b, nb, sizeof nb);
	return strcmp(na, nb) == 0 && (a->sa.ss_family == AF_UNIX) == (b->sa.ss_family == AF_UNIX)
	    && a->wildcard == b->wildcard && a->backlog == b->backlog && a->rcvbuf == b->rcvbuf
	    && a->sndbuf == b->sndbuf && a->so_keepalive == b->so_keepalive
	    && a->keepidle == b->keepidle && a->keepintvl == b->keepintvl
	    && a->keepcnt == b->keepcnt && a->ipv6only == b->ipv6only
	    && a->multipath == b->multipath && a->ssl == b->ssl
	    && a->proxy_protocol == b->proxy_protocol && a->sa.ss_family == b->sa.ss_family;
}

static void
limits(FILE *out, const struct mp_listen *l)
{
	int max, per_source;

	units_bounds(l, &max, &per_source);
	fprintf(out, "MaxConnections=%d\n", max);
	if (per_source > 0)
		fprintf(out, "MaxConnectionsPerSource=%d\n", per_source);
	else
		fprintf(out, "# proxy_protocol: every connection comes from the balancer, which "
		    "limits each client\nMaxConnectionsPerSource=%d\n", max);
	fprintf(out, "# a burst beyond the default trigger limit would stop the socket for good\n"
	    "TriggerLimitIntervalSec=0\n");
}

static void
systemd_params(struct ctx *c, const struct mp_listen *l)
{
	bool unix_sock = l->sa.ss_family == AF_UNIX;

	if (!l->wildcard && !unix_sock)
		fprintf(c->out, "# a specific address: bound even before the interface has it\n"
		    "FreeBind=yes\n");
	if (unix_sock)
		fprintf(c->out, "SocketMode=0666\n");	/* as nginx makes it */
	if (l->backlog > 0)
		fprintf(c->out, "Backlog=%d\n", l->backlog);
	if (l->rcvbuf >= 0)
		fprintf(c->out, "ReceiveBuffer=%d\n", l->rcvbuf);
	if (l->sndbuf >= 0)
		fprintf(c->out, "SendBuffer=%d\n", l->sndbuf);
	if (l->so_keepalive == 0 && unix_sock) {
		fprintf(c->out, "# so_keepalive=off: a unix socket has no keepalive anyway\n");
	} else if (l->so_keepalive > 0 && unix_sock) {
		units_warn(c, l, "so_keepalive", "TCP keepalive has no meaning for a unix socket");
	} else if (l->so_keepalive >= 0) {
		fprintf(c->out, "KeepAlive=%s\n", l->so_keepalive ? "yes" : "no");
		if (l->keepidle > 0)
			fprintf(c->out, "KeepAliveTimeSec=%d\n", l->keepidle);
		if (l->keepintvl > 0)
			fprintf(c->out, "KeepAliveIntervalSec=%d\n", l->keepintvl);
		if (l->keepcnt > 0)
			fprintf(c->out, "KeepAliveProbes=%d\n", l->keepcnt);
	}
	if (l->sa.ss_family == AF_INET6 && l->wildcard)
		fprintf(c->out, "BindIPv6Only=%s\n", units_v6only(l) ? "ipv6-only" : "both");
	else if (l->sa.ss_family == AF_INET6 && l->ipv6only != -1)
		fprintf(c->out, "# ipv6only: bound to a specific IPv6 address, the socket takes "
		    "IPv6 clients only (the kernel sets IPV6_V6ONLY), in nginx too\n");
	else if (l->ipv6only != -1)
		units_warn(c, l, "ipv6only", "only an IPv6 address has it; nginx ignores it here too");
	if (l->multipath)
		units_warn(c, l, "multipath", "systemd 252 cannot open an MPTCP socket "
		    "(later versions: SocketProtocol=mptcp); the socket is opened without it");
	units_handler_params(c, l);
}

/* One LoadCredential= for a file that mailproxy-tls looks for in
 * $CREDENTIALS_DIRECTORY under its basename (tlsd_config.c). SEEN holds the
 * files already named: a second file with the same basename is left out,
 * said in a comment (mailproxy-tls refuses such a pair when it has
 * credentials). */
static void
cred_line(struct ctx *c, const char *path, const char **seen, size_t *nseen)
{
	const char *base;

	if (path == NULL || strncmp(path, "data:", 5) == 0)
		return;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	for (size_t i = 0; i < *nseen; i++) {
		const char *b = strrchr(seen[i], '/') ? strrchr(seen[i], '/') + 1 : seen[i];

		if (strcmp(seen[i], path) == 0)
			return;
		if (strcmp(b, base) == 0) {
			fprintf(c->out, "# not loaded: ");
			put_unit(c->out, path);
			fprintf(c->out, " (");
			put_unit(c->out, seen[i]);
			fprintf(c->out, " has the same name; rename one)\n");
			return;
		}
	}
	if (path[0] != '/' || *base == '\0' || strchr(base, ':') != NULL) {
		fprintf(c->out, "# not loaded: ");
		put_unit(c->out, path);
		fprintf(c->out, " (a credential needs an absolute path and a name without \":\")\n");
		return;
	}
	seen[(*nseen)++] = path;
	fprintf(c->out, "LoadCredential=");
	put_unit(c->out, base);
	fputc(':', c->out);
	put_unit(c->out, path);
	fputc('\n', c->out);
}

/* With a TLS server, the TLS daemon (mailproxy-tls.service) must read the
 * same file, or every handler finds its digest different and runs its own
 * mailproxy-tls; and it alone gets the keys, as credentials: the handler
 * never reads one (mailproxy-tls(8), "Keys"). Returns -1 out of memory. */
static int
tls_dropin(struct ctx *c, const struct mp_conf *cf)
{
	char path[PATH_MAX];
	const char **seen;
	size_t i, n = 0, nseen = 0;

	for (i = 0; i < cf->nservers; i++) {
		const struct mp_ssl *ssl = &cf->servers[i].ssl;

		if (ssl->certificate.n > 0)
			n += ssl->certificate.n + ssl->certificate_key.n + ssl->session_ticket_key.n + 1;
	}
	if (n == 0)
		return 0;
	if ((seen = calloc(n, sizeof *seen)) == NULL)
		return -1;
	libexec_path("mailproxy-tls", path, sizeof path);
	fprintf(c->out, "\n# /etc/systemd/system/mailproxy-tls.service.d/50-configuration.conf\n");
	units_header(c, "Drop-in");
	fprintf(c->out, "[Service]\nExecStart=\nExecStart=");
	put_unit(c->out, path);
	fprintf(c->out, " -D -c ");
	put_unit(c->out, c->conf);
	fprintf(c->out, "\n# the keys, read by PID 1 as root, for this unit only: the handlers "
	    "hand it their TLS sessions and need none (mailproxy-tls(8), Keys)\n");
	for (i = 0; i < cf->nservers; i++) {
		const struct mp_ssl *ssl = &cf->servers[i].ssl;
		const struct mp_strlist *l[3] = { &ssl->certificate, &ssl->certificate_key,
		    &ssl->session_ticket_key };

		if (ssl->certificate.n == 0)
			continue;
		for (size_t k = 0; k < 3; k++)
			for (size_t j = 0; j < l[k]->n; j++)
				cred_line(c, l[k]->v[j], seen, &nseen);
		cred_line(c, ssl->password_file, seen, &nseen);
	}
	free(seen);
	return 0;
}

/* The socket units: GROUP[i] is 1 + the socket of listen i (0: a listen a
 * wildcard socket covers); FIRST[g] the first listen of socket g. */
static size_t
group_listens(const struct mp_conf *cf, size_t *group, size_t *first)
{
	size_t ngroups = 0;

	for (size_t i = 0; i < cf->nlistens; i++) {
		const struct mp_listen *l = &cf->listens[i];
		size_t g;

		if (units_covering(cf, l) != NULL)
			continue;
		for (g = 0; g < ngroups; g++)
			if (same_socket(&cf->listens[first[g]], l))
				break;
		if (g == ngroups)
			first[ngroups++] = i;
		group[i] = g + 1;
	}
	return ngroups;
}

/* The unit name of socket G: its base name, numbered after the first. */
static void
socket_name(const struct mp_conf *cf, const size_t *first, size_t g, char *name, size_t cap)
{
	char base[64];
	size_t same = 0;

	units_base_name(&cf->listens[first[g]], base, sizeof base);
	for (size_t h = 0; h < g; h++) {
		char other[64];

		units_base_name(&cf->listens[first[h]], other, sizeof other);
		same += strcmp(base, other) == 0;
	}
	if (same > 0)
		snprintf(name, cap, "%s-%zu", base, same + 1);
	else
		snprintf(name, cap, "%s", base);
}

/* The high-rate mode's service for socket NAME: mailproxy-accept, bounded as
 * the Accept=yes socket would be, starting this handler per connection. */
static void
accept_dropin(struct ctx *c, const char *name, const struct mp_listen *l)
{
	char path[PATH_MAX];
	int max, per_source;

	units_bounds(l, &max, &per_source);
	libexec_path("mailproxy-accept", path, sizeof path);
	fprintf(c->out, "\n# /etc/systemd/system/mailproxy-accept@%s.service.d/50-configuration.conf\n",
	    name);
	units_header(c, "Drop-in");
	fprintf(c->out, "# -c, -s: what MaxConnections= and MaxConnectionsPerSource= are with "
	    "Accept=yes\n[Service]\nExecStart=\nExecStart=");
	put_unit(c->out, path);
	fprintf(c->out, " -c %d -s %d ", max, per_source);
	put_unit(c->out, c->exe);
	fprintf(c->out, " -c ");
	put_unit(c->out, c->conf);
	fprintf(c->out, "\n# up to -c sessions of a handful of tasks each, as the template's\n"
	    "TasksMax=%d\n", 8 * max);
}

/* mailproxy@NAME.socket for socket G, with the listens it serves. */
static void
print_socket(struct ctx *c, const size_t *group, const size_t *first, size_t g)
{
	const struct mp_conf *cf = c->cf;
	const struct mp_listen *l0 = &cf->listens[first[g]];
	char name[80], text[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	size_t members = 0;
	bool accept = c->kind == UNITS_SYSTEMD_ACCEPT;

	for (size_t i = 0; i < cf->nlistens; i++)
		members += group[i] == g + 1;
	socket_name(cf, first, g, name, sizeof name);

	fprintf(c->out, "\n# /etc/systemd/system/%s@%s.socket\n", accept ? "mailproxy-accept" :
	    "mailproxy", name);
	units_header(c, "Socket unit");
	if (accept)
		fprintf(c->out, "# mailproxy-accept@%s.service accepts its connections and "
		    "starts a mailproxy for each (the high-rate mode).\n", name);
	else
		fprintf(c->out, "# Each connection starts an instance of mailproxy@.service.\n");
	for (size_t i = 0; i < cf->nlistens; i++) {
		const struct mp_listen *w;

		if (group[i] == g + 1)
			units_listen_comment(c, &cf->listens[i]);
		else if (group[i] == 0 && (w = units_covering(cf, &cf->listens[i])) != NULL
		    && group[w - cf->listens] == g + 1)
			fprintf(c->out, "# listen %s (%s:%u): no \"bind\", so served by the "
			    "wildcard socket %s, as in nginx\n", cf->listens[i].text,
			    cf->listens[i].file, cf->listens[i].line, w->text);
	}
	units_sock_text(l0, text, sizeof text);
	fprintf(c->out, "[Unit]\nDescription=mailproxy %s socket ", units_proto_name(l0->server->protocol));
	put_unit(c->out, text);
	fprintf(c->out, "%s\nDocumentation=man:mailproxy(8) man:mailproxy.conf(5)\n\n[Socket]\n",
	    members > 1 ? " and others" : "");
	for (size_t i = 0; i < cf->nlistens; i++) {
		if (group[i] != g + 1)
			continue;
		units_sock_text(&cf->listens[i], text, sizeof text);
		fprintf(c->out, "ListenStream=");
		put_unit(c->out, text);
		fprintf(c->out, "\n");
	}
	fprintf(c->out, "Accept=%s\n", accept ? "no" : "yes");
	systemd_params(c, l0);
	if (!accept)
		limits(c->out, l0);
	fprintf(c->out, "\n[Install]\nWantedBy=sockets.target\n");
	if (accept)
		accept_dropin(c, name, l0);
}

int
units_print_systemd(struct ctx *c)
{
	const struct mp_conf *cf = c->cf;
	size_t *group = calloc(cf->nlistens + 1, sizeof *group), ngroups;
	size_t *first = calloc(cf->nlistens + 1, sizeof *first);
	int rc = -1;

	if (group == NULL || first == NULL)
		goto done;
	ngroups = group_listens(cf, group, first);

	/* the high-rate mode runs the handler from mailproxy-accept's drop-ins */
	if (c->kind == UNITS_SYSTEMD_ACCEPT)
		goto tls;
	fprintf(c->out, "# /etc/systemd/system/mailproxy@.service.d/50-configuration.conf\n");
	units_header(c, "Drop-in");
	fprintf(c->out, "[Service]\nExecStart=\nExecStart=");
	put_unit(c->out, c->exe);
	fprintf(c->out, " -c ");
	put_unit(c->out, c->conf);
	fprintf(c->out, "\n");
tls:
	if (tls_dropin(c, cf) == -1)
		goto done;
	for (size_t g = 0; g < ngroups; g++)
		print_socket(c, group, first, g);
	rc = 0;
done:
	free(group);
	free(first);
	return rc;
}
