/* SPDX-License-Identifier: ISC */
/* conn.c: find the client socket and name both of its ends.
 *
 * The socket activation protocol (sd_listen_fds(3)) is read here in a few
 * lines instead of through libsystemd: linking libsystemd maps seven more
 * libraries at every exec, about 0.4 ms of CPU per connection on a small
 * machine, half again the cost of exec'ing a libc-only program, for two
 * calls (see bench/README). The handler needs neither sd_notify (Accept=yes
 * services do not notify) nor the journal API (stderr goes to the journal). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"

void
conn_addr_ip(const struct sockaddr *sa, char *out, size_t cap)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)cap);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		/* an IPv4 client on a dual-stack socket is an IPv4 client */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, (socklen_t)cap);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)cap);
	} else if (sa->sa_family == AF_UNIX) {
		snprintf(out, cap, "unix:");
	} else {
		snprintf(out, cap, "unknown");
	}
}

void
conn_addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		conn_addr_ip(sa, ip, sizeof ip);
		snprintf(out, cap, "%s:%u", ip, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		conn_addr_ip(sa, ip, sizeof ip);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			snprintf(out, cap, "%s:%u", ip, ntohs(s6->sin6_port));
		else
			snprintf(out, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *su = (const struct sockaddr_un *)(const void *)sa;
		snprintf(out, cap, "unix:%.*s", (int)sizeof su->sun_path, su->sun_path);
	} else {
		snprintf(out, cap, "unknown");
	}
}

unsigned
conn_addr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return 0;
}

static int
env_number(const char *s, long max)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > max)
		return -1;
	return (int)v;
}

/* sd_listen_fds(1): the number of sockets passed from fd 3 on (0 when
 * LISTEN_PID is not ours), or -errno; the variables are removed either way
 * so that the relay and anything else we exec cannot mistake our
 * descriptors for theirs, and the fds are made close-on-exec. */
int
conn_listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int p, n = 0;

	if (pid == NULL)
		goto out;
	p = env_number(pid, INT_MAX);
	n = env_number(fds, INT_MAX - LISTEN_FDS_START);
	if (p <= 0 || n < 0) {
		n = -EINVAL;
		goto out;
	}
	if ((pid_t)p != getpid()) {
		n = 0;
		goto out;
	}
	for (int fd = LISTEN_FDS_START; fd < LISTEN_FDS_START + n; fd++) {
		int fl = fcntl(fd, F_GETFD);

		if (fl == -1 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1) {
			n = -errno;
			goto out;
		}
	}
out:
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return n;
}

/* sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 0): a stream socket that is not listening. */
static int
is_stream_socket(int fd)
{
	struct stat st;
	int type = 0, acc = 0;
	socklen_t l = sizeof type, la = sizeof acc;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) == -1 || type != SOCK_STREAM)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &la) == -1 || acc != 0)
		return 0;
	return 1;
}

int
conn_get(struct conn *c, char *err, size_t errlen)
{
	int n;

	memset(c, 0, sizeof *c);
	n = conn_listen_fds();
	if (n < 0) {
		snprintf(err, errlen, "invalid LISTEN_FDS: %s", strerror(-n));
		return -1;
	}
	if (n > 1) {
		snprintf(err, errlen, "%d sockets passed; mailproxy needs Accept=yes (one connection)", n);
		return -1;
	}
	c->fd = n == 1 ? LISTEN_FDS_START : 0;
	if (!is_stream_socket(c->fd)) {
		snprintf(err, errlen, "fd %d is not a connected stream socket: "
		    "start mailproxy from systemd (Accept=yes) or inetd", c->fd);
		return -1;
	}
	c->locallen = sizeof c->local;
	c->peerlen = sizeof c->peer;
	if (getsockname(c->fd, (struct sockaddr *)&c->local, &c->locallen) == -1 ||
	    getpeername(c->fd, (struct sockaddr *)&c->peer, &c->peerlen) == -1) {
		/* an accepted socket whose peer reset it at once */
		if (errno == ENOTCONN)
			return CONN_GONE;
		snprintf(err, errlen, "fd %d is not a connected socket: %s", c->fd, strerror(errno));
		return -1;
	}
	conn_addr_ip((struct sockaddr *)&c->peer, c->peer_ip, sizeof c->peer_ip);
	c->peer_port = conn_addr_port((struct sockaddr *)&c->peer);
	conn_addr_text((struct sockaddr *)&c->peer, c->peer_text, sizeof c->peer_text);
	conn_addr_text((struct sockaddr *)&c->local, c->local_text, sizeof c->local_text);
	return 0;
}
