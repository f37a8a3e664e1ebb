/* SPDX-License-Identifier: ISC */
/* launcher_table.c: the live sessions of mailproxy-accept and their sources.
 * One array of the total bound's size, allocated at start: a session is a
 * process, and a process per slot is what bounds the table, whatever
 * clients do.  Lookups scan it: with at most LAUNCHER_MAX slots of 24 bytes
 * that is microseconds, against the fork and exec of a handler per
 * connection, and a hostile choice of addresses or ports cannot make it
 * slower (no hash to collide). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "launcher.h"

int
launcher_table_init(struct launcher_table *t, size_t cap)
{
	if (cap == 0 || cap > LAUNCHER_MAX)
		return errno = EINVAL, -1;
	t->slot = calloc(cap, sizeof *t->slot);
	if (t->slot == NULL)
		return -1;
	t->cap = cap;
	t->used = 0;
	return 0;
}

void
launcher_source_of(const struct sockaddr *sa, struct launcher_source *src)
{
	memset(src, 0, sizeof *src);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		src->family = 4;
		memcpy(src->addr, &s4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		/* an IPv4 client on a dual-stack socket is the same IPv4 client */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			src->family = 4;
			memcpy(src->addr, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			src->family = 6;
			memcpy(src->addr, &s6->sin6_addr, 16);
		}
	}
}

static bool
same_source(const struct launcher_source *a, const struct launcher_source *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

size_t
launcher_table_count(const struct launcher_table *t, const struct launcher_source *src)
{
	size_t n = 0;

	if (src->family == 0)
		return 0;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].pid != 0 && same_source(&t->slot[i].src, src))
			n++;
	return n;
}

int
launcher_table_add(struct launcher_table *t, pid_t pid, const struct launcher_source *src)
{
	for (size_t i = 0; i < t->cap; i++) {
		if (t->slot[i].pid == 0) {
			t->slot[i].pid = pid;
			t->slot[i].src = *src;
			t->used++;
			return 0;
		}
	}
	return errno = ENOSPC, -1;
}

bool
launcher_table_remove(struct launcher_table *t, pid_t pid)
{
	for (size_t i = 0; i < t->cap; i++) {
		if (t->slot[i].pid == pid) {
			memset(&t->slot[i], 0, sizeof t->slot[i]);
			t->used--;
			return true;
		}
	}
	return false;
}
