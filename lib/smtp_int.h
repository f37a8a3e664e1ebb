/* smtp_int.h: what the SMTP front end's files share (smtp.c, smtp_auth.c,
 * smtp_envelope.c, smtp_login.c): the session's state, its canned replies
 * and the steps the dialogue loop calls. Not a public interface. */
#ifndef MP_SMTP_INT_H
#define MP_SMTP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "sasl.h"
#include "session.h"
#include "smtp_parse.h"

/* Every reply text, in one place; a file that sends none leaves them unused. */
static const char smtp_internal_error[] = "451 4.3.2 Internal server error\r\n";
static const char smtp_invalid_command[] = "500 5.5.1 Invalid command\r\n";
static const char smtp_invalid_argument[] = "501 5.5.4 Invalid argument\r\n";
static const char smtp_invalid_pipelining[] =
    "503 5.5.0 Improper use of SMTP command pipelining\r\n";
static const char smtp_bad_sequence[] = "503 5.5.1 Bad sequence of commands\r\n";
static const char smtp_auth_required[] = "530 5.7.1 Authentication required\r\n";
static const char smtp_ok[] = "250 2.0.0 OK\r\n";
static const char smtp_bye[] = "221 2.0.0 Bye\r\n";
static const char smtp_auth_ok[] = "235 2.0.0 OK\r\n";
static const char smtp_cert_missing[] = "421 4.7.1 No required SSL certificate\r\n";
static const char smtp_cert_error[] = "421 4.7.1 SSL certificate error\r\n";

#define REPLY(s, str) session_reply((s), (str), sizeof(str) - 1)

enum smtp_state {
	SMTP_START,
	SMTP_AUTH_PLAIN,
	SMTP_AUTH_LOGIN_USER,
	SMTP_AUTH_LOGIN_PASS,
	SMTP_AUTH_CRAM_MD5,
	SMTP_AUTH_EXTERNAL
};

struct smtp {
	struct session *s;
	struct smtp_parser p;
	int state;
	char *dec;			/* SASL decoding, credcap bytes */
	char *ehlo;			/* the EHLO reply, built again after TLS */
	size_t ehlolen;
};

/* The command steps (int) return 1 to go on, 0 to close, 2 to authenticate. */

/* "500 Invalid command", back to the start state (smtp.c). */
int smtp_invalid(struct smtp *sm);

/* The EHLO reply for the session's TLS state, malloc'd (smtp_envelope.c). */
char *smtp_ehlo_list(const struct session *s, size_t *lenp);
/* Forget MAIL FROM and RCPT TO, as RSET and a new HELO do (smtp_envelope.c). */
void smtp_forget_envelope(struct session *s);
/* Log a refused client line as nginx does, CR and LF shown as '_' (smtp_envelope.c). */
void smtp_log_rejected(const char *what, const char *p, size_t n);
/* HELO or EHLO (smtp_envelope.c). */
int smtp_helo(struct smtp *sm);
/* MAIL FROM, the command line being USED bytes of the buffer (smtp_envelope.c). */
int smtp_mail(struct smtp *sm, size_t used);
/* RCPT TO: 2 authenticates with smtp_auth none (smtp_envelope.c). */
int smtp_rcpt(struct smtp *sm);

/* AUTH mech [initial-response] (smtp_auth.c). */
int smtp_auth_start(struct smtp *sm);
/* One SASL response line of an AUTH exchange (smtp_auth.c). */
int smtp_auth_step(struct smtp *sm, const struct mail_arg *a);

/* Ask the auth server, log in to the backend, exec the relay (smtp_login.c). */
int smtp_authenticate_and_relay(struct smtp *sm);

#endif
