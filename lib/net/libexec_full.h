/* SPDX-License-Identifier: ISC */
/* libexec_full.h: when and how the handler hands a connection to its fuller
 * build, mailproxy-full. */
#ifndef MP_LIBEXEC_FULL_H
#define MP_LIBEXEC_FULL_H

#include <stdbool.h>

#include "conf.h"
#include "conn.h"

/* Whether a session on SRV may need a library that only a dynamically
 * linked handler can load: libcurl (auth_http by host name or https://) or
 * c-ares (an SMTP server with a resolver). */
bool libexec_needs_full(const struct mp_server *srv);

/* Execute mailproxy-full with ARGV on connection C, handed over as systemd
 * or inetd handed it to this process. Returns only on failure: -1, errno. */
int libexec_full(char **argv, const struct conn *c);

#endif
