/*
 * test_overlay.c - the copy-on-write overlay block backend: untouched
 * sectors read as the base, written ones as the new data (also across
 * mixed runs), overlay_sha256 is the hash of the image the guest sees, the
 * spill-to-temp-file path with a tiny threshold, many sectors (map
 * growth), range checks, and the base file never changes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backends/overlay.h"
#include "util/sha256.h"

#define NSEC 256

static char dir[64], base[128];
static uint8_t image[NSEC * 512]; /* the base's content */

static int setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_overlay_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(base, sizeof(base), "%s/base.img", dir);
	for (size_t i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 31 + i / 512);
	f = fopen(base, "wb");
	if (!f || fwrite(image, 1, sizeof(image), f) != sizeof(image))
		return -1;
	return fclose(f) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(base);
	return rmdir(dir);
}

static void hex_of(const void *p, size_t n, char out[65])
{
	uint8_t d[32];

	sha256(p, n, d);
	sha256_hex(d, out);
}

static void test_overlay_untouched_reads_base(void **state)
{
	struct overlay *o;
	static uint8_t buf[NSEC * 512];
	char err[256];

	(void)state;
	assert_int_equal(overlay_open(&o, base, 0, err, sizeof(err)), 0);
	assert_int_equal(overlay_sectors(o), NSEC);
	assert_int_equal(overlay_read(o, 0, NSEC, buf), 0);
	assert_memory_equal(buf, image, sizeof(image));
	assert_int_equal(overlay_read(o, 17, 3, buf), 0);
	assert_memory_equal(buf, image + 17 * 512, 3 * 512);
	overlay_close(o);
}

static void test_overlay_write_then_read(void **state)
{
	static uint8_t want[NSEC * 512], buf[NSEC * 512];
	uint8_t sec[3 * 512];
	struct overlay *o;
	struct overlay_stats s;
	char err[256], h1[65], h2[65], before[65], after[65];

	(void)state;
	assert_int_equal(sha256_file(base, before), 0);
	assert_int_equal(overlay_open(&o, base, 0, err, sizeof(err)), 0);
	memcpy(want, image, sizeof(want));
	memset(sec, 0xa5, sizeof(sec));
	assert_int_equal(overlay_write(o, 10, 3, sec), 0);
	memcpy(want + 10 * 512, sec, sizeof(sec));
	memset(sec, 0x5a, 512);
	assert_int_equal(overlay_write(o, 11, 1, sec), 0); /* overwrite one of them */
	memcpy(want + 11 * 512, sec, 512);
	assert_int_equal(overlay_write(o, NSEC - 1, 1, sec), 0);
	memcpy(want + (NSEC - 1) * 512, sec, 512);
	/* a read spanning base, overlay, base */
	assert_int_equal(overlay_read(o, 8, 8, buf), 0);
	assert_memory_equal(buf, want + 8 * 512, 8 * 512);
	assert_int_equal(overlay_read(o, 0, NSEC, buf), 0);
	assert_memory_equal(buf, want, sizeof(want));
	overlay_stats(o, &s);
	assert_int_equal(s.dirty_sectors, 4);
	assert_int_equal(s.file_sectors, 0);
	assert_int_equal(overlay_sha256(o, h1), 0);
	hex_of(want, sizeof(want), h2);
	assert_string_equal(h1, h2);
	overlay_close(o);
	assert_int_equal(sha256_file(base, after), 0);
	assert_string_equal(before, after);
}

static void test_overlay_sha256_untouched_is_base_hash(void **state)
{
	struct overlay *o;
	char err[256], h1[65], h2[65];

	(void)state;
	assert_int_equal(overlay_open(&o, base, 0, err, sizeof(err)), 0);
	assert_int_equal(overlay_sha256(o, h1), 0);
	assert_int_equal(sha256_file(base, h2), 0);
	assert_string_equal(h1, h2);
	overlay_close(o);
}

