/* SPDX-License-Identifier: ISC */
/* mailproxy-tls: the TLS side of one mail connection. Started by the
 * handler (session_start_tls) with the client socket on fd 0 and the
 * plaintext socketpair on fd 1; reads the server's ssl_* settings from the
 * same configuration file, does the handshake, sends the report, then moves
 * bytes until both sides are done. Exit: 0 ok or client-caused, 100
 * configuration, 111 system.
 *
 * With -U it is the TLS client towards a backend instead (the handler's
 * backend_tls.c starts it): the backend socket on fd 0, the plaintext on
 * fd 1, the server's proxy_ssl_* settings, the name to check (-n) and
 * whether to check (-V 1).
 *
 * With -D it is the daemon instead (lib/tls/tlsd_daemon.c): socket-activated
 * on a unix socket (fd 3), it builds every TLS server's context once and
 * serves each session the handler hands it in a forked child.
 *
 * Either way this process holds private keys: it is made non-dumpable
 * before it reads one, so that no other process of its uid (a handler
 * under attack) can ptrace it or read its memory, and it never dumps core.
 * Its children inherit that; an exec would reset it, and none follows. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tls.h>

#include "arena.h"
#include "clock.h"
#include "conf.h"
#include "conn.h"
#include "io.h"
#include "log.h"
#include "log_conf.h"
#include "sandbox.h"
#include "tlsd.h"
#include "tlsd_daemon.h"
#include "tlsd_req.h"
#include "tlsd_upstream.h"

static void
usage(void)
{
	fprintf(stderr, "usage: mailproxy-tls -c file -s index [-d digest] [-i id] [-C client] [-S server]\n"
	    "       mailproxy-tls -U -c file -s index -n name -V 0|1 [-d digest] [-i id] [-C client]\n"
	    "           [-S server] [-P upstream] [-l login]   (TLS to a backend)\n"
	    "       mailproxy-tls -D -c file   (socket-activated daemon)\n");
	exit(100);
}

/* The handler (then the relay) is our child; its exit status is the
 * connection's, as systemd sees it through this, the main process. */
