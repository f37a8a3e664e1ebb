/* SPDX-License-Identifier: ISC */
/* test_resolver.c: the resolver's pure parts (name check, PTR query names,
 * `resolver` words, the no-DNS outcomes); and, as
 *     test_resolver probe "SERVERS" CLIENT-IP TIMEOUT-MS [ipv4=off|ipv6=off]
 * one resolver_client_host() call against real servers, printing
 * "rc=N host=<escaped value>" (tests/resolver.bats runs it against dnsmasq
 * and tests/lib/dns_evil.py). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "log.h"
#include "resolver.h"
#include "unit.h"

static struct sockaddr_storage ss;

static const struct sockaddr *
addr(const char *ip)
{
	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, ip, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		ss.ss_family = AF_UNIX;
	return (const struct sockaddr *)&ss;
}

static int
probe(int argc, char **argv)
{
	static const char *words[16];
	static char list[1024];
	struct mp_server srv;
	char out[256];
	size_t n = 0;
	int rc;

	if (argc < 5)
		return 2;
	memset(&srv, 0, sizeof srv);
	snprintf(list, sizeof list, "%s", argv[2]);
	for (char *w = strtok(list, " "); w != NULL && n < 16; w = strtok(NULL, " "))
		words[n++] = w;
	srv.resolver.v = words;
	srv.resolver.n = n;
	srv.resolver_timeout_ms = atoll(argv[4]);
	srv.resolver_ipv4 = srv.resolver_ipv6 = true;
	for (int i = 5; i < argc; i++) {
		if (strcmp(argv[i], "ipv4=off") == 0)
			srv.resolver_ipv4 = false;
		if (strcmp(argv[i], "ipv6=off") == 0)
			srv.resolver_ipv6 = false;
	}
	log_init("mailproxy");
	log_reset(MP_LOG_INFO);
	rc = resolver_client_host(&srv, addr(argv[3]), out, sizeof out);
	printf("rc=%d host=", rc);
	for (const unsigned char *p = (const unsigned char *)out; *p != '\0'; p++)
		printf(*p >= 0x21 && *p < 0x7f ? "%c" : "\\x%02x", *p);
	printf("\n");
	return 0;
}

static void
qname(const char *ip, const char *want)
{
	char out[128];

	CHECK(resolver_ptr_qname(addr(ip), out, sizeof out) == 0);
	CHECK_STR(out, want);
}

static void
server(const char *word, int family, const char *ip, unsigned port)
{
	struct sockaddr_storage out[4];
	char text[64];
	unsigned p;

	CHECK(resolver_parse_server(word, out, 4) == 1);
	CHECK(out[0].ss_family == family);
	if (family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&out[0])->sin_addr, text, sizeof text);
		p = ntohs(((struct sockaddr_in *)&out[0])->sin_port);
	} else {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&out[0])->sin6_addr, text, sizeof text);
		p = ntohs(((struct sockaddr_in6 *)&out[0])->sin6_port);
	}
	CHECK_STR(text, ip);
	CHECK(p == port);
}

int
main(int argc, char **argv)
{
	struct mp_server srv;
	struct sockaddr_storage out[4];
	struct sockaddr_un un;
	const char *words[] = { "127.0.0.1" };
	char host[256];

	if (argc > 1 && strcmp(argv[1], "probe") == 0)
		return probe(argc, argv);

	CHECK(resolver_name_ok("mail.example.com"));
	CHECK(resolver_name_ok("A-1.b"));
	CHECK(!resolver_name_ok(""));
	CHECK(!resolver_name_ok("a b"));
	CHECK(!resolver_name_ok("evil\r\nX: y"));
	CHECK(!resolver_name_ok("a_b.example"));
	CHECK(!resolver_name_ok("a\\.b"));
	CHECK(!resolver_name_ok("caf\xc3\xa9.example"));

	qname("192.0.2.1", "1.2.0.192.in-addr.arpa");
	qname("::ffff:192.0.2.1", "1.2.0.192.in-addr.arpa");
	qname("2001:db8::5", "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");

	server("127.0.0.1", AF_INET, "127.0.0.1", 53);
	server("127.0.0.1:5353", AF_INET, "127.0.0.1", 5353);
	server("[::1]:5353", AF_INET6, "::1", 5353);
	server("[::1]", AF_INET6, "::1", 53);
	server("::1", AF_INET6, "::1", 53);
	CHECK(resolver_parse_server("127.0.0.1:0", out, 4) == -1);
	CHECK(resolver_parse_server("127.0.0.1:65536", out, 4) == -1);
	CHECK(resolver_parse_server("127.0.0.1:x", out, 4) == -1);
	CHECK(resolver_parse_server("[::1", out, 4) == -1);
	CHECK(resolver_parse_server("[::1]x", out, 4) == -1);

	/* no DNS needed: resolver off, and a unix-socket client */
	memset(&srv, 0, sizeof srv);
	srv.resolver_ipv4 = srv.resolver_ipv6 = true;
	srv.resolver_timeout_ms = 1000;
	CHECK(resolver_client_host(&srv, addr("192.0.2.1"), host, sizeof host) == RESOLVER_UNAVAIL);
	CHECK_STR(host, "[UNAVAILABLE]");
	srv.resolver.v = words;
	srv.resolver.n = 1;
	memset(&un, 0, sizeof un);
	un.sun_family = AF_UNIX;
	CHECK(resolver_client_host(&srv, (struct sockaddr *)&un, host, sizeof host) ==
	    RESOLVER_TEMPUNAVAIL);
	CHECK_STR(host, "[TEMPUNAVAIL]");
	UNIT_DONE();
}
