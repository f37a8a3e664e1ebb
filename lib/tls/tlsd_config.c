/* SPDX-License-Identifier: ISC */
/* tlsd_config.c: nginx's ssl_* settings of one server as a libtls
 * configuration, and the client certificate checks nginx does after the
 * handshake (ngx_mail_verify_cert), done with libcrypto so that the verify
 * result and the Auth-SSL-* texts are the ones nginx computes.
 *
 * Only mailproxy-tls links this file. What libtls cannot express is refused
 * here as well as by tls_check_server (tls_start.c), which `mailproxy -t`
 * runs without libtls. Private keys are read here only, into libtls-owned
 * buffers that are wiped (tls_unload_file, tls_config_clear_keys). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <tls.h>

#include "protocol.h"
#include "tlsd.h"

#define PASSWORDS_MAX 16	/* lines of ssl_password_file tried per key */
#define PASSWORD_LEN 1024

const char *
tlsd_cred_path(const char *path, char *buf, size_t cap)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	const char *base = strrchr(path, '/');

	if (dir == NULL || *dir == '\0')
		return path;
	base = base ? base + 1 : path;
	if ((size_t)snprintf(buf, cap, "%s/%s", dir, base) >= cap || access(buf, R_OK) == -1)
		return path;
	return buf;
}

/* Two configured files with one basename would read the same credential. */
static int
cred_ambiguous(const struct mp_ssl *ssl, char *err, size_t errlen)
{
	const struct mp_strlist *l[2] = { &ssl->certificate, &ssl->certificate_key };
	const char *all[64];
	size_t n = 0;

	if (getenv("CREDENTIALS_DIRECTORY") == NULL)
		return 0;
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < l[k]->n && n < 64; i++)
			if (strncmp(l[k]->v[i], "data:", 5) != 0)
				all[n++] = l[k]->v[i];
	for (size_t i = 0; i < n; i++) {
		const char *bi = strrchr(all[i], '/') ? strrchr(all[i], '/') + 1 : all[i];

		for (size_t j = i + 1; j < n; j++) {
			const char *bj = strrchr(all[j], '/') ? strrchr(all[j], '/') + 1 : all[j];

			if (strcmp(bi, bj) == 0 && strcmp(all[i], all[j]) != 0) {
				snprintf(err, errlen, "\"%s\" and \"%s\" map to the same credential \"%s\"",
				    all[i], all[j], bi);
				return -1;
			}
		}
	}
	return 0;
}

/* ssl_password_file: one passphrase per line, at most PASSWORDS_MAX. */
static int
read_passwords(const char *path, char pw[][PASSWORD_LEN], int *n, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char line[PASSWORD_LEN + 2];

	*n = 0;
	if (f == NULL) {
		snprintf(err, errlen, "open() \"%s\" failed (%d: %s)", path, errno, strerror(errno));
		return -1;
	}
	while (*n < PASSWORDS_MAX && fgets(line, sizeof line, f) != NULL) {
		size_t l = strcspn(line, "\r\n");

		if (l >= PASSWORD_LEN)
			l = PASSWORD_LEN - 1;
		memcpy(pw[*n], line, l);
		pw[*n][l] = '\0';
		(*n)++;
	}
	explicit_bzero(line, sizeof line);
	fclose(f);
	if (*n == 0) {
		snprintf(err, errlen, "empty password file \"%s\"", path);
		return -1;
	}
	return 0;
}

/* The bytes of a "data:..." value or of a file; free with tls_unload_file. */
static uint8_t *
load(const char *what, const char *path, char *password, size_t *len)
{
	char cbuf[4096];

	if (strncmp(path, "data:", 5) == 0) {
		uint8_t *p;

		*len = strlen(path + 5);
		if ((p = malloc(*len + 1)) == NULL)
			return NULL;
		memcpy(p, path + 5, *len + 1);
		if (strcmp(what, "key") == 0) {
			/* an inline key (unencrypted: libtls decrypts files only):
			 * wipe the configuration's copy too */
			union { const char *c; char *m; } u = { .c = path + 5 };
			explicit_bzero(u.m, *len);
		}
		return p;
	}
	return tls_load_file(tlsd_cred_path(path, cbuf, sizeof cbuf), len, password);
}

