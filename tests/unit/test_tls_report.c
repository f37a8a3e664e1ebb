/* SPDX-License-Identifier: ISC */
/* test_tls_report.c: the handshake report (writer, parser, limits), the
 * ClientHello ALPN check, and the configuration check of what libtls can
 * express. None of it needs libtls. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "tls_start.h"
#include "tls_hello.h"
#include "tlsd.h"
#include "unit.h"

static struct tls_info a, b;
static char frame[TLSD_REPORT_HDR + TLSD_REPORT_MAX + 64];

static void
sample(struct tls_info *ti)
{
	memset(ti, 0, sizeof *ti);
	strcpy(ti->protocol, "TLSv1.3");
	strcpy(ti->cipher, "TLS_AES_256_GCM_SHA384");
	strcpy(ti->sni, "mail.test");
	strcpy(ti->alpn, "imap");
	ti->verdict = TLS_CERT_ERROR;
	ti->verify_code = 18;
	strcpy(ti->verify, "FAILED:self-signed certificate");
	strcpy(ti->subject, "O=Example\\, Inc.,CN=client.test");
	strcpy(ti->issuer, "CN=Test CA,O=100% tests");
	strcpy(ti->serial, "1002");
	strcpy(ti->fingerprint, "6e1f38e942534ae266063b1482743d3cbe872f54");
	strcpy(ti->pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
	ti->pemlen = strlen(ti->pem);
}

static void
test_roundtrip(void)
{
	long n;

	sample(&a);
	n = tlsd_report_write(&a, frame, sizeof frame);
	CHECK(n > TLSD_REPORT_HDR);
	CHECK(memcmp(frame, "mptls 1 ", 8) == 0);
	CHECK(tlsd_report_body_len(frame, TLSD_REPORT_HDR) == n - TLSD_REPORT_HDR);
	/* values never carry a raw LF or '%' */
	CHECK(memmem(frame, (size_t)n, "pem=-----BEGIN CERTIFICATE-----%0AMIIB%0A", 41) != NULL);
	CHECK(memmem(frame, (size_t)n, "O=100%25 tests", 14) != NULL);
	CHECK(tlsd_report_parse(frame, (size_t)n, &b) == 0);
	CHECK_STR(b.protocol, "TLSv1.3");
	CHECK_STR(b.cipher, "TLS_AES_256_GCM_SHA384");
	CHECK_STR(b.sni, "mail.test");
	CHECK_STR(b.alpn, "imap");
	CHECK(b.verdict == TLS_CERT_ERROR);
	CHECK(b.verify_code == 18);
	CHECK_STR(b.verify, "FAILED:self-signed certificate");
	CHECK_STR(b.subject, "O=Example\\, Inc.,CN=client.test");
	CHECK_STR(b.issuer, "CN=Test CA,O=100% tests");
	CHECK_STR(b.serial, "1002");
	CHECK_STR(b.fingerprint, "6e1f38e942534ae266063b1482743d3cbe872f54");
	CHECK_MEM(b.pem, b.pemlen, a.pem, a.pemlen);

	/* a plain session: only protocol and cipher */
	memset(&a, 0, sizeof a);
	strcpy(a.protocol, "TLSv1.2");
	strcpy(a.cipher, "ECDHE-RSA-AES256-GCM-SHA384");
	n = tlsd_report_write(&a, frame, sizeof frame);
	CHECK_MEM(frame, (size_t)n, "mptls 1 00077\nprotocol=TLSv1.2\ncipher=ECDHE-RSA-AES256-GCM-SHA384\n"
	    "verdict=ok\nverify_code=0\n", 91);
	CHECK(tlsd_report_parse(frame, (size_t)n, &b) == 0);
	CHECK_STR(b.verify, "");
	CHECK(b.pemlen == 0 && b.verdict == TLS_CERT_OK);
}

static int
parse_str(const char *body)
{
	char buf[512];
	int n = snprintf(buf, sizeof buf, "mptls 1 %05zu\n%s", strlen(body), body);

	return tlsd_report_parse(buf, (size_t)n, &b);
}

