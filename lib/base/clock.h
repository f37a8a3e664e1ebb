/* SPDX-License-Identifier: ISC */
/* clock.h: monotonic milliseconds for deadlines. */
#ifndef MP_CLOCK_H
#define MP_CLOCK_H

#include <stdint.h>

int64_t mp_now_ms(void);

#endif
