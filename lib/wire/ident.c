/* SPDX-License-Identifier: ISC */
/* ident.c: the text of ident.h's ID list and XCLIENT line. Values are
 * checked, not escaped: an address, a port and a session id have no byte
 * that needs quoting, so one that does is not what it claims to be. */
#include <stdio.h>
#include <string.h>

#include "ident.h"

static bool
all_of(const char *s, size_t max, const char *set)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strspn(s, set);
	return n > 0 && n <= max && s[n] == '\0';
}

bool
ident_addr_ok(const char *s)
{
	return all_of(s, 45, "0123456789abcdefABCDEF.:");
}

bool
ident_sid_ok(const char *s)
{
	return all_of(s, IDENT_SID_MAX,
	    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
}

struct text {
	char *p;
	size_t len, cap;
	bool full;
};

static void
put(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->full || n >= t->cap - t->len) {
		t->full = true;
		return;
	}
	memcpy(t->p + t->len, s, n + 1);
	t->len += n;
}

static void
put_port(struct text *t, const char *name, unsigned port, const char *close)
{
	char num[8];

	if (port == 0 || port > 65535)
		return;
	snprintf(num, sizeof num, "%u", port);
	put(t, name);
	put(t, num);
	put(t, close);
}

/* " \"x-WHICH-ip\" \"IP\" \"x-WHICH-port\" \"PORT\"", without what fails its check */
static void
put_pair(struct text *t, const char *which, const char *ip, unsigned port)
{
	char num[8];

	if (!ident_addr_ok(ip))
		return;
	put(t, " \"x-");
	put(t, which);
	put(t, "-ip\" \"");
	put(t, ip);
	put(t, "\"");
	if (port == 0 || port > 65535)
		return;
	snprintf(num, sizeof num, "%u", port);
	put(t, " \"x-");
	put(t, which);
	put(t, "-port\" \"");
	put(t, num);
	put(t, "\"");
}

size_t
ident_imap_id(const struct ident *id, char *out, size_t cap)
{
	struct text t = { out, 0, cap, cap == 0 };
	size_t empty;

	put(&t, "(");
	empty = t.len;
	put_pair(&t, "originating", id->ip, id->port);
	put_pair(&t, "connected", id->lip, id->lport);
	if (ident_sid_ok(id->sid)) {
		put(&t, " \"x-session-id\" \"");
		put(&t, id->sid);
		put(&t, "\"");
	}
	put(&t, ")");
	if (t.full || t.len == empty + 1)
		return 0;
	/* the first pair went in with a space before it */
	memmove(out + 1, out + 2, t.len - 1);
	return t.len - 1;
}

size_t
ident_xclient(const struct ident *id, char *out, size_t cap)
{
	struct text t = { out, 0, cap, cap == 0 };
	size_t empty;

	put(&t, "XCLIENT");
	empty = t.len;
	if (ident_addr_ok(id->ip)) {
		put(&t, " ADDR=");
		put(&t, id->ip);
		put_port(&t, " PORT=", id->port, "");
	}
	if (ident_sid_ok(id->sid)) {
		put(&t, " SESSION=");
		put(&t, id->sid);
	}
	if (t.len == empty)
		return 0;
	put(&t, "\r\n");
	return t.full ? 0 : t.len;
}
