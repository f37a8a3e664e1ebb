/* SPDX-License-Identifier: ISC */
/* auth_http.h: nginx's auth_http protocol (doc/wire.md#auth-request to
 * #auth-transport), in three parts that share only these types: the request
 * builder (auth_http_request.c), the incremental reply parser and outcome
 * rules (auth_http_reply.c), and the transport that moves the bytes
 * (auth_http_transport.c, the only part that knows about libcurl). Builder
 * and parser do no I/O and no malloc. */
#ifndef MP_AUTH_HTTP_H
#define MP_AUTH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"

/* ---- request ---------------------------------------------------------- */

/* Room for a request without a client certificate: user and password are
 * bounded by the client buffer (escaping triples them at worst), the rest is
 * short. Add three bytes per certificate byte (PEM is escaped). */
#define AUTH_HTTP_REQ_BASE 16384
#define AUTH_HTTP_REQ_SIZE(certlen) (AUTH_HTTP_REQ_BASE + 3 * (size_t)(certlen))

struct auth_request {
	const char *method;	/* "plain", "apop", "cram-md5", "external", "none",
				 * "xoauth2", "oauthbearer" */
	const char *user; size_t userlen;	/* raw bytes, escaped on the wire */
	const char *pass; size_t passlen;	/* raw bytes, escaped on the wire */
	const char *salt; size_t saltlen;	/* "<...@host>\r\n" with its CRLF, or NULL;
						 * sent only with apop and cram-md5 */
	const char *protocol;	/* "imap", "pop3", "smtp" */
	unsigned attempt;	/* Auth-Login-Attempt, 1, 2, ... */
	const char *client_ip;	/* Client-IP, required */
	const char *client_host;	/* Client-Host; NULL or "" = no header */
	/* Proxy-Protocol-*: all four, or all NULL when the client sent no
	 * PROXY header with addresses. */
	const char *pp_addr, *pp_port, *pp_server_addr, *pp_server_port;
	/* Auth-SMTP-*: sent only with method "none"; NULL is an empty value. */
	const char *smtp_helo, *smtp_from, *smtp_to;
	/* TLS: ssl false = no Auth-SSL* header at all. Each other NULL field
	 * leaves its header out. ssl_cert is the raw PEM; it is escaped. */
	bool ssl;
	const char *ssl_protocol, *ssl_cipher, *ssl_verify, *ssl_subject,
	    *ssl_issuer, *ssl_serial, *ssl_fingerprint;
	const char *ssl_cert; size_t ssl_certlen;
	/* Beyond nginx, each NULL or "" for none: Auth-Session-Id (the log
	 * lines' session id, auth_http_pass_session_id on) and Auth-IMAP-ID
	 * (the client's ID pairs, already escaped: imap_id_text()) */
	const char *session_id;
	const char *imap_id;
};

/* Write the exact request nginx sends into BUF (CAP bytes) and its length
 * into *LEN; no NUL is appended. Returns 0, or -1 with errno ENOSPC when it
 * does not fit, or EINVAL when a value is unusable: an unknown method, a
 * missing client_ip, an incomplete Proxy-Protocol group, a salt that does
 * not end in its one CRLF, or CR, LF or NUL in any value that is sent
 * unescaped (everything except user, pass and ssl_cert, including the
 * configured host, URI and auth_http_header lines). The SMTP handler
 * already keeps CR/LF/NUL out of HELO/MAIL/RCPT; this is the backstop that
 * keeps a header from ever being injected. */
int auth_http_build(const struct mp_server *srv, const struct auth_request *rq,
    char *buf, size_t cap, size_t *len);

/* NGX_ESCAPE_MAIL_AUTH: 0x00-0x1F, space and '%' become %XX (upper-case
 * hex), every other byte is copied. Returns the escaped length, or
 * (size_t)-1 if it does not fit in CAP. */
size_t auth_http_escape(char *dst, size_t cap, const char *src, size_t len);

/* ---- reply ------------------------------------------------------------ */

/* nginx reads the status line and headers into one 1 KiB buffer. */
#define AUTH_REPLY_MAX 1024

