/* SPDX-License-Identifier: ISC */
/* session_handoff.c: connect to the backend the auth server named, and after the
 * login hand both sockets to mailproxy-relay by exec: the relay keeps the
 * fds, nothing else of this process survives. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "io.h"
#include "libexec.h"
#include "log.h"
#include "log_conf.h"
#include "log_syslog.h"
#include "proxy_proto.h"
#include "sandbox.h"
#include "session.h"

int
session_connect_backend(struct session *s)
{
	/* `timeout` bounds the whole backend login, from connect on */
	s->deadline = mp_now_ms() + s->srv->timeout_ms;
	log_set_action("connecting to upstream");
	s->bfd = backend_connect((struct sockaddr *)&s->upstream, s->upstreamlen, s->deadline);
	if (s->bfd == -1) {
		log_msg(MP_LOG_ERR, "connect() to upstream failed (%d: %s)", errno, strerror(errno));
		return -1;
	}
	log_set_action("reading response from upstream");
	/* proxy_protocol on|v2: the header goes first, in one write
	 * (doc/wire.md#proxy-protocol-send) */
	if (s->srv->proxy_protocol != 0 && proxy_send_header(s) == -1)
		return -1;
	return 0;
}

/* Put FROM on TO, whatever else occupies the low descriptors. */
static int
move_fd(int from, int to)
{
	if (from == to)
		return fcntl(to, F_SETFD, 0);
	if (dup2(from, to) == -1)
		return -1;
	return close(from);
}

int
session_exec_relay(struct session *s, const char *pending, size_t npending)
{
	const struct mp_server *srv = s->srv;
	const struct mp_log_target *t;
	size_t nt = log_conf_targets(s->cf, srv, &t);
	char path[PATH_MAX], idle[32], cbuf[32], ubuf[32], login[512];
	char targets[LOG_MAX_TARGETS][PATH_MAX + 16];	/* PATH:LEVEL */
	char *argv[48];
	size_t ac = 0;
	int c, b;

	if (npending > 0 && io_write_all(s->bfd, pending, npending, mp_now_ms() + srv->timeout_ms) == -1) {
		log_msg(MP_LOG_INFO, "upstream write failed: %s", strerror(errno));
		return -1;
	}
	libexec_path("mailproxy-relay", path, sizeof path);
	snprintf(idle, sizeof idle, "%lld", (long long)srv->proxy_timeout_ms);
	snprintf(cbuf, sizeof cbuf, "%zu", s->cap);
	snprintf(ubuf, sizeof ubuf, "%zu", srv->proxy_buffer);
	snprintf(login, sizeof login, "%.*s", (int)(s->loginlen < 500 ? s->loginlen : 500), s->login);

	argv[ac++] = libexec_arg("mailproxy-relay");
	argv[ac++] = libexec_arg("-t"); argv[ac++] = libexec_arg(idle);
	argv[ac++] = libexec_arg("-c"); argv[ac++] = libexec_arg(cbuf);
	argv[ac++] = libexec_arg("-u"); argv[ac++] = libexec_arg(ubuf);
	argv[ac++] = libexec_arg("-s"); argv[ac++] = libexec_arg(log_session_id());
	argv[ac++] = libexec_arg("-C"); argv[ac++] = libexec_arg(s->conn->peer_ip);
	argv[ac++] = libexec_arg("-S"); argv[ac++] = libexec_arg(s->conn->local_text);
	argv[ac++] = libexec_arg("-U"); argv[ac++] = libexec_arg(login);
	argv[ac++] = libexec_arg("-P"); argv[ac++] = libexec_arg(s->upstream_text);
	if (nt == 0) {
		argv[ac++] = libexec_arg("-L"); argv[ac++] = libexec_arg("stderr:4");
	}
	for (size_t i = 0; i < nt && i < 8; i++) {
		char spec[PATH_MAX];

		/* a syslog: target goes by address: the relay resolves nothing */
		if (t[i].syslog != NULL && syslog_spec(t[i].syslog, spec, sizeof spec) == 0)
			snprintf(targets[i], sizeof targets[i], "%s:%d", spec, t[i].level);
		else
			snprintf(targets[i], sizeof targets[i], "%s:%d", t[i].path, t[i].level);
		argv[ac++] = libexec_arg("-L");
		argv[ac++] = libexec_arg(targets[i]);
	}
	argv[ac] = NULL;

	/* client on 0, backend on 3, both blocking: the relay owns them now */
	c = fcntl(s->cfd, F_DUPFD, 10);
	b = fcntl(s->bfd, F_DUPFD, 10);
	if (c == -1 || b == -1 || io_set_nonblock(c, 0) == -1 || io_set_nonblock(b, 0) == -1 ||
	    move_fd(c, 0) == -1 || move_fd(b, 3) == -1) {
		log_msg(MP_LOG_ALERT, "passing sockets to the relay failed: %s", strerror(errno));
		return -1;
	}
	if (s->cfd != 0 && s->cfd != 3)
		close(s->cfd);
	if (s->bfd != 0 && s->bfd != 3)
		close(s->bfd);
	execv(sandbox_exec_path(path), argv);
	log_msg(MP_LOG_ALERT, "execv(\"%s\") failed: %s", path, strerror(errno));
	return -1;
}
