/* SPDX-License-Identifier: ISC */
/* resolver_answer.c: a DNS answer walked as it came, so that a PTR name
 * is seen as DNS carried it and checked before use: the first usable PTR
 * name, or how many A/AAAA addresses and whether the client is among them.
 * A record of another type (CNAME and the like) is passed over, as nginx
 * does. */
#include <stdio.h>
#include <string.h>

#include "cares_load.h"
#include "resolver_int.h"

/* Skip a (possibly compressed) name at OFF; the offset after it, or -1. */
static long
skip_name(const unsigned char *m, size_t len, size_t off)
{
	for (int labels = 0; labels < 128; labels++) {
		unsigned c;

		if (off >= len)
			return -1;
		c = m[off];
		if (c == 0)
			return (long)off + 1;
		if ((c & 0xc0) == 0xc0)
			return off + 2 <= len ? (long)off + 2 : -1;
		if ((c & 0xc0) != 0)
			return -1;
		off += 1 + c;
	}
	return -1;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

void
resolver_on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	size_t len = alen > 0 ? (size_t)alen : 0, qd, an;
	long off = 12;

	(void)timeouts;
	q->done = true;
	q->status = status;
	if (status != ARES_SUCCESS || abuf == NULL || len < 12)
		return;
	qd = get16(abuf + 4);
	an = get16(abuf + 6);
	for (size_t i = 0; i < qd; i++) {
		if ((off = skip_name(abuf, len, (size_t)off)) < 0 || (size_t)off + 4 > len)
			goto bad;
		off += 4;
	}
	for (size_t i = 0; i < an; i++) {
		unsigned type, class, rdlen;
		const unsigned char *rd;

		if ((off = skip_name(abuf, len, (size_t)off)) < 0 || (size_t)off + 10 > len)
			goto bad;
		type = get16(abuf + off);
		class = get16(abuf + off + 2);
		rdlen = get16(abuf + off + 8);
		off += 10;
		if ((size_t)off + rdlen > len)
			goto bad;
		rd = abuf + off;
		off += rdlen;
		if (class != C_IN || type != (unsigned)q->type)
			continue;	/* CNAME and the like: as nginx, look further */
		if (type == T_PTR && !q->have_name && rdlen > 0) {
			char *name = NULL;
			long enclen = 0;

			if (ares_expand_name(rd, abuf, alen, &name, &enclen) != ARES_SUCCESS)
				continue;
			if (enclen <= (long)rdlen) {
				snprintf(q->name, sizeof q->name, "%s", name);
				q->have_name = true;
			}
			ares_free_string(name);
		} else if ((type == T_A && rdlen == 4) || (type == T_AAAA && rdlen == 16)) {
			q->naddrs++;
			if (q->wantlen == rdlen && memcmp(rd, q->want, rdlen) == 0)
				q->match = true;
		}
	}
	return;
bad:
	/* a garbled answer after the records we took: keep what was usable */
	if (!q->have_name && q->naddrs == 0)
		q->status = ARES_EBADRESP;
}
