/* ISC license. */
/* auth_http_transport.c: one auth_http exchange over libcurl, and the only
 * file that knows about libcurl. curl just connects (CURLOPT_CONNECT_ONLY);
 * our request bytes go out with curl_easy_send and the reply comes back with
 * curl_easy_recv, so the wire carries exactly what auth_http_build() made
 * (HTTP/1.0, no curl headers) and replies that are not HTTP (headers only)
 * still reach the parser. A fresh connection for every request, one
 * deadline for all of it, and reading stops at the end of the headers. */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "auth_http.h"

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
wait_fd(curl_socket_t fd, short events, int64_t deadline)
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

static bool global_done;

static int
global_init(void)
{
	/* No TLS (https is not supported by auth_http), so nothing to set up
	 * beyond curl itself; done on first use to keep other paths cheap. */
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK)
			return -1;
		global_done = true;
	}
	return 0;
}

static int
setup(CURL *h, const struct mp_server *srv, int64_t left, char *errbuf)
{
	const struct mp_auth_url *u = &srv->auth_http;
	char url[512];
	int n;

	if (u->is_unix ? u->path == NULL : u->host == NULL)
		return -1;
	if (u->is_unix) {
		n = snprintf(url, sizeof url, "http://localhost/");
		if (curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, u->path) != CURLE_OK)
			return -1;
	} else if (u->host[0] != '[' && strchr(u->host, ':') != NULL) {
		n = snprintf(url, sizeof url, "http://[%s]:%u/", u->host, u->port);
	} else {
		n = snprintf(url, sizeof url, "http://%s:%u/", u->host, u->port);
	}
	if (n < 0 || (size_t)n >= sizeof url)
		return -1;
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK
	    /* never through an http_proxy from the environment */
	    || curl_easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK
	    || curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)left) != CURLE_OK)
		return -1;
	return 0;
}

/* nginx: "connect() to <peer> failed (<errno>: <text>)", where the peer is
 * the address it connected to: "unix:/path", "1.2.3.4:80", "[::1]:80". */
static int
connect_rc(CURL *h, const struct mp_server *srv, CURLcode rc, char *why, size_t whylen)
{
	const struct mp_auth_url *u = &srv->auth_http;
	char peer[300], what[340];
	const char *addr;
	char *ip = NULL;
	long oserr = 0;

	if (rc == CURLE_OPERATION_TIMEDOUT) {
		set_why(why, whylen, "timed out", 0);
		return AUTH_T_TIMEOUT;
	}
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	if (u->is_unix) {
		snprintf(peer, sizeof peer, "unix:%s", u->path);
	} else {
		/* not resolved (no address tried): the host as written */
		if (curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK
		    && ip != NULL && ip[0] != '\0')
			addr = ip;
		else
			addr = u->host;
		if (strchr(addr, ':') != NULL && addr[0] != '[')
			snprintf(peer, sizeof peer, "[%s]:%u", addr, u->port);
		else
			snprintf(peer, sizeof peer, "%s:%u", addr, u->port);
	}
	snprintf(what, sizeof what, "connect() to %s failed", peer);
	set_why(why, whylen, what, (int)oserr);
	return AUTH_T_CONNECT;
}

static int
send_all(CURL *h, curl_socket_t fd, const char *req, size_t reqlen,
    int64_t deadline, char *why, size_t whylen)
{
	size_t off = 0, n;
	CURLcode rc;
	int w;

	while (off < reqlen) {
		n = 0;
		errno = 0;
		rc = curl_easy_send(h, req + off, reqlen - off, &n);
		if (rc == CURLE_AGAIN) {
			w = wait_fd(fd, POLLOUT, deadline);
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
		if (rc != CURLE_OK) {
			/* refused or reset: nginx sees it on the first send */
			set_why(why, whylen, "send() failed", errno);
			return AUTH_T_CONNECT;
		}
		off += n;
	}
	return AUTH_T_OK;
}

static int
recv_reply(CURL *h, curl_socket_t fd, struct auth_reply *out, int64_t deadline,
    char *why, size_t whylen)
{
	char chunk[AUTH_REPLY_MAX];
	size_t n;
	CURLcode rc;
	int w, prc;

	for (;;) {
		n = 0;
		errno = 0;
		/* never ask for more than the 1 KiB buffer still holds, as nginx */
		rc = curl_easy_recv(h, chunk, sizeof out->buf - out->len, &n);
		if (rc == CURLE_AGAIN) {
			w = wait_fd(fd, POLLIN, deadline);
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
		if (rc != CURLE_OK) {
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

int
auth_http_query(const struct mp_server *srv, const char *req, size_t reqlen,
    struct auth_reply *out, char *why, size_t whylen)
{
	char errbuf[CURL_ERROR_SIZE];
	int64_t deadline = now_ms() + srv->auth_http_timeout_ms, left;
	curl_socket_t fd = CURL_SOCKET_BAD;
	CURLcode crc;
	CURL *h;
	int rc;

	auth_reply_init(out);
	if (whylen)
		why[0] = '\0';
	errbuf[0] = '\0';
	if (global_init() < 0 || (h = curl_easy_init()) == NULL) {
		set_why(why, whylen, "libcurl initialisation failed", 0);
		return AUTH_T_CONNECT;
	}
	left = deadline - now_ms();
	if (setup(h, srv, left > 0 ? left : 1, errbuf) < 0) {
		set_why(why, whylen, "libcurl setup failed", 0);
		rc = AUTH_T_CONNECT;
		goto done;
	}
	crc = curl_easy_perform(h);
	if (crc != CURLE_OK) {
		rc = connect_rc(h, srv, crc, why, whylen);
		goto done;
	}
	/* a new handle per query is a new connection; no FORBID_REUSE, which
	 * would close the socket as soon as the connect-only "transfer" ends */
	if (curl_easy_getinfo(h, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK
	    || fd == CURL_SOCKET_BAD) {
		set_why(why, whylen, "connect() failed", 0);
		rc = AUTH_T_CONNECT;
		goto done;
	}
	rc = send_all(h, fd, req, reqlen, deadline, why, whylen);
	if (rc == AUTH_T_OK)
		rc = recv_reply(h, fd, out, deadline, why, whylen);
done:
	curl_easy_cleanup(h);
	return rc;
}
