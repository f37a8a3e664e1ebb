/* SPDX-License-Identifier: ISC */
/* tls_hello.c: ALPN in the ClientHello (RFC 7301). libtls selects
 * imap/pop3/smtp when the client offers it, but lets a client whose list
 * lacks it through; nginx aborts that handshake (1.21.4). So mailproxy-tls
 * peeks at the first record before libtls reads it. */
#include <string.h>

#include "tls_hello.h"

static unsigned
be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

int
tlsd_hello_alpn(const uint8_t *b, size_t n, const char *proto, size_t *need)
{
	size_t rl, hl, i, end, plen = strlen(proto);

	*need = 5;
	if (n < 5)
		return 1;
	if (b[0] != 0x16)
		return 0;	/* not a handshake record: libtls will say what it is */
	rl = be16(b + 3);
	*need = 5 + rl;
	if (n < 5 + rl)
		return 1;
	b += 5;
	if (rl < 4 || b[0] != 0x01)
		return 0;
	hl = (size_t)b[1] << 16 | (size_t)be16(b + 2);
	if (hl + 4 > rl)
		return 0;	/* a ClientHello over several records: not checked */
	end = 4 + hl;
	i = 4 + 2 + 32;			/* version, random */
	if (i + 1 > end)
		return 0;
	i += 1 + b[i];			/* session id */
	if (i + 2 > end)
		return 0;
	i += 2 + be16(b + i);		/* cipher suites */
	if (i + 1 > end)
		return 0;
	i += 1 + b[i];			/* compression methods */
	if (i + 2 > end)
		return 0;		/* no extensions */
	end = i + 2 + be16(b + i) < end ? i + 2 + be16(b + i) : end;
	for (i += 2; i + 4 <= end;) {
		unsigned type = be16(b + i), len = be16(b + i + 2);
		size_t j, lend;

		i += 4;
		if (i + len > end)
			return 0;
		if (type != 16) {
			i += len;
			continue;
		}
		if (len < 2)
			return -1;
		lend = i + 2 + be16(b + i) < i + len ? i + 2 + be16(b + i) : i + len;
		for (j = i + 2; j < lend; j += 1 + b[j])
			if (j + 1 + b[j] <= lend && b[j] == plen && memcmp(b + j + 1, proto, plen) == 0)
				return 0;
		return -1;
	}
	return 0;
}
