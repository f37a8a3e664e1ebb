/* SPDX-License-Identifier: ISC */
/* libexec_full.c: the hand-over to mailproxy-full.
 *
 * With musl, mailproxy is a static program: its exec costs about a quarter
 * of a glibc one here (no ld.so, no cpuid probing of the caches; see
 * bench/README). A static program cannot dlopen(3) the system's libcurl or
 * c-ares, so a connection to a server that may need them is handed, before
 * a byte is read from it, to mailproxy-full: the same handler linked
 * dynamically against glibc. Nothing is shared between the two but argv,
 * the environment and the connection's descriptor. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "libexec.h"
#include "libexec_full.h"

bool
libexec_needs_full(const struct mp_server *srv)
{
	/* the parser left addrlen 0 for a host name and for https:// */
	if (srv->auth_http.text != NULL && srv->auth_http.addrlen == 0)
		return true;
	return srv->protocol == MP_PROTO_SMTP && srv->resolver.n > 0;
}

int
libexec_full(char **argv, const struct conn *c)
{
	char path[PATH_MAX], pid[24];

	libexec_path("mailproxy-full", path, sizeof path);
	/* conn_get() took the socket-activation variables and made the socket
	 * close-on-exec; give both back */
	if (c->fd != 0) {
		snprintf(pid, sizeof pid, "%ld", (long)getpid());
		if (setenv("LISTEN_FDS", "1", 1) == -1 || setenv("LISTEN_PID", pid, 1) == -1 ||
		    fcntl(c->fd, F_SETFD, 0) == -1)
			return -1;
	}
	execv(path, argv);
	return -1;
}
