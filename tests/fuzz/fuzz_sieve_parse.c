/* SPDX-License-Identifier: ISC */
/* fuzz_sieve_parse.c: libFuzzer target for the ManageSieve parser and the
 * backend response framer.
 * Build: make fuzz FUZZ_TARGETS=sieve_parse
 * The input is a client byte stream (first byte: chunk size). It is driven
 * through a 256-byte buffer that is compacted after every line, switching to
 * SASL mode after an AUTHENTICATE without an initial response as a session
 * would, once whole and once in chunks, which must give the same results;
 * every result must respect the API's invariants. Then the same bytes are a
 * backend's responses: sieve_backend_frame() must be monotone over every
 * prefix (backend_read_reply() relies on it), and each complete response
 * goes through sieve_backend_step(). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "sieve_backend.h"
#include "sieve_parse.h"

#define BUFSZ 256

static int
atom_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '(' && c != ')' && c != '{' && c != '\\';
}

static void
check_done(const struct sieve_parser *p, const char *buf, size_t used, int sasl)
{
	check(p->nargs <= SIEVE_MAX_ARGS);
	check(sasl ? p->cmd == SIEVE_CMD_NONE :
	    p->cmd >= SIEVE_CMD_UNKNOWN && p->cmd <= SIEVE_CMD_NOOP);
	for (unsigned i = 0; i < p->nargs; i++) {
		const struct sieve_arg *a = &p->args[i];

		check(a->p >= buf && a->p + a->len <= buf + used);
		if (!a->string) {
			check(a->len > 0);
			for (size_t k = 0; k < a->len; k++)
				check(atom_char((unsigned char)a->p[k]));
		}
	}
}

static size_t
run(struct feed *f, unsigned char *log)
{
	struct sieve_parser p;
	char buf[BUFSZ];
	size_t have = 0, used, nl = 0;
	int sasl = 0;

	sieve_parser_init(&p, sizeof buf);
	while (nl + 16 < LOGSZ) {
		int rc = sieve_parse(&p, buf, have, &used);

		check(rc >= SIEVE_AGAIN && rc <= SIEVE_INVALID_CLOSE);
		if (rc == SIEVE_AGAIN) {
			enum feed_result fr = feed(f, buf, &have, sizeof buf);

			if (fr == FEED_FULL)
				log[nl++] = 'L';	/* "line too long": the session closes */
			if (fr != FEED_MORE)
				break;
			continue;
		}
		log[nl++] = (unsigned char)('0' + rc);
		if (rc == SIEVE_INVALID_CLOSE) {
			check(used > 0 && used <= have);
			break;
		}
		check(used > 0 && used <= have && buf[used - 1] == '\n');
		log[nl++] = (unsigned char)used;
		if (rc == SIEVE_DONE) {
			check_done(&p, buf, used, sasl);
			log[nl++] = (unsigned char)(p.cmd * 4 + p.nargs);
			for (unsigned i = 0; i < p.nargs; i++) {
				log[nl++] = (unsigned char)p.args[i].len;
				if (p.args[i].len)
					log[nl++] = (unsigned char)p.args[i].p[p.args[i].len - 1];
			}
		}
		memmove(buf, buf + used, have - used);
		have -= used;
		if (rc == SIEVE_DONE && !sasl && p.cmd == SIEVE_CMD_AUTHENTICATE && p.nargs == 1) {
			sasl = 1;
			sieve_parser_sasl(&p, sizeof buf);
		} else {
			sasl = 0;
			sieve_parser_init(&p, sizeof buf);
		}
	}
	return nl;
}

/* The input as a backend's responses. */
static void
backend(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t n = size < 1024 ? size : 1024, first = 0;
	struct sieve_backend sb;
	char work[64];

	for (size_t k = 0; k <= n; k++) {
		size_t end = sieve_backend_frame(NULL, p, k);

		check(end <= k);
		if (first != 0)
			check(end == first);
		else if (end != 0)
			first = end;
	}
	if (sieve_backend_init(&sb, "u", 1, "p", 1, work, sizeof work) != 0)
		abort();
	for (size_t off = 0, end; off < size && (end = sieve_backend_frame(NULL, p + off,
	    size - off)) != 0; off += end) {
		struct iovec iov[3];
		int iovcnt;

		check(end <= size - off);
		(void)sieve_backend_step(&sb, p + off, end, iov, &iovcnt);
		check(iovcnt == 0 || iovcnt == 3);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)chunk_compare(data, size, run);
	backend(data, size);
	return 0;
}
