/* ISC license. */
/* sockinfo: a test-only helper that reports the socket options of the connection it was
 * started with, so a test can check what the service manager set: the connection is fd 3
 * under LISTEN_FDS (systemd, Accept=yes), else fd 0 (inetd, xinetd).  One line of
 * key=value words, written to the connection itself, so that the client reads it under
 * any activation style, or with -o FILE appended to FILE.  With -l FD it reports FD. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
opt(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	if (getsockopt(fd, level, name, &v, &len) == -1)
		return -1;
	return v;
}

static void
addr(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof ip);
		snprintf(out, cap, "%s:%u", ip, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof ip);
		snprintf(out, cap, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else if (ss->ss_family == AF_UNIX) {
		snprintf(out, cap, "unix:%s", ((const struct sockaddr_un *)ss)->sun_path);
	} else {
		snprintf(out, cap, "family%d", ss->ss_family);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char local[160] = "-", peer[160] = "-";
	const char *file = NULL, *n = getenv("LISTEN_FDS");
	FILE *out;
	int fd = n != NULL && atoi(n) == 1 ? 3 : 0, c, family;

	while ((c = getopt(argc, argv, "o:l:")) != -1) {
		if (c == 'o')
			file = optarg;
		else if (c == 'l')
			fd = atoi(optarg);
		else
			return 2;
	}
	len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		fprintf(stderr, "sockinfo: fd %d is not a socket\n", fd);
		return 1;
	}
	family = ss.ss_family;
	addr(&ss, local, sizeof local);
	len = sizeof ss;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		addr(&ss, peer, sizeof peer);
	out = file != NULL ? fopen(file, "a") : fdopen(dup(fd), "w");
	if (out == NULL) {
		perror(file != NULL ? file : "fdopen");
		return 1;
	}
	fprintf(out, "fd=%d local=%s peer=%s listening=%d rcvbuf=%d sndbuf=%d keepalive=%d", fd,
	    local, peer, opt(fd, SOL_SOCKET, SO_ACCEPTCONN), opt(fd, SOL_SOCKET, SO_RCVBUF),
	    opt(fd, SOL_SOCKET, SO_SNDBUF), opt(fd, SOL_SOCKET, SO_KEEPALIVE));
	if (family == AF_INET || family == AF_INET6)
		fprintf(out, " keepidle=%d keepintvl=%d keepcnt=%d", opt(fd, IPPROTO_TCP, TCP_KEEPIDLE),
		    opt(fd, IPPROTO_TCP, TCP_KEEPINTVL), opt(fd, IPPROTO_TCP, TCP_KEEPCNT));
	if (family == AF_INET6)
		fprintf(out, " v6only=%d", opt(fd, IPPROTO_IPV6, IPV6_V6ONLY));
	fprintf(out, " uid=%u remote_addr=%s\n", (unsigned)getuid(),
	    getenv("REMOTE_ADDR") ? getenv("REMOTE_ADDR") : "-");
	return fclose(out) == 0 ? 0 : 1;
}
