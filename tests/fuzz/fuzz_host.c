/*
 * fuzz_host.c - fuzz bytes -> host answers and guest accesses on a board
 * (see fuzz_host.h).  Shared by every device fuzz target and by their plain
 * regression replayers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/dispatch.h"
#include "devices/uart.h"
#include "tests/fuzz/fuzz_host.h"

#define FUZZ_PAGES (FUZZ_RAM / 4096u)

struct fuzz_ctx {
	const struct fuzz_target *t;
	const uint8_t *p;        /* ops: p[0..n) from the front */
	size_t n, op_off;        /* ops: p[op_off..ans_start) from the front */
	size_t ans_start, ans_end; /* answers: p[ans_start..ans_end) from the back */
	uint64_t now;
	uint8_t *ram;
	uint8_t dirty[FUZZ_PAGES];
	int ndisks;
	uint64_t sectors[BOARD_MAX_DISKS];
	uint8_t wbuf[4096];      /* where blk_write copies the data to */
};

/* Guest RAM lives for the process; only the pages an input touched are
 * cleared for the next one. */
static uint8_t *fuzz_ram;
/* FUZZ_TRACE=1 in the environment: every host call on stderr (to check
 * what a seed reaches). */
static int fuzz_trace = -1;

#define TRACE(...) do { if (fuzz_trace > 0) fprintf(stderr, "fuzz: " __VA_ARGS__); } while (0)

static uint8_t op_u8(struct fuzz_ctx *c)
{
	if (c->op_off >= c->ans_start)
		return 0;
	return c->p[c->op_off++];
}

static uint32_t op_uN(struct fuzz_ctx *c, unsigned bytes)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint32_t)op_u8(c) << (8 * i);
	return v;
}

static uint8_t ans_u8(struct fuzz_ctx *c)
{
	if (c->ans_end <= c->ans_start)
		return 0;
	return c->p[--c->ans_end];
}

static void fuzz_dirty(struct fuzz_ctx *c, uint64_t gpa, size_t len)
{
	for (uint64_t pg = gpa / 4096; pg <= (gpa + len - 1) / 4096 && pg < FUZZ_PAGES; pg++)
		c->dirty[pg] = 1;
}

static uint64_t fh_now(void *ctx)
{
	return ((struct fuzz_ctx *)ctx)->now;
}

static int fh_status(struct fuzz_ctx *c)
{
	static const int errs[] = { -EIO, -EINVAL, -ENOSPC };
	uint8_t b = ans_u8(c);

	return b < 0xf0 ? 0 : errs[(b - 0xf0) % 3];
}

/* Like the live host: a request of an unknown disk or past the disk's end
 * is refused before anything else. */
static int fh_check(struct fuzz_ctx *c, const struct blk_req *r)
{
	if (r->disk < 0 || r->disk >= c->ndisks) {
		fprintf(stderr, "fuzz: %s: block request of disk %d (board has %d)\n",
			r->device, r->disk, c->ndisks);
		abort();
	}
	if (r->sector > c->sectors[r->disk] ||
	    r->nsectors > c->sectors[r->disk] - r->sector)
		return -EINVAL;
	return 0;
}

static int fh_blk_read(void *ctx, const struct blk_req *r, void *buf)
{
	struct fuzz_ctx *c = ctx;
	size_t len = (size_t)r->nsectors * SECTOR_SIZE;
	uint8_t pat[16];
	int rc = fh_check(c, r);

	TRACE("blk_read %s sector %llu n %u%s\n", r->device, (unsigned long long)r->sector,
	      r->nsectors, rc ? " refused" : "");
	if (rc)
		return rc;
	rc = fh_status(c);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = ans_u8(c);
	for (size_t o = 0; o < len; o += sizeof(pat))
		memcpy((uint8_t *)buf + o, pat, len - o < sizeof(pat) ? len - o : sizeof(pat));
	return 0;
}

