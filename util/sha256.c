/*
 * sha256.c - SHA-256 as specified in FIPS 180-4 (sections 4.1.2, 4.2.2,
 * 5.1.1, 5.3.3 and 6.2), for block data hashes and image hashes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/sha256.h"

/* FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

/* 4.1.2 functions */
#define CH(x, y, z)  (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define BSIG0(x)     (rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22))
#define BSIG1(x)     (rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25))
#define SSIG0(x)     (rotr(x, 7) ^ rotr(x, 18) ^ ((x) >> 3))
#define SSIG1(x)     (rotr(x, 17) ^ rotr(x, 19) ^ ((x) >> 10))

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* 6.2.2: process one 512-bit block. */
static void compress(uint32_t h[8], const uint8_t *blk)
{
	uint32_t w[64];
	uint32_t a, b, c, d, e, f, g, hh, t1, t2;
	int t;

	for (t = 0; t < 16; t++)
		w[t] = load_be32(blk + 4 * t);
	for (; t < 64; t++)
		w[t] = SSIG1(w[t - 2]) + w[t - 7] + SSIG0(w[t - 15]) + w[t - 16];

	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (t = 0; t < 64; t++) {
		t1 = hh + BSIG1(e) + CH(e, f, g) + K[t] + w[t];
		t2 = BSIG0(a) + MAJ(a, b, c);
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

/*
 * 6.2.2 with the SHA extensions (SHA-NI): the message schedule as above,
 * the rounds by SHA256RNDS2, two per instruction.  The instruction keeps the
 * state as {A,B,E,F} and {C,D,G,H}.
 */
__attribute__((target("sha,sse4.1")))
static void compress_ni(uint32_t h[8], const uint8_t *blk)
{
	uint32_t w[64];
	__m128i s0, s1, tmp, msg, abef_save, cdgh_save;
	int t;

	for (t = 0; t < 16; t++)
		w[t] = load_be32(blk + 4 * t);
	for (; t < 64; t++)
		w[t] = SSIG1(w[t - 2]) + w[t - 7] + SSIG0(w[t - 15]) + w[t - 16];

	tmp = _mm_loadu_si128((const __m128i *)&h[0]);   /* D C B A */
	s1 = _mm_loadu_si128((const __m128i *)&h[4]);    /* H G F E */
	tmp = _mm_shuffle_epi32(tmp, 0xb1);              /* C D A B */
	s1 = _mm_shuffle_epi32(s1, 0x1b);                /* E F G H */
	s0 = _mm_alignr_epi8(tmp, s1, 8);                /* A B E F */
	s1 = _mm_blend_epi16(s1, tmp, 0xf0);             /* C D G H */
	abef_save = s0;
	cdgh_save = s1;
	for (t = 0; t < 64; t += 4) {
		msg = _mm_set_epi32((int)(w[t + 3] + K[t + 3]), (int)(w[t + 2] + K[t + 2]),
				    (int)(w[t + 1] + K[t + 1]), (int)(w[t] + K[t]));
		s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
		msg = _mm_shuffle_epi32(msg, 0x0e);
		s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
	}
	s0 = _mm_add_epi32(s0, abef_save);
	s1 = _mm_add_epi32(s1, cdgh_save);
	tmp = _mm_shuffle_epi32(s0, 0x1b);               /* F E B A */
	s1 = _mm_shuffle_epi32(s1, 0xb1);                /* D C H G */
	s0 = _mm_blend_epi16(tmp, s1, 0xf0);             /* D C B A */
	s1 = _mm_alignr_epi8(s1, tmp, 8);                /* H G F E */
	_mm_storeu_si128((__m128i *)&h[0], s0);
	_mm_storeu_si128((__m128i *)&h[4], s1);
}

/* CPUID.7.0:EBX[29] SHA, CPUID.1:ECX[19] SSE4.1, [9] SSSE3; asked once. */
static int have_sha_ni(void)
{
	static int known = -1;
	unsigned a, b, c, d;
	int yes = 0;

	if (known >= 0)
		return known;
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 19)) && (c & (1u << 9)) &&
	    __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29)))
		yes = 1;
	if (getenv("EXITLOG_SHA256_GENERIC"))
		yes = 0;
	known = yes;
	return yes;
}
#define COMPRESS(h, blk) (have_sha_ni() ? compress_ni(h, blk) : compress(h, blk))
#else
#define COMPRESS(h, blk) compress(h, blk)
#endif

