/* SPDX-License-Identifier: ISC */
/* fuzz_pop3_parse.c: libFuzzer target for the POP3 parser.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib \
 *            tests/fuzz/fuzz_pop3_parse.c lib/wire/pop3_parse.c
 * The input is a client byte stream (first byte: chunk size). It is driven
 * through a 128-byte buffer, switching to SASL mode after an AUTH with a
 * mechanism as a session would: twice with a compacting caller, once whole
 * and once in chunks, which must give the same results; then once in chunks
 * through nginx's buffer, emptied only when drained (what is "too long"
 * then depends on the chunking, so only the invariants are checked). Every
 * result must respect the API's invariants. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "pop3_parse.h"

/* Runs the stream, compacting the buffer or not; writes a log of results;
 * returns its length. */
static size_t
run_buf(struct feed *f, int compact, unsigned char *log)
{
	struct pop3_parser p;
	char buf[POP3_BUFFER];
	size_t have = 0, off = 0, used, nl = 0;
	int sasl = 0;

	pop3_parser_init(&p);
	while (nl + 16 < LOGSZ) {
		int rc = pop3_parse(&p, buf + off, have - off, &used);

		check(rc == POP3_AGAIN || rc == POP3_DONE || rc == POP3_INVALID);
		if (rc == POP3_AGAIN) {
			enum feed_result fr = feed(f, buf, &have, sizeof buf);

			if (fr == FEED_FULL)
				log[nl++] = 'L';	/* "too long command": the session closes */
			if (fr != FEED_MORE)
				break;
			continue;
		}
		check(used > 0 && used <= have - off);
		check(buf[off + used - 1] == '\n');
		log[nl++] = (unsigned char)('0' + rc);
		log[nl++] = (unsigned char)used;
		if (rc == POP3_DONE) {
			check(p.nargs <= POP3_MAX_ARGS);
			check(p.cmd >= POP3_CMD_USER && p.cmd <= POP3_CMD_STLS);
			check(sasl || p.nargs == 0 || p.args[0].p >= buf + off + 5);
			if (p.cmd == POP3_CMD_USER || p.cmd == POP3_CMD_PASS)
				check(p.nargs <= 1 || sasl);
			log[nl++] = (unsigned char)(p.cmd * 4 + p.nargs);
			for (unsigned i = 0; i < p.nargs; i++) {
				check(p.args[i].p >= buf + off && p.args[i].p + p.args[i].len <= buf + off + used);
				check(memchr(p.args[i].p, '\n', p.args[i].len) == NULL);
				log[nl++] = (unsigned char)p.args[i].len;
				if (p.args[i].len)
					log[nl++] = (unsigned char)p.args[i].p[p.args[i].len - 1];
			}
		}
		off += used;
		if (compact) {
			memmove(buf, buf + off, have - off);
			have -= off;
			off = 0;
		} else if (off == have) {
			off = have = 0;
		}
		if (rc == POP3_DONE && !sasl && p.cmd == POP3_CMD_AUTH && p.nargs > 0) {
			sasl = 1;
			pop3_parser_sasl(&p);
		} else {
			sasl = 0;
			pop3_parser_init(&p);
		}
	}
	return nl;
}

static size_t
run(struct feed *f, unsigned char *log)
{
	return run_buf(f, 1, log);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char log[LOGSZ];
	size_t chunk = chunk_compare(data, size, run);

	if (chunk > 0) {
		struct feed f = { .in = data + 1, .n = size - 1, .chunk = chunk };

		(void)run_buf(&f, 0, log);
	}
	return 0;
}
