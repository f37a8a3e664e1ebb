/* SPDX-License-Identifier: ISC */
/* replay.c: run a libFuzzer target over stored inputs without libFuzzer.
 *   replay_<target> [DIR|FILE]...
 * Every regular file of each DIR (and each FILE) is passed once to
 * LLVMFuzzerTestOneInput, then the empty input; a missing DIR is noted and
 * skipped, so a target without a corpus still runs once. Built with the
 * normal compiler (and ASan/UBSan under SAN=1) by `make check`: the corpora
 * in the tree become regression tests. Exit 0, or the target's own abort. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INPUT_MAX (4u * 1024 * 1024)	/* corpora are kept far smaller */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned long nrun;

static int
replay_file(const char *path)
{
	static uint8_t buf[INPUT_MAX];
	uint8_t *copy;
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (len < sizeof buf && (n = read(fd, buf + len, sizeof buf - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len == sizeof buf) {
		fprintf(stderr, "replay: %s: larger than %u bytes\n", path, INPUT_MAX);
		return -1;
	}
	/* an exact-size heap copy, so ASan sees any read past the input */
	copy = malloc(len ? len : 1);
	if (copy == NULL) {
		fprintf(stderr, "replay: out of memory\n");
		return -1;
	}
	memcpy(copy, buf, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	nrun++;
	return 0;
}

static int
replay_dir(const char *dir)
{
	char path[4096];
	struct dirent *e;
	DIR *d = opendir(dir);
	int rc = 0;

	if (d == NULL) {
		if (errno == ENOENT) {
			fprintf(stderr, "replay: no corpus %s, only the empty input\n", dir);
			return 0;
		}
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) {
			rc = -1;
			continue;
		}
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if (replay_file(path) == -1)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	int rc = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(argv[i]) == -1)
				rc = 1;
		} else if (replay_dir(argv[i]) == -1) {
			rc = 1;
		}
	}
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	nrun++;
	printf("replay: %s: %lu inputs\n", argv[0], nrun);
	return rc;
}
