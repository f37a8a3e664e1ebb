/* SPDX-License-Identifier: ISC */
/* protocol.h: what mailproxy knows of each mail protocol, in one table (as
 * nginx's ngx_mail_protocol_t gathers them, but ours): its names, ports and
 * ALPN id, the directives that size and enable it, and the canned replies
 * and SASL prompts of its front end. Plain data: the configuration, the unit
 * writers and mailproxy-tls read it without linking any front end. The
 * front ends' code (grammar, backend login) hangs off it in frontend.h.
 *
 * A protocol is one entry here plus its grammar and replies. */
#ifndef MP_PROTOCOL_H
#define MP_PROTOCOL_H

#include <stddef.h>

#include "conf.h"

/* Auth-Method values (the auth_http protocol of nginx's
 * ngx_mail_auth_http_module); METHOD_UNSET is no attempt in progress. */
enum auth_method {
	METHOD_UNSET = 0,
	METHOD_PLAIN,		/* LOGIN, USER/PASS, AUTH PLAIN and AUTH LOGIN alike */
	METHOD_APOP,
	METHOD_CRAM_MD5,
	METHOD_EXTERNAL,
	METHOD_NONE,		/* SMTP with smtp_auth none */
	METHOD_XOAUTH2,		/* AUTH XOAUTH2: the pass is the bearer token */
	METHOD_OAUTHBEARER	/* AUTH OAUTHBEARER (RFC 7628): the same */
};
/* "plain", "apop", ...; NULL for METHOD_UNSET. */
const char *auth_method_name(enum auth_method m);

/* SASL mechanisms in nginx's advertising order (CAPABILITY, CAPA, EHLO). */
struct sasl_name {
	unsigned bit;		/* MP_AUTH_* */
	const char *name;	/* "PLAIN", ... */
};
extern const struct sasl_name sasl_names[6];

#define PROTO_MAX_PORTS 3

/* nginx's fixed POP3 command buffer (no directive) */
#define POP3_BUFFER	128
/* The buffer when pop3_auth enables xoauth2 or oauthbearer: an AUTH line
 * or SASL response carrying a bearer token in base64 (a 6 KiB token, as
 * large identity providers issue, and its user name) */
#define POP3_OAUTH_BUFFER 8192

/* The APOP/CRAM-MD5 salt "<RANDOM.UNIXTIME@server_name>\r\n" (sasl_salt()):
 * SASL_SALT_SIZE holds the salt of any server_name of at most
 * SASL_SERVER_NAME_MAX bytes (10 digits, 20 for the time, 6 of punctuation,
 * the NUL); the configuration refuses a longer one where a salt is needed,
 * so that no protocol fails at run time where nginx, which allocates the
 * salt, never does. */
#define SASL_SALT_SIZE		192
#define SASL_SERVER_NAME_MAX	(SASL_SALT_SIZE - 37)

struct mp_protocol {
	enum mp_proto id;
	const char *name;		/* `protocol` directive, unit names */
	const char *auth_protocol;	/* Auth-Protocol: */
	const char *alpn;		/* its ALPN id (RFC 7301 registry) */
	/* well-known ports, the protocol of a listen without `protocol`, with
	 * the name of the shipped unit for each (units/mailproxy@NAME.socket) */
	unsigned ports[PROTO_MAX_PORTS];
	const char *port_units[PROTO_MAX_PORTS];

	/* the client command buffer (*_client_buffer, or a fixed size) */
	size_t (*client_buffer)(const struct mp_server *srv);
	/* the enabled methods (*_auth), as the front end honours them */
	unsigned (*auth_methods)(const struct mp_server *srv);
	/* the methods whose use needs an APOP/CRAM-MD5 salt */
	unsigned salt_methods;

	/* canned replies, CRLF included */
	const char *invalid_command;	/* after the tag (IMAP) */
	const char *internal_error;
	const char *cert_missing;	/* a required client certificate is missing */
	const char *cert_error;		/* ... or failed verification */
	const char *auth_failed;	/* before the Auth-Status text (after the tag);
					 * NULL: the auth server's Auth-Error-Code */
	const char *logged_in;		/* to the client after the backend login;
					 * NULL: the backend's own last reply */

	/* SASL challenges (RFC 4422): "+ " or "334 " and base64 */
	const char *challenge_prefix;
	const char *challenge_suffix;	/* after the base64: CRLF, or '"' CRLF */
	const char *plain_challenge;	/* the empty challenge */
	const char *username_prompt;	/* base64("Username:") */
	const char *password_prompt;	/* base64("Password:") */
};

/* The entry of a protocol, NULL for MP_PROTO_NONE or an unknown value. */
const struct mp_protocol *protocol_get(int id);
/* By `protocol` directive value, by well-known port: NULL if none. */
const struct mp_protocol *protocol_by_name(const char *name);
const struct mp_protocol *protocol_by_port(unsigned port);

#endif
