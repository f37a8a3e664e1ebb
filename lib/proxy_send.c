/* proxy_send.c: the PROXY header nginx writes to a backend right after the
 * connect (spec 3.6, 3.9): `proxy_protocol on` is v1, `v2` is the binary
 * form with a CRC32C TLV. "client" is the connection's client after
 * set_real_ip_from, "local" the address the client connected to (never
 * the PROXY header's destination).
 *
 * A v4-mapped IPv6 address (an IPv4 client on a dual-stack systemd socket)
 * is written as the IPv4 address it is, as conn.c names it everywhere else;
 * nginx's own sockets never produce one.
 *
 * Not yet: the TLS TLVs nginx adds when the client connection is TLS
 * (AUTHORITY = SNI, ALPN, and SSL with the client flags, verify result and
 * the VERSION, CN, CIPHER, SIG_ALG, KEY_ALG sub-TLVs). They need the
 * handshake details from mailproxy-tls (struct tls_info) passed in here;
 * the CRC32C TLV must stay the last one. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "backend.h"
#include "clock.h"
#include "log.h"
#include "proxy_proto.h"

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

static unsigned
port_of(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return 0;
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
		    client->sa_family == AF_INET ? '4' : '6', c, l, port_of(client), port_of(local));
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

size_t
pp_build_v2(const struct sockaddr *client, const struct sockaddr *local, uint8_t *out, size_t cap)
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
	/* the CRC32C TLV is computed over the whole header with its value zero */
	out[n] = PP2_TYPE_CRC32C;
	out[n + 1] = 0;
	out[n + 2] = 4;
	memset(out + n + 3, 0, 4);
	n += 7;
	body = n - PP_V2_HDRLEN;
	out[14] = (uint8_t)(body >> 8);
	out[15] = (uint8_t)body;
	crc = pp_crc32c(out, n);
	out[n - 4] = (uint8_t)(crc >> 24);
	out[n - 3] = (uint8_t)(crc >> 16);
	out[n - 2] = (uint8_t)(crc >> 8);
	out[n - 1] = (uint8_t)crc;
	return n;
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
		n = pp_build_v2(client, local, buf, sizeof buf);
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
