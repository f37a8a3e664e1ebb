/* SPDX-License-Identifier: ISC */
/* floor.c: the floor of the one-process-per-connection shape, built static
 * and started by systemd-socket-activate --accept like mailproxy:
 *
 *   floor greet            write an IMAP greeting, then wait for the client to close
 *   floor relay PORT       connect to 127.0.0.1:PORT and copy bytes both ways
 *                          with read/write through 16 KiB buffers: no auth, no parsing
 *
 * The connection is fd 3 with LISTEN_FDS=1, else fd 0. What mailproxy costs
 * above these two is the price of its own work. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ 16384

static char c2b[BUFSZ], b2c[BUFSZ];

static int
backend(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd == -1 || connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1)
		_exit(1);
	return fd;
}

/* One direction: read what is there and write all of it (blocking writes:
 * the floor does not need to be fair, only cheap). 0 on EOF or error. */
static int
pass(int from, int to, char *buf)
{
	ssize_t n = read(from, buf, BUFSZ), off = 0;

	if (n <= 0) {
		shutdown(to, SHUT_WR);
		return 0;
	}
	while (off < n) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w <= 0)
			return 0;
		off += w;
	}
	return 1;
}

int
main(int argc, char **argv)
{
	const char *lf = getenv("LISTEN_FDS");
	int cfd = lf != NULL && strcmp(lf, "1") == 0 ? 3 : 0, one = 1;

	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "greet") == 0) {
		static const char g[] = "* OK [CAPABILITY IMAP4rev1] floor ready\r\n";

		if (write(cfd, g, sizeof g - 1) < 0)
			return 1;
		while (read(cfd, c2b, sizeof c2b) > 0)
			;
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "relay") == 0) {
		int bfd = backend(atoi(argv[2]));
		struct pollfd p[2] = { { .fd = cfd, .events = POLLIN }, { .fd = bfd, .events = POLLIN } };

		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		setsockopt(bfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		while (p[0].fd >= 0 || p[1].fd >= 0) {
			if (poll(p, 2, -1) < 0)
				return 1;
			if (p[0].revents && !pass(cfd, bfd, c2b))
				p[0].fd = -1;
			if (p[1].revents && !pass(bfd, cfd, b2c))
				p[1].fd = -1;
		}
		return 0;
	}
	return 2;
}
