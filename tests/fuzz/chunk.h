/* SPDX-License-Identifier: ISC */
/* chunk.h: the harness the parser fuzz targets share. The input is a client
 * byte stream whose first byte gives a chunk size (1 to 17). The target's
 * run() drives its parser over the rest, fed whole or in chunks by feed(),
 * and writes a log of what it saw; chunk_compare() runs it both ways and the
 * two logs must be equal. check() aborts when an invariant fails. */
#ifndef MP_FUZZ_CHUNK_H
#define MP_FUZZ_CHUNK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LOGSZ 4096

static inline void
check(int cond)
{
	if (!cond)
		abort();
}

/* The stream IN of N bytes, FED of them so far, CHUNK at a time (0: all). */
struct feed {
	const uint8_t *in;
	size_t n, fed, chunk;
};

enum feed_result { FEED_MORE, FEED_END, FEED_FULL };

/* Appends the next chunk to BUF (HAVE of CAP bytes used): FEED_MORE, or
 * FEED_END at the end of the stream, or FEED_FULL when BUF is full (the
 * session would close on a "too long command"). */
static inline enum feed_result
feed(struct feed *f, char *buf, size_t *have, size_t cap)
{
	size_t add = f->chunk ? f->chunk : f->n - f->fed;

	if (f->fed == f->n)
		return FEED_END;
	if (*have == cap)
		return FEED_FULL;
	if (add > f->n - f->fed)
		add = f->n - f->fed;
	if (add > cap - *have)
		add = cap - *have;
	memcpy(buf + *have, f->in + f->fed, add);
	*have += add;
	f->fed += add;
	return FEED_MORE;
}

/* Drives the parser over F; writes a log of results; returns its length. */
typedef size_t chunk_run_fn(struct feed *f, unsigned char *log);

/* Runs DATA (after its first byte) whole, then in chunks; the logs must be
 * equal. Returns the chunk size, 0 for an empty input. */
static inline size_t
chunk_compare(const uint8_t *data, size_t size, chunk_run_fn *run)
{
	static unsigned char log1[LOGSZ], log2[LOGSZ];
	struct feed whole, chunked;
	size_t n1, n2;

	if (size < 1)
		return 0;
	whole = (struct feed){ .in = data + 1, .n = size - 1, .chunk = 0 };
	chunked = (struct feed){ .in = data + 1, .n = size - 1, .chunk = (size_t)(data[0] % 17) + 1 };
	n1 = run(&whole, log1);
	n2 = run(&chunked, log2);
	check(n1 == n2 && memcmp(log1, log2, n1) == 0);
	return chunked.chunk;
}

#endif
