/* imap_int.h: what the IMAP front end's files share (imap.c, imap_auth.c):
 * the session's state and the steps the dialogue loop calls. Not a public
 * interface. */
#ifndef MP_IMAP_INT_H
#define MP_IMAP_INT_H

#include <stddef.h>

#include "imap_parse.h"
#include "session.h"

enum imap_state {
	IMAP_START,
	IMAP_AUTH_PLAIN,
	IMAP_AUTH_LOGIN_USER,
	IMAP_AUTH_LOGIN_PASS,
	IMAP_AUTH_CRAM_MD5,
	IMAP_AUTH_EXTERNAL
};

struct imap {
	struct session *s;
	struct imap_parser p;
	int state;
	char tag[IMAP_TAG_MAX + 2];	/* the tag with its trailing space, or "* " */
	size_t taglen;
	char *dec;			/* SASL decoding, cap bytes */
};

/* "<tag> BAD invalid command": 0, or -1 if the client is gone (imap.c). */
int imap_bad(struct imap *im);

/* AUTHENTICATE mech [initial-response]: 1 go on, 0 close, 2 authenticate (imap_auth.c). */
int imap_authenticate(struct imap *im, const struct imap_arg *args, unsigned nargs);
/* One SASL response line of an AUTHENTICATE exchange: 1, 0 or 2 (imap_auth.c). */
int imap_auth_step(struct imap *im, const struct imap_arg *a);

#endif
