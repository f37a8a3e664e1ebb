/* SPDX-License-Identifier: ISC */
/* cares_load.c: resolve the c-ares entry points the resolver uses. */
#include <dlfcn.h>
#include <stdio.h>

#include "cares_load.h"

#define LIBCARES_SONAME "libcares.so.2"

struct cares_api cares;

/* dlsym returns void *; POSIX guarantees it converts to a function pointer */
#define SYM(field, name) \
	((*(void **)(void *)&cares.field = dlsym(lib, name)) != NULL)

int
cares_load(char *why, size_t whylen)
{
	static int state;	/* 0 not tried, 1 loaded, -1 failed */
	static char reason[256];
	void *lib;

	if (state == 0) {
		state = -1;
		lib = dlopen(LIBCARES_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (lib == NULL)
			snprintf(reason, sizeof reason, "dlopen(\"%s\") failed: %s", LIBCARES_SONAME,
			    dlerror());
		else if (!SYM(library_init, "ares_library_init") ||
		    !SYM(library_cleanup, "ares_library_cleanup") ||
		    !SYM(init_options, "ares_init_options") ||
		    !SYM(set_servers_ports, "ares_set_servers_ports") ||
		    !SYM(destroy, "ares_destroy") || !SYM(cancel, "ares_cancel") ||
		    !SYM(getsock, "ares_getsock") || !SYM(timeout, "ares_timeout") ||
		    !SYM(process_fd, "ares_process_fd") || !SYM(query, "ares_query") ||
		    !SYM(expand_name, "ares_expand_name") ||
		    !SYM(free_string, "ares_free_string") || !SYM(strerror, "ares_strerror"))
			snprintf(reason, sizeof reason, "%s lacks a function: %s", LIBCARES_SONAME,
			    dlerror());
		else
			state = 1;
	}
	if (state == -1)
		snprintf(why, whylen, "%s", reason);
	return state == 1 ? 0 : -1;
}