static int fh_blk_write(void *ctx, const struct blk_req *r, const void *buf)
{
	struct fuzz_ctx *c = ctx;
	size_t len = (size_t)r->nsectors * SECTOR_SIZE;
	int rc = fh_check(c, r);

	TRACE("blk_write %s sector %llu n %u%s\n", r->device, (unsigned long long)r->sector,
	      r->nsectors, rc ? " refused" : "");
	if (rc)
		return rc;
	/* Read every byte, as the live host's pwrite would (ASan checks). */
	if (len)
		memcpy(c->wbuf, buf, len < sizeof(c->wbuf) ? len : sizeof(c->wbuf));
	for (size_t o = sizeof(c->wbuf); o < len; o += sizeof(c->wbuf))
		memcpy(c->wbuf, (const uint8_t *)buf + o,
		       len - o < sizeof(c->wbuf) ? len - o : sizeof(c->wbuf));
	return fh_status(c);
}

static int fh_blk_flush(void *ctx, const struct blk_req *r)
{
	struct fuzz_ctx *c = ctx;

	if (r->disk < 0 || r->disk >= c->ndisks)
		abort();
	TRACE("blk_flush %s\n", r->device);
	return fh_status(c);
}

static int fh_dma_check(struct fuzz_ctx *c, uint64_t gpa, size_t len)
{
	if (gpa > FUZZ_RAM || len > FUZZ_RAM - gpa)
		return -EFAULT;
	return ans_u8(c) == 0xff ? -EFAULT : 0;
}

static int fh_dma_read(void *ctx, const char *device, uint64_t gpa, void *buf,
		       size_t len)
{
	struct fuzz_ctx *c = ctx;
	int rc = fh_dma_check(c, gpa, len);

	TRACE("dma_read %s %#llx+%zu rc %d\n", device, (unsigned long long)gpa, len, rc);
	if (!rc && len)
		memcpy(buf, c->ram + gpa, len);
	return rc;
}

static int fh_dma_write(void *ctx, const char *device, uint64_t gpa,
			const void *buf, size_t len)
{
	struct fuzz_ctx *c = ctx;
	int rc = fh_dma_check(c, gpa, len);

	TRACE("dma_write %s %#llx+%zu rc %d\n", device, (unsigned long long)gpa, len, rc);
	if (!rc && len) {
		memcpy(c->ram + gpa, buf, len);
		fuzz_dirty(c, gpa, len);
	}
	return rc;
}

static void fh_irq_set(void *ctx, int line, int level)
{
	(void)ctx;
	if (line < 0 || line > 63 || (level != 0 && level != 1)) {
		fprintf(stderr, "fuzz: irq_set(%d, %d)\n", line, level);
		abort();
	}
}

static int fh_console_in(void *ctx, uint8_t *byte)
{
	struct fuzz_ctx *c = ctx;

	if (!(ans_u8(c) & 1))
		return 0;
	*byte = ans_u8(c);
	return 1;
}

static const struct host_ops fuzz_ops = {
	.now_ns = fh_now,
	.blk_read = fh_blk_read,
	.blk_write = fh_blk_write,
	.blk_flush = fh_blk_flush,
	.dma_read = fh_dma_read,
	.dma_write = fh_dma_write,
	.irq_set = fh_irq_set,
	.console_in = fh_console_in,
};

