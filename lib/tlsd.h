/* SPDX-License-Identifier: ISC */
/* tlsd.h: the TLS engine (mailproxy-tls) and its handshake report.
 *
 * mailproxy-tls owns the client socket, does the handshake and then moves
 * bytes between the TLS connection and a plaintext socketpair whose other
 * end the handler (and after it the relay) reads as if it were the client.
 * The first bytes on that socketpair are the report below; everything after
 * it is the client's plaintext.
 *
 * Only the report (struct tls_info, tlsd_report_*) is meant for the handler:
 * it is plain C. The other functions call libtls and libcrypto and live in
 * tlsd_config.c and tlsd_io.c, which only mailproxy-tls links; this header
 * names the libtls types without including <tls.h>. */
#ifndef MP_TLSD_H
#define MP_TLSD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"

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

/* Look at the first TLS record of a connection (N bytes of B): 1 if more
 * bytes are needed (*NEED is how many in all), -1 if the ClientHello offers
 * ALPN without PROTO, 0 otherwise (no ALPN, PROTO offered, or not a
 * ClientHello this check understands: the handshake decides). */
int tlsd_hello_alpn(const uint8_t *b, size_t n, const char *proto, size_t *need);

/* ---- mailproxy-tls only (libtls) -------------------------------------- */

struct tls;
struct tls_config;

/* Build the server configuration for SRV (ALPN = the protocol's name).
 * Certificates and keys are read from $CREDENTIALS_DIRECTORY/<basename> when
 * that exists, else from the configured path; key memory is wiped. -1 with a
 * message in ERR. */
int tlsd_config_build(const struct mp_server *srv, struct tls_config **out, char *err, size_t errlen);

/* The client certificate checks of ssl_verify_client, done after the
 * handshake as nginx does them: fills verdict, verify_code, verify, subject,
 * issuer, serial, fingerprint and pem from the PEM chain the client sent
 * (leaf first). -1 with ERR on an internal failure. */
int tlsd_verify_peer(const struct mp_ssl *ssl, const uint8_t *chain, size_t chainlen,
    struct tls_info *ti, char *err, size_t errlen);

/* $CREDENTIALS_DIRECTORY/<basename of PATH> if systemd passed it (the unit
 * says LoadCredential=<basename>:<path>) and it is readable, else PATH;
 * BUF (CAP bytes) may hold the result. */
const char *tlsd_cred_path(const char *path, char *buf, size_t cap);

/* "imap", "pop3" or "smtp": the ALPN protocol of a server. */
const char *tlsd_alpn_name(int proto);

/* Accept and handshake on FD before DEADLINE (mp_now_ms based); a client
 * offering ALPN without ALPN (if not NULL) gets a fatal alert. 0 with *CTX
 * ready, -1 with the reason in ERR (the caller logs it; errno ETIMEDOUT and
 * ERR "timed out" at the deadline). */
int tlsd_handshake(struct tls *srv, int fd, const char *alpn, int64_t deadline, struct tls **ctx,
    char *err, size_t errlen);

/* Fill protocol, cipher, sni, alpn and the certificate fields. */
int tlsd_collect(struct tls *ctx, const struct mp_ssl *ssl, struct tls_info *ti, char *err, size_t errlen);

/* Move bytes between the TLS connection on TFD and the plaintext socket PFD
 * until both directions are finished, propagating half-closes. LINGER_MS
 * bounds the wait for the client's end once the plaintext side is done;
 * IDLE_MS (0: none) ends a session where no byte moved either way for that
 * long (logged). Returns 0 on a clean or idle end, -1 after an error (logged). */
int tlsd_run(struct tls *ctx, int tfd, int pfd, int64_t linger_ms, int64_t idle_ms);

/* ---- session tickets (tlsd_ticket.c) ---------------------------------- */

struct tlsd_tickets;

/* The ticket keys of SRV, loaded now (before any sandbox): its
 * ssl_session_ticket_key files, or, with none and SHARED (one process
 * serves many sessions: the daemon), a random key. Tickets are off with
 * ssl_session_tickets off, and without a file in a process of one session,
 * where no other process could decrypt them. -1 with ERR. */
int tlsd_tickets_new(const struct mp_server *srv, int shared, struct tlsd_tickets **out, char *err,
    size_t errlen);

/* Around the tls_configure() of SRV's context: begin notes the SSL_CTXs it
 * creates, end sets tickets on (with ssl_session_timeout as their lifetime)
 * or off on each. TK must live as long as the context. -1 with ERR. */
void tlsd_tickets_begin(struct tlsd_tickets *tk);
int tlsd_tickets_end(struct tlsd_tickets *tk, char *err, size_t errlen);

/* The daemon, before a fork: a random key older than the lifetime is
 * replaced, and still decrypts for one more lifetime. -1 if no random bytes. */
int tlsd_tickets_rotate(struct tlsd_tickets *tk, time_t now);

void tlsd_tickets_free(struct tlsd_tickets *tk);

/* ---- memory of an idle session (tlsd_mem.c) --------------------------- */

/* N bytes of fresh zeroed pages, NULL if mmap fails; tlsd_pages_free gives
 * them back to the kernel at once, which free() would not. */
void *tlsd_pages(size_t n);
void tlsd_pages_free(void *p, size_t n);

/* Drop the contents of the pages P..P+N (page-aligned, from tlsd_pages):
 * they stay mapped and read as zeros, and hold no memory until written. */
void tlsd_pages_drop(void *p, size_t n);

/* Make every SSL_CTX created from now on free its record buffers when they
 * are empty (SSL_MODE_RELEASE_BUFFERS, as nginx does): an idle connection
 * then holds none. Call after tls_init, before tls_configure. -1 if
 * OpenSSL refuses. */
int tlsd_release_buffers(void);

#endif
