/* fuzz_pop3_parse.c: libFuzzer target for the POP3 parser.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib \
 *            tests/fuzz/fuzz_pop3_parse.c lib/pop3_parse.c
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

#include "pop3_parse.h"

#define LOGSZ 4096

static void
check(int cond)
{
	if (!cond)
		abort();
}

/* Runs the stream; writes a log of results; returns its length. */
static size_t
run(const uint8_t *in, size_t n, size_t chunk, int compact, unsigned char *log)
{
	struct pop3_parser p;
	char buf[POP3_BUFFER];
	size_t have = 0, off = 0, fed = 0, used, nl = 0;
	int sasl = 0;

	pop3_parser_init(&p);
	while (nl + 16 < LOGSZ) {
		int rc = pop3_parse(&p, buf + off, have - off, &used);

		check(rc == POP3_AGAIN || rc == POP3_DONE || rc == POP3_INVALID);
		if (rc == POP3_AGAIN) {
			size_t add = chunk ? chunk : n - fed;

			if (fed == n)
				break;
			if (have == sizeof buf) {
				log[nl++] = 'L';	/* "too long command": the session closes */
				break;
			}
			if (add > n - fed)
				add = n - fed;
			if (add > sizeof buf - have)
				add = sizeof buf - have;
			memcpy(buf + have, in + fed, add);
			have += add;
			fed += add;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char log1[LOGSZ], log2[LOGSZ];
	size_t chunk, n1, n2;

	if (size < 1)
		return 0;
	chunk = (size_t)(data[0] % 17) + 1;
	n1 = run(data + 1, size - 1, 0, 1, log1);
	n2 = run(data + 1, size - 1, chunk, 1, log2);
	check(n1 == n2 && memcmp(log1, log2, n1) == 0);
	(void)run(data + 1, size - 1, chunk, 0, log2);
	return 0;
}
