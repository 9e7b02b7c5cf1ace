/*
 * test_vblk_hostile.c - a hostile driver against virtio-blk on the modern
 * transport with an asynchronous host (requests in flight across
 * accesses, completed by the test the way the recorder's IO threads do):
 * completions after a device reset, after a reset and a new setup whose
 * heads collide with the old ones, on a device that needs a reset, a
 * completion whose status byte is outside RAM, a second queue_enable
 * while requests are in flight, and a driver that makes the same chain
 * available again and again without waiting (requests in flight are
 * bounded by the queue size; the rest waits for completions).  The e2e counterpart is
 * tests/e2e/t_hostile_smp.sh.  A fresh device per test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/virtio_pci_modern.h"
#include "devices/virtq.h"
#include "tests/unit/fakehost.h"

#define IRQ 11
#define SECTORS 2048u
#define RAM_BYTES (2u << 20)
#define QSZ 64u
#define DESC 0x10000u
#define AVAIL 0x11000u
#define USED 0x12000u
#define DESC2 0x13000u           /* the rings of a second setup */
#define AVAIL2 0x14000u
#define USED2 0x15000u
#define HDR 0x20000u
#define STATUS 0x20100u
#define DATA 0x30000u
#define OUTSIDE 0xf0000000u
#define MAXSUB 1100

/* A request the device handed to the host, not yet completed. */
struct sub {
	void *buf;
	uint64_t tag;
	uint64_t sector;
	uint32_t nsectors;
};

struct fixture {
	struct virtio_pci_modern *m;
	struct virtio_blk *vb;
	struct fakehost *fh;
	struct host_ops ops;     /* the fake host's, plus blk_submit */
	struct host h;
	uint8_t *ram;
	uint16_t avail_idx;
	uint64_t desc, avail, used;
	struct sub subs[MAXSUB];
	int nsubs;
};

static int fake_submit(void *ctx, const struct blk_req *r, void *buf, uint64_t tag);

static struct fixture *the;  /* for fake_submit (ctx is the fake host's) */

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	f->vb = virtio_blk_create("vblk0", 0, SECTORS, IRQ);
	assert_non_null(f->vb);
	f->m = vpci_modern_create(f->vb);
	f->fh = fakehost_create(SECTORS, RAM_BYTES);
	assert_non_null(f->m);
	assert_non_null(f->fh);
	f->ops = *fakehost_host(f->fh)->ops;
	f->ops.blk_submit = fake_submit;
	f->h.ops = &f->ops;
	f->h.ctx = fakehost_host(f->fh)->ctx;
	f->ram = fakehost_ram(f->fh);
	fakehost_disk_pattern(f->fh, 0);
	the = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vpci_modern_destroy(f->m);
	fakehost_destroy(f->fh);
	test_free(f);
	return 0;
}

static int fake_submit(void *ctx, const struct blk_req *r, void *buf, uint64_t tag)
{
	struct sub *s = &the->subs[the->nsubs++];

	(void)ctx;
	assert_true(the->nsubs <= MAXSUB);
	s->buf = buf;
	s->tag = tag;
	s->sector = r->sector;
	s->nsectors = r->nsectors;
	return 0;
}

