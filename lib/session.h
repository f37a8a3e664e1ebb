/* session.h: one client's pre-authentication session, shared by the
 * protocol handlers, the auth step and the hand-off to the relay. */
#ifndef MP_SESSION_H
#define MP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"
#include "conn.h"

struct tls_info;

struct session {
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

	/* credentials of the current attempt; bounded by the command buffer */
	unsigned attempt;		/* Auth-Login-Attempt */
	const char *method;		/* Auth-Method */
	char *login, *pass;		/* credcap bytes each */
	size_t loginlen, passlen, credcap;
	bool have_pass;
	char salt[192];			/* "<RANDOM.TIME@server_name>\r\n" for APOP / CRAM-MD5 */
	size_t saltlen;
	bool salt_greeting;		/* POP3: the salt is the greeting's, kept for APOP */
	bool auth_wait;			/* nginx's sticky Auth-Status: WAIT flag */

	/* where the auth server sent us */
	struct sockaddr_storage upstream;
	socklen_t upstreamlen;
	char upstream_text[80];
	int bfd;			/* the backend, once connected */

	/* SMTP (spec 3.4, 3.5), NUL-terminated for the auth request: the
	 * parser keeps CR and LF out of them and smtp.c refuses NUL */
	char client_host[256];		/* Client-Host and XCLIENT NAME=; "" sends none */
	char *smtp_helo, *smtp_from, *smtp_to;	/* client buffer + 1 bytes each */
	size_t smtp_helolen, smtp_fromlen, smtp_tolen;
	bool esmtp;			/* the client sent EHLO (a later HELO keeps it) */

	/* PROXY protocol (proxy_read.c): the client's header as received, for
	 * the Proxy-Protocol-* headers; all NULL when the listen has no
	 * proxy_protocol or the header carried no addresses */
	const char *pp_addr, *pp_port, *pp_server_addr, *pp_server_port;
};

/* Start TLS on the client (before the greeting for `listen ... ssl`, or
 * after the STARTTLS reply with the buffer emptied) and answer a failed
 * client-certificate check with MISSING or ERROR. 0 go on, -1 close. */
int session_tls(struct session *s, const char *missing, const char *error);

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
};

/* Ask the auth server about the current credentials (s->method, login, pass).
 * Logs the outcome; sleeps through Auth-Wait as nginx does. */
enum session_auth_rc session_auth(struct session *s, const char *protocol, struct auth_failure *f);

/* Connect to s->upstream within the pre-auth timeout; -1 logged. */
int session_connect_backend(struct session *s);

/* Send what the client pipelined behind its login to the backend, then exec
 * the relay. Returns only on failure (logged). */
int session_exec_relay(struct session *s, const char *pending, size_t npending);

/* Read more client bytes into buf: 1 got some, 0 the client closed or timed
 * out (logged, close silently), -1 the buffer is full. */
int session_fill(struct session *s);

/* Write a reply; -1 if the client is gone (logged). */
int session_reply(struct session *s, const void *p, size_t n);

/* "<a><b><c>" in one write where it fits. */
int session_reply3(struct session *s, const char *a, size_t alen, const char *b, size_t blen,
    const char *c, size_t clen);

/* The credentials of the current attempt, bounded by credcap. */
void session_set_login(struct session *s, const char *p, size_t n);
void session_set_pass(struct session *s, const char *p, size_t n);

/* A login attempt ended without success (SASL cancelled or malformed, a
 * command out of turn, a refusal, an error): the login, the password, the
 * CRAM-MD5 salt and the SASL decoding buffer DEC (credcap bytes, may be
 * NULL) are wiped, so that nothing of it reaches a later auth request
 * (Auth-User with Auth-Method: none) or the backend (XCLIENT LOGIN=). */
void session_forget_credentials(struct session *s, char *dec);

/* starttls only: no authentication before TLS. */
bool session_login_allowed(const struct session *s);

/* Drop the first n bytes of the buffer. */
void session_consume(struct session *s, size_t n);


#endif