static void fuzz_io(struct fuzz_ctx *c, struct board *b, const struct host *h)
{
	static const uint8_t sizes[4] = { 1, 2, 4, 4 };
	uint8_t buf[256 * 4];
	uint8_t sel = op_u8(c), flags = op_u8(c);
	uint32_t size = sizes[flags & 3], count = 1;
	bool wr = flags & FUZZ_IO_WRITE;
	uint16_t port;

	if (sel == FUZZ_SEL_RAW || !c->t->nports)
		port = (uint16_t)op_uN(c, 2);
	else
		port = c->t->ports[sel % c->t->nports];
	if (flags & FUZZ_IO_REP)
		count = (uint32_t)op_u8(c) + 1;
	memset(buf, 0, sizeof(buf));
	if (wr)
		for (size_t i = 0; i < (size_t)size * count; i++)
			buf[i] = op_u8(c);
	{
		/* the recorder's own dispatch: the rep rule and the first-error rule */
		struct dispatch d;
		struct dispatch_access a = {
			.space = BUS_PIO, .addr = port, .size = size, .count = count,
			.is_write = wr, .data = buf,
		};
		struct dispatch_result res;

		dispatch_init(&d, &b->bus);
		dispatch_access(&d, h, &a, &res);
		TRACE("%s %#x/%u x%u = %#x%s\n", wr ? "out" : "in", port, size, count,
		      (unsigned)(buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24),
		      res.err ? " (error)" : "");
	}
}

static void fuzz_poke(struct fuzz_ctx *c)
{
	uint32_t gpa = op_uN(c, 4) % FUZZ_RAM;
	size_t len = (size_t)op_u8(c) + 1;

	if (len > FUZZ_RAM - gpa)
		len = FUZZ_RAM - gpa;
	for (size_t i = 0; i < len; i++)
		c->ram[gpa + i] = op_u8(c);
	fuzz_dirty(c, gpa, len);
}

/* One board per target and process, put back to power-on state before each
 * input (building it per input costs most of the time). */
static struct board *fuzz_board(const struct fuzz_target *t)
{
	static const struct fuzz_target *built;
	static struct board b;
	int rc;

	if (built == t) {
		board_reset(&b);
		return &b;
	}
	if (built)
		board_destroy(&b);
	built = NULL;
	rc = board_create(&b, &t->cfg);
	if (rc) {
		fprintf(stderr, "fuzz: board_create: %s\n", strerror(-rc));
		abort();
	}
	built = t;
	return &b;
}

int fuzz_run(const struct fuzz_target *t, const uint8_t *data, size_t size)
{
	static struct fuzz_ctx c;
	const struct board_dev *com1;
	struct host h = { &fuzz_ops, &c };
	struct board *b;

	if (!fuzz_ram && !(fuzz_ram = calloc(1, FUZZ_RAM)))
		abort();
	if (fuzz_trace < 0)
		fuzz_trace = getenv("FUZZ_TRACE") && atoi(getenv("FUZZ_TRACE")) > 0;
	memset(&c, 0, sizeof(c));
	c.t = t;
	c.p = data;
	c.n = c.ans_end = size;
	if (size >= 2) { /* the header: how many bytes at the end are answers */
		size_t a = (size_t)data[0] | (size_t)data[1] << 8;

		c.op_off = 2;
		c.ans_start = a < size - 2 ? size - a : 2;
		c.ans_end = size;
	} else {
		c.op_off = c.ans_start = c.ans_end = size;
	}
	c.ram = fuzz_ram;
	c.ndisks = t->cfg.ndisks;
	for (int i = 0; i < t->cfg.ndisks; i++)
		c.sectors[i] = t->cfg.disks[i].sectors;
	b = fuzz_board(t);
	com1 = board_find(b, "com1");
	while (c.op_off < c.ans_start) {
		switch (op_u8(&c) % FUZZ_NOPS) {
		case FUZZ_OP_IO:
			fuzz_io(&c, b, &h);
			break;
		case FUZZ_OP_POKE:
			fuzz_poke(&c);
			break;
		case FUZZ_OP_RESET:
			board_reset(b);
			break;
		case FUZZ_OP_TIME:
			c.now += (uint64_t)op_uN(&c, 2) * 1000;
			break;
		case FUZZ_OP_RX:
			uart_receive(com1->state, &h, op_u8(&c));
			break;
		}
	}
	for (unsigned pg = 0; pg < FUZZ_PAGES; pg++)
		if (c.dirty[pg])
			memset(fuzz_ram + (size_t)pg * 4096, 0, 4096);
	return 0;
}
