/* SPDX-License-Identifier: ISC */
/* tls_start.h: the handler's side of TLS. No libtls here: the handler hands
 * the client socket to mailproxy-tls and from then on speaks plaintext. */
#ifndef MP_TLS_START_H
#define MP_TLS_START_H

#include <stddef.h>

#include "conf.h"
#include "session.h"
#include "tls_report.h"

/* Start TLS on the client: implicit TLS before the greeting, or after the
 * STARTTLS/STLS reply has been sent and the buffered input discarded.
 *
 * The process forks. The parent execs mailproxy-tls (found beside the
 * handler, else in the libexec directory) with the client socket; it stays
 * the connection's main process and ends last, after the relay, so that
 * systemd's Accept=yes instance sees the whole session. The child returns
 * here as the handler: every descriptor that was the client socket is now
 * the plaintext end of a socketpair (s->cfd keeps its number), s->tls is set,
 * and OUT holds the handshake report, read within `timeout`.
 *
 * The caller then acts on out->verdict (doc/wire.md#tls-client-cert):
 * TLS_CERT_MISSING -> send the protocol's "No required SSL certificate"
 * line and close, TLS_CERT_ERROR -> the "SSL certificate error" line and
 * close (mailproxy-tls has logged why).
 * Returns 0, or -1 when the handshake failed or timed out (logged by
 * mailproxy-tls or here): close the connection without a reply. */
int session_start_tls(struct session *s, struct tls_info *out);

/* For `mailproxy -t`, and only for servers that use TLS (listen ... ssl or
 * starttls on|only): refuse what libtls cannot express. Inspects the
 * settings only, never reads keys. 0, or -1 with nginx-style text in ERR
 * ("... in FILE:LINE", the server's line). */
int tls_check_server(const struct mp_server *srv, char *err, size_t errlen);

#endif
