/* SPDX-License-Identifier: ISC */
/* session.h: one client's pre-authentication session, shared by the
 * protocol front ends: its buffers and credentials, the SASL exchange
 * (sasl_session.c), the auth request (session_auth.c), the backend login
 * and the hand-off to the relay (session_login.c). */
#ifndef MP_SESSION_H
#define MP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"
#include "conn.h"
#include "imap_parse.h"
#include "protocol.h"
#include "sasl.h"

struct tls_info;
struct frontend;

/* What a step of a front end asks of its loop: commands, the SASL driver
 * and the login path all answer so. */
enum session_next {
	NEXT_CLOSE,		/* the session ends (reply sent, or the client is gone) */
	NEXT_READ,		/* reply sent; read the next line */
	NEXT_AUTH		/* credentials complete: ask the auth server */
};

/* The SASL exchange in progress: which response the next line is. */
enum sasl_wait {
	SASL_IDLE = 0,		/* none: the next line is a command */
	SASL_WAIT_PLAIN,
	SASL_WAIT_LOGIN_USER,
	SASL_WAIT_LOGIN_PASS,
	SASL_WAIT_CRAM_MD5,
	SASL_WAIT_EXTERNAL,
	SASL_WAIT_XOAUTH2,
	SASL_WAIT_OAUTHBEARER,
	SASL_WAIT_AUTH_ERROR	/* after Auth-Error-SASL: any line gets autherr */
};

struct session {
	const struct mp_protocol *proto;	/* facts and replies (protocol.h) */
	const struct frontend *fe;	/* the front end's code (frontend.h) */
	const struct mp_conf *cf;
	const struct mp_server *srv;
	const struct mp_listen *ls;
	struct conn *conn;
	int cfd;			/* the client, plaintext side */
	bool tls;			/* the client side is TLS (implicit or STARTTLS) */
	const struct tls_info *tlsinfo;	/* its handshake report, when tls */
	int64_t deadline;		/* the pre-auth `timeout`, absolute */

	char *buf;			/* the client command buffer, `*_client_buffer` bytes */
	size_t cap, len;
	unsigned errors;		/* parser errors, for max_errors */
	char tag[IMAP_TAG_MAX + 2];	/* IMAP: the command's tag and a space, or "* "; */
	size_t taglen;			/* the other protocols: none */

	/* credentials of the current attempt; bounded by the command buffer */
	unsigned attempt;		/* Auth-Login-Attempt */
	enum auth_method method;	/* Auth-Method */
	enum sasl_wait sasl;		/* the SASL exchange in progress */
	char *login, *pass;		/* credcap bytes each */
	char *dec;			/* SASL decoding, credcap bytes */
	size_t loginlen, passlen, credcap;
	bool have_pass;
	char salt[SASL_SALT_SIZE];	/* "<RANDOM.TIME@server_name>\r\n", APOP / CRAM-MD5 */
	size_t saltlen;
	bool salt_greeting;		/* POP3: the salt is the greeting's, kept for APOP */
	bool auth_wait;			/* nginx's sticky Auth-Status: WAIT flag */
	/* a refused bearer token: the failure reply that answers the client's
	 * line after the Auth-Error-SASL challenge, and whether to close then */
	char autherr[IMAP_TAG_MAX + 2 + 2 * 1100 + 3];
	size_t autherrlen;
	bool autherr_close;

	/* where the auth server sent us */
	struct sockaddr_storage upstream;
	socklen_t upstreamlen;
	char upstream_text[80];
	int bfd;			/* the backend, once connected */

	/* SMTP (doc/wire.md#smtp-commands, #smtp-client-host), NUL-terminated
	 * for the auth request: the parser keeps CR and LF out of them and
	 * smtp.c refuses NUL */
	char client_host[256];		/* Client-Host and XCLIENT NAME=; "" sends none */
	char *smtp_helo, *smtp_from, *smtp_to;	/* client buffer + 1 bytes each */
	size_t smtp_helolen, smtp_fromlen, smtp_tolen;
	bool esmtp;			/* the client sent EHLO (a later HELO keeps it) */

