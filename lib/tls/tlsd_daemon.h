/* SPDX-License-Identifier: ISC */
/* tlsd_daemon.h: mailproxy-tls -D, one warm process that forks a child per
 * TLS session instead of a process executed per session (tlsd_req.h has
 * the request). */
#ifndef MP_TLSD_DAEMON_H
#define MP_TLSD_DAEMON_H

#include <stddef.h>

#include "conf.h"
#include "tlsd_req.h"

/* SERVE runs in a child with the client socket on fd 0 and the plaintext
 * end on fd 1; it returns the child's exit status. */
typedef int (*tlsd_serve_fn)(size_t server, const struct tlsd_req *r);

/* PREFORK runs in the daemon before each fork (the session ticket keys'
 * rotation): what it changes, the next child inherits. */
typedef void (*tlsd_prefork_fn)(void);

/* RELOAD runs in the daemon on SIGHUP: it reads the configuration, the
 * certificates and the keys again and, when every server's context could be
 * built, sets *CF and *READY to the new ones (the old are freed: the live
 * sessions have their own copies); else it keeps them, and ERR says why.
 * 0 or -1. */
typedef int (*tlsd_reload_fn)(const struct mp_conf **cf, const unsigned char **ready, char *err,
    size_t errlen);

/* Accept requests on the listening unix socket LFD for the servers of CF
 * whose READY[i] is set, forever; reload on SIGHUP. Returns only on a fatal
 * error (logged). */
int tlsd_daemon_run(int lfd, const struct mp_conf *cf, const unsigned char *ready,
    tlsd_prefork_fn prefork, tlsd_serve_fn serve, tlsd_reload_fn reload);

#endif
