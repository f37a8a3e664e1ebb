/* SPDX-License-Identifier: ISC */
/* proxy_send.c: the PROXY header nginx writes to a backend right after the
 * connect (doc/wire.md#proxy-protocol-send): `proxy_protocol on` is v1, `v2`
 * is the binary form with a CRC32C TLV. "client" is the connection's client
 * after set_real_ip_from, "local" the address the client connected to (never
 * the PROXY header's destination).
 *
 * A v4-mapped IPv6 address (an IPv4 client on a dual-stack systemd socket)
 * is written as the IPv4 address it is, as conn.c names it everywhere else;
 * nginx's own sockets never produce one.
 *
 * When the client connection is TLS (s->tls, the report in s->tlsinfo),
 * the v2 header carries, in this order and before the CRC32C TLV that stays
 * last (proxy-protocol.txt 2.2; doc/wire.md#proxy-protocol-send):
 *   AUTHORITY  the client's SNI, when it sent one
 *   ALPN       the protocol selected, when one was
 *   SSL        client flags, verify result, then the sub-TLVs
 *              VERSION ("TLSv1.3"), CN, CIPHER (OpenSSL's name)
 * An empty value is never sent as a zero-length TLV: it is left out.
 * With proxy_client_id (or the auth reply's Auth-Proxy-Client-Id: on), a
 * UNIQUE_ID TLV carries the session id of the log lines, after the TLS
 * ones; nginx sends none, so without it the header stays nginx's.
 *
 * SSL client flags: PP2_CLIENT_SSL always; CERT_CONN and CERT_SESS when the
 * client presented a certificate (only known, and only ever requested, with
 * ssl_verify_client other than off). nginx sends the CERT flags on
 * non-resumed sessions; struct tls_info does not say whether the session
 * was resumed, so they follow the certificate the report names.
 * SSL verify: nginx's verify result, i.e. OpenSSL's X509_V_* code for the
 * client certificate, which is X509_V_OK (0) when none was requested or
 * presented; the report's verify_code is exactly that. A non-OK verdict
 * with no code (never seen on a session that reaches a backend) is sent as 1
 * so a failure is never 0.
 * CN: mailproxy-tls reports the subject only as RFC 2253 text, so the CN is
 * taken from it (pp_subject_cn()); it is left out when there is no client
 * certificate, no CN, a hex-encoded one, or one longer than PP_SSL_CN_MAX.
 * Not sent: SIG_ALG and KEY_ALG (the certificate's signature and key
 * algorithms): the report does not carry them and the handler does not
 * parse certificates (libcrypto is mailproxy-tls's alone). */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "backend.h"
#include "clock.h"
#include "conn.h"
#include "log.h"
#include "proxy_proto.h"
#include "session.h"
#include "tls_report.h"

/* PP_OUT_MAX must hold the longest header pp_build_v2_tls() can write */
_Static_assert(PP_OUT_MAX >= PP_V2_HDRLEN + 36 +
    3 + sizeof ((struct tls_info *)0)->sni - 1 +
    3 + sizeof ((struct tls_info *)0)->alpn - 1 +
    3 + PP2_SSL_FIXED +
    3 + sizeof ((struct tls_info *)0)->protocol - 1 +
    3 + PP_SSL_CN_MAX +
    3 + sizeof ((struct tls_info *)0)->cipher - 1 +
    3 + PP_UNIQUE_ID_MAX +
    7, "PP_OUT_MAX too small for the TLS TLVs");

