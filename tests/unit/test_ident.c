/* SPDX-License-Identifier: ISC */
/* test_ident.c: what proxy_client_id, auth_http_pass_session_id and imap_id
 * put on the wire: the ID argument parser (fed whole and byte by byte) and
 * its Auth-IMAP-ID text, the ID list and XCLIENT line of ident.c, the
 * backend dialogues' ID and XCLIENT steps, the two auth request headers,
 * the Auth-Proxy-Client-Id reply header and the PROXY v2 UNIQUE_ID TLV. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "auth_http.h"
#include "ident.h"
#include "imap_backend.h"
#include "imap_parse.h"
#include "pop3_backend.h"
#include "proxy_proto.h"
#include "unit.h"

#define BUFSZ 8192

/* Parse LINE (after "t ") with imap_id on, STEP bytes at a time (0 whole);
 * the rc, and the Auth-IMAP-ID text in TEXT on IMAP_DONE. */
static int
parse_id(const char *line, size_t n, size_t step, char *text, size_t cap)
{
	static char buf[BUFSZ];
	struct imap_parser p;
	size_t len = step ? 0 : n, used = 0;
	int rc;

	memcpy(buf, line, n);
	imap_parser_init(&p);
	p.id_on = 1;
	text[0] = '\0';
	for (;;) {
		if (step && len < n)
			len = len + step < n ? len + step : n;
		rc = imap_parse(&p, buf, len, &used);
		if (rc == IMAP_LITERAL || (rc == IMAP_AGAIN && len < n))
			continue;
		break;
	}
	if (rc == IMAP_DONE && p.cmd == IMAP_CMD_ID)
		(void)imap_id_text(&p.id, buf, text, cap);
	return rc;
}

/* LINE parses, whole and byte by byte, to WANT. */
static void
id_ok(const char *line, const char *want, const char *file, int lineno)
{
	char t0[IMAP_ID_TEXT_MAX], t1[IMAP_ID_TEXT_MAX];

	CHECK_AT(parse_id(line, strlen(line), 0, t0, sizeof t0) == IMAP_DONE, file, lineno);
	CHECK_AT(parse_id(line, strlen(line), 1, t1, sizeof t1) == IMAP_DONE, file, lineno);
	CHECK_AT(strcmp(t0, want) == 0, file, lineno);
	CHECK_AT(strcmp(t1, want) == 0, file, lineno);
	if (strcmp(t0, want) != 0)
		fprintf(stderr, "  got \"%s\"\n", t0);
}
#define ID_OK(line, want) id_ok((line), (want), __FILE__, __LINE__)

static void
id_bad(const char *line, size_t n, const char *file, int lineno)
{
	char t[IMAP_ID_TEXT_MAX];
	int rc0 = parse_id(line, n, 0, t, sizeof t), rc1 = parse_id(line, n, 1, t, sizeof t);

	CHECK_AT(rc0 == IMAP_INVALID || rc0 == IMAP_INVALID_CLOSE, file, lineno);
	CHECK_AT(rc1 == rc0, file, lineno);
}
#define ID_BAD(line) id_bad((line), sizeof(line) - 1, __FILE__, __LINE__)

