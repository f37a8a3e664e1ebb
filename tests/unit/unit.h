/* unit.h: the smallest test harness that tells what failed and where.
 * Each test file includes this, calls CHECK*() and ends main with UNIT_DONE(). */
#ifndef MP_UNIT_H
#define MP_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed, unit_checks;

#define CHECK(cond) do { unit_checks++; if (!(cond)) { unit_failed++; \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)

#define CHECK_STR(got, want) do { const char *g_ = (got), *w_ = (want); unit_checks++; \
	if (g_ == NULL || strcmp(g_, w_) != 0) { unit_failed++; \
	fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, g_ ? g_ : "(null)", w_); } } while (0)

#define CHECK_MEM(got, gotlen, want, wantlen) do { unit_checks++; \
	if ((size_t)(gotlen) != (size_t)(wantlen) || memcmp((got), (want), (wantlen)) != 0) { unit_failed++; \
	fprintf(stderr, "%s:%d: got \"%.*s\" (%zu), want \"%.*s\" (%zu)\n", __FILE__, __LINE__, \
	(int)(gotlen), (const char *)(got), (size_t)(gotlen), (int)(wantlen), (const char *)(want), (size_t)(wantlen)); } } while (0)

#define UNIT_DONE() do { fprintf(stderr, "%s: %d checks, %d failed\n", __FILE__, unit_checks, unit_failed); \
	return unit_failed ? 1 : 0; } while (0)

#endif
