/* SPDX-License-Identifier: ISC */
/* test_tlsd_req.c: a daemon request's strings made fit for a log line
 * (tlsd_req_text): every byte that could end, forge or confuse a line is
 * escaped, and a cut never splits an escape. */
#include <string.h>

#include "tlsd_req.h"
#include "unit.h"

static const char *
text(size_t cap, const char *in, size_t inmax)
{
	static char out[256];
	size_t n;

	memset(out, 'Z', sizeof out);
	n = tlsd_req_text(out, cap, in, inmax);
	CHECK(n < cap);
	CHECK(out[n] == '\0');
	return out;
}

int
main(void)
{
	CHECK_STR(text(64, "192.0.2.1", 64), "192.0.2.1");
	CHECK_STR(text(64, "", 64), "");
	/* a forged line: the newline and the carriage return stay visible */
	CHECK_STR(text(64, "a\n2026/01/01 [emerg] x\r", 64), "a\\x0a2026/01/01 [emerg] x\\x0d");
	CHECK_STR(text(64, "q\"b\\s\x7f\x01\t", 64), "q\\x22b\\x5cs\\x7f\\x01\\x09");
	/* bytes past ASCII: no UTF-8 (or terminal escape) reaches the log raw */
	CHECK_STR(text(64, "\xc3\xa9\x1b[31m", 64), "\\xc3\\xa9\\x1b[31m");
	/* INMAX bounds the read: a field without its NUL is never overrun */
	CHECK_STR(text(64, "abcdef", 3), "abc");
	/* the cap: plain text up to CAP-1, an escape only whole */
	CHECK_STR(text(5, "abcdefgh", 8), "abcd");
	CHECK_STR(text(6, "ab\ncd", 5), "ab");
	CHECK_STR(text(7, "ab\ncd", 5), "ab\\x0a");
	CHECK_STR(text(1, "abc", 3), "");
	CHECK(tlsd_req_text(NULL, 0, "abc", 3) == 0);
	UNIT_DONE();
}
