/* SPDX-License-Identifier: ISC */
/* base64.c: base64 encoding and nginx-compatible lenient decoding (see
 * base64.h for the exact rules). */
#include <errno.h>

#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The value of one base64 character, or -1. */
static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

size_t
base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

size_t
base64_decoded_max(size_t n)
{
	return (n + 3) / 4 * 3;
}

size_t
base64_encode(char *dst, const void *src, size_t len)
{
	const unsigned char *s = src;
	char *d = dst;

	for (; len >= 3; len -= 3, s += 3) {
		*d++ = alphabet[s[0] >> 2];
		*d++ = alphabet[(s[0] & 0x03) << 4 | s[1] >> 4];
		*d++ = alphabet[(s[1] & 0x0f) << 2 | s[2] >> 6];
		*d++ = alphabet[s[2] & 0x3f];
	}
	if (len > 0) {
		*d++ = alphabet[s[0] >> 2];
		if (len == 1) {
			*d++ = alphabet[(s[0] & 0x03) << 4];
			*d++ = '=';
		} else {
			*d++ = alphabet[(s[0] & 0x03) << 4 | s[1] >> 4];
			*d++ = alphabet[(s[1] & 0x0f) << 2];
		}
		*d++ = '=';
	}
	return (size_t)(d - dst);
}

int
base64_decode(void *dst, size_t cap, const char *src, size_t len, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)src;
	unsigned char *d = dst;
	size_t n, need, i;
	unsigned acc = 0;

	/* validate up to the first '=' before writing anything */
	for (n = 0; n < len && s[n] != '='; n++)
		if (b64val(s[n]) < 0)
			return (errno = EINVAL, -1);
	if (n % 4 == 1)
		return (errno = EINVAL, -1);
	need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	if (need > cap)
		return (errno = ENOBUFS, -1);

	for (i = 0; i < n; i++) {
		acc = acc << 6 | (unsigned)b64val(s[i]);
		switch (i % 4) {
		case 1:
			*d++ = (unsigned char)(acc >> 4);
			break;
		case 2:
			*d++ = (unsigned char)(acc >> 2);
			break;
		case 3:
			*d++ = (unsigned char)acc;
			acc = 0;
			break;
		}
	}
	*outlen = need;
	return 0;
}
