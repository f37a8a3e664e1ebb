/* SPDX-License-Identifier: ISC */
/* proxy_proto.h: the PROXY protocol (doc/wire.md#proxy-protocol), v1 and v2,
 * both ways.
 *
 * In: pp_parse() is a pure parser over the first bytes of a connection,
 * with nginx's rules (ngx_proxy_protocol_read): no I/O, no malloc, never a
 * read past N. proxy_read.c feeds it what one peek returned.
 * Out: pp_build_v1()/pp_build_v2() write the header nginx sends to a
 * backend with `proxy_protocol on|v2`; proxy_send.c. */
#ifndef MP_PROXY_PROTO_H
#define MP_PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>


/* nginx peeks at most this much (NGX_PROXY_PROTOCOL_MAX_HEADER) and wants
 * the whole header in it; a v1 address is only limited by it. */
#define PP_PEEK_MAX 4096
#define PP_V2_SIG "\r\n\r\n\0\r\nQUIT\n"
#define PP_V2_SIGLEN 12
#define PP_V2_HDRLEN 16		/* signature, version/command, family, length */

/* v2 TLV types the builder and tests use (proxy-protocol.txt 2.2) */
#define PP2_TYPE_ALPN 0x01
#define PP2_TYPE_AUTHORITY 0x02
#define PP2_TYPE_CRC32C 0x03
#define PP2_TYPE_NOOP 0x04
#define PP2_TYPE_UNIQUE_ID 0x05
#define PP2_TYPE_SSL 0x20
#define PP2_SUBTYPE_SSL_VERSION 0x21
#define PP2_SUBTYPE_SSL_CN 0x22
#define PP2_SUBTYPE_SSL_CIPHER 0x23
#define PP2_SUBTYPE_SSL_SIG_ALG 0x24
#define PP2_SUBTYPE_SSL_KEY_ALG 0x25

/* PP2_TYPE_SSL: a client byte of these flags, a 32-bit verify result
 * (network order), then the sub-TLVs */
#define PP2_CLIENT_SSL 0x01
#define PP2_CLIENT_CERT_CONN 0x02
#define PP2_CLIENT_CERT_SESS 0x04
#define PP2_SSL_FIXED 5		/* client + verify */

enum pp_rc {
	PP_OK = 0,		/* h filled; h->len bytes are the header */
	PP_BROKEN,		/* log: broken header: "<pp_broken_len bytes>" */
	PP_V2_VERSION,		/* log: unknown PROXY protocol version: <h->v2_version> */
	PP_V2_TOO_LARGE,	/* log: header is too large */
	PP_V2_SHORT		/* addresses longer than the header: nginx closes silently */
};

struct pp_header {
	size_t len;		/* bytes the header takes at the start of the input */
	int version;		/* 1 or 2 */
	unsigned v2_version;	/* the version nibble, for PP_V2_VERSION */
	/* false: UNKNOWN, v2 LOCAL, a transport or family other than
	 * STREAM over INET/INET6 -- the connection keeps its own address and
	 * no Proxy-Protocol-* header is sent */
	bool has_addrs;
	int family;		/* v1: AF_INET for TCP4, AF_INET6 for TCP6; v2: the block's */
	/* v1: the text exactly as received (hex digits, '.', ':', possibly
	 * empty); v2: the binary address as nginx prints it. NUL-terminated. */
	char src_addr[PP_PEEK_MAX], dst_addr[PP_PEEK_MAX];
	unsigned src_port, dst_port;
	char src_port_text[8], dst_port_text[8];	/* decimal, as nginx prints them */
	size_t tlv_off, tlv_len;	/* v2: the TLV bytes, within the header; not interpreted */
};

/* Parse a header at the start of BUF (N bytes; more than PP_PEEK_MAX are
 * never looked at). Returns enum pp_rc. */
int pp_parse(const void *buf, size_t n, struct pp_header *h);

