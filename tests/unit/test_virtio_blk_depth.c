/*
 * test_virtio_blk_depth.c - devices/virtio_blk.c + virtq.c with many
 * requests in flight, driven the way Linux 6.1's virtio_blk + virtio_ring
 * drive a legacy virtio-pci device (issue 18):
 *   - virtio_queue_rq / virtio_queue_rqs: add chains to the available ring,
 *     virtqueue_kick_prepare (no EVENT_IDX: kick unless used->flags has
 *     VRING_USED_F_NO_NOTIFY), one notify for a batch;
 *   - vp_interrupt: read the ISR (read-to-clear); 0 means "not us";
 *   - vring_interrupt -> virtblk_done: do { virtqueue_disable_cb (avail
 *     flags = NO_INTERRUPT); virtqueue_get_buf until empty } while
 *     (!virtqueue_enable_cb) (flags = 0, then "more used?").
 * A second vCPU running the driver while the device serves a notify (the
 * recorder calls the device on the notifying vCPU's thread; the others keep
 * running) is modelled by a host wrapper that runs driver code right after
 * the device publishes a used index.
 * Every request's data is checked (reads against the disk, writes on it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/virtio_blk.h"
#include "devices/virtq.h"
#include "tests/unit/fakehost.h"

#define SECTORS 4096u
#define RAM_BYTES (2u << 20)
#define QSZ VIRTIO_BLK_QUEUE_SIZE
#define NTAGS 64u                         /* requests per disk; 3 descriptors each */
#define RING(d) (0x10000u + 0x10000u * (d)) /* pfn-aligned */
#define DESC(d) RING(d)
#define AVAIL(d) (RING(d) + 16u * QSZ)
#define USED(d) (RING(d) + 0x2000u)
#define HDR(d, t) (0x80000u + 0x10000u * (d) + 32u * (t))  /* 16 hdr + status at +16 */
#define DATA(d, t) (0x100000u + 0x40000u * (d) + 0x1000u * (t))
#define MAXDEV 2

enum { R_GUESTF = 0x04, R_PFN = 0x08, R_NOTIFY = 0x10, R_STATUS = 0x12, R_ISR = 0x13 };

struct dev {
	struct virtio_blk *vb;
	int irq;
	uint16_t avail_idx, last_used;
	bool cb_disabled;
	bool busy[NTAGS];
	uint8_t op[NTAGS];
	uint32_t sector[NTAGS];
	unsigned completed, irqs_handled;
};

struct fixture {
	struct fakehost *fh;
	struct host_ops ops;    /* fakehost's, with dma_write wrapped */
	struct host host;
	uint8_t *ram;
	struct dev d[MAXDEV];
	int ndev;
	size_t irq_seen;        /* fakehost irq log entries looked at */
	bool latched[64];       /* edge-triggered PIC: an IRR bit per line */
	/* "another vCPU": run once, right after device `other_dev` publishes a used index */
	void (*other)(struct fixture *f, int d);
	int other_dev;
};

static struct fixture *the_fixture; /* for the dma_write wrapper */

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
	struct fixture *f = the_fixture;
	int rc = fakehost_host(f->fh)->ops->dma_write(ctx, device, gpa, buf, len);

	if (f->other && gpa == USED(f->other_dev) + 2u) {
		void (*fn)(struct fixture *, int) = f->other;

		f->other = NULL;
		fn(f, f->other_dev);
	}
	return rc;
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

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

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < f->ndev; i++)
		virtio_blk_destroy(f->d[i].vb);
	fakehost_destroy(f->fh);
	test_free(f);
	the_fixture = NULL;
	return 0;
}

static void io_wr(struct fixture *f, int d, unsigned off, uint32_t v, unsigned len)
{
	uint8_t b[4];

	st(b, v, 4);
	assert_int_equal(virtio_blk_io(f->d[d].vb, &f->host, off, b, len, true), 0);
}

