/* SPDX-License-Identifier: ISC */
/* smtp_login.c: the SMTP backend login (XCLIENT, HELO/EHLO, AUTH or the
 * envelope, smtp_backend.c) with what the session learnt of the client. */
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "log.h"
#include "smtp_backend.h"
#include "smtp_int.h"

enum backend_result
smtp_login(struct session *s, struct backend_buf *b)
{
	const struct mp_server *srv = s->srv;
	struct smtp_backend sb;
	enum backend_result rc;
	bool no_password;

	memset(&sb, 0, sizeof sb);
	sb.server_name = srv->server_name;
	sb.xclient = srv->xclient;
	sb.smtp_auth = srv->proxy_smtp_auth;
	sb.none = s->method == METHOD_NONE;
	sb.esmtp = s->esmtp;
	sb.addr = s->conn->peer_ip;
	sb.ipv6 = s->conn->peer.ss_family == AF_INET6;
	sb.host = s->client_host;
	sb.helo = s->smtp_helo;
	sb.helolen = s->smtp_helolen;
	sb.from = s->smtp_from;
	sb.fromlen = s->smtp_fromlen;
	sb.to = s->smtp_to;
	sb.tolen = s->smtp_tolen;
	sb.login = s->login;
	sb.loginlen = s->loginlen;
	sb.pass = s->pass;
	sb.passlen = s->passlen;
	sb.have_pass = s->have_pass;
	sb.scratchcap = smtp_backend_scratch_size(&sb);
	sb.scratch = malloc(sb.scratchcap);
	if (sb.scratch == NULL || smtp_backend_init(&sb) == -1) {
		log_msg(MP_LOG_ALERT, "backend login could not start");
		free(sb.scratch);
		return BACKEND_ABORTED;
	}
	rc = smtp_backend_login(s->bfd, &sb, b, s->deadline, &no_password);
	free(sb.scratch);
	if (no_password) {
		log_msg(MP_LOG_ERR, "no password available");
		return BACKEND_ABORTED;
	}
	return rc;
}