static void
test_id_parse(void)
{
	char big[1200], t[IMAP_ID_TEXT_MAX];
	size_t n;

	ID_OK("t ID NIL\r\n", "");
	ID_OK("t id nil\n", "");
	ID_OK("t ID ()\r\n", "");
	ID_OK("t ID (\"name\" \"Thunderbird\" \"version\" \"115.0\")\r\n",
	    "name=Thunderbird&version=115.0");
	ID_OK("t ID (\"NaMe\" NIL \"os\" nil)\r\n", "name&os");
	ID_OK("t ID (\"a\" \"\\\"q\\\\ &=%\")\r\n", "a=%22q%5C%20%26%3D%25");
	ID_OK("t ID (\"a\" {4}\r\nx\r\ny)\r\n", "a=x%0D%0Ay");
	ID_OK("t ID ({1+}\r\nb \"\")\r\n", "b=");
	ID_OK("t ID (\"a\" {0}\r\n)\r\n", "a=");
	ID_OK("t ID (\"u\" \"\xc3\xa9\x01\")\r\n", "u=%C3%A9%01");
	/* 30 pairs are the most */
	n = (size_t)snprintf(big, sizeof big, "t ID (");
	for (int i = 0; i < 30; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "\"f%d\" \"v\"%s", i, i < 29 ? " " : ")\r\n");
	CHECK(parse_id(big, n, 0, t, sizeof t) == IMAP_DONE);
	CHECK(strncmp(t, "f0=v&f1=v&", 10) == 0);
	/* a 1024-byte value is the longest */
	n = (size_t)snprintf(big, sizeof big, "t ID (\"a\" \"%01024d\")\r\n", 0);
	CHECK(parse_id(big, n, 0, t, sizeof t) == IMAP_DONE);
	CHECK(strlen(t) == 0);		/* 1026 bytes do not fit the header: left out */
	n = (size_t)snprintf(big, sizeof big, "t ID (\"a\" \"%01025d\")\r\n", 0);
	CHECK(parse_id(big, n, 0, t, sizeof t) == IMAP_INVALID);
	n = (size_t)snprintf(big, sizeof big, "t ID (\"%031d\" \"v\")\r\n", 0);
	CHECK(parse_id(big, n, 0, t, sizeof t) == IMAP_INVALID);
	n = (size_t)snprintf(big, sizeof big, "t ID (\"%030d\" \"v\")\r\n", 0);
	CHECK(parse_id(big, n, 0, t, sizeof t) == IMAP_DONE);
	n = (size_t)snprintf(big, sizeof big, "t ID (");
	for (int i = 0; i < 31; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "\"f%d\" \"v\"%s", i, i < 30 ? " " : ")\r\n");
	CHECK(parse_id(big, n, 0, t, sizeof t) == IMAP_INVALID);

	ID_BAD("t ID\r\n");
	ID_BAD("t ID \r\n");
	ID_BAD("t ID  NIL\r\n");
	ID_BAD("t ID NIL \r\n");
	ID_BAD("t ID NILL\r\n");
	ID_BAD("t ID (NIL \"v\")\r\n");
	ID_BAD("t ID (\"a\")\r\n");
	ID_BAD("t ID (\"a\" \"b\" )\r\n");
	ID_BAD("t ID ( \"a\" \"b\")\r\n");
	ID_BAD("t ID (\"a\"  \"b\")\r\n");
	ID_BAD("t ID (\"a\" \"b\"))\r\n");
	ID_BAD("t ID (\"a\" \"b\"\r\n");
	ID_BAD("t ID (\"a\" \"b\r\n");
	ID_BAD("t ID (\"a\" \"b\"c\")\r\n");
	ID_BAD("t ID (\"a\" \"b\\c\")\r\n");
	ID_BAD("t ID (\"a\" \"b\0c\")\r\n");
	ID_BAD("t ID (\"a\" \"b\rc\")\r\n");
	ID_BAD("t ID (\"a\" {}\r\n");
	ID_BAD("t ID (\"a\" {+}\r\n");
	ID_BAD("t ID (\"a\" {x}\r\n");
	ID_BAD("t ID (\"a\" {1025}\r\n");
	ID_BAD("t ID ({31}\r\n");
	ID_BAD("t ID (\"a\" {3}x\r\n");
	ID_BAD("t ID (\"a\" {3}\r\nx\0y)\r\n");	/* NUL: refused at the literal's end */
	ID_BAD("t ID (atom \"b\")\r\n");
	ID_BAD("t ID () x\r\n");
	ID_BAD("t ID ()\rx\n");
	/* an over-long non-synchronising literal ends the line with "+}": close */
	CHECK(parse_id("t ID (\"a\" {2000+}\r\n", 19, 0, t, sizeof t) == IMAP_INVALID_CLOSE);
}

static void
test_id_off(void)
{
	struct imap_parser p;
	char buf[] = "t ID NIL\r\n";
	size_t used;

	/* imap_id off (the default): ID is an unknown command, as in nginx */
	imap_parser_init(&p);
	CHECK(imap_parse(&p, buf, sizeof buf - 1, &used) == IMAP_INVALID);
	/* and imap_parser_next keeps the switch */
	imap_parser_init(&p);
	p.id_on = 1;
	imap_parser_next(&p);
	CHECK(p.id_on == 1);
}

