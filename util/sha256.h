/*
 * sha256.h - SHA-256 (FIPS 180-4), for block data hashes and image hashes.
 * On x86-64 CPUs with the SHA extensions the rounds run on SHA256RNDS2
 * (~3x the plain C code); EXITLOG_SHA256_GENERIC=1 in the environment
 * forces the plain code (to test it on such a CPU).
 */
#ifndef EXITLOG_SHA256_H
#define EXITLOG_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;     /* bytes hashed so far */
	uint8_t buf[64];
	size_t n;         /* bytes in buf */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *p, size_t n);
void sha256_final(struct sha256 *c, uint8_t out[32]);
/* One-shot digest of a buffer. */
void sha256(const void *p, size_t n, uint8_t out[32]);
/* Lowercase hex of a digest; out gets 64 chars and a NUL. */
void sha256_hex(const uint8_t d[32], char out[65]);
/* Hash a whole file.  Returns 0 or -errno. */
int sha256_file(const char *path, char hex[65]);

#define SHA256_MAX_FILES 8
/*
 * Hash n files (n <= SHA256_MAX_FILES) at the same time, one thread each
 * (the calling thread takes the last; a thread that cannot start leaves
 * its file to the caller): hex[i] is the digest of paths[i].  Returns 0,
 * or the -errno of the first file (in order) that failed, with *bad set to
 * its index; the other digests are filled all the same.
 */
int sha256_files(const char *const *paths, int n, char (*hex)[65], int *bad);

#endif
