/* SPDX-License-Identifier: ISC */
/* tls_start.h: the handler's side of TLS. No libtls here: the handler hands
 * the client socket to mailproxy-tls and from then on speaks plaintext. */
#ifndef MP_TLS_START_H
#define MP_TLS_START_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

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

/* Executing mailproxy-tls for a session (the client's end, or with "-U"
 * the backend's: backend_tls.c): the arguments every one gets (the
 * configuration, the server and its digest, the session id, the client and
 * the local address), then more with tls_exec_arg(), then the exec with NET
 * (the client or the backend socket) on fd 0 and PLAIN on 1; where fd 2 is
 * the client socket CLIENT (inetd), it becomes /dev/null. */
struct tls_exec {
	char path[PATH_MAX], idx[32], digest[32];
	char *argv[32];
	size_t argc;
};
void tls_exec_init(struct tls_exec *x, const struct session *s, const char *mode);
void tls_exec_arg(struct tls_exec *x, const char *opt, const char *val);
void tls_exec(struct tls_exec *x, int net, int plain, const struct stat *client)
    __attribute__((noreturn));

/* Read mailproxy-tls's handshake report (tls_report.h) from FD, the
 * plaintext end, into OUT before DEADLINE. 0, or -1: the header did not
 * come whole (errno ETIMEDOUT at the deadline, ECONNRESET when mailproxy-tls
 * closed: it has logged why; not logged here), or the frame is invalid
 * (errno EPROTO, logged here). */
int tls_read_report(int fd, struct tls_info *out, int64_t deadline);

/* For `mailproxy -t`, and only for servers that use TLS (listen ... ssl or
 * starttls on|only): refuse what libtls cannot express. Inspects the
 * settings only, never reads keys. 0, or -1 with nginx-style text in ERR
 * ("... in FILE:LINE", the server's line). */
int tls_check_server(const struct mp_server *srv, char *err, size_t errlen);

#endif
