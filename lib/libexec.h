/* SPDX-License-Identifier: ISC */
/* libexec.h: the programs the handler executes, and when the handler hands
 * a connection to its fuller build. */
#ifndef MP_LIBEXEC_H
#define MP_LIBEXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "conn.h"

/* The path of the helper program NAME (mailproxy-relay, mailproxy-tls,
 * mailproxy-full): beside the running program in a build tree, else in the
 * installed libexec directory. */
void libexec_path(const char *name, char *out, size_t cap);

/* Whether a session on SRV may need a library that only a dynamically
 * linked handler can load: libcurl (auth_http by host name or https://) or
 * c-ares (an SMTP server with a resolver). */
bool libexec_needs_full(const struct mp_server *srv);

/* Execute mailproxy-full with ARGV on connection C, handed over as systemd
 * or inetd handed it to this process. Returns only on failure: -1, errno. */
int libexec_full(char **argv, const struct conn *c);

#endif
