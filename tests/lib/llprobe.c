/* SPDX-License-Identifier: ISC */
/* llprobe.c: stands in for mailproxy-relay in tests/landlock.bats.  The
 * handler executes it after a login, as it would the relay, so it runs under
 * the handler's Landlock domain (and filter, which execve keeps).  For each
 * word of $LL_PROBE, "r:PATH" (open to read), "w:PATH" (open to append) or
 * "c:PATH" (create), it writes "WORD=ERRNO" (0: opened) to the client on fd
 * 0, then exits; "x:wx" maps a page writable and executable, "x:gain" maps it
 * writable, then asks for it executable (0: done); "b:PORT" binds a TCP
 * socket to 127.0.0.1:PORT, "u:NAME" connects to the abstract unix socket
 * NAME, "k:PID" sends PID signal 0.  Nothing else: the fewest calls, so the
 * filter lets it run. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* bind to 127.0.0.1:PORT ("b"), connect to the abstract NAME ("u"), signal 0 to PID ("k") */
static int
reach(char kind, const char *arg)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd, r;

	if (kind == 'k')
		return kill((pid_t)atoi(arg), 0) == -1 ? errno : 0;
	fd = socket(kind == 'b' ? AF_INET : AF_UNIX, SOCK_STREAM, 0);
	if (fd == -1)
		return errno;
	if (kind == 'b') {
		in.sin_port = htons((unsigned short)atoi(arg));
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		r = bind(fd, (struct sockaddr *)&in, sizeof in);
	} else {
		size_t n = strlen(arg);

		if (n + 1 > sizeof un.sun_path)
			n = sizeof un.sun_path - 1;
		memcpy(un.sun_path + 1, arg, n);
		r = connect(fd, (struct sockaddr *)&un, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n));
	}
	r = r == -1 ? errno : 0;
	close(fd);
	return r;
}

/* a page writable and executable, at once ("wx") or in two steps ("gain") */
static int
map_exec(const char *how)
{
	int both = PROT_READ | PROT_WRITE | PROT_EXEC, first;
	void *p;

	first = strcmp(how, "wx") == 0 ? both : PROT_READ | PROT_WRITE;
	p = mmap(NULL, 4096, first, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return errno;
	if (first != both && mprotect(p, 4096, PROT_READ | PROT_EXEC) == -1)
		return errno;
	return 0;
}

int
main(void)
{
	char buf[8192], line[4200], *w, *save = NULL;
	const char *spec = getenv("LL_PROBE");
	size_t n = 0;

	if (spec == NULL || strlen(spec) >= sizeof buf)
		return 1;
	strcpy(buf, spec);
	n = (size_t)snprintf(line, sizeof line, "probe pid %d\r\n", (int)getpid());
	if (write(0, line, n) < 0)
		return 1;
	for (w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		int flags = O_RDONLY, fd, e = 0;

		if (strncmp(w, "x:", 2) == 0) {
			e = map_exec(w + 2);
			goto say;
		}
		if ((w[0] == 'b' || w[0] == 'u' || w[0] == 'k') && w[1] == ':') {
			e = reach(w[0], w + 2);
			goto say;
		}
		if (strncmp(w, "w:", 2) == 0)
			flags = O_WRONLY | O_APPEND;
		else if (strncmp(w, "c:", 2) == 0)
			flags = O_WRONLY | O_CREAT | O_EXCL;
		else if (strncmp(w, "r:", 2) != 0)
			continue;
		fd = open(w + 2, flags | O_CLOEXEC, 0600);
		if (fd == -1)
			e = errno;
		else
			close(fd);
say:
		n = (size_t)snprintf(line, sizeof line, "%s=%d\r\n", w, e);
		if (n >= sizeof line || write(0, line, n) < 0)
			return 1;
	}
	return 0;
}
