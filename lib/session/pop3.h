/* SPDX-License-Identifier: ISC */
/* pop3.h: the POP3 front end. */
#ifndef MP_POP3_H
#define MP_POP3_H

struct session;

/* Serve the POP3 dialogue until the relay takes over or the session ends;
 * returns the exit status. */
int pop3_serve(struct session *s);

#endif
