/* SPDX-License-Identifier: ISC */
/* test_sasl_oauth.c: the XOAUTH2 and OAUTHBEARER decoders and the
 * Auth-Error-SASL check of sasl_oauth.c: what each accepts, the user and
 * the token it returns, and every malformed form it refuses. */
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "sasl.h"
#include "unit.h"

#define CAP 256
static char work[CAP], login[CAP], tok[CAP];
static size_t loginlen, toklen;
static char b64[2 * CAP];

typedef int (*decoder)(const char *, size_t, char *, size_t, char *, size_t *, char *, size_t *);

static int
run(decoder d, const char *raw, size_t n)
{
	size_t e = base64_encode(b64, raw, n);

	memset(login, 'L', sizeof login);
	memset(tok, 'T', sizeof tok);
	memset(work, 'W', sizeof work);
	loginlen = toklen = 999;
	return d(b64, e, work, CAP, login, &loginlen, tok, &toklen);
}
#define X(s) run(sasl_xoauth2, (s), sizeof(s) - 1)
#define O(s) run(sasl_oauthbearer, (s), sizeof(s) - 1)

/* the work buffer holds nothing of the message after a call */
static int
wiped(void)
{
	for (size_t i = 0; i < CAP; i++)
		if (work[i] != 0 && work[i] != 'W')
			return 0;
	return 1;
}

/* on failure the outputs are untouched */
static int
untouched(void)
{
	return loginlen == 999 && toklen == 999 && login[0] == 'L' && tok[0] == 'T';
}