static void
test_malformed(void)
{
	char big[600];

	CHECK(parse_str("protocol=TLSv1.3\n") == 0);
	CHECK(parse_str("") == 0);
	CHECK(parse_str("future=whatever\nprotocol=TLSv1.3\n") == 0);	/* unknown keys skipped */
	CHECK_STR(b.protocol, "TLSv1.3");
	CHECK(parse_str("protocol=TLSv1.3") == -1);			/* no final LF */
	CHECK(parse_str("protocol\n") == -1);				/* no '=' */
	CHECK(parse_str("protocol=a\nprotocol=b\n") == -1);		/* duplicate */
	CHECK(parse_str("pem=a\npem=b\n") == -1);
	CHECK(parse_str("verdict=maybe\n") == -1);
	CHECK(parse_str("verdict=missing\n") == 0 && b.verdict == TLS_CERT_MISSING);
	CHECK(parse_str("verify_code=\n") == -1);
	CHECK(parse_str("verify_code=-1\n") == -1);
	CHECK(parse_str("verify_code=1234567890\n") == -1);
	CHECK(parse_str("sni=a%0\n") == -1);				/* short escape */
	CHECK(parse_str("sni=a%zz\n") == -1);
	CHECK(parse_str("sni=a%00b\n") == -1);				/* NUL in a string */
	CHECK(parse_str("pem=a%00b\n") == 0 && b.pemlen == 3);	/* but not in the PEM bytes */
	CHECK(parse_str("protocol=TLSv1.3456789012\n") == -1);	/* 16 bytes: no room for NUL */
	CHECK(parse_str("protocol=TLSv1.345678901\n") == 0);		/* 15 fit */
	memset(big, 'x', sizeof big);
	memcpy(big, "sni=", 4);
	big[4 + 256] = '\n';
	big[4 + 257] = '\0';
	CHECK(parse_str(big) == -1);
	big[4 + 255] = '\n';
	big[4 + 256] = '\0';
	CHECK(parse_str(big) == 0 && strlen(b.sni) == 255);

	/* the frame */
	CHECK(tlsd_report_body_len("mptls 1 00000\n", 14) == 0);
	CHECK(tlsd_report_body_len("mptls 1 32768\n", 14) == 32768);
	CHECK(tlsd_report_body_len("mptls 1 32769\n", 14) == -1);
	CHECK(tlsd_report_body_len("mptls 2 00000\n", 14) == -1);
	CHECK(tlsd_report_body_len("mptls 1 0000a\n", 14) == -1);
	CHECK(tlsd_report_body_len("mptls 1 00000 ", 14) == -1);
	CHECK(tlsd_report_body_len("mptls 1 0000", 12) == -1);
	CHECK(tlsd_report_parse("mptls 1 00005\nsni=", 18, &b) == -1);	/* length mismatch */
	CHECK(tlsd_report_parse("mptls 1 00004\nsni=\nx", 20, &b) == -1);
}

static void
test_write_limits(void)
{
	long n;

	/* the largest report fits the frame and is parsed back */
	sample(&a);
	memset(a.subject, 'a', sizeof a.subject - 1);
	memset(a.issuer, 0x80, sizeof a.issuer - 1);		/* escaped: three bytes each */
	memset(a.pem, 'p', sizeof a.pem);
	a.pemlen = sizeof a.pem;
	n = tlsd_report_write(&a, frame, sizeof frame);
	CHECK(n > 0 && n <= TLSD_REPORT_HDR + TLSD_REPORT_MAX);
	CHECK(tlsd_report_parse(frame, (size_t)n, &b) == 0);
	CHECK(memcmp(b.issuer, a.issuer, sizeof a.issuer) == 0);
	CHECK(b.pemlen == sizeof a.pem);
	/* a buffer too small, a bad verdict */
	CHECK(tlsd_report_write(&a, frame, 100) == -1);
	sample(&a);
	a.verdict = 7;
	CHECK(tlsd_report_write(&a, frame, sizeof frame) == -1);
}

