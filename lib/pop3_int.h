/* pop3_int.h: what the POP3 front end's files share (pop3.c, pop3_capa.c,
 * pop3_auth.c, pop3_login.c): the session's state, its canned replies and
 * the steps the dialogue loop calls. Not a public interface. */
#ifndef MP_POP3_INT_H
#define MP_POP3_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "pop3_parse.h"
#include "session.h"

/* Every reply text, in one place; a file that sends none leaves them unused. */
static const char pop3_greeting[] = "+OK POP3 ready\r\n";
static const char pop3_ok[] = "+OK\r\n";
static const char pop3_invalid_command[] = "-ERR invalid command\r\n";
static const char pop3_internal_error[] = "-ERR internal server error\r\n";
static const char pop3_cert_missing[] = "-ERR No required SSL certificate\r\n";
static const char pop3_cert_error[] = "-ERR SSL certificate error\r\n";
static const char pop3_plain_challenge[] = "+ \r\n";
static const char pop3_username_prompt[] = "+ VXNlcm5hbWU6\r\n";
static const char pop3_password_prompt[] = "+ UGFzc3dvcmQ6\r\n";
static const char pop3_capa_head[] = "+OK Capability list follows\r\n";
static const char pop3_methods_head[] = "+OK methods supported:\r\n";

enum pop3_state {
	POP3_START,
	POP3_USER,		/* USER accepted, PASS expected */
	POP3_AUTH_PLAIN,
	POP3_AUTH_LOGIN_USER,
	POP3_AUTH_LOGIN_PASS,
	POP3_AUTH_CRAM_MD5,
	POP3_AUTH_EXTERNAL
};

/* What a command asks of the loop. */
enum pop3_next {
	NEXT_CLOSE,		/* the session ends (reply sent, or the client is gone) */
	NEXT_READ,		/* reply sent; parse the next command */
	NEXT_AUTH		/* credentials complete: ask the auth server */
};

struct pop3 {
	struct session *s;
	struct pop3_parser p;
	int state;
	char *dec;		/* SASL decoding, credcap bytes */
};

/* Send TEXT: NEXT_READ, or NEXT_CLOSE if the client is gone (pop3.c). */
enum pop3_next pop3_reply(struct pop3 *pp, const char *text, size_t n);
/* "-ERR invalid command", back to the start state (pop3.c). */
enum pop3_next pop3_invalid(struct pop3 *pp);

/* The pop3_auth methods, with LOGIN whenever PLAIN is on (pop3_capa.c). */
unsigned pop3_enabled(const struct session *s);
/* CAPA; STLS_VARIANT is false in the "user" state (pop3_capa.c). */
enum pop3_next pop3_capa(struct pop3 *pp, bool stls_variant);
/* Bare AUTH: the enabled SASL methods, one per line (pop3_capa.c). */
enum pop3_next pop3_auth_list(struct pop3 *pp);

/* AUTH [mech [initial-response]] (pop3_auth.c). */
enum pop3_next pop3_auth_start(struct pop3 *pp, const struct pop3_arg *args, unsigned nargs);
/* One SASL response line of an AUTH exchange (pop3_auth.c). */
enum pop3_next pop3_auth_step(struct pop3 *pp, const struct pop3_arg *a);

/* Ask the auth server, log in to the backend, exec the relay with PENDING,
 * the bytes the client sent behind its login (pop3_login.c). */
enum pop3_next pop3_authenticate_and_relay(struct pop3 *pp, const char *pending,
    size_t npending);

#endif
