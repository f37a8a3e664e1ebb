/* SPDX-License-Identifier: ISC */
/* smtp.h: the SMTP front end. */
#ifndef MP_SMTP_H
#define MP_SMTP_H

struct session;

/* Serve the SMTP dialogue until the relay takes over or the session ends;
 * returns the exit status. */
int smtp_serve(struct session *s);

#endif