static int
reap(void)
{
	int st;

	for (int i = 0; i < 100; i++) {
		pid_t p = waitpid(-1, &st, WNOHANG);

		if (p > 0)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 0;
		if (p == -1)
			return 0;
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	return 0;
}

/* What the handshake report needs (54 KiB), mapped for it and unmapped
 * after it: static or on the stack, its pages would stay dirty for the
 * whole session. */
struct report {
	struct tls_info ti;
	char frame[TLSD_REPORT_HDR + TLSD_REPORT_MAX];
};

/* Handshake and report: 0 with *CTX ready for the session, 1 if the client
 * failed the handshake (logged), 111 on a system failure (logged). */
static int
handshake(const struct mp_server *srv, struct tls *tsrv, struct tls **ctx)
{
	struct report *r;
	char err[1024];
	long flen;
	int rc = 1;

	if (tlsd_handshake(tsrv, 0, tlsd_alpn_name(srv->protocol), mp_now_ms() + srv->timeout_ms,
	    ctx, err, sizeof err) == -1) {
		if (errno == ETIMEDOUT && strcmp(err, "timed out") == 0)
			log_msg(MP_LOG_INFO, "client timed out (110: Connection timed out) while SSL handshaking");
		else
			log_msg(MP_LOG_INFO, "SSL_do_handshake() failed (%s) while SSL handshaking", err);
		return 1;
	}
	if ((r = tlsd_pages(sizeof *r)) == NULL) {
		log_msg(MP_LOG_ALERT, "mmap() failed: %s", strerror(errno));
		return 111;
	}
	if (tlsd_collect(*ctx, &srv->ssl, &r->ti, err, sizeof err) == -1) {
		log_msg(MP_LOG_INFO, "%s while SSL handshaking", err);
		goto done;
	}
	if (r->ti.verdict == TLS_CERT_MISSING)
		log_msg(MP_LOG_INFO, "client sent no required SSL certificate while SSL handshaking");
	else if (r->ti.verdict == TLS_CERT_ERROR)
		log_msg(MP_LOG_INFO, "client SSL certificate verify error: (%ld:%s) while SSL handshaking",
		    r->ti.verify_code, r->ti.verify + 7);
	flen = tlsd_report_write(&r->ti, r->frame, sizeof r->frame);
	if (flen < 0 || io_write_all(1, r->frame, (size_t)flen, mp_now_ms() + srv->timeout_ms) == -1) {
		log_msg(MP_LOG_ALERT, "passing the handshake report failed");
		rc = 111;
		goto done;
	}
	rc = 0;
done:
	tlsd_pages_free(r, sizeof *r);
	return rc;
}

/* Handshake, report, then the I/O loop. The exit status when not 0.
 *
 * The session's idle limit: the handler ends a session quiet for `timeout`
 * before the login, the relay one quiet for `proxy_timeout` after it, and we
 * cannot tell which phase it is. So the limit is the larger of the two, and
 * a second more, so that their log line explains a normal end; ours ends a
 * session whose plaintext end nobody reads or closes. */
static int
serve(const struct mp_server *srv, struct tls *tsrv)
{
	int64_t linger_ms = srv->timeout_ms;
	int64_t idle_ms = (srv->timeout_ms > srv->proxy_timeout_ms ? srv->timeout_ms :
	    srv->proxy_timeout_ms) + 1000;
	struct tls *ctx = NULL;
	int rc;

	/* the keys are loaded, the logs open: from here on only the session
	 * (reading the CA and CRL files for the client certificate check) */
	if (sandbox_enter(SANDBOX_TLS_HANDSHAKE) == -1) {
		log_msg(MP_LOG_ALERT, "seccomp filter not installed (%d: %s)", errno, strerror(errno));
		return 111;
	}
	if (io_set_nonblock(0, 1) == -1 || io_set_nonblock(1, 1) == -1) {
		log_msg(MP_LOG_ALERT, "fcntl() failed: %s", strerror(errno));
		return 111;
	}
	rc = handshake(srv, tsrv, &ctx);
	if (rc == 0 && sandbox_enter(SANDBOX_TLS) == -1) {
		log_msg(MP_LOG_ALERT, "seccomp filter not installed (%d: %s)", errno, strerror(errno));
		rc = 111;
	}
	if (rc == 0) {
		/* this process lives as long as the session, idle for hours
		 * under IMAP IDLE: the configuration (SRV included: libtls has
		 * its own copies) and the handshake's scratch memory go back */
		arena_release(&arena_global);
		malloc_trim(0);
		/* a broken connection is logged and client-caused: the exit status is the handler's */
		(void)tlsd_run(ctx, 0, 1, linger_ms, idle_ms);
	}
	tls_free(ctx);
	return rc == 111 ? 111 : 0;
}

/* -U: handshake with the backend on fd 0, check its certificate, report
 * on fd 1, then the I/O loop, as serve() does for a client. The exit status
 * when not 0; a refused backend is 0: the handler answers the client and
 * its status is the session's. */
static int
serve_upstream(const struct mp_server *srv, const char *name, bool verify)
{
	int64_t linger_ms = srv->timeout_ms;	/* SRV is gone once the session runs */
	int64_t idle_ms = (srv->timeout_ms > srv->proxy_timeout_ms ? srv->timeout_ms :
	    srv->proxy_timeout_ms) + 1000;
	struct tlsd_upstream u;
	struct tls *ctx = NULL;
	struct report *r = NULL;
	char err[1024];
	long flen;
	int rc = 0, v;

	log_set_action("SSL handshaking to upstream");
	if (tlsd_upstream_init(srv, verify, &u, err, sizeof err) == -1) {
		log_msg(MP_LOG_ALERT, "%s", err);
		return 100;
	}
	if (sandbox_enter(SANDBOX_TLS_HANDSHAKE) == -1) {
		log_msg(MP_LOG_ALERT, "seccomp filter not installed (%d: %s)", errno, strerror(errno));
		rc = 111;
		goto done;
	}
	if (io_set_nonblock(0, 1) == -1 || io_set_nonblock(1, 1) == -1) {
		log_msg(MP_LOG_ALERT, "fcntl() failed: %s", strerror(errno));
		rc = 111;
		goto done;
	}
	/* SNI with proxy_ssl_server_name; libtls sends none for an address (RFC 6066) */
	if (tlsd_upstream_handshake(&u, 0, srv->ptls.server_name && name[0] != '\0' ? name : NULL,
	    mp_now_ms() + srv->timeout_ms, &ctx, err, sizeof err) == -1) {
		if (errno == ETIMEDOUT && strcmp(err, "timed out") == 0)
			log_msg(MP_LOG_ERR, "upstream timed out (110: Connection timed out)");
		else
			log_msg(MP_LOG_ERR, "SSL_do_handshake() failed (%s)", err);
		goto done;
	}
	if ((v = tlsd_upstream_verify(&u, srv, ctx, name, err, sizeof err)) != 0) {
		log_msg(MP_LOG_ERR, "%s", err);
		goto done;
	}
	if ((r = tlsd_pages(sizeof *r)) == NULL) {
		log_msg(MP_LOG_ALERT, "mmap() failed: %s", strerror(errno));
		rc = 111;
		goto done;
	}
	snprintf(r->ti.protocol, sizeof r->ti.protocol, "%s", tls_conn_version(ctx));
	snprintf(r->ti.cipher, sizeof r->ti.cipher, "%s", tls_conn_cipher(ctx));
	flen = tlsd_report_write(&r->ti, r->frame, sizeof r->frame);
	if (flen < 0 || io_write_all(1, r->frame, (size_t)flen, mp_now_ms() + srv->timeout_ms) == -1) {
		log_msg(MP_LOG_ALERT, "passing the handshake report failed");
		rc = 111;
		goto done;
	}
	tlsd_pages_free(r, sizeof *r);
	r = NULL;
	tlsd_upstream_free(&u);
	if (sandbox_enter(SANDBOX_TLS) == -1) {
		log_msg(MP_LOG_ALERT, "seccomp filter not installed (%d: %s)", errno, strerror(errno));
		rc = 111;
		goto done;
	}
	log_set_action("proxying");
	arena_release(&arena_global);
	malloc_trim(0);
	(void)tlsd_run(ctx, 0, 1, linger_ms, idle_ms);
done:
	if (r != NULL)
		tlsd_pages_free(r, sizeof *r);
	tlsd_upstream_free(&u);
	tls_free(ctx);
	return rc;
}

/* SRV's server context from CFG with its session tickets (SHARED: this
 * process serves many sessions, see tlsd_ticket.c); *TK lives as long as
 * the context. NULL with ERR. */
static struct tls *
server_context(const struct mp_server *srv, struct tls_config *cfg, bool shared,
    struct tlsd_tickets **tk, char *err, size_t errlen)
{
	struct tls *t;
	int rc;

	if (tlsd_tickets_new(srv, shared, tk, err, errlen) == -1)
		return NULL;
	if ((t = tls_server()) == NULL) {
		snprintf(err, errlen, "tls_server() failed");
		goto fail;
	}
	tlsd_tickets_begin(*tk);
	rc = tls_configure(t, cfg);
	if (tlsd_tickets_end(*tk, err, errlen) == -1 || rc == -1) {
		if (rc == -1)
			snprintf(err, errlen, "tls_configure() failed: %s", tls_error(t));
		goto fail;
	}
	return t;
fail:
	tls_free(t);
	tlsd_tickets_free(*tk);
	*tk = NULL;
	return NULL;
}

/* The daemon's settings: the configuration and each server's context and
 * ticket keys (NULL for a server without a certificate), for its children.
 * A reload builds a second set and keeps the one that works. */
struct daemon_set {
	struct mp_conf cf;
	struct arena arena;		/* what cf points into (conf_load fills arena_global) */
	struct tls **srv;
	struct tlsd_tickets **tk;
	unsigned char *ready;
	size_t nready;
};

static struct daemon_set sets[2];
static const struct mp_conf *dcf;
static struct tls **dsrv;
static struct tlsd_tickets **dtk;

/* Before each fork: the children take the keys as they are then. */
static void
daemon_prefork(void)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < dcf->nservers; i++)
		if (tlsd_tickets_rotate(dtk[i], now) == -1)
			log_msg(MP_LOG_ALERT, "RAND_priv_bytes() failed: the session ticket key of "
			    "the server in %s:%u was not renewed", dcf->servers[i].file, dcf->servers[i].line);
}