enum auth_reply_rc {
	AUTH_R_AGAIN = 0,	/* header block not complete yet: feed more */
	AUTH_R_DONE,		/* empty line seen; anything after it is ignored */
	AUTH_R_FULL,		/* 1024 bytes without the end of the headers */
	AUTH_R_BAD_STATUS,	/* CR not followed by LF in the status line */
	AUTH_R_BAD_HEADER	/* bad header name byte, or CR without LF */
};

struct auth_span {
	uint16_t off, len;	/* into auth_reply.buf */
};

struct auth_reply {
	/* parser state; treat as private */
	char buf[AUTH_REPLY_MAX];
	size_t len, pos;
	int state, rc;
	uint16_t name_start, name_end, val_start, val_end;

	/* results, valid once auth_reply_feed() returned AUTH_R_DONE.
	 * Every "last occurrence wins", as in nginx. */
	bool status_error;	/* an Auth-Status other than "OK"/"WAIT" was seen */
	struct auth_span error;	/* the last such value (an OK never clears it) */
	bool wait;		/* an "Auth-Status: WAIT" was seen */
	struct auth_span server, port;	/* len 0 = absent (or empty) */
	bool has_user, has_pass;	/* Auth-User / Auth-Pass present (even empty); */
	struct auth_span user, pass;	/* the values are NOT unescaped (nor in nginx) */
	int64_t wait_sec;	/* last numeric Auth-Wait; others are ignored; 0 = none */
	bool has_errcode;
	struct auth_span errcode;	/* Auth-Error-Code (SMTP) */
	struct auth_span errsasl;	/* Auth-Error-SASL (bearer tokens); len 0 = none */
	/* Beyond nginx: Auth-Proxy-Client-Id "on" 1, "off" 0, anything else
	 * or absent -1 (the server's proxy_client_id decides) */
	int client_id;
	/* TLS to the backend for this user (backend_tls.h); len 0 = absent */
	struct auth_span backend_tls, backend_tls_name, backend_tls_verify;
};

void auth_reply_init(struct auth_reply *r);

/* Append up to N bytes (what fits in the 1024-byte buffer; more is never
 * looked at) and parse them. Returns enum auth_reply_rc; once it is not
 * AUTH_R_AGAIN it stays so and further bytes are ignored. */
int auth_reply_feed(struct auth_reply *r, const void *data, size_t n);

/* The log text nginx writes after "auth http server <name> " for a parse
 * failure, or NULL for AUTH_R_AGAIN/AUTH_R_DONE/AUTH_R_FULL (nginx logs
 * nothing of its own when the buffer fills: it sees a closed connection). */
const char *auth_reply_rc_text(int rc);

static inline const char *
auth_span_ptr(const struct auth_reply *r, struct auth_span s)
{
	return r->buf + s.off;
}

/* ---- outcome (doc/wire.md#auth-outcome) ------------------------------- */

enum auth_outcome {
	AUTH_OK = 0,		/* connect to res.sa; log name res.upstream */
	AUTH_ERROR,		/* Auth-Status error: reply with errmsg (see below) */
	AUTH_RETRY_WAIT,	/* WAIT: after wait_sec seconds, resend the same request */
	AUTH_NO_SERVER,		/* "did not send server or port" */
	AUTH_NO_PASSWORD,	/* "did not send password" */
	AUTH_BAD_ADDR,		/* "sent invalid server address:\"...\"" */
	AUTH_BAD_PORT		/* "sent invalid server port:\"...\"" */
};