/* A ClientHello record with the given ALPN extension body (NULL: none). */
static size_t
hello(uint8_t *out, const uint8_t *alpn, size_t alen)
{
	uint8_t body[512];
	size_t n = 0, ext = 0;

	body[n++] = 3; body[n++] = 3;			/* legacy_version */
	memset(body + n, 0x11, 32); n += 32;		/* random */
	body[n++] = 0;					/* session id */
	body[n++] = 0; body[n++] = 2; body[n++] = 0x13; body[n++] = 0x01;	/* one suite */
	body[n++] = 1; body[n++] = 0;			/* null compression */
	uint8_t exts[256];
	exts[ext++] = 0; exts[ext++] = 0x0b; exts[ext++] = 0; exts[ext++] = 2;	/* ec_point_formats */
	exts[ext++] = 1; exts[ext++] = 0;
	if (alpn != NULL) {
		exts[ext++] = 0; exts[ext++] = 16;
		exts[ext++] = (uint8_t)(alen >> 8); exts[ext++] = (uint8_t)alen;
		memcpy(exts + ext, alpn, alen);
		ext += alen;
	}
	body[n++] = (uint8_t)(ext >> 8); body[n++] = (uint8_t)ext;
	memcpy(body + n, exts, ext);
	n += ext;
	out[0] = 0x16; out[1] = 3; out[2] = 1;
	out[3] = (uint8_t)((n + 4) >> 8); out[4] = (uint8_t)(n + 4);
	out[5] = 1; out[6] = 0; out[7] = (uint8_t)(n >> 8); out[8] = (uint8_t)n;
	memcpy(out + 9, body, n);
	return n + 9;
}

static void
test_alpn(void)
{
	static const uint8_t imap[] = { 0, 5, 4, 'i', 'm', 'a', 'p' };
	static const uint8_t h2imap[] = { 0, 8, 2, 'h', '2', 4, 'i', 'm', 'a', 'p' };
	static const uint8_t h2[] = { 0, 3, 2, 'h', '2' };
	static const uint8_t imapx[] = { 0, 6, 5, 'i', 'm', 'a', 'p', 's' };
	static const uint8_t lying[] = { 0, 9, 4, 'i', 'm', 'a', 'p' };	/* list overruns: OpenSSL's to refuse */
	uint8_t rec[600];
	size_t n, need;

	n = hello(rec, NULL, 0);
	CHECK(tlsd_hello_alpn(rec, n, "imap", &need) == 0);
	n = hello(rec, imap, sizeof imap);
	CHECK(tlsd_hello_alpn(rec, n, "imap", &need) == 0);
	CHECK(tlsd_hello_alpn(rec, n, "pop3", &need) == -1);
	n = hello(rec, h2imap, sizeof h2imap);
	CHECK(tlsd_hello_alpn(rec, n, "imap", &need) == 0);
	CHECK(tlsd_hello_alpn(rec, n, "smtp", &need) == -1);
	n = hello(rec, h2, sizeof h2);
	CHECK(tlsd_hello_alpn(rec, n, "imap", &need) == -1);
	n = hello(rec, imapx, sizeof imapx);
	CHECK(tlsd_hello_alpn(rec, n, "imap", &need) == -1);
	n = hello(rec, lying, sizeof lying);
	CHECK(tlsd_hello_alpn(rec, n, "imap", &need) == 0);
	CHECK(tlsd_hello_alpn(rec, n, "pop3", &need) == -1);
	/* partial records ask for the rest */
	n = hello(rec, imap, sizeof imap);
	CHECK(tlsd_hello_alpn(rec, 3, "imap", &need) == 1 && need == 5);
	CHECK(tlsd_hello_alpn(rec, n - 1, "imap", &need) == 1 && need == n);
	/* not TLS at all: the handshake decides */
	CHECK(tlsd_hello_alpn((const uint8_t *)"a1 CAPABILITY\r\n", 15, "imap", &need) == 0);
}

