/*
 * fakehost.c - the fake host interface for unit tests (see fakehost.h).
 * Test-only code: it allocates freely and aborts on out-of-memory in the
 * logs, which a test cannot meaningfully survive anyway.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fakehost.h"

struct fakehost_disk {
	uint8_t *data;
	uint64_t sectors;
};

struct fakehost {
	struct host host;
	struct fakehost_disk disks[FAKEHOST_MAX_DISKS];
	int ndisks;
	int fail_next;

	uint8_t *ram;
	size_t ram_size;

	struct fakehost_req *reqs;
	size_t nreqs, capreqs;
	struct fakehost_dma *dmas;
	size_t ndmas, capdmas;
	struct fakehost_irq *irqs;
	size_t nirqs, capirqs;
	int levels[FAKEHOST_MAX_LINES];
	uint8_t *cons;
	size_t ncons, capcons;
	uint8_t *input;
	size_t ninput, capinput, input_pos;
	int *events;
	size_t nevents, capevents;
	uint64_t now;
};

/* Grow *arr (of elements `size`) so that one more fits. */
static void *fakehost_grow(void *arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 16;
	arr = realloc(arr, *cap * size);
	if (!arr) {
		fprintf(stderr, "fakehost: out of memory\n");
		abort();
	}
	return arr;
}

/* ---- host_ops ---- */

static uint64_t fh_now_ns(void *ctx)
{
	return ((struct fakehost *)ctx)->now;
}

static int fh_blk(struct fakehost *fh, const struct blk_req *r, void *rbuf,
		  const void *wbuf)
{
	struct fakehost_req *q;
	struct fakehost_disk *d = NULL;
	int rc = 0;

	if (r->disk >= 0 && r->disk < fh->ndisks)
		d = &fh->disks[r->disk];
	if (fh->fail_next) {
		rc = fh->fail_next;
		fh->fail_next = 0;
	} else if (!d) {
		rc = -ENODEV;
	} else if (r->op != BLK_OP_FLUSH &&
		   (r->sector > d->sectors || r->nsectors > d->sectors - r->sector)) {
		rc = -EINVAL;
	} else if (r->op == BLK_OP_READ) {
		memcpy(rbuf, d->data + r->sector * SECTOR_SIZE,
		       (size_t)r->nsectors * SECTOR_SIZE);
	} else if (r->op == BLK_OP_WRITE) {
		memcpy(d->data + r->sector * SECTOR_SIZE, wbuf,
		       (size_t)r->nsectors * SECTOR_SIZE);
	}
	fh->reqs = fakehost_grow(fh->reqs, &fh->capreqs, fh->nreqs, sizeof(*q));
	q = &fh->reqs[fh->nreqs++];
	*q = (struct fakehost_req){
		.op = r->op,
		.disk = r->disk,
		.device = r->device,
		.sector = r->sector,
		.nsectors = r->nsectors,
		.rc = rc,
	};
	return rc;
}

static int fh_blk_read(void *ctx, const struct blk_req *r, void *buf)
{
	return fh_blk(ctx, r, buf, NULL);
}

static int fh_blk_write(void *ctx, const struct blk_req *r, const void *buf)
{
	return fh_blk(ctx, r, NULL, buf);
}

static int fh_blk_flush(void *ctx, const struct blk_req *r)
{
	return fh_blk(ctx, r, NULL, NULL);
}

static int fh_dma(struct fakehost *fh, const char *dev, uint64_t gpa,
		  void *rbuf, const void *wbuf, size_t len)
{
	struct fakehost_dma *d;
	int rc = 0;

	if (gpa > fh->ram_size || len > fh->ram_size - gpa)
		rc = -EFAULT;
	else if (len && rbuf)
		memcpy(rbuf, fh->ram + gpa, len);
	else if (len && wbuf)
		memcpy(fh->ram + gpa, wbuf, len);
	fh->dmas = fakehost_grow(fh->dmas, &fh->capdmas, fh->ndmas, sizeof(*d));
	d = &fh->dmas[fh->ndmas++];
	*d = (struct fakehost_dma){
		.device = dev,
		.gpa = gpa,
		.len = len,
		.is_write = wbuf != NULL,
		.rc = rc,
	};
	return rc;
}

static int fh_dma_read(void *ctx, const char *dev, uint64_t gpa, void *buf,
		       size_t len)
{
	return fh_dma(ctx, dev, gpa, buf, NULL, len);
}

static int fh_dma_write(void *ctx, const char *dev, uint64_t gpa,
			const void *buf, size_t len)
{
	return fh_dma(ctx, dev, gpa, NULL, buf, len);
}

static void fh_irq_set(void *ctx, int line, int level)
{
	struct fakehost *fh = ctx;

	fh->irqs = fakehost_grow(fh->irqs, &fh->capirqs, fh->nirqs,
				 sizeof(*fh->irqs));
	fh->irqs[fh->nirqs++] = (struct fakehost_irq){ line, level };
	if (line >= 0 && line < FAKEHOST_MAX_LINES)
		fh->levels[line] = level;
}

static void fh_console_out(void *ctx, uint8_t byte)
{
	struct fakehost *fh = ctx;

	fh->cons = fakehost_grow(fh->cons, &fh->capcons, fh->ncons, 1);
	fh->cons[fh->ncons++] = byte;
}

static int fh_console_in(void *ctx, uint8_t *byte)
{
	struct fakehost *fh = ctx;

	if (fh->input_pos >= fh->ninput)
		return 0;
	*byte = fh->input[fh->input_pos++];
	return 1;
}

