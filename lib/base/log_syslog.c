/* SPDX-License-Identifier: ISC */
/* log_syslog.c: the syslog: targets of error_log as nginx reads them
 * (comma-separated server=, facility=, severity=, tag=, nohostname, each at
 * most once, server= required) and the RFC 3164 header nginx writes. A
 * host name is left to the configuration reader to resolve (conf_mail.c),
 * so the relay, which reads numeric specs only, links no resolver. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "log_syslog.h"

static const char *const facilities[] = {
	"kern", "user", "mail", "daemon", "auth", "intern", "lpr", "news", "uucp",
	"clock", "authpriv", "ftp", "ntp", "audit", "alert", "cron", "local0",
	"local1", "local2", "local3", "local4", "local5", "local6", "local7",
};
/* error_log's names, not syslog's err/warning */
static const char *const severities[] = {
	"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
};
#define NFAC (int)(sizeof facilities / sizeof facilities[0])
#define NSEV (int)(sizeof severities / sizeof severities[0])

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	return -1;
}

static int
name_index(const char *const *names, int n, const char *v, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], v, len) == 0)
			return i;
	return -1;
}

/* "514" -> 514; 0 for anything that is not a port */
static unsigned
port_of(const char *p, size_t len)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v <= 65535 ? v : 0;
}

/* server=VALUE: unix:/path, [v6][:port], v4[:port] or name[:port] */
static int
parse_server(const char *v, size_t len, struct mp_syslog *sl, char *host, size_t hostcap,
    char *err, size_t errcap)
{
	char h[SYSLOG_HOST_MAX];
	const char *colon, *end = v + len;
	unsigned port = SYSLOG_DEFAULT_PORT;
	size_t hl;

	if (len >= 5 && memcmp(v, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&sl->sa;

		if (len - 5 == 0)
			return fail(err, errcap, "no path in the unix domain socket in syslog server \"%.*s\"",
			    (int)len, v);
		if (len - 5 >= sizeof sun->sun_path || memchr(v + 5, '\0', len - 5) != NULL)
			return fail(err, errcap, "too long path in the unix domain socket in syslog server \"%.*s\"",
			    (int)len, v);
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, v + 5, len - 5);
		sun->sun_path[len - 5] = '\0';
		sl->salen = (socklen_t)sizeof *sun;
		return 0;
	}
	if (len > 0 && v[0] == '[') {
		const char *rb = memchr(v, ']', len);
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sl->sa;

		if (rb == NULL)
			return fail(err, errcap, "invalid host in syslog server \"%.*s\"", (int)len, v);
		if (rb + 1 < end) {
			if (rb[1] != ':' || (port = port_of(rb + 2, (size_t)(end - rb - 2))) == 0)
				return fail(err, errcap, "invalid port in syslog server \"%.*s\"", (int)len, v);
		}
		hl = (size_t)(rb - v - 1);
		if (hl == 0 || hl >= sizeof h)
			return fail(err, errcap, "invalid host in syslog server \"%.*s\"", (int)len, v);
		memcpy(h, v + 1, hl);
		h[hl] = '\0';
		if (inet_pton(AF_INET6, h, &s6->sin6_addr) != 1)
			return fail(err, errcap, "invalid IPv6 address in syslog server \"%.*s\"", (int)len, v);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl->salen = (socklen_t)sizeof *s6;
		return 0;
	}
	colon = memchr(v, ':', len);
	hl = colon != NULL ? (size_t)(colon - v) : len;
	if (colon != NULL && (port = port_of(colon + 1, (size_t)(end - colon - 1))) == 0)
		return fail(err, errcap, "invalid port in syslog server \"%.*s\"", (int)len, v);
	if (hl == 0)
		return fail(err, errcap, "no host in syslog server \"%.*s\"", (int)len, v);
	if (hl >= sizeof h)
		return fail(err, errcap, "invalid host in syslog server \"%.*s\"", (int)len, v);
	memcpy(h, v, hl);
	h[hl] = '\0';
	{
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sl->sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, h, &s4->sin_addr) == 1) {
			sl->salen = (socklen_t)sizeof *s4;
			return 0;
		}
	}
	if (hl >= hostcap)
		return fail(err, errcap, "host name not allowed in syslog server \"%.*s\"", (int)len, v);
	memcpy(host, h, hl + 1);	/* the port waits in sin_port */
	sl->salen = 0;
	return 1;
}