	/* imap_id on: the pairs of the client's last ID command, as the
	 * Auth-IMAP-ID header's value (imap_id_text()); "" when it sent none */
	char imap_id[IMAP_ID_TEXT_MAX];
	/* proxy_client_id, or the auth reply's Auth-Proxy-Client-Id: the
	 * backend login tells the client's address (ident.h) */
	bool client_id;

	/* PROXY protocol (proxy_read.c): the client's header as received, for
	 * the Proxy-Protocol-* headers; all NULL when the listen has no
	 * proxy_protocol or the header carried no addresses */
	const char *pp_addr, *pp_port, *pp_server_addr, *pp_server_port;

	/* TLS to the backend for this login (backend_tls.c): proxy_ssl_*, or
	 * the auth server's Auth-Backend-TLS* */
	int btls;			/* enum mp_proxy_ssl */
	bool btls_verify;
	char btls_name[256];		/* checked against the certificate; "": none */
};

/* Start TLS on the client (before the greeting for `listen ... ssl`, or
 * after the STARTTLS reply with the buffer emptied) and answer a failed
 * client-certificate check with the protocol's reply. 0 go on, -1 close. */
int session_tls(struct session *s);

/* The buffers of the session, sized by the protocol (session.c): 0, or -1
 * out of memory (logged). session_close() wipes and frees them; it is
 * safe after a failed session_open(). */
int session_open(struct session *s);
void session_close(struct session *s);

/* Outcome of one authentication attempt, for the protocol handler. */
enum session_auth_rc {
	SA_OK,			/* s->upstream set; login/pass possibly replaced */
	SA_FAIL,		/* reply with the error text (Auth-Wait already slept), go on */
	SA_FAIL_CLOSE,		/* reply with the error text, then close */
	SA_INTERNAL		/* send the internal-error line and close (already logged) */
};

struct auth_failure {
	char text[1100];	/* the Auth-Status text */
	size_t textlen;
	char code[1100];	/* SMTP: Auth-Error-Code or "535 5.7.0" */
	size_t codelen;
	char sasl[1100];	/* XOAUTH2, OAUTHBEARER: Auth-Error-SASL, base64; */
	size_t sasllen;		/* 0: none (or not a bearer-token login) */
};

/* Ask the auth server about the current credentials (s->method, login, pass).
 * Logs the outcome; sleeps through Auth-Wait as nginx does. */
enum session_auth_rc session_auth(struct session *s, struct auth_failure *f);

/* The end of every dialogue (session_login.c): ask the auth server; on a
 * refusal answer and go on (NEXT_READ) or close; on success log in to the
 * backend with the front end's dialogue, answer the client and exec the
 * relay with PENDING, the bytes the client sent behind its login. */
enum session_next session_login(struct session *s, const char *pending, size_t npending);

/* The client's line after an Auth-Error-SASL challenge (s->sasl is
 * SASL_WAIT_AUTH_ERROR), valid or not: the failure reply kept in
 * s->autherr; NEXT_CLOSE when the auth server sent no Auth-Wait. */
enum session_next session_auth_error(struct session *s);

/* The end of a round of a dialogue loop: NEXT_AUTH goes to session_login()
 * with PENDING; back at the command level without a login, the attempt's
 * credentials are forgotten, unless KEEP (POP3 between USER and PASS):
 * credentials live only inside an exchange. Returns the round's outcome. */
enum session_next session_settle(struct session *s, enum session_next next,
    const char *pending, size_t npending, bool keep);

/* The SASL exchange of AUTH / AUTHENTICATE (RFC 4422) for every protocol
 * (sasl_session.c), with the protocol's challenges and replies. START:
 * the mechanism MECH, NARGS arguments in all, IR the initial response when
 * NARGS > 1. STEP: one response line while s->sasl is not SASL_IDLE. A
 * malformed response or an unknown mechanism is answered with the
 * invalid-command reply and ends the exchange. */
