/* SPDX-License-Identifier: ISC */
/* smtp_int.h: what the SMTP front end's files share (smtp.c,
 * smtp_envelope.c, smtp_login.c): the session's state, the replies only
 * SMTP sends (the others are in the protocol table) and the steps the
 * dialogue loop calls. Not a public interface. */
#ifndef MP_SMTP_INT_H
#define MP_SMTP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "session.h"
#include "smtp_parse.h"

/* Every SMTP-only reply text, in one place; a file that sends none leaves
 * them unused. */
static const char smtp_invalid_argument[] = "501 5.5.4 Invalid argument\r\n";
static const char smtp_invalid_pipelining[] =
    "503 5.5.0 Improper use of SMTP command pipelining\r\n";
static const char smtp_bad_sequence[] = "503 5.5.1 Bad sequence of commands\r\n";
static const char smtp_auth_required[] = "530 5.7.1 Authentication required\r\n";
static const char smtp_ok[] = "250 2.0.0 OK\r\n";
static const char smtp_bye[] = "221 2.0.0 Bye\r\n";

struct smtp {
	struct session *s;
	struct smtp_parser p;
	char *ehlo;			/* the EHLO reply, built again after TLS */
	size_t ehlolen;
};

/* The EHLO reply for the session's TLS state, malloc'd (smtp_envelope.c). */
char *smtp_ehlo_list(const struct session *s, size_t *lenp);
/* Forget MAIL FROM and RCPT TO, as RSET and a new HELO do (smtp_envelope.c). */
void smtp_forget_envelope(struct session *s);
/* Log a refused client line as nginx does, CR and LF shown as '_' (smtp_envelope.c). */
void smtp_log_rejected(const char *what, const char *p, size_t n);
/* HELO or EHLO (smtp_envelope.c). */
enum session_next smtp_helo(struct smtp *sm);
/* MAIL FROM, the command line being USED bytes of the buffer (smtp_envelope.c). */
enum session_next smtp_mail(struct smtp *sm, size_t used);
/* RCPT TO: NEXT_AUTH authenticates with smtp_auth none (smtp_envelope.c). */
enum session_next smtp_rcpt(struct smtp *sm);


#endif
