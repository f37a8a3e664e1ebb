/* SPDX-License-Identifier: ISC */
/* tlsd_upstream.c: the TLS client of mailproxy-tls -U (tlsd_upstream.h):
 * proxy_ssl_* as a libtls configuration, the handshake, and nginx's checks
 * of the backend's certificate done with libcrypto after it. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <tls.h>

#include "tlsd.h"
#include "tlsd_upstream.h"

static int
keypair(struct tls_config *cfg, const struct mp_proxy_tls *pt, char *err, size_t errlen)
{
	char cb[4096], kb[4096];
	uint8_t *c, *k;
	size_t clen, klen;
	int rc;

	if ((c = tls_load_file(tlsd_cred_path(pt->certificate, cb, sizeof cb), &clen, NULL)) == NULL) {
		snprintf(err, errlen, "cannot load certificate \"%s\": %s", pt->certificate, strerror(errno));
		return -1;
	}
	if ((k = tls_load_file(tlsd_cred_path(pt->certificate_key, kb, sizeof kb), &klen, NULL)) == NULL) {
		snprintf(err, errlen, "cannot load certificate key \"%s\"", pt->certificate_key);
		tls_unload_file(c, clen);
		return -1;
	}
	rc = tls_config_set_keypair_mem(cfg, c, clen, k, klen);
	tls_unload_file(k, klen);
	tls_unload_file(c, clen);
	if (rc == -1)
		snprintf(err, errlen, "cannot use certificate \"%s\" with key \"%s\": %s", pt->certificate,
		    pt->certificate_key, tls_config_error(cfg));
	return rc;
}

int
tlsd_upstream_init(const struct mp_server *srv, bool verify, struct tlsd_upstream *u, char *err,
    size_t errlen)
{
	const struct mp_proxy_tls *pt = &srv->ptls;
	X509_LOOKUP *lk;
	const char *dir;
	uint32_t protos = 0;

	u->cfg = NULL;
	u->store = NULL;
	if (tls_init() == -1 || (u->cfg = tls_config_new()) == NULL) {
		snprintf(err, errlen, "tls_config_new() failed");
		return -1;
	}
	if (pt->protocols & 4)
		protos |= TLS_PROTOCOL_TLSv1_0;
	if (pt->protocols & 8)
		protos |= TLS_PROTOCOL_TLSv1_1;
	if (pt->protocols & 16)
		protos |= TLS_PROTOCOL_TLSv1_2;
	if (pt->protocols & 32)
		protos |= TLS_PROTOCOL_TLSv1_3;
	if (protos == 0 || (pt->protocols & 3)) {
		snprintf(err, errlen, "\"proxy_ssl_protocols\": SSLv2 and SSLv3 are not supported by libtls");
		goto fail;
	}
	if (tls_config_set_protocols(u->cfg, protos) == -1 ||
	    tls_config_set_ciphers(u->cfg, pt->ciphers) == -1) {
		snprintf(err, errlen, "%s", tls_config_error(u->cfg));
		goto fail;
	}
	if (pt->certificate != NULL && pt->certificate_key != NULL && keypair(u->cfg, pt, err, errlen) == -1)
		goto fail;
	/* libtls checks nothing: tlsd_upstream_verify does, after the handshake */
	tls_config_insecure_noverifycert(u->cfg);
	tls_config_insecure_noverifyname(u->cfg);
	if (!verify)
		return 0;
	if ((u->store = X509_STORE_new()) == NULL) {
		snprintf(err, errlen, "X509_STORE_new() failed");
		goto fail;
	}
	if (pt->trusted_certificate != NULL) {
		if (X509_STORE_load_file(u->store, pt->trusted_certificate) != 1) {
			snprintf(err, errlen, "cannot load the trusted CA certificates \"%s\"",
			    pt->trusted_certificate);
			goto fail;
		}
		return 0;
	}
	/* the system's: OpenSSL's directory of hashed names, where the check
	 * opens the few CAs it needs (the whole bundle file costs ~19 ms of
	 * CPU to read); not set_default_paths, whose store loader would list
	 * the directory, which the sandbox refuses */
	if ((dir = getenv(X509_get_default_cert_dir_env())) == NULL)
		dir = X509_get_default_cert_dir();
	if ((lk = X509_STORE_add_lookup(u->store, X509_LOOKUP_hash_dir())) == NULL ||
	    X509_LOOKUP_add_dir(lk, dir, X509_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "cannot use the CA directory \"%s\"", dir);
		goto fail;
	}
	return 0;
