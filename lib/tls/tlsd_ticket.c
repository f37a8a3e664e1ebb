/* SPDX-License-Identifier: ISC */
/* tlsd_ticket.c: TLS session tickets, issued and taken by us, not by libtls.
 *
 * libtls's ticket callback keeps LibreSSL's convention and returns 0 once it
 * has set up a new ticket's encryption; OpenSSL 3 reads 0 as "no ticket"
 * (TLS 1.3: none is sent, TLS 1.2: an empty one), so libtls over OpenSSL
 * (Debian's libretls) never issues one, key file or not. libtls shows
 * neither its SSL_CTX nor its SSL, so we note every SSL_CTX tls_configure()
 * creates (the ex_data "new" hook, as tlsd_mem.c does) and set tickets on
 * them ourselves afterwards; libtls's own ticket code stays off (no session
 * lifetime is given to it).
 *
 * The keys are nginx's: ssl_session_ticket_key files of 48 bytes (name,
 * AES-128 key, HMAC-SHA256 key of 16 bytes) or 80 bytes (name, 32-byte HMAC
 * key, AES-256 key); the first encrypts, every one decrypts, and a ticket
 * decrypted with another than the first is renewed. Without a file, a
 * process that serves many sessions (the daemon) makes a random key, which
 * its children inherit as nginx's workers inherit their master's; it is
 * replaced once older than ssl_session_timeout and kept one more period to
 * decrypt the tickets it issued. A process of one session cannot share a key
 * with anyone: it issues no ticket at all rather than ones nobody can
 * decrypt. Only mailproxy-tls links this file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "tlsd.h"

#define NAME_LEN 16		/* OpenSSL's ticket key name */

struct ticket_key {
	unsigned char name[NAME_LEN];
	unsigned char aes[32];
	unsigned char hmac[32];
	size_t hmac_len;	/* 16 or 32 */
	const EVP_CIPHER *cipher;	/* AES-128-CBC or AES-256-CBC */
	time_t made;		/* random keys: when, for the rotation */
};

struct tlsd_tickets {
	enum { TK_OFF, TK_FILES, TK_RANDOM } mode;
	long lifetime;		/* seconds: the session's timeout and the ticket's hint */
	size_t nkeys;
	struct ticket_key *keys;	/* [0] encrypts */
	size_t nctx, capctx;
	SSL_CTX **ctx;		/* the contexts of one tls_configure() */
	int overflow;		/* it made more than capctx */
};

static int ex_index = -1;
static struct tlsd_tickets *collecting;	/* between tlsd_tickets_begin and _end */

static void
note_ctx(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct tlsd_tickets *tk = collecting;

	if (tk == NULL)
		return;
	if (tk->nctx < tk->capctx)
		tk->ctx[tk->nctx++] = parent;
	else
		tk->overflow = 1;
}

static struct ticket_key *
key_find(struct tlsd_tickets *tk, const unsigned char *name)
{
	for (size_t i = 0; i < tk->nkeys; i++)
		if (CRYPTO_memcmp(tk->keys[i].name, name, NAME_LEN) == 0)
			return &tk->keys[i];
	return NULL;
}

static int
mac_init(EVP_MAC_CTX *hctx, struct ticket_key *k)
{
	OSSL_PARAM p[3];

	p[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k->hmac, k->hmac_len);
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	p[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, p);
}

/* OpenSSL's ticket callback. Encrypting: 1 with the first key. Decrypting:
 * 0 for a name we do not know (a full handshake, and a new ticket), 1 for
 * the first key, 2 for another (accepted, and renewed with the first). */
static int
ticket_cb(SSL *s, unsigned char name[NAME_LEN], unsigned char *iv, EVP_CIPHER_CTX *cctx,
    EVP_MAC_CTX *hctx, int enc)
{
	struct tlsd_tickets *tk = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(s), ex_index);
	struct ticket_key *k;

	if (tk == NULL || tk->nkeys == 0)
		return 0;
	if (enc) {
		k = &tk->keys[0];
		if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(k->cipher)) != 1)
			return -1;
		memcpy(name, k->name, NAME_LEN);
		if (EVP_EncryptInit_ex(cctx, k->cipher, NULL, k->aes, iv) != 1 || mac_init(hctx, k) != 1)
			return -1;
		return 1;
	}
	if ((k = key_find(tk, name)) == NULL)
		return 0;
	if (EVP_DecryptInit_ex(cctx, k->cipher, NULL, k->aes, iv) != 1 || mac_init(hctx, k) != 1)
		return -1;
	return k == &tk->keys[0] ? 1 : 2;
}

