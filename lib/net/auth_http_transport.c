/* SPDX-License-Identifier: ISC */
/* auth_http_transport.c: one auth_http exchange, and the only file that
 * knows about libcurl. The request bytes are auth_http_build()'s (HTTP/1.0,
 * nothing added) and the reply goes to the parser as it comes, so replies
 * that are not HTTP (headers only) still work. A fresh connection for every
 * request, one deadline for all of it, and reading stops at the end of the
 * headers.
 *
 * Two ways to connect. When the configuration gave an address that needs
 * no lookup (a numeric host or a unix socket: the parser filled
 * auth_http.addr), a non-blocking connect(2) does it: that is all libcurl
 * would do here, and it spares the handler loading libcurl and its thirty
 * libraries (about 4 ms of CPU per login on a small machine, 5x the whole
 * per-connection floor; see bench/README). Otherwise (a host name, or an
 * https:// URL, a mailproxy extension) libcurl resolves, connects and for
 * https does the TLS handshake, verifying the server's certificate and name
 * against the system CA store or the file named by CURL_CA_BUNDLE
 * (CURLOPT_CONNECT_ONLY; the bytes then go through curl_easy_send/recv, so
 * the request is still ours). libcurl is loaded with dlopen(3) at that
 * moment, so a connection that never gets there never pays for it. */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "auth_http.h"
#include "conn.h"

#define LIBCURL_SONAME "libcurl.so.4"

/* The parser keeps the URL as written; "https://" there means TLS (it also
 * left addrlen 0, so the plain connect(2) path never sees such a URL). */
static bool
is_https(const struct mp_auth_url *u)
{
	return u->text != NULL && strncmp(u->text, "https://", 8) == 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
set_why(char *why, size_t whylen, const char *what, int err)
{
	if (whylen == 0)
		return;
	if (err)
		snprintf(why, whylen, "%s (%d: %s)", what, err, strerror(err));
	else
		snprintf(why, whylen, "%s", what);
}

/* Wait until FD is ready for EVENTS or the deadline passes: 1, 0 on
 * timeout, -1 on a poll error. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* ---- libcurl, loaded when first needed ------------------------------------ */

static struct {
	bool tried, ok;
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLcode (*easy_send)(CURL *, const void *, size_t, size_t *);
	CURLcode (*easy_recv)(CURL *, void *, size_t, size_t *);
	void (*easy_cleanup)(CURL *);
} cu;

/* dlsym returns void *; POSIX guarantees it converts to a function pointer */
#define CU_SYM(lib, field, name) \
	(*(void **)(void *)&cu.field = dlsym(lib, name)) != NULL

static int
curl_load(char *why, size_t whylen)
{
	void *lib;

	if (cu.tried)
		goto out;
	cu.tried = true;
	lib = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		set_why(why, whylen, dlerror(), 0);
		return -1;
	}
	if (!(CU_SYM(lib, global_init, "curl_global_init") && CU_SYM(lib, easy_init, "curl_easy_init")
	    && CU_SYM(lib, easy_setopt, "curl_easy_setopt") && CU_SYM(lib, easy_perform, "curl_easy_perform")
	    && CU_SYM(lib, easy_getinfo, "curl_easy_getinfo") && CU_SYM(lib, easy_send, "curl_easy_send")
	    && CU_SYM(lib, easy_recv, "curl_easy_recv") && CU_SYM(lib, easy_cleanup, "curl_easy_cleanup")))
		goto out;
	/* the TLS backend too, for https:// auth URLs */
	cu.ok = cu.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
out:
	if (!cu.ok)
		set_why(why, whylen, "libcurl initialisation failed", 0);
	return cu.ok ? 0 : -1;
}