static void
test_id_text_cap(void)
{
	struct imap_id id;
	char buf[] = "abcdefgh";
	char out[8];

	imap_id_init(&id);
	id.nstr = 4;
	id.str[0] = (struct imap_id_str){ 0, 1, false };	/* a */
	id.str[1] = (struct imap_id_str){ 1, 5, false };	/* bcdef */
	id.str[2] = (struct imap_id_str){ 6, 1, false };	/* g */
	id.str[3] = (struct imap_id_str){ 7, 1, false };	/* h */
	/* "a=bcdef" is 7 bytes and fits with its NUL; "&g=h" does not: left out */
	CHECK(imap_id_text(&id, buf, out, sizeof out) == 7);
	CHECK_STR(out, "a=bcdef");
	/* nothing fits: the empty text */
	CHECK(imap_id_text(&id, buf, out, 2) == 0);
	CHECK_STR(out, "");
}

static void
test_ident(void)
{
	struct ident id = { "192.0.2.1", 5555, "198.51.100.7", 143, "0a1b2c3d" };
	char out[IDENT_OUT_MAX];

	CHECK(ident_imap_id(&id, out, sizeof out) > 0);
	CHECK_STR(out, "(\"x-originating-ip\" \"192.0.2.1\" \"x-originating-port\" \"5555\" "
	    "\"x-connected-ip\" \"198.51.100.7\" \"x-connected-port\" \"143\" "
	    "\"x-session-id\" \"0a1b2c3d\")");
	CHECK(ident_xclient(&id, out, sizeof out) > 0);
	CHECK_STR(out, "XCLIENT ADDR=192.0.2.1 PORT=5555 SESSION=0a1b2c3d\r\n");

	/* IPv6 as text, no brackets */
	id.ip = "2001:db8::1";
	CHECK(ident_xclient(&id, out, sizeof out) > 0);
	CHECK_STR(out, "XCLIENT ADDR=2001:db8::1 PORT=5555 SESSION=0a1b2c3d\r\n");

	/* a unix client has no address: left out with its port */
	id.ip = "unix:";
	CHECK(ident_imap_id(&id, out, sizeof out) > 0);
	CHECK_STR(out, "(\"x-connected-ip\" \"198.51.100.7\" \"x-connected-port\" \"143\" "
	    "\"x-session-id\" \"0a1b2c3d\")");
	CHECK(ident_xclient(&id, out, sizeof out) > 0);
	CHECK_STR(out, "XCLIENT SESSION=0a1b2c3d\r\n");

	/* hostile values never reach the command: quote, CR LF, space, too long */
	id.ip = "1.2.3.4\" \"x-originating-ip\" \"6.6.6.6";
	id.lip = "1.2.3.4\r\nA LOGOUT";
	id.sid = "a b";
	CHECK(ident_imap_id(&id, out, sizeof out) == 0);
	CHECK(ident_xclient(&id, out, sizeof out) == 0);
	id.sid = "0123456789012345678901234567890123456789012345678901234567890123x";
	CHECK(!ident_sid_ok(id.sid));
	CHECK(ident_sid_ok("0123456789012345678901234567890123456789012345678901234567890123"));
	CHECK(!ident_addr_ok(""));
	CHECK(!ident_addr_ok("fe80::1%eth0"));
	CHECK(!ident_addr_ok(NULL));

	/* a buffer too small gives nothing, never a cut command */
	id = (struct ident){ "192.0.2.1", 5555, NULL, 0, "0a1b2c3d" };
	CHECK(ident_imap_id(&id, out, 20) == 0);
	CHECK(ident_xclient(&id, out, 20) == 0);
	CHECK(ident_imap_id(&id, out, 0) == 0);
}

static size_t
iov_join(const struct iovec *iov, int n, char *out)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	out[len] = '\0';
	return len;
}

