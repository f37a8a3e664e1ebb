/* SPDX-License-Identifier: ISC */
/* log_conf.c: the error_log lines that apply to a server, for the handler,
 * mailproxy-tls and the relay's arguments (session_handoff.c). */
#include <errno.h>
#include <string.h>

#include "log.h"
#include "log_conf.h"

size_t
log_conf_targets(const struct mp_conf *cf, const struct mp_server *srv,
    const struct mp_log_target **t)
{
	if (srv != NULL && srv->nerror_log > 0) {
		*t = srv->error_log;
		return srv->nerror_log;
	}
	*t = cf->error_log;
	return cf->nerror_log;
}

void
log_conf_use(const struct mp_conf *cf, const struct mp_server *srv, bool report)
{
	const struct mp_log_target *t;
	size_t n = log_conf_targets(cf, srv, &t);

	if (n == 0) {
		log_reset(MP_LOG_ERR);
		return;
	}
	log_reset(MP_LOG_STDERR);	/* below every level: a target list of our own */
	for (size_t i = 0; i < n; i++) {
		if (t[i].syslog != NULL) {
			if (log_add_syslog(t[i].syslog, t[i].level) == -1 && report)
				log_msg(MP_LOG_ALERT, "socket() for \"%s\" failed (%d: %s)", t[i].path,
				    errno, strerror(errno));
		} else if (log_add_target(t[i].path, t[i].level) == -1 && report) {
			log_msg(MP_LOG_ALERT, "open() \"%s\" failed (%d: %s)", t[i].path, errno,
			    strerror(errno));
		}
	}
}
