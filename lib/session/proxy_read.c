/* SPDX-License-Identifier: ISC */
/* proxy_read.c: read the client's PROXY header before anything else, as
 * nginx's mail handler does: wait (within `timeout`) until data is there,
 * peek at up to 4096 bytes once, parse, and take exactly the header's
 * bytes off the socket so the protocol (or TLS) sees the rest. A header
 * split over two TCP segments is broken, as it is for nginx. Then realip. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "io.h"
#include "log.h"
#include "proxy_proto.h"
#include "session.h"
#include "realip.h"

/* One connection per process: the header outlives this call because the
 * session's Proxy-Protocol-* pointers point into it. */
static struct pp_header hdr;
static unsigned char peek[PP_PEEK_MAX];

/* nginx logs the raw bytes; control and non-ASCII bytes are escaped here
 * so that a log line stays one line of text. */
static void
log_broken(const unsigned char *p, size_t n)
{
	char text[4 * 200 + 8];
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 < sizeof text; i++) {
		if (p[i] < 0x20 || p[i] >= 0x7f) {
			static const char hex[] = "0123456789abcdef";

			text[o++] = '\\';
			text[o++] = 'x';
			text[o++] = hex[p[i] >> 4];
			text[o++] = hex[p[i] & 15];
		} else {
			text[o++] = (char)p[i];
		}
	}
	text[o] = '\0';
	log_msg(MP_LOG_ERR, "broken header: \"%s\"", text);
}

int
proxy_accept(struct session *s)
{
	int64_t deadline = mp_now_ms() + s->srv->timeout_ms;
	ssize_t n;
	int rc;

	for (;;) {
		rc = io_wait_readable(s->cfd, deadline);
		if (rc == 0) {
			log_msg(MP_LOG_INFO, "client timed out");
			return -1;
		}
		if (rc == -1) {
			log_msg(MP_LOG_ALERT, "poll() failed (%d: %s)", errno, strerror(errno));
			return -1;
		}
		n = recv(s->cfd, peek, sizeof peek, MSG_PEEK | MSG_DONTWAIT);
		if (n >= 0)
			break;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			log_msg(MP_LOG_INFO, "recv() failed (%d: %s)",
			    errno, strerror(errno));
			return -1;
		}
	}

	switch (pp_parse(peek, (size_t)n, &hdr)) {
	case PP_OK:
		break;
	case PP_BROKEN:
		log_broken(peek, pp_broken_len(peek, (size_t)n));
		return -1;
	case PP_V2_VERSION:
		log_msg(MP_LOG_ERR, "unknown PROXY protocol version: %u", hdr.v2_version);
		return -1;
	case PP_V2_TOO_LARGE:
		log_msg(MP_LOG_ERR, "header is too large");
		return -1;
	default:
		return -1;	/* nginx closes without a word */
	}
	/* the bytes are already here: this cannot block or come up short */
	if (recv(s->cfd, peek, hdr.len, MSG_DONTWAIT) != (ssize_t)hdr.len) {
		log_msg(MP_LOG_INFO, "recv() failed (%d: %s)",
		    errno, strerror(errno));
		return -1;
	}

	if (hdr.has_addrs) {
		s->pp_addr = hdr.src_addr;
		s->pp_port = hdr.src_port_text;
		s->pp_server_addr = hdr.dst_addr;
		s->pp_server_port = hdr.dst_port_text;
	}
	if (realip_apply(s->srv, s->conn, &hdr) == 1)
		log_set_client(s->conn->peer_ip);
	return 0;
}
