/* SPDX-License-Identifier: ISC */
/* tls_hello.h: the one look mailproxy-tls takes at a ClientHello. */
#ifndef MP_TLS_HELLO_H
#define MP_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

/* Look at the first TLS record of a connection (N bytes of B): 1 if more
 * bytes are needed (*NEED is how many in all), -1 if the ClientHello offers
 * ALPN without PROTO, 0 otherwise (no ALPN, PROTO offered, or not a
 * ClientHello this check understands: the handshake decides). */
int tlsd_hello_alpn(const uint8_t *b, size_t n, const char *proto, size_t *need);

#endif