/* The log context from the handler's strings, escaped (tlsd_req_text): they
 * came over a socket, or through argv, and a newline in one would forge a
 * log line. Sizes: log.c keeps a 16-character session id, and a client and
 * server text as long as the request's fields. */
static void
log_context(const char *sid, const char *client, const char *local)
{
	char t[sizeof ((struct tlsd_req *)0)->local];

	if (sid != NULL) {
		tlsd_req_text(t, 17, sid, strlen(sid));
		log_set_session_id(t);
	}
	if (client != NULL) {
		tlsd_req_text(t, sizeof ((struct tlsd_req *)0)->client, client, strlen(client));
		log_set_client(t);
	}
	if (local != NULL) {
		tlsd_req_text(t, sizeof t, local, strlen(local));
		log_set_server(t);
	}
}

static int
daemon_serve(size_t server, const struct tlsd_req *r)
{
	const struct mp_server *srv = &dcf->servers[server];

	log_context(r->sid, r->client, r->local);
	log_conf_use(dcf, srv, false);
	return serve(srv, dsrv[server]);
}

/* The uid the kernel shows for a uid this user namespace cannot map (under
 * PrivateUsers=, every peer but root and ourselves): nobody, 65534. */
static unsigned long
overflow_uid(void)
{
	FILE *f = fopen("/proc/sys/kernel/overflowuid", "re");
	unsigned long u = 65534;

	if (f != NULL) {
		if (fscanf(f, "%lu", &u) != 1)
			u = 65534;
		fclose(f);
	}
	return u;
}