static int
add_keypair(struct tls_config *cfg, size_t idx, const char *cert, const char *key,
    char pw[][PASSWORD_LEN], int npw, EVP_MD_CTX *sid, char *err, size_t errlen)
{
	uint8_t *c, *k = NULL;
	size_t clen, klen = 0;
	int rc;

	if ((c = load("certificate", cert, NULL, &clen)) == NULL) {
		snprintf(err, errlen, "cannot load certificate \"%s\": %s", cert, strerror(errno));
		return -1;
	}
	if (EVP_DigestUpdate(sid, c, clen) != 1) {
		snprintf(err, errlen, "EVP_DigestUpdate() failed");
		tls_unload_file(c, clen);
		return -1;
	}
	if (npw == 0)
		k = load("key", key, NULL, &klen);
	for (int i = 0; i < npw && k == NULL; i++)
		k = load("key", key, pw[i], &klen);
	if (k == NULL) {
		snprintf(err, errlen, "cannot load certificate key \"%s\"", key);
		tls_unload_file(c, clen);
		return -1;
	}
	if (idx == 0)
		rc = tls_config_set_keypair_mem(cfg, c, clen, k, klen);
	else
		rc = tls_config_add_keypair_mem(cfg, c, clen, k, klen);
	tls_unload_file(k, klen);
	tls_unload_file(c, clen);
	if (rc == -1) {
		snprintf(err, errlen, "cannot use certificate \"%s\" with key \"%s\": %s", cert, key,
		    tls_config_error(cfg));
		return -1;
	}
	return 0;
}

const char *
tlsd_alpn_name(int proto)
{
	const struct mp_protocol *p = protocol_get(proto);

	return p != NULL ? p->alpn : "imap";
}

/* Every certificate and key of SRV into CFG, and the session ID context
 * (OpenSSL resumes only a session made in the same one) into SIDV: a digest
 * of the certificates and the protocol, as nginx derives its own from the
 * server's certificates, so that a ticket key file shared by several servers
 * resumes a session only at a server like its own. */
