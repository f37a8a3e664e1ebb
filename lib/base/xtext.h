/* SPDX-License-Identifier: ISC */
/* xtext.h: RFC 3461 section 4 "xtext", as nginx 1.29.2+ writes the XCLIENT
 * LOGIN= value: every byte outside '!'..'~', and '+' and '=', becomes "+XX"
 * with upper-case hex; the rest is copied. */
#ifndef MP_XTEXT_H
#define MP_XTEXT_H

#include <stddef.h>

/* At most 3 output bytes per input byte. */
#define XTEXT_MAX(n) (3 * (size_t)(n))

/* Encodes SRC[0..LEN) into DST; returns the encoded length, or (size_t)-1
 * if it does not fit in CAP (DST is then partly written). No NUL is added. */
size_t xtext_encode(char *dst, size_t cap, const char *src, size_t len);

#endif
