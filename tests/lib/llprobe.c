/* SPDX-License-Identifier: ISC */
/* llprobe.c: stands in for mailproxy-relay in tests/landlock.bats.  The
 * handler executes it after a login, as it would the relay, so it runs under
 * the handler's Landlock domain (and filter, which execve keeps).  For each
 * word of $LL_PROBE, "r:PATH" (open to read), "w:PATH" (open to append) or
 * "c:PATH" (create), it writes "WORD=ERRNO" (0: opened) to the client on fd
 * 0, then exits; "x:wx" maps a page writable and executable, "x:gain" maps it
 * writable, then asks for it executable (0: done).  Nothing else: the fewest
 * calls, so the filter lets it run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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
