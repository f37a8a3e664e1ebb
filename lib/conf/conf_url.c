/* SPDX-License-Identifier: ISC */
/* conf_url.c: nginx's ngx_parse_url() for listen, auth_http and resolver
 * addresses: "unix:/path[:/uri]", "[v6][:port][/uri]", "host[:port][/uri]",
 * for listen also "port", "*:port" and port ranges "a-b", and for auth_http
 * also "https://host[:port][/uri]" (an extension). Host names
 * are left for the caller: nothing here touches the network. Errors are
 * nginx's texts, in u->err. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "conf_int.h"

static const char *
find(const char *p, const char *last, char c)
{
	return memchr(p, c, (size_t)(last - p));
}

static int
fail(struct conf_url *u, const char *err)
{
	u->err = err;
	return -1;
}

static int
parse_unix(struct conf_url *u)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&u->sa;
	const char *path = u->url + 5, *last = u->url + u->len, *colon;
	size_t len = u->len - 5;

	if (u->uri_part && (colon = find(path, last, ':')) != NULL) {
		len = (size_t)(colon - path);
		u->uri = colon + 1;
		u->urilen = (size_t)(last - u->uri);
	}
	if (len == 0)
		return fail(u, "no path in the unix domain socket");
	if (len + 1 > sizeof(sun->sun_path))
		return fail(u, "too long path in the unix domain socket");
	u->family = AF_UNIX;
	u->host = path;
	u->hostlen = len;
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len);
	sun->sun_path[len] = '\0';
	u->salen = (socklen_t)sizeof(*sun);
	return 0;
}

/* "N" or, for listen, "N-M"; sets port and last_port. */
static int
parse_port(struct conf_url *u, const char *p, const char *last)
{
	const char *dash = u->listen ? find(p, last, '-') : NULL;
	int64_t n, m = 0;

	if (dash != NULL) {
		m = conf_atoi(dash + 1, (size_t)(last - dash - 1));
		if (m < 1 || m > 65535)
			return fail(u, "invalid port");
		last = dash;
	}
	n = conf_atoi(p, (size_t)(last - p));
	if (n < 1 || n > 65535)
		return fail(u, "invalid port");
	if (m && n > m)
		return fail(u, "invalid port range");
	u->port = (unsigned)n;
	u->last_port = (unsigned)m;
	return 0;
}

/* "listen N" and "listen N-M": 1 if the whole value is a port (range), 0 if
 * it is not numeric (then it is a host name), -1 on a bad number. */
static int
port_only(struct conf_url *u, const char *p, const char *last)
{
	const char *dash = find(p, last, '-');
	const char *err = NULL;
	int64_t n, m = 0;

	if (dash != NULL) {
		m = conf_atoi(dash + 1, (size_t)(last - dash - 1));
		if (m < 0)
			return 0;
		if (m < 1 || m > 65535)
			err = "invalid port";
		last = dash;
	}
	n = conf_atoi(p, (size_t)(last - p));
	if (n < 0)
		return 0;
	if (err != NULL)
		return fail(u, err);
	if (n < 1 || n > 65535)
		return fail(u, "invalid port");
	if (m && n > m)
		return fail(u, "invalid port range");
	u->port = (unsigned)n;
	u->last_port = (unsigned)m;
	return 1;
}

static void
set_port(struct conf_url *u)
{
	if (u->family == AF_INET)
		((struct sockaddr_in *)&u->sa)->sin_port = htons((uint16_t)u->port);
	else if (u->family == AF_INET6)
		((struct sockaddr_in6 *)&u->sa)->sin6_port = htons((uint16_t)u->port);
}

static int
parse_inet6(struct conf_url *u)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&u->sa;
	const char *host = u->url + 1, *last = u->url + u->len, *p, *port, *uri;

	p = find(host, last, ']');
	if (p == NULL)
		return fail(u, "invalid host");
	port = p + 1;
	if (port < last) {
		uri = find(port, last, '/');
		if (uri != NULL) {
			if (u->listen || !u->uri_part)
				return fail(u, "invalid host");
			u->uri = uri;
			u->urilen = (size_t)(last - uri);
			last = uri;
		}
	}
	if (port < last) {
		if (*port != ':')
			return fail(u, "invalid host");
		if (parse_port(u, port + 1, last) < 0)
			return -1;
	} else {
		u->no_port = true;
		u->port = u->default_port;
	}
	if (p == host)
		return fail(u, "no host");
	u->host = host - 1;
	u->hostlen = (size_t)(p - host) + 2;
	if (conf_inet6(host, (size_t)(p - host), sin6->sin6_addr.s6_addr) < 0)
		return fail(u, "invalid IPv6 address");
	u->wildcard = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
	u->family = AF_INET6;
	sin6->sin6_family = AF_INET6;
	u->salen = (socklen_t)sizeof(*sin6);
	set_port(u);
	return 0;
}