int
syslog_parse(const char *spec, struct mp_syslog *sl, char *host, size_t hostcap,
    char *err, size_t errcap)
{
	const char *p = spec;
	bool have_server = false, have_tag = false;
	int rc = 0;

	memset(sl, 0, sizeof *sl);
	sl->facility = -1;
	sl->severity = -1;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);

		if (len >= 7 && memcmp(p, "server=", 7) == 0) {
			if (have_server)
				return fail(err, errcap, "duplicate syslog \"server\"");
			have_server = true;
			rc = parse_server(p + 7, len - 7, sl, host, hostcap, err, errcap);
			if (rc == -1)
				return -1;
		} else if (len >= 9 && memcmp(p, "facility=", 9) == 0) {
			if (sl->facility != -1)
				return fail(err, errcap, "duplicate syslog \"facility\"");
			sl->facility = name_index(facilities, NFAC, p + 9, len - 9);
			if (sl->facility == -1)
				return fail(err, errcap, "unknown syslog facility \"%.*s\"", (int)len - 9, p + 9);
		} else if (len >= 9 && memcmp(p, "severity=", 9) == 0) {
			if (sl->severity != -1)
				return fail(err, errcap, "duplicate syslog \"severity\"");
			sl->severity = name_index(severities, NSEV, p + 9, len - 9);
			if (sl->severity == -1)
				return fail(err, errcap, "unknown syslog severity \"%.*s\"", (int)len - 9, p + 9);
		} else if (len >= 4 && memcmp(p, "tag=", 4) == 0) {
			if (have_tag)
				return fail(err, errcap, "duplicate syslog \"tag\"");
			have_tag = true;
			/* RFC 3164: at most 32 alphanumeric characters; nginx adds '_' */
			if (len - 4 > 32)
				return fail(err, errcap, "syslog tag length exceeds 32");
			for (size_t i = 4; i < len; i++) {
				char c = p[i];

				if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
				    (c >= 'A' && c <= 'Z') || c == '_'))
					return fail(err, errcap,
					    "syslog \"tag\" only allows alphanumeric characters and underscore");
			}
			memcpy(sl->tag, p + 4, len - 4);
			sl->tag[len - 4] = '\0';
		} else if (len == 10 && memcmp(p, "nohostname", 10) == 0) {
			sl->nohostname = true;
		} else {
			return fail(err, errcap, "unknown syslog parameter \"%.*s\"", (int)len, p);
		}
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	if (!have_server)
		return fail(err, errcap, "no syslog server specified");
	if (sl->facility == -1)
		sl->facility = 23;	/* local7 */
	if (sl->severity == -1)
		sl->severity = 6;	/* info */
	if (!have_tag)
		memcpy(sl->tag, "nginx", sizeof "nginx");
	return rc;
}

int
syslog_spec(const struct mp_syslog *sl, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN], srv[sizeof ((struct sockaddr_un *)0)->sun_path + 16];
	int n;

	switch (sl->sa.ss_family) {
	case AF_INET: {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&sl->sa;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
		snprintf(srv, sizeof srv, "%s:%u", a, ntohs(s4->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&sl->sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
		snprintf(srv, sizeof srv, "[%s]:%u", a, ntohs(s6->sin6_port));
		break;
	}
	case AF_UNIX:
		snprintf(srv, sizeof srv, "unix:%s", ((const struct sockaddr_un *)&sl->sa)->sun_path);
		break;
	default:
		return -1;
	}
	n = snprintf(buf, cap, "syslog:server=%s,facility=%s,severity=%s,tag=%s%s", srv,
	    facilities[sl->facility], severities[sl->severity], sl->tag,
	    sl->nohostname ? ",nohostname" : "");
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

size_t
syslog_header(char *buf, size_t cap, int pri, const char *stamp, const char *host,
    const char *tag)
{
	int n;

	if (host != NULL)
		n = snprintf(buf, cap, "<%d>%s %s %s: ", pri, stamp, host, tag);
	else
		n = snprintf(buf, cap, "<%d>%s %s: ", pri, stamp, tag);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