void sha256_init(struct sha256 *c)
{
	/* 5.3.3: the first 32 bits of the fractional parts of the square
	 * roots of the first 8 primes. */
	static const uint32_t H0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	memcpy(c->h, H0, sizeof(H0));
	c->len = 0;
	c->n = 0;
}

void sha256_update(struct sha256 *c, const void *p, size_t n)
{
	const uint8_t *in = p;

	c->len += n;
	if (c->n) {
		size_t take = 64 - c->n;
		if (take > n)
			take = n;
		memcpy(c->buf + c->n, in, take);
		c->n += take;
		in += take;
		n -= take;
		if (c->n < 64)
			return;
		COMPRESS(c->h, c->buf);
		c->n = 0;
	}
	for (; n >= 64; in += 64, n -= 64)
		COMPRESS(c->h, in);
	if (n) {
		memcpy(c->buf, in, n);
		c->n = n;
	}
}

void sha256_final(struct sha256 *c, uint8_t out[32])
{
	/* 5.1.1: append 0x80, zeros to 56 mod 64, then the bit length as a
	 * 64-bit big-endian integer. */
	uint64_t bits = c->len * 8;
	int i;

	c->buf[c->n++] = 0x80;
	if (c->n > 56) {
		memset(c->buf + c->n, 0, 64 - c->n);
		COMPRESS(c->h, c->buf);
		c->n = 0;
	}
	memset(c->buf + c->n, 0, 56 - c->n);
	store_be32(c->buf + 56, (uint32_t)(bits >> 32));
	store_be32(c->buf + 60, (uint32_t)bits);
	COMPRESS(c->h, c->buf);
	for (i = 0; i < 8; i++)
		store_be32(out + 4 * i, c->h[i]);
	memset(c, 0, sizeof(*c));
}

void sha256(const void *p, size_t n, uint8_t out[32])
{
	struct sha256 c;

	sha256_init(&c);
	sha256_update(&c, p, n);
	sha256_final(&c, out);
}

void sha256_hex(const uint8_t d[32], char out[65])
{
	static const char hx[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[64] = '\0';
}

int sha256_file(const char *path, char hex[65])
{
	enum { CHUNK = 1 << 20 };
	struct sha256 c;
	uint8_t d[32];
	uint8_t *buf;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(CHUNK);
	if (!buf) {
		ret = -ENOMEM;
		goto out_close;
	}
	sha256_init(&c);
	for (;;) {
		n = read(fd, buf, CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out_free;
		}
		if (n == 0)
			break;
		sha256_update(&c, buf, (size_t)n);
	}
	sha256_final(&c, d);
	sha256_hex(d, hex);
out_free:
	free(buf);
out_close:
	close(fd);
	return ret;
}

struct sha256_job {
	const char *path;
	char *hex;
	int rc;
	pthread_t tid;
	int started;
};

static void *sha256_job_run(void *arg)
{
	struct sha256_job *j = arg;

	j->rc = sha256_file(j->path, j->hex);
	return NULL;
}

int sha256_files(const char *const *paths, int n, char (*hex)[65], int *bad)
{
	struct sha256_job jobs[SHA256_MAX_FILES];

	if (n < 0 || n > SHA256_MAX_FILES)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		jobs[i] = (struct sha256_job){ .path = paths[i], .hex = hex[i] };
		/* the last one is this thread's */
		if (i < n - 1 && pthread_create(&jobs[i].tid, NULL, sha256_job_run, &jobs[i]) == 0)
			jobs[i].started = 1;
	}
	for (int i = n - 1; i >= 0; i--) {
		if (jobs[i].started)
			pthread_join(jobs[i].tid, NULL);
		else
			sha256_job_run(&jobs[i]);
	}
	for (int i = 0; i < n; i++) {
		if (jobs[i].rc) {
			if (bad)
				*bad = i;
			return jobs[i].rc;
		}
	}
	return 0;
}
