/*
 * vblk_driver.c - the Linux virtio_blk driver model of the queue-depth unit
 * tests (see vblk_driver.h).  Test-only code.
 */
#include <string.h>

#include "tests/unit/vblk_driver.h"

static struct vdrv *the_fixture; /* for the dma_write wrapper */

static void st(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t ld(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int wrap_dma_write(void *ctx, const char *device, uint64_t gpa,
			  const void *buf, size_t len)
{
	struct vdrv *f = the_fixture;
	int rc = fakehost_host(f->fh)->ops->dma_write(ctx, device, gpa, buf, len);

	if (f->other && gpa == USED(f->other_dev) + 2u) {
		void (*fn)(struct vdrv *, int) = f->other;

		f->other = NULL;
		fn(f, f->other_dev);
	}
	return rc;
}

int vdrv_setup(void **state)
{
	struct vdrv *f = test_calloc(1, sizeof(*f));

	f->fh = fakehost_create(SECTORS, RAM_BYTES);
	assert_non_null(f->fh);
	assert_int_equal(fakehost_add_disk(f->fh, SECTORS), 1);
	fakehost_disk_pattern(f->fh, 0);
	fakehost_disk_pattern(f->fh, 1);
	f->ops = *fakehost_host(f->fh)->ops;
	f->ops.dma_write = wrap_dma_write;
	f->host.ops = &f->ops;
	f->host.ctx = fakehost_host(f->fh)->ctx;
	f->ram = fakehost_ram(f->fh);
	the_fixture = f;
	*state = f;
	return 0;
}

int vdrv_teardown(void **state)
{
	struct vdrv *f = *state;

	for (int i = 0; i < f->ndev; i++)
		virtio_blk_destroy(f->d[i].vb);
	fakehost_destroy(f->fh);
	test_free(f);
	the_fixture = NULL;
	return 0;
}

void vdrv_io_wr(struct vdrv *f, int d, unsigned off, uint32_t v, unsigned len)
{
	uint8_t b[4];

	st(b, v, 4);
	assert_int_equal(virtio_blk_io(f->d[d].vb, &f->host, off, b, len, true), 0);
}

uint8_t vdrv_isr_read(struct vdrv *f, int d)
{
	uint8_t b = 0xff;

	assert_int_equal(virtio_blk_io(f->d[d].vb, &f->host, R_ISR, &b, 1, false), 0);
	return b;
}

/* A device named vblk<d> on disk d, line irq, brought up like virtio_pci_legacy. */
void vdrv_add_dev(struct vdrv *f, int irq)
{
	static const char *names[MAXDEV] = { "vblk0", "vblk1" };
	int d = f->ndev++;

	f->d[d].vb = virtio_blk_create(names[d], d, SECTORS, irq);
	assert_non_null(f->d[d].vb);
	f->d[d].irq = irq;
	vdrv_io_wr(f, d, R_STATUS, 0, 1);
	vdrv_io_wr(f, d, R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	vdrv_io_wr(f, d, R_GUESTF, (1u << 1) | (1u << 2) | (1u << 9), 4);
	vdrv_io_wr(f, d, R_PFN, RING(d) / 4096u, 4);
	vdrv_io_wr(f, d, R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		  VIRTIO_STATUS_DRIVER_OK, 1);
}

static uint8_t pattern(int d, uint32_t sector, unsigned i)
{
	return (uint8_t)(0x5a ^ d ^ (sector * 13) ^ i ^ (i >> 8));
}

/* virtblk_add_req: a 4 KiB read or write of `sector` with tag t (descriptors 3t..3t+2). */
void vdrv_add(struct vdrv *f, int d, unsigned t, bool write, uint32_t sector)
{
	struct vdrv_dev *v = &f->d[d];
	uint8_t *desc = f->ram + DESC(d) + 48u * t;
	uint8_t *hdr = f->ram + HDR(d, t);

	assert_false(v->busy[t]);
	v->busy[t] = true;
	v->op[t] = write;
	v->sector[t] = sector;
	st(hdr, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, 4);
	st(hdr + 4, 0, 4);
	st(hdr + 8, sector, 8);
	hdr[16] = 0xee; /* status, overwritten by the device */
	for (unsigned i = 0; i < 4096; i++)
		f->ram[DATA(d, t) + i] = write ? pattern(d, sector, i) : 0xcc;
	st(desc, HDR(d, t), 8);
	st(desc + 8, 16, 4);
	st(desc + 12, VIRTQ_DESC_F_NEXT, 2);
	st(desc + 14, 3 * t + 1, 2);
	st(desc + 16, DATA(d, t), 8);
	st(desc + 24, 4096, 4);
	st(desc + 28, VIRTQ_DESC_F_NEXT | (write ? 0 : VIRTQ_DESC_F_WRITE), 2);
	st(desc + 30, 3 * t + 2, 2);
	st(desc + 32, HDR(d, t) + 16u, 8);
	st(desc + 40, 1, 4);
	st(desc + 44, VIRTQ_DESC_F_WRITE, 2);
	st(desc + 46, 0, 2);
	st(f->ram + AVAIL(d) + 4 + 2u * (v->avail_idx % QSZ), 3 * t, 2);
	v->avail_idx++;
	st(f->ram + AVAIL(d) + 2, v->avail_idx, 2); /* virtio_wmb, then idx */
}

/* virtqueue_kick: kick_prepare (used->flags NO_NOTIFY?) then the notify write. */
void vdrv_kick(struct vdrv *f, int d)
{
	if (!(ld(f->ram + USED(d), 2) & 1))
		vdrv_io_wr(f, d, R_NOTIFY, 0, 2);
}

uint16_t vdrv_used_idx(struct vdrv *f, int d)
{
	return (uint16_t)ld(f->ram + USED(d) + 2, 2);
}

void vdrv_disable_cb(struct vdrv *f, int d)
{
	f->d[d].cb_disabled = true;
	st(f->ram + AVAIL(d), VIRTQ_AVAIL_F_NO_INTERRUPT, 2);
}

/* virtqueue_enable_cb: flags = 0, then true when nothing more is used. */
bool vdrv_enable_cb(struct vdrv *f, int d)
{
	f->d[d].cb_disabled = false;
	st(f->ram + AVAIL(d), 0, 2);
	return vdrv_used_idx(f, d) == f->d[d].last_used;
}

/* virtqueue_get_buf + the request's completion (data checked). -1: none. */
int vdrv_get_buf(struct vdrv *f, int d)
{
	struct vdrv_dev *v = &f->d[d];
	const uint8_t *e;
	unsigned t;
	const uint8_t *disk = fakehost_disk(f->fh, d);

	if (vdrv_used_idx(f, d) == v->last_used)
		return -1;
	e = f->ram + USED(d) + 4 + 8u * (v->last_used % QSZ);
	v->last_used++;
	assert_int_equal(ld(e, 4) % 3, 0);
	t = (unsigned)ld(e, 4) / 3;
	assert_true(t < NTAGS);
	assert_true(v->busy[t]);
	assert_int_equal(f->ram[HDR(d, t) + 16], VIRTIO_BLK_S_OK);
	assert_int_equal(ld(e + 4, 4), v->op[t] ? 1 : 4097);
	assert_memory_equal(f->ram + DATA(d, t), disk + 512u * v->sector[t], 4096);
	if (v->op[t])
		assert_int_equal(disk[512u * v->sector[t] + 7], pattern(d, v->sector[t], 7));
	v->busy[t] = false;
	v->completed++;
	return (int)t;
}

/* virtblk_done; `each` runs after every completion (the completion path). */
void vdrv_done(struct vdrv *f, int d, vdrv_each_fn *each)
{
	int t;

	do {
		vdrv_disable_cb(f, d);
		while ((t = vdrv_get_buf(f, d)) >= 0)
			if (each)
				each(f, d, t);
	} while (!vdrv_enable_cb(f, d));
}

/* Update the edge latches from the irq history; true if line has an edge
 * latched or is high (what a PIC in edge or level mode would deliver). */
bool vdrv_line_pending(struct vdrv *f, int line)
{
	size_t n = fakehost_nirqs(f->fh);
	int level[64] = { 0 };

	for (size_t i = 0; i < f->irq_seen; i++)
		level[fakehost_irq(f->fh, i)->line] = fakehost_irq(f->fh, i)->level;
	for (size_t i = f->irq_seen; i < n; i++) {
		const struct fakehost_irq *q = fakehost_irq(f->fh, i);

		if (q->level && !level[q->line])
			f->latched[q->line] = true;
		level[q->line] = q->level;
	}
	f->irq_seen = n;
	return f->latched[line] || fakehost_irq_level(f->fh, line);
}

/* The CPU takes the interrupt of `line`: vp_interrupt of every device on it. */
void vdrv_interrupt(struct vdrv *f, int line, vdrv_each_fn *each)
{
	f->latched[line] = false; /* INTA */
	for (int d = 0; d < f->ndev; d++) {
		if (f->d[d].irq != line)
			continue;
		if (!vdrv_isr_read(f, d))
			continue;                   /* IRQ_NONE */
		if (vdrv_used_idx(f, d) == f->d[d].last_used)
			continue;                   /* vring_interrupt: no work */
		f->d[d].irqs_handled++;
		vdrv_done(f, d, each);
	}
}

/* Deliver interrupts until no line has one pending. */
void vdrv_run_irqs(struct vdrv *f, vdrv_each_fn *each)
{
	bool again = true;

	while (again) {
		again = false;
		for (int d = 0; d < f->ndev; d++)
			if (vdrv_line_pending(f, f->d[d].irq)) {
				vdrv_interrupt(f, f->d[d].irq, each);
				again = true;
			}
	}
}

unsigned vdrv_inflight(struct vdrv *f, int d)
{
	unsigned n = 0;

	for (unsigned t = 0; t < NTAGS; t++)
		n += f->d[d].busy[t];
	return n;
}

/* 16 requests (writes to even tags, reads to odd), one notify. */
void vdrv_add16(struct vdrv *f, int d, unsigned tag0, uint32_t sector0)
{
	for (unsigned i = 0; i < 16; i++)
		vdrv_add(f, d, tag0 + i, i % 2 == 0, sector0 + 8u * i);
}
