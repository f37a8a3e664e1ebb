/* SPDX-License-Identifier: ISC */
/* imap.h: the IMAP front end. */
#ifndef MP_IMAP_H
#define MP_IMAP_H

struct session;

/* Serve the IMAP dialogue until the relay takes over or the session ends;
 * returns the exit status. */
int imap_serve(struct session *s);

#endif
