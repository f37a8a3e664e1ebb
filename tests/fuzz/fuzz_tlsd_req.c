/* SPDX-License-Identifier: ISC */
/* fuzz_tlsd_req.c: libFuzzer target for tlsd_req_check(), the daemon's check
 * of a request from its unix socket (lib/wire/tlsd_req.h), which local users can
 * reach. The input is tried as it is and laid over a valid request (so the
 * mutations reach the string checks); an accepted request must have its
 * magic, flags 0 and every string ending inside its field. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsd_req.h"

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
accepted(const struct tlsd_req *r)
{
	check(memcmp(r->magic, TLSD_REQ_MAGIC, sizeof TLSD_REQ_MAGIC) == 0);
	check(r->flags == 0);
	check(strnlen(r->sid, sizeof r->sid) < sizeof r->sid);
	check(strnlen(r->client, sizeof r->client) < sizeof r->client);
	check(strnlen(r->local, sizeof r->local) < sizeof r->local);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsd_req r;

	if (tlsd_req_check(data, size) == 0) {
		check(size == sizeof r);
		memcpy(&r, data, sizeof r);
		accepted(&r);
	}
	/* over a valid request, from its first byte after the magic */
	memset(&r, 0, sizeof r);
	memcpy(r.magic, TLSD_REQ_MAGIC, sizeof TLSD_REQ_MAGIC);
	memcpy((char *)&r + sizeof r.magic, data, size < sizeof r - sizeof r.magic ? size : sizeof r - sizeof r.magic);
	if (tlsd_req_check(&r, sizeof r) == 0)
		accepted(&r);
	return 0;
}
