/* SPDX-License-Identifier: ISC */
/* sandbox_conf.h: the handler's Landlock rules from its configuration. */
#ifndef MP_SANDBOX_CONF_H
#define MP_SANDBOX_CONF_H

#include <stddef.h>

#include "conf.h"

/* Gives sandbox_fs_allow() the rules for a handler of CF: the system's
 * programs and libraries to read and execute, /etc to read, PROGS (NPROGS
 * paths) to execute, the directories of the configuration's files and of
 * the TLS files it names to read, its log files to write. 0, or -1. */
int sandbox_fs_conf(const struct mp_conf *cf, const char *const *progs, size_t nprogs);

#endif
