/* SPDX-License-Identifier: ISC */
/* test_base64.c: encoding vectors (RFC 4648) and nginx's lenient decoding. */
#include <errno.h>
#include <string.h>

#include "base64.h"
#include "unit.h"

static char out[256];
static size_t outlen;

static int
dec(const char *s, size_t n)
{
	memset(out, 'Z', sizeof out);
	outlen = 12345;
	return base64_decode(out, sizeof out, s, n, &outlen);
}

#define DEC(s) dec((s), sizeof(s) - 1)

static void
test_encode(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
		{ "Username:", "VXNlcm5hbWU6" }, { "Password:", "UGFzc3dvcmQ6" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t n = base64_encode(buf, v[i].in, strlen(v[i].in));

		CHECK(n == base64_encoded_len(strlen(v[i].in)));
		CHECK_MEM(buf, n, v[i].out, strlen(v[i].out));
	}
	CHECK(base64_encode(buf, "\xff\xfe\x00", 3) == 4);
	CHECK_MEM(buf, 4, "//4A", 4);
}

static void
test_decode(void)
{
	CHECK(DEC("Zm9vYmFy") == 0);
	CHECK_MEM(out, outlen, "foobar", 6);
	CHECK(DEC("Zm9vYg==") == 0);
	CHECK_MEM(out, outlen, "foob", 4);
	CHECK(DEC("Zm9vYg") == 0);		/* padding optional */
	CHECK_MEM(out, outlen, "foob", 4);
	CHECK(DEC("Zm9vYmE") == 0);
	CHECK_MEM(out, outlen, "fooba", 5);
	CHECK(DEC("") == 0 && outlen == 0);	/* empty is empty */
	CHECK(DEC("=") == 0 && outlen == 0);
	CHECK(DEC("====") == 0 && outlen == 0);
	CHECK(DEC("Zm8=!!garbage\r\n") == 0);	/* stops at the first '=' */
	CHECK_MEM(out, outlen, "fo", 2);
	CHECK(DEC("Zm=9v") == 0);
	CHECK_MEM(out, outlen, "f", 1);
	CHECK(DEC("Zh==") == 0);		/* unused bits are not checked */
	CHECK_MEM(out, outlen, "f", 1);
	CHECK(DEC("AHVzZXIAcGFzcw==") == 0);	/* NULs survive */
	CHECK_MEM(out, outlen, "\0user\0pass", 10);
	CHECK(DEC("+/+/") == 0);
	CHECK_MEM(out, outlen, "\xfb\xff\xbf", 3);

	/* errors: illegal characters before '=', and 4k+1 characters */
	errno = 0;
	CHECK(DEC("Zm9v*") == -1 && errno == EINVAL);
	CHECK(out[0] == 'Z' && outlen == 12345);	/* nothing written */
	CHECK(DEC("*") == -1);			/* SASL cancel */
	CHECK(DEC("Z") == -1);
	CHECK(DEC("Zm9vY") == -1);
	CHECK(DEC("Zm9vY=") == -1);		/* 5 before '=' */
	CHECK(DEC("Zm 9v") == -1);
	CHECK(DEC("Zm9v\r\n") == -1);
	CHECK(DEC("Zm-_") == -1);		/* not the URL alphabet */
	CHECK(DEC("Zm\0v") == -1);
	CHECK(DEC("\x80QQQ") == -1);

	/* capacity */
	char small[3];
	size_t n = 0;
	errno = 0;
	CHECK(base64_decode(small, 3, "Zm9vYg==", 8, &n) == -1 && errno == ENOBUFS);
	CHECK(base64_decode(small, 3, "Zm9v", 4, &n) == 0 && n == 3);
	CHECK(base64_decode(small, 0, "", 0, &n) == 0 && n == 0);
	CHECK(base64_decoded_max(4) == 3 && base64_decoded_max(5) == 6 && base64_decoded_max(0) == 0);
}

/* decode(encode(x)) == x for every length and byte value pattern. */
static void
test_roundtrip(void)
{
	unsigned char in[64];
	char enc[128];
	int ok = 1;

	for (size_t n = 0; n < sizeof in; n++) {
		for (size_t i = 0; i < n; i++)
			in[i] = (unsigned char)(i * 37 + n * 11);
		size_t e = base64_encode(enc, in, n);
		if (dec(enc, e) != 0 || outlen != n || memcmp(out, in, n) != 0)
			ok = 0;
		/* and without the padding */
		while (e > 0 && enc[e - 1] == '=')
			e--;
		if (dec(enc, e) != 0 || outlen != n || memcmp(out, in, n) != 0)
			ok = 0;
	}
	CHECK(ok);
}

int
main(void)
{
	test_encode();
	test_decode();
	test_roundtrip();
	UNIT_DONE();
}
