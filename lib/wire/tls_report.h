/* SPDX-License-Identifier: ISC */
/* tls_report.h: what mailproxy-tls tells the handler about a handshake.
 *
 * mailproxy-tls owns the client socket, does the handshake and then moves
 * bytes between the TLS connection and a plaintext socketpair whose other
 * end the handler (and after it the relay) reads as if it were the client.
 * The first bytes on that socketpair are the report below; everything after
 * it is the client's plaintext. Plain C: the handler links this, not libtls. */
#ifndef MP_TLS_REPORT_H
#define MP_TLS_REPORT_H

#include <stddef.h>
#include <stdint.h>

/* What the handler must do about the client certificate
 * (doc/wire.md#tls-client-cert). */
enum tls_cert_verdict {
	TLS_CERT_OK = 0,	/* go on (no verification, or it passed / was tolerated) */
	TLS_CERT_MISSING,	/* ssl_verify_client on, no certificate: "No required SSL certificate" */
	TLS_CERT_ERROR		/* verification failed: "SSL certificate error" */
};

/* The handshake's outcome, as Auth-SSL-* wants it. Empty strings are absent
 * values. Sizes: RFC 6066 caps a host name at 255 bytes; the DN and PEM caps
 * are ours (a longer certificate is refused by mailproxy-tls, never cut). */
struct tls_info {
	char protocol[16];	/* "TLSv1.3" */
	char cipher[64];	/* OpenSSL's name, "TLS_AES_256_GCM_SHA384" */
	char sni[256];		/* the client's server name, if any */
	char alpn[16];		/* the selected protocol, if any */
	int verdict;		/* enum tls_cert_verdict */
	long verify_code;	/* X509_V_* of the client certificate, 0 = ok */
	char verify[256];	/* "" (ssl_verify_client off), SUCCESS, FAILED:<reason>, NONE */
	char subject[2048];	/* RFC 2253, as X509_NAME_print_ex(XN_FLAG_RFC2253) */
	char issuer[2048];
	char serial[136];	/* upper-case hex, as i2a_ASN1_INTEGER */
	char fingerprint[48];	/* SHA-1 of the DER, 40 lower-case hex digits */
	char pem[16384];	/* the client certificate (leaf), PEM */
	size_t pemlen;
};

/* The report on the wire: a fixed 14-byte header "mptls 1 NNNNN\n" giving the
 * body length in decimal, then "key=value\n" lines, values %XX-escaped. */
#define TLSD_REPORT_HDR 14
#define TLSD_REPORT_MAX 32768	/* body bytes; the parser refuses more */

/* Write the whole frame (header and body) into OUT: its length, or -1 if it
 * does not fit CAP (or TLSD_REPORT_MAX). */
long tlsd_report_write(const struct tls_info *ti, char *out, size_t cap);

/* The body length a header announces, or -1 if HDR is not a valid header. */
long tlsd_report_body_len(const char *hdr, size_t len);

/* Parse a whole frame. 0 ok, -1 malformed (unknown keys are skipped, a
 * duplicate key, a bad escape or a value too long for its field are not). */
int tlsd_report_parse(const char *buf, size_t len, struct tls_info *ti);

#endif
