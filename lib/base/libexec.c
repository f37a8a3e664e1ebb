/* SPDX-License-Identifier: ISC */
/* libexec.c: where the handler finds the programs it executes, and their argv. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "libexec.h"

#ifndef MP_RELAY_PATH
#define MP_RELAY_PATH "/usr/local/lib/mailproxy/mailproxy-relay"
#endif

void
libexec_path(const char *name, char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	const char *slash;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			snprintf(out, cap, "%.*s/%s", (int)(slash - self), self, name);
			if (access(out, X_OK) == 0)
				return;
		}
	}
	slash = strrchr(MP_RELAY_PATH, '/');
	snprintf(out, cap, "%.*s/%s", slash ? (int)(slash - MP_RELAY_PATH) : 0, MP_RELAY_PATH, name);
}

char *
libexec_arg(const char *arg)
{
	union { const char *c; char *m; } u = { .c = arg };

	return u.m;
}
