/* SPDX-License-Identifier: ISC */
/* proxy_proto.c: parse a PROXY protocol v1 or v2 header at the start of a
 * buffer, with nginx's acceptance rules (doc/wire.md#proxy-protocol-receive).
 * Pure: no I/O, no allocation, every read bounded by the input length.
 *
 * v1 (nginx's reading, not the text of the PROXY spec): "PROXY UNKNOWN"
 * followed by anything up to a CRLF; or "PROXY TCP4 " / "PROXY TCP6 ", two
 * addresses of hex digits, '.' and ':' (not checked further, possibly
 * empty, kept as text), two decimal ports 0-65535 (the second ended by CR),
 * LF. v2: the 16-byte header, version 2, the declared length available;
 * only PROXY over STREAM with INET/INET6 carries addresses, anything else
 * is skipped whole. TLVs are not interpreted, as in nginx. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "proxy_proto.h"

static bool
v1_addr_char(unsigned char c)
{
	return c == ':' || c == '.' || (c >= '0' && c <= '9') ||
	    (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* An address up to its space; the text lands in OUT (cap PP_PEEK_MAX,
 * more than any input can hold). Returns the position after the space. */
static size_t
v1_addr(const unsigned char *p, size_t i, size_t n, char *out)
{
	size_t start = i;

	for (;;) {
		if (i == n)
			return 0;
		if (p[i] == ' ')
			break;
		if (!v1_addr_char(p[i]))
			return 0;
		i++;
	}
	memcpy(out, p + start, i - start);
	out[i - start] = '\0';
	return i + 1;
}

/* A port up to SEP: ngx_atoi (digits only, at least one) and <= 65535. */
static size_t
v1_port(const unsigned char *p, size_t i, size_t n, unsigned char sep, unsigned *port)
{
	size_t start = i;
	unsigned v = 0;

	for (;;) {
		if (i == n)
			return 0;
		if (p[i] == sep)
			break;
		i++;
	}
	if (i == start)
		return 0;
	for (size_t k = start; k < i; k++) {
		if (p[k] < '0' || p[k] > '9')
			return 0;
		v = v * 10 + (unsigned)(p[k] - '0');
		if (v > 65535)
			return 0;
	}
	*port = v;
	return i + 1;
}

static int
parse_v1(const unsigned char *p, size_t n, struct pp_header *h)
{
	size_t i;

	h->version = 1;
	if (n < 8 || memcmp(p, "PROXY ", 6) != 0)
		return PP_BROKEN;
	if (n - 6 >= 7 && memcmp(p + 6, "UNKNOWN", 7) == 0) {
		for (i = 13; i + 1 < n; i++) {
			if (p[i] == '\r' && p[i + 1] == '\n') {
				h->len = i + 2;
				return PP_OK;
			}
		}
		return PP_BROKEN;
	}
	if (n - 6 < 5 || memcmp(p + 6, "TCP", 3) != 0 || (p[9] != '4' && p[9] != '6') ||
	    p[10] != ' ')
		return PP_BROKEN;
	h->family = p[9] == '4' ? AF_INET : AF_INET6;
	i = 11;
	if ((i = v1_addr(p, i, n, h->src_addr)) == 0 ||
	    (i = v1_addr(p, i, n, h->dst_addr)) == 0 ||
	    (i = v1_port(p, i, n, ' ', &h->src_port)) == 0 ||
	    (i = v1_port(p, i, n, '\r', &h->dst_port)) == 0)
		return PP_BROKEN;
	if (i == n || p[i] != '\n')
		return PP_BROKEN;
	h->len = i + 1;
	h->has_addrs = true;
	return PP_OK;
}

static unsigned
be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int
parse_v2(const unsigned char *p, size_t n, struct pp_header *h)
{
	size_t len, i = PP_V2_HDRLEN;
	unsigned fam;

	h->version = 2;
	h->v2_version = p[12] >> 4;
	if (h->v2_version != 2)
		return PP_V2_VERSION;
	len = be16(p + 14);
	if (n - PP_V2_HDRLEN < len)
		return PP_V2_TOO_LARGE;
	h->len = PP_V2_HDRLEN + len;
	/* only PROXY (not LOCAL) over STREAM says who the client is */
	if ((p[12] & 0x0f) != 1 || (p[13] & 0x0f) != 1)
		return PP_OK;
	fam = p[13] >> 4;
	if (fam == 1) {
		if (len < 12)
			return PP_V2_SHORT;
		h->family = AF_INET;
		inet_ntop(AF_INET, p + i, h->src_addr, sizeof h->src_addr);
		inet_ntop(AF_INET, p + i + 4, h->dst_addr, sizeof h->dst_addr);
		h->src_port = be16(p + i + 8);
		h->dst_port = be16(p + i + 10);
		i += 12;
	} else if (fam == 2) {
		if (len < 36)
			return PP_V2_SHORT;
		h->family = AF_INET6;
		pp_inet6_ntop(p + i, h->src_addr, sizeof h->src_addr);
		pp_inet6_ntop(p + i + 16, h->dst_addr, sizeof h->dst_addr);
		h->src_port = be16(p + i + 32);
		h->dst_port = be16(p + i + 34);
		i += 36;
	} else {
		return PP_OK;	/* AF_UNIX, UNSPEC: nothing nginx can use */
	}
	h->has_addrs = true;
	h->tlv_off = i;
	h->tlv_len = h->len - i;
	return PP_OK;
}

