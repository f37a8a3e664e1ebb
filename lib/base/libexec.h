/* SPDX-License-Identifier: ISC */
/* libexec.h: where the handler finds the programs it executes, and their argv. */
#ifndef MP_LIBEXEC_H
#define MP_LIBEXEC_H

#include <stddef.h>

/* The path of the helper program NAME (mailproxy-relay, mailproxy-tls,
 * mailproxy-full): beside the running program in a build tree, else in the
 * installed libexec directory. */
void libexec_path(const char *name, char *out, size_t cap);

/* ARG as an argv entry: execv(2) takes char *const[] for historical
 * reasons and never writes the strings, so only the type drops the const. */
char *libexec_arg(const char *arg);

#endif
