/* SPDX-License-Identifier: ISC */
/* session_tls.c: TLS for a session, implicit or after STARTTLS/STLS, and
 * the client-certificate verdict answered with the protocol's own lines. */
#include "session.h"
#include "tls_start.h"
#include "tls_report.h"

/* One handshake per connection: its report lives as long as the process. */
static struct tls_info tls_report;

int
session_tls(struct session *s)
{
	if (session_start_tls(s, &tls_report) == -1)
		return -1;
	s->tlsinfo = &tls_report;
	switch (tls_report.verdict) {
	case TLS_CERT_MISSING:
		(void)session_say(s, s->proto->cert_missing);
		return -1;
	case TLS_CERT_ERROR:
		(void)session_say(s, s->proto->cert_error);
		return -1;
	default:
		return 0;
	}
}
