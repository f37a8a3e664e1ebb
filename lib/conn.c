/* conn.c: find the client socket and name both of its ends. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "conn.h"

void
conn_addr_ip(const struct sockaddr *sa, char *out, size_t cap)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)cap);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		/* an IPv4 client on a dual-stack socket is an IPv4 client */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, (socklen_t)cap);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)cap);
	} else if (sa->sa_family == AF_UNIX) {
		snprintf(out, cap, "unix:");
	} else {
		snprintf(out, cap, "unknown");
	}
}

void
conn_addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		conn_addr_ip(sa, ip, sizeof ip);
		snprintf(out, cap, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		conn_addr_ip(sa, ip, sizeof ip);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			snprintf(out, cap, "%s:%u", ip, ntohs(s6->sin6_port));
		else
			snprintf(out, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *su = (const struct sockaddr_un *)(const void *)sa;
		snprintf(out, cap, "unix:%.*s", (int)sizeof su->sun_path, su->sun_path);
	} else {
		snprintf(out, cap, "unknown");
	}
}

static unsigned
addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return 0;
}

int
conn_get(struct conn *c, char *err, size_t errlen)
{
	int n;

	memset(c, 0, sizeof *c);
	/* unset_environment: the relay and anything else we exec must not
	 * mistake our descriptors for theirs */
	n = sd_listen_fds(1);
	if (n < 0) {
		snprintf(err, errlen, "invalid LISTEN_FDS: %s", strerror(-n));
		return -1;
	}
	if (n > 1) {
		snprintf(err, errlen, "%d sockets passed; mailproxy needs Accept=yes (one connection)", n);
		return -1;
	}
	c->fd = n == 1 ? SD_LISTEN_FDS_START : 0;
	if (sd_is_socket(c->fd, AF_UNSPEC, SOCK_STREAM, 0) <= 0) {
		snprintf(err, errlen, "fd %d is not a connected stream socket: "
		    "start mailproxy from systemd (Accept=yes) or inetd", c->fd);
		return -1;
	}
	c->locallen = sizeof c->local;
	c->peerlen = sizeof c->peer;
	if (getsockname(c->fd, (struct sockaddr *)&c->local, &c->locallen) == -1 ||
	    getpeername(c->fd, (struct sockaddr *)&c->peer, &c->peerlen) == -1) {
		snprintf(err, errlen, "fd %d is not a connected socket: %s", c->fd, strerror(errno));
		return -1;
	}
	conn_addr_ip((struct sockaddr *)&c->peer, c->peer_ip, sizeof c->peer_ip);
	c->peer_port = addr_port((struct sockaddr *)&c->peer);
	conn_addr_text((struct sockaddr *)&c->peer, c->peer_text, sizeof c->peer_text);
	conn_addr_text((struct sockaddr *)&c->local, c->local_text, sizeof c->local_text);
	return 0;
}
