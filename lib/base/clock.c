/* SPDX-License-Identifier: ISC */
/* clock.c: deadlines are absolute monotonic milliseconds, so a slow peer
 * cannot stretch a phase by trickling bytes. */
#include <time.h>

#include "clock.h"

int64_t
mp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
