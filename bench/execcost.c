/* SPDX-License-Identifier: ISC */
/* execcost.c: what one exec of a program costs.
 *
 *   execcost N PROGRAM [ARG]...
 * forks and execs PROGRAM N times one after the other (stdin, stdout and
 * stderr on /dev/null) and prints the mean CPU (user + system, from
 * getrusage of the children, fork included) and wall time per run. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
tv(struct timeval t)
{
	return (double)t.tv_sec * 1e3 + (double)t.tv_usec / 1e3;
}

int
main(int argc, char **argv)
{
	struct rusage ru;
	struct timespec a, b;
	int n;

	if (argc < 3 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: execcost N PROGRAM [ARG]...\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			int fd = open("/dev/null", O_RDWR);

			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		if (pid == -1 || waitpid(pid, NULL, 0) == -1) {
			perror("execcost");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("runs=%d cpu_ms=%.3f user_ms=%.3f sys_ms=%.3f wall_ms=%.3f\n", n,
	    (tv(ru.ru_utime) + tv(ru.ru_stime)) / n, tv(ru.ru_utime) / n, tv(ru.ru_stime) / n,
	    ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6) / n);
	return 0;
}
