/* SPDX-License-Identifier: ISC */
/* libexec.h: where the handler finds the programs it executes. */
#ifndef MP_LIBEXEC_H
#define MP_LIBEXEC_H

#include <stddef.h>

/* The path of the helper program NAME (mailproxy-relay, mailproxy-tls,
 * mailproxy-full): beside the running program in a build tree, else in the
 * installed libexec directory. */
void libexec_path(const char *name, char *out, size_t cap);

#endif