static uint8_t isr_read(struct fixture *f, int d)
{
	uint8_t b = 0xff;

	assert_int_equal(virtio_blk_io(f->d[d].vb, &f->host, R_ISR, &b, 1, false), 0);
	return b;
}

/* A device named vblk<d> on disk d, line irq, brought up like virtio_pci_legacy. */
static void add_dev(struct fixture *f, int irq)
{
	static const char *names[MAXDEV] = { "vblk0", "vblk1" };
	int d = f->ndev++;

	f->d[d].vb = virtio_blk_create(names[d], d, SECTORS, irq);
	assert_non_null(f->d[d].vb);
	f->d[d].irq = irq;
	io_wr(f, d, R_STATUS, 0, 1);
	io_wr(f, d, R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	io_wr(f, d, R_GUESTF, (1u << 1) | (1u << 2) | (1u << 9), 4);
	io_wr(f, d, R_PFN, RING(d) / 4096u, 4);
	io_wr(f, d, R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		  VIRTIO_STATUS_DRIVER_OK, 1);
}

static uint8_t pattern(int d, uint32_t sector, unsigned i)
{
	return (uint8_t)(0x5a ^ d ^ (sector * 13) ^ i ^ (i >> 8));
}

/* virtblk_add_req: a 4 KiB read or write of `sector` with tag t (descriptors 3t..3t+2). */
static void drv_add(struct fixture *f, int d, unsigned t, bool write, uint32_t sector)
{
	struct dev *v = &f->d[d];
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
static void drv_kick(struct fixture *f, int d)
{
	if (!(ld(f->ram + USED(d), 2) & 1))
		io_wr(f, d, R_NOTIFY, 0, 2);
}

static uint16_t used_idx(struct fixture *f, int d)
{
	return (uint16_t)ld(f->ram + USED(d) + 2, 2);
}

static void drv_disable_cb(struct fixture *f, int d)
{
	f->d[d].cb_disabled = true;
	st(f->ram + AVAIL(d), VIRTQ_AVAIL_F_NO_INTERRUPT, 2);
}

/* virtqueue_enable_cb: flags = 0, then true when nothing more is used. */
static bool drv_enable_cb(struct fixture *f, int d)
{
	f->d[d].cb_disabled = false;
	st(f->ram + AVAIL(d), 0, 2);
	return used_idx(f, d) == f->d[d].last_used;
}

/* virtqueue_get_buf + the request's completion (data checked). -1: none. */
static int drv_get_buf(struct fixture *f, int d)
{
	struct dev *v = &f->d[d];
	const uint8_t *e;
	unsigned t;
	const uint8_t *disk = fakehost_disk(f->fh, d);

	if (used_idx(f, d) == v->last_used)
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
static void drv_done(struct fixture *f, int d, void (*each)(struct fixture *, int, int))
{
	int t;

	do {
		drv_disable_cb(f, d);
		while ((t = drv_get_buf(f, d)) >= 0)
			if (each)
				each(f, d, t);
	} while (!drv_enable_cb(f, d));
}

/* Update the edge latches from the irq history; true if line has an edge
 * latched or is high (what a PIC in edge or level mode would deliver). */
static bool line_pending(struct fixture *f, int line)
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
static void drv_interrupt(struct fixture *f, int line, void (*each)(struct fixture *, int, int))
{
	f->latched[line] = false; /* INTA */
	for (int d = 0; d < f->ndev; d++) {
		if (f->d[d].irq != line)
			continue;
		if (!isr_read(f, d))
			continue;                   /* IRQ_NONE */
		if (used_idx(f, d) == f->d[d].last_used)
			continue;                   /* vring_interrupt: no work */
		f->d[d].irqs_handled++;
		drv_done(f, d, each);
	}
}

/* Deliver interrupts until no line has one pending. */
static void drv_run_irqs(struct fixture *f, void (*each)(struct fixture *, int, int))
{
	bool again = true;

	while (again) {
		again = false;
		for (int d = 0; d < f->ndev; d++)
			if (line_pending(f, f->d[d].irq)) {
				drv_interrupt(f, f->d[d].irq, each);
				again = true;
			}
	}
}

static unsigned inflight(struct fixture *f, int d)
{
	unsigned n = 0;

	for (unsigned t = 0; t < NTAGS; t++)
		n += f->d[d].busy[t];
	return n;
}

/* 16 requests (writes to even tags, reads to odd), one notify. */
static void add16(struct fixture *f, int d, unsigned tag0, uint32_t sector0)
{
	for (unsigned i = 0; i < 16; i++)
		drv_add(f, d, tag0 + i, i % 2 == 0, sector0 + 8u * i);
}

static void test_virtio_blk_depth_sixteen_one_notify(void **state)
{
	struct fixture *f = *state;

	add_dev(f, 11);
	fakehost_reset_log(f->fh);
	add16(f, 0, 0, 64);
	drv_kick(f, 0);
	/* all 16 served by that notify, in ring order, one interrupt */
	assert_int_equal(fakehost_nreqs(f->fh), 16);
	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(fakehost_req(f->fh, i)->op, i % 2 ? BLK_OP_READ : BLK_OP_WRITE);
		assert_int_equal(fakehost_req(f->fh, i)->sector, 64 + 8 * i);
		assert_int_equal(fakehost_req(f->fh, i)->nsectors, 8);
	}
	assert_int_equal(used_idx(f, 0), 16);
	assert_int_equal(fakehost_nirqs(f->fh), 1);
	assert_int_equal(fakehost_irq(f->fh, 0)->level, 1);
	drv_run_irqs(f, NULL);
	assert_int_equal(f->d[0].completed, 16);
	assert_int_equal(f->d[0].irqs_handled, 1);
	assert_int_equal(inflight(f, 0), 0);
	assert_int_equal(fakehost_irq_level(f->fh, 11), 0);
	/* an ISR read with nothing pending: 0, line stays low */
	assert_int_equal(isr_read(f, 0), 0);
	assert_int_equal(fakehost_nirqs(f->fh), 2);
}

/* Completion path that queues the next request and kicks (a synchronous
 * resubmission, as a driver may do from its callback), up to `limit`. */
static unsigned resubmit_left;

static void resubmit(struct fixture *f, int d, int t)
{
	if (!resubmit_left)
		return;
	resubmit_left--;
	drv_add(f, d, (unsigned)t, resubmit_left % 3 == 0, 8u * (resubmit_left % 400));
	drv_kick(f, d);
}

static void test_virtio_blk_depth_kick_from_completion_path(void **state)
{
	struct fixture *f = *state;

	add_dev(f, 11);
	fakehost_reset_log(f->fh);
	add16(f, 0, 0, 0);
	drv_kick(f, 0);
	resubmit_left = 200;
	drv_run_irqs(f, resubmit);
	/* kicks made while callbacks were disabled were served without an
	 * interrupt (NO_INTERRUPT was set), and enable_cb found their used
	 * entries; nothing was left behind */
	assert_int_equal(resubmit_left, 0);
	assert_int_equal(f->d[0].completed, 216);
	assert_int_equal(inflight(f, 0), 0);
	assert_int_equal(f->d[0].irqs_handled, 1);
	assert_int_equal(fakehost_nreqs(f->fh), 216);
	assert_int_equal(fakehost_irq_level(f->fh, 11), 0);
}

static void test_virtio_blk_depth_no_interrupt_while_disabled(void **state)
{
	struct fixture *f = *state;

	add_dev(f, 11);
	fakehost_reset_log(f->fh);
	drv_disable_cb(f, 0);
	add16(f, 0, 0, 0);
	drv_kick(f, 0);
	assert_int_equal(used_idx(f, 0), 16);
	assert_int_equal(fakehost_nirqs(f->fh), 0);    /* suppressed */
	assert_false(drv_enable_cb(f, 0));             /* but the driver sees them */
	drv_done(f, 0, NULL);
	assert_int_equal(f->d[0].completed, 16);
	assert_int_equal(isr_read(f, 0), 0);
}

/* The other vCPU, in virtblk_done, drains what is used so far and
 * re-enables callbacks: enable_cb finds nothing more, so it now waits for
 * an interrupt for the rest of the chains the device is still serving. */
static void other_drains_and_enables(struct fixture *f, int d)
{
	while (drv_get_buf(f, d) >= 0)
		;
	assert_true(drv_enable_cb(f, d));
}

static void test_virtio_blk_depth_enable_cb_during_notify(void **state)
{
	struct fixture *f = *state;

	add_dev(f, 11);
	fakehost_reset_log(f->fh);
	drv_disable_cb(f, 0);          /* vCPU1 is in virtblk_done */
	add16(f, 0, 0, 0);             /* vCPU0 queues 16 and kicks */
	f->other = other_drains_and_enables;
	f->other_dev = 0;
	drv_kick(f, 0);
	assert_null(f->other);
	assert_int_equal(f->d[0].completed, 1);
	assert_int_equal(used_idx(f, 0), 16);
	/* 2.7.7.2: flags is judged after the used ring is written; it was 0
	 * by then, so the device must interrupt for the other 15 */
	assert_true(line_pending(f, 11));
	drv_run_irqs(f, NULL);
	assert_int_equal(f->d[0].completed, 16);
	assert_int_equal(inflight(f, 0), 0);
}

/* The other vCPU queues 4 more requests while the notify is served (and
 * its own kick waits for the device). */
static void other_adds(struct fixture *f, int d)
{
	for (unsigned i = 0; i < 4; i++)
		drv_add(f, d, 32 + i, false, 1000 + 8 * i);
}

static void test_virtio_blk_depth_chains_added_during_notify(void **state)
{
	struct fixture *f = *state;

	add_dev(f, 11);
	fakehost_reset_log(f->fh);
	add16(f, 0, 0, 0);
	f->other = other_adds;
	f->other_dev = 0;
	drv_kick(f, 0);
	/* the device looks at avail->idx again before it finishes */
	assert_int_equal(used_idx(f, 0), 20);
	assert_int_equal(fakehost_nreqs(f->fh), 20);
	assert_int_equal(fakehost_nirqs(f->fh), 1);
	drv_run_irqs(f, NULL);
	assert_int_equal(f->d[0].completed, 20);
	/* its kick, now late, finds nothing: no request, no interrupt */
	drv_kick(f, 0);
	assert_int_equal(fakehost_nreqs(f->fh), 20);
	assert_int_equal(fakehost_nirqs(f->fh), 2);
}

static void test_virtio_blk_depth_two_disks_busy(void **state)
{
	struct fixture *f = *state;

	add_dev(f, 11);
	add_dev(f, 10);
	fakehost_reset_log(f->fh);
	add16(f, 0, 0, 0);
	add16(f, 1, 0, 0);
	drv_kick(f, 0);
	drv_kick(f, 1);
	assert_int_equal(fakehost_irq_level(f->fh, 11), 1);
	assert_int_equal(fakehost_irq_level(f->fh, 10), 1);
	/* vblk1 first (IRQ 10 has priority on the slave PIC): vblk0's line stays up */
	drv_interrupt(f, 10, NULL);
	assert_int_equal(fakehost_irq_level(f->fh, 10), 0);
	assert_int_equal(fakehost_irq_level(f->fh, 11), 1);
	assert_int_equal(f->d[1].completed, 16);
	assert_int_equal(f->d[0].completed, 0);
	/* more on vblk1 while vblk0's interrupt is still pending */
	add16(f, 1, 16, 512);
	drv_kick(f, 1);
	drv_run_irqs(f, NULL);
	assert_int_equal(f->d[0].completed, 16);
	assert_int_equal(f->d[1].completed, 32);
	assert_int_equal(fakehost_irq_level(f->fh, 10), 0);
	assert_int_equal(fakehost_irq_level(f->fh, 11), 0);
	for (size_t i = 0; i < fakehost_nreqs(f->fh); i++)
		assert_string_equal(fakehost_req(f->fh, i)->device,
				    fakehost_req(f->fh, i)->disk ? "vblk1" : "vblk0");
}

/* fio-like: both disks, 16 in flight each.  Completions (in the interrupt)
 * free a slot; "process context" refills the free slots and kicks once per
 * round; every third round the other vCPU is inside virtblk_done
 * (callbacks off) while the notify is served, and re-enables callbacks
 * half-way through it. */
static unsigned fio_left[MAXDEV], fio_free[MAXDEV][NTAGS], fio_nfree[MAXDEV];

static void fio_complete(struct fixture *f, int d, int t)
{
	(void)f;
	fio_free[d][fio_nfree[d]++] = (unsigned)t;
}

static void fio_other(struct fixture *f, int d)
{
	int t;

	while ((t = drv_get_buf(f, d)) >= 0)
		fio_complete(f, d, t);
	if (!drv_enable_cb(f, d))
		f->d[d].cb_disabled = true; /* its loop goes round again (below) */
}

static void test_virtio_blk_depth_fio_like_two_disks(void **state)
{
	struct fixture *f = *state;
	unsigned round = 0, raced = 0;

	add_dev(f, 11);
	add_dev(f, 10);
	for (int d = 0; d < 2; d++) {
		fio_left[d] = 400;
		fio_nfree[d] = 0;
		for (unsigned t = 0; t < 16; t++)
			fio_free[d][fio_nfree[d]++] = t;
	}
	while (fio_left[0] || fio_left[1] || inflight(f, 0) || inflight(f, 1)) {
		assert_true(round++ < 10000);
		for (int d = 0; d < 2; d++) {
			uint16_t used0 = used_idx(f, d);
			bool armed = round % 3 == 0;

			while (fio_nfree[d] && fio_left[d]) {
				fio_left[d]--;
				drv_add(f, d, fio_free[d][--fio_nfree[d]], fio_left[d] % 5 < 3,
					8u * ((fio_left[d] * 37) % 500));
			}
			if (armed) {
				drv_disable_cb(f, d);
				f->other = fio_other;
				f->other_dev = d;
			}
			drv_kick(f, d);
			if (armed && !f->other && (uint16_t)(used_idx(f, d) - used0) > 1)
				raced++;
			if (f->other || f->d[d].cb_disabled) {
				f->other = NULL;
				drv_done(f, d, fio_complete);
			}
		}
		/* used entries the driver has not seen must have an interrupt
		 * coming, or the driver sleeps forever: the stall */
		for (int d = 0; d < 2; d++)
			if (used_idx(f, d) != f->d[d].last_used)
				assert_true(line_pending(f, f->d[d].irq));
		drv_run_irqs(f, fio_complete);
	}
	assert_int_equal(raced, 16);
	assert_int_equal(f->d[0].completed, 400);
	assert_int_equal(f->d[1].completed, 400);
	assert_int_equal(fakehost_nreqs(f->fh), 800);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_virtio_blk_depth_sixteen_one_notify),
		T(test_virtio_blk_depth_kick_from_completion_path),
		T(test_virtio_blk_depth_no_interrupt_while_disabled),
		T(test_virtio_blk_depth_enable_cb_during_notify),
		T(test_virtio_blk_depth_chains_added_during_notify),
		T(test_virtio_blk_depth_two_disks_busy),
		T(test_virtio_blk_depth_fio_like_two_disks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
