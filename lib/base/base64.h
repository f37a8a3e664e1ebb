/* SPDX-License-Identifier: ISC */
/* base64.h: RFC 4648 base64 with nginx's ngx_decode_base64() leniency.
 *
 * Decoding stops at the first '=' (everything after it is ignored), padding
 * is optional, an illegal character before the first '=' or a length of
 * 4k+1 characters is an error, unused trailing bits are ignored, and empty
 * input decodes to empty output. The SASL steps of all three protocols rely
 * on exactly this. Pure functions; no allocation. */
#ifndef MP_BASE64_H
#define MP_BASE64_H

#include <stddef.h>

/* Bytes base64_encode() writes for n input bytes (no NUL). */
size_t base64_encoded_len(size_t n);

/* An upper bound of what n base64 characters decode to. */
size_t base64_decoded_max(size_t n);

/* Encodes len bytes of src into dst (base64_encoded_len(len) bytes, with
 * padding, not NUL-terminated). Returns the number of bytes written. */
size_t base64_encode(char *dst, const void *src, size_t len);

/* Decodes src[0..len) into dst, which holds cap bytes; *outlen receives the
 * decoded length. Returns 0, or -1 with errno EINVAL (not base64 by nginx's
 * rules) or ENOBUFS (cap too small; nothing written). */
int base64_decode(void *dst, size_t cap, const char *src, size_t len, size_t *outlen);

#endif