static int
parse_inet(struct conf_url *u)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&u->sa;
	const char *host = u->url, *last = u->url + u->len, *port, *uri, *args;
	int rc;

	port = find(host, last, ':');
	uri = find(host, last, '/');
	args = find(host, last, '?');
	if (args != NULL && (uri == NULL || args < uri))
		uri = args;
	if (uri != NULL) {
		if (u->listen || !u->uri_part)
			return fail(u, "invalid host");
		u->uri = uri;
		u->urilen = (size_t)(last - uri);
		last = uri;
		if (uri < port)
			port = NULL;
	}
	if (port != NULL) {
		if (parse_port(u, port + 1, last) < 0)
			return -1;
		last = port;
	} else if (uri == NULL && u->listen && (rc = port_only(u, host, last)) != 0) {
		/* "listen 143": the wildcard address */
		if (rc < 0)
			return -1;
		u->family = AF_INET;
		u->wildcard = true;
		u->host = "*";
		u->hostlen = 1;
		sin->sin_family = AF_INET;
		u->salen = (socklen_t)sizeof(*sin);
		set_port(u);
		return 0;
	} else {
		u->err = NULL;
		u->no_port = true;
		u->port = u->default_port;
		u->last_port = 0;
	}
	if (last == host)
		return fail(u, "no host");
	u->host = host;
	u->hostlen = (size_t)(last - host);
	if (u->listen && u->hostlen == 1 && *host == '*') {
		u->wildcard = true;
	} else if (conf_inet4(host, u->hostlen, (uint8_t *)&sin->sin_addr.s_addr) == 0) {
		u->wildcard = sin->sin_addr.s_addr == INADDR_ANY;
	} else {
		u->family = AF_UNSPEC;	/* a name, for the caller to resolve (or not) */
		return 0;
	}
	u->family = AF_INET;
	sin->sin_family = AF_INET;
	u->salen = (socklen_t)sizeof(*sin);
	set_port(u);
	return 0;
}

/* "https://host[:port][/uri]", for auth_http only (uri_part): a mailproxy
 * extension, as nginx's parser takes "https" for a host and fails on the
 * port. The scheme is dropped, the default port becomes 443, and the host is
 * left unresolved (AF_UNSPEC) even when numeric, so that the caller never
 * connects to it without TLS; the caller tells https from http by the text
 * it keeps ("https://" at the start of auth_http.text). */
static int
parse_https(struct conf_url *u)
{
	int rc;

	u->url += 8;
	u->len -= 8;
	u->default_port = 443;
	if (u->len >= 5 && strncasecmp(u->url, "unix:", 5) == 0)
		return fail(u, "invalid host");
	rc = u->len && u->url[0] == '[' ? parse_inet6(u) : parse_inet(u);
	if (rc == 0) {
		u->family = AF_UNSPEC;
		u->salen = 0;
	}
	return rc;
}

int
conf_parse_url(struct conf_url *u)
{
	u->err = NULL;
	memset(&u->sa, 0, sizeof(u->sa));
	if (u->uri_part && !u->listen && u->len >= 8 && strncmp(u->url, "https://", 8) == 0)
		return parse_https(u);
	if (u->len >= 5 && strncasecmp(u->url, "unix:", 5) == 0)
		return parse_unix(u);
	if (u->len && u->url[0] == '[')
		return parse_inet6(u);
	return parse_inet(u);
}

void
conf_sockaddr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
		break;
	}
	case AF_UNIX:
		snprintf(buf, len, "unix:%s", ((const struct sockaddr_un *)sa)->sun_path);
		break;
	default:
		snprintf(buf, len, "?");
	}
}