fail:
	tlsd_upstream_free(u);
	return -1;
}

void
tlsd_upstream_free(struct tlsd_upstream *u)
{
	if (u->cfg != NULL) {
		tls_config_clear_keys(u->cfg);
		tls_config_free(u->cfg);
	}
	X509_STORE_free(u->store);
	u->cfg = NULL;
	u->store = NULL;
}

int
tlsd_upstream_handshake(struct tlsd_upstream *u, int fd, const char *sni, int64_t deadline,
    struct tls **ctx, char *err, size_t errlen)
{
	if ((*ctx = tls_client()) == NULL) {
		snprintf(err, errlen, "tls_client() failed");
		return -1;
	}
	if (tls_configure(*ctx, u->cfg) == -1 || tls_connect_socket(*ctx, fd, sni) == -1) {
		snprintf(err, errlen, "%s", tls_error(*ctx));
		return -1;
	}
	return tlsd_handshake_wait(*ctx, fd, deadline, err, errlen);
}

/* The name against the leaf, as nginx's ngx_ssl_check_host: an address
 * matches an iPAddress entry, a host name a dNSName (or the CN). */
static bool
name_matches(X509 *leaf, const char *name)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1)
		return X509_check_ip_asc(leaf, name, 0) == 1;
	return X509_check_host(leaf, name, strlen(name), 0, NULL) == 1;
}

int
tlsd_upstream_verify(const struct tlsd_upstream *u, const struct mp_server *srv, struct tls *ctx,
    const char *name, char *err, size_t errlen)
{
	const uint8_t *chain = NULL;
	size_t chainlen = 0;
	BIO *in = NULL;
	X509 *leaf = NULL, *x;
	STACK_OF(X509) *rest = NULL;
	X509_STORE_CTX *sc = NULL;
	long code;
	int rc = -1;

	if (u->store == NULL)
		return 0;
	if (tls_peer_cert_provided(ctx))
		chain = tls_peer_cert_chain_pem(ctx, &chainlen);
	if (chain == NULL || chainlen == 0) {
		snprintf(err, errlen, "upstream sent no SSL certificate");
		return 1;
	}
	if ((in = BIO_new_mem_buf(chain, (int)chainlen)) == NULL || (rest = sk_X509_new_null()) == NULL ||
	    (sc = X509_STORE_CTX_new()) == NULL)
		goto oom;
	if ((leaf = PEM_read_bio_X509(in, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "upstream sent no SSL certificate");
		rc = 1;
		goto done;
	}
	while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(rest, x) == 0) {
			X509_free(x);
			goto oom;
		}
	ERR_clear_error();
	if (X509_STORE_CTX_init(sc, u->store, leaf, rest) != 1 ||
	    X509_STORE_CTX_set_default(sc, "ssl_server") != 1)
		goto oom;
	X509_STORE_CTX_set_depth(sc, srv->ptls.verify_depth);
	(void)X509_verify_cert(sc);
	code = X509_STORE_CTX_get_error(sc);
	if (code != X509_V_OK) {
		snprintf(err, errlen, "upstream SSL certificate verify error: (%ld:%s)", code,
		    X509_verify_cert_error_string(code));
		rc = 1;
	} else if (name[0] != '\0' && !name_matches(leaf, name)) {
		snprintf(err, errlen, "upstream SSL certificate does not match \"%s\"", name);
		rc = 1;
	} else {
		rc = 0;
	}
	goto done;
oom:
	snprintf(err, errlen, "out of memory checking the upstream certificate");
done:
	X509_STORE_CTX_free(sc);
	sk_X509_pop_free(rest, X509_free);
	X509_free(leaf);
	BIO_free(in);
	return rc;
}