/* How many bytes of a broken header nginx logs: up to the first CR or LF. */
size_t pp_broken_len(const void *buf, size_t n);

/* Walk the TLVs of a parsed v2 header: returns the number of well-formed
 * TLVs, or -1 if the last one runs past the header (nginx ignores that;
 * this is for tests and logs). */
int pp_count_tlvs(const void *buf, const struct pp_header *h);

/* ngx_inet6_ntop(): nginx's text form of an IPv6 address (the longest run
 * of two or more zero words compressed, v4-mapped/compatible as dotted
 * quad). CAP >= 46. Returns the length. */
size_t pp_inet6_ntop(const uint8_t addr[16], char *out, size_t cap);

/* An address as nginx's ngx_sock_ntop() prints it without the port:
 * dotted quad, pp_inet6_ntop(), "unix:<path>". */
void pp_addr_text(const struct sockaddr *sa, char *out, size_t cap);

/* ---- out -------------------------------------------------------------- */

/* The longest CN sub-TLV value sent (X.520 ub-common-name is 64); a longer
 * CN is left out rather than cut. */
#define PP_SSL_CN_MAX 255

/* Room for any header this builds: v2 is 16 + 36 addresses, then with TLS
 * AUTHORITY (3 + 255, RFC 6066's host name cap = struct tls_info's sni),
 * ALPN (3 + 15), SSL (3 + 5 + VERSION 3 + 15, CN 3 + PP_SSL_CN_MAX,
 * CIPHER 3 + 63), UNIQUE_ID (3 + PP_UNIQUE_ID_MAX), then the 7-byte CRC32C
 * TLV: 752. proxy_send.c checks the sum against struct tls_info at compile
 * time. */
#define PP_OUT_MAX 768

/* The UNIQUE_ID TLV mailproxy sends: the session id (the spec allows 128). */
#define PP_UNIQUE_ID_MAX 64

/* "PROXY TCP4|TCP6 <client> <local> <cport> <lport>\r\n", or
 * "PROXY UNKNOWN\r\n" when the client is neither IPv4 nor IPv6.
 * Returns the length, 0 if CAP is too small. */
size_t pp_build_v1(const struct sockaddr *client, const struct sockaddr *local,
    char *out, size_t cap);

/* The v2 header with a CRC32C TLV. Returns the length, 0 if CAP is too small
 * (less than PP_OUT_MAX). */
size_t pp_build_v2(const struct sockaddr *client, const struct sockaddr *local,
    uint8_t *out, size_t cap);

/* The same for a TLS client connection: TI (the handshake report; NULL is
 * pp_build_v2()) adds AUTHORITY, ALPN and SSL TLVs before the CRC32C one,
 * as nginx 1.31.4 does. Returns the length, 0 if CAP is too small. */
struct tls_info;
size_t pp_build_v2_tls(const struct sockaddr *client, const struct sockaddr *local,
    const struct tls_info *ti, uint8_t *out, size_t cap);

/* The same with a UNIQUE_ID TLV of UID (NUL-terminated, at most
 * PP_UNIQUE_ID_MAX bytes; NULL or "" sends none) after the TLS ones: the
 * session id, with proxy_client_id. */
size_t pp_build_v2_uid(const struct sockaddr *client, const struct sockaddr *local,
    const struct tls_info *ti, const char *uid, uint8_t *out, size_t cap);

/* The CN of an RFC 2253 subject as X509_NAME_print_ex(XN_FLAG_RFC2253)
 * writes it ("CN=x,O=y", escapes undone): the first CN of the certificate's
 * name, i.e. the last one in the string. Returns its length, or 0 when
 * there is none, it is hex-encoded ("#..."), malformed, or CAP is too small. */
size_t pp_subject_cn(const char *subject, char *out, size_t cap);

/* CRC-32C (Castagnoli), as the PP2_TYPE_CRC32C TLV wants it. */
uint32_t pp_crc32c(const void *p, size_t n);

#endif