static uint64_t ld(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void st(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int wr(struct fixture *f, unsigned off, uint64_t v, unsigned len)
{
	uint8_t b[8];

	st(b, v, 8);
	return vpci_modern_mmio(f->m, &f->h, off, b, len, true);
}

static uint64_t rd(struct fixture *f, unsigned off, unsigned len)
{
	uint8_t b[8] = { 0 };

	assert_int_equal(vpci_modern_mmio(f->m, &f->h, off, b, len, false), 0);
	return ld(b, len);
}

/* Reset, features, queue 0 on the rings at desc/avail/used, DRIVER_OK. */
static void driver_init(struct fixture *f, uint64_t desc, uint64_t avail, uint64_t used)
{
	assert_int_equal(wr(f, VPCI_STATUS, 0, 1), 0);
	assert_int_equal(wr(f, VPCI_STATUS, 3, 1), 0);
	assert_int_equal(wr(f, VPCI_GFSELECT, 1, 4), 0);
	assert_int_equal(wr(f, VPCI_GF, 1, 4), 0);          /* VERSION_1 */
	assert_int_equal(wr(f, VPCI_STATUS, 0x0b, 1), 0);
	assert_int_equal(wr(f, VPCI_Q_SELECT, 0, 2), 0);
	assert_int_equal(wr(f, VPCI_Q_SIZE, QSZ, 2), 0);
	assert_int_equal(wr(f, VPCI_Q_DESC, desc, 8), 0);
	assert_int_equal(wr(f, VPCI_Q_DRIVER, avail, 8), 0);
	assert_int_equal(wr(f, VPCI_Q_DEVICE, used, 8), 0);
	assert_int_equal(wr(f, VPCI_Q_ENABLE, 1, 2), 0);
	assert_int_equal(wr(f, VPCI_STATUS, 0x0f, 1), 0);
	f->desc = desc;
	f->avail = avail;
	f->used = used;
	f->avail_idx = 0;
	memset(f->ram + avail, 0, 0x1000);
	memset(f->ram + used, 0, 0x1000);
}

static void put_desc(struct fixture *f, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *d = f->ram + f->desc + 16u * i;

	st(d, addr, 8);
	st(d + 8, len, 4);
	st(d + 12, flags, 2);
	st(d + 14, next, 2);
}

/* Chain k (descriptors 3k..3k+2): a 1-sector read of `sector` into
 * DATA + 512k, status byte at `status` (0: STATUS + k); made available. */
static void add_read(struct fixture *f, unsigned k, uint64_t sector, uint64_t status)
{
	uint8_t *h = f->ram + HDR + 16u * k;

	if (!status)
		status = STATUS + k;
	st(h, VIRTIO_BLK_T_IN, 4);
	st(h + 8, sector, 8);
	if (status < RAM_BYTES)
		f->ram[status] = 0xee;
	memset(f->ram + DATA + 512u * k, 0x5a, 512);
	put_desc(f, 3 * k, HDR + 16u * k, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(3 * k + 1));
	put_desc(f, 3 * k + 1, DATA + 512u * k, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
		 (uint16_t)(3 * k + 2));
	put_desc(f, 3 * k + 2, status, 1, VIRTQ_DESC_F_WRITE, 0);
	st(f->ram + f->avail + 4 + 2u * (f->avail_idx % QSZ), 3 * k, 2);
	f->avail_idx++;
	st(f->ram + f->avail + 2, f->avail_idx, 2);
}

/* The host finishes submitted request i (its data from the disk) and
 * delivers it: what virtio_blk_complete() answers. */
static int complete(struct fixture *f, int i)
{
	struct sub *s = &f->subs[i];

	memcpy(s->buf, fakehost_disk(f->fh, 0) + s->sector * 512, s->nsectors * 512u);
	return virtio_blk_complete(f->vb, &f->h, s->tag, 0);
}

static uint16_t used_idx(struct fixture *f, uint64_t used)
{
	return (uint16_t)ld(f->ram + used + 2, 2);
}

/* Requests in flight at the reset: their completions write nothing, raise
 * nothing, and the read's data stays out of the guest. */
static void test_vblk_hostile_completion_after_reset_touches_nothing(void **state)
{
	struct fixture *f = *state;
	size_t ndma;

	driver_init(f, DESC, AVAIL, USED);
	add_read(f, 0, 4, 0);
	add_read(f, 1, 5, 0);
	assert_int_equal(wr(f, VPCI_NOTIFY_OFF, 0, 2), 0);
	assert_int_equal(f->nsubs, 2);
	assert_int_equal(complete(f, 0), 0);            /* before the reset */
	assert_int_equal(used_idx(f, USED), 1);
	assert_int_equal(rd(f, VPCI_ISR_OFF, 1), 1);
	assert_int_equal(wr(f, VPCI_STATUS, 0, 1), 0);   /* reset, request 1 in flight */
	ndma = fakehost_ndma(f->fh);
	assert_int_equal(complete(f, 1), 0);
	assert_int_equal(fakehost_ndma(f->fh), ndma);    /* no DMA at all */
	assert_int_equal(used_idx(f, USED), 1);
	assert_int_equal(f->ram[STATUS + 1], 0xee);
	assert_int_equal(f->ram[DATA + 512], 0x5a);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 0);
	assert_int_equal(rd(f, VPCI_ISR_OFF, 1), 0);
	/* a second delivery of the same tag is unknown */
	assert_int_equal(virtio_blk_complete(f->vb, &f->h, f->subs[1].tag, 0), -ENOENT);
}

/* Reset, a new setup on other rings, a new request on the same head as the
 * one still in flight: the old completion is not taken for the new one. */
static void test_vblk_hostile_old_completion_after_new_setup(void **state)
{
	struct fixture *f = *state;

	driver_init(f, DESC, AVAIL, USED);
	add_read(f, 0, 7, 0);
	assert_int_equal(wr(f, VPCI_NOTIFY_OFF, 0, 2), 0);
	driver_init(f, DESC2, AVAIL2, USED2);           /* resets: request 0 orphaned */
	add_read(f, 0, 9, 0);                           /* head 0 again */
	assert_int_equal(wr(f, VPCI_NOTIFY_OFF, 0, 2), 0);
	assert_int_equal(f->nsubs, 2);
	assert_int_equal(complete(f, 0), 0);             /* the old one: dropped */
	assert_int_equal(used_idx(f, USED2), 0);
	assert_int_equal(used_idx(f, USED), 0);
	assert_int_equal(f->ram[STATUS], 0xee);
	assert_int_equal(complete(f, 1), 0);             /* the new one */
	assert_int_equal(used_idx(f, USED2), 1);
	assert_int_equal(f->ram[STATUS], 0);
	assert_memory_equal(f->ram + DATA, fakehost_disk(f->fh, 0) + 9 * 512, 512);
}

/* A ring error while a request is in flight: its completion is dropped,
 * the device keeps DEVICE_NEEDS_RESET and ignores notifies until a reset. */
static void test_vblk_hostile_completion_on_device_needing_reset(void **state)
{
	struct fixture *f = *state;

	driver_init(f, DESC, AVAIL, USED);
	add_read(f, 0, 3, 0);
	add_read(f, 1, 4, 0);
	put_desc(f, 5, STATUS + 1, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 4); /* 3->4->5->4 */
	assert_int_equal(wr(f, VPCI_NOTIFY_OFF, 0, 2), -ELOOP);
	assert_int_equal(f->nsubs, 1);
	assert_int_equal(rd(f, VPCI_STATUS, 1), 0x4f);
	assert_int_equal(complete(f, 0), 0);
	assert_int_equal(used_idx(f, USED), 0);
	assert_int_equal(f->ram[STATUS], 0xee);
	assert_int_equal(rd(f, VPCI_ISR_OFF, 1), 2);     /* the config interrupt only */
	assert_int_equal(wr(f, VPCI_NOTIFY_OFF, 0, 2), -EIO);
}

/* A completion whose status byte is outside RAM: a ring error found at the
 * completion (NEEDS_RESET, config interrupt), the data already delivered. */
static void test_vblk_hostile_completion_status_outside_ram(void **state)
{
	struct fixture *f = *state;

	driver_init(f, DESC, AVAIL, USED);
	add_read(f, 0, 6, OUTSIDE);
	assert_int_equal(wr(f, VPCI_NOTIFY_OFF, 0, 2), 0);
	assert_int_equal(complete(f, 0), -EFAULT);
	assert_memory_equal(f->ram + DATA, fakehost_disk(f->fh, 0) + 6 * 512, 512);
	assert_int_equal(used_idx(f, USED), 0);
	assert_int_equal(rd(f, VPCI_STATUS, 1), 0x4f);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, VPCI_ISR_OFF, 1), 2);
}