static int
curl_setup(CURL *h, const struct mp_server *srv, int64_t left, char *errbuf)
{
	const struct mp_auth_url *u = &srv->auth_http;
	const char *scheme = is_https(u) ? "https" : "http", *ca;
	char url[512];
	int n;

	if (u->is_unix ? u->path == NULL : u->host == NULL)
		return -1;
	if (u->is_unix) {
		n = snprintf(url, sizeof url, "http://localhost/");
		if (cu.easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, u->path) != CURLE_OK)
			return -1;
	} else if (u->host[0] != '[' && strchr(u->host, ':') != NULL) {
		n = snprintf(url, sizeof url, "%s://[%s]:%u/", scheme, u->host, u->port);
	} else {
		n = snprintf(url, sizeof url, "%s://%s:%u/", scheme, u->host, u->port);
	}
	if (n < 0 || (size_t)n >= sizeof url)
		return -1;
	if (is_https(u)) {
		/* libcurl's defaults (verify the chain and the name) stated
		 * anyway; CURL_CA_BUNDLE is the curl tool's variable, which
		 * libcurl itself does not read */
		ca = getenv("CURL_CA_BUNDLE");
		if (cu.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK
		    || cu.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK
		    || (ca != NULL && ca[0] != '\0'
			&& cu.easy_setopt(h, CURLOPT_CAINFO, ca) != CURLE_OK))
			return -1;
	}
	if (cu.easy_setopt(h, CURLOPT_URL, url) != CURLE_OK
	    || cu.easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK
	    || cu.easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
	    || cu.easy_setopt(h, CURLOPT_PROTOCOLS_STR, scheme) != CURLE_OK
	    /* never through an http_proxy from the environment */
	    || cu.easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK
	    || cu.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK
	    || cu.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)left) != CURLE_OK)
		return -1;
	return 0;
}

/* nginx: "connect() to <peer> failed (<errno>: <text>)", where the peer is
 * the address it connected to: "unix:/path", "1.2.3.4:80", "[::1]:80". */
static void
connect_why(const char *addr, const struct mp_auth_url *u, int err, char *why, size_t whylen)
{
	char peer[300], what[340];

	if (u->is_unix)
		snprintf(peer, sizeof peer, "unix:%s", u->path);
	else if (strchr(addr, ':') != NULL && addr[0] != '[')
		snprintf(peer, sizeof peer, "[%s]:%u", addr, u->port);
	else
		snprintf(peer, sizeof peer, "%s:%u", addr, u->port);
	snprintf(what, sizeof what, "connect() to %s failed", peer);
	set_why(why, whylen, what, err);
}

/* nginx words a failed upstream handshake "SSL_do_handshake() failed" and a
 * rejected certificate "upstream SSL certificate verify error"; here:
 * "SSL certificate verify error with 127.0.0.1:8443 (SSL certificate
 * problem: unable to get local issuer certificate)". */
static void
tls_why(const char *addr, const struct mp_auth_url *u, CURLcode rc, const char *errbuf,
    char *why, size_t whylen)
{
	const char *what = rc == CURLE_PEER_FAILED_VERIFICATION ? "SSL certificate verify error"
	    : "SSL handshake failed";

	if (whylen == 0)
		return;
	if (strchr(addr, ':') != NULL && addr[0] != '[')
		snprintf(why, whylen, "%s with [%s]:%u (%s)", what, addr, u->port,
		    errbuf[0] ? errbuf : "libcurl error");
	else
		snprintf(why, whylen, "%s with %s:%u (%s)", what, addr, u->port,
		    errbuf[0] ? errbuf : "libcurl error");
}

