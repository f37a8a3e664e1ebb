/* SPDX-License-Identifier: ISC */
/* tls_report.c: the handshake report mailproxy-tls sends the handler as
 * the first bytes of the plaintext socketpair.
 *
 * Frame: "mptls 1 NNNNN\n" (14 bytes, body length in decimal), then one
 * "key=value\n" line per field. Values are %XX-escaped for '%', bytes below
 * 0x20 and 0x7f-0xff, so a line never holds a raw LF. The parser trusts
 * nothing: bounded frame, known keys decoded into fixed fields that must not
 * overflow, each key at most once. Plain C, no libtls: the handler links it. */
#include <stdio.h>
#include <string.h>

#include "tls_report.h"

static const char hexdig[] = "0123456789ABCDEF";
static const char *const verdicts[] = { "ok", "missing", "error" };

struct wbuf {
	char *p;
	size_t n, cap;
	int full;
};

static void
put(struct wbuf *w, const char *s, size_t n)
{
	if (w->full || n > w->cap - w->n) {
		w->full = 1;
		return;
	}
	memcpy(w->p + w->n, s, n);
	w->n += n;
}

static void
field(struct wbuf *w, const char *key, const char *v, size_t vlen)
{
	if (vlen == 0)
		return;
	put(w, key, strlen(key));
	put(w, "=", 1);
	for (size_t i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '%' || c < 0x20 || c >= 0x7f) {
			char e[3] = { '%', hexdig[c >> 4], hexdig[c & 15] };
			put(w, e, 3);
		} else {
			put(w, (const char *)&v[i], 1);
		}
	}
	put(w, "\n", 1);
}

/* a NUL-terminated member of struct tls_info */
#define SFIELD(w, key, arr) field((w), (key), (arr), strnlen((arr), sizeof(arr)))

long
tlsd_report_write(const struct tls_info *ti, char *out, size_t cap)
{
	struct wbuf w = { out, TLSD_REPORT_HDR, cap, 0 };
	char num[32], hdr[TLSD_REPORT_HDR + 1];
	size_t body;

	if (cap < TLSD_REPORT_HDR || ti->verdict < 0 || ti->verdict > TLS_CERT_ERROR ||
	    ti->pemlen > sizeof ti->pem)
		return -1;
	SFIELD(&w, "protocol", ti->protocol);
	SFIELD(&w, "cipher", ti->cipher);
	SFIELD(&w, "sni", ti->sni);
	SFIELD(&w, "alpn", ti->alpn);
	field(&w, "verdict", verdicts[ti->verdict], strlen(verdicts[ti->verdict]));
	snprintf(num, sizeof num, "%ld", ti->verify_code);
	SFIELD(&w, "verify_code", num);
	SFIELD(&w, "verify", ti->verify);
	SFIELD(&w, "subject", ti->subject);
	SFIELD(&w, "issuer", ti->issuer);
	SFIELD(&w, "serial", ti->serial);
	SFIELD(&w, "fingerprint", ti->fingerprint);
	field(&w, "pem", ti->pem, ti->pemlen);
	body = w.n - TLSD_REPORT_HDR;
	if (w.full || body > TLSD_REPORT_MAX)
		return -1;
	snprintf(hdr, sizeof hdr, "mptls 1 %05zu\n", body);
	memcpy(out, hdr, TLSD_REPORT_HDR);
	return (long)w.n;
}

