/* SPDX-License-Identifier: ISC */
/* conn.h: the one client connection this process serves, however it was
 * handed over (systemd socket activation: fd 3; inetd: fd 0). */
#ifndef MP_CONN_H
#define MP_CONN_H

#include <sys/socket.h>

struct conn {
	int fd;
	struct sockaddr_storage local, peer;
	socklen_t locallen, peerlen;
	char peer_ip[64];	/* "192.0.2.1", "2001:db8::1", "unix:" */
	unsigned peer_port;
	char peer_text[80];	/* "192.0.2.1:5555" as nginx logs it */
	char local_text[160];	/* "127.0.0.1:143", "[::1]:143", "unix:/run/x" */
};

/* where systemd's socket passing (sd_listen_fds(3)) puts the first socket */
#define LISTEN_FDS_START 3

/* Find the connection: LISTEN_FDS=1 (fd 3) or a socket on fd 0. Returns 0;
 * CONN_GONE when the client reset the connection between its accept and
 * now (nothing to serve, not a failure); -1 with a message in ERR when
 * there is no connected stream socket. */
#define CONN_GONE 1
int conn_get(struct conn *c, char *err, size_t errlen);

/* sd_listen_fds(1): how many sockets systemd passed from fd 3 on (0 when
 * LISTEN_PID is not ours), or -errno. The variables are removed and the
 * descriptors made close-on-exec either way. */
int conn_listen_fds(void);

/* Text forms of an address: "ip" (no port) and "ip:port" / "[ip6]:port". */
void conn_addr_ip(const struct sockaddr *sa, char *out, size_t cap);
void conn_addr_text(const struct sockaddr *sa, char *out, size_t cap);

/* The port of an IPv4 or IPv6 address in host order; 0 for any other family. */
unsigned conn_addr_port(const struct sockaddr *sa);

#endif
