/* SPDX-License-Identifier: ISC */
/* fuzz_imap_id.c: libFuzzer target for the argument of IMAP ID (imap_id.c)
 * as imap_parse runs it with imap_id on. The input (after its chunk-size
 * byte) follows "t ID " in the command buffer, so a seed is just an
 * argument; later lines are parsed as commands of their own. It is fed
 * whole and in chunks, both runs must log the same, and every ID the
 * parser accepts must keep RFC 2971's bounds, hold no NUL, lie inside its
 * line, and give an Auth-IMAP-ID text of safe bytes only. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chunk.h"
#include "imap_parse.h"

#define BUFSZ 4096

static int
safe(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '_' || c == '~' || c == '-' || c == '%' || c == '=' || c == '&';
}

/* An accepted ID: its invariants; logs a digest of it. */
static size_t
check_id(const struct imap_parser *p, const char *buf, size_t used, unsigned char *log)
{
	const struct imap_id *id = &p->id;
	char text[IMAP_ID_TEXT_MAX];
	size_t n, nl = 0;
	unsigned h = 0;

	check(p->nargs == 0);
	check(id->nstr % 2 == 0 && id->nstr <= 2 * IMAP_ID_PAIRS);
	check(!id->nil || id->nstr == 0);
	for (unsigned i = 0; i < id->nstr; i++) {
		const struct imap_id_str *s = &id->str[i];

		check(s->off <= used && s->len <= used - s->off);
		check(s->len <= (i % 2 == 0 ? IMAP_ID_FIELD_MAX : IMAP_ID_VALUE_MAX));
		check(!s->nil || (i % 2 == 1 && s->len == 0));
		check(memchr(buf + s->off, '\0', s->len) == NULL);
		for (size_t k = 0; k < s->len; k++)
			h = h * 31 + (unsigned char)buf[s->off + k];
	}
	n = imap_id_text(id, buf, text, sizeof text);
	check(n < sizeof text && text[n] == '\0' && strlen(text) == n);
	for (size_t k = 0; k < n; k++) {
		check(safe((unsigned char)text[k]));
		h = h * 31 + (unsigned char)text[k];
	}
	log[nl++] = (unsigned char)id->nstr;
	log[nl++] = (unsigned char)id->nil;
	log[nl++] = (unsigned char)h;
	log[nl++] = (unsigned char)(h >> 8);
	return nl;
}

static size_t
run(struct feed *f, unsigned char *log)
{
	static char buf[BUFSZ];
	struct imap_parser p;
	size_t have = 5, used, nl = 0;

	memcpy(buf, "t ID ", 5);
	imap_parser_init(&p);
	p.id_on = 1;
	while (nl + 12 < LOGSZ) {
		int rc = imap_parse(&p, buf, have, &used);

		check(rc >= IMAP_AGAIN && rc <= IMAP_INVALID_CLOSE);
		if (rc == IMAP_AGAIN) {
			enum feed_result fr = feed(f, buf, &have, sizeof buf);

			if (fr == FEED_FULL)
				log[nl++] = 'L';
			if (fr != FEED_MORE)
				break;
			continue;
		}
		log[nl++] = (unsigned char)('0' + rc);
		if (rc == IMAP_LITERAL) {
			check(used <= have);
			continue;
		}
		check(used > 0 && used <= have && buf[used - 1] == '\n');
		log[nl++] = (unsigned char)used;
		log[nl++] = (unsigned char)(used >> 8);
		if (rc == IMAP_DONE) {
			check(p.cmd != IMAP_CMD_NONE);
			log[nl++] = (unsigned char)p.cmd;
			if (p.cmd == IMAP_CMD_ID)
				nl += check_id(&p, buf, used, log + nl);
		}
		memmove(buf, buf + used, have - used);
		have -= used;
		imap_parser_next(&p);
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