static int
add_keypairs(const struct mp_server *srv, struct tls_config *cfg, char (*pw)[PASSWORD_LEN], int npw,
    unsigned char *sidv, unsigned int *sidlen, char *err, size_t errlen)
{
	const struct mp_ssl *ssl = &srv->ssl;
	const char *alpn = tlsd_alpn_name(srv->protocol);
	EVP_MD_CTX *sid;
	int rc = -1;

	if ((sid = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(sid, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "EVP_DigestInit_ex() failed");
		goto done;
	}
	for (size_t i = 0; i < ssl->certificate.n; i++)
		if (add_keypair(cfg, i, ssl->certificate.v[i], ssl->certificate_key.v[i], pw, npw, sid,
		    err, errlen) == -1)
			goto done;
	if (EVP_DigestUpdate(sid, alpn, strlen(alpn)) != 1 ||
	    EVP_DigestFinal_ex(sid, sidv, sidlen) != 1 || *sidlen > TLS_MAX_SESSION_ID_LENGTH) {
		snprintf(err, errlen, "EVP_DigestFinal_ex() failed");
		goto done;
	}
	rc = 0;
done:
	EVP_MD_CTX_free(sid);
	return rc;
}

int
tlsd_protocols(unsigned mask, uint32_t *out)
{
	static const struct { unsigned bit; uint32_t tls; } map[] = {
		{ MP_TLSv1, TLS_PROTOCOL_TLSv1_0 }, { MP_TLSv1_1, TLS_PROTOCOL_TLSv1_1 },
		{ MP_TLSv1_2, TLS_PROTOCOL_TLSv1_2 }, { MP_TLSv1_3, TLS_PROTOCOL_TLSv1_3 }
	};

	*out = 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (mask & map[i].bit)
			*out |= map[i].tls;
	return (mask & (MP_SSLv2 | MP_SSLv3)) || *out == 0 ? -1 : 0;
}

int
tlsd_config_build(const struct mp_server *srv, struct tls_config **out, char *err, size_t errlen)
{
	const struct mp_ssl *ssl = &srv->ssl;
	struct tls_config *cfg;
	char (*pw)[PASSWORD_LEN] = NULL;
	int npw = 0, rc = -1;
	uint32_t protos = 0;
	unsigned char sidv[EVP_MAX_MD_SIZE];
	unsigned int sidlen = 0;
	char cbuf[4096];

	*out = NULL;
	if (tls_init() == -1 || (cfg = tls_config_new()) == NULL) {
		snprintf(err, errlen, "tls_config_new() failed");
		return -1;
	}
	/* before tls_configure creates the server's SSL_CTX */
	if (tlsd_release_buffers() == -1) {
		snprintf(err, errlen, "CRYPTO_get_ex_new_index() failed");
		goto done;
	}
	if (ssl->certificate.n == 0 || ssl->certificate_key.n < ssl->certificate.n) {
		snprintf(err, errlen, "no \"ssl_certificate\" or \"ssl_certificate_key\" for this server");
		goto done;
	}
	if (cred_ambiguous(ssl, err, errlen) == -1)
		goto done;
	if (ssl->password_file != NULL) {
		/* 16 KiB: mapped for the load and unmapped after it, where the
		 * stack would keep the pages dirty for the whole session */
		if ((pw = tlsd_pages(PASSWORDS_MAX * sizeof *pw)) == NULL) {
			snprintf(err, errlen, "no memory for \"ssl_password_file\"");
			goto done;
		}
		if (read_passwords(tlsd_cred_path(ssl->password_file, cbuf, sizeof cbuf), pw, &npw, err,
		    errlen) == -1)
			goto done;
	}
	if (add_keypairs(srv, cfg, pw, npw, sidv, &sidlen, err, errlen) == -1)
		goto done;

	if (tlsd_protocols(ssl->protocols, &protos) == -1) {
		snprintf(err, errlen, "\"ssl_protocols\": SSLv2 and SSLv3 are not supported by libtls");
		goto done;
	}
	if (tls_config_set_protocols(cfg, protos) == -1 ||
	    tls_config_set_ciphers(cfg, ssl->ciphers) == -1 ||
	    (ssl->ecdh_curve != NULL && strcmp(ssl->ecdh_curve, "auto") != 0 &&
	     tls_config_set_ecdhecurves(cfg, ssl->ecdh_curve) == -1) ||
	    /* libtls has built-in DH groups only; ssl_dhparam turns DHE on with them */
	    tls_config_set_dheparams(cfg, ssl->dhparam != NULL ? "auto" : "none") == -1 ||
	    tls_config_set_alpn(cfg, tlsd_alpn_name(srv->protocol)) == -1 ||
	    tls_config_set_session_id(cfg, sidv, sidlen) == -1) {
		snprintf(err, errlen, "%s", tls_config_error(cfg));
		goto done;
	}
	if (ssl->prefer_server_ciphers)
		tls_config_prefer_ciphers_server(cfg);
	else
		tls_config_prefer_ciphers_client(cfg);
	if (ssl->verify_client != MP_VERIFY_OFF) {
		/* ask for a certificate, let every one through the handshake and
		 * verify after it, as nginx's always-true verify callback does */
		tls_config_verify_client_optional(cfg);
		tls_config_insecure_noverifycert(cfg);
	}
	rc = 0;
done:
	if (pw != NULL) {
		explicit_bzero(pw, PASSWORDS_MAX * sizeof *pw);
		tlsd_pages_free(pw, PASSWORDS_MAX * sizeof *pw);
	}
	if (rc == -1) {
		tls_config_clear_keys(cfg);
		tls_config_free(cfg);
	} else {
		*out = cfg;
	}
	return rc;
}

/* ---- client certificates ---------------------------------------------- */

/* nginx's verify callback lets every error through; the result is the last one */
static int
always_ok(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

/* optional_no_ca tolerates these (ngx_ssl_verify_error_optional) */
static int
tolerated(long code)
{
	return code == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
	    code == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
	    code == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	    code == X509_V_ERR_CERT_UNTRUSTED ||
	    code == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

/* The memory BIO's text into DST; -1 if it does not fit. */
static int
bio_text(BIO *b, char *dst, size_t cap, size_t *outlen)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);

	if (n < 0 || (size_t)n >= cap)
		return -1;
	memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
	if (outlen != NULL)
		*outlen = (size_t)n;
	(void)BIO_reset(b);
	return 0;
}

static long
verify_chain(const struct mp_ssl *ssl, X509 *leaf, STACK_OF(X509) *untrusted, char *err, size_t errlen)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *sc = X509_STORE_CTX_new();
	const char *files[3] = { ssl->client_certificate, ssl->trusted_certificate, ssl->crl };
	char cbuf[4096];
	long code = -1;

	if (st == NULL || sc == NULL) {
		snprintf(err, errlen, "X509_STORE_new() failed");
		goto done;
	}
	for (int i = 0; i < 3; i++) {
		if (files[i] == NULL)
			continue;
		if (X509_STORE_load_file(st, tlsd_cred_path(files[i], cbuf, sizeof cbuf)) != 1) {
			snprintf(err, errlen, "cannot load \"%s\"", files[i]);
			goto done;
		}
	}
	if (ssl->crl != NULL)
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	X509_STORE_set_verify_cb(st, always_ok);
	if (X509_STORE_CTX_init(sc, st, leaf, untrusted) != 1 ||
	    X509_STORE_CTX_set_default(sc, "ssl_client") != 1) {
		snprintf(err, errlen, "X509_STORE_CTX_init() failed");
		goto done;
	}
	X509_STORE_CTX_set_depth(sc, ssl->verify_depth);
	(void)X509_verify_cert(sc);
	code = X509_STORE_CTX_get_error(sc);
done:
	X509_STORE_CTX_free(sc);
	X509_STORE_free(st);
	return code;
}

