/*
 * test_sha256.c - SHA-256 against the FIPS 180-4 / NIST example vectors,
 * incremental updates in odd-sized chunks, and sha256_file.
 */
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

#include "util/sha256.h"

static void hex_of(const void *p, size_t n, char out[65])
{
	uint8_t d[32];

	sha256(p, n, d);
	sha256_hex(d, out);
}

static void test_sha256_empty(void **state)
{
	char h[65];

	(void)state;
	hex_of("", 0, h);
	assert_string_equal(h,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_sha256_abc(void **state)
{
	char h[65];

	(void)state;
	hex_of("abc", 3, h);
	assert_string_equal(h,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static const char msg448[] =
	"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char hash448[] =
	"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

static void test_sha256_448bit(void **state)
{
	char h[65];

	(void)state;
	assert_int_equal(strlen(msg448), 56);
	hex_of(msg448, strlen(msg448), h);
	assert_string_equal(h, hash448);
}

static void test_sha256_896bit(void **state)
{
	static const char m[] =
		"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	char h[65];

	(void)state;
	hex_of(m, strlen(m), h);
	assert_string_equal(h,
		"cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static const char hash_million_a[] =
	"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

static void test_sha256_million_a(void **state)
{
	char h[65];
	char *m = malloc(1000000);

	(void)state;
	assert_non_null(m);
	memset(m, 'a', 1000000);
	hex_of(m, 1000000, h);
	assert_string_equal(h, hash_million_a);
	free(m);
}

/* Chunk sizes that straddle the 64-byte block and the 56-byte pad limit. */
static void test_sha256_odd_chunks(void **state)
{
	static const size_t chunks[] = { 1, 3, 7, 13, 55, 56, 57, 63, 64, 65, 127, 1000 };
	struct sha256 c;
	uint8_t d[32];
	char h[65];
	char *m = malloc(1000000);

	(void)state;
	assert_non_null(m);
	memset(m, 'a', 1000000);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		size_t off = 0;

		sha256_init(&c);
		while (off < 1000000) {
			size_t n = chunks[i];
			if (n > 1000000 - off)
				n = 1000000 - off;
			sha256_update(&c, m + off, n);
			off += n;
		}
		sha256_final(&c, d);
		sha256_hex(d, h);
		assert_string_equal(h, hash_million_a);
	}
	/* the 448-bit message fed byte by byte, with empty updates between */
	sha256_init(&c);
	for (size_t i = 0; i < strlen(msg448); i++) {
		sha256_update(&c, msg448 + i, 1);
		sha256_update(&c, "", 0);
	}
	sha256_final(&c, d);
	sha256_hex(d, h);
	assert_string_equal(h, hash448);
	free(m);
}

/* Every length 0..200: one-shot equals split-at-every-point. */
static void test_sha256_split_points(void **state)
{
	uint8_t m[200], a[32], b[32];
	struct sha256 c;

	(void)state;
	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof(m); n++) {
		sha256(m, n, a);
		for (size_t k = 0; k <= n; k += 17) {
			sha256_init(&c);
			sha256_update(&c, m, k);
			sha256_update(&c, m + k, n - k);
			sha256_final(&c, b);
			assert_memory_equal(a, b, 32);
		}
	}
}

static void test_sha256_file_streams(void **state)
{
	char path[] = "/tmp/test_sha256_XXXXXX";
	char h[65];
	size_t n = 3u * 1024 * 1024 + 12345;  /* > 1 MiB reads, odd tail */
	char *m = malloc(n);
	uint8_t d[32];
	char want[65];
	int fd;

	(void)state;
	assert_non_null(m);
	for (size_t i = 0; i < n; i++)
		m[i] = (char)(i * 2654435761u >> 13);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, m, n), (ssize_t)n);
	close(fd);
	sha256(m, n, d);
	sha256_hex(d, want);
	assert_int_equal(sha256_file(path, h), 0);
	assert_string_equal(h, want);
	unlink(path);
	assert_int_equal(sha256_file(path, h), -ENOENT);
	free(m);
}

/* sha256_files(): each file's digest as sha256_file() gives it, and the
 * first failing file (in order) named by *bad. */
static void test_sha256_files_parallel(void **state)
{
	char paths[3][32] = { "/tmp/test_sha256_XXXXXX", "/tmp/test_sha256_XXXXXX",
			      "/tmp/test_sha256_XXXXXX" };
	const char *p[4];
	char h[4][65], want[65];
	static uint8_t m[300000];
	int bad = -1;

	(void)state;
	for (int f = 0; f < 3; f++) {
		int fd = mkstemp(paths[f]);
		size_t n = 1000 + (size_t)f * 100000;

		assert_true(fd >= 0);
		for (size_t i = 0; i < n; i++)
			m[i] = (uint8_t)(i * 7 + (size_t)f);
		assert_int_equal(write(fd, m, n), (ssize_t)n);
		close(fd);
		p[f] = paths[f];
	}
	assert_int_equal(sha256_files(p, 3, h, &bad), 0);
	for (int f = 0; f < 3; f++) {
		assert_int_equal(sha256_file(p[f], want), 0);
		assert_string_equal(h[f], want);
	}
	p[3] = "/nonexistent/test_sha256";
	unlink(paths[1]);
	assert_int_equal(sha256_files(p, 4, h, &bad), -ENOENT);
	assert_int_equal(bad, 1);
	assert_int_equal(sha256_file(p[2], want), 0);
	assert_string_equal(h[2], want);
	assert_int_equal(sha256_files(p, 0, h, &bad), 0);
	assert_int_equal(sha256_files(p, SHA256_MAX_FILES + 1, h, &bad), -EINVAL);
	unlink(paths[0]);
	unlink(paths[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_empty),
		cmocka_unit_test(test_sha256_abc),
		cmocka_unit_test(test_sha256_448bit),
		cmocka_unit_test(test_sha256_896bit),
		cmocka_unit_test(test_sha256_million_a),
		cmocka_unit_test(test_sha256_odd_chunks),
		cmocka_unit_test(test_sha256_split_points),
		cmocka_unit_test(test_sha256_file_streams),
		cmocka_unit_test(test_sha256_files_parallel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