/* A second queue_enable = 1 while a request is in flight changes nothing:
 * the next notify does not serve the same chain again, and the completion
 * lands in used slot 0 with used->idx 1. */
static void test_vblk_hostile_second_enable_keeps_the_queue(void **state)
{
	struct fixture *f = *state;

	driver_init(f, DESC, AVAIL, USED);
	add_read(f, 0, 2, 0);
	assert_int_equal(wr(f, VPCI_NOTIFY_OFF, 0, 2), 0);
	assert_int_equal(f->nsubs, 1);
	assert_int_equal(wr(f, VPCI_Q_ENABLE, 1, 2), 0);
	assert_int_equal(rd(f, VPCI_Q_ENABLE, 2), 1);
	assert_int_equal(wr(f, VPCI_NOTIFY_OFF, 0, 2), 0);
	assert_int_equal(f->nsubs, 1);                   /* not submitted twice */
	add_read(f, 1, 3, 0);
	assert_int_equal(wr(f, VPCI_NOTIFY_OFF, 0, 2), 0);
	assert_int_equal(f->nsubs, 2);
	assert_int_equal(f->subs[1].sector, 3);
	assert_int_equal(complete(f, 0), 0);
	assert_int_equal(complete(f, 1), 0);
	assert_int_equal(used_idx(f, USED), 2);
	assert_int_equal(ld(f->ram + USED + 4, 4), 0);   /* used[0].id */
	assert_int_equal(ld(f->ram + USED + 12, 4), 3);  /* used[1].id */
}


