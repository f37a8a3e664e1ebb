/* SPDX-License-Identifier: ISC */
/* resolver_int.h: what the resolver's files share (resolver.c,
 * resolver_addr.c, resolver_answer.c, resolver_channel.c): one query's
 * state as the answer callback fills it, and the steps of a lookup. Not a
 * public interface. */
#ifndef MP_RESOLVER_INT_H
#define MP_RESOLVER_INT_H

#include <ares.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"

#define T_A 1
#define T_PTR 12
#define T_AAAA 28
#define C_IN 1

#define NAME_MAX_TEXT 256	/* a DNS name is at most 253 characters */

struct query {
	int type;
	bool done;
	int status;		/* ARES_* */
	/* PTR: the first usable name */
	bool have_name;
	char name[NAME_MAX_TEXT * 4];	/* as ares_expand_name wrote it, escapes and all */
	/* A/AAAA */
	int naddrs;
	bool match;
	const uint8_t *want;	/* the client's address: 4 or 16 bytes */
	size_t wantlen;
};

/* The client's address bytes, a v4-mapped one as IPv4; the family, or
 * AF_UNSPEC (resolver_addr.c). */
int resolver_client_bytes(const struct sockaddr *sa, const uint8_t **p, size_t *len);

/* The ares_callback of every query: ARG is its struct query (resolver_answer.c). */
void resolver_on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

#define RESOLVER_MAX_SERVERS 16

/* The `resolver` addresses of a server, and the one this process asks first. */
struct resolver_servers {
	struct sockaddr_storage ss[RESOLVER_MAX_SERVERS];
	int n, first;
};

/* Parse SRV's `resolver` addresses: 0, or -1 (logged) when none can be
 * used (resolver_channel.c). */
int resolver_servers_load(const struct mp_server *srv, struct resolver_servers *rs);
/* A channel that asks server I of RS once, waiting TIMEOUT_MS: 0, or -1
 * logged (resolver_channel.c). */
int resolver_channel_open(const struct resolver_servers *rs, int i, int64_t timeout_ms,
    ares_channel *ch);
/* Drive CH until each of the NQ queries has had its callback or DEADLINE
 * passes, which cancels the rest (resolver_channel.c). */
void resolver_run(ares_channel ch, const struct query *q, int nq, int64_t deadline);

#endif
