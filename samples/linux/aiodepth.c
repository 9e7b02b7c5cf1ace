/*
 * aiodepth.c - a guest program for the queue-depth e2e test (t_vblk_depth):
 * keeps DEPTH 4 KiB O_DIRECT requests in flight on a block device with
 * Linux native AIO (io_setup / io_submit / io_getevents, raw syscalls, no
 * libaio), and verifies every byte it reads.
 *
 * Usage: aiodepth DEV BLOCKS OPS SEED [DEPTH]
 *   1. fill: write blocks 0..BLOCKS-1, DEPTH at a time (one io_submit of
 *      DEPTH iocbs, then refill as completions come back);
 *   2. mix: OPS random 4 KiB reads (40 %) and writes (60 %), DEPTH always in
 *      flight, never two on the same block; every read is compared with the
 *      block's last written contents;
 *   3. check: read every block back (DEPTH in flight) and compare.
 * Block contents: 64-bit words (seed, block, generation, word index) so that a
 * misplaced, stale or torn block is caught.  Prints one line
 *   aiodepth: DEV ok writes=W reads=R maxdepth=D batch=B
 * (B: the largest number of requests one io_submit call handed over) or
 *   aiodepth: DEV FAIL <reason>
 * and exits 0 / 1.  Built static by samples/linux/build-aio-guest.sh.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BS 4096
#define MAXDEPTH 64

static const char *dev;
static uint64_t seed;
static unsigned depth, nblocks;
static uint32_t *gen;      /* last generation written per block */
static uint8_t *busy;      /* block has a request in flight */
static unsigned long writes, reads, maxdepth, maxbatch;

struct slot {
	struct iocb cb;
	uint8_t *buf;
	unsigned block;
	uint32_t gen;
	int inuse;
};
static struct slot slots[MAXDEPTH];
static aio_context_t ctx;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static void die(const char *why)
{
	printf("aiodepth: %s FAIL %s\n", dev, why);
	fflush(stdout);
	exit(1);
}

static uint64_t base_seed;

static void fill(uint8_t *buf, unsigned block, uint32_t g)
{
	uint64_t *w = (uint64_t *)buf;

	for (unsigned i = 0; i < BS / 8; i++)
		w[i] = 0xe1106000ULL << 32 ^ (uint64_t)block << 40 ^ (uint64_t)g << 16 ^ i ^ base_seed;
}

static void verify(const struct slot *s)
{
	uint8_t want[BS];
	char why[128];

	fill(want, s->block, gen[s->block]);
	if (memcmp(want, s->buf, BS)) {
		snprintf(why, sizeof(why), "block %u: data differs from generation %u",
			 s->block, gen[s->block]);
		die(why);
	}
}

static unsigned inflight;

static void prep(struct slot *s, unsigned block, int write, int fd)
{
	memset(&s->cb, 0, sizeof(s->cb));
	s->block = block;
	s->inuse = 1;
	busy[block] = 1;
	s->cb.aio_fildes = (uint32_t)fd;
	s->cb.aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
	s->cb.aio_buf = (uint64_t)(uintptr_t)s->buf;
	s->cb.aio_nbytes = BS;
	s->cb.aio_offset = (int64_t)block * BS;
	s->cb.aio_data = (uint64_t)(uintptr_t)s;
	if (write) {
		s->gen = gen[block] + 1;
		fill(s->buf, block, s->gen);
		writes++;
	} else {
		memset(s->buf, 0xa5, BS);
		s->gen = 0;
		reads++;
	}
}

static void submit(struct iocb **v, unsigned n)
{
	unsigned done = 0;

	while (done < n) {
		long r = syscall(SYS_io_submit, ctx, (long)(n - done), v + done);

		if (r <= 0)
			die("io_submit");
		done += (unsigned)r;
	}
	if (n > maxbatch)
		maxbatch = n;
	inflight += n;
	if (inflight > maxdepth)
		maxdepth = inflight;
}

/* Wait for at least one completion; handle them; return how many. */
static unsigned reap(void)
{
	struct io_event ev[MAXDEPTH];
	long n = syscall(SYS_io_getevents, ctx, 1L, (long)MAXDEPTH, ev, NULL);

	if (n <= 0)
		die("io_getevents");
	for (long i = 0; i < n; i++) {
		struct slot *s = (struct slot *)(uintptr_t)ev[i].data;

		if (ev[i].res != BS)
			die("short or failed request");
		if (s->gen)
			gen[s->block] = s->gen;
		else
			verify(s);
		busy[s->block] = 0;
		s->inuse = 0;
		inflight--;
	}
	return (unsigned)n;
}

/* mode 0: fill (sequential writes), 1: random mix, 2: check (sequential reads). */
static void phase(int fd, int mode, unsigned long total)
{
	unsigned long issued = 0;

	while (issued < total || inflight) {
		struct iocb *v[MAXDEPTH];
		unsigned n = 0;

		for (unsigned i = 0; i < depth && issued < total; i++) {
			unsigned block;
			int write;

			if (slots[i].inuse)
				continue;
			if (mode == 1) {
				do
					block = (unsigned)(rnd() % nblocks);
				while (busy[block]);
				write = rnd() % 10 >= 4;
			} else {
				block = (unsigned)issued;
				write = mode == 0;
			}
			prep(&slots[i], block, write, fd);
			v[n++] = &slots[i].cb;
			issued++;
		}
		if (n)
			submit(v, n);
		reap();
	}
}

int main(int argc, char **argv)
{
	unsigned long ops;
	int fd;

	if (argc < 5) {
		fprintf(stderr, "usage: aiodepth DEV BLOCKS OPS SEED [DEPTH]\n");
		return 2;
	}
	dev = argv[1];
	nblocks = (unsigned)strtoul(argv[2], NULL, 0);
	ops = strtoul(argv[3], NULL, 0);
	base_seed = seed = strtoull(argv[4], NULL, 0) | 1;
	depth = argc > 5 ? (unsigned)strtoul(argv[5], NULL, 0) : 16;
	if (!nblocks || depth < 1 || depth > MAXDEPTH || depth * 2 > nblocks)
		die("bad arguments");
	gen = calloc(nblocks, sizeof(*gen));
	busy = calloc(nblocks, 1);
	if (!gen || !busy)
		die("out of memory");
	for (unsigned i = 0; i < depth; i++)
		if (posix_memalign((void **)&slots[i].buf, BS, BS))
			die("out of memory");
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0)
		die("open O_DIRECT");
	if (syscall(SYS_io_setup, (long)depth, &ctx))
		die("io_setup");
	phase(fd, 0, nblocks);
	phase(fd, 1, ops);
	phase(fd, 2, nblocks);
	printf("aiodepth: %s ok writes=%lu reads=%lu maxdepth=%lu batch=%lu\n", dev,
	       writes, reads, maxdepth, maxbatch);
	return 0;
}