/* One ssl_session_ticket_key file into K, nginx's layout. */
static int
key_file(const char *path, struct ticket_key *k, char *err, size_t errlen)
{
	unsigned char b[81];
	char cbuf[4096];
	struct stat st;
	ssize_t n = -1;
	int fd = open(tlsd_cred_path(path, cbuf, sizeof cbuf), O_RDONLY | O_CLOEXEC);

	if (fd == -1 || fstat(fd, &st) == -1) {
		snprintf(err, errlen, "open() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (st.st_size == 48 || st.st_size == 80)
		n = read(fd, b, sizeof b);
	close(fd);
	if (n != st.st_size) {
		snprintf(err, errlen, "\"%s\" must be 48 or 80 bytes", path);
		explicit_bzero(b, sizeof b);
		return -1;
	}
	memcpy(k->name, b, NAME_LEN);
	if (n == 48) {
		memcpy(k->aes, b + 16, 16);
		memcpy(k->hmac, b + 32, 16);
		k->hmac_len = 16;
		k->cipher = EVP_aes_128_cbc();
	} else {
		memcpy(k->hmac, b + 16, 32);
		memcpy(k->aes, b + 48, 32);
		k->hmac_len = 32;
		k->cipher = EVP_aes_256_cbc();
	}
	explicit_bzero(b, sizeof b);
	return 0;
}

static int
key_random(struct ticket_key *k, time_t now)
{
	if (RAND_priv_bytes(k->name, NAME_LEN) != 1 || RAND_priv_bytes(k->aes, 32) != 1 ||
	    RAND_priv_bytes(k->hmac, 32) != 1)
		return -1;
	k->hmac_len = 32;
	k->cipher = EVP_aes_256_cbc();
	k->made = now;
	return 0;
}

int
tlsd_tickets_new(const struct mp_server *srv, int shared, struct tlsd_tickets **out, char *err,
    size_t errlen)
{
	const struct mp_ssl *ssl = &srv->ssl;
	struct tlsd_tickets *tk;
	int64_t s = ssl->session_timeout_ms / 1000;

	*out = NULL;
	if ((tk = calloc(1, sizeof *tk)) == NULL)
		goto oom;
	/* one context for each certificate (libtls's SNI contexts) */
	tk->capctx = ssl->certificate.n + 1;
	if ((tk->ctx = calloc(tk->capctx, sizeof *tk->ctx)) == NULL)
		goto oom;
	tk->lifetime = s < 1 ? 1 : s > 86400L * 365 ? 86400L * 365 : (long)s;
	if (!ssl->session_tickets)
		tk->mode = TK_OFF;
	else if (ssl->session_ticket_key.n > 0)
		tk->mode = TK_FILES;
	else
		tk->mode = shared ? TK_RANDOM : TK_OFF;
	tk->nkeys = tk->mode == TK_FILES ? ssl->session_ticket_key.n : tk->mode == TK_RANDOM ? 1 : 0;
	if (tk->nkeys > 0 && (tk->keys = calloc(tk->mode == TK_RANDOM ? 2 : tk->nkeys,
	    sizeof *tk->keys)) == NULL)
		goto oom;
	for (size_t i = 0; tk->mode == TK_FILES && i < tk->nkeys; i++)
		if (key_file(ssl->session_ticket_key.v[i], &tk->keys[i], err, errlen) == -1)
			goto fail;
	if (tk->mode == TK_RANDOM && key_random(&tk->keys[0], time(NULL)) == -1) {
		snprintf(err, errlen, "RAND_priv_bytes() failed");
		goto fail;
	}
	if (ex_index == -1 &&
	    (ex_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, NULL, note_ctx, NULL,
	    NULL)) < 0) {
		ex_index = -1;
		snprintf(err, errlen, "CRYPTO_get_ex_new_index() failed");
		goto fail;
	}
	*out = tk;
	return 0;
oom:
	snprintf(err, errlen, "out of memory for the session tickets");
fail:
	tlsd_tickets_free(tk);
	return -1;
}

void
tlsd_tickets_begin(struct tlsd_tickets *tk)
{
	tk->nctx = 0;
	tk->overflow = 0;
	collecting = tk;
}

int
tlsd_tickets_end(struct tlsd_tickets *tk, char *err, size_t errlen)
{
	collecting = NULL;
	if (tk->overflow || tk->nctx == 0) {
		snprintf(err, errlen, "libtls made %s SSL contexts than expected: no session tickets",
		    tk->overflow ? "more" : "no");
		return -1;
	}
	for (size_t i = 0; i < tk->nctx; i++) {
		SSL_CTX *c = tk->ctx[i];

		if (tk->mode == TK_OFF) {
			/* no TLS 1.3 stateful tickets either: there is no cache */
			SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
			if (SSL_CTX_set_num_tickets(c, 0) != 1)
				goto fail;
			continue;
		}
		SSL_CTX_clear_options(c, SSL_OP_NO_TICKET);
		SSL_CTX_set_timeout(c, tk->lifetime);
		if (SSL_CTX_set_ex_data(c, ex_index, tk) != 1 ||
		    SSL_CTX_set_tlsext_ticket_key_evp_cb(c, ticket_cb) != 1)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot set the session tickets of an SSL context");
	return -1;
}

int
tlsd_tickets_rotate(struct tlsd_tickets *tk, time_t now)
{
	if (tk == NULL || tk->mode != TK_RANDOM || now - tk->keys[0].made < tk->lifetime)
		return 0;
	if (now - tk->keys[0].made < 2 * tk->lifetime) {
		/* its tickets live one more period at most */
		tk->keys[1] = tk->keys[0];
		tk->nkeys = 2;
	} else {
		explicit_bzero(&tk->keys[1], sizeof tk->keys[1]);
		tk->nkeys = 1;
	}
	return key_random(&tk->keys[0], now);
}

void
tlsd_tickets_free(struct tlsd_tickets *tk)
{
	if (tk == NULL)
		return;
	if (tk->keys != NULL) {
		explicit_bzero(tk->keys, (tk->mode == TK_RANDOM ? 2 : tk->nkeys) * sizeof *tk->keys);
		free(tk->keys);
	}
	free(tk->ctx);
	free(tk);
}
