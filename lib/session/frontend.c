/* SPDX-License-Identifier: ISC */
/* frontend.c: the front ends by protocol, and what every one does around
 * its dialogue. */
#include <stddef.h>

#include "frontend.h"
#include "imap.h"
#include "log.h"
#include "pop3.h"
#include "smtp.h"

static const struct frontend frontends[] = {
	{ MP_PROTO_IMAP, imap_run, imap_login, NULL },
	{ MP_PROTO_POP3, pop3_run, pop3_login, NULL },
	{ MP_PROTO_SMTP, smtp_run, smtp_login, NULL },
	{ MP_PROTO_SIEVE, sieve_run, sieve_login, sieve_auth_failed },
};

static const struct frontend *
frontend_get(int id)
{
	for (size_t i = 0; i < sizeof frontends / sizeof frontends[0]; i++)
		if ((int)frontends[i].id == id)
			return &frontends[i];
	return NULL;
}

int
frontend_serve(struct session *s, const struct frontend *fe)
{
	int rc = 1;

	s->proto = protocol_get(fe->id);
	s->fe = fe;
	if (session_open(s) == 0)
		rc = fe->run(s);
	session_close(s);
	return rc;
}

int
imap_serve(struct session *s)
{
	return frontend_serve(s, frontend_get(MP_PROTO_IMAP));
}

int
pop3_serve(struct session *s)
{
	return frontend_serve(s, frontend_get(MP_PROTO_POP3));
}

int
smtp_serve(struct session *s)
{
	return frontend_serve(s, frontend_get(MP_PROTO_SMTP));
}

int
session_serve(struct session *s)
{
	const struct frontend *fe = frontend_get(s->srv->protocol);

	if (fe != NULL)
		return frontend_serve(s, fe);
	log_msg(MP_LOG_ERR, "protocol of server %s:%u is not supported by this build",
	    s->srv->file, s->srv->line);
	return 1;
}
