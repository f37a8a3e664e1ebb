/* SPDX-License-Identifier: ISC */
/* resolver.h: the SMTP client host name (doc/wire.md#smtp-client-host):
 * forward-confirmed reverse DNS through the `resolver` servers, with nginx's
 * values and log lines. Only SMTP resolves (Client-Host, XCLIENT NAME=).
 *
 * c-ares does the DNS (per-channel servers with ports, UDP with TCP
 * fallback, retries); this file only decides what nginx would. There is
 * no cache: the process serves one connection and asks once, so `valid=`
 * (a cache lifetime) has nothing to act on. */
#ifndef MP_RESOLVER_H
#define MP_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "conf.h"

#define RESOLVER_TEXT_UNAVAILABLE "[UNAVAILABLE]"
#define RESOLVER_TEXT_TEMPUNAVAIL "[TEMPUNAVAIL]"

enum resolver_rc {
	RESOLVER_NAME = 0,	/* OUT holds the forward-confirmed name */
	RESOLVER_UNAVAIL,	/* OUT is "[UNAVAILABLE]" */
	RESOLVER_TEMPUNAVAIL	/* OUT is "[TEMPUNAVAIL]" */
};

/* The host name of CLIENT (the address after set_real_ip_from; the port is
 * ignored) into OUT, NUL-terminated, for Client-Host and XCLIENT NAME=:
 *   - no `resolver` (off): "[UNAVAILABLE]"; a unix-socket client: "[TEMPUNAVAIL]";
 *   - PTR lookup (one `resolver_timeout`): NXDOMAIN or no answer ->
 *     "[UNAVAILABLE]"; SERVFAIL, REFUSED, timeout, unusable answers ->
 *     "[TEMPUNAVAIL]"; a name with anything but A-Z a-z 0-9 - . (or empty)
 *     -> "[TEMPUNAVAIL]", logged "<ip> resolved to invalid host name ...";
 *   - A (unless ipv4=off) and AAAA (unless ipv6=off) lookups of that name
 *     (one more `resolver_timeout`): an address equal to CLIENT -> the
 *     name; addresses but none equal, or NXDOMAIN -> "[UNAVAILABLE]";
 *     other failures -> "[TEMPUNAVAIL]".
 * Failures are logged as nginx does ("... could not be resolved (N: text)").
 * Whatever DNS says, OUT never holds anything but those characters or one
 * of the two bracketed values. CAP must be at least 256 (a DNS name is at
 * most 253 characters). Blocks for at most twice resolver_timeout.
 * Returns enum resolver_rc. */
int resolver_client_host(const struct mp_server *srv, const struct sockaddr *client,
    char *out, size_t cap);

/* nginx 1.29.7's check on a PTR name: non-empty, only A-Z a-z 0-9 - . */
bool resolver_name_ok(const char *name);

/* The PTR query name of ADDR: "4.3.2.1.in-addr.arpa" or the 32-nibble
 * ".ip6.arpa" form (a v4-mapped address is its IPv4 address). 0 or -1. */
int resolver_ptr_qname(const struct sockaddr *addr, char *out, size_t cap);

/* One `resolver` word ("ip", "ip:port", "[ip6]", "[ip6]:port", a bare
 * IPv6 address, or "name[:port]") into up to MAX addresses with the port
 * set (default 53); a name is resolved with getaddrinfo. Returns how many,
 * or -1 if it cannot be used. */
int resolver_parse_server(const char *word, struct sockaddr_storage *out, int max);

#endif