long
tlsd_report_body_len(const char *hdr, size_t len)
{
	long n = 0;

	if (len < TLSD_REPORT_HDR || memcmp(hdr, "mptls 1 ", 8) != 0 || hdr[13] != '\n')
		return -1;
	for (int i = 8; i < 13; i++) {
		if (hdr[i] < '0' || hdr[i] > '9')
			return -1;
		n = n * 10 + (hdr[i] - '0');
	}
	return n > TLSD_REPORT_MAX ? -1 : n;
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode V (VLEN bytes) into DST (CAP bytes, NUL-terminated when NUL is set). */
static int
decode(const char *v, size_t vlen, char *dst, size_t cap, int nul, size_t *outlen)
{
	size_t n = 0, room = nul ? cap - 1 : cap;

	for (size_t i = 0; i < vlen; i++) {
		int c = (unsigned char)v[i];

		if (c == '%') {
			int hi, lo;

			if (vlen - i < 3 || (hi = unhex(v[i + 1])) < 0 || (lo = unhex(v[i + 2])) < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (nul && c == 0)
			return -1;
		if (n >= room)
			return -1;
		dst[n++] = (char)c;
	}
	if (nul)
		dst[n] = '\0';
	*outlen = n;
	return 0;
}

int
tlsd_report_parse(const char *buf, size_t len, struct tls_info *ti)
{
	struct { const char *key; char *dst; size_t cap; } strs[] = {
		{ "protocol", ti->protocol, sizeof ti->protocol },
		{ "cipher", ti->cipher, sizeof ti->cipher },
		{ "sni", ti->sni, sizeof ti->sni },
		{ "alpn", ti->alpn, sizeof ti->alpn },
		{ "verify", ti->verify, sizeof ti->verify },
		{ "subject", ti->subject, sizeof ti->subject },
		{ "issuer", ti->issuer, sizeof ti->issuer },
		{ "serial", ti->serial, sizeof ti->serial },
		{ "fingerprint", ti->fingerprint, sizeof ti->fingerprint },
	};
	enum { NSTR = sizeof strs / sizeof strs[0] };
	unsigned seen = 0;	/* bit per key: NSTR strings, then verdict, verify_code, pem */
	long blen = tlsd_report_body_len(buf, len);
	const char *p, *end;

	memset(ti, 0, sizeof *ti);
	if (blen < 0 || (size_t)blen != len - TLSD_REPORT_HDR)
		return -1;
	p = buf + TLSD_REPORT_HDR;
	end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq = nl ? memchr(p, '=', (size_t)(nl - p)) : NULL;
		char tmp[32];
		size_t klen, vlen, n;
		const char *v;
		unsigned bit;
		size_t i;

		if (eq == NULL)
			return -1;
		klen = (size_t)(eq - p);
		v = eq + 1;
		vlen = (size_t)(nl - v);
		for (i = 0; i < NSTR; i++)
			if (strlen(strs[i].key) == klen && memcmp(p, strs[i].key, klen) == 0)
				break;
		if (i < NSTR) {
			bit = 1u << i;
			if ((seen & bit) || decode(v, vlen, strs[i].dst, strs[i].cap, 1, &n) == -1)
				return -1;
		} else if (klen == 7 && memcmp(p, "verdict", 7) == 0) {
			bit = 1u << NSTR;
			if ((seen & bit) || decode(v, vlen, tmp, sizeof tmp, 1, &n) == -1)
				return -1;
			for (i = 0; i < 3; i++)
				if (strcmp(tmp, verdicts[i]) == 0)
					break;
			if (i == 3)
				return -1;
			ti->verdict = (int)i;
		} else if (klen == 11 && memcmp(p, "verify_code", 11) == 0) {
			long code = 0;

			bit = 1u << (NSTR + 1);
			if ((seen & bit) || decode(v, vlen, tmp, sizeof tmp, 1, &n) == -1 || n == 0 || n > 9)
				return -1;
			for (i = 0; i < n; i++) {
				if (tmp[i] < '0' || tmp[i] > '9')
					return -1;
				code = code * 10 + (tmp[i] - '0');
			}
			ti->verify_code = code;
		} else if (klen == 3 && memcmp(p, "pem", 3) == 0) {
			bit = 1u << (NSTR + 2);
			if ((seen & bit) || decode(v, vlen, ti->pem, sizeof ti->pem, 0, &ti->pemlen) == -1)
				return -1;
		} else {
			bit = 0;	/* a newer writer's key */
		}
		seen |= bit;
		p = nl + 1;
	}
	return 0;
}
