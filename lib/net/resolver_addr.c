/* SPDX-License-Identifier: ISC */
/* resolver_addr.c: the resolver's pure helpers on addresses and names:
 * nginx's check on a PTR name, the client's address bytes, the PTR query
 * name, and a `resolver` word made into server addresses. No DNS is asked
 * here but a `resolver` given as a name (getaddrinfo, as nginx at start-up). */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolver.h"
#include "resolver_int.h"

bool
resolver_name_ok(const char *name)
{
	if (name[0] == '\0')
		return false;
	for (const char *p = name; *p != '\0'; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* The client's address bytes, a v4-mapped one as IPv4. */
int
resolver_client_bytes(const struct sockaddr *sa, const uint8_t **p, size_t *len)
{
	if (sa->sa_family == AF_INET) {
		*p = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		*len = 4;
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		*p = s6->sin6_addr.s6_addr;
		*len = 16;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			*p += 12;
			*len = 4;
			return AF_INET;
		}
		return AF_INET6;
	}
	return AF_UNSPEC;
}

int
resolver_ptr_qname(const struct sockaddr *addr, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *a;
	size_t len, o = 0;

	switch (resolver_client_bytes(addr, &a, &len)) {
	case AF_INET:
		if (snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]) >= (int)cap)
			return -1;
		return 0;
	case AF_INET6:
		if (cap < 64 + sizeof "ip6.arpa")
			return -1;
		for (size_t i = 16; i-- > 0;) {
			out[o++] = hex[a[i] & 15];
			out[o++] = '.';
			out[o++] = hex[a[i] >> 4];
			out[o++] = '.';
		}
		memcpy(out + o, "ip6.arpa", sizeof "ip6.arpa");
		return 0;
	default:
		return -1;
	}
}

static int
set_port(struct sockaddr_storage *ss, long port)
{
	if (port < 1 || port > 65535)
		return -1;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	return 0;
}

static long
parse_port(const char *p)
{
	char *end;
	long v;

	if (*p < '0' || *p > '9')
		return -1;
	v = strtol(p, &end, 10);
	return *end == '\0' ? v : -1;
}

int
resolver_parse_server(const char *word, struct sockaddr_storage *out, int max)
{
	char host[256];
	const char *colon, *port = NULL;
	struct addrinfo hints, *res, *ai;
	size_t hl;
	int n = 0;
	long pn = 53;

	if (max < 1)
		return -1;
	if (word[0] == '[') {
		const char *close = strchr(word, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -1;
		hl = (size_t)(close - word - 1);
		if (hl >= sizeof host)
			return -1;
		memcpy(host, word + 1, hl);
		host[hl] = '\0';
		if (close[1] == ':')
			port = close + 2;
	} else {
		colon = strchr(word, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hl = (size_t)(colon - word);
			port = colon + 1;
		} else {
			hl = strlen(word);	/* no port, or a bare IPv6 address */
		}
		if (hl >= sizeof host)
			return -1;
		memcpy(host, word, hl);
		host[hl] = '\0';
	}
	if (port != NULL && (pn = parse_port(port)) < 0)
		return -1;

	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)out)->sin_addr) == 1) {
		out->ss_family = AF_INET;
		return set_port(out, pn) == 0 ? 1 : -1;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)out)->sin6_addr) == 1) {
		out->ss_family = AF_INET6;
		return set_port(out, pn) == 0 ? 1 : -1;
	}
	/* nginx resolves a name at start-up; here at use, with the system resolver */
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		memset(&out[n], 0, sizeof out[n]);
		memcpy(&out[n], ai->ai_addr, ai->ai_addrlen);
		if (set_port(&out[n], pn) == 0)
			n++;
	}
	freeaddrinfo(res);
	return n > 0 ? n : -1;
}
