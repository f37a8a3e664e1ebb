/* SPDX-License-Identifier: ISC */
/* mailproxy: serve one mail client connection (systemd Accept=yes or inetd),
 * or check the configuration with -t. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_tls.h"
#include "conf.h"
#include "conn.h"
#include "conn_opts.h"
#include "frontend.h"
#include "io.h"
#include "libexec.h"
#include "libexec_full.h"
#include "log.h"
#include "log_conf.h"
#include "proxy_proto.h"
#include "sandbox.h"
#include "sandbox_conf.h"
#include "session.h"
#include "units.h"
#include "tls_start.h"

#ifndef MP_CONF_PATH
#define MP_CONF_PATH "/etc/mailproxy/mailproxy.conf"
#endif

static void
usage(void)
{
	fprintf(stderr, "usage: mailproxy [-tv] [-T systemd|inetd|xinetd|systemd-accept] [-c file]\n");
	exit(1);
}

/* nginx's -t opens the log files too: a missing log directory fails the test. */
static int
check_logs(const struct mp_log_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int fd;

		if (strcmp(t[i].path, "stderr") == 0 || strncmp(t[i].path, "syslog:", 7) == 0)
			continue;
		fd = open(t[i].path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd == -1) {
			fprintf(stderr, "mailproxy: [emerg] open() \"%s\" failed (%d: %s)\n",
			    t[i].path, errno, strerror(errno));
			return -1;
		}
		close(fd);
	}
	return 0;
}

/* The handler's sandbox: Landlock rules for the file system (where the
 * kernel has it; said once per connection where it does not), then the
 * filter, allowing the exec of mailproxy-tls and the relay. Logs a failure. */
static int
sandbox_handler(const struct mp_conf *cf)
{
	static const char *const progs[] = { "mailproxy-tls", "mailproxy-relay" };
	char path[2][PATH_MAX];
	const char *pp[2];

	for (size_t i = 0; i < 2; i++) {
		libexec_path(progs[i], path[i], sizeof path[i]);
		if (sandbox_exec_allow(path[i]) == -1)
			goto seccomp;
		pp[i] = path[i];
	}
	switch (sandbox_fs_conf(cf, pp, 2) == -1 ? -1 : sandbox_fs_enter()) {
	case -1:
		log_msg(MP_LOG_ALERT, "Landlock ruleset not installed (%d: %s)", errno, strerror(errno));
		return -1;
	case 0:
		log_msg(MP_LOG_WARN, "Landlock not applied (%d: %s): the file system is "
		    "bounded by the service's own settings only", errno, strerror(errno));
		break;
	}
	if (sandbox_enter(SANDBOX_HANDLER) != -1)
		return 0;
seccomp:
	log_msg(MP_LOG_ALERT, "seccomp filter not installed (%d: %s)", errno, strerror(errno));
	return -1;
}

static bool
uses_tls(const struct mp_conf *cf, const struct mp_server *srv)
{
	if (srv->ssl.starttls != MP_STARTTLS_OFF)
		return true;
	for (size_t i = 0; i < cf->nlistens; i++)
		if (cf->listens[i].server == srv && cf->listens[i].ssl)
			return true;
	return false;
}

static int
test_config(const struct mp_conf *cf, const char *path)
{
	char err[1024];

	if (check_logs(cf->error_log, cf->nerror_log) == -1)
		goto failed;
	for (size_t i = 0; i < cf->nservers; i++) {
		const struct mp_server *srv = &cf->servers[i];

		if (check_logs(srv->error_log, srv->nerror_log) == -1)
			goto failed;
		/* what libtls cannot do is said here, not ignored at run time */
		if (uses_tls(cf, srv) && tls_check_server(srv, err, sizeof err) == -1) {
			fprintf(stderr, "mailproxy: [emerg] %s\n", err);
			goto failed;
		}
		if (backend_tls_check(srv, err, sizeof err) == -1) {
			fprintf(stderr, "mailproxy: [emerg] %s\n", err);
			goto failed;
		}
	}
	fprintf(stderr, "mailproxy: the configuration file %s syntax is ok\n", path);
	fprintf(stderr, "mailproxy: configuration file %s test is successful\n", path);
	return 0;
failed:
	fprintf(stderr, "mailproxy: configuration file %s test failed\n", path);
	return 1;
}