static void
test_check(void)
{
	struct mp_server srv;
	const char *certs[] = { "/etc/ssl/c.pem" }, *keys[] = { "engine:pkcs11:x" };
	const char *cmd[] = { "Options", "-SessionTicket" };
	char err[256];

	memset(&srv, 0, sizeof srv);
	srv.file = "/etc/mailproxy/mailproxy.conf";
	srv.line = 12;
	srv.ssl.protocols = 16 | 32;
	srv.ssl.verify_depth = 1;
	srv.ssl.certificate.n = 1;
	srv.ssl.certificate.v = certs;
	srv.ssl.certificate_key.n = 1;
	srv.ssl.certificate_key.v = certs;
	CHECK(tls_check_server(&srv, err, sizeof err) == 0);
	srv.ssl.protocols = 2 | 16;
	CHECK(tls_check_server(&srv, err, sizeof err) == -1);
	CHECK_STR(err, "\"ssl_protocols\" SSLv2/SSLv3 is not supported by libtls in /etc/mailproxy/mailproxy.conf:12");
	srv.ssl.protocols = 32;
	srv.ssl.conf_command.n = 2;
	srv.ssl.conf_command.v = cmd;
	CHECK(tls_check_server(&srv, err, sizeof err) == -1);
	CHECK_STR(err, "\"ssl_conf_command\" is not supported by libtls in /etc/mailproxy/mailproxy.conf:12");
	srv.ssl.conf_command.n = 0;
	srv.ssl.certificate_compression = true;
	CHECK(tls_check_server(&srv, err, sizeof err) == -1);
	srv.ssl.certificate_compression = false;
	srv.ssl.certificate_key.v = keys;
	CHECK(tls_check_server(&srv, err, sizeof err) == -1);
	CHECK_STR(err, "an \"engine:\"/\"store:\" key is not supported by libtls in /etc/mailproxy/mailproxy.conf:12");
}

/* tls_read_report from a socketpair, non-blocking as the handler's, whose
 * other end got the first LEN bytes of the frame and then closed if
 * CLOSE_IT: its return value, errno in *ERR. */
static int
read_report(long len, int close_it, int *err)
{
	int sp[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == -1)
		abort();
	if (len > 0 && write(sp[1], frame, (size_t)len) != len)
		abort();
	if (close_it)
		close(sp[1]);
	errno = 0;
	r = tls_read_report(sp[0], &b, mp_now_ms() + 100);
	*err = errno;
	close(sp[0]);
	if (!close_it)
		close(sp[1]);
	return r;
}

/* The reader both ends of a session use: a whole frame, an end or the
 * deadline before the header (errno tells which; mailproxy-tls logged why),
 * and a frame cut or broken after it (EPROTO). */
static void
test_read(void)
{
	long n;
	int err;

	sample(&a);
	n = tlsd_report_write(&a, frame, sizeof frame);
	CHECK(n > TLSD_REPORT_HDR);
	memset(&b, 0, sizeof b);
	CHECK(read_report(n, 1, &err) == 0);
	CHECK_STR(b.sni, "mail.test");
	CHECK(b.pemlen == a.pemlen);
	CHECK(read_report(0, 1, &err) == -1 && err == ECONNRESET);
	CHECK(read_report(TLSD_REPORT_HDR - 1, 1, &err) == -1 && err == ECONNRESET);
	CHECK(read_report(TLSD_REPORT_HDR - 1, 0, &err) == -1 && err == ETIMEDOUT);
	CHECK(read_report(n - 1, 1, &err) == -1 && err == EPROTO);
	CHECK(read_report(n - 1, 0, &err) == -1 && err == EPROTO);
	frame[0] = 'M';
	CHECK(read_report(n, 1, &err) == -1 && err == EPROTO);
}

int
main(void)
{
	test_roundtrip();
	test_malformed();
	test_write_limits();
	test_alpn();
	test_check();
	test_read();
	UNIT_DONE();
}