static void
test_imap_backend_id(void)
{
	struct imap_backend ib;
	struct iovec iov[3];
	char out[600];
	int n;
	const char *reply;

	CHECK(imap_backend_init(&ib, "a1 ", 3, "bob", 3, "pw", 2) == 0);
	CHECK(imap_backend_set_id(&ib, "(\"x-session-id\" \"ab\")", 21) == 0);
	CHECK(imap_backend_set_id(&ib, "(\"a\" \"b\r\n\")", 11) == -1);
	CHECK(imap_backend_step(&ib, "* OK hi\r\n", 9, iov, &n) == IMAP_BK_NEXT);
	iov_join(iov, n, out);
	CHECK_STR(out, "a1 ID (\"x-session-id\" \"ab\")\r\n");
	CHECK(ib.state == IMAP_BK_ID);

	/* the reply: untagged lines (one with a literal holding a fake tagged line), then the tag */
	reply = "* ID (\"name\" {12}\r\na1 OK fake\r\n)\r\n* OK more\r\na1 OK ID completed\r\nextra";
	CHECK(imap_backend_frame(&ib, reply, strlen(reply)) == strlen(reply) - 5);
	CHECK(imap_backend_frame(&ib, reply, 30) == 0);
	CHECK(imap_backend_step(&ib, reply, strlen(reply) - 5, iov, &n) == IMAP_BK_NEXT);
	iov_join(iov, n, out);
	CHECK_STR(out, "a1 LOGIN {3}\r\n");
	CHECK(!ib.id_refused);

	/* NO or BAD: the login goes on, the refusal is noted */
	CHECK(imap_backend_init(&ib, "a1 ", 3, "bob", 3, "pw", 2) == 0);
	CHECK(imap_backend_set_id(&ib, "(\"x-session-id\" \"ab\")", 21) == 0);
	CHECK(imap_backend_step(&ib, "* OK hi\r\n", 9, iov, &n) == IMAP_BK_NEXT);
	CHECK(imap_backend_step(&ib, "a1 BAD what\r\n", 13, iov, &n) == IMAP_BK_NEXT);
	CHECK(ib.id_refused);
	/* anything but a tagged line: rejected */
	CHECK(imap_backend_init(&ib, "a1 ", 3, "bob", 3, "pw", 2) == 0);
	CHECK(imap_backend_set_id(&ib, "(\"x-session-id\" \"ab\")", 21) == 0);
	CHECK(imap_backend_step(&ib, "* OK hi\r\n", 9, iov, &n) == IMAP_BK_NEXT);
	CHECK(imap_backend_step(&ib, "+ go\r\n", 6, iov, &n) == IMAP_BK_REJECT);

	/* without set_id: nginx's dialogue, LOGIN first */
	CHECK(imap_backend_init(&ib, "a1 ", 3, "bob", 3, "pw", 2) == 0);
	CHECK(imap_backend_step(&ib, "* OK hi\r\n", 9, iov, &n) == IMAP_BK_NEXT);
	iov_join(iov, n, out);
	CHECK_STR(out, "a1 LOGIN {3}\r\n");
}

static void
test_pop3_backend_xclient(void)
{
	struct pop3_backend pb;
	struct iovec iov[3];
	char out[600];
	const char *x = "XCLIENT ADDR=192.0.2.1 SESSION=ab\r\n";
	int n;

	CHECK(pop3_backend_init(&pb, "bob", 3, "pw", 2) == 0);
	CHECK(pop3_backend_set_xclient(&pb, x, strlen(x)) == 0);
	CHECK(pop3_backend_set_xclient(&pb, "XCLIENT A\r\nB\r\n", 14) == -1);
	CHECK(pop3_backend_set_xclient(&pb, "XCLIENT A", 9) == -1);
	CHECK(pop3_backend_step(&pb, "+OK [XCLIENT] Dovecot ready.\r\n", 30, iov, &n) == POP3_BK_NEXT);
	iov_join(iov, n, out);
	CHECK_STR(out, x);
	CHECK(pop3_backend_step(&pb, "+OK Updated\r\n", 13, iov, &n) == POP3_BK_NEXT);
	iov_join(iov, n, out);
	CHECK_STR(out, "USER bob\r\n");
	CHECK(pb.xclient_sent && !pb.xclient_refused);

	/* a refusal: USER all the same */
	CHECK(pop3_backend_init(&pb, "bob", 3, "pw", 2) == 0);
	CHECK(pop3_backend_set_xclient(&pb, x, strlen(x)) == 0);
	CHECK(pop3_backend_step(&pb, "+OK [XCLIENT] hi\r\n", 18, iov, &n) == POP3_BK_NEXT);
	CHECK(pop3_backend_step(&pb, "-ERR no\r\n", 9, iov, &n) == POP3_BK_NEXT);
	CHECK(pb.xclient_refused);
	CHECK(pop3_backend_step(&pb, "xyz\r\n", 5, iov, &n) == POP3_BK_REJECT);

	/* a greeting without [XCLIENT]: USER at once */
	CHECK(pop3_backend_init(&pb, "bob", 3, "pw", 2) == 0);
	CHECK(pop3_backend_set_xclient(&pb, x, strlen(x)) == 0);
	CHECK(pop3_backend_step(&pb, "+OK Dovecot ready. [XCLIENT]\r\n", 30, iov, &n) == POP3_BK_NEXT);
	iov_join(iov, n, out);
	CHECK_STR(out, "USER bob\r\n");
	CHECK(!pb.xclient_sent);
}