int
pp_parse(const void *buf, size_t n, struct pp_header *h)
{
	const unsigned char *p = buf;
	int rc;

	h->len = 0;
	h->version = 0;
	h->v2_version = 0;
	h->has_addrs = false;
	h->family = AF_UNSPEC;
	h->src_addr[0] = h->dst_addr[0] = '\0';
	h->src_port = h->dst_port = 0;
	h->src_port_text[0] = h->dst_port_text[0] = '\0';
	h->tlv_off = h->tlv_len = 0;
	if (n > PP_PEEK_MAX)
		n = PP_PEEK_MAX;
	if (n >= PP_V2_HDRLEN && memcmp(p, PP_V2_SIG, PP_V2_SIGLEN) == 0)
		rc = parse_v2(p, n, h);
	else
		rc = parse_v1(p, n, h);
	if (rc != PP_OK) {
		h->has_addrs = false;
		return rc;
	}
	if (h->has_addrs) {
		snprintf(h->src_port_text, sizeof h->src_port_text, "%u", h->src_port);
		snprintf(h->dst_port_text, sizeof h->dst_port_text, "%u", h->dst_port);
	}
	return PP_OK;
}

size_t
pp_broken_len(const void *buf, size_t n)
{
	const unsigned char *p = buf;
	size_t i;

	if (n > PP_PEEK_MAX)
		n = PP_PEEK_MAX;
	for (i = 0; i < n && p[i] != '\r' && p[i] != '\n'; i++)
		;
	return i;
}

int
pp_count_tlvs(const void *buf, const struct pp_header *h)
{
	const unsigned char *p = (const unsigned char *)buf + h->tlv_off;
	size_t i = 0, n = h->tlv_len;
	int count = 0;

	while (i < n) {
		size_t l;

		if (n - i < 3)
			return -1;
		l = be16(p + i + 1);
		if (n - i - 3 < l)
			return -1;
		i += 3 + l;
		count++;
	}
	return count;
}

size_t
pp_inet6_ntop(const uint8_t a[16], char *out, size_t cap)
{
	size_t zero = SIZE_MAX, start = SIZE_MAX, max = 1, run = 0, end = 16, o = 0;

	if (cap < 46) {
		if (cap > 0)
			out[0] = '\0';
		return 0;
	}
	/* the first longest run of at least two zero words */
	for (size_t i = 0; i < 16; i += 2) {
		if (a[i] != 0 || a[i + 1] != 0) {
			if (run > max) {
				zero = start;
				max = run;
			}
			run = 0;
			continue;
		}
		if (run++ == 0)
			start = i;
	}
	if (run > max) {
		zero = start;
		max = run;
	}
	if (zero == 0) {
		/* ::ffff:a.b.c.d, ::a.b.c.d, and nginx's ::0.0.x.y quirk */
		if ((max == 5 && a[10] == 0xff && a[11] == 0xff) || max == 6 ||
		    (max == 7 && a[14] != 0 && a[15] != 1))
			end = 12;
		out[o++] = ':';
	}
	for (size_t i = 0; i < end; i += 2) {
		if (i == zero) {
			out[o++] = ':';
			i += (max - 1) * 2;
			continue;
		}
		o += (size_t)snprintf(out + o, cap - o, "%x", (unsigned)(a[i] << 8 | a[i + 1]));
		if (i < 14)
			out[o++] = ':';
	}
	if (end == 12)
		o += (size_t)snprintf(out + o, cap - o, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
	out[o] = '\0';
	return o;
}

void
pp_addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
	if (cap == 0)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		if (inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)cap) == NULL)
			out[0] = '\0';
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		pp_inet6_ntop(s6->sin6_addr.s6_addr, out, cap);
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *su = (const struct sockaddr_un *)(const void *)sa;

		snprintf(out, cap, "unix:%.*s", (int)strnlen(su->sun_path, sizeof su->sun_path),
		    su->sun_path);
	} else {
		out[0] = '\0';
	}
}
