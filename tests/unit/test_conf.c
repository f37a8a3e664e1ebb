/* SPDX-License-Identifier: ISC */
/* test_conf.c: the configuration parser against nginx's grammar, values,
 * defaults, inheritance and error messages (each checked against nginx
 * 1.22's "nginx -t", or the newer wording where nginx changed it). */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "conf_int.h"
#include "sasl.h"
#include "unit.h"

static char dir[] = "/tmp/test_conf.XXXXXX";
static char err[1024];

static const char seed[] =
	"worker_processes 1;\n"
	"error_log /var/log/nginx/error.log info;\n"
	"events {\n"
	"    worker_connections  1024;\n"
	"}\n"
	"mail {\n"
	"    server_name       mail.example.com;\n"
	"    auth_http         localhost:9000/cgi-bin/nginxauth.cgi;\n"
	"    imap_capabilities IMAP4rev1 UIDPLUS IDLE LITERAL+ QUOTA;\n"
	"    pop3_auth         plain apop cram-md5;\n"
	"    pop3_capabilities LAST TOP USER PIPELINING UIDL;\n"
	"    smtp_auth         login plain cram-md5;\n"
	"    smtp_capabilities \"SIZE 10485760\" ENHANCEDSTATUSCODES 8BITMIME DSN;\n"
	"    xclient           off;\n"
	"    server { listen 25; protocol smtp; }\n"
	"    server { listen 110; protocol pop3; proxy_pass_error_message on; }\n"
	"    server { listen 143; protocol imap; }\n"
	"    server { listen 587; protocol smtp; }\n"
	"}\n";