/* The listening socket systemd passed (LISTEN_FDS=1), or -1. */
static int
listen_fd(void)
{
	int acc = 0;
	socklen_t l = sizeof acc;

	if (conn_listen_fds() != 1 || getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) == -1 || !acc)
		return -1;
	return 3;
}

static void
set_free(struct daemon_set *ds)
{
	for (size_t i = 0; i < ds->cf.nservers; i++) {
		if (ds->srv != NULL)
			tls_free(ds->srv[i]);
		if (ds->tk != NULL)
			tlsd_tickets_free(ds->tk[i]);
	}
	free(ds->srv);
	free(ds->tk);
	free(ds->ready);
	arena_release(&ds->arena);
	memset(ds, 0, sizeof *ds);
}

/* Every server with a certificate gets its context, in this process, so that
 * the children share it (and OpenSSL's start-up) with us. 0, or with ERR and
 * DS freed 100 (the configuration, a certificate or a key) or 111 (memory). */
static int
set_load(struct daemon_set *ds, const char *path, char *err, size_t errlen)
{
	struct arena keep = arena_global;
	size_t n;
	int rc = 100;

	memset(ds, 0, sizeof *ds);
	arena_global = (struct arena){ 0 };
	if (conf_load(&ds->cf, path, err, errlen) == -1) {
		ds->arena = arena_global;
		arena_global = keep;
		goto fail;
	}
	ds->arena = arena_global;
	arena_global = keep;
	n = ds->cf.nservers ? ds->cf.nservers : 1;
	ds->srv = calloc(n, sizeof *ds->srv);
	ds->tk = calloc(n, sizeof *ds->tk);
	ds->ready = calloc(n, 1);
	if (ds->srv == NULL || ds->tk == NULL || ds->ready == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = 111;
		goto fail;
	}
	for (size_t i = 0; i < ds->cf.nservers; i++) {
		const struct mp_server *srv = &ds->cf.servers[i];
		struct tls_config *cfg;
		char e[768];

		if (srv->ssl.certificate.n == 0)
			continue;
		if (tlsd_config_build(srv, &cfg, e, sizeof e) == -1) {
			snprintf(err, errlen, "%s", e);
			goto fail;
		}
		ds->srv[i] = server_context(srv, cfg, true, &ds->tk[i], e, sizeof e);
		/* the context holds the keys now, and its own reference to CFG */
		tls_config_clear_keys(cfg);
		tls_config_free(cfg);
		if (ds->srv[i] == NULL) {
			snprintf(err, errlen, "%s for the server in %s:%u", e, srv->file, srv->line);
			goto fail;
		}
		ds->ready[i] = 1;
		ds->nready++;
	}
	return 0;
fail:
	set_free(ds);
	return rc;
}

static void
set_use(const struct daemon_set *ds)
{
	dcf = &ds->cf;
	dsrv = ds->srv;
	dtk = ds->tk;
}

/* SIGHUP: the configuration, certificates and keys again, into the set not
 * in use; it replaces the other only when every server's context could be
 * built. */
static int
daemon_reload(const struct mp_conf **cf, const unsigned char **ready, char *err, size_t errlen)
{
	struct daemon_set *cur = dcf == &sets[0].cf ? &sets[0] : &sets[1];
	struct daemon_set *next = cur == &sets[0] ? &sets[1] : &sets[0];

	if (set_load(next, cur->cf.file, err, errlen) != 0)
		return -1;
	set_use(next);
	set_free(cur);
	malloc_trim(0);
	*cf = &next->cf;
	*ready = next->ready;
	return 0;
}

