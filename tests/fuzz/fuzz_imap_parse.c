/* SPDX-License-Identifier: ISC */
/* fuzz_imap_parse.c: libFuzzer target for the IMAP parser.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib \
 *            tests/fuzz/fuzz_imap_parse.c lib/wire/imap_parse.c
 * The input is a client byte stream (first byte: chunk size). It is driven
 * through a compacting caller with a small fixed buffer twice, once whole
 * and once in chunks, switching to SASL mode after AUTHENTICATE as a
 * session would; both runs must give the same results, and every result
 * must respect the API's invariants. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "imap_parse.h"

#define BUFSZ 300

static int
tagchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '.' || c == '_';
}

/* Runs the stream; writes a log of results; returns its length. */
static size_t
run(struct feed *f, unsigned char *log)
{
	struct imap_parser p;
	char buf[BUFSZ];
	size_t have = 0, used, nl = 0, before = 0;
	int sasl_steps = 0;

	imap_parser_init(&p);
	/* a round logs at most 4 + 2 * IMAP_MAX_ARGS bytes */
	while (nl + 4 + 2 * IMAP_MAX_ARGS < LOGSZ) {
		int rc = imap_parse(&p, buf, have, &used);

		check(rc >= IMAP_AGAIN && rc <= IMAP_INVALID_CLOSE);
		check(p.taglen <= IMAP_TAG_MAX + 1);
		if (p.taglen > 0) {
			check(p.tag[p.taglen - 1] == ' ');
			for (size_t i = 0; i + 1 < p.taglen; i++)
				check(tagchar((unsigned char)p.tag[i]));
		}
		if (rc == IMAP_AGAIN) {
			enum feed_result fr = feed(f, buf, &have, sizeof buf);

			if (fr == FEED_FULL) {
				/* "too long command": the session would close here */
				log[nl++] = 'L';
				log[nl++] = (unsigned char)p.taglen;
			}
			if (fr != FEED_MORE)
				break;
			continue;
		}
		log[nl++] = (unsigned char)('0' + rc);
		if (rc == IMAP_LITERAL) {
			check(used <= have);
			continue;
		}
		check(used > 0 && used <= have);
		check(buf[used - 1] == '\n');
		log[nl++] = (unsigned char)p.taglen;
		log[nl++] = (unsigned char)used;
		if (rc == IMAP_DONE) {
			check(p.nargs <= IMAP_MAX_ARGS);
			check(p.cmd != IMAP_CMD_NONE);
			log[nl++] = (unsigned char)(p.cmd * 4 + p.nargs);
			for (unsigned i = 0; i < p.nargs; i++) {
				check(p.args[i].p >= buf && p.args[i].p + p.args[i].len <= buf + used);
				log[nl++] = (unsigned char)p.args[i].len;
				if (p.args[i].len)
					log[nl++] = (unsigned char)p.args[i].p[p.args[i].len - 1];
			}
		}
		memmove(buf, buf + used, have - used);
		have -= used;
		before += used;
		if (rc == IMAP_DONE && p.cmd == IMAP_CMD_AUTHENTICATE && sasl_steps < 2) {
			/* like nginx, keep the AUTHENTICATE bytes "in the buffer" */
			sasl_steps++;
			imap_parser_sasl(&p);
			p.before = before;
		} else {
			sasl_steps = 0;
			before = 0;
			imap_parser_next(&p);
			p.before = 0;
		}
	}
	return nl;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)chunk_compare(data, size, run);
	return 0;
}