static const char *path_in(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(path_in(name), "w");

	if (f == NULL) {
		perror(name);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

/* Parse TEXT as "/x.conf"; returns the error text or "ok". */
static const char *parse(struct mp_conf *cf, const char *text)
{
	if (conf_load_buffer(cf, "/x.conf", text, strlen(text), err, sizeof(err)) < 0)
		return err;
	return "ok";
}

static const char *perr(const char *text)
{
	struct mp_conf cf;

	return parse(&cf, text);
}

#define MAIL(body) "mail { auth_http 127.0.0.1:9000; " body " }"

static void test_seed(void)
{
	struct mp_conf cf;
	const struct mp_server *s;

	write_file("seed.conf", seed);
	CHECK(conf_load(&cf, path_in("seed.conf"), err, sizeof(err)) == 0);
	CHECK_STR(cf.file, path_in("seed.conf"));
	CHECK(cf.nservers == 4 && cf.nlistens == 4);
	if (cf.nservers != 4 || cf.nlistens != 4)
		return;
	CHECK(cf.nerror_log == 1);
	CHECK_STR(cf.error_log[0].path, "/var/log/nginx/error.log");
	CHECK(cf.error_log[0].level == MP_LOG_INFO);
	CHECK_STR(cf.listens[0].text, "0.0.0.0:25");
	CHECK_STR(cf.listens[2].text, "0.0.0.0:143");
	CHECK(cf.listens[1].server == &cf.servers[1]);
	CHECK(cf.listens[0].wildcard && !cf.listens[0].ssl);
	CHECK(cf.listens[0].line == 15);

	s = &cf.servers[0];
	CHECK(s->protocol == MP_PROTO_SMTP && s->line == 15);
	CHECK_STR(s->server_name, "mail.example.com");
	CHECK_STR(s->auth_http.text, "localhost:9000/cgi-bin/nginxauth.cgi");
	CHECK_STR(s->auth_http.host, "localhost");
	CHECK(s->auth_http.port == 9000 && !s->auth_http.is_unix && s->auth_http.addrlen == 0);
	CHECK_STR(s->auth_http.uri, "/cgi-bin/nginxauth.cgi");
	CHECK(s->imap_capabilities.n == 5);
	CHECK_STR(s->imap_capabilities.v[3], "LITERAL+");
	CHECK(s->pop3_auth == (MP_AUTH_PLAIN | MP_AUTH_APOP | MP_AUTH_CRAM_MD5));
	CHECK(s->smtp_auth == (MP_AUTH_PLAIN | MP_AUTH_LOGIN | MP_AUTH_CRAM_MD5));
	CHECK(s->smtp_capabilities.n == 4);
	CHECK_STR(s->smtp_capabilities.v[0], "SIZE 10485760");
	CHECK(!s->xclient && !s->proxy_pass_error_message);
	CHECK(cf.servers[1].proxy_pass_error_message && cf.servers[1].protocol == MP_PROTO_POP3);
	CHECK(cf.servers[2].protocol == MP_PROTO_IMAP);
	/* no error_log in mail{}: the main one */
	CHECK(s->nerror_log == 1 && s->error_log == cf.error_log);

	/* defaults */
	CHECK(s->timeout_ms == 60000 && s->resolver_timeout_ms == 30000 && s->max_errors == 5);
	CHECK(s->resolver.n == 0 && s->auth_http_timeout_ms == 60000);
	CHECK(s->proxy_buffer == 4096 && s->proxy_timeout_ms == 86400000);
	CHECK(s->imap_client_buffer == 4096 && s->smtp_client_buffer == 4096);
	CHECK(s->imap_auth == MP_AUTH_PLAIN && s->smtp_greeting_delay_ms == 0);
	CHECK(!s->proxy && s->proxy_protocol == 0 && !s->proxy_smtp_auth);
	CHECK(s->ssl.starttls == MP_STARTTLS_OFF && s->ssl.protocols == (16 | 32));
	CHECK_STR(s->ssl.ciphers, "HIGH:!aNULL:!MD5");
	CHECK_STR(s->ssl.ecdh_curve, "auto");
	CHECK_STR(s->ssl.session_cache, "none");
	CHECK(s->ssl.session_tickets && s->ssl.session_timeout_ms == 300000);
	CHECK(s->ssl.verify_client == MP_VERIFY_OFF && s->ssl.verify_depth == 1);
	CHECK(s->nreal_ip_from == 0 && s->nauth_http_headers == 0);
}

static void test_grammar(void)
{
	struct mp_conf cf;

	CHECK_STR(parse(&cf, MAIL("server_name \"a\\\"b\\\\c\\nd\\te\\x\";"
	    "server { listen 25; }")), "ok");
	CHECK_STR(cf.servers[0].server_name, "a\"b\\c\nd\te\\x");
	CHECK_STR(parse(&cf, MAIL("server_name 'it\\'s';  # comment ; }\n"
	    "server { listen 25; smtp_capabilities a#b c}d \"x y\" 'p q';}")), "ok");
	CHECK_STR(cf.servers[0].server_name, "it's");
	CHECK(cf.servers[0].smtp_capabilities.n == 4);
	CHECK_STR(cf.servers[0].smtp_capabilities.v[0], "a#b");
	CHECK_STR(cf.servers[0].smtp_capabilities.v[1], "c}d");
	CHECK_STR(cf.servers[0].smtp_capabilities.v[2], "x y");
	CHECK_STR(parse(&cf, MAIL("server_name a\\ b;server{listen 25;}")), "ok");
	CHECK_STR(cf.servers[0].server_name, "a\\ b");
	/* a directive over several lines is blamed on the line of its end */
	CHECK_STR(perr("mail {\n timeout\n 5s\n 6s\n ;\n}"),
	    "invalid number of arguments in \"timeout\" directive in /x.conf:5");
	CHECK_STR(perr("\"a\"#c\n;"), "unexpected \"#\" in /x.conf:1");
	CHECK_STR(perr("x${a;b};"), "unknown directive \"x${a\" in /x.conf:1");
	CHECK_STR(perr("a 'x'y;"), "unexpected \"y\" in /x.conf:1");
	CHECK_STR(perr("foo"), "unexpected end of file, expecting \";\" or \"}\" in /x.conf:1");
	CHECK_STR(perr("mail {\n"), "unexpected end of file, expecting \"}\" in /x.conf:2");
	CHECK_STR(perr("}"), "unexpected \"}\" in /x.conf:1");
	CHECK_STR(perr("a b } c;"), "unexpected \"}\" in /x.conf:1");
	CHECK_STR(perr(";"), "unexpected \";\" in /x.conf:1");
	CHECK_STR(perr("# only a comment"), "ok");
	CHECK_STR(perr(""), "ok");
	/* skipped blocks must still be well formed */
	CHECK_STR(perr("http { server { location / { root \"/x\"; } } } stream { }"), "ok");
	CHECK_STR(perr("http { server { location / { } }"),
	    "unexpected end of file, expecting \"}\" in /x.conf:1");
	CHECK_STR(perr("events { } events { }"), "\"events\" directive is duplicate in /x.conf:1");
	{
		char big[5000];

		memset(big, 'x', sizeof(big));
		memcpy(big + 4096, ";", 2);
		CHECK_STR(perr(big), "too long parameter \"xxxxxxxxxx...\" started in /x.conf:1");
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		big[0] = '"';
		CHECK_STR(perr(big),
		    "too long parameter, probably missing terminating \"\"\" character in /x.conf:1");
	}
}

static void test_include(void)
{
	struct mp_conf cf;
	char text[512];

	mkdir(path_in("conf.d"), 0700);
	write_file("conf.d/b.conf", "server { listen 110; }\n");
	write_file("conf.d/a.conf", "server {\n listen 143;\n}\n");
	write_file("conf.d/c.txt", "bogus;\n");
	write_file("inc.conf", "mail {\n auth_http 127.0.0.1;\n include conf.d/*.conf;\n"
	    " include conf.d/*.none;\n}\n");
	CHECK(conf_load(&cf, path_in("inc.conf"), err, sizeof(err)) == 0);
	CHECK(cf.nservers == 2);
	if (cf.nservers == 2) {	/* glob order: a, b */
		CHECK(cf.servers[0].protocol == MP_PROTO_IMAP);
		CHECK_STR(cf.servers[0].file, path_in("conf.d/a.conf"));
		CHECK(cf.servers[1].protocol == MP_PROTO_POP3 && cf.listens[1].line == 1);
	}
	write_file("conf.d/d.conf", "server { listen 25;\n bogus; }\n");
	CHECK(conf_load(&cf, path_in("inc.conf"), err, sizeof(err)) < 0);
	snprintf(text, sizeof(text), "unknown directive \"bogus\" in %s:2", path_in("conf.d/d.conf"));
	CHECK_STR(err, text);
	write_file("inc2.conf", "include missing.conf;\n");
	CHECK(conf_load(&cf, path_in("inc2.conf"), err, sizeof(err)) < 0);
	snprintf(text, sizeof(text), "open() \"%s\" failed (2: No such file or directory) in %s:1",
	    path_in("missing.conf"), path_in("inc2.conf"));
	CHECK_STR(err, text);
	write_file("inc3.conf", "mail { include conf.d/e.conf; }");
	write_file("conf.d/e.conf", "}");
	CHECK(conf_load(&cf, path_in("inc3.conf"), err, sizeof(err)) < 0);
	snprintf(text, sizeof(text), "unexpected \"}\" in %s:1", path_in("conf.d/e.conf"));
	CHECK_STR(err, text);
	CHECK(conf_load(&cf, "/nonexistent/m.conf", err, sizeof(err)) < 0);
	CHECK_STR(err, "open() \"/nonexistent/m.conf\" failed (2: No such file or directory)");
	CHECK(conf_parse_buffer(&cf, "/x.conf", "include /etc/passwd;", 20, CONF_NOINCLUDE,
	    err, sizeof(err)) < 0);
}

static void test_values(void)
{
	CHECK(conf_parse_time("1h30m", 5, false) == 5400000);
	CHECK(conf_parse_time("1h 30m", 6, false) == 5400000);
	CHECK(conf_parse_time("30", 2, false) == 30000);
	CHECK(conf_parse_time("5ms", 3, false) == 5);
	CHECK(conf_parse_time("1d2h3m4s5ms", 11, false) == ((26 * 60 + 3) * 60 + 4) * 1000 + 5);
	CHECK(conf_parse_time("2w", 2, false) == 14LL * 86400 * 1000);
	CHECK(conf_parse_time("1s2h", 4, false) == -1);
	CHECK(conf_parse_time("1y", 2, false) == -1);	/* msec values stop at weeks */
	CHECK(conf_parse_time("1y", 2, true) == 365 * 86400);
	CHECK(conf_parse_time("1M", 2, true) == 30 * 86400);
	CHECK(conf_parse_time("5ms", 3, true) == -1);
	CHECK(conf_parse_time("", 0, false) == -1);
	CHECK(conf_parse_time("x", 1, false) == -1);
	CHECK(conf_parse_time("99999999999999999999", 20, false) == -1);
	CHECK(conf_parse_size("4096", 4) == 4096);
	CHECK(conf_parse_size("4k", 2) == 4096 && conf_parse_size("4K", 2) == 4096);
	CHECK(conf_parse_size("2m", 2) == 2 << 20 && conf_parse_size("2M", 2) == 2 << 20);
	CHECK(conf_parse_size("1g", 2) == -1);	/* nginx's ngx_parse_size has no g */
	CHECK(conf_parse_size("k", 1) == -1 && conf_parse_size("", 0) == -1);
	CHECK(conf_parse_size("-1", 2) == -1);
	CHECK(conf_atoi("0", 1) == 0 && conf_atoi("12", 2) == 12);
	CHECK(conf_atoi("1 ", 2) == -1 && conf_atoi("+1", 2) == -1);
	CHECK(conf_atoi("99999999999999999999", 20) == -1);
	CHECK(conf_parse_flag("on") == 1 && conf_parse_flag("OFF") == 0 && conf_parse_flag("1") == -1);
}

static void test_directives(void)
{
	struct mp_conf cf;
	const struct mp_server *s;

	CHECK_STR(parse(&cf, "mail { auth_http unix:/run/auth.sock:/auth?x=1;"
	    " timeout \"1h 30m\"; timeout_x: ; }"), "unknown directive \"timeout_x:\" in /x.conf:1");
	CHECK_STR(parse(&cf, "mail {\n"
	    " auth_http http://[::1]:8080;\n"
	    " auth_http_header X-Auth-Key secret;\n"
	    " auth_http_header X-Other \"a b\";\n"
	    " imap_capabilities IMAP4rev1;\n"
	    " set_real_ip_from 10.1.2.3/8;\n"
	    " resolver 127.0.0.1 [::1]:5353 valid=30s ipv6=off status_zone=z;\n"
	    " error_log stderr debug_mail;\n"
	    " starttls on;\n"
	    " ssl_certificate cert.pem; ssl_certificate_key /k.pem;\n"
	    " ssl_session_cache builtin:1000 shared:MAIL:10m;\n"
	    " ssl_protocols TLSv1.2; ssl_protocols TLSv1.3;\n"
	    " ssl_conf_command Options PrioritizeChaCha;\n"
	    " proxy_protocol v2; proxy_buffer 16k; smtp_greeting_delay 500ms;\n"
	    " ssl_session_timeout 10m; ssl_verify_client optional_no_ca; ssl_verify_depth 3;\n"
	    " server { listen 143; imap_capabilities IMAP4 IDLE; auth_http_header A b;\n"
	    "   server_name \"\"; set_real_ip_from unix:; set_real_ip_from ::1; error_log /l.log warn; }\n"
	    " server { listen 110; auth_http unix:/run/auth.sock:/auth?x=1; timeout 1s; }\n"
	    "}\n"), "ok");
	CHECK(cf.nservers == 2);
	if (cf.nservers != 2)
		return;
	s = &cf.servers[0];
	CHECK(s->imap_capabilities.n == 2 && s->nauth_http_headers == 1);
	CHECK_STR(s->auth_http_headers[0].name, "A");
	CHECK_STR(s->auth_http.host, "[::1]");
	CHECK(s->auth_http.port == 8080 && s->auth_http.addrlen == sizeof(struct sockaddr_in6));
	CHECK_STR(s->auth_http.uri, "/");
	CHECK(s->nreal_ip_from == 2 && s->real_ip_from[0].family == AF_UNIX);
	CHECK(s->real_ip_from[1].family == AF_INET6 && s->real_ip_from[1].mask[15] == 0xff);
	CHECK(s->nerror_log == 1 && s->error_log[0].level == MP_LOG_WARN);
	CHECK_STR(s->error_log[0].path, "/l.log");
	{
		char host[256];
		size_t i;

		gethostname(host, sizeof(host));
		for (i = 0; host[i]; i++)
			host[i] = (char)tolower((unsigned char)host[i]);
		CHECK_STR(s->server_name, host);
	}
	CHECK(s->ssl.starttls == MP_STARTTLS_ON && s->ssl.protocols == (16 | 32));
	CHECK(s->ssl.certificate.n == 1);
	CHECK_STR(s->ssl.certificate.v[0], "/cert.pem");	/* relative to the file */
	CHECK_STR(s->ssl.session_cache, "builtin:1000 shared:MAIL:10m");
	CHECK(s->ssl.conf_command.n == 2);
	CHECK(s->proxy_protocol == 2 && s->proxy_buffer == 16384 && s->smtp_greeting_delay_ms == 500);
	CHECK(s->ssl.session_timeout_ms == 600000 && s->ssl.verify_client == MP_VERIFY_OPTIONAL_NO_CA);
	CHECK(s->ssl.verify_depth == 3);

	s = &cf.servers[1];
	CHECK(s->imap_capabilities.n == 1 && s->nauth_http_headers == 2);	/* from mail{} */
	CHECK_STR(s->auth_http_headers[1].value, "a b");
	CHECK(s->auth_http.is_unix);
	CHECK_STR(s->auth_http.path, "/run/auth.sock");
	CHECK_STR(s->auth_http.host, "localhost");
	CHECK_STR(s->auth_http.uri, "/auth?x=1");
	CHECK(s->timeout_ms == 1000);
	CHECK(s->nreal_ip_from == 1 && s->real_ip_from[0].family == AF_INET);
	CHECK(s->real_ip_from[0].addr[0] == 10 && s->real_ip_from[0].addr[1] == 0);
	CHECK(s->real_ip_from[0].mask[0] == 0xff && s->real_ip_from[0].mask[1] == 0);
	CHECK(s->resolver.n == 2 && !s->resolver_ipv6 && s->resolver_ipv4);
	CHECK_STR(s->resolver.v[1], "[::1]:5353");
	CHECK(s->resolver_valid_ms == 30000);
	CHECK(s->nerror_log == 1 && s->error_log[0].level == MP_LOG_DEBUG);
	CHECK_STR(s->error_log[0].path, "stderr");
}

static void test_errors(void)
{
	static const struct { const char *conf, *want; } t[] = {
		{ "mail { foo; }", "unknown directive \"foo\" in /x.conf:1" },
		{ "mail { } }", "unexpected \"}\" in /x.conf:1" },
		{ "mail { timeout; }", "invalid number of arguments in \"timeout\" directive in /x.conf:1" },
		{ "mail { timeout 5s; timeout 6s; }", "\"timeout\" directive is duplicate in /x.conf:1" },
		{ "mail { listen 25; }", "\"listen\" directive is not allowed here in /x.conf:1" },
		/* the duplicate check (a hash set): each family, across servers, inside a range */
		{ "mail { server { listen 127.0.0.1:143; }\nserver { listen 127.0.0.1:143; } }",
		  "duplicate \"127.0.0.1:143\" address and port pair in /x.conf:2" },
		{ "mail { server { listen [::1]:143; listen 127.0.0.1:143; listen [::1]:143; } }",
		  "duplicate \"[::1]:143\" address and port pair in /x.conf:1" },
		{ "mail { server { listen unix:/run/a.sock; listen unix:/run/b.sock; listen unix:/run/a.sock; } }",
		  "duplicate \"unix:/run/a.sock\" address and port pair in /x.conf:1" },
		{ "mail { server { listen 10.0.0.1:140-150; listen 10.0.0.2:145; listen 10.0.0.1:150; } }",
		  "duplicate \"10.0.0.1:150\" address and port pair in /x.conf:1" },
		/* past 16 listens the check is a hash set, built in the middle of this range */
		{ "mail { server { listen 10.0.0.1:100-130; listen [::1]:110; listen 10.0.0.1:117; } }",
		  "duplicate \"10.0.0.1:117\" address and port pair in /x.conf:1" },
		{ "timeout 5s;", "\"timeout\" directive is not allowed here in /x.conf:1" },
		{ "worker_connections 5;", "\"worker_connections\" directive is not allowed here in /x.conf:1" },
		{ "mail { timeout x; }", "\"timeout\" directive invalid value in /x.conf:1" },
		{ "mail { proxy_buffer 1g; }", "\"proxy_buffer\" directive invalid value in /x.conf:1" },
		{ "mail { max_errors x; }", "\"max_errors\" directive invalid number in /x.conf:1" },
		{ "mail { xclient x; }",
		  "invalid value \"x\" in \"xclient\" directive, it must be \"on\" or \"off\" in /x.conf:1" },
		{ "daemon maybe;", "invalid value \"maybe\" in \"daemon\" directive, it must be \"on\" or \"off\" in /x.conf:1" },
		{ "worker_processes 1; worker_processes 2;", "\"worker_processes\" directive is duplicate in /x.conf:1" },
		{ "mail { timeout 5s { } }", "directive \"timeout\" is not terminated by \";\" in /x.conf:1" },
		{ "mail { server ; }", "directive \"server\" has no opening \"{\" in /x.conf:1" },
		{ "mail {} mail {}", "\"mail\" directive is duplicate in /x.conf:1" },
		{ "mail x {}", "invalid number of arguments in \"mail\" directive in /x.conf:1" },
		{ "mail { imap_auth foo; }", "invalid value \"foo\" in /x.conf:1" },
		{ "mail { pop3_auth login; }", "invalid value \"login\" in /x.conf:1" },
		{ "mail { smtp_auth none cram-md5 bar; }", "invalid value \"bar\" in /x.conf:1" },
		{ "mail { ssl_verify_client maybe; }", "invalid value \"maybe\" in /x.conf:1" },
		{ "mail { starttls on; starttls on; }", "\"starttls\" directive is duplicate in /x.conf:1" },
		{ "mail { ssl on; }", "unknown directive \"ssl\" in /x.conf:1" },
		{ "mail { server { protocol foo; } }", "unknown protocol \"foo\" in /x.conf:1" },
		/* https:// is a mailproxy extension (libcurl); its port is still checked */
		{ "mail { auth_http https://127.0.0.1:0; }", "invalid port in auth_http \"127.0.0.1:0\" in /x.conf:1" },
		{ "mail { auth_http ftp://127.0.0.1; }", "invalid port in auth_http \"ftp://127.0.0.1\" in /x.conf:1" },
		{ "mail { auth_http http://; }", "no host in auth_http \"\" in /x.conf:1" },
		{ "mail { auth_http unix:; }", "no path in the unix domain socket in auth_http \"unix:\" in /x.conf:1" },
		{ "mail { resolver 127.0.0.1 valid=x; }", "invalid parameter: valid=x in /x.conf:1" },
		{ "mail { resolver 127.0.0.1 ipv4=off ipv6=off; }", "\"ipv4\" and \"ipv6\" cannot both be \"off\" in /x.conf:1" },
		{ "mail { resolver off; resolver off; }", "\"resolver\" directive is duplicate in /x.conf:1" },
		{ "mail { resolver 127.0.0.1:x; }", "invalid port in resolver \"127.0.0.1:x\" in /x.conf:1" },
		{ "mail { error_log /tmp/x foo; }", "invalid log level \"foo\" in /x.conf:1" },
		{ "mail { error_log /tmp/x info debug; }", "duplicate log level \"debug\" in /x.conf:1" },
		{ "mail { error_log /tmp/x info debug_mail; }", "invalid log level \"debug_mail\" in /x.conf:1" },
		{ "mail { set_real_ip_from 1.2.3.4/33; }", "host not found in set_real_ip_from \"1.2.3.4/33\" in /x.conf:1" },
		{ "mail { ssl_session_cache shared:x:1k; }", "session cache \"shared:x:1k\" is too small in /x.conf:1" },
		{ "mail { ssl_session_cache foo; }", "invalid session cache \"foo\" in /x.conf:1" },
		{ "mail { ssl_protocols TLSv1.2 TLSv9; }", "invalid value \"TLSv9\" in /x.conf:1" },
		{ MAIL("server { listen 143; listen 143; }"), "duplicate \"0.0.0.0:143\" address and port pair in /x.conf:1" },
		{ MAIL("server { listen 143; } server { listen [::]:143; listen [::]:143; }"),
		  "duplicate \"[::]:143\" address and port pair in /x.conf:1" },
		{ MAIL("server { listen unix:/a; } server { listen unix:/a; }"),
		  "duplicate \"unix:/a\" address and port pair in /x.conf:1" },
		{ MAIL("server { listen 143 foo; }"), "invalid parameter \"foo\" in /x.conf:1" },
		{ MAIL("server { listen 0; }"), "invalid port in \"0\" of the \"listen\" directive in /x.conf:1" },
		{ MAIL("server { listen 70000; }"), "invalid port in \"70000\" of the \"listen\" directive in /x.conf:1" },
		{ MAIL("server { listen *:x; }"), "invalid port in \"*:x\" of the \"listen\" directive in /x.conf:1" },
		{ MAIL("server { listen 1.2.3.4/5:25; }"), "invalid host in \"1.2.3.4/5:25\" of the \"listen\" directive in /x.conf:1" },
		{ MAIL("server { listen [::1:25; }"), "invalid host in \"[::1:25\" of the \"listen\" directive in /x.conf:1" },
		{ MAIL("server { listen [zz]:25; }"), "invalid IPv6 address in \"[zz]:25\" of the \"listen\" directive in /x.conf:1" },
		{ MAIL("server { listen :25; }"), "no host in \":25\" of the \"listen\" directive in /x.conf:1" },
		{ MAIL("server { listen 127.0.0.1; }"), "no port in \"127.0.0.1\" of the \"listen\" directive in /x.conf:1" },
		{ MAIL("server { listen unix:; }"), "no path in the unix domain socket in \"unix:\" of the \"listen\" directive in /x.conf:1" },
		{ MAIL("server { listen 30-20; }"), "invalid port range in \"30-20\" of the \"listen\" directive in /x.conf:1" },
		{ MAIL("server { listen nosuchhost.invalid:25; }"),
		  "host not found in \"nosuchhost.invalid:25\" of the \"listen\" directive in /x.conf:1" },
		{ MAIL("server { listen 25 backlog=0; }"), "invalid backlog \"backlog=0\" in /x.conf:1" },
		{ MAIL("server { listen 25 rcvbuf=1x; }"), "invalid rcvbuf \"rcvbuf=1x\" in /x.conf:1" },
		{ MAIL("server { listen 25 sndbuf=; }"), "invalid sndbuf \"sndbuf=\" in /x.conf:1" },
		{ MAIL("server { listen 25 ipv6only=of; }"), "invalid ipv6only flags \"of\" in /x.conf:1" },
		{ MAIL("server { listen 25 so_keepalive=::; }"), "invalid so_keepalive value: \"::\" in /x.conf:1" },
		{ MAIL("server { listen 25 so_keepalive=1x::; }"), "invalid so_keepalive value: \"1x::\" in /x.conf:1" },
		{ "mail { server { listen 25; } server { listen 1025; } }", "unknown mail protocol for server in /x.conf:1" },
		{ "mail {\nserver { listen 25; auth_http 127.0.0.1; }\nserver\n{ listen 1026; } }",
		  "unknown mail protocol for server in /x.conf:4" },
		{ "mail { server { listen 25; auth_http 127.0.0.1; }\n server { listen 26; protocol imap; } }",
		  "no \"auth_http\" is defined for server in /x.conf:2" },
		{ "mail { auth_http 127.0.0.1; server { } }", "no \"listen\" is defined for server in /x.conf:1" },
		{ "mail {\n server { listen 25 ssl; } server { listen 1025; protocol smtp; } }",
		  "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive in /x.conf:2" },
		{ "mail { auth_http 127.0.0.1;\n starttls on; server { listen 25; } }",
		  "no \"ssl_certificate\" is defined for the \"starttls\" directive in /x.conf:2" },
		{ MAIL("server {\n listen 25;\n starttls only; }"),
		  "no \"ssl_certificate\" is defined for the \"starttls\" directive in /x.conf:3" },
		{ MAIL("server { listen 25 ssl; ssl_certificate /x; }"),
		  "no \"ssl_certificate_key\" is defined for the \"listen ... ssl\" directive in /x.conf:1" },
		{ MAIL("server { listen 25 ssl; ssl_certificate /x; ssl_certificate /y; ssl_certificate_key /k; }"),
		  "no \"ssl_certificate_key\" is defined for certificate \"/y\" and the \"listen ... ssl\" directive in /x.conf:1" },
		{ MAIL("server { listen 25 ssl; ssl_certificate /x; ssl_certificate_key /k; ssl_verify_client on; }"),
		  "no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client" },
		{ MAIL("server { listen 25; ssl_verify_client on; }"), "ok" },
		{ MAIL("server { listen 25 ssl; ssl_certificate /x; ssl_certificate_key /k; ssl_verify_client on;"
		  " ssl_trusted_certificate /ca; }"), "ok" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *got = perr(t[i].conf);

		if (strcmp(got, t[i].want) != 0)
			fprintf(stderr, "case: %s\n", t[i].conf);
		CHECK_STR(got, t[i].want);
	}
}

static void test_listen(void)
{
	struct mp_conf cf;
	const struct mp_listen *l;

	CHECK_STR(parse(&cf, MAIL(
	    "server { listen 127.0.0.1:993 ssl proxy_protocol backlog=100 rcvbuf=64k sndbuf=1m;"
	    " listen [::1]:993 ipv6only=off so_keepalive=30m::10 multipath;"
	    " listen unix:/run/mp.sock bind; ssl_certificate c; ssl_certificate_key k; }"
	    " server { listen 2525-2526 so_keepalive=off; protocol smtp; }"
	    " server { listen localhost:1143; listen [::]:1143; protocol imap; }"
	    " server { listen *:143; }")), "ok");
	CHECK(cf.nservers == 4 && cf.nlistens >= 8);
	if (cf.nlistens < 8)
		return;
	l = &cf.listens[0];
	CHECK_STR(l->text, "127.0.0.1:993");
	CHECK(l->ssl && l->proxy_protocol && l->bind && l->backlog == 100);
	CHECK(l->rcvbuf == 65536 && l->sndbuf == 1048576 && !l->wildcard);
	CHECK(l->ipv6only == -1 && l->so_keepalive == -1 && l->server == &cf.servers[0]);
	CHECK(cf.servers[0].protocol == MP_PROTO_IMAP);	/* from port 993 */
	l = &cf.listens[1];
	CHECK_STR(l->text, "[::1]:993");
	CHECK(l->ipv6only == 0 && l->so_keepalive == 1 && l->keepidle == 1800);
	CHECK(l->keepintvl == 0 && l->keepcnt == 10 && l->multipath && l->bind);
	CHECK(l->backlog == -1 && l->rcvbuf == -1);
	CHECK_STR(cf.listens[2].text, "unix:/run/mp.sock");
	CHECK(cf.listens[2].sa.ss_family == AF_UNIX && cf.listens[2].bind);
	CHECK_STR(cf.listens[3].text, "0.0.0.0:2525");
	CHECK_STR(cf.listens[4].text, "0.0.0.0:2526");
	CHECK(cf.listens[4].so_keepalive == 0 && cf.listens[4].server == &cf.servers[1]);
	CHECK_STR(cf.listens[5].text, "127.0.0.1:1143");
	CHECK_STR(cf.listens[cf.nlistens - 2].text, "[::]:1143");
	CHECK(cf.listens[cf.nlistens - 2].wildcard);
	CHECK_STR(cf.listens[cf.nlistens - 1].text, "0.0.0.0:143");
	CHECK(cf.servers[3].protocol == MP_PROTO_IMAP);

	/* an explicit protocol wins over the port, before or after listen */
	CHECK_STR(parse(&cf, MAIL("server { listen 143; protocol pop3; }"
	    " server { protocol smtp; listen 110; }")), "ok");
	CHECK(cf.servers[0].protocol == MP_PROTO_POP3 && cf.servers[1].protocol == MP_PROTO_SMTP);
}

static struct sockaddr_storage sa4(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin_family = AF_INET;
	s->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &s->sin_addr);
	return ss;
}

static struct sockaddr_storage sa6(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	s->sin6_family = AF_INET6;
	s->sin6_port = htons((uint16_t)port);
	inet_pton(AF_INET6, ip, &s->sin6_addr);
	return ss;
}

static const char *find(const struct mp_conf *cf, struct sockaddr_storage ss, socklen_t len)
{
	const struct mp_listen *l = conf_find_listen(cf, (struct sockaddr *)&ss, len);

	return l ? l->text : "none";
}

static void test_find_listen(void)
{
	struct mp_conf cf;
	struct sockaddr_storage ss;
	struct sockaddr_un *un = (struct sockaddr_un *)&ss;
	socklen_t l4 = sizeof(struct sockaddr_in), l6 = sizeof(struct sockaddr_in6);

	CHECK_STR(parse(&cf, MAIL(
	    "server { listen 143; listen [::]:993; listen 10.0.0.1:110; }"
	    " server { listen 127.0.0.1:143; listen [::1]:143; listen unix:/run/a.sock; protocol imap; }")), "ok");
	CHECK_STR(find(&cf, sa4("127.0.0.1", 143), l4), "127.0.0.1:143");
	CHECK(conf_find_listen(&cf, (struct sockaddr *)&(struct sockaddr_storage){0}, l4) == NULL);
	CHECK_STR(find(&cf, sa4("192.0.2.1", 143), l4), "0.0.0.0:143");
	CHECK_STR(find(&cf, sa4("10.0.0.1", 110), l4), "10.0.0.1:110");
	CHECK_STR(find(&cf, sa4("10.0.0.2", 110), l4), "none");
	CHECK_STR(find(&cf, sa4("10.0.0.1", 25), l4), "none");
	CHECK_STR(find(&cf, sa6("::1", 143), l6), "[::1]:143");
	CHECK_STR(find(&cf, sa6("2001:db8::1", 143), l6), "none");	/* no [::]:143 */
	CHECK_STR(find(&cf, sa6("2001:db8::1", 993), l6), "[::]:993");
	CHECK_STR(find(&cf, sa6("::ffff:127.0.0.1", 143), l6), "127.0.0.1:143");
	CHECK_STR(find(&cf, sa6("::ffff:192.0.2.7", 143), l6), "0.0.0.0:143");
	CHECK_STR(find(&cf, sa6("::ffff:192.0.2.7", 993), l6), "[::]:993");	/* dual stack */
	CHECK_STR(find(&cf, sa4("127.0.0.1", 143), 4), "none");	/* short address */
	memset(&ss, 0, sizeof(ss));
	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, "/run/a.sock");
	CHECK_STR(find(&cf, ss, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 12)), "unix:/run/a.sock");
	strcpy(un->sun_path, "/run/b.sock");
	CHECK_STR(find(&cf, ss, (socklen_t)sizeof(*un)), "none");
	CHECK(conf_find_listen(&cf, (struct sockaddr *)&ss, 2) == NULL);

	CHECK(conf_proto_by_port(143) == MP_PROTO_IMAP && conf_proto_by_port(993) == MP_PROTO_IMAP);
	CHECK(conf_proto_by_port(110) == MP_PROTO_POP3 && conf_proto_by_port(995) == MP_PROTO_POP3);
	CHECK(conf_proto_by_port(25) == MP_PROTO_SMTP && conf_proto_by_port(465) == MP_PROTO_SMTP);
	CHECK(conf_proto_by_port(587) == MP_PROTO_SMTP && conf_proto_by_port(2525) == MP_PROTO_NONE);
}

