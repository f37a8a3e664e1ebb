/* SPDX-License-Identifier: ISC */
/* tlsd.h: the TLS engine of mailproxy-tls, over libtls and libcrypto.
 *
 * Only mailproxy-tls links these (lib/tls/); the handler sees just the
 * report it sends (tls_report.h). This header names the libtls types
 * without including <tls.h>. */
#ifndef MP_TLSD_H
#define MP_TLSD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "tls_report.h"

struct tls;
struct tls_config;

/* The libtls protocol set of an ssl_protocols MASK (MP_TLSv1 ...) in *OUT;
 * -1 if it names SSLv2/SSLv3, which libtls lacks, or no TLS version. */
int tlsd_protocols(unsigned mask, uint32_t *out);

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

/* Drive the handshake of CTX (server or client) on the non-blocking FD to
 * its end before DEADLINE: 0, or -1 with the reason in ERR (errno ETIMEDOUT
 * and "timed out" at the deadline). */
int tlsd_handshake_wait(struct tls *ctx, int fd, int64_t deadline, char *err, size_t errlen);

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
