/* SPDX-License-Identifier: ISC */
/* tlsd_upstream.h: mailproxy-tls -U, the TLS client towards a backend
 * (the handler's side is backend_tls.h). libtls makes the connection with
 * its own certificate checks off; the checks are done after the handshake
 * with libcrypto, as nginx's proxy_ssl_verify does them, so that the log
 * line names the cause as nginx would ("upstream SSL certificate verify
 * error: (10:certificate has expired)", "... does not match "name""). No
 * byte of the session is sent before they pass. Only mailproxy-tls links
 * this file. */
#ifndef MP_TLSD_UPSTREAM_H
#define MP_TLSD_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct tls;
struct tls_config;
struct x509_store_st;

struct tlsd_upstream {
	struct tls_config *cfg;
	struct x509_store_st *store;	/* the trusted CAs; NULL without proxy_ssl_verify */
};

/* SRV's proxy_ssl_* as a libtls client configuration, and (VERIFY) its
 * trust store, loaded now, before the sandbox: the proxy_ssl_trusted_certificate
 * file, or OpenSSL's default CA directory ($SSL_CERT_DIR, else Debian's
 * /usr/lib/ssl/certs), searched by hashed name during the check. A client key is read from $CREDENTIALS_DIRECTORY
 * first, as the server keys are. -1 with ERR. */
int tlsd_upstream_init(const struct mp_server *srv, bool verify, struct tlsd_upstream *u,
    char *err, size_t errlen);
void tlsd_upstream_free(struct tlsd_upstream *u);

/* Connect over FD (SNI: the name to send, or NULL) and handshake before
 * DEADLINE. 0 with *CTX, or -1 with ERR ("timed out" with errno ETIMEDOUT). */
int tlsd_upstream_handshake(struct tlsd_upstream *u, int fd, const char *sni, int64_t deadline,
    struct tls **ctx, char *err, size_t errlen);

/* The checks of proxy_ssl_verify: the chain against the store within
 * proxy_ssl_verify_depth, then NAME (a host name, or an IP address) against
 * the leaf. 0 passed; 1 refused, ERR the reason as nginx logs it; -1 an
 * internal failure, with ERR. */
int tlsd_upstream_verify(const struct tlsd_upstream *u, const struct mp_server *srv,
    struct tls *ctx, const char *name, char *err, size_t errlen);

#endif
