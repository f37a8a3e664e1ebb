/* SPDX-License-Identifier: ISC */
/* log.h: one line per event, to stderr (journald) and/or error_log files.
 * Every line carries the session id and the session context, as nginx's
 * "client: ..., server: ..., login: ..., upstream: ..." tail. */
#ifndef MP_LOG_H
#define MP_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* nginx log levels, in nginx's order: emerg=1 ... debug=8 (0 unused). */
enum mp_loglevel {
	MP_LOG_STDERR = 0, MP_LOG_EMERG, MP_LOG_ALERT, MP_LOG_CRIT, MP_LOG_ERR,
	MP_LOG_WARN, MP_LOG_NOTICE, MP_LOG_INFO, MP_LOG_DEBUG
};

struct mp_syslog;

/* At most this many targets at once (error_log lines, stderr, syslog): the
 * handler passes them on to the relay, which takes as many. */
#define LOG_MAX_TARGETS 8

/* PROG prefixes every line; the session id is made from the pid and time.
 * Call it first: when stderr is the client (inetd), fd 2 becomes the local
 * syslog socket, else /dev/null, and "stderr" lines go there. */
void log_init(const char *prog);

/* Send lines at LEVEL or more severe (enum mp_loglevel) to PATH ("stderr",
 * a file opened for append, or a numeric "syslog:..." spec: see syslog_spec()). Returns -1 with errno if PATH can't be opened. */
int log_add_target(const char *path, int level);

/* Send lines at LEVEL or more severe to the syslog collector SL (resolved),
 * from a non-blocking datagram socket opened now: call it before the
 * sandbox. Returns -1 with errno if there is no socket to be had. */
int log_add_syslog(const struct mp_syslog *sl, int level);

/* Drop every target and log to stderr at LEVEL only (start-up default: MP_LOG_INFO). */
void log_reset(int level);

/* The session id, e.g. "3f2a9c01"; pass it to the relay so both halves agree. */
const char *log_session_id(void);
void log_set_session_id(const char *id);

/* Context appended to every line; each NULL argument leaves that field as it is,
 * an empty string removes it. The login is quoted; never pass a password. */
void log_set_client(const char *client);	/* "192.0.2.1" */
void log_set_server(const char *server);	/* "0.0.0.0:143" */
void log_set_login(const char *login, size_t len);
void log_set_upstream(const char *upstream);	/* "127.0.0.1:10143" */

/* What the session is doing, appended as nginx does: "... while ACTION, client: ...".
 * A static string (nginx's phrases: "in auth state", "proxying"), or NULL for none. */
void log_set_action(const char *action);

/* Whether a line at LEVEL goes anywhere: skip building one that does not. */
bool log_wants(int level);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