static void
test_auth_http(void)
{
	struct mp_server srv;
	struct auth_request rq;
	struct auth_reply r;
	char buf[2048];
	size_t len;
	const char *ok = "HTTP/1.0 200 OK\r\nAuth-Status: OK\r\nAuth-Server: 127.0.0.1\r\n"
	    "Auth-Port: 143\r\nAuth-Proxy-Client-Id: off\r\n\r\n";

	memset(&srv, 0, sizeof srv);
	srv.auth_http.host = "127.0.0.1";
	srv.auth_http.uri = "/auth";
	memset(&rq, 0, sizeof rq);
	rq.method = "plain";
	rq.protocol = "imap";
	rq.attempt = 1;
	rq.client_ip = "192.0.2.1";
	rq.session_id = "0a1b2c3d";
	rq.imap_id = "name=x&os";
	CHECK(auth_http_build(&srv, &rq, buf, sizeof buf, &len) == 0);
	CHECK_MEM(buf, len, "GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\n"
	    "Auth-User: \r\nAuth-Pass: \r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\nAuth-Session-Id: 0a1b2c3d\r\nAuth-IMAP-ID: name=x&os\r\n\r\n",
	    strlen("GET /auth HTTP/1.0\r\nHost: 127.0.0.1\r\nAuth-Method: plain\r\n"
	    "Auth-User: \r\nAuth-Pass: \r\nAuth-Protocol: imap\r\nAuth-Login-Attempt: 1\r\n"
	    "Client-IP: 192.0.2.1\r\nAuth-Session-Id: 0a1b2c3d\r\nAuth-IMAP-ID: name=x&os\r\n\r\n"));
	/* the backstop: CR or LF never goes out raw */
	rq.imap_id = "a\r\nAuth-User: x";
	errno = 0;
	CHECK(auth_http_build(&srv, &rq, buf, sizeof buf, &len) == -1 && errno == EINVAL);

	auth_reply_init(&r);
	CHECK(r.client_id == -1);
	CHECK(auth_reply_feed(&r, ok, strlen(ok)) == AUTH_R_DONE);
	CHECK(r.client_id == 0);
	auth_reply_init(&r);
	CHECK(auth_reply_feed(&r, "Auth-Proxy-Client-Id: on\r\n\r\n", 28) == AUTH_R_DONE);
	CHECK(r.client_id == 1);
	auth_reply_init(&r);
	CHECK(auth_reply_feed(&r, "Auth-Proxy-Client-Id: yes\r\n\r\n", 29) == AUTH_R_DONE);
	CHECK(r.client_id == -1);
}

static void
test_pp_uid(void)
{
	struct sockaddr_in c, l;
	uint8_t b[PP_OUT_MAX];
	char big[PP_UNIQUE_ID_MAX + 2];
	size_t n, m;

	memset(&c, 0, sizeof c);
	c.sin_family = AF_INET;
	c.sin_port = htons(5555);
	inet_pton(AF_INET, "192.0.2.1", &c.sin_addr);
	l = c;
	n = pp_build_v2_uid((struct sockaddr *)&c, (struct sockaddr *)&l, NULL, "0a1b2c3d", b, sizeof b);
	m = pp_build_v2((struct sockaddr *)&c, (struct sockaddr *)&l, b + 0, sizeof b);
	CHECK(m == 16 + 12 + 7);
	n = pp_build_v2_uid((struct sockaddr *)&c, (struct sockaddr *)&l, NULL, "0a1b2c3d", b, sizeof b);
	CHECK(n == m + 11);
	CHECK(b[28] == PP2_TYPE_UNIQUE_ID && b[29] == 0 && b[30] == 8);
	CHECK(memcmp(b + 31, "0a1b2c3d", 8) == 0);
	CHECK(b[39] == PP2_TYPE_CRC32C);	/* still last */
	/* "" sends none; a longer id than the cap is refused, never cut */
	CHECK(pp_build_v2_uid((struct sockaddr *)&c, (struct sockaddr *)&l, NULL, "", b, sizeof b) == m);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK(pp_build_v2_uid((struct sockaddr *)&c, (struct sockaddr *)&l, NULL, big, b, sizeof b) == 0);
}

int
main(void)
{
	test_id_parse();
	test_id_off();
	test_id_text_cap();
	test_ident();
	test_imap_backend_id();
	test_pop3_backend_xclient();
	test_auth_http();
	test_pp_uid();
	UNIT_DONE();
}