/* Unmap ::ffff:a.b.c.d into a sockaddr_in in TMP. */
static const struct sockaddr *
unmapped(const struct sockaddr *sa, struct sockaddr_in *tmp)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

	if (sa->sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		return sa;
	memset(tmp, 0, sizeof *tmp);
	tmp->sin_family = AF_INET;
	tmp->sin_port = s6->sin6_port;
	memcpy(&tmp->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
	return (const struct sockaddr *)tmp;
}

size_t
pp_build_v1(const struct sockaddr *client, const struct sockaddr *local, char *out, size_t cap)
{
	struct sockaddr_in t1, t2;
	char c[128], l[128];
	int n;

	client = unmapped(client, &t1);
	local = unmapped(local, &t2);
	if (client->sa_family != AF_INET && client->sa_family != AF_INET6)
		n = snprintf(out, cap, "PROXY UNKNOWN\r\n");
	else {
		/* like nginx, the local side is printed whatever its family */
		pp_addr_text(client, c, sizeof c);
		pp_addr_text(local, l, sizeof l);
		n = snprintf(out, cap, "PROXY TCP%c %s %s %u %u\r\n",
		    client->sa_family == AF_INET ? '4' : '6', c, l, conn_addr_port(client), conn_addr_port(local));
	}
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* Address and port in network order, an IPv4 one promoted to ::ffff:a.b.c.d. */
static void
put_addr(const struct sockaddr *sa, bool v6, uint8_t *addr, uint8_t *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		if (v6) {
			memset(addr, 0, 10);
			addr[10] = addr[11] = 0xff;
			memcpy(addr + 12, &s4->sin_addr, 4);
		} else {
			memcpy(addr, &s4->sin_addr, 4);
		}
		memcpy(port, &s4->sin_port, 2);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		memcpy(addr, &s6->sin6_addr, 16);
		memcpy(port, &s6->sin6_port, 2);
	}
}

/* Append a TLV at *N if it fits in CAP (with ROOM bytes left after it for
 * what must follow). false if it does not. */
static bool
put_tlv(uint8_t *out, size_t cap, size_t room, size_t *n, uint8_t type, const void *val, size_t len)
{
	if (len > 0xffff || *n > cap || cap - *n < room || cap - *n - room < 3 + len)
		return false;
	out[*n] = type;
	out[*n + 1] = (uint8_t)(len >> 8);
	out[*n + 2] = (uint8_t)len;
	if (len > 0)
		memcpy(out + *n + 3, val, len);
	*n += 3 + len;
	return true;
}

/* A string TLV, left out when empty. */
static bool
put_str(uint8_t *out, size_t cap, size_t room, size_t *n, uint8_t type, const char *val, size_t max)
{
	size_t len = strnlen(val, max);

	return len == 0 || put_tlv(out, cap, room, n, type, val, len);
}

static uint32_t
ssl_verify(const struct tls_info *ti)
{
	if (ti->verify_code > 0 && (unsigned long)ti->verify_code <= 0xffffffffUL)
		return (uint32_t)ti->verify_code;
	if (ti->verify_code != 0 || ti->verdict != TLS_CERT_OK)
		return 1;
	return 0;
}

/* AUTHORITY, ALPN and SSL at *N, leaving ROOM bytes in CAP. */
static bool
put_tls(const struct tls_info *ti, uint8_t *out, size_t cap, size_t room, size_t *n)
{
	char cn[PP_SSL_CN_MAX + 1];
	size_t ssl, cnlen = 0, len;
	uint32_t verify = ssl_verify(ti);
	uint8_t client = PP2_CLIENT_SSL;

	if (!put_str(out, cap, room, n, PP2_TYPE_AUTHORITY, ti->sni, sizeof ti->sni) ||
	    !put_str(out, cap, room, n, PP2_TYPE_ALPN, ti->alpn, sizeof ti->alpn))
		return false;
	if (ti->subject[0] != '\0' || ti->fingerprint[0] != '\0')
		client |= PP2_CLIENT_CERT_CONN | PP2_CLIENT_CERT_SESS;
	if (ti->subject[0] != '\0')
		cnlen = pp_subject_cn(ti->subject, cn, sizeof cn);

	/* the SSL TLV's header and fixed part, its length patched below */
	ssl = *n;
	if (!put_tlv(out, cap, room, n, PP2_TYPE_SSL, NULL, 0) || cap - *n - room < PP2_SSL_FIXED)
		return false;
	out[*n] = client;
	out[*n + 1] = (uint8_t)(verify >> 24);
	out[*n + 2] = (uint8_t)(verify >> 16);
	out[*n + 3] = (uint8_t)(verify >> 8);
	out[*n + 4] = (uint8_t)verify;
	*n += PP2_SSL_FIXED;
	if (!put_str(out, cap, room, n, PP2_SUBTYPE_SSL_VERSION, ti->protocol, sizeof ti->protocol) ||
	    (cnlen > 0 && !put_tlv(out, cap, room, n, PP2_SUBTYPE_SSL_CN, cn, cnlen)) ||
	    !put_str(out, cap, room, n, PP2_SUBTYPE_SSL_CIPHER, ti->cipher, sizeof ti->cipher))
		return false;
	/* SIG_ALG and KEY_ALG: not in the report (see the top of the file) */
	len = *n - ssl - 3;
	if (len > 0xffff)
		return false;
	out[ssl + 1] = (uint8_t)(len >> 8);
	out[ssl + 2] = (uint8_t)len;
	return true;
}

size_t
pp_build_v2(const struct sockaddr *client, const struct sockaddr *local, uint8_t *out, size_t cap)
{
	return pp_build_v2_tls(client, local, NULL, out, cap);
}

size_t
pp_build_v2_tls(const struct sockaddr *client, const struct sockaddr *local,
    const struct tls_info *ti, uint8_t *out, size_t cap)
{
	return pp_build_v2_uid(client, local, ti, NULL, out, cap);
}

size_t
pp_build_v2_uid(const struct sockaddr *client, const struct sockaddr *local,
    const struct tls_info *ti, const char *uid, uint8_t *out, size_t cap)
{
	struct sockaddr_in t1, t2;
	size_t n = PP_V2_HDRLEN, body;
	bool inet_c, inet_l;
	uint32_t crc;

	if (cap < PP_OUT_MAX)
		return 0;
	client = unmapped(client, &t1);
	local = unmapped(local, &t2);
	inet_c = client->sa_family == AF_INET || client->sa_family == AF_INET6;
	inet_l = local->sa_family == AF_INET || local->sa_family == AF_INET6;
	memcpy(out, PP_V2_SIG, PP_V2_SIGLEN);
	if (!inet_c || !inet_l) {
		out[12] = 0x20;		/* LOCAL: nothing to say about the client */
		out[13] = 0x00;
	} else if (client->sa_family == AF_INET && local->sa_family == AF_INET) {
		out[12] = 0x21;
		out[13] = 0x11;		/* INET, STREAM */
		put_addr(client, false, out + n, out + n + 8);
		put_addr(local, false, out + n + 4, out + n + 10);
		n += 12;
	} else {
		out[12] = 0x21;
		out[13] = 0x21;		/* INET6, STREAM: the families differ or both are v6 */
		put_addr(client, true, out + n, out + n + 32);
		put_addr(local, true, out + n + 16, out + n + 34);
		n += 36;
	}
	/* the TLS TLVs, leaving room for the CRC32C one (PP_OUT_MAX holds them
	 * all, so this only fails if struct tls_info grows) */
	if (ti != NULL && !put_tls(ti, out, cap, 7, &n))
		return 0;
	if (uid != NULL && (strnlen(uid, PP_UNIQUE_ID_MAX + 1) > PP_UNIQUE_ID_MAX ||
	    !put_str(out, cap, 7, &n, PP2_TYPE_UNIQUE_ID, uid, PP_UNIQUE_ID_MAX)))
		return 0;
	/* the CRC32C TLV, last, is computed over the whole header with its value zero */
	if (!put_tlv(out, cap, 0, &n, PP2_TYPE_CRC32C, "\0\0\0\0", 4))
		return 0;
	body = n - PP_V2_HDRLEN;
	if (body > 0xffff)
		return 0;
	out[14] = (uint8_t)(body >> 8);
	out[15] = (uint8_t)body;
	crc = pp_crc32c(out, n);
	out[n - 4] = (uint8_t)(crc >> 24);
	out[n - 3] = (uint8_t)(crc >> 16);
	out[n - 2] = (uint8_t)(crc >> 8);
	out[n - 1] = (uint8_t)crc;
	return n;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Past one RFC 2253 value at S[I] (up to an unescaped ',' or '+' or the
 * end); SIZE_MAX if an escape is cut off. */
static size_t
skip_value(const char *s, size_t i)
{
	while (s[i] != '\0' && s[i] != ',' && s[i] != '+') {
		if (s[i] == '\\') {
			if (s[i + 1] == '\0')
				return SIZE_MAX;
			i += hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0 ? 3 : 2;
		} else {
			i++;
		}
	}
	return i;
}

size_t
pp_subject_cn(const char *s, char *out, size_t cap)
{
	size_t i = 0, cn = SIZE_MAX, o = 0;

	/* each attribute: TYPE=VALUE, separated by ',' (RDNs) or '+' (within one) */
	while (s[i] != '\0') {
		size_t t = i;

		while (s[i] != '\0' && s[i] != '=' && s[i] != ',' && s[i] != '+')
			i++;
		if (s[i] != '=')
			return 0;
		if (i - t == 2 && (s[t] == 'C' || s[t] == 'c') && (s[t + 1] == 'N' || s[t + 1] == 'n'))
			cn = i + 1;
		if ((i = skip_value(s, i + 1)) == SIZE_MAX)
			return 0;
		if (s[i] != '\0')
			i++;
	}
	if (cn == SIZE_MAX || s[cn] == '#')
		return 0;
	for (i = cn; s[i] != '\0' && s[i] != ',' && s[i] != '+'; ) {
		int c;

		if (s[i] == '\\' && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			c = hexval(s[i + 1]) << 4 | hexval(s[i + 2]);
			i += 3;
		} else if (s[i] == '\\') {
			c = (unsigned char)s[i + 1];
			i += 2;
		} else {
			c = (unsigned char)s[i++];
		}
		if (c == 0 || o + 1 >= cap)
			return 0;	/* an embedded NUL, or too long: left out, never cut */
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o;
}

/* Bitwise, reflected polynomial 0x82F63B78: a header is a few dozen bytes
 * once per connection, a table would be wasted start-up work. */
uint32_t
pp_crc32c(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		crc ^= b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return crc ^ 0xffffffffu;
}

int
proxy_send_header(struct session *s)
{
	const struct sockaddr *client = (const struct sockaddr *)&s->conn->peer;
	const struct sockaddr *local = (const struct sockaddr *)&s->conn->local;
	uint8_t buf[PP_OUT_MAX];
	struct iovec iov;
	size_t n;

	if (s->srv->proxy_protocol == 2)
		n = pp_build_v2_uid(client, local, s->tls ? s->tlsinfo : NULL,
		    s->client_id ? log_session_id() : NULL, buf, sizeof buf);
	else
		n = pp_build_v1(client, local, (char *)buf, sizeof buf);
	if (n == 0) {
		log_msg(MP_LOG_ALERT, "too small buffer for PROXY protocol");
		return -1;
	}
	iov.iov_base = buf;
	iov.iov_len = n;
	switch (backend_send(s->bfd, &iov, 1, s->deadline)) {
	case BACKEND_OK:
		return 0;
	case BACKEND_TIMEOUT:
		log_msg(MP_LOG_INFO, "upstream timed out (%d: %s)", ETIMEDOUT, strerror(ETIMEDOUT));
		return -1;
	default:
		if (errno == EMSGSIZE)
			log_msg(MP_LOG_ERR, "could not send PROXY protocol header at once");
		else
			log_msg(MP_LOG_ERR, "send() failed (%d: %s)", errno, strerror(errno));
		return -1;
	}
}
