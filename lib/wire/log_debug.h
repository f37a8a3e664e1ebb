/* SPDX-License-Identifier: ISC */
/* log_debug.h: what error_log ... debug adds, in one place: the commands a
 * client sent, the auth request and reply, the backend dialogue. Every
 * secret is left out here (passwords, SASL responses, digests, Auth-Pass),
 * and every byte of peer text is escaped and bounded. */
#ifndef MP_LOG_DEBUG_H
#define MP_LOG_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "imap_parse.h"
#include "pop3_parse.h"
#include "sieve_parse.h"
#include "smtp_parse.h"

/* A parsed client command; SASL: the line was a response to a challenge. */
void log_debug_imap(const struct imap_parser *p, bool sasl);
void log_debug_pop3(const struct pop3_parser *p, bool sasl);
void log_debug_smtp(const struct smtp_parser *p);	/* NULL: a SASL response */
void log_debug_sieve(const struct sieve_parser *p, bool sasl);

/* An auth_http request's header block (Auth-Pass shown as hidden). */
void log_debug_auth_request(const char *req, size_t len);

/* What went to the backend: IOV[SECRET_FROM] and after are credentials,
 * counted, not shown. And what came back. */
void log_debug_upstream_send(const struct iovec *iov, int iovcnt, int secret_from);
void log_debug_upstream_reply(const char *p, size_t len);

#endif