static int
run_daemon(const char *path)
{
	char err[1024];
	int lfd = listen_fd(), rc;

	if (lfd == -1) {
		log_msg(MP_LOG_EMERG, "-D needs a listening socket from systemd (LISTEN_FDS=1)");
		return 100;
	}
	/* the daemon serves its own uid: as nobody that would be every user it
	 * cannot tell apart from nobody (see tlsd_daemon.c) */
	if ((unsigned long)geteuid() == overflow_uid() || geteuid() == 65534) {
		log_msg(MP_LOG_EMERG, "-D must not run as uid %lu (nobody): give it the handlers' own user",
		    (unsigned long)geteuid());
		return 100;
	}
	if ((rc = set_load(&sets[0], path, err, sizeof err)) != 0) {
		log_msg(MP_LOG_EMERG, "%s", err);
		return rc;
	}
	set_use(&sets[0]);
	log_msg(MP_LOG_NOTICE, "serving the %zu TLS servers of %s", sets[0].nready, path);
	malloc_trim(0);
	return tlsd_daemon_run(lfd, dcf, sets[0].ready, daemon_prefork, daemon_serve,
	    daemon_reload) == 0 ? 0 : 111;
}

int
main(int argc, char **argv)
{
	const char *path = NULL, *sid = NULL, *client = NULL, *server = NULL;
	long idx = -1;
	const char *digest = NULL, *upstream = NULL, *name = NULL, *login = NULL;
	bool up = false, verify = false;
	struct mp_conf cf;
	const struct mp_server *srv;
	struct tls_config *cfg;
	struct tls *tsrv;
	struct tlsd_tickets *tk = NULL;
	char err[1024];
	int ch, rc;
	bool daemon = false;

	while ((ch = getopt(argc, argv, "DUc:d:s:i:C:S:P:l:n:V:")) != -1) {
		switch (ch) {
		case 'D': daemon = true; break;
		case 'U': up = true; break;
		case 'P': upstream = optarg; break;
		case 'l': login = optarg; break;
		case 'n': name = optarg; break;
		case 'V': verify = strcmp(optarg, "1") == 0; break;
		case 'd': digest = optarg; break;
		case 'c': path = optarg; break;
		case 's': idx = strtol(optarg, NULL, 10); break;
		case 'i': sid = optarg; break;
		case 'C': client = optarg; break;
		case 'S': server = optarg; break;
		default: usage();
		}
	}
	if (path == NULL || (idx < 0 && !daemon) || optind != argc || (up && (daemon || name == NULL)))
		usage();
	signal(SIGPIPE, SIG_IGN);
	log_init("mailproxy-tls");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		log_msg(MP_LOG_EMERG, "prctl(PR_SET_DUMPABLE) failed (%d: %s)", errno, strerror(errno));
		return 111;
	}
	if (daemon)
		return run_daemon(path);
	log_context(sid, client, server);

	/* alert, not emerg: a session's failure is not the system's, and
	 * syslog would write emerg to every terminal, once per connection */
	if (conf_load(&cf, path, err, sizeof err) == -1) {
		log_msg(MP_LOG_ALERT, "%s", err);
		return 100;
	}
	/* the handler read these files too: a change in between could make its
	 * server index name another server, with another certificate */
	if (digest != NULL && strtoull(digest, NULL, 16) != cf.digest) {
		log_conf_use(&cf, NULL, false);
		log_msg(MP_LOG_ALERT, "%s changed after the handler read it: TLS session refused", path);
		return 100;
	}
	if ((size_t)idx >= cf.nservers) {
		log_msg(MP_LOG_ALERT, "no server %ld in %s", idx, path);
		return 100;
	}
	srv = &cf.servers[idx];
	log_conf_use(&cf, srv, false);
	if (up) {
		if (upstream != NULL) {
			char t[sizeof ((struct tlsd_req *)0)->local];

			tlsd_req_text(t, sizeof t, upstream, strlen(upstream));
			log_set_upstream(t);
		}
		if (login != NULL)
			log_set_login(login, strlen(login));	/* it escapes */
		rc = serve_upstream(srv, name, verify);
		close(1);
		close(0);
		return rc == 0 ? reap() : rc;
	}

	if (tlsd_config_build(srv, &cfg, err, sizeof err) == -1) {
		log_msg(MP_LOG_ALERT, "%s", err);
		return 100;
	}
	if ((tsrv = server_context(srv, cfg, false, &tk, err, sizeof err)) == NULL) {
		log_msg(MP_LOG_ALERT, "%s", err);
		rc = 100;
	} else {
		/* the SSL_CTX holds the key now: no PEM copy of it stays for the session */
		tls_config_clear_keys(cfg);
		rc = serve(srv, tsrv);
	}
	tls_config_clear_keys(cfg);	/* again for the error path */
	tls_config_free(cfg);
	tls_free(tsrv);
	tlsd_tickets_free(tk);
	close(1);
	close(0);
	return rc == 0 ? reap() : rc;
}
