/* SPDX-License-Identifier: ISC */
/* tlsd_mem.c: the memory an idle mailproxy-tls keeps.
 *
 * One mailproxy-tls lives as long as its session, idle most of that time
 * (IMAP IDLE holds one for hours): every page it leaves dirty is paid per
 * connection. So the handshake's scratch buffers are mapped for it and
 * unmapped after it (static or stack buffers would stay dirty), OpenSSL
 * frees a record buffer as soon as it is empty (SSL_MODE_RELEASE_BUFFERS,
 * which nginx sets too), and a quiet session hands its free pages back
 * (tlsd_run). Only mailproxy-tls links this file. */
#include <stddef.h>
#include <sys/mman.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "tlsd.h"

void *
tlsd_pages(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void
tlsd_pages_free(void *p, size_t n)
{
	if (p != NULL)
		(void)munmap(p, n);
}

/* libtls creates its SSL_CTX itself and shows neither it nor the SSL; every
 * SSL_CTX calls the "new" hook of each ex_data index of its class, with
 * itself as the parent, and an SSL takes its mode from its SSL_CTX. */
static void
release_buffers(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	SSL_CTX_set_mode((SSL_CTX *)parent, SSL_MODE_RELEASE_BUFFERS);
}

/* Once per process: each index calls its hook for every new SSL_CTX, and the
 * daemon builds contexts again at each reload. */
int
tlsd_release_buffers(void)
{
	static int done;

	if (!done && CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, NULL, release_buffers, NULL,
	    NULL) < 0)
		return -1;
	done = 1;
	return 0;
}

void
tlsd_pages_drop(void *p, size_t n)
{
	(void)madvise(p, n, MADV_DONTNEED);
}