static int
curl_connect_rc(CURL *h, const struct mp_server *srv, CURLcode rc, const char *errbuf,
    char *why, size_t whylen)
{
	const struct mp_auth_url *u = &srv->auth_http;
	char *ip = NULL;
	long oserr = 0;

	if (rc == CURLE_OPERATION_TIMEDOUT) {
		set_why(why, whylen, "timed out", 0);
		return AUTH_T_TIMEOUT;
	}
	cu.easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	/* not resolved (no address tried): the host as written */
	if (u->is_unix || cu.easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip) != CURLE_OK
	    || ip == NULL || ip[0] == '\0')
		ip = NULL;
	if (is_https(u) && rc != CURLE_COULDNT_CONNECT && rc != CURLE_COULDNT_RESOLVE_HOST) {
		/* connected, then TLS failed: curl's own words say why */
		tls_why(ip != NULL ? ip : u->host, u, rc, errbuf, why, whylen);
		return AUTH_T_CONNECT;
	}
	connect_why(ip != NULL ? ip : u->host, u, (int)oserr, why, whylen);
	return AUTH_T_CONNECT;
}

/* ---- the exchange, over a plain socket or a curl handle ------------------- */

struct chan {
	int fd;
	CURL *h;	/* NULL: plain socket */
};

/* 1 moved *N bytes (0 bytes from recv: EOF), 0 would block, -1 error (errno). */
static int
chan_send(struct chan *c, const char *p, size_t len, size_t *n)
{
	ssize_t k;

	*n = 0;
	if (c->h != NULL) {
		CURLcode rc;

		errno = 0;
		rc = cu.easy_send(c->h, p, len, n);
		return rc == CURLE_AGAIN ? 0 : rc == CURLE_OK ? 1 : -1;
	}
	do
		k = send(c->fd, p, len, MSG_NOSIGNAL);
	while (k == -1 && errno == EINTR);
	if (k == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	*n = (size_t)k;
	return 1;
}

static int
chan_recv(struct chan *c, char *p, size_t len, size_t *n)
{
	ssize_t k;

	*n = 0;
	if (c->h != NULL) {
		CURLcode rc;

		errno = 0;
		rc = cu.easy_recv(c->h, p, len, n);
		return rc == CURLE_AGAIN ? 0 : rc == CURLE_OK ? 1 : -1;
	}
	do
		k = recv(c->fd, p, len, 0);
	while (k == -1 && errno == EINTR);
	if (k == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	*n = (size_t)k;
	return 1;
}

static int
send_all(struct chan *c, const char *req, size_t reqlen, int64_t deadline, char *why, size_t whylen)
{
	size_t off = 0, n;
	int r, w;

	while (off < reqlen) {
		r = chan_send(c, req + off, reqlen - off, &n);
		if (r == 0) {
			w = wait_fd(c->fd, POLLOUT, deadline);
			if (w == 0) {
				set_why(why, whylen, "timed out", 0);
				return AUTH_T_TIMEOUT;
			}
			if (w < 0) {
				set_why(why, whylen, "poll() failed", errno);
				return AUTH_T_CONNECT;
			}
			continue;
		}
		if (r < 0) {
			/* refused or reset: nginx sees it on the first send */
			set_why(why, whylen, "send() failed", errno);
			return AUTH_T_CONNECT;
		}
		off += n;
	}
	return AUTH_T_OK;
}

static int
recv_reply(struct chan *c, struct auth_reply *out, int64_t deadline, char *why, size_t whylen)
{
	char chunk[AUTH_REPLY_MAX];
	size_t n;
	int r, w, prc;

	for (;;) {
		/* never ask for more than the 1 KiB buffer still holds, as nginx */
		r = chan_recv(c, chunk, sizeof out->buf - out->len, &n);
		if (r == 0) {
			w = wait_fd(c->fd, POLLIN, deadline);
			if (w == 0) {
				set_why(why, whylen, "timed out", 0);
				return AUTH_T_TIMEOUT;
			}
			if (w < 0) {
				set_why(why, whylen, "poll() failed", errno);
				return AUTH_T_CLOSED;
			}
			continue;
		}
		if (r < 0) {
			set_why(why, whylen, "recv() failed", errno);
			return AUTH_T_CLOSED;
		}
		if (n == 0)
			return AUTH_T_CLOSED;	/* nginx logs nothing here */
		prc = auth_reply_feed(out, chunk, n);
		switch (prc) {
		case AUTH_R_AGAIN:
			break;
		case AUTH_R_DONE:
			return AUTH_T_OK;
		case AUTH_R_FULL:
			/* nginx's next read has no room and looks like a close */
			return AUTH_T_CLOSED;
		default:
			set_why(why, whylen, auth_reply_rc_text(prc), 0);
			return AUTH_T_INVALID;
		}
	}
}

/* connect(2) to an address the parser resolved: the socket, or -1 with the
 * outcome in *RC. */
static int
plain_connect(const struct mp_auth_url *u, int64_t deadline, int *rc, char *why, size_t whylen)
{
	const struct sockaddr *sa = (const struct sockaddr *)&u->addr;
	int fd, err = 0, w;
	socklen_t errlen = sizeof err;
	char addr[160];

	*rc = AUTH_T_CONNECT;
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		set_why(why, whylen, "socket() failed", errno);
		return -1;
	}
	if (connect(fd, sa, u->addrlen) == 0)
		return fd;
	err = errno;
	if (err == EINPROGRESS) {
		w = wait_fd(fd, POLLOUT, deadline);
		if (w == 0) {
			close(fd);
			*rc = AUTH_T_TIMEOUT;
			set_why(why, whylen, "timed out", 0);
			return -1;
		}
		if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) == -1)
			err = errno;
		if (err == 0)
			return fd;
	}
	close(fd);
	conn_addr_ip(sa, addr, sizeof addr);
	connect_why(addr, u, err, why, whylen);
	return -1;
}

