/* SPDX-License-Identifier: ISC */
/* unit.h: the smallest test harness that tells what failed and where.
 * Each test file includes this, calls CHECK*() and ends main with UNIT_DONE(). */
#ifndef MP_UNIT_H
#define MP_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed, unit_checks;

#define CHECK(cond) do { unit_checks++; if (!(cond)) { unit_failed++; \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)

/* CHECK with the caller's place, for helpers that several tests share */
#define CHECK_AT(cond, file, line) do { unit_checks++; if (!(cond)) { unit_failed++; \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", (file), (line), #cond); } } while (0)

#define CHECK_STR(got, want) do { const char *g_ = (got), *w_ = (want); unit_checks++; \
	if (g_ == NULL || strcmp(g_, w_) != 0) { unit_failed++; \
	fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, g_ ? g_ : "(null)", w_); } } while (0)

static inline void
unit_check_mem(const void *got, size_t gotlen, const void *want, size_t wantlen, const char *file,
    int line)
{
	unit_checks++;
	if (gotlen != wantlen || memcmp(got, want, wantlen) != 0) {
		unit_failed++;
		fprintf(stderr, "%s:%d: got \"%.*s\" (%zu), want \"%.*s\" (%zu)\n", file, line,
		    (int)gotlen, (const char *)got, gotlen, (int)wantlen, (const char *)want, wantlen);
	}
}
#define CHECK_MEM(got, gotlen, want, wantlen) \
	unit_check_mem((got), (size_t)(gotlen), (want), (size_t)(wantlen), __FILE__, __LINE__)

#define UNIT_DONE() do { fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__, unit_checks, unit_failed); \
	return unit_failed ? 1 : 0; } while (0)

#endif
