/* SPDX-License-Identifier: ISC */
/* units.c: "mailproxy -T systemd|inetd|xinetd".  The configuration is the one source of
 * truth for the listening sockets; this writes them out for the service manager that
 * owns them.  As nginx does, a listen on a specific address without "bind" (or a
 * parameter that implies it) is served by the wildcard listen on its port, if there is
 * one, and gets no socket of its own.  systemd listens that share a port and identical
 * parameters share a unit.  A parameter with no equivalent is said twice: a comment in
 * the output and a [warn] line on the error stream; it is never dropped silently.
 *
 * This file is the entry point; units_listen.c holds what every writer says about a
 * listen, units_systemd.c and units_inetd.c the writers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

#include "units.h"
#include "units_int.h"

static void
check_path(struct ctx *c, const char *path)
{
	if (strpbrk(path, " \t\n") != NULL)
		fprintf(c->err, "mailproxy: [warn] \"%s\" contains white space: quote it in the "
		    "generated entries by hand\n", path);
}

int
units_kind(const char *name)
{
	if (strcmp(name, "systemd") == 0)
		return UNITS_SYSTEMD;
	if (strcmp(name, "inetd") == 0)
		return UNITS_INETD;
	if (strcmp(name, "xinetd") == 0)
		return UNITS_XINETD;
	if (strcmp(name, "systemd-accept") == 0)
		return UNITS_SYSTEMD_ACCEPT;
	return -1;
}

int
units_print(const struct mp_conf *cf, int kind, const char *exe, const char *conf,
    FILE *out, FILE *err)
{
	struct ctx c = { cf, kind, exe, conf, out, err };
	int rc;

	check_path(&c, exe);
	check_path(&c, conf);
	if (cf->nlistens == 0)
		fprintf(err, "mailproxy: [warn] no \"listen\" in %s: nothing to generate\n", conf);
	if (kind == UNITS_SYSTEMD || kind == UNITS_SYSTEMD_ACCEPT)
		rc = units_print_systemd(&c);
	else if (kind == UNITS_INETD)
		rc = units_print_inetd(&c);
	else
		rc = units_print_xinetd(&c);
	if (fflush(out) == EOF || ferror(out))
		return -1;
	if (rc == -1)
		errno = ENOMEM;
	return rc;
}

int
units_run(const struct mp_conf *cf, const char *kind, const char *path, FILE *out, FILE *err)
{
	char exe[PATH_MAX], conf[PATH_MAX];
	ssize_t n;
	int k = units_kind(kind);

	if (k == -1) {
		fprintf(err, "mailproxy: -T takes systemd, inetd, xinetd or systemd-accept, not \"%s\"\n", kind);
		return 1;
	}
	/* the entries run this very binary with this very file */
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		fprintf(err, "mailproxy: unable to read /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	exe[n] = '\0';
	if (realpath(path, conf) == NULL) {
		fprintf(err, "mailproxy: unable to resolve %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (units_print(cf, k, exe, conf, out, err) == -1) {
		fprintf(err, "mailproxy: unable to write the %s entries: %s\n", kind, strerror(errno));
		return 1;
	}
	return 0;
}
