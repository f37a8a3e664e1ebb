/* SPDX-License-Identifier: ISC */
/* tlsd_req.c: the daemon's check of a request's form (tlsd_req.h), and the
 * escaping of its strings for log lines. Only the daemon's own uid and root
 * get a request through (tlsd_daemon.c checks the peer first), yet a request
 * stays untrusted input: fixed size, fixed fields, strings that must end
 * inside their field, and never a raw byte of them in a log line. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tlsd_req.h"

static int
terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

int
tlsd_req_check(const void *p, size_t n)
{
	struct tlsd_req r;

	if (n != sizeof r)
		return -1;
	memcpy(&r, p, sizeof r);
	if (memcmp(r.magic, TLSD_REQ_MAGIC, sizeof TLSD_REQ_MAGIC) != 0 || r.flags != 0)
		return -1;
	if (!terminated(r.sid, sizeof r.sid) || !terminated(r.client, sizeof r.client) ||
	    !terminated(r.local, sizeof r.local))
		return -1;
	return 0;
}

size_t
tlsd_req_text(char *out, size_t cap, const char *in, size_t inmax)
{
	size_t o = 0;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < inmax && in[i] != '\0'; i++) {
		unsigned char c = (unsigned char)in[i];
		bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';

		if (o + (plain ? 1 : 4) >= cap)
			break;
		if (plain)
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
	}
	out[o] = '\0';
	return o;
}
