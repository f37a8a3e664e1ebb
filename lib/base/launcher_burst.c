/* SPDX-License-Identifier: ISC */
/* launcher_burst.c: refusals logged per burst, not per connection.  systemd
 * logs every connection it drops beyond MaxConnections=; a flood would then
 * write the journal at the flood's rate.  Here the first refusal of a burst
 * is logged (by the caller, with its reason and source), the rest are
 * counted, and one line sums them up when refusals stop for
 * LAUNCHER_QUIET_MS, or every LAUNCHER_SUMMARY_MS while they do not. */
#include <string.h>

#include "launcher.h"

long long
launcher_ms(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

bool
launcher_burst_refuse(struct launcher_burst *b, enum launcher_refusal why,
    const struct timespec *now)
{
	if (!b->on) {
		memset(b, 0, sizeof *b);
		b->on = true;
		b->start = b->last = b->said = *now;
		return true;	/* the caller's line says this one */
	}
	b->n[why]++;
	b->last = *now;
	return false;
}

bool
launcher_burst_due(const struct launcher_burst *b, const struct timespec *now)
{
	return b->on && (launcher_ms(&b->last, now) >= LAUNCHER_QUIET_MS ||
	    launcher_ms(&b->said, now) >= LAUNCHER_SUMMARY_MS);
}

void
launcher_burst_said(struct launcher_burst *b, const struct timespec *now)
{
	if (launcher_ms(&b->last, now) >= LAUNCHER_QUIET_MS) {
		b->on = false;
		return;
	}
	memset(b->n, 0, sizeof b->n);
	b->said = *now;
}

int
launcher_burst_wait(const struct launcher_burst *b, const struct timespec *now)
{
	long long q, s;

	if (!b->on)
		return -1;
	q = LAUNCHER_QUIET_MS - launcher_ms(&b->last, now);
	s = LAUNCHER_SUMMARY_MS - launcher_ms(&b->said, now);
	if (s < q)
		q = s;
	return q < 0 ? 0 : (int)q + 1;
}