static int dir_entries(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	int n = 0;

	assert_non_null(dp);
	while ((e = readdir(dp)))
		n += e->d_name[0] != '.';
	closedir(dp);
	return n;
}

static void test_overlay_spill_to_tempfile(void **state)
{
	static uint8_t want[NSEC * 512], buf[NSEC * 512];
	struct overlay *o;
	struct overlay_stats s;
	char err[256], h1[65], h2[65];

	(void)state;
	setenv("TMPDIR", dir, 1);
	assert_int_equal(overlay_open(&o, base, 1024, err, sizeof(err)), 0); /* 2 sectors */
	memcpy(want, image, sizeof(want));
	for (int i = 0; i < 40; i++) {
		uint8_t sec[512];
		uint64_t at = (uint64_t)(i * 37) % NSEC;

		memset(sec, i + 1, sizeof(sec));
		assert_int_equal(overlay_write(o, at, 1, sec), 0);
		memcpy(want + at * 512, sec, 512);
	}
	overlay_stats(o, &s);
	assert_int_equal(s.mem_sectors, 2);
	assert_true(s.file_sectors > 0);
	assert_int_equal(s.dirty_sectors, s.mem_sectors + s.file_sectors);
	/* rewrite a spilled sector */
	memset(buf, 0xee, 512);
	assert_int_equal(overlay_write(o, 37 * 39 % NSEC, 1, buf), 0);
	memcpy(want + (37 * 39 % NSEC) * 512, buf, 512);
	assert_int_equal(overlay_read(o, 0, NSEC, buf), 0);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(overlay_sha256(o, h1), 0);
	hex_of(want, sizeof(want), h2);
	assert_string_equal(h1, h2);
	/* the temp file in $TMPDIR was unlinked at once: only base.img is there */
	assert_int_equal(dir_entries(dir), 1);
	overlay_close(o);
	unsetenv("TMPDIR");
}

static void test_overlay_many_sectors(void **state)
{
	static uint8_t buf[NSEC * 512];
	struct overlay *o;
	char err[256];

	(void)state;
	assert_int_equal(overlay_open(&o, base, 0, err, sizeof(err)), 0);
	for (int round = 0; round < 3; round++)
		for (uint64_t s = 0; s < NSEC; s++) {
			uint8_t sec[512];

			memset(sec, (int)(s + (uint64_t)round), sizeof(sec));
			assert_int_equal(overlay_write(o, s, 1, sec), 0);
		}
	assert_int_equal(overlay_read(o, 0, NSEC, buf), 0);
	for (uint64_t s = 0; s < NSEC; s++)
		assert_int_equal(buf[s * 512 + 100], (uint8_t)(s + 2));
	overlay_close(o);
}

static void test_overlay_range_and_errors(void **state)
{
	uint8_t buf[1024];
	struct overlay *o;
	char err[256] = "";

	(void)state;
	assert_int_equal(overlay_open(&o, base, 0, err, sizeof(err)), 0);
	assert_int_equal(overlay_read(o, NSEC, 1, buf), -EINVAL);
	assert_int_equal(overlay_read(o, NSEC - 1, 2, buf), -EINVAL);
	assert_int_equal(overlay_write(o, UINT64_MAX, 1, buf), -EINVAL);
	assert_int_equal(overlay_read(o, NSEC, 0, buf), 0);
	overlay_close(o);
	assert_int_equal(overlay_open(&o, "/nonexistent/x.img", 0, err, sizeof(err)), -ENOENT);
	assert_null(o);
	assert_non_null(strstr(err, "/nonexistent/x.img"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlay_untouched_reads_base),
		cmocka_unit_test(test_overlay_write_then_read),
		cmocka_unit_test(test_overlay_sha256_untouched_is_base_hash),
		cmocka_unit_test(test_overlay_spill_to_tempfile),
		cmocka_unit_test(test_overlay_many_sectors),
		cmocka_unit_test(test_overlay_range_and_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
