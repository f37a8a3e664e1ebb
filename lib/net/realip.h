/* SPDX-License-Identifier: ISC */
/* realip.h: set_real_ip_from (doc/wire.md#realip): whether the peer that sent a
 * PROXY header is believed, and if so the client becomes the header's
 * source for everything downstream (logs, Client-IP, the resolver,
 * XCLIENT ADDR, the PROXY header to the backend, the relay). */
#ifndef MP_REALIP_H
#define MP_REALIP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "conf.h"
#include "conn.h"
#include "proxy_proto.h"

/* ngx_cidr_match: PEER is in one of the N entries. A v4-mapped IPv6 peer
 * is matched as the IPv4 address; an AF_UNIX entry matches every unix peer. */
bool realip_match(const struct mp_cidr *from, size_t n, const struct sockaddr *peer);

/* nginx's realip handler: when H carries addresses, SRV trusts C's peer,
 * and H's source parses as an IP address (ngx_parse_addr), replace C's
 * peer (address and port, and the texts conn.c made) with it. Returns 1
 * when replaced, else 0 (C untouched). */
int realip_apply(const struct mp_server *srv, struct conn *c, const struct pp_header *h);

#endif
