/* SPDX-License-Identifier: ISC */
/* sieve_int.h: what the ManageSieve front end's files share (sieve.c,
 * sieve_out.c). Not a public interface. */
#ifndef MP_SIEVE_INT_H
#define MP_SIEVE_INT_H

#include <stddef.h>

#include "session.h"

/* A reply as it is built, written out whenever its buffer is full; ERR
 * once a write failed (the client is gone). */
struct sieve_out {
	struct session *s;
	char b[2048];
	size_t n;
	int err;
};

void sieve_put(struct sieve_out *o, const char *p, size_t n);
void sieve_puts(struct sieve_out *o, const char *str);
/* A string (RFC 5804 4): quoted, escaped, if it can be; else a literal {N}. */
void sieve_put_string(struct sieve_out *o, const char *p, size_t n);
/* Write out the rest: NEXT_READ, or NEXT_CLOSE if the client is gone. */
enum session_next sieve_end(struct sieve_out *o);

/* The capability lines (sieve_capabilities, "SASL", "STARTTLS"), then TEXT,
 * the final OK line. */
void sieve_capabilities(struct sieve_out *o, const char *text);

#endif