/* Ring entries k.. of the avail ring all name head 0 (a 64 KiB read), and
 * avail->idx moves on by n: a driver reusing a chain still in flight. */
static void repost_head0(struct fixture *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		st(f->ram + f->avail + 4 + 2u * (f->avail_idx % QSZ), 0, 2);
		f->avail_idx++;
	}
	st(f->ram + f->avail + 2, f->avail_idx, 2);
}

/* A driver that makes the same 64 KiB chain available over and over
 * without waiting for it: without a bound every notify hands QSZ more
 * requests (and buffers) to the host.  The device keeps at most
 * VIRTIO_BLK_QUEUE_SIZE requests in flight -- reset-away ones included --
 * and serves the rest as completions come back. */
static void test_vblk_hostile_requests_in_flight_are_bounded(void **state)
{
	struct fixture *f = *state;
	int done = 0;

	driver_init(f, DESC, AVAIL, USED);
	st(f->ram + HDR, VIRTIO_BLK_T_IN, 4);
	st(f->ram + HDR + 8, 0, 8);
	put_desc(f, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(f, 1, DATA, 65536, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	put_desc(f, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	/* 5 x QSZ chains made available, QSZ per notify (more at once would
	 * run avail->idx more than a queue ahead: a ring error) */
	for (unsigned k = 0; k < 5; k++) {
		repost_head0(f, QSZ);
		assert_int_equal(wr(f, VPCI_NOTIFY_OFF, 0, 2), 0);
	}
	assert_int_equal(f->nsubs, VIRTIO_BLK_QUEUE_SIZE);   /* 4 x QSZ; the 5th waits */
	assert_int_equal(rd(f, VPCI_STATUS, 1), 0x0f);
	/* a reset: those become orphans, still in flight; a new setup's notify
	 * must wait for them too */
	driver_init(f, DESC, AVAIL, USED);
	put_desc(f, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(f, 1, DATA, 65536, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	put_desc(f, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	repost_head0(f, 4);
	assert_int_equal(wr(f, VPCI_NOTIFY_OFF, 0, 2), 0);
	assert_int_equal(f->nsubs, VIRTIO_BLK_QUEUE_SIZE);
	/* each completion of an orphan lets one waiting chain go */
	assert_int_equal(complete(f, done++), 0);
	assert_int_equal(f->nsubs, VIRTIO_BLK_QUEUE_SIZE + 1);
	while (done < (int)VIRTIO_BLK_QUEUE_SIZE)
		assert_int_equal(complete(f, done++), 0);
	assert_int_equal(f->nsubs, VIRTIO_BLK_QUEUE_SIZE + 4);
	assert_int_equal(used_idx(f, USED), 0);
	while (done < f->nsubs)
		assert_int_equal(complete(f, done++), 0);
	assert_int_equal(used_idx(f, USED), 4);          /* the new setup's 4, nothing else */
	assert_int_equal(f->ram[STATUS], 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_vblk_hostile_completion_after_reset_touches_nothing),
		T(test_vblk_hostile_old_completion_after_new_setup),
		T(test_vblk_hostile_completion_on_device_needing_reset),
		T(test_vblk_hostile_completion_status_outside_ram),
		T(test_vblk_hostile_second_enable_keeps_the_queue),
		T(test_vblk_hostile_requests_in_flight_are_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