/* conf_load runs on every connection: keep an eye on what it costs. */
static void bench(void)
{
	struct mp_conf cf;
	struct timeval a, b;
	int i, n = 1000, fails = 0;

	gettimeofday(&a, NULL);
	for (i = 0; i < n; i++) {
		fails += conf_load(&cf, path_in("seed.conf"), err, sizeof(err)) < 0;
		arena_release(&arena_global);
	}
	gettimeofday(&b, NULL);
	CHECK(fails == 0);
	fprintf(stderr, "bench: conf_load of the seed configuration: %.1f us (average of %d)\n",
	    ((b.tv_sec - a.tv_sec) * 1e6 + (b.tv_usec - a.tv_usec)) / n, n);
}

/* The digest the handler and the TLS daemon compare: the same files give the
 * same value, a change in an included file gives another. */
static void test_digest(void)
{
	struct mp_conf cf;
	uint64_t d1, d2, d3;

	mkdir(path_in("dig.d"), 0700);
	write_file("dig.d/a.conf", "server { listen 143; }\n");
	write_file("dig.conf", "mail {\n auth_http 127.0.0.1;\n include dig.d/*.conf;\n}\n");
	CHECK(conf_load(&cf, path_in("dig.conf"), err, sizeof(err)) == 0);
	d1 = cf.digest;
	CHECK(conf_load(&cf, path_in("dig.conf"), err, sizeof(err)) == 0);
	d2 = cf.digest;
	write_file("dig.d/a.conf", "server { listen 993; }\n");
	CHECK(conf_load(&cf, path_in("dig.conf"), err, sizeof(err)) == 0);
	d3 = cf.digest;
	CHECK(d1 != 0 && d1 == d2);
	CHECK(d3 != d1);
}

