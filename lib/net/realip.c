/* SPDX-License-Identifier: ISC */
/* realip.c: set_real_ip_from matching and the client address replacement
 * (ngx_mail_realip_module). The new address is printed as nginx prints a
 * sockaddr, so an IPv6 source keeps nginx's text form. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "auth_http.h"
#include "realip.h"

bool
realip_match(const struct mp_cidr *from, size_t n, const struct sockaddr *peer)
{
	const uint8_t *a;
	size_t alen;
	int family = peer->sa_family;

	if (family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)peer)->sin_addr;
		alen = 4;
	} else if (family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)peer;

		a = s6->sin6_addr.s6_addr;
		alen = 16;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			family = AF_INET;
			a += 12;
			alen = 4;
		}
	} else if (family == AF_UNIX) {
		a = NULL;
		alen = 0;
	} else {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k;

		if (from[i].family != family)
			continue;
		for (k = 0; k < alen; k++)
			if ((a[k] & from[i].mask[k]) != from[i].addr[k])
				break;
		if (k == alen)
			return true;
	}
	return false;
}

int
realip_apply(const struct mp_server *srv, struct conn *c, const struct pp_header *h)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	char ip[64];

	if (srv->nreal_ip_from == 0 || !h->has_addrs ||
	    !realip_match(srv->real_ip_from, srv->nreal_ip_from, (struct sockaddr *)&c->peer))
		return 0;
	if (auth_parse_addr(h->src_addr, strlen(h->src_addr), &sa, &salen) == -1)
		return 0;
	if (sa.ss_family == AF_INET)
		((struct sockaddr_in *)&sa)->sin_port = htons((uint16_t)h->src_port);
	else
		((struct sockaddr_in6 *)&sa)->sin6_port = htons((uint16_t)h->src_port);
	pp_addr_text((struct sockaddr *)&sa, ip, sizeof ip);
	memcpy(&c->peer, &sa, sizeof sa);
	c->peerlen = salen;
	snprintf(c->peer_ip, sizeof c->peer_ip, "%s", ip);
	c->peer_port = h->src_port;
	if (sa.ss_family == AF_INET)
		snprintf(c->peer_text, sizeof c->peer_text, "%s:%u", ip, h->src_port);
	else
		snprintf(c->peer_text, sizeof c->peer_text, "[%s]:%u", ip, h->src_port);
	return 1;
}
