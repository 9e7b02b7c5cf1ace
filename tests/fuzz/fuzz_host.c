/*
 * fuzz_host.c - fuzz bytes -> host answers, guest accesses and completion
 * events on a board (see fuzz_host.h).  Shared by every device fuzz target
 * and by their plain regression replayers.
 *
 * The file itself is not coverage-instrumented (clang: no_sanitize
 * "coverage" on every function; ASan and UBSan stay): its branches are the
 * harness's, not the devices', and tracing them cost about a tenth of each
 * execution while only feeding libFuzzer features no device code has.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/dispatch.h"
#include "devices/uart.h"
#include "tests/fuzz/fuzz_host.h"

#ifdef __clang__
#pragma clang attribute push(__attribute__((no_sanitize("coverage"))), apply_to = function)
#endif

#define FUZZ_PAGES (FUZZ_RAM / 4096u)
/*
 * Requests in flight one device may hold: twice its queue (virtio-blk:
 * the queue's worth the driver may have made available, and as many
 * orphaned by a device reset whose completions have not come yet).  A
 * device holding more lets a guest pin host memory without bound (each
 * request keeps a buffer of up to 512 KiB): a finding.
 */
#define FUZZ_MAX_DEV_PENDING 512u
#define FUZZ_MAX_PENDING (FUZZ_MAX_DEV_PENDING * BOARD_MAX_DISKS)

/* A block request handed over by blk_submit, until its DONE. */
struct fuzz_pending {
	struct blk_req r;        /* r.device: the device's static name */
	void *buf;               /* the device's buffer (nsectors * 512 bytes, or NULL) */
	uint64_t tag;
};

struct fuzz_ctx {
	const struct fuzz_target *t;
	struct board *b;
	const uint8_t *p;        /* the input */
	size_t op_off;           /* ops: p[op_off..ans_start) from the front */
	size_t ans_start, ans_end; /* answers: p[ans_start..ans_end) from the back */
	uint64_t now;
	uint64_t ram_bytes;      /* guest RAM size (DMA past it: -EFAULT) */
	unsigned nops;           /* FUZZ_NOPS_PIO or FUZZ_NOPS_ALL */
	int ndisks;
	uint64_t sectors[BOARD_MAX_DISKS];
	uint64_t last_done_tag;  /* for the raw DONE op */
	unsigned npending;
};

/* Process-lifetime state: guest RAM and the list of the pages an input
 * dirtied (only those are cleared for the next one), the requests in flight,
 * a sink for written block data. */
static uint8_t *fuzz_ram;
static uint8_t fuzz_dirty_flag[FUZZ_PAGES];
static uint16_t fuzz_dirty_list[FUZZ_PAGES];
static unsigned fuzz_ndirty;
static struct fuzz_pending fuzz_pend[FUZZ_MAX_PENDING];
static uint8_t fuzz_wbuf[4096];
/* Board devices an access or event reached since their last reset (bit i:
 * devs[i]); the others are in their power-on state. */
static uint32_t fuzz_dirty_devs;
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

/* Mark the RAM pages of [off, off + len) (an offset into fuzz_ram, not
 * wrapping) as dirty. */
static void fuzz_dirty(uint32_t off, size_t len)
{
	for (uint32_t pg = off / 4096; len && pg <= (off + len - 1) / 4096 && pg < FUZZ_PAGES; pg++)
		if (!fuzz_dirty_flag[pg]) {
			fuzz_dirty_flag[pg] = 1;
			fuzz_dirty_list[fuzz_ndirty++] = (uint16_t)pg;
		}
}

/* Copy between buf and guest RAM at gpa (already checked against
 * ram_bytes), FUZZ_RAM repeating over the guest's RAM. */
static void fuzz_ram_copy(uint64_t gpa, void *buf, size_t len, bool to_ram)
{
	uint8_t *p = buf;

	while (len) {
		uint32_t off = (uint32_t)(gpa % FUZZ_RAM);
		size_t n = FUZZ_RAM - off < len ? FUZZ_RAM - off : len;

		if (to_ram) {
			memcpy(fuzz_ram + off, p, n);
			fuzz_dirty(off, n);
		} else {
			memcpy(p, fuzz_ram + off, n);
		}
		gpa += n;
		p += n;
		len -= n;
	}
}

/* The board device whose state `dev` is (a bus region's dev), marked as
 * reached by this input. */
static void fuzz_touch_state(struct fuzz_ctx *c, const void *dev)
{
	for (int i = 0; i < c->b->ndevs; i++)
		if (c->b->devs[i].state == dev) {
			fuzz_dirty_devs |= 1u << i;
			return;
		}
}