int
tlsd_verify_peer(const struct mp_ssl *ssl, const uint8_t *chain, size_t chainlen,
    struct tls_info *ti, char *err, size_t errlen)
{
	BIO *in = NULL, *out = NULL;
	X509 *leaf = NULL, *x;
	STACK_OF(X509) *rest = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int rc = -1;
	long code;

	ti->verdict = TLS_CERT_OK;
	ti->verify_code = 0;
	if (ssl->verify_client == MP_VERIFY_OFF)
		return 0;
	if (chain != NULL && chainlen > 0) {
		if ((in = BIO_new_mem_buf(chain, (int)chainlen)) == NULL)
			goto oom;
		leaf = PEM_read_bio_X509(in, NULL, NULL, NULL);
	}
	if (leaf == NULL) {
		snprintf(ti->verify, sizeof ti->verify, "NONE");
		if (ssl->verify_client == MP_VERIFY_ON)
			ti->verdict = TLS_CERT_MISSING;
		rc = 0;
		goto done;
	}
	if ((rest = sk_X509_new_null()) == NULL || (out = BIO_new(BIO_s_mem())) == NULL)
		goto oom;
	while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(rest, x) == 0) {
			X509_free(x);
			goto oom;
		}
	ERR_clear_error();

	code = verify_chain(ssl, leaf, rest, err, errlen);
	if (code < 0)
		goto done;
	ti->verify_code = code;
	if (code == X509_V_OK)
		snprintf(ti->verify, sizeof ti->verify, "SUCCESS");
	else
		snprintf(ti->verify, sizeof ti->verify, "FAILED:%s", X509_verify_cert_error_string(code));
	if (code != X509_V_OK && !(ssl->verify_client == MP_VERIFY_OPTIONAL_NO_CA && tolerated(code)))
		ti->verdict = TLS_CERT_ERROR;

	if (X509_NAME_print_ex(out, X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253) < 0 ||
	    bio_text(out, ti->subject, sizeof ti->subject, NULL) == -1 ||
	    X509_NAME_print_ex(out, X509_get_issuer_name(leaf), 0, XN_FLAG_RFC2253) < 0 ||
	    bio_text(out, ti->issuer, sizeof ti->issuer, NULL) == -1 ||
	    i2a_ASN1_INTEGER(out, X509_get0_serialNumber(leaf)) < 0 ||
	    bio_text(out, ti->serial, sizeof ti->serial, NULL) == -1 ||
	    PEM_write_bio_X509(out, leaf) != 1 ||
	    bio_text(out, ti->pem, sizeof ti->pem, &ti->pemlen) == -1) {
		snprintf(err, errlen, "client certificate too large");
		goto done;
	}
	if (X509_digest(leaf, EVP_sha1(), md, &mdlen) != 1 || mdlen * 2 >= sizeof ti->fingerprint)
		goto oom;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(ti->fingerprint + 2 * i, 3, "%02x", md[i]);
	rc = 0;
	goto done;
oom:
	snprintf(err, errlen, "out of memory inspecting the client certificate");
done:
	sk_X509_pop_free(rest, X509_free);
	X509_free(leaf);
	BIO_free(in);
	BIO_free(out);
	return rc;
}