int
auth_http_query(const struct mp_server *srv, const char *req, size_t reqlen,
    struct auth_reply *out, char *why, size_t whylen)
{
	char errbuf[CURL_ERROR_SIZE];
	int64_t deadline = now_ms() + srv->auth_http_timeout_ms, left;
	struct chan c = { .fd = -1, .h = NULL };
	curl_socket_t cfd = CURL_SOCKET_BAD;
	CURLcode crc;
	int rc;

	auth_reply_init(out);
	if (whylen)
		why[0] = '\0';
	errbuf[0] = '\0';

	if (srv->auth_http.addrlen > 0 && !is_https(&srv->auth_http)) {
		c.fd = plain_connect(&srv->auth_http, deadline, &rc, why, whylen);
		if (c.fd == -1)
			return rc;
		rc = send_all(&c, req, reqlen, deadline, why, whylen);
		if (rc == AUTH_T_OK)
			rc = recv_reply(&c, out, deadline, why, whylen);
		close(c.fd);
		return rc;
	}

	if (curl_load(why, whylen) < 0 || (c.h = cu.easy_init()) == NULL) {
		set_why(why, whylen, "libcurl initialisation failed", 0);
		return AUTH_T_CONNECT;
	}
	left = deadline - now_ms();
	if (curl_setup(c.h, srv, left > 0 ? left : 1, errbuf) < 0) {
		set_why(why, whylen, "libcurl setup failed", 0);
		rc = AUTH_T_CONNECT;
		goto done;
	}
	crc = cu.easy_perform(c.h);
	if (crc != CURLE_OK) {
		rc = curl_connect_rc(c.h, srv, crc, errbuf, why, whylen);
		goto done;
	}
	/* a new handle per query is a new connection; no FORBID_REUSE, which
	 * would close the socket as soon as the connect-only "transfer" ends */
	if (cu.easy_getinfo(c.h, CURLINFO_ACTIVESOCKET, &cfd) != CURLE_OK || cfd == CURL_SOCKET_BAD) {
		set_why(why, whylen, "connect() failed", 0);
		rc = AUTH_T_CONNECT;
		goto done;
	}
	c.fd = cfd;
	rc = send_all(&c, req, reqlen, deadline, why, whylen);
	if (rc == AUTH_T_OK)
		rc = recv_reply(&c, out, deadline, why, whylen);
done:
	cu.easy_cleanup(c.h);
	return rc;
}
