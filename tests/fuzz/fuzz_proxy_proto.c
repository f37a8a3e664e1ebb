/* SPDX-License-Identifier: ISC */
/* fuzz_proxy_proto.c: libFuzzer target for the PROXY protocol parser.
 * The input is what one peek returned (up to 4096 bytes are looked at).
 * Checked: the header never claims more bytes than it was given, texts are
 * NUL-terminated within their arrays and hold only what nginx allows
 * (hex digits, '.', ':'), ports are <= 65535, the v2 TLVs lie inside the
 * header; and a header rebuilt from a parsed v2 IPv4/IPv6 one parses back
 * to the same addresses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_proto.h"

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
text_ok(const char *t, size_t cap)
{
	size_t n = strnlen(t, cap);

	check(n < cap);
	for (size_t i = 0; i < n; i++)
		check(t[i] == '.' || t[i] == ':' || (t[i] >= '0' && t[i] <= '9') ||
		    (t[i] >= 'a' && t[i] <= 'f') || (t[i] >= 'A' && t[i] <= 'F'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pp_header h, back;
	static uint8_t out[PP_OUT_MAX];
	struct sockaddr_storage c, l;
	size_t n = size < PP_PEEK_MAX ? size : PP_PEEK_MAX;
	int rc = pp_parse(data, size, &h);

	check(pp_broken_len(data, size) <= n);
	if (rc != PP_OK) {
		check(!h.has_addrs);
		return 0;
	}
	check(h.len > 0 && h.len <= n);
	check(h.version == 1 || h.version == 2);
	if (!h.has_addrs)
		return 0;
	text_ok(h.src_addr, sizeof h.src_addr);
	text_ok(h.dst_addr, sizeof h.dst_addr);
	check(h.src_port <= 65535 && h.dst_port <= 65535);
	check(h.tlv_off + h.tlv_len <= h.len);
	if (h.version == 1)
		return 0;
	(void)pp_count_tlvs(data, &h);

	memset(&c, 0, sizeof c);
	memset(&l, 0, sizeof l);
	if (h.family == AF_INET) {
		struct sockaddr_in *c4 = (struct sockaddr_in *)&c, *l4 = (struct sockaddr_in *)&l;

		c4->sin_family = l4->sin_family = AF_INET;
		memcpy(&c4->sin_addr, data + 16, 4);
		memcpy(&l4->sin_addr, data + 20, 4);
		c4->sin_port = htons((uint16_t)h.src_port);
		l4->sin_port = htons((uint16_t)h.dst_port);
	} else {
		struct sockaddr_in6 *c6 = (struct sockaddr_in6 *)&c, *l6 = (struct sockaddr_in6 *)&l;

		c6->sin6_family = l6->sin6_family = AF_INET6;
		memcpy(&c6->sin6_addr, data + 16, 16);
		memcpy(&l6->sin6_addr, data + 32, 16);
		c6->sin6_port = htons((uint16_t)h.src_port);
		l6->sin6_port = htons((uint16_t)h.dst_port);
		/* the builder writes a v4-mapped pair as plain IPv4 */
		if (IN6_IS_ADDR_V4MAPPED(&c6->sin6_addr) && IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr))
			return 0;
	}
	n = pp_build_v2((struct sockaddr *)&c, (struct sockaddr *)&l, out, sizeof out);
	check(n > 0);
	check(pp_parse(out, n, &back) == PP_OK && back.len == n && back.has_addrs);
	check(strcmp(back.src_addr, h.src_addr) == 0 && strcmp(back.dst_addr, h.dst_addr) == 0);
	check(back.src_port == h.src_port && back.dst_port == h.dst_port);
	return 0;
}
