/* SPDX-License-Identifier: ISC */
/* log_syslog.h: nginx's error_log syslog: targets, parsed and framed. */
#ifndef MP_LOG_SYSLOG_H
#define MP_LOG_SYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* error_log syslog:server=...,facility=...,severity=...,tag=...,nohostname */
struct mp_syslog {
	struct sockaddr_storage sa;	/* the collector: IPv4, IPv6 or unix: */
	socklen_t salen;		/* 0 while a host name waits to be resolved */
	int facility;			/* 0..23; default 23 (local7) */
	int severity;			/* accepted and checked; nginx ignores it here */
	char tag[33];			/* RFC 3164: up to 32 alphanumerics; "nginx" */
	bool nohostname;
};

#define SYSLOG_DEFAULT_PORT 514
#define SYSLOG_HOST_MAX 256	/* a server= host name still to resolve */

/* Parse SPEC, the part after "syslog:", into SL with nginx's rules and
 * messages. 0: SL is complete. 1: server= names a host: it is in HOST
 * (HOSTCAP bytes) and its port in SL->sa, for the caller to resolve.
 * -1: an error, described in ERR. */
int syslog_parse(const char *spec, struct mp_syslog *sl, char *host, size_t hostcap,
    char *err, size_t errcap);

/* SL as a numeric "syslog:..." spec that syslog_parse() reads back without a
 * resolver (the relay's -L argument). -1 if it does not fit. */
int syslog_spec(const struct mp_syslog *sl, char *buf, size_t cap);

/* The RFC 3164 header nginx writes, "<PRI>Mmm dd hh:mm:ss host tag: " (no
 * host when HOST is NULL), at BUF; its length, or 0 if it does not fit. */
size_t syslog_header(char *buf, size_t cap, int pri, const char *stamp, const char *host,
    const char *tag);

#endif