static void fuzz_touch_name(struct fuzz_ctx *c, const char *name)
{
	for (int i = 0; name && i < c->b->ndevs; i++)
		if (!strcmp(c->b->devs[i].name, name)) {
			fuzz_dirty_devs |= 1u << i;
			return;
		}
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

/* Like the live host: a request of an unknown disk is a broken device; one
 * past the disk's end is refused before anything else. */
static int fh_check(struct fuzz_ctx *c, const struct blk_req *r)
{
	if (r->disk < 0 || r->disk >= c->ndisks || !r->device) {
		fprintf(stderr, "fuzz: %s: block request of disk %d (board has %d)\n",
			r->device ? r->device : "(no device)", r->disk, c->ndisks);
		abort();
	}
	if (r->op == BLK_OP_FLUSH)
		return 0;
	if (r->sector > c->sectors[r->disk] ||
	    r->nsectors > c->sectors[r->disk] - r->sector)
		return -EINVAL;
	return 0;
}

/* A read's data: 16 answer bytes repeated over the whole buffer, as the
 * live host's pread writes all of it (doubling copies: a few large memcpy
 * calls rather than one per 16 bytes, which ASan checks one by one). */
static void fh_fill(struct fuzz_ctx *c, void *buf, size_t len)
{
	uint8_t pat[16];
	uint8_t *p = buf;
	size_t done;

	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = ans_u8(c);
	if (!len)
		return;
	done = len < sizeof(pat) ? len : sizeof(pat);
	memcpy(p, pat, done);
	while (done < len) {
		size_t n = len - done < done ? len - done : done;

		memcpy(p + done, p, n);
		done += n;
	}
}

/* Read every byte of a write's buffer, as the live host's pwrite would
 * (ASan checks it is all there). */
static void fh_sink(const void *buf, size_t len)
{
	for (size_t o = 0; o < len; o += sizeof(fuzz_wbuf))
		memcpy(fuzz_wbuf, (const uint8_t *)buf + o,
		       len - o < sizeof(fuzz_wbuf) ? len - o : sizeof(fuzz_wbuf));
}

static int fh_blk_read(void *ctx, const struct blk_req *r, void *buf)
{
	struct fuzz_ctx *c = ctx;
	int rc = fh_check(c, r);

	TRACE("blk_read %s sector %llu n %u%s\n", r->device, (unsigned long long)r->sector,
	      r->nsectors, rc ? " refused" : "");
	if (rc)
		return rc;
	rc = fh_status(c);
	if (rc)
		return rc;
	fh_fill(c, buf, (size_t)r->nsectors * SECTOR_SIZE);
	return 0;
}

static int fh_blk_write(void *ctx, const struct blk_req *r, const void *buf)
{
	struct fuzz_ctx *c = ctx;
	int rc = fh_check(c, r);

	TRACE("blk_write %s sector %llu n %u%s\n", r->device, (unsigned long long)r->sector,
	      r->nsectors, rc ? " refused" : "");
	if (rc)
		return rc;
	fh_sink(buf, (size_t)r->nsectors * SECTOR_SIZE);
	return fh_status(c);
}

static int fh_blk_flush(void *ctx, const struct blk_req *r)
{
	struct fuzz_ctx *c = ctx;

	fh_check(c, r);
	TRACE("blk_flush %s\n", r->device);
	return fh_status(c);
}

/* The IO-thread side: keep the request until a DONE op (or the input's
 * end) completes it.  Never completes anything itself: completions are
 * events, delivered between exits, never inside the device's notify. */
static int fh_blk_submit(void *ctx, const struct blk_req *r, void *buf, uint64_t tag)
{
	struct fuzz_ctx *c = ctx;
	struct fuzz_pending *f;

	fh_check(c, r);
	if (r->op != BLK_OP_FLUSH && (!buf || !r->nsectors)) {
		fprintf(stderr, "fuzz: %s: blk_submit op %d of %u sectors with %s buffer\n",
			r->device, r->op, r->nsectors, buf ? "a" : "no");
		abort();
	}
	for (unsigned i = 0, mine = 0; i < c->npending; i++) {
		if (strcmp(fuzz_pend[i].r.device, r->device))
			continue;
		if (fuzz_pend[i].tag == tag) {
			fprintf(stderr, "fuzz: %s: tag %llu submitted twice\n", r->device,
				(unsigned long long)tag);
			abort();
		}
		if (++mine == FUZZ_MAX_DEV_PENDING) {
			fprintf(stderr, "fuzz: %s: submits request %llu with %u in flight\n",
				r->device, (unsigned long long)tag, mine);
			abort();
		}
	}
	/* refused like a host out of memory */
	if (ans_u8(c) == 0xff) {
		TRACE("blk_submit %s tag %llu refused\n", r->device, (unsigned long long)tag);
		return -ENOMEM;
	}
	f = &fuzz_pend[c->npending++];
	f->r = *r;
	f->buf = buf;
	f->tag = tag;
	TRACE("blk_submit %s op %d sector %llu n %u tag %llu (%u in flight)\n", r->device, r->op,
	      (unsigned long long)r->sector, r->nsectors, (unsigned long long)tag, c->npending);
	return 0;
}

static int fh_dma_check(struct fuzz_ctx *c, uint64_t gpa, size_t len)
{
	if (gpa > c->ram_bytes || len > c->ram_bytes - gpa)
		return -EFAULT;
	return ans_u8(c) == 0xff ? -EFAULT : 0;
}

static int fh_dma_read(void *ctx, const char *device, uint64_t gpa, void *buf,
		       size_t len)
{
	struct fuzz_ctx *c = ctx;
	int rc = fh_dma_check(c, gpa, len);

	TRACE("dma_read %s %#llx+%zu rc %d\n", device, (unsigned long long)gpa, len, rc);
	if (!rc)
		fuzz_ram_copy(gpa, buf, len, false);
	return rc;
}

static int fh_dma_write(void *ctx, const char *device, uint64_t gpa,
			const void *buf, size_t len)
{
	struct fuzz_ctx *c = ctx;
	int rc = fh_dma_check(c, gpa, len);

	TRACE("dma_write %s %#llx+%zu rc %d\n", device, (unsigned long long)gpa, len, rc);
	if (!rc)
		fuzz_ram_copy(gpa, (void *)buf, len, true);
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

static void fh_system_event(void *ctx, int event)
{
	(void)ctx;
	if (event != HOST_EV_RESET && event != HOST_EV_POWEROFF) {
		fprintf(stderr, "fuzz: system_event(%d)\n", event);
		abort();
	}
	/* the live session would end here; the fuzz input goes on */
	TRACE("system_event %s\n", event == HOST_EV_RESET ? "reset" : "poweroff");
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
	.system_event = fh_system_event,
};

/* The same host with blk_submit: requests complete at DONE ops. */
static const struct host_ops fuzz_async_ops = {
	.now_ns = fh_now,
	.blk_read = fh_blk_read,
	.blk_write = fh_blk_write,
	.blk_flush = fh_blk_flush,
	.blk_submit = fh_blk_submit,
	.dma_read = fh_dma_read,
	.dma_write = fh_dma_write,
	.irq_set = fh_irq_set,
	.console_in = fh_console_in,
	.system_event = fh_system_event,
};

static struct host fuzz_host(struct fuzz_ctx *c)
{
	return (struct host){ c->t->async ? &fuzz_async_ops : &fuzz_ops, c };
}

/* One exit's access through the recorder's own dispatch (the rep rule and
 * the first-error rule). */
static void fuzz_dispatch(struct fuzz_ctx *c, struct dispatch_access *a)
{
	static struct dispatch d;
	struct host h = fuzz_host(c);
	struct dispatch_result res;

	if (d.bus != &c->b->bus)
		dispatch_init(&d, &c->b->bus);
	dispatch_access(&d, &h, a, &res);
	if (res.region)
		fuzz_touch_state(c, res.region->dev);
	TRACE("%s %s %#llx/%u x%u = %#llx%s\n", a->space == BUS_PIO ? "pio" : "mmio",
	      a->is_write ? "write" : "read", (unsigned long long)a->addr, a->size, a->count,
	      (unsigned long long)(a->data[0] | a->data[1] << 8 | a->data[2] << 16 |
				   (uint64_t)a->data[3] << 24),
	      res.err ? " (error)" : "");
}

static void fuzz_io(struct fuzz_ctx *c)
{
	static const uint8_t sizes[4] = { 1, 2, 4, 4 };
	uint8_t buf[256 * 4];
	uint8_t sel = op_u8(c), flags = op_u8(c);
	uint32_t size = sizes[flags & 3], count = 1;
	bool wr = flags & FUZZ_IO_WRITE;
	uint16_t port;
	size_t len;

	if (sel == FUZZ_SEL_RAW || !c->t->nports)
		port = (uint16_t)op_uN(c, 2);
	else
		port = c->t->ports[sel % c->t->nports];
	if (flags & FUZZ_IO_REP)
		count = (uint32_t)op_u8(c) + 1;
	len = (size_t)size * count;
	if (wr)
		for (size_t i = 0; i < len; i++)
			buf[i] = op_u8(c);
	else
		memset(buf, 0, len < 4 ? 4 : len);
	{
		struct dispatch_access a = {
			.space = BUS_PIO, .addr = port, .size = size, .count = count,
			.is_write = wr, .data = buf,
		};

		if (wr && len < 4)
			memset(buf + len, 0, 4 - len); /* for the trace line only */
		fuzz_dispatch(c, &a);
	}
}

static void fuzz_mmio(struct fuzz_ctx *c)
{
	static const uint8_t sizes[4] = { 1, 2, 4, 8 };
	uint8_t buf[8] = { 0 };
	uint8_t sel = op_u8(c), flags = op_u8(c);
	uint32_t size = sizes[flags & 3];
	bool wr = flags & FUZZ_IO_WRITE;
	uint64_t gpa;

	if (sel == FUZZ_SEL_RAW || !c->t->nmmio)
		gpa = op_uN(c, 4);
	else
		gpa = c->t->mmio[sel % c->t->nmmio];
	if (wr)
		for (uint32_t i = 0; i < size; i++)
			buf[i] = op_u8(c);
	{
		struct dispatch_access a = {
			.space = BUS_MMIO, .addr = gpa, .size = size, .count = 1,
			.is_write = wr, .data = buf,
		};

		fuzz_dispatch(c, &a);
	}
}

static void fuzz_poke(struct fuzz_ctx *c)
{
	uint32_t gpa = op_uN(c, 4) % FUZZ_RAM;
	size_t len = (size_t)op_u8(c) + 1;

	if (len > FUZZ_RAM - gpa)
		len = FUZZ_RAM - gpa;
	for (size_t i = 0; i < len; i++)
		fuzz_ram[gpa + i] = op_u8(c);
	fuzz_dirty(gpa, len);
}

/*
 * Complete pending request i as recorder/iothread.c does: carry it out (a
 * read's data from the answers, a write's read in full), then deliver
 * board_blk_complete() with the status.  The device must still know the
 * tag: its buffer is the device's until this call.
 */
static void fuzz_done(struct fuzz_ctx *c, unsigned i)
{
	struct fuzz_pending f = fuzz_pend[i];
	struct host h = fuzz_host(c);
	size_t len = (size_t)f.r.nsectors * SECTOR_SIZE;
	int status, rc;

	memmove(&fuzz_pend[i], &fuzz_pend[i + 1], (c->npending - i - 1) * sizeof(fuzz_pend[0]));
	c->npending--;
	status = fh_check(c, &f.r);
	if (!status)
		status = fh_status(c);
	if (!status && f.r.op == BLK_OP_READ && len)
		fh_fill(c, f.buf, len);
	else if (!status && f.r.op == BLK_OP_WRITE && len)
		fh_sink(f.buf, len);
	fuzz_touch_name(c, f.r.device);
	rc = board_blk_complete(c->b, &h, f.r.device, f.tag, status);
	TRACE("blk_done %s tag %llu status %d -> %d (%u in flight)\n", f.r.device,
	      (unsigned long long)f.tag, status, rc, c->npending);
	if (rc == -ENOENT || rc == -ENODEV) {
		fprintf(stderr, "fuzz: %s: completion of tag %llu it submitted: %s\n",
			f.r.device, (unsigned long long)f.tag, strerror(-rc));
		abort();
	}
	c->last_done_tag = f.tag;
}

/* DONE op: complete a pending request, or deliver a completion nobody
 * asked for (a duplicate tag, or a device without requests). */
static void fuzz_done_op(struct fuzz_ctx *c)
{
	uint8_t sel = op_u8(c);

	if (sel == FUZZ_SEL_RAW) {
		struct host h = fuzz_host(c);
		unsigned k = op_u8(c) % (unsigned)(c->ndisks + 1);
		const char *dev = k < (unsigned)c->ndisks ? c->b->disk_dev[k] : BOARD_CONSOLE;
		int status = fh_status(c), rc;

		fuzz_touch_name(c, dev);
		rc = board_blk_complete(c->b, &h, dev, c->last_done_tag, status);
		TRACE("blk_done %s tag %llu (not in flight) status %d -> %d\n", dev,
		      (unsigned long long)c->last_done_tag, status, rc);
		return;
	}
	if (c->npending)
		fuzz_done(c, sel % c->npending);
}

/* One board per target and process (building it per input costs most of
 * the time); NULL first when the target changes. */
static struct board *fuzz_board(const struct fuzz_target *t)
{
	static const struct fuzz_target *built;
	static struct board b;
	int rc;

	if (built == t)
		return &b;
	if (built)
		board_destroy(&b);
	built = NULL;
	rc = board_create(&b, &t->cfg);
	if (rc) {
		fprintf(stderr, "fuzz: board_create: %s\n", strerror(-rc));
		abort();
	}
	built = t;
	fuzz_dirty_devs = 0;
	return &b;
}

/*
 * board_reset(), for the devices that need it: those an access or event
 * reached since their last reset (the others are in their power-on state
 * already, and a reset is one).  Each device gets the reset board_reset()
 * gives it.  Resetting all of them cost a third of an execution (the PCI
 * headers are rebuilt, the CMOS preset), at every input and at every RESET
 * op, which random inputs hold many of.
 */
static void fuzz_reset_dirty(struct board *b)
{
	for (int i = 0; fuzz_dirty_devs && i < b->ndevs; i++)
		if ((fuzz_dirty_devs & (1u << i)) && b->devs[i].reset)
			b->devs[i].reset(b->devs[i].state);
	fuzz_dirty_devs = 0;
}

int fuzz_run(const struct fuzz_target *t, const uint8_t *data, size_t size)
{
	static struct fuzz_ctx c;
	static struct uart *com1;
	static unsigned com1_idx;
	static const struct fuzz_target *com1_t; /* the board com1 was found on */
	struct host h;

	if (!fuzz_ram && !(fuzz_ram = calloc(1, FUZZ_RAM)))
		abort();
	if (fuzz_trace < 0)
		fuzz_trace = getenv("FUZZ_TRACE") && atoi(getenv("FUZZ_TRACE")) > 0;
	memset(&c, 0, sizeof(c));
	c.t = t;
	c.p = data;
	c.op_off = c.ans_start = c.ans_end = size;
	if (size >= 2) { /* the header: how many bytes at the end are answers */
		size_t a = (size_t)data[0] | (size_t)data[1] << 8;

		c.op_off = 2;
		c.ans_start = a < size - 2 ? size - a : 2;
	}
	c.ram_bytes = t->cfg.ram_bytes ? t->cfg.ram_bytes : FUZZ_RAM;
	c.nops = t->nmmio || t->async ? FUZZ_NOPS_ALL : FUZZ_NOPS_PIO;
	c.ndisks = t->cfg.ndisks;
	for (int i = 0; i < t->cfg.ndisks; i++)
		c.sectors[i] = t->cfg.disks[i].sectors;
	c.b = fuzz_board(t);
	fuzz_reset_dirty(c.b);
	if (com1_t != t) {
		const struct board_dev *d = board_find(c.b, BOARD_CONSOLE);

		com1 = d ? d->state : NULL;
		com1_idx = d ? (unsigned)(d - c.b->devs) : 0;
		com1_t = t;
	}
	h = fuzz_host(&c);
	while (c.op_off < c.ans_start) {
		switch (op_u8(&c) % c.nops) {
		case FUZZ_OP_IO:
			fuzz_io(&c);
			break;
		case FUZZ_OP_POKE:
			fuzz_poke(&c);
			break;
		case FUZZ_OP_RESET:
			fuzz_reset_dirty(c.b);
			break;
		case FUZZ_OP_TIME:
			c.now += (uint64_t)op_uN(&c, 2) * 1000;
			break;
		case FUZZ_OP_RX:
			if (com1) {
				fuzz_dirty_devs |= 1u << com1_idx;
				uart_receive(com1, &h, op_u8(&c));
			}
			break;
		case FUZZ_OP_MMIO:
			fuzz_mmio(&c);
			break;
		case FUZZ_OP_DONE:
			fuzz_done_op(&c);
			break;
		}
	}
	/* the recorder delivers what is still in flight after the last exit */
	while (c.npending)
		fuzz_done(&c, 0);
	for (unsigned i = 0; i < fuzz_ndirty; i++) {
		memset(fuzz_ram + (size_t)fuzz_dirty_list[i] * 4096, 0, 4096);
		fuzz_dirty_flag[fuzz_dirty_list[i]] = 0;
	}
	fuzz_ndirty = 0;
	return 0;
}

#ifdef __clang__
#pragma clang attribute pop
#endif
