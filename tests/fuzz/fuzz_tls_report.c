/* SPDX-License-Identifier: ISC */
/* fuzz_tls_report.c: libFuzzer target for the handshake report parser and
 * the ClientHello ALPN check, the two parsers of mailproxy-tls's wire data.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib \
 *            tests/fuzz/fuzz_tls_report.c lib/wire/tls_report.c
 * The input is tried as a report body (with a valid header), as a whole
 * frame, and as a first TLS record; a parsed report must survive
 * write(parse(x)) == parse(write(parse(x))). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_hello.h"
#include "tls_report.h"

static void
check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char frame[TLSD_REPORT_HDR + TLSD_REPORT_MAX], again[TLSD_REPORT_HDR + TLSD_REPORT_MAX];
	static struct tls_info a, b;
	size_t need;
	long n;
	int r;

	if (size > TLSD_REPORT_MAX)
		return 0;
	r = tlsd_hello_alpn(data, size, "imap", &need);
	check(r >= -1 && r <= 1);
	check(r != 1 || need > size);

	(void)tlsd_report_parse((const char *)data, size, &a);	/* as a frame */

	snprintf(frame, sizeof frame, "mptls 1 %05zu\n", size);
	memcpy(frame + TLSD_REPORT_HDR, data, size);
	if (tlsd_report_parse(frame, TLSD_REPORT_HDR + size, &a) != 0)
		return 0;
	check(a.pemlen <= sizeof a.pem && a.verdict >= 0 && a.verdict <= TLS_CERT_ERROR);
	check(strnlen(a.subject, sizeof a.subject) < sizeof a.subject);
	n = tlsd_report_write(&a, again, sizeof again);
	if (n < 0)
		return 0;	/* escaping can grow a report past the frame */
	check(tlsd_report_parse(again, (size_t)n, &b) == 0);
	check(memcmp(&a, &b, sizeof a) == 0);
	return 0;
}
