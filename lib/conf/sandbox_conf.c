/* SPDX-License-Identifier: ISC */
/* sandbox_conf.c: what a handler's Landlock rules allow, from its
 * configuration (the rules themselves: lib/base/sandbox_fs.c).
 *
 * After the handler's sandbox goes on, files are still opened by the
 * handler (libcurl and c-ares in mailproxy-full: their libraries, /etc),
 * by the relay (the time zone) and by a mailproxy-tls it executes: its
 * libraries, the configuration again, the certificates and keys, the log
 * files. So: read and execute beneath the system's program and library
 * directories, read /etc, execute the two programs the seccomp filter lets
 * it execute, read the directories of the configuration's files and of the
 * TLS files it names, write its log files, and /dev/null and /dev/urandom.
 * Nothing else: not /home, /root, /tmp, /var, /run, /srv, /proc, /sys, the
 * rest of /dev, nor a write anywhere but the log files. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "sandbox.h"
#include "sandbox_conf.h"

static const struct {
	const char *path;
	unsigned how;
} sys_paths[] = {
	{ "/usr", SANDBOX_FS_READ | SANDBOX_FS_EXEC },
	{ "/lib", SANDBOX_FS_READ | SANDBOX_FS_EXEC },	/* not merged /usr */
	{ "/lib64", SANDBOX_FS_READ | SANDBOX_FS_EXEC },
	{ "/etc", SANDBOX_FS_READ },
	{ "/dev/null", SANDBOX_FS_READ | SANDBOX_FS_WRITE },
	{ "/dev/urandom", SANDBOX_FS_READ },
};

/* environment variables that name files TLS clients read (libcurl's CA
 * bundle, OpenSSL's defaults) and systemd's credentials for mailproxy-tls */
static const char *const env_paths[] = {
	"CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CREDENTIALS_DIRECTORY",
};

/* the directory of FILE, where included files and their neighbours live */
static int
allow_dir_of(const char *file)
{
	char dir[PATH_MAX];
	const char *slash;

	if (file == NULL || (slash = strrchr(file, '/')) == NULL)
		return sandbox_fs_allow(".", SANDBOX_FS_READ);
	if ((size_t)(slash - file) >= sizeof dir)
		return -1;
	if (slash == file)
		return sandbox_fs_allow("/", SANDBOX_FS_READ);	/* a file in /: all */
	memcpy(dir, file, (size_t)(slash - file));
	dir[slash - file] = '\0';
	return sandbox_fs_allow(dir, SANDBOX_FS_READ);
}

/* a TLS file: its directory, so that a thousand servers with a key each
 * stay a few rules; "data:", "engine:" and "store:" are no paths */
static int
allow_file(const char *v)
{
	if (v == NULL || strncmp(v, "data:", 5) == 0 || strncmp(v, "engine:", 7) == 0 ||
	    strncmp(v, "store:", 6) == 0)
		return 0;
	return allow_dir_of(v);
}

static int
allow_list(const struct mp_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (allow_file(l->v[i]) == -1)
			return -1;
	return 0;
}

static int
allow_logs(const struct mp_log_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].path, "stderr") == 0 || strncmp(t[i].path, "syslog:", 7) == 0)
			continue;
		if (sandbox_fs_allow(t[i].path, SANDBOX_FS_WRITE) == -1)
			return -1;
	}
	return 0;
}

static int
allow_server(const struct mp_server *srv)
{
	const struct mp_ssl *ssl = &srv->ssl;

	if (allow_dir_of(srv->file) == -1 || allow_logs(srv->error_log, srv->nerror_log) == -1)
		return -1;
	if (allow_list(&ssl->certificate) == -1 || allow_list(&ssl->certificate_key) == -1 ||
	    allow_list(&ssl->session_ticket_key) == -1)
		return -1;
	if (allow_file(ssl->password_file) == -1 || allow_file(ssl->dhparam) == -1 ||
	    allow_file(ssl->client_certificate) == -1 ||
	    allow_file(ssl->trusted_certificate) == -1 || allow_file(ssl->crl) == -1)
		return -1;
	return 0;
}

int
sandbox_fs_conf(const struct mp_conf *cf, const char *const *progs, size_t nprogs)
{
	const char *v;

	for (size_t i = 0; i < sizeof sys_paths / sizeof sys_paths[0]; i++)
		if (sandbox_fs_allow(sys_paths[i].path, sys_paths[i].how) == -1)
			return -1;
	for (size_t i = 0; i < nprogs; i++)
		if (sandbox_fs_allow(progs[i], SANDBOX_FS_READ | SANDBOX_FS_EXEC) == -1)
			return -1;
	for (size_t i = 0; i < sizeof env_paths / sizeof env_paths[0]; i++)
		if ((v = getenv(env_paths[i])) != NULL && *v != '\0' &&
		    sandbox_fs_allow(v, SANDBOX_FS_READ) == -1)
			return -1;
	if (allow_dir_of(cf->file) == -1 || allow_logs(cf->error_log, cf->nerror_log) == -1)
		return -1;
	for (size_t i = 0; i < cf->nservers; i++)
		if (allow_server(&cf->servers[i]) == -1)
			return -1;
	for (size_t i = 0; i < cf->nlistens; i++)
		if (cf->listens[i].file != NULL && allow_dir_of(cf->listens[i].file) == -1)
			return -1;
	return 0;
}
