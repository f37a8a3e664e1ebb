/* SPDX-License-Identifier: ISC */
/* xtext.c: RFC 3461 xtext encoding for the XCLIENT LOGIN= attribute. Before
 * nginx 1.29.2 the login went out raw, so a space or '=' in it could add
 * attributes of the client's choosing to the XCLIENT line. */
#include "xtext.h"

size_t
xtext_encode(char *dst, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c > 0x20 && c < 0x7f && c != '+' && c != '=') {
			if (n + 1 > cap)
				return (size_t)-1;
			dst[n++] = (char)c;
			continue;
		}
		if (n + 3 > cap)
			return (size_t)-1;
		dst[n++] = '+';
		dst[n++] = hex[c >> 4];
		dst[n++] = hex[c & 0x0f];
	}
	return n;
}
