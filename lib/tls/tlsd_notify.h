/* SPDX-License-Identifier: ISC */
/* tlsd_notify.h: the TLS daemon's messages to systemd (Type=notify):
 * READY=1, STATUS=, RELOADING=1. libsystemd is loaded with dlopen(3) by the
 * daemon only, the first time it has something to say and NOTIFY_SOCKET is
 * set: the programs executed per connection (mailproxy, mailproxy-relay and
 * mailproxy-tls without -D) never map it, as each exec would pay for it. */
#ifndef MP_TLSD_NOTIFY_H
#define MP_TLSD_NOTIFY_H

/* Send the printf-formatted state (newline-separated VAR=value lines) to the
 * service manager. A no-op without NOTIFY_SOCKET; a failure is logged (a
 * library that cannot be loaded once: systemd then times the start out). */
void tlsd_notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CLOCK_MONOTONIC in microseconds, for MONOTONIC_USEC= after RELOADING=1. */
unsigned long long tlsd_monotonic_usec(void);

#endif
