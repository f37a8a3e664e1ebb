/* SPDX-License-Identifier: ISC */
/* test_realip.c: set_real_ip_from matching (addresses, CIDRs, unix:,
 * v4-mapped peers) and the replacement of the client address. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "realip.h"
#include "unit.h"

static struct mp_cidr
cidr(int family, const char *addr, int bits)
{
	struct mp_cidr c;
	int len = family == AF_INET ? 4 : 16;

	memset(&c, 0, sizeof c);
	c.family = family;
	if (family == AF_UNIX)
		return c;
	inet_pton(family, addr, c.addr);
	for (int i = 0; i < len; i++) {
		int b = bits - i * 8;

		c.mask[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (uint8_t)(0xff << (8 - b));
		c.addr[i] &= c.mask[i];
	}
	return c;
}

static const struct sockaddr *
peer(const char *ip, unsigned port)
{
	static struct sockaddr_storage ss;

	memset(&ss, 0, sizeof ss);
	if (strcmp(ip, "unix:") == 0) {
		ss.ss_family = AF_UNIX;
	} else if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return (const struct sockaddr *)&ss;
}

static void
test_match(void)
{
	struct mp_cidr from[4];

	from[0] = cidr(AF_INET, "127.0.0.1", 32);
	from[1] = cidr(AF_INET, "10.0.0.0", 8);
	from[2] = cidr(AF_INET6, "2001:db8::", 32);
	from[3] = cidr(AF_UNIX, NULL, 0);

	CHECK(realip_match(from, 2, peer("127.0.0.1", 1)));
	CHECK(!realip_match(from, 2, peer("127.0.0.2", 1)));
	CHECK(realip_match(from, 2, peer("10.200.3.4", 1)));
	CHECK(!realip_match(from, 2, peer("11.0.0.1", 1)));
	/* an IPv4 client on a dual-stack socket is matched as IPv4 */
	CHECK(realip_match(from, 2, peer("::ffff:10.1.2.3", 1)));
	CHECK(!realip_match(from, 2, peer("::ffff:11.1.2.3", 1)));
	CHECK(!realip_match(from, 2, peer("2001:db8::1", 1)));
	CHECK(realip_match(from, 3, peer("2001:db8:ffff::1", 1)));
	CHECK(!realip_match(from, 3, peer("2001:db9::1", 1)));
	CHECK(!realip_match(from, 3, peer("unix:", 0)));
	CHECK(realip_match(from, 4, peer("unix:", 0)));
	CHECK(!realip_match(from + 3, 1, peer("127.0.0.1", 1)));
	CHECK(!realip_match(from, 0, peer("127.0.0.1", 1)));
	/* 0.0.0.0/0 and ::/0 trust everyone of their family */
	from[0] = cidr(AF_INET, "0.0.0.0", 0);
	from[1] = cidr(AF_INET6, "::", 0);
	CHECK(realip_match(from, 1, peer("203.0.113.9", 1)));
	CHECK(!realip_match(from, 1, peer("::1", 1)));
	CHECK(realip_match(from, 2, peer("::1", 1)));
}

static void
conn_at(struct conn *c, const char *ip, unsigned port)
{
	const struct sockaddr *sa = peer(ip, port);

	memset(c, 0, sizeof *c);
	memcpy(&c->peer, sa, sizeof c->peer);
	c->peerlen = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	conn_addr_ip(sa, c->peer_ip, sizeof c->peer_ip);
	conn_addr_text(sa, c->peer_text, sizeof c->peer_text);
	c->peer_port = port;
}

static void
test_apply(void)
{
	static struct pp_header h;
	struct mp_cidr from[1];
	struct mp_server srv;
	struct conn c;
	const char *hdr = "PROXY TCP4 192.0.2.1 127.0.0.1 5555 143\r\n";

	memset(&srv, 0, sizeof srv);
	from[0] = cidr(AF_INET, "127.0.0.1", 32);
	CHECK(pp_parse(hdr, strlen(hdr), &h) == PP_OK);

	/* no set_real_ip_from: nothing changes */
	conn_at(&c, "127.0.0.1", 40000);
	CHECK(realip_apply(&srv, &c, &h) == 0);
	CHECK_STR(c.peer_ip, "127.0.0.1");

	srv.real_ip_from = from;
	srv.nreal_ip_from = 1;
	CHECK(realip_apply(&srv, &c, &h) == 1);
	CHECK_STR(c.peer_ip, "192.0.2.1");
	CHECK_STR(c.peer_text, "192.0.2.1:5555");
	CHECK(c.peer_port == 5555 && c.peer.ss_family == AF_INET);
	CHECK(ntohs(((struct sockaddr_in *)&c.peer)->sin_port) == 5555);
	CHECK(c.peerlen == sizeof(struct sockaddr_in));

	/* an untrusted peer keeps its address */
	conn_at(&c, "127.0.0.2", 40000);
	CHECK(realip_apply(&srv, &c, &h) == 0);
	CHECK_STR(c.peer_ip, "127.0.0.2");
	CHECK_STR(c.peer_text, "127.0.0.2:40000");

	/* UNKNOWN carries no address */
	hdr = "PROXY UNKNOWN\r\n";
	CHECK(pp_parse(hdr, strlen(hdr), &h) == PP_OK);
	conn_at(&c, "127.0.0.1", 40000);
	CHECK(realip_apply(&srv, &c, &h) == 0);

	/* the source must parse as an address */
	hdr = "PROXY TCP4 1:2 127.0.0.1 5555 143\r\n";
	CHECK(pp_parse(hdr, strlen(hdr), &h) == PP_OK);
	CHECK(realip_apply(&srv, &c, &h) == 0);
	hdr = "PROXY TCP4  127.0.0.1 5555 143\r\n";
	CHECK(pp_parse(hdr, strlen(hdr), &h) == PP_OK);
	CHECK(realip_apply(&srv, &c, &h) == 0);
	CHECK_STR(c.peer_ip, "127.0.0.1");

	/* IPv6 sources get nginx's text and brackets with the port */
	hdr = "PROXY TCP6 2001:DB8:0:0::1 ::1 65535 143\r\n";
	CHECK(pp_parse(hdr, strlen(hdr), &h) == PP_OK);
	CHECK(realip_apply(&srv, &c, &h) == 1);
	CHECK_STR(c.peer_ip, "2001:db8::1");
	CHECK_STR(c.peer_text, "[2001:db8::1]:65535");
	CHECK(c.peer.ss_family == AF_INET6 && c.peerlen == sizeof(struct sockaddr_in6));

	/* TCP4 with an IPv6 source: nginx believes the address, not the word */
	hdr = "PROXY TCP4 ::ffff:192.0.2.7 1.2.3.4 1 2\r\n";
	CHECK(pp_parse(hdr, strlen(hdr), &h) == PP_OK);
	conn_at(&c, "127.0.0.1", 40000);
	CHECK(realip_apply(&srv, &c, &h) == 1);
	CHECK_STR(c.peer_ip, "::ffff:192.0.2.7");

	/* a unix peer trusted by unix: */
	from[0] = cidr(AF_UNIX, NULL, 0);
	hdr = "PROXY TCP4 192.0.2.1 127.0.0.1 5555 143\r\n";
	CHECK(pp_parse(hdr, strlen(hdr), &h) == PP_OK);
	memset(&c, 0, sizeof c);
	c.peer.ss_family = AF_UNIX;
	CHECK(realip_apply(&srv, &c, &h) == 1);
	CHECK_STR(c.peer_ip, "192.0.2.1");
}

int
main(void)
{
	test_match();
	test_apply();
	UNIT_DONE();
}
