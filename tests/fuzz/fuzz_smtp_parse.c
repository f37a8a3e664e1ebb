/* SPDX-License-Identifier: ISC */
/* fuzz_smtp_parse.c: libFuzzer target for the SMTP command parser.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib \
 *            tests/fuzz/fuzz_smtp_parse.c lib/wire/smtp_parse.c lib/wire/sasl.c lib/base/base64.c
 * The input is a client byte stream (first byte: chunk size). It is driven
 * through a compacting caller with a small fixed buffer twice, once whole
 * and once in chunks, switching to SASL response lines after AUTH as a
 * session would; both runs must give the same results, and every result
 * must respect the API's invariants. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "sasl.h"
#include "smtp_parse.h"

#define BUFSZ 200

/* Runs the stream; writes a log of results; returns its length. */
static size_t
run(struct feed *f, unsigned char *log)
{
	struct smtp_parser p;
	char buf[BUFSZ];
	size_t have = 0, used, nl = 0;
	int sasl = 0;

	smtp_parser_init(&p);
	/* a round logs at most 3 + SMTP_MAX_ARGS bytes */
	while (nl + 3 + SMTP_MAX_ARGS < LOGSZ) {
		struct mail_arg args[MAIL_LINE_MAXARGS];
		unsigned nargs = 0;
		int rc;

		used = 0;
		if (sasl) {
			rc = mail_parse_authline(buf, have, &used, args, SMTP_MAX_ARGS, &nargs);
			rc = rc == MAIL_LINE_DONE ? SMTP_DONE : rc == MAIL_LINE_INVALID ?
			    SMTP_INVALID : SMTP_AGAIN;
		} else {
			rc = smtp_parse(&p, buf, have, &used);
		}
		check(rc == SMTP_AGAIN || rc == SMTP_DONE || rc == SMTP_INVALID);
		if (rc == SMTP_AGAIN) {
			enum feed_result fr = feed(f, buf, &have, sizeof buf);

			if (fr == FEED_FULL)
				log[nl++] = 'L';	/* "too long command": the session closes */
			if (fr != FEED_MORE)
				break;
			continue;
		}
		check(used > 0 && used <= have && buf[used - 1] == '\n');
		log[nl++] = (unsigned char)('0' + rc);
		log[nl++] = (unsigned char)used;
		if (rc == SMTP_DONE && !sasl) {
			check(p.cmd != SMTP_CMD_NONE && p.nargs <= SMTP_MAX_ARGS);
			check(p.textlen <= used);
			log[nl++] = (unsigned char)(p.cmd * 16 + p.nargs);
			for (unsigned i = 0; i < p.nargs; i++) {
				check(p.args[i].p > buf && p.args[i].p + p.args[i].len <= buf + p.textlen);
				check(p.args[i].len > 0 && memchr(p.args[i].p, ' ', p.args[i].len) == NULL);
				log[nl++] = (unsigned char)p.args[i].len;
			}
		}
		if (rc == SMTP_DONE && sasl) {
			check(nargs >= 1 && nargs <= SMTP_MAX_ARGS);
			log[nl++] = (unsigned char)nargs;
		}
		/* AUTH with a mechanism: up to two response lines follow */
		if (rc == SMTP_DONE && !sasl && p.cmd == SMTP_CMD_AUTH && p.nargs == 1)
			sasl = 2;
		else if (sasl > 0 && rc == SMTP_DONE)
			sasl--;
		else
			sasl = 0;
		memmove(buf, buf + used, have - used);
		have -= used;
		smtp_parser_init(&p);
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