struct auth_result {
	int outcome;		/* enum auth_outcome */
	/* AUTH_ERROR: the Auth-Status text, for the log line
	 * 'client login failed: "<text>"' and the client reply
	 * ("-ERR <text>", "<tag>NO <text>", "<errcode> <text>"). */
	const char *errmsg; size_t errmsglen;
	const char *errcode; size_t errcodelen;	/* SMTP: Auth-Error-Code or "535 5.7.0";
						 * IMAP/POP3: "" (never NULL) */
	/* Auth-Error-SASL as sent (len 0: none), for XOAUTH2 and OAUTHBEARER
	 * the challenge before the error reply; the caller checks it */
	const char *errsasl; size_t errsasllen;
	/* AUTH_ERROR and AUTH_RETRY_WAIT: the delay in seconds. For AUTH_ERROR
	 * with wait_sec 0: reply and close. With wait_sec > 0: wait, then reply
	 * and continue the session, unless retry is set: then resend the
	 * request instead and say nothing (nginx's sticky WAIT,
	 * doc/wire.md#auth-wait). */
	int64_t wait_sec;
	bool retry;
	/* AUTH_OK */
	struct sockaddr_storage sa;
	socklen_t salen;
	char upstream[AUTH_REPLY_MAX + 2];	/* "<Auth-Server>:<Auth-Port>" as sent */
};

/* Evaluate a complete reply in nginx's order. PROTOCOL is enum mp_proto.
 * HAVE_PASSWORD: the session still has a client password (false after
 * EXTERNAL, APOP and CRAM-MD5); only IMAP and POP3 need one.
 *
 * SESSION_WAIT is the session's auth-wait flag, which nginx keeps across
 * requests: a reply with "Auth-Status: WAIT" sets it, and only the end of
 * an Auth-Wait delay clears it, so the caller must set it to false whenever
 * a delay (of either outcome) has elapsed and nowhere else. Like nginx,
 * a WAIT without a delay therefore makes every later reply of the session
 * a retry until an error reply arrives.
 *
 * For the four failure outcomes, writes into WHY the text that follows
 * "auth http server <name> " in nginx's log (err level); WHY is empty
 * otherwise. Returns the outcome (also in res->outcome). */
int auth_reply_outcome(const struct auth_reply *r, int protocol,
    bool have_password, bool *session_wait, struct auth_result *res,
    char *why, size_t whylen);

/* nginx's ngx_parse_addr over LEN bytes: an IPv4 dotted quad (its quirks:
 * empty octets count as 0, 255.255.255.255 is refused) or an IPv6 literal
 * without brackets. Fills SA with port 0. Returns 0 or -1. */
int auth_parse_addr(const char *s, size_t len, struct sockaddr_storage *sa,
    socklen_t *salen);

/* ngx_atoi: decimal digits only, at least one, no overflow; -1 otherwise. */
int64_t auth_atoi(const char *s, size_t len);

/* ---- transport -------------------------------------------------------- */

enum auth_transport_rc {
	AUTH_T_OK = 0,		/* OUT holds a complete header block */
	AUTH_T_CONNECT,		/* refused / unreachable / send failed */
	AUTH_T_TIMEOUT,		/* auth_http_timeout expired: "timed out" */
	AUTH_T_CLOSED,		/* closed before the end of headers, or > 1024 bytes */
	AUTH_T_INVALID		/* "sent invalid response" / "...invalid header in response" */
};

/* Send REQ to the server's auth_http address on a new connection and read
 * the reply headers into OUT (initialised here). One deadline of
 * srv->auth_http_timeout_ms, started before connecting, bounds everything,
 * as nginx's two timers armed together at connect do. Reading stops at the
 * empty line; at most 1024 bytes are read. WHY receives the log text:
 *   AUTH_T_TIMEOUT, AUTH_T_INVALID: what follows "auth http server <name> "
 *     ("timed out", "sent invalid response", "sent invalid header in response");
 *   AUTH_T_CONNECT: a whole nginx line such as
 *     "connect() to 127.0.0.1:9000 failed (111: Connection refused)" or
 *     "send() failed (32: Broken pipe)";
 *   AUTH_T_CLOSED: "recv() failed (104: Connection reset by peer)" on an
 *     error, else empty: nginx logs nothing of its own for a plain close or
 *     for a full buffer.
 * Every outcome but AUTH_T_OK means an internal error for the client. */
int auth_http_query(const struct mp_server *srv, const char *req, size_t reqlen,
    struct auth_reply *out, char *why, size_t whylen);

#endif
