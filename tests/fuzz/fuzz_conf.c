/* SPDX-License-Identifier: ISC */
/* fuzz_conf.c: libFuzzer target for the configuration parser.
 * clang -fsanitize=fuzzer,address,undefined -Ilib tests/fuzz/fuzz_conf.c lib/base/arena.c lib/conf_*.c
 * ./a.out tests/fuzz/corpus/conf
 * Includes and name resolution are off: the input alone decides the result. */
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "conf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_conf cf;
	char err[256];
	size_t i;

	if (conf_parse_buffer(&cf, "/nonexistent/fuzz.conf", (const char *)data, size,
	    CONF_NOINCLUDE | CONF_NORESOLVE, err, sizeof(err)) == 0) {
		/* every listen must find itself, or an earlier entry of the same address */
		for (i = 0; i < cf.nlistens; i++) {
			const struct mp_listen *l = &cf.listens[i];

			if (conf_find_listen(&cf, (const struct sockaddr *)&l->sa, l->salen) == NULL)
				__builtin_trap();
		}
	}
	arena_release(&arena_global);
	return 0;
}