/* The configuration could not be read: say so where the caller will see it. */
static int
load_failed(const char *path, const char *err, bool test, bool gen)
{
	if (test || gen) {
		fprintf(stderr, "mailproxy: [emerg] %s\n", err);
		if (test)
			fprintf(stderr, "mailproxy: configuration file %s test failed\n", path);
		return 1;
	}
	/* every connection says it again: alert, as emerg goes to every terminal */
	log_msg(MP_LOG_ALERT, "%s", err);
	return 1;
}

/* Take the connection systemd or inetd passed, find the server that listens
 * where it arrived, and settle the log and the sandbox for it. The listen,
 * or NULL with the exit status in *RC. */
static const struct mp_listen *
take_connection(const struct mp_conf *cf, struct conn *conn, const char *path, char **argv,
    int *rc)
{
	const struct mp_listen *ls;
	char err[1024];

	*rc = 1;
	switch (conn_get(conn, err, sizeof err)) {
	case 0:
		break;
	case CONN_GONE:
		log_msg(MP_LOG_INFO, "client closed connection before it was served");
		*rc = 0;
		return NULL;
	default:
		log_msg(MP_LOG_ALERT, "%s", err);
		return NULL;
	}
	/* every read and write of the handler is bounded by a deadline */
	if (io_set_nonblock(conn->fd, 1) == -1) {
		log_msg(MP_LOG_ALERT, "fcntl(O_NONBLOCK) failed (%d: %s)", errno, strerror(errno));
		return NULL;
	}
	ls = conf_find_listen(cf, (struct sockaddr *)&conn->local, conn->locallen);
	if (ls == NULL) {
		log_msg(MP_LOG_ERR, "no server in %s listens on %s", path, conn->local_text);
		return NULL;
	}
#ifdef MP_LEAN_HANDLER
	/* this build cannot load libcurl or c-ares: see lib/net/libexec_full.c */
	if (libexec_needs_full(ls->server)) {
		libexec_full(argv, conn);
		log_msg(MP_LOG_ALERT, "execve() of mailproxy-full failed (%d: %s)", errno, strerror(errno));
		return NULL;
	}
#endif
	log_conf_use(cf, ls->server, true);
	/* as nginx: the first line before the session's context */
	log_msg(MP_LOG_INFO, "client %s connected to %s", conn->peer_text, conn->local_text);
	log_set_client(conn->peer_ip);
	log_set_server(conn->local_text);
	log_set_action("in auth state");
	/* inetd and xinetd cannot set the listen line's socket parameters: we do */
	if (conn->fd == 0 && conn_apply_listen(conn->fd, ls, err, sizeof err) == -1)
		log_msg(MP_LOG_WARN, "%s", err);
	/* from here on the handler only talks, and executes no program but
	 * these two: see lib/base/sandbox.c; without its filter it does not serve */
	if (sandbox_handler(cf) == -1)
		return NULL;
	return ls;
}

int
main(int argc, char **argv)
{
	const char *path = MP_CONF_PATH;
	bool test = false;
	const char *gen = NULL;	/* -T: print the units or inetd entries */
	struct mp_conf cf;
	struct conn conn;
	struct session s;
	const struct mp_listen *ls;
	char err[1024];
	int ch, rc;

	/* first of all: under inetd stderr is the client (see lib/base/log.c) */
	log_init("mailproxy");
	while ((ch = getopt(argc, argv, "c:tT:vh")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test = true;
			break;
		case 'T':
			gen = optarg;
			break;
		case 'v':
			printf("mailproxy version: mailproxy/%s\n", MP_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	signal(SIGPIPE, SIG_IGN);

	if (conf_load(&cf, path, err, sizeof err) == -1)
		return load_failed(path, err, test, gen != NULL);
	if (test)
		return test_config(&cf, path);
	if (gen != NULL)
		return units_run(&cf, gen, path, stdout, stderr);

	if ((ls = take_connection(&cf, &conn, path, argv, &rc)) == NULL)
		return rc;

	memset(&s, 0, sizeof s);
	s.cf = &cf;
	s.srv = ls->server;
	s.ls = ls;
	s.conn = &conn;
	s.cfd = conn.fd;
	s.bfd = -1;

	/* listen ... proxy_protocol: the header comes before TLS and the
	 * greeting; a bad or missing one closes silently (logged) */
	if (ls->proxy_protocol && proxy_accept(&s) == -1)
		return 0;

	return session_serve(&s);
}
