/* SPDX-License-Identifier: ISC */
/* test_proxy_proto.c: the PROXY protocol parser (nginx's rules for v1
 * and v2), the v1/v2 builders (with the TLS TLVs), nginx's IPv6 text form
 * and CRC-32C. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/un.h>

#include "proxy_proto.h"
#include "tlsd.h"
#include "unit.h"

static struct pp_header h;

static int
parse(const char *s)
{
	return pp_parse(s, strlen(s), &h);
}

/* a v2 header: version/command, family/transport, BODY of LEN bytes */
static size_t
v2(uint8_t *out, uint8_t vc, uint8_t ft, const void *body, size_t len, size_t declared)
{
	memcpy(out, PP_V2_SIG, PP_V2_SIGLEN);
	out[12] = vc;
	out[13] = ft;
	out[14] = (uint8_t)(declared >> 8);
	out[15] = (uint8_t)declared;
	memcpy(out + 16, body, len);
	return 16 + len;
}

static void
test_v1(void)
{
	const char *ok = "PROXY TCP4 192.0.2.1 198.51.100.7 5555 143\r\na1 NOOP\r\n";
	char big[PP_PEEK_MAX + 100];
	size_t n;

	CHECK(parse(ok) == PP_OK);
	CHECK(h.version == 1 && h.has_addrs && h.family == AF_INET);
	CHECK(h.len == strlen(ok) - strlen("a1 NOOP\r\n"));
	CHECK_STR(h.src_addr, "192.0.2.1");
	CHECK_STR(h.dst_addr, "198.51.100.7");
	CHECK(h.src_port == 5555 && h.dst_port == 143);
	CHECK_STR(h.src_port_text, "5555");
	CHECK_STR(h.dst_port_text, "143");

	/* every proper prefix is broken: nginx wants it all in the first read */
	for (size_t i = 0; i < strlen(ok) - strlen("a1 NOOP\r\n"); i++)
		CHECK(pp_parse(ok, i, &h) == PP_BROKEN);

	CHECK(parse("PROXY TCP6 2001:DB8::A ::1 0 65535\r\n") == PP_OK);
	CHECK(h.family == AF_INET6);
	CHECK_STR(h.src_addr, "2001:DB8::A");	/* as received, not normalised */
	CHECK(h.src_port == 0 && h.dst_port == 65535);
	/* addresses are not checked beyond their characters */
	CHECK(parse("PROXY TCP4 ::1 1.2.3.4.5 1 2\r\n") == PP_OK);
	CHECK(parse("PROXY TCP4  1.2.3.4 1 2\r\n") == PP_OK);
	CHECK_STR(h.src_addr, "");
	/* leading zeros in ports are fine, and printed away */
	CHECK(parse("PROXY TCP4 1.2.3.4 5.6.7.8 00080 0143\r\n") == PP_OK);
	CHECK_STR(h.src_port_text, "80");
	CHECK_STR(h.dst_port_text, "143");

	CHECK(parse("PROXY TCP4 1.2.3.x 5.6.7.8 1 2\r\n") == PP_BROKEN);
	CHECK(parse("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n") == PP_BROKEN);
	CHECK(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999999999999999999\r\n") == PP_BROKEN);
	CHECK(parse("PROXY TCP4 1.2.3.4 5.6.7.8  2\r\n") == PP_BROKEN);
	CHECK(parse("PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n") == PP_BROKEN);
	CHECK(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n") == PP_BROKEN);
	CHECK(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n") == PP_BROKEN);
	CHECK(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX") == PP_BROKEN);
	CHECK(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n") == PP_BROKEN);
	CHECK(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n") == PP_BROKEN);
	CHECK(parse("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n") == PP_BROKEN);
	CHECK(parse("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n") == PP_BROKEN);
	CHECK(parse("PROXY TCP41.2.3.4 5.6.7.8 1 2\r\n") == PP_BROKEN);
	CHECK(parse("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n") == PP_BROKEN);
	CHECK(parse("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n") == PP_BROKEN);
	CHECK(parse("PROXY") == PP_BROKEN);
	CHECK(parse("PROXY \r\n") == PP_BROKEN);
	CHECK(parse("") == PP_BROKEN);
	CHECK(!h.has_addrs);

	/* UNKNOWN: anything up to CRLF, no addresses */
	CHECK(parse("PROXY UNKNOWN\r\nX") == PP_OK);
	CHECK(h.len == 15 && !h.has_addrs);
	CHECK(parse("PROXY UNKNOWN TCP4 1.2.3.4 5.6.7.8 1 2\r\n") == PP_OK);
	CHECK(h.len == strlen("PROXY UNKNOWN TCP4 1.2.3.4 5.6.7.8 1 2\r\n"));
	CHECK(parse("PROXY UNKNOWNjunk\r\n") == PP_OK);
	CHECK(parse("PROXY UNKNOWN") == PP_BROKEN);
	CHECK(parse("PROXY UNKNOWN\r") == PP_BROKEN);
	CHECK(parse("PROXY UNKNOWN\n\r") == PP_BROKEN);

	/* what nginx logs of a broken header */
	CHECK(pp_broken_len("GET / HTTP/1.0\r\n", 16) == 14);
	CHECK(pp_broken_len("abc", 3) == 3);
	CHECK(pp_broken_len("\nabc", 4) == 0);

	/* an address is only limited by the 4096-byte peek */
	memcpy(big, "PROXY TCP4 ", 11);
	memset(big + 11, '1', 4000);
	memcpy(big + 4011, " 2 3 4\r\n", 8);
	CHECK(pp_parse(big, 4019, &h) == PP_OK);
	CHECK(strlen(h.src_addr) == 4000);
	/* nothing beyond 4096 bytes is looked at */
	memset(big + 11, '1', sizeof big - 11);
	n = sizeof big;
	CHECK(pp_parse(big, n, &h) == PP_BROKEN);
	CHECK(pp_broken_len(big, n) == PP_PEEK_MAX);
}

static void
test_v2(void)
{
	static const uint8_t in4[12] = { 192, 0, 2, 1, 198, 51, 100, 7, 0x15, 0xb3, 0, 143 };
	uint8_t in6[36] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint8_t buf[600], body[300];
	size_t n;

	n = v2(buf, 0x21, 0x11, in4, 12, 12);
	memcpy(buf + n, "a1 NOOP\r\n", 9);
	CHECK(pp_parse(buf, n + 9, &h) == PP_OK);
	CHECK(h.version == 2 && h.has_addrs && h.family == AF_INET && h.len == 28);
	CHECK_STR(h.src_addr, "192.0.2.1");
	CHECK_STR(h.dst_addr, "198.51.100.7");
	CHECK(h.src_port == 5555 && h.dst_port == 143);
	CHECK(h.tlv_len == 0);
	for (size_t i = 0; i < n; i++)
		CHECK(pp_parse(buf, i, &h) != PP_OK);

	in6[15] = 1;
	in6[31] = 1;
	in6[32] = 0x04;
	in6[33] = 0x00;
	in6[35] = 25;
	n = v2(buf, 0x21, 0x21, in6, 36, 36);
	CHECK(pp_parse(buf, n, &h) == PP_OK);
	CHECK(h.family == AF_INET6);
	CHECK_STR(h.src_addr, "2001:db8::1");
	CHECK_STR(h.dst_addr, "::1");
	CHECK(h.src_port == 1024 && h.dst_port == 25);

	/* TLVs: skipped whole, never interpreted */
	memcpy(body, in4, 12);
	memcpy(body + 12, "\x04\x00\x03xyz" "\x03\x00\x04\x01\x02\x03\x04", 13);
	n = v2(buf, 0x21, 0x11, body, 25, 25);
	CHECK(pp_parse(buf, n, &h) == PP_OK);
	CHECK(h.len == 41 && h.tlv_off == 28 && h.tlv_len == 13);
	CHECK(pp_count_tlvs(buf, &h) == 2);
	/* a TLV running past the header: nginx does not care */
	memcpy(body + 12, "\x04\x01\x00xyz", 6);
	n = v2(buf, 0x21, 0x11, body, 18, 18);
	CHECK(pp_parse(buf, n, &h) == PP_OK);
	CHECK(pp_count_tlvs(buf, &h) == -1);

	/* LOCAL, unix, UNSPEC, DGRAM: consumed, no addresses */
	n = v2(buf, 0x20, 0x11, in4, 12, 12);
	CHECK(pp_parse(buf, n, &h) == PP_OK && !h.has_addrs && h.len == 28);
	memset(body, 'u', 216);
	n = v2(buf, 0x21, 0x31, body, 216, 216);
	CHECK(pp_parse(buf, n, &h) == PP_OK && !h.has_addrs && h.len == 232);
	n = v2(buf, 0x21, 0x00, body, 0, 0);
	CHECK(pp_parse(buf, n, &h) == PP_OK && !h.has_addrs && h.len == 16);
	n = v2(buf, 0x21, 0x12, in4, 12, 12);
	CHECK(pp_parse(buf, n, &h) == PP_OK && !h.has_addrs);
	n = v2(buf, 0x2f, 0x11, in4, 12, 12);	/* unknown command: skipped too */
	CHECK(pp_parse(buf, n, &h) == PP_OK && !h.has_addrs);

	/* errors */
	n = v2(buf, 0x11, 0x11, in4, 12, 12);
	CHECK(pp_parse(buf, n, &h) == PP_V2_VERSION && h.v2_version == 1);
	n = v2(buf, 0x21, 0x11, in4, 12, 13);
	CHECK(pp_parse(buf, n, &h) == PP_V2_TOO_LARGE);
	n = v2(buf, 0x21, 0x11, in4, 12, 0xffff);
	CHECK(pp_parse(buf, n, &h) == PP_V2_TOO_LARGE);
	n = v2(buf, 0x21, 0x11, in4, 8, 8);
	CHECK(pp_parse(buf, n, &h) == PP_V2_SHORT);
	n = v2(buf, 0x21, 0x21, in6, 20, 20);
	CHECK(pp_parse(buf, n, &h) == PP_V2_SHORT);
	/* 15 bytes of a v2 header are a v1 attempt that starts with CR */
	CHECK(pp_parse(buf, 15, &h) == PP_BROKEN);
	CHECK(pp_broken_len(buf, 15) == 0);
}

static void
ntop6(const char *in, const char *want)
{
	uint8_t a[16];
	char out[64];

	CHECK(inet_pton(AF_INET6, in, a) == 1);
	pp_inet6_ntop(a, out, sizeof out);
	CHECK_STR(out, want);
}

static void
test_ntop(void)
{
	ntop6("::", "::");
	ntop6("::1", "::1");
	ntop6("1::", "1::");
	ntop6("2001:db8::1", "2001:db8::1");
	ntop6("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
	ntop6("::ffff:192.0.2.1", "::ffff:192.0.2.1");
	ntop6("::192.0.2.1", "::192.0.2.1");
	ntop6("1:0:0:1:0:0:0:1", "1:0:0:1::1");
	ntop6("1:0:0:1:0:0:1:1", "1::1:0:0:1:1");
	ntop6("1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0");
	ntop6("fe80::abcd:ef01:2345:6789", "fe80::abcd:ef01:2345:6789");
	ntop6("2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6");
}

static void
sa4(struct sockaddr_storage *ss, const char *ip, unsigned port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof *ss);
	s->sin_family = AF_INET;
	s->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &s->sin_addr);
}

static void
sa6(struct sockaddr_storage *ss, const char *ip, unsigned port)
{
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	s->sin6_family = AF_INET6;
	s->sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, ip, &s->sin6_addr);
}

/* the stored CRC32C equals the CRC of the header with the value zeroed */
static int
crc_ok(uint8_t *b, size_t n)
{
	uint32_t got = (uint32_t)b[n - 4] << 24 | (uint32_t)b[n - 3] << 16 |
	    (uint32_t)b[n - 2] << 8 | b[n - 1];
	uint8_t copy[PP_OUT_MAX];

	memcpy(copy, b, n);
	memset(copy + n - 4, 0, 4);
	return b[n - 7] == PP2_TYPE_CRC32C && b[n - 6] == 0 && b[n - 5] == 4 &&
	    pp_crc32c(copy, n) == got;
}

static void
test_build(void)
{
	struct sockaddr_storage c, l;
	struct sockaddr_un u;
	char out[PP_OUT_MAX];
	uint8_t b[PP_OUT_MAX];
	size_t n;

	CHECK(pp_crc32c("123456789", 9) == 0xe3069283u);
	CHECK(pp_crc32c("", 0) == 0);

	sa4(&c, "192.0.2.1", 5555);
	sa4(&l, "127.0.0.1", 143);
	n = pp_build_v1((struct sockaddr *)&c, (struct sockaddr *)&l, out, sizeof out);
	CHECK_MEM(out, n, "PROXY TCP4 192.0.2.1 127.0.0.1 5555 143\r\n", 41);
	CHECK(pp_build_v1((struct sockaddr *)&c, (struct sockaddr *)&l, out, 20) == 0);

	n = pp_build_v2((struct sockaddr *)&c, (struct sockaddr *)&l, b, sizeof b);
	CHECK(n == 16 + 12 + 7 && b[12] == 0x21 && b[13] == 0x11);
	CHECK(crc_ok(b, n));
	CHECK(pp_parse(b, n, &h) == PP_OK && h.len == n);
	CHECK_STR(h.src_addr, "192.0.2.1");
	CHECK_STR(h.dst_addr, "127.0.0.1");
	CHECK(h.src_port == 5555 && h.dst_port == 143);
	CHECK(pp_count_tlvs(b, &h) == 1);

	sa6(&c, "2001:db8::1", 1024);
	sa6(&l, "::1", 25);
	n = pp_build_v1((struct sockaddr *)&c, (struct sockaddr *)&l, out, sizeof out);
	CHECK_MEM(out, n, "PROXY TCP6 2001:db8::1 ::1 1024 25\r\n", 36);
	n = pp_build_v2((struct sockaddr *)&c, (struct sockaddr *)&l, b, sizeof b);
	CHECK(n == 16 + 36 + 7 && b[13] == 0x21 && crc_ok(b, n));
	CHECK(pp_parse(b, n, &h) == PP_OK);
	CHECK_STR(h.src_addr, "2001:db8::1");
	CHECK_STR(h.dst_addr, "::1");

	/* the families differ: v2 promotes the IPv4 side */
	sa4(&c, "192.0.2.1", 5555);
	n = pp_build_v2((struct sockaddr *)&c, (struct sockaddr *)&l, b, sizeof b);
	CHECK(n == 16 + 36 + 7 && b[13] == 0x21);
	CHECK(pp_parse(b, n, &h) == PP_OK);
	CHECK_STR(h.src_addr, "::ffff:192.0.2.1");
	n = pp_build_v1((struct sockaddr *)&c, (struct sockaddr *)&l, out, sizeof out);
	CHECK_MEM(out, n, "PROXY TCP4 192.0.2.1 ::1 5555 25\r\n", 34);

	/* v4-mapped on both sides (a dual-stack socket): plain IPv4 */
	sa6(&c, "::ffff:192.0.2.9", 7);
	sa6(&l, "::ffff:127.0.0.1", 143);
	n = pp_build_v1((struct sockaddr *)&c, (struct sockaddr *)&l, out, sizeof out);
	CHECK_MEM(out, n, "PROXY TCP4 192.0.2.9 127.0.0.1 7 143\r\n", 38);
	n = pp_build_v2((struct sockaddr *)&c, (struct sockaddr *)&l, b, sizeof b);
	CHECK(n == 16 + 12 + 7 && b[13] == 0x11 && crc_ok(b, n));

	/* a unix client: UNKNOWN / LOCAL */
	memset(&u, 0, sizeof u);
	u.sun_family = AF_UNIX;
	strcpy(u.sun_path, "/run/x.sock");
	n = pp_build_v1((struct sockaddr *)&u, (struct sockaddr *)&l, out, sizeof out);
	CHECK_MEM(out, n, "PROXY UNKNOWN\r\n", 15);
	n = pp_build_v2((struct sockaddr *)&u, (struct sockaddr *)&u, b, sizeof b);
	CHECK(n == 16 + 7 && b[12] == 0x20 && b[13] == 0x00 && b[15] == 7 && crc_ok(b, n));
	CHECK(pp_parse(b, n, &h) == PP_OK && !h.has_addrs && h.len == n);
	CHECK(pp_build_v2((struct sockaddr *)&u, (struct sockaddr *)&u, b, 40) == 0);
}

/* ---- the TLS TLVs ------------------------------------------------------ */

struct tlv {
	uint8_t type;
	const uint8_t *v;
	size_t len;
};

/* Split N bytes at P into TLVs: their number, or -1 if one runs past N. */
static int
walk(const uint8_t *p, size_t n, struct tlv *t, int max)
{
	size_t i = 0;
	int k = 0;

	while (i < n) {
		if (n - i < 3 || k == max)
			return -1;
		t[k].type = p[i];
		t[k].len = (size_t)p[i + 1] << 8 | p[i + 2];
		t[k].v = p + i + 3;
		if (n - i - 3 < t[k].len)
			return -1;
		i += 3 + t[k].len;
		k++;
	}
	return k;
}

static int
tlv_is(const struct tlv *t, uint8_t type, const char *val)
{
	return t->type == type && t->len == strlen(val) && memcmp(t->v, val, t->len) == 0;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct tls_info ti;

static void
ti_fill(void)
{
	memset(&ti, 0, sizeof ti);
	strcpy(ti.protocol, "TLSv1.3");
	strcpy(ti.cipher, "TLS_AES_256_GCM_SHA384");
	strcpy(ti.sni, "mail.example.org");
	strcpy(ti.alpn, "imap");
}

/* Build with TI, parse it back, check the addresses and the CRC, and split
 * the TLVs into TOP and the SSL TLV's sub-TLVs into SUB (*NSUB, -1 without
 * an SSL TLV); *CLIENT and *VERIFY are its fixed part. Returns the number
 * of top-level TLVs, -1 on any failure. */
static int
build_walk(uint8_t *b, size_t *n, struct tlv *top, struct tlv *sub, int *nsub, uint8_t *client,
    uint32_t *verify, const char *file, int line)
{
	struct sockaddr_storage c, l;
	int k;

	sa4(&c, "192.0.2.1", 5555);
	sa4(&l, "127.0.0.1", 993);
	*n = pp_build_v2_tls((struct sockaddr *)&c, (struct sockaddr *)&l, &ti, b, PP_OUT_MAX);
	CHECK_AT(*n > 0 && *n <= PP_OUT_MAX, file, line);
	if (*n == 0)
		return -1;
	CHECK_AT(crc_ok(b, *n), file, line);
	CHECK_AT(pp_parse(b, *n, &h) == PP_OK && h.len == *n && h.has_addrs, file, line);
	CHECK_AT(strcmp(h.src_addr, "192.0.2.1") == 0 && h.dst_port == 993, file, line);
	CHECK_AT(h.tlv_off == 16 + 12 && h.tlv_off + h.tlv_len == *n, file, line);
	k = walk(b + h.tlv_off, h.tlv_len, top, 8);
	CHECK_AT(k >= 1 && k == pp_count_tlvs(b, &h), file, line);
	if (k < 1)
		return -1;
	/* the CRC32C TLV is the last */
	CHECK_AT(top[k - 1].type == PP2_TYPE_CRC32C && top[k - 1].len == 4, file, line);
	*nsub = -1;
	for (int i = 0; i < k; i++) {
		if (top[i].type != PP2_TYPE_SSL)
			continue;
		CHECK_AT(top[i].len >= PP2_SSL_FIXED, file, line);
		if (top[i].len < PP2_SSL_FIXED)
			return -1;
		*client = top[i].v[0];
		*verify = be32(top[i].v + 1);
		*nsub = walk(top[i].v + PP2_SSL_FIXED, top[i].len - PP2_SSL_FIXED, sub, 8);
		CHECK_AT(*nsub >= 0, file, line);
	}
	return k;
}
#define BUILD_WALK(b, n, top, sub, nsub, client, verify) \
	build_walk((b), (n), (top), (sub), (nsub), (client), (verify), __FILE__, __LINE__)

static void
test_build_tls(void)
{
	struct sockaddr_storage c, l;
	struct tlv top[8], sub[8];
	uint8_t b[PP_OUT_MAX];
	uint8_t client = 0xff;
	uint32_t verify = 0xffffffffu;
	size_t n;
	int k, nsub;

	/* no client certificate (ssl_verify_client off): SSL only, verify 0,
	 * no CN; SIG_ALG and KEY_ALG are never sent */
	ti_fill();
	k = BUILD_WALK(b, &n, top, sub, &nsub, &client, &verify);
	CHECK(k == 4);
	CHECK(tlv_is(&top[0], PP2_TYPE_AUTHORITY, "mail.example.org"));
	CHECK(tlv_is(&top[1], PP2_TYPE_ALPN, "imap"));
	CHECK(top[2].type == PP2_TYPE_SSL);
	CHECK(client == PP2_CLIENT_SSL && verify == 0);
	CHECK(nsub == 2);
	CHECK(tlv_is(&sub[0], PP2_SUBTYPE_SSL_VERSION, "TLSv1.3"));
	CHECK(tlv_is(&sub[1], PP2_SUBTYPE_SSL_CIPHER, "TLS_AES_256_GCM_SHA384"));
	CHECK(top[2].len == PP2_SSL_FIXED + 3 + 7 + 3 + 22);
	CHECK(n == 16 + 12 + (3 + 16) + (3 + 4) + (3 + top[2].len) + 7);
	CHECK((size_t)(b[14] << 8 | b[15]) == n - 16);

	/* ssl_verify_client optional, none presented (Auth-SSL-Verify: NONE):
	 * OpenSSL's verify result is X509_V_OK */
	strcpy(ti.verify, "NONE");
	k = BUILD_WALK(b, &n, top, sub, &nsub, &client, &verify);
	CHECK(k == 4 && client == PP2_CLIENT_SSL && verify == 0 && nsub == 2);

	/* no SNI, no ALPN: left out, not sent empty */
	ti.sni[0] = ti.alpn[0] = '\0';
	k = BUILD_WALK(b, &n, top, sub, &nsub, &client, &verify);
	CHECK(k == 2 && top[0].type == PP2_TYPE_SSL && nsub == 2);

	/* a verified client certificate: the CERT flags and its CN, between
	 * VERSION and CIPHER; escapes undone */
	ti_fill();
	strcpy(ti.verify, "SUCCESS");
	strcpy(ti.subject, "emailAddress=a@example.org,CN=Alice \\C3\\A9\\, Jr.,O=Ex\\+ample+OU=x,C=DE");
	strcpy(ti.fingerprint, "0123456789abcdef0123456789abcdef01234567");
	k = BUILD_WALK(b, &n, top, sub, &nsub, &client, &verify);
	CHECK(k == 4);
	CHECK(client == (PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS));
	CHECK(verify == 0);
	CHECK(nsub == 3);
	CHECK(tlv_is(&sub[0], PP2_SUBTYPE_SSL_VERSION, "TLSv1.3"));
	CHECK(tlv_is(&sub[1], PP2_SUBTYPE_SSL_CN, "Alice \xc3\xa9, Jr."));
	CHECK(tlv_is(&sub[2], PP2_SUBTYPE_SSL_CIPHER, "TLS_AES_256_GCM_SHA384"));

	/* a certificate that failed but was tolerated (optional_no_ca): the
	 * X509_V_* code, 18 = self-signed at depth 0 */
	ti.verify_code = 18;
	strcpy(ti.verify, "FAILED:self-signed certificate");
	k = BUILD_WALK(b, &n, top, sub, &nsub, &client, &verify);
	CHECK(k == 4 && verify == 18 && (client & PP2_CLIENT_CERT_CONN) && nsub == 3);
	/* a failed verdict never reads 0 */
	ti.verify_code = 0;
	ti.verdict = TLS_CERT_ERROR;
	k = BUILD_WALK(b, &n, top, sub, &nsub, &client, &verify);
	CHECK(k == 4 && verify == 1);

	/* every field at its longest, IPv6 addresses: it all fits PP_OUT_MAX */
	memset(&ti, 0, sizeof ti);
	memset(ti.protocol, 'p', sizeof ti.protocol - 1);
	memset(ti.cipher, 'c', sizeof ti.cipher - 1);
	memset(ti.sni, 's', sizeof ti.sni - 1);
	memset(ti.alpn, 'a', sizeof ti.alpn - 1);
	strcpy(ti.subject, "CN=");
	memset(ti.subject + 3, 'n', PP_SSL_CN_MAX);
	sa6(&c, "2001:db8::1", 1024);
	sa6(&l, "::1", 993);
	n = pp_build_v2_tls((struct sockaddr *)&c, (struct sockaddr *)&l, &ti, b, sizeof b);
	CHECK(n == 16 + 36 + (3 + 255) + (3 + 15) + (3 + 5 + (3 + 15) + (3 + PP_SSL_CN_MAX) + (3 + 63)) + 7);
	CHECK(n <= PP_OUT_MAX && crc_ok(b, n));
	CHECK(pp_parse(b, n, &h) == PP_OK && h.len == n && pp_count_tlvs(b, &h) == 4);
	CHECK(walk(b + h.tlv_off, h.tlv_len, top, 8) == 4 && top[2].type == PP2_TYPE_SSL);
	CHECK(walk(top[2].v + 5, top[2].len - 5, sub, 8) == 3 && sub[1].type == PP2_SUBTYPE_SSL_CN &&
	    sub[1].len == PP_SSL_CN_MAX);
	/* a longer CN is left out, not cut */
	ti.subject[3 + PP_SSL_CN_MAX] = 'n';
	n = pp_build_v2_tls((struct sockaddr *)&c, (struct sockaddr *)&l, &ti, b, sizeof b);
	CHECK(n > 0 && crc_ok(b, n) && pp_parse(b, n, &h) == PP_OK);
	CHECK(walk(b + h.tlv_off, h.tlv_len, top, 8) == 4);
	CHECK(walk(top[2].v + 5, top[2].len - 5, sub, 8) == 2 && sub[1].type == PP2_SUBTYPE_SSL_CIPHER);
	/* too small a buffer */
	CHECK(pp_build_v2_tls((struct sockaddr *)&c, (struct sockaddr *)&l, &ti, b, PP_OUT_MAX - 1) == 0);
	/* NULL is plain pp_build_v2() */
	CHECK(pp_build_v2_tls((struct sockaddr *)&c, (struct sockaddr *)&l, NULL, b, sizeof b) ==
	    16 + 36 + 7);
}

static void
test_subject_cn(void)
{
	char cn[PP_SSL_CN_MAX + 1];

	CHECK(pp_subject_cn("CN=alice", cn, sizeof cn) == 5);
	CHECK_STR(cn, "alice");
	CHECK(pp_subject_cn("CN=a\\,b\\+c\\\\d\\\"e\\3Cf,O=x", cn, sizeof cn) == 11);
	CHECK_STR(cn, "a,b+c\\d\"e<f");
	/* the certificate's first CN is the string's last (RFC 2253 reverses) */
	CHECK(pp_subject_cn("CN=leaf,OU=x+CN=first,C=DE", cn, sizeof cn) == 5);
	CHECK_STR(cn, "first");
	CHECK(pp_subject_cn("cn=lower", cn, sizeof cn) == 5);
	CHECK(pp_subject_cn("O=no cn,C=DE", cn, sizeof cn) == 0);
	CHECK(pp_subject_cn("", cn, sizeof cn) == 0);
	CHECK(pp_subject_cn("CN=", cn, sizeof cn) == 0);
	CHECK(pp_subject_cn("CN=#0c03616263", cn, sizeof cn) == 0);	/* hex DER */
	CHECK(pp_subject_cn("CN=a\\00b", cn, sizeof cn) == 0);	/* embedded NUL */
	CHECK(pp_subject_cn("CN=abc\\", cn, sizeof cn) == 0);	/* cut escape */
	CHECK(pp_subject_cn("CN=abc,garbage", cn, sizeof cn) == 0);
	CHECK(pp_subject_cn("XCN=abc", cn, sizeof cn) == 0);
	CHECK(pp_subject_cn("CN=abcd", cn, 5) == 4);
	CHECK(pp_subject_cn("CN=abcde", cn, 5) == 0);		/* never cut */
}

int
main(void)
{
	test_v1();
	test_v2();
	test_ntop();
	test_build();
	test_build_tls();
	test_subject_cn();
	UNIT_DONE();
}
