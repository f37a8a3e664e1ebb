/* SPDX-License-Identifier: ISC */
/* conn_opts.h: the listen line's socket parameters on an accepted connection. */
#ifndef MP_CONN_OPTS_H
#define MP_CONN_OPTS_H

#include <stddef.h>

#include "conf.h"

/* Set L's rcvbuf, sndbuf and so_keepalive (with its timers) on FD, as the
 * inetd styles need (systemd's socket units set them on the listening
 * socket). 0, or -1 with the last failure in ERR; every setting is tried. */
int conn_apply_listen(int fd, const struct mp_listen *l, char *err, size_t errlen);

#endif
