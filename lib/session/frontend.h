/* SPDX-License-Identifier: ISC */
/* frontend.h: the code of a protocol's front end, beside its facts in
 * protocol.h (kept apart so that the configuration and mailproxy-tls link
 * no front end). The dialogue is the front end's own (its grammar); the
 * session layer calls back into it for the backend login. */
#ifndef MP_FRONTEND_H
#define MP_FRONTEND_H

#include "backend.h"
#include "session.h"

struct frontend {
	enum mp_proto id;
	/* the dialogue, from the greeting to the hand-off (buffers open):
	 * returns the exit status */
	int (*run)(struct session *s);
	/* log in to the backend s->bfd as s->login: the outcome, the
	 * backend's last reply in B (BACKEND_ABORTED: logged, the client gets
	 * the internal error) */
	enum backend_result (*backend_login)(struct session *s, struct backend_buf *b);
	/* the reply to a refused login with the auth server's TEXT; NULL:
	 * the protocol table's auth_failed prefix and TEXT as it is */
	enum session_next (*auth_failed)(struct session *s, const char *text, size_t len);
};

/* The front ends' own files (imap.c, pop3.c, smtp.c, smtp_login.c, sieve.c). */
int imap_run(struct session *s);
enum backend_result imap_login(struct session *s, struct backend_buf *b);
int pop3_run(struct session *s);
enum backend_result pop3_login(struct session *s, struct backend_buf *b);
int smtp_run(struct session *s);
enum backend_result smtp_login(struct session *s, struct backend_buf *b);
int sieve_run(struct session *s);
enum backend_result sieve_login(struct session *s, struct backend_buf *b);
enum session_next sieve_auth_failed(struct session *s, const char *text, size_t len);

/* Serve S with FE: open the session's buffers, run the dialogue, wipe and
 * free them. Returns the exit status. */
int frontend_serve(struct session *s, const struct frontend *fe);

/* Serve S with the front end of its server's protocol. */
int session_serve(struct session *s);

#endif
