/* SPDX-License-Identifier: ISC */
/* tlsd_notify.c: sd_notify(3) from libsystemd.so.0, resolved at the first
 * message (tlsd_notify.h says why it is not linked). */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "tlsd_notify.h"

#define LIBSYSTEMD_SONAME "libsystemd.so.0"

/* the state texts are short: a status line and a few variables */
#define NOTIFY_MAX 512

static int (*notify_fn)(int, const char *);

/* 0 with notify_fn set, -1 (logged the first time) */
static int
load(void)
{
	static int state;	/* 0 not tried, 1 loaded, -1 failed */
	void *lib;

	if (state != 0)
		return state == 1 ? 0 : -1;
	state = -1;
	if ((lib = dlopen(LIBSYSTEMD_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_msg(MP_LOG_ALERT, "dlopen(\"%s\") failed: %s: systemd is not told the daemon's "
		    "state", LIBSYSTEMD_SONAME, dlerror());
		return -1;
	}
	/* dlsym returns void *; POSIX guarantees it converts to a function pointer */
	if ((*(void **)(void *)&notify_fn = dlsym(lib, "sd_notify")) == NULL) {
		log_msg(MP_LOG_ALERT, "%s lacks sd_notify: %s", LIBSYSTEMD_SONAME, dlerror());
		return -1;
	}
	state = 1;
	return 0;
}

void
tlsd_notify(const char *fmt, ...)
{
	char text[NOTIFY_MAX];
	va_list ap;
	int n, rc;

	if (getenv("NOTIFY_SOCKET") == NULL || load() == -1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof text) {
		log_msg(MP_LOG_ALERT, "a message to systemd is too long, not sent");
		return;
	}
	if ((rc = notify_fn(0, text)) < 0)
		log_msg(MP_LOG_ALERT, "sd_notify() failed (%d)", -rc);
}

unsigned long long
tlsd_monotonic_usec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}
