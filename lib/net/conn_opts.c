/* SPDX-License-Identifier: ISC */
/* conn_opts.c: a listen line's socket parameters, applied to the accepted
 * connection. systemd's socket unit sets them on the listening socket,
 * whose connections inherit them; inetd and xinetd have no such settings
 * (xinetd only SO_KEEPALIVE), so under them the handler sets what still
 * means something on a connection that is already established. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conn_opts.h"

static int
set(int fd, int level, int name, int value, const char *what, char *err, size_t errlen)
{
	if (setsockopt(fd, level, name, &value, sizeof value) == 0)
		return 0;
	snprintf(err, errlen, "setsockopt(%s, %d) failed (%d: %s)", what, value, errno, strerror(errno));
	return -1;
}

int
conn_apply_listen(int fd, const struct mp_listen *l, char *err, size_t errlen)
{
	int rc = 0;

	if (l->rcvbuf >= 0)
		rc |= set(fd, SOL_SOCKET, SO_RCVBUF, l->rcvbuf, "SO_RCVBUF", err, errlen);
	if (l->sndbuf >= 0)
		rc |= set(fd, SOL_SOCKET, SO_SNDBUF, l->sndbuf, "SO_SNDBUF", err, errlen);
	if (l->so_keepalive < 0 || l->sa.ss_family == AF_UNIX)
		return rc;
	rc |= set(fd, SOL_SOCKET, SO_KEEPALIVE, l->so_keepalive > 0, "SO_KEEPALIVE", err, errlen);
	if (l->keepidle > 0)
		rc |= set(fd, IPPROTO_TCP, TCP_KEEPIDLE, l->keepidle, "TCP_KEEPIDLE", err, errlen);
	if (l->keepintvl > 0)
		rc |= set(fd, IPPROTO_TCP, TCP_KEEPINTVL, l->keepintvl, "TCP_KEEPINTVL", err, errlen);
	if (l->keepcnt > 0)
		rc |= set(fd, IPPROTO_TCP, TCP_KEEPCNT, l->keepcnt, "TCP_KEEPCNT", err, errlen);
	return rc;
}
