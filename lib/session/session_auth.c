/* SPDX-License-Identifier: ISC */
/* session_auth.c: one authentication attempt against the auth_http server,
 * with nginx's retry rules (Auth-Wait, Auth-Status: WAIT) and log lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth_http.h"
#include "backend_tls.h"
#include "log.h"
#include "log_debug.h"
#include "session.h"
#include "tls_report.h"

/* WAIT replies repeat the request; nginx would repeat forever. */
#define AUTH_MAX_ROUNDS 64

static void
sleep_sec(int64_t sec)
{
	struct timespec ts = { .tv_sec = (time_t)sec };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static size_t
copy_span(char *dst, size_t cap, const char *src, size_t len)
{
	if (len > cap)
		len = cap;
	memcpy(dst, src, len);
	return len;
}

/* The request holds the password: it never outlives this call. */
static char req[AUTH_HTTP_REQ_SIZE(16384)];	/* room for a client certificate */

static enum session_auth_rc
internal(void)
{
	explicit_bzero(req, sizeof req);
	return SA_INTERNAL;
}

static const char *
nonempty(const char *v)
{
	return v[0] != '\0' ? v : NULL;
}

/* Auth-SSL-*: protocol and cipher always; the certificate fields only when
 * client certificates are verified, as nginx sends them. */
static void
set_ssl(struct auth_request *rq, const struct mp_server *srv, const struct tls_info *ti)
{
	rq->ssl = true;
	rq->ssl_protocol = nonempty(ti->protocol);
	rq->ssl_cipher = nonempty(ti->cipher);
	if (srv->ssl.verify_client == MP_VERIFY_OFF)
		return;
	rq->ssl_verify = nonempty(ti->verify);
	rq->ssl_subject = nonempty(ti->subject);
	rq->ssl_issuer = nonempty(ti->issuer);
	rq->ssl_serial = nonempty(ti->serial);
	rq->ssl_fingerprint = nonempty(ti->fingerprint);
	if (srv->auth_http_pass_client_cert && ti->pemlen > 0) {
		rq->ssl_cert = ti->pem;
		rq->ssl_certlen = ti->pemlen;
	}
}

/* Auth-Error-SASL (RFC 7628 3.2.2) answers a bearer-token login only, and
 * goes to the client as a challenge: anything but base64 is dropped. */
static void
error_sasl(const struct session *s, struct auth_failure *f, const struct auth_result *res)
{
	f->sasllen = 0;
	if (res->errsasllen == 0 ||
	    (s->method != METHOD_XOAUTH2 && s->method != METHOD_OAUTHBEARER))
		return;
	if (!sasl_is_base64(res->errsasl, res->errsasllen)) {
		log_msg(MP_LOG_ERR, "auth http server %s sent invalid Auth-Error-SASL, ignored",
		    s->srv->auth_http.text);
		return;
	}
	f->sasllen = copy_span(f->sasl, sizeof f->sasl, res->errsasl, res->errsasllen);
}

/* The request for this attempt: what the client said, and who it is. */
static void
fill_request(struct session *s, struct auth_request *rq)
{
	bool digest = s->method == METHOD_APOP || s->method == METHOD_CRAM_MD5;

	memset(rq, 0, sizeof *rq);
	rq->method = auth_method_name(s->method);
	rq->user = s->login;
	rq->userlen = s->loginlen;
	rq->pass = s->pass;
	rq->passlen = s->passlen;
	if (digest && s->saltlen > 0) {
		rq->salt = s->salt;
		rq->saltlen = s->saltlen;
	}
	rq->protocol = s->proto->auth_protocol;
	rq->attempt = ++s->attempt;
	rq->client_ip = s->conn->peer_ip;
	if (s->tls && s->tlsinfo != NULL)
		set_ssl(rq, s->srv, s->tlsinfo);
	if (s->client_host[0] != '\0')
		rq->client_host = s->client_host;
	rq->pp_addr = s->pp_addr;
	rq->pp_port = s->pp_port;
	rq->pp_server_addr = s->pp_server_addr;
	rq->pp_server_port = s->pp_server_port;
	if (s->srv->auth_http_pass_session_id)
		rq->session_id = log_session_id();
	rq->imap_id = s->imap_id;
	if (s->method == METHOD_NONE) {
		rq->smtp_helo = s->smtp_helo;
		rq->smtp_from = s->smtp_from;
		rq->smtp_to = s->smtp_to;
	}
}

/* The auth server could not be asked or did not answer: log it as nginx does. */
static enum session_auth_rc
transport_failed(const char *name, int rc, const char *why)
{
	switch (rc) {
	case AUTH_T_TIMEOUT:
		log_msg(MP_LOG_ERR, "auth http server %s timed out", name);
		break;
	case AUTH_T_INVALID:
		log_msg(MP_LOG_ERR, "auth http server %s %s", name, why);
		break;
	case AUTH_T_CONNECT:
		log_msg(MP_LOG_ERR, "%s while in http auth state, auth http server %s",
		    why[0] ? why : "connect() failed", name);
		break;
	default:
		log_msg(MP_LOG_ERR, "auth http server %s closed the connection before "
		    "the end of its response%s%s", name, why[0] ? ": " : "", why);
		break;
	}
	return internal();
}

/* Auth-Status: OK: the backend to log in to, and the login and password the
 * auth server may have replaced. */
static enum session_auth_rc
accepted(struct session *s, struct auth_reply *reply, const struct auth_result *res)
{
	explicit_bzero(req, sizeof req);
	memcpy(&s->upstream, &res->sa, res->salen);
	s->upstreamlen = res->salen;
	conn_addr_text((struct sockaddr *)&s->upstream, s->upstream_text, sizeof s->upstream_text);
	if (backend_tls_choose(s, reply) == -1) {
		explicit_bzero(reply, sizeof *reply);
		return internal();
	}
	if (reply->has_user) {
		s->loginlen = copy_span(s->login, s->credcap, auth_span_ptr(reply, reply->user),
		    reply->user.len);
		log_set_login(s->login, s->loginlen);
	}
	if (reply->has_pass) {
		s->passlen = copy_span(s->pass, s->credcap, auth_span_ptr(reply, reply->pass),
		    reply->pass.len);
		s->have_pass = true;
	}
	s->client_id = reply->client_id < 0 ? s->srv->proxy_client_id : reply->client_id == 1;
	explicit_bzero(reply, sizeof *reply);
	log_set_upstream(s->upstream_text);
	log_msg(MP_LOG_DEBUG, "auth http server replied OK, upstream %s", s->upstream_text);
	return SA_OK;
}

static enum session_auth_rc
ask(struct session *s, struct auth_failure *f)
{
	const struct mp_server *srv = s->srv;
	const char *name = srv->auth_http.text;
	struct auth_request rq;
	struct auth_reply reply;
	struct auth_result res;
	char why[512];
	size_t reqlen;

	/* SMTP without authentication names no user: whatever an earlier AUTH
	 * left is not the client's (CVE-2025-53859's class); only an Auth-User
	 * in the reply can give the backend a login (XCLIENT LOGIN=) */
	if (s->method == METHOD_NONE) {
		explicit_bzero(s->login, s->credcap);
		explicit_bzero(s->pass, s->credcap);
		s->loginlen = s->passlen = 0;
		s->have_pass = false;
		log_set_login("", 0);
	}

	fill_request(s, &rq);
	if (auth_http_build(srv, &rq, req, sizeof req, &reqlen) == -1) {
		log_msg(MP_LOG_ERR, "auth http request for %s could not be built: %s", name,
		    errno == ENOSPC ? "too long" : "unsafe value");
		return internal();
	}
	log_debug_auth_request(req, reqlen);
	/* nginx forgets a digest once it is in the request: the auth server must
	 * send Auth-Pass for the backend */
	if (s->method == METHOD_APOP || s->method == METHOD_CRAM_MD5) {
		explicit_bzero(s->pass, s->passlen);
		s->passlen = 0;
		s->have_pass = false;
	}

	for (int round = 0; round < AUTH_MAX_ROUNDS; round++) {
		int rc = auth_http_query(srv, req, reqlen, &reply, why, sizeof why);

		if (rc != AUTH_T_OK)
			return transport_failed(name, rc, why);
		switch (auth_reply_outcome(&reply, srv->protocol, s->have_pass, &s->auth_wait,
		    &res, why, sizeof why)) {
		case AUTH_OK:
			return accepted(s, &reply, &res);

		case AUTH_ERROR:
			f->textlen = copy_span(f->text, sizeof f->text, res.errmsg, res.errmsglen);
			f->codelen = copy_span(f->code, sizeof f->code, res.errcode, res.errcodelen);
			error_sasl(s, f, &res);
			log_msg(MP_LOG_INFO, "client login failed: \"%.*s\"", (int)f->textlen, f->text);
			if (res.wait_sec <= 0) {
				explicit_bzero(req, sizeof req);
				return SA_FAIL_CLOSE;
			}
			sleep_sec(res.wait_sec);
			s->auth_wait = false;
			if (res.retry)
				continue;
			explicit_bzero(req, sizeof req);
			return SA_FAIL;

		case AUTH_RETRY_WAIT:
			if (res.wait_sec > 0) {
				sleep_sec(res.wait_sec);
				s->auth_wait = false;
			}
			continue;

		default:
			log_msg(MP_LOG_ERR, "auth http server %s %s", name, why);
			return internal();
		}
	}
	log_msg(MP_LOG_ERR, "auth http server %s kept answering WAIT", name);
	return internal();
}

/* Every outcome but success forgets the attempt's credentials. */
enum session_auth_rc
session_auth(struct session *s, struct auth_failure *f)
{
	enum session_auth_rc rc;

	f->sasllen = 0;
	log_set_action("in http auth state");
	rc = ask(s, f);
	log_set_action("in auth state");
	if (rc != SA_OK)
		session_forget_credentials(s);
	return rc;
}
