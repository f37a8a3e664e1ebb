/* SPDX-License-Identifier: ISC */
/* log_conf.h: the error_log lines that apply to a server. */
#ifndef MP_LOG_CONF_H
#define MP_LOG_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* SRV's own error_log lines, else the main context's: their number, the
 * list in *T (mail{} lines were merged into every server by the parser). */
size_t log_conf_targets(const struct mp_conf *cf, const struct mp_server *srv,
    const struct mp_log_target **t);

/* Log to those targets from now on (none: the default, errors to stderr);
 * SRV NULL: the main context's, for a process that has no server yet.
 * A target that cannot be opened is logged when REPORT, else skipped (a
 * second process of the same connection, whose first one said it). */
void log_conf_use(const struct mp_conf *cf, const struct mp_server *srv, bool report);

#endif
