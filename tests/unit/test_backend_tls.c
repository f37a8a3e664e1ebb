/* SPDX-License-Identifier: ISC */
/* test_backend_tls.c: which TLS a backend login gets from the configuration
 * and the auth server's Auth-Backend-TLS* headers, and which names may
 * reach SNI, the certificate check and mailproxy-tls's argv. */
#include <arpa/inet.h>
#include <string.h>

#include "backend_tls.h"
#include "unit.h"

static struct mp_server srv;
static struct session s;

static void
upstream(int family, const char *addr)
{
	memset(&s.upstream, 0, sizeof s.upstream);
	s.upstream.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		inet_pton(AF_INET, addr, &((struct sockaddr_in *)&s.upstream)->sin_addr);
	else
		inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&s.upstream)->sin6_addr);
}

/* backend_tls_choose over the reply headers HDRS */
static int
choose(const char *hdrs)
{
	static struct auth_reply r;
	char buf[1024];

	snprintf(buf, sizeof buf, "HTTP/1.0 200 OK\r\nAuth-Status: OK\r\n%s\r\n", hdrs);
	auth_reply_init(&r);
	if (auth_reply_feed(&r, buf, strlen(buf)) != AUTH_R_DONE)
		return -2;
	memset(s.btls_name, 'x', sizeof s.btls_name);
	return backend_tls_choose(&s, &r);
}

static void
names(void)
{
	char n[300];

	CHECK(backend_tls_name_ok("mail.test", 9));
	CHECK(backend_tls_name_ok("127.0.0.1", 9));
	CHECK(backend_tls_name_ok("2001:db8::1", 11));
	CHECK(backend_tls_name_ok("_srv.mail-1.test", 16));
	CHECK(!backend_tls_name_ok("", 0));
	CHECK(!backend_tls_name_ok("a b", 3));
	CHECK(!backend_tls_name_ok("a\"b", 3));
	CHECK(!backend_tls_name_ok("a\r\nb", 4));
	CHECK(!backend_tls_name_ok("a\0b", 3));
	CHECK(!backend_tls_name_ok("a/b", 3));
	CHECK(!backend_tls_name_ok("m\xc3\xa9l", 4));
	memset(n, 'a', sizeof n);
	CHECK(backend_tls_name_ok(n, 253));
	CHECK(!backend_tls_name_ok(n, 254));
}

static void
choices(void)
{
	srv.auth_http.text = "127.0.0.1:9000/auth";
	srv.ptls.mode = MP_PROXY_SSL_ON;
	srv.ptls.verify = true;
	s.srv = &srv;

	/* the configuration, and nginx's default name: the Auth-Server address */
	upstream(AF_INET, "127.0.0.2");
	CHECK(choose("") == 0);
	CHECK(s.btls == MP_PROXY_SSL_ON);
	CHECK(s.btls_verify);
	CHECK_STR(s.btls_name, "127.0.0.2");
	upstream(AF_INET6, "::1");
	CHECK(choose("") == 0);
	CHECK_STR(s.btls_name, "::1");
	srv.ptls.name = "mail.test";
	CHECK(choose("") == 0);
	CHECK_STR(s.btls_name, "mail.test");

	/* the auth server's headers win, in any case */
	CHECK(choose("Auth-Backend-TLS: STARTTLS\r\nAuth-Backend-TLS-Name: imap.example\r\n"
	    "Auth-Backend-TLS-Verify: off\r\n") == 0);
	CHECK(s.btls == MP_PROXY_SSL_STARTTLS);
	CHECK(!s.btls_verify);
	CHECK_STR(s.btls_name, "imap.example");
	CHECK(choose("Auth-Backend-TLS: off\r\n") == 0);
	CHECK(s.btls == MP_PROXY_SSL_OFF);
	/* the last of a repeated header counts, as for every other */
	CHECK(choose("Auth-Backend-TLS: off\r\nAuth-Backend-TLS: on\r\n") == 0);
	CHECK(s.btls == MP_PROXY_SSL_ON);

	/* anything else fails the login: never a silent fallback to clear text */
	CHECK(choose("Auth-Backend-TLS: yes\r\n") == -1);
	CHECK(choose("Auth-Backend-TLS: on \r\n") == 0);	/* trailing spaces are the parser's to drop */
	CHECK(choose("Auth-Backend-TLS: onx\r\n") == -1);
	CHECK(choose("Auth-Backend-TLS-Verify: 1\r\n") == -1);
	CHECK(choose("Auth-Backend-TLS-Name: a b\r\n") == -1);
	CHECK(choose("Auth-Backend-TLS-Name: mail.test\"\r\n") == -1);
	CHECK(choose("Auth-Backend-TLS-Name: a%0Ab\r\n") == -1);
}

int
main(void)
{
	names();
	choices();
	UNIT_DONE();
}
