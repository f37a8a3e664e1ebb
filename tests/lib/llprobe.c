/* SPDX-License-Identifier: ISC */
/* llprobe.c: stands in for mailproxy-relay in tests/landlock.bats.  The
 * handler executes it after a login, as it would the relay, so it runs under
 * the handler's Landlock domain (and filter, which execve keeps).  For each
 * word of $LL_PROBE, "r:PATH" (open to read), "w:PATH" (open to append) or
 * "c:PATH" (create), it writes "WORD=ERRNO" (0: opened) to the client on fd
 * 0, then exits.  Nothing else: the fewest calls, so the filter lets it run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		n = (size_t)snprintf(line, sizeof line, "%s=%d\r\n", w, e);
		if (n >= sizeof line || write(0, line, n) < 0)
			return 1;
	}
	return 0;
}
