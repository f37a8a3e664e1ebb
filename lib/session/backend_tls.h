/* SPDX-License-Identifier: ISC */
/* backend_tls.h: TLS to the backend, the handler's side (no libtls here).
 *
 * After the connect (and the PROXY header, which goes in clear, as the
 * backend reads it before any TLS), the handler either hands the socket at
 * once to a mailproxy-tls in upstream mode (proxy_ssl on), or first speaks
 * the protocol's STARTTLS in clear (proxy_ssl starttls):
 *
 *   IMAP  S: * OK ...             C: <tag>STARTTLS    S: <tag>OK ...
 *   POP3  S: +OK ...              C: STLS             S: +OK ...
 *   SMTP  S: 220 ...              C: EHLO <server_name>
 *         S: 250-...STARTTLS...   C: STARTTLS         S: 220 ...
 *   Sieve S: capabilities with "STARTTLS", OK ...
 *                                 C: STARTTLS         S: OK ...
 *
 * The greeting is kept and starts the login dialogue after the handshake
 * (backend_hold_reply; ManageSieve repeats its own inside TLS): nothing of the clear phase but that is judged
 * again, and a byte the backend sent behind its STARTTLS reply refuses the
 * backend (it would be a reply injected before the handshake).
 *
 * The process shape mirrors the client side (tls_start.h): the process
 * forks, the parent becomes mailproxy-tls -U with the backend socket, the
 * child goes on as the handler with a plaintext socketpair in s->bfd, reads
 * the handshake report, runs the login inside the TLS session and then
 * executes the relay, which splices plaintext as ever. mailproxy-tls
 * verifies the backend's certificate and logs why it refuses one. */
#ifndef MP_BACKEND_TLS_H
#define MP_BACKEND_TLS_H

#include <stddef.h>

#include "auth_http.h"
#include "backend.h"
#include "conf.h"
#include "session.h"

/* The auth server may choose per user (mailproxy.conf(5), AUTH PROTOCOL):
 *   Auth-Backend-TLS: off | on | starttls      overrides proxy_ssl
 *   Auth-Backend-TLS-Name: <host name or IP>   overrides proxy_ssl_name
 *   Auth-Backend-TLS-Verify: on | off          overrides proxy_ssl_verify
 * Sets s->btls, s->btls_name and s->btls_verify from them and the server's
 * configuration. -1 (logged) when a value is not one of these: the login
 * fails with the internal error, never falls back to clear text. */
int backend_tls_choose(struct session *s, const struct auth_reply *r);

/* Start TLS on s->bfd as s->btls says (nothing for off). 0: s->bfd is the
 * plaintext end now; -1: refused or failed, logged here or by mailproxy-tls
 * (the caller answers with the internal error). B is the proxy_buffer. */
int backend_tls_start(struct session *s, struct backend_buf *b);

/* `mailproxy -t`: what the proxy_ssl_* settings of SRV cannot do. 0, or -1
 * with nginx-style text in ERR. Reads the trusted CA file's name only. */
int backend_tls_check(const struct mp_server *srv, char *err, size_t errlen);

/* A name fit for SNI, the certificate check and an argv: 1 to 253 bytes of
 * letters, digits, '.', '-', '_' and ':' (an IPv6 address). */
bool backend_tls_name_ok(const char *p, size_t n);

#endif
