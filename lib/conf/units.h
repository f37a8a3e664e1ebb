/* SPDX-License-Identifier: ISC */
/* units.h: the service manager's side of the configuration.  The listening sockets
 * belong to systemd or inetd, so the "listen" lines of mailproxy.conf are written out as
 * .socket units, inetd.conf lines or xinetd service blocks, every listen parameter mapped
 * to its setting there, or named, on the error stream and in a comment, where there is
 * none. */
#ifndef MP_UNITS_H
#define MP_UNITS_H

#include <stdio.h>

#include "conf.h"

enum units_kind { UNITS_SYSTEMD, UNITS_INETD, UNITS_XINETD,
    UNITS_SYSTEMD_ACCEPT };	/* Accept=no sockets, mailproxy-accept (the high-rate mode) */

/* "systemd", "inetd", "xinetd" or "systemd-accept" to its kind; -1 for anything else. */
int units_kind(const char *name);

/* Write the entries for every listen of CF to OUT, each running "EXE -c CONF"; a
 * parameter the manager cannot express is reported on ERR as a [warn] line.  Returns 0,
 * or -1 (errno set) when OUT could not be written. */
int units_print(const struct mp_conf *cf, int kind, const char *exe, const char *conf,
    FILE *out, FILE *err);

/* All of "mailproxy -T KIND [-c PATH]": the entries run the executable of this process
 * with PATH made absolute.  Returns the exit status: 0, or 1 with a message on ERR. */
int units_run(const struct mp_conf *cf, const char *kind, const char *path, FILE *out,
    FILE *err);

#endif
