/*
 * regress_main.c - the plain replayer of a fuzz target: built with the
 * normal compiler and linked with one target_*.c instead of libFuzzer, it
 * feeds every file named on the command line (or every file of a named
 * directory) to LLVMFuzzerTestOneInput once.  `make unit` runs it over
 * tests/fuzz/regress/NAME/ (inputs of fixed crashes) and tests/fuzz/seeds/NAME/.
 * A crash is the test failing; exit 0 after all inputs, 2 when one cannot
 * be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int regress_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fuzz-regress: %s: cannot read\n", path);
		if (f)
			fclose(f);
		free(buf);
		return -EIO;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int regress_path(const char *path, unsigned *count)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (stat(path, &st))
		return 0; /* a target without regression inputs yet */
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return regress_file(path);
	}
	d = opendir(path);
	if (!d)
		return -errno;
	while (!rc && (e = readdir(d))) {
		char p[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (!stat(p, &st) && S_ISREG(st.st_mode)) {
			(*count)++;
			rc = regress_file(p);
		}
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned count = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		if (regress_path(argv[i], &count))
			return 2;
	printf("fuzz-regress %s: %u inputs, no crash\n", argv[0], count);
	return 0;
}