enum session_next sasl_session_start(struct session *s, const char *mech, size_t mechlen,
    unsigned nargs, const char *ir, size_t irlen);
enum session_next sasl_session_step(struct session *s, const char *p, size_t len);

/* The invalid-command reply (after the tag, in IMAP): NEXT_READ, or
 * NEXT_CLOSE if the client is gone. The SASL exchange, if any, ends. */
enum session_next session_invalid(struct session *s);

/* A parser error: the invalid-command reply, counted against max_errors. */
enum session_next session_error(struct session *s);

/* Connect to s->upstream within the pre-auth timeout; -1 logged. */
int session_connect_backend(struct session *s);

/* Send what the client pipelined behind its login to the backend, then exec
 * the relay. Returns only on failure (logged). */
int session_exec_relay(struct session *s, const char *pending, size_t npending);

/* Read more client bytes into buf: 1 got some, 0 the client closed or timed
 * out (logged, close silently), -1 the buffer is full. */
int session_fill(struct session *s);

/* The same for a dialogue loop: NEXT_READ got some; NEXT_CLOSE the client
 * is gone, or the buffer is full ("too long command": the invalid-command
 * reply, after s->tag, and close). */
enum session_next session_read(struct session *s);

/* TLS first on a `listen ... ssl` (0, or -1 to close)... */
int session_start(struct session *s);
/* ... then the greeting: the pre-auth `timeout` starts. 0, or -1 to close. */
int session_greet(struct session *s, const char *line, size_t n);

/* Write a reply; -1 if the client is gone (logged). */
int session_reply(struct session *s, const void *p, size_t n);
/* A C string reply: NEXT_READ, or NEXT_CLOSE if the client is gone. */
enum session_next session_say(struct session *s, const char *text);
/* The last reply (QUIT, LOGOUT): NEXT_CLOSE. */
enum session_next session_bye(struct session *s, const char *text);

/* "<a><b><c>" in one write where it fits. */
int session_reply3(struct session *s, const char *a, size_t alen, const char *b, size_t blen,
    const char *c, size_t clen);

/* The credentials of the current attempt, bounded by credcap. */
void session_set_login(struct session *s, const char *p, size_t n);
void session_set_pass(struct session *s, const char *p, size_t n);

/* A login attempt ended without success (SASL cancelled or malformed, a
 * command out of turn, a refusal, an error): the login, the password, the
 * CRAM-MD5 salt and the SASL decoding buffer are wiped and the exchange
 * ends, so that nothing of it reaches a later auth request (Auth-User with
 * Auth-Method: none) or the backend (XCLIENT LOGIN=). */
void session_forget_credentials(struct session *s);

/* starttls only: no authentication before TLS. */
bool session_login_allowed(const struct session *s);

/* The client's identity for a backend (ident.h): the client as nginx
 * reports it (after set_real_ip_from), the local address it connected to
 * and the log lines' session id, written by FORMAT (ident_imap_id,
 * ident_xclient) into OUT. Its length, 0 if it does not fit. */
struct ident;
size_t session_ident(const struct session *s,
    size_t (*format)(const struct ident *, char *, size_t), char *out, size_t cap);

/* Drop the first n bytes of the buffer. */
void session_consume(struct session *s, size_t n);

/* ---- the PROXY protocol of a session (proxy_send.c, proxy_read.c) --------- */

/* Send the header srv->proxy_protocol asks for (1 v1, 2 v2) to the backend
 * on s->bfd, in one write, before anything else. 0, or -1 logged. */
int proxy_send_header(struct session *s);

/* Read the client's PROXY header from s->cfd within `timeout`, consume
 * exactly its bytes (the rest stays for the protocol), then apply
 * set_real_ip_from and point s->pp_* at the header's addresses. Logs as
 * nginx does. 0, or -1: close the connection without a reply. */
int proxy_accept(struct session *s);

#endif