/* A server_name too long for the APOP/CRAM-MD5 salt is refused where a salt
 * can be asked for, in every protocol alike; elsewhere it is fine. */
static void test_salt_name(void)
{
	char name[SASL_SERVER_NAME_MAX + 2], text[512];
	static const char *const cases[][2] = {
		{ "imap_auth cram-md5;", "143" }, { "pop3_auth apop;", "110" },
		{ "pop3_auth cram-md5;", "110" }, { "smtp_auth cram-md5;", "25" },
	};
	struct mp_conf cf;

	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text, MAIL("server_name %s; server { listen %s; %s }"),
		    name, cases[i][1], cases[i][0]);
		CHECK_STR(parse(&cf, text), "\"server_name\" is longer than 155 bytes, too long "
		    "for the APOP and CRAM-MD5 salt, for server in /x.conf:1");
	}
	snprintf(text, sizeof text, MAIL("server_name %s; server { listen 110; }"), name);
	CHECK_STR(parse(&cf, text), "ok");	/* no salt without apop or cram-md5 */
	name[SASL_SERVER_NAME_MAX] = '\0';
	snprintf(text, sizeof text, MAIL("server_name %s; server { listen 25; smtp_auth cram-md5; }"),
	    name);
	CHECK_STR(parse(&cf, text), "ok");
}

int main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_seed();
	test_grammar();
	test_include();
	test_digest();
	test_values();
	test_directives();
	test_errors();
	test_listen();
	test_find_listen();
	test_salt_name();
	test_seed();	/* again: nothing carried over */
	bench();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	UNIT_DONE();
}