static void fh_system_event(void *ctx, int event)
{
	struct fakehost *fh = ctx;

	fh->events = fakehost_grow(fh->events, &fh->capevents, fh->nevents,
				   sizeof(*fh->events));
	fh->events[fh->nevents++] = event;
}

static const struct host_ops fakehost_ops = {
	.now_ns = fh_now_ns,
	.blk_read = fh_blk_read,
	.blk_write = fh_blk_write,
	.blk_flush = fh_blk_flush,
	.dma_read = fh_dma_read,
	.dma_write = fh_dma_write,
	.irq_set = fh_irq_set,
	.console_out = fh_console_out,
	.console_in = fh_console_in,
	.system_event = fh_system_event,
};

/* ---- setup ---- */

struct fakehost *fakehost_create(uint64_t disk_sectors, size_t ram_bytes)
{
	struct fakehost *fh = calloc(1, sizeof(*fh));

	if (!fh)
		return NULL;
	fh->host.ops = &fakehost_ops;
	fh->host.ctx = fh;
	if (ram_bytes) {
		fh->ram = calloc(1, ram_bytes);
		if (!fh->ram)
			goto fail;
		fh->ram_size = ram_bytes;
	}
	if (disk_sectors && fakehost_add_disk(fh, disk_sectors) < 0)
		goto fail;
	return fh;
fail:
	fakehost_destroy(fh);
	return NULL;
}

void fakehost_destroy(struct fakehost *fh)
{
	if (!fh)
		return;
	for (int i = 0; i < fh->ndisks; i++)
		free(fh->disks[i].data);
	free(fh->ram);
	free(fh->reqs);
	free(fh->dmas);
	free(fh->irqs);
	free(fh->cons);
	free(fh->input);
	free(fh->events);
	free(fh);
}

const struct host *fakehost_host(struct fakehost *fh)
{
	return &fh->host;
}

int fakehost_add_disk(struct fakehost *fh, uint64_t sectors)
{
	struct fakehost_disk *d;

	if (fh->ndisks >= FAKEHOST_MAX_DISKS)
		return -E2BIG;
	d = &fh->disks[fh->ndisks];
	d->data = calloc(sectors ? sectors : 1, SECTOR_SIZE);
	if (!d->data)
		return -ENOMEM;
	d->sectors = sectors;
	return fh->ndisks++;
}

uint8_t *fakehost_disk(struct fakehost *fh, int disk)
{
	return disk >= 0 && disk < fh->ndisks ? fh->disks[disk].data : NULL;
}

uint64_t fakehost_disk_sectors(const struct fakehost *fh, int disk)
{
	return disk >= 0 && disk < fh->ndisks ? fh->disks[disk].sectors : 0;
}

void fakehost_disk_pattern(struct fakehost *fh, int disk)
{
	uint8_t *p = fakehost_disk(fh, disk);
	uint64_t n = fakehost_disk_sectors(fh, disk) * SECTOR_SIZE;

	for (uint64_t i = 0; p && i < n; i++)
		p[i] = (uint8_t)(i * 7 + i / SECTOR_SIZE);
}

void fakehost_fail_next(struct fakehost *fh, int err)
{
	fh->fail_next = err;
}

/* ---- accessors ---- */

size_t fakehost_nreqs(const struct fakehost *fh)
{
	return fh->nreqs;
}

const struct fakehost_req *fakehost_req(const struct fakehost *fh, size_t i)
{
	return i < fh->nreqs ? &fh->reqs[i] : NULL;
}

size_t fakehost_count_op(const struct fakehost *fh, enum blk_op op)
{
	size_t n = 0;

	for (size_t i = 0; i < fh->nreqs; i++)
		n += fh->reqs[i].op == op;
	return n;
}

uint8_t *fakehost_ram(struct fakehost *fh)
{
	return fh->ram;
}

size_t fakehost_ram_size(const struct fakehost *fh)
{
	return fh->ram_size;
}

size_t fakehost_ndma(const struct fakehost *fh)
{
	return fh->ndmas;
}

const struct fakehost_dma *fakehost_dma(const struct fakehost *fh, size_t i)
{
	return i < fh->ndmas ? &fh->dmas[i] : NULL;
}

size_t fakehost_nirqs(const struct fakehost *fh)
{
	return fh->nirqs;
}

const struct fakehost_irq *fakehost_irq(const struct fakehost *fh, size_t i)
{
	return i < fh->nirqs ? &fh->irqs[i] : NULL;
}

int fakehost_irq_level(const struct fakehost *fh, int line)
{
	return line >= 0 && line < FAKEHOST_MAX_LINES ? fh->levels[line] : 0;
}

const uint8_t *fakehost_console(const struct fakehost *fh, size_t *len)
{
	if (len)
		*len = fh->ncons;
	return fh->cons ? fh->cons : (const uint8_t *)"";
}

void fakehost_console_feed(struct fakehost *fh, const void *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fh->input = fakehost_grow(fh->input, &fh->capinput, fh->ninput, 1);
		fh->input[fh->ninput++] = ((const uint8_t *)bytes)[i];
	}
}

size_t fakehost_nevents(const struct fakehost *fh)
{
	return fh->nevents;
}

int fakehost_event(const struct fakehost *fh, size_t i)
{
	return i < fh->nevents ? fh->events[i] : 0;
}

void fakehost_set_now(struct fakehost *fh, uint64_t ns)
{
	fh->now = ns;
}

void fakehost_reset_log(struct fakehost *fh)
{
	fh->nreqs = 0;
	fh->ndmas = 0;
	fh->nirqs = 0;
	fh->ncons = 0;
	fh->nevents = 0;
}