static void
test_xoauth2(void)
{
	CHECK(X("user=alice@example.test\001auth=Bearer ya29.vF9dft4qmTc2\001\001") == SASL_OK);
	CHECK_MEM(login, loginlen, "alice@example.test", 18);
	CHECK_MEM(tok, toklen, "ya29.vF9dft4qmTc2", 17);
	CHECK(wiped());

	/* the scheme in any case, several spaces, '=' padding, the fields swapped */
	CHECK(X("auth=bEARER   a-b._~+/c==\001user=u\001\001") == SASL_OK);
	CHECK_MEM(tok, toklen, "a-b._~+/c==", 11);
	CHECK_MEM(login, loginlen, "u", 1);
	/* UTF-8 in the user name */
	CHECK(X("user=j\xc3\xb6rg\001auth=Bearer t\001\001") == SASL_OK);
	CHECK_MEM(login, loginlen, "j\xc3\xb6rg", 5);

	/* malformed messages */
	CHECK(X("user=u\001auth=Bearer t\001") == SASL_EOAUTH);	/* one final ^A */
	CHECK(untouched());
	CHECK(X("user=u\001auth=Bearer t\001\001x") == SASL_EOAUTH);	/* bytes after the end */
	CHECK(X("user=u\001auth=Bearer t\001\001\001") == SASL_EOAUTH);
	CHECK(X("user=u\001auth=Bearer t") == SASL_EOAUTH);
	CHECK(X("user=u\001user=v\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* twice */
	CHECK(X("user=u\001auth=Bearer t\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(X("user=u\001host=h\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* unknown key */
	CHECK(X("auth=Bearer t\001\001") == SASL_EOAUTH);	/* no user */
	CHECK(X("user=\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* empty user */
	CHECK(X("user=a\rb\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* CR in the user */
	CHECK(X("user=a\177\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(X("user=a\0b\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* NUL */
	CHECK(X("=u\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* empty key */
	CHECK(X("us3r=u\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* key not letters */
	CHECK(X("user u\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* no '=' */
	CHECK(X("\001") == SASL_EOAUTH);
	CHECK(X("") == SASL_EOAUTH);
	CHECK(wiped());

	/* bad tokens */
	CHECK(X("user=u\001\001") == SASL_ETOKEN);	/* no auth */
	CHECK(untouched());
	CHECK(X("user=u\001auth=\001\001") == SASL_ETOKEN);
	CHECK(X("user=u\001auth=Bearer\001\001") == SASL_ETOKEN);
	CHECK(X("user=u\001auth=Bearer \001\001") == SASL_ETOKEN);
	CHECK(X("user=u\001auth=Bearert\001\001") == SASL_ETOKEN);
	CHECK(X("user=u\001auth=Basic dTpw\001\001") == SASL_ETOKEN);
	CHECK(X("user=u\001auth=Bearer t t\001\001") == SASL_ETOKEN);
	CHECK(X("user=u\001auth=Bearer t=x\001\001") == SASL_ETOKEN);	/* '=' inside */
	CHECK(X("user=u\001auth=Bearer =\001\001") == SASL_ETOKEN);
	CHECK(X("user=u\001auth=Bearer t \001\001") == SASL_ETOKEN);
	CHECK(X("user=u\001auth=Bearer t\r\n\001\001") == SASL_ETOKEN);
	CHECK(X("user=u\001auth=Bearer t%\001\001") == SASL_ETOKEN);
	CHECK(X("user=u\001auth=\tBearer t\001\001") == SASL_ETOKEN);
	CHECK(X("user=u\001auth=Bearer\tt\001\001") == SASL_ETOKEN);
	CHECK(wiped());

	/* not base64, and a message larger than the buffers */
	CHECK(sasl_xoauth2("!!!!", 4, work, CAP, login, &loginlen, tok, &toklen) == SASL_EBASE64);
	{
		static char big[CAP + 16], bigb64[2 * CAP + 64];
		size_t e;

		memset(big, 'a', sizeof big);
		e = base64_encode(bigb64, big, sizeof big);
		loginlen = toklen = 999;
		CHECK(sasl_xoauth2(bigb64, e, work, CAP, login, &loginlen, tok, &toklen) ==
		    SASL_ETOOBIG);
	}
}

static void
test_oauthbearer(void)
{
	/* RFC 7628 section 4.1's example, with and without host and port */
	CHECK(O("n,a=user@example.com,\001host=server.example.com\001port=143\001"
	    "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001") == SASL_OK);
	CHECK_MEM(login, loginlen, "user@example.com", 16);
	CHECK_MEM(tok, toklen, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", 42);
	CHECK(wiped());
	CHECK(O("n,a=u,\001auth=Bearer t\001\001") == SASL_OK);
	CHECK_MEM(login, loginlen, "u", 1);
	CHECK_MEM(tok, toklen, "t", 1);
	/* "y" is allowed; no authzid: an empty user */
	CHECK(O("y,,\001auth=Bearer t\001\001") == SASL_OK);
	CHECK(loginlen == 0);
	/* =2C and =3D in the authzid */
	CHECK(O("n,a=a=2Cb=3Dc,\001auth=Bearer t\001\001") == SASL_OK);
	CHECK_MEM(login, loginlen, "a,b=c", 5);
	/* other keys (extensions) are allowed, values with SP, HTAB, CR, LF */
	CHECK(O("n,,\001xtra=a b\tc\r\n\001auth=Bearer t\001\001") == SASL_OK);

	/* malformed GS2 headers */
	CHECK(O("p=tls-unique,,\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(untouched());
	CHECK(O("N,,\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,a=,\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* empty authzid */
	CHECK(O("n,a=u\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* no ',' */
	CHECK(O("n,b=u,\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,a=a=2c,\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* lower-case hex */
	CHECK(O("n,a=a=2D,\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,a=a=3C,\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,a=a=,\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,a=a=2") == SASL_EOAUTH);
	CHECK(O("n,a=a\rb,\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,a=a\0b,\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,a=u,") == SASL_EOAUTH);
	CHECK(O("n,a=u,x\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("\001") == SASL_EOAUTH);	/* the answer to an error challenge */
	CHECK(O("") == SASL_EOAUTH);
	/* malformed pairs */
	CHECK(O("n,,\001auth=Bearer t\001") == SASL_EOAUTH);
	CHECK(O("n,,\001auth=Bearer t\001\001\001") == SASL_EOAUTH);
	CHECK(O("n,,\001host=a\001host=b\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,,\001port=1\001port=2\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,,\001auth=Bearer t\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,,\001x=\177\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* DEL */
	CHECK(O("n,,\001x=\xc3\xb6\001auth=Bearer t\001\001") == SASL_EOAUTH);	/* 8-bit */
	CHECK(O("n,,\001x=a\0\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,,\001x1=a\001auth=Bearer t\001\001") == SASL_EOAUTH);
	CHECK(O("n,,\001user=u\001auth=Bearer t\001\001") == SASL_OK);	/* just another key */
	CHECK(wiped());

	/* bad tokens */
	CHECK(O("n,a=u,\001\001") == SASL_ETOKEN);
	CHECK(untouched());
	CHECK(O("n,a=u,\001host=h\001\001") == SASL_ETOKEN);
	CHECK(O("n,a=u,\001auth=Bearer\001\001") == SASL_ETOKEN);
	CHECK(O("n,a=u,\001auth=Bearer t\tx\001\001") == SASL_ETOKEN);
	CHECK(O("n,a=u,\001auth=MAC t\001\001") == SASL_ETOKEN);
}

static void
test_base64_check(void)
{
	CHECK(sasl_is_base64("eyJzdGF0dXMiOiI0MDEifQ==", 24));
	CHECK(sasl_is_base64("YQ=", 3));
	CHECK(sasl_is_base64("a+/9", 4));
	CHECK(!sasl_is_base64("", 0));
	CHECK(!sasl_is_base64("=", 1));
	CHECK(!sasl_is_base64("YQ===", 5));
	CHECK(!sasl_is_base64("Y Q", 3));
	CHECK(!sasl_is_base64("YQ=a", 4));
	CHECK(!sasl_is_base64("YQ\r\n", 4));
	CHECK(!sasl_is_base64("a-b_", 4));	/* base64url is not base64 */
	CHECK(!sasl_is_base64("YQ\0", 3));
}

static void
test_mechanism(void)
{
	CHECK(sasl_mechanism("xoauth2", 7) == SASL_MECH_XOAUTH2);
	CHECK(sasl_mechanism("OAuthBearer", 11) == SASL_MECH_OAUTHBEARER);
	CHECK(sasl_mechanism("XOAUTH", 6) == SASL_MECH_NONE);
	CHECK(sasl_mechanism("OAUTHBEARERX", 12) == SASL_MECH_NONE);
	CHECK(sasl_auth_parse("XOAUTH2", 7, 1) == SASL_AUTH_OAUTH);
	CHECK(sasl_auth_parse("XOAUTH2", 7, 2) == SASL_AUTH_OAUTH_INITIAL);
	CHECK(sasl_auth_parse("OAUTHBEARER", 11, 2) == SASL_AUTH_OAUTH_INITIAL);
	CHECK(sasl_auth_parse("OAUTHBEARER", 11, 3) == SASL_AUTH_INVALID);
}

int
main(void)
{
	test_xoauth2();
	test_oauthbearer();
	test_base64_check();
	test_mechanism();
	UNIT_DONE();
}
