/* SPDX-License-Identifier: ISC */
/* fuzz_auth_reply.c: libFuzzer target for the auth_http reply parser.
 *   clang -fsanitize=fuzzer,address,undefined -Ilib \
 *       tests/fuzz/fuzz_auth_reply.c lib/wire/auth_http_reply.c
 * The first input byte picks how the rest is cut into feeds, so split
 * header lines are exercised; the result must not depend on the cuts, and
 * the outcome is evaluated for every protocol. */

#include <stdlib.h>
#include <string.h>

#include "auth_http.h"

static void
check_outcome(const struct auth_reply *r)
{
	static struct auth_result res;
	char why[64];
	int proto;
	bool sw;

	for (proto = MP_PROTO_IMAP; proto <= MP_PROTO_SMTP; proto++) {
		sw = false;
		auth_reply_outcome(r, proto, proto != MP_PROTO_POP3, &sw, &res, why, sizeof why);
		if (strlen(why) >= sizeof why)
			abort();
		if (res.outcome == AUTH_OK && strlen(res.upstream) != (size_t)r->server.len + 1 + r->port.len)
			abort();
		if (res.outcome == AUTH_ERROR && res.errmsg + res.errmsglen > r->buf + r->len)
			abort();
		if (res.outcome == AUTH_ERROR && res.errsasl + res.errsasllen > r->buf + r->len)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct auth_reply whole, cut;
	size_t step, off, n;
	int rc, rc2;

	if (size == 0)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	data++;
	size--;

	auth_reply_init(&whole);
	rc = auth_reply_feed(&whole, data, size);

	auth_reply_init(&cut);
	rc2 = AUTH_R_AGAIN;
	for (off = 0; off < size && rc2 == AUTH_R_AGAIN; off += n) {
		n = size - off < step ? size - off : step;
		rc2 = auth_reply_feed(&cut, data + off, n);
	}
	if (rc != rc2)
		abort();
	if (rc == AUTH_R_DONE) {
		if (memcmp(&whole.status_error, &cut.status_error,
		    sizeof whole - offsetof(struct auth_reply, status_error)) != 0)
			abort();
		check_outcome(&whole);
	}
	return 0;
}
