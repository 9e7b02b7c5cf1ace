/*
 * test_virtio_blk.c - devices/virtio_blk.c + virtq.c: a legacy virtio-pci
 * driver (the sequence Linux's virtio_pci_legacy + virtio_blk use) against
 * the fake host's guest RAM and disk; exact host-call and IRQ histories,
 * and the hostile cases (bad addresses, loops, past the end).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/virtio_blk.h"
#include "devices/virtq.h"
#include "tests/unit/fakehost.h"

#define IRQ 11
#define SECTORS 2048u
#define RAM_BYTES (2u << 20)
#define QSZ VIRTIO_BLK_QUEUE_SIZE
#define RING 0x10000u            /* pfn 0x10 */
#define DESC RING
#define AVAIL (RING + 16u * QSZ)  /* 0x11000 */
#define USED (RING + 0x2000u)     /* next 4 KiB boundary after avail */
#define HDR 0x20000u
#define STATUS 0x20100u
#define DATA 0x30000u
#define OUTSIDE 0x7fff0000u

enum { R_DEVF = 0x00, R_GUESTF = 0x04, R_PFN = 0x08, R_QSIZE = 0x0c,
       R_QSEL = 0x0e, R_NOTIFY = 0x10, R_STATUS = 0x12, R_ISR = 0x13,
       R_CONFIG = 0x14 };

struct fixture {
	struct virtio_blk *vb;
	struct fakehost *fh;
	const struct host *h;
	uint8_t *ram;
	uint16_t avail_idx;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	f->vb = virtio_blk_create("vblk0", 0, SECTORS, IRQ);
	f->fh = fakehost_create(SECTORS, RAM_BYTES);
	assert_non_null(f->vb);
	assert_non_null(f->fh);
	f->h = fakehost_host(f->fh);
	f->ram = fakehost_ram(f->fh);
	fakehost_disk_pattern(f->fh, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	virtio_blk_destroy(f->vb);
	fakehost_destroy(f->fh);
	test_free(f);
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

static int wr_rc(struct fixture *f, unsigned off, uint32_t v, unsigned len)
{
	uint8_t b[4];

	st(b, v, 4);
	return virtio_blk_io(f->vb, f->h, off, b, len, true);
}

static void wr(struct fixture *f, unsigned off, uint32_t v, unsigned len)
{
	assert_int_equal(wr_rc(f, off, v, len), 0);
}

static uint64_t rd(struct fixture *f, unsigned off, unsigned len)
{
	uint8_t b[8] = { 0 };

	assert_int_equal(virtio_blk_io(f->vb, f->h, off, b, len, false), 0);
	return ld(b, len);
}

/* The legacy driver's bring-up: reset, ACK|DRIVER, features, queue, DRIVER_OK. */
static void driver_init(struct fixture *f)
{
	uint32_t feat;

	f->avail_idx = 0;
	wr(f, R_STATUS, 0, 1);
	assert_int_equal(rd(f, R_STATUS, 1), 0);
	wr(f, R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE, 1);
	wr(f, R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	feat = (uint32_t)rd(f, R_DEVF, 4);
	assert_int_equal(feat, (1u << 1) | (1u << 2) | (1u << 9));
	wr(f, R_GUESTF, feat, 4);
	wr(f, R_QSEL, 0, 2);
	assert_int_equal(rd(f, R_QSIZE, 2), QSZ);
	assert_int_equal(rd(f, R_PFN, 4), 0);
	wr(f, R_PFN, RING / 4096, 4);
	wr(f, R_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			VIRTIO_STATUS_DRIVER_OK, 1);
	fakehost_reset_log(f->fh);
}

static void put_desc(struct fixture *f, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *d = f->ram + DESC + 16u * i;

	st(d, addr, 8);
	st(d + 8, len, 4);
	st(d + 12, flags, 2);
	st(d + 14, next, 2);
}

static void put_hdr(struct fixture *f, uint32_t type, uint64_t sector)
{
	st(f->ram + HDR, type, 4);
	st(f->ram + HDR + 4, 0, 4);
	st(f->ram + HDR + 8, sector, 8);
	f->ram[STATUS] = 0xee;
}

/* A three-descriptor request at descriptors base..base+2. */
static void build_req(struct fixture *f, unsigned base, uint32_t type,
		      uint64_t sector, uint64_t data, uint32_t len, bool dev_writes)
{
	put_hdr(f, type, sector);
	put_desc(f, base, HDR, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(base + 1));
	put_desc(f, base + 1, data, len,
		 VIRTQ_DESC_F_NEXT | (dev_writes ? VIRTQ_DESC_F_WRITE : 0),
		 (uint16_t)(base + 2));
	put_desc(f, base + 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
}

static void submit(struct fixture *f, uint16_t head)
{
	st(f->ram + AVAIL + 4 + 2u * (f->avail_idx % QSZ), head, 2);
	f->avail_idx++;
	st(f->ram + AVAIL + 2, f->avail_idx, 2);
}

static int notify(struct fixture *f)
{
	return wr_rc(f, R_NOTIFY, 0, 2);
}

/* Submit chain `head`, notify, expect `rc` and (if >= 0) that status byte. */
static void run(struct fixture *f, uint16_t head, int rc, int status)
{
	submit(f, head);
	assert_int_equal(notify(f), rc);
	if (status >= 0)
		assert_int_equal(f->ram[STATUS], status);
}

static uint16_t used_idx(struct fixture *f)
{
	return (uint16_t)ld(f->ram + USED + 2, 2);
}

/* len of used element `slot` */
static uint32_t used_len(struct fixture *f, unsigned slot)
{
	return (uint32_t)ld(f->ram + USED + 8 + 8 * slot, 4);
}

static bool needs_reset(struct fixture *f)
{
	return (rd(f, R_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET) != 0;
}

/* Exactly n block calls so far; the i-th was (op, sector, nsectors). */
static void check_req(struct fixture *f, size_t n, size_t i, enum blk_op op,
		      uint64_t sector, uint32_t nsectors)
{
	const struct fakehost_req *r = fakehost_req(f->fh, i);

	assert_int_equal(fakehost_nreqs(f->fh), n);
	assert_non_null(r);
	assert_int_equal(r->op, op);
	assert_int_equal(r->disk, 0);
	assert_string_equal(r->device, "vblk0");
	assert_int_equal(r->sector, sector);
	assert_int_equal(r->nsectors, nsectors);
}

static void assert_irqs(struct fixture *f, const int *levels, size_t n)
{
	assert_int_equal(fakehost_nirqs(f->fh), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(fakehost_irq(f->fh, i)->line, IRQ);
		assert_int_equal(fakehost_irq(f->fh, i)->level, levels[i]);
	}
}

static void test_virtio_blk_read_two_sectors(void **state)
{
	struct fixture *f = *state;
	static const int up[] = { 1 }, updown[] = { 1, 0 };

	driver_init(f);
	build_req(f, 0, VIRTIO_BLK_T_IN, 5, DATA, 1024, true);
	run(f, 0, 0, VIRTIO_BLK_S_OK);
	check_req(f, 1, 0, BLK_OP_READ, 5, 2);
	assert_memory_equal(f->ram + DATA, fakehost_disk(f->fh, 0) + 5 * 512, 1024);
	assert_int_equal(used_idx(f), 1);
	assert_int_equal(ld(f->ram + USED + 4, 4), 0); /* id = head */
	assert_int_equal(used_len(f, 0), 1025);        /* data + status */
	assert_irqs(f, up, 1);
	assert_int_equal(rd(f, R_ISR, 1), 1);
	assert_irqs(f, updown, 2);
	assert_int_equal(rd(f, R_ISR, 1), 0);
	assert_irqs(f, updown, 2);
	/* every DMA was on behalf of vblk0 and inside RAM */
	for (size_t i = 0; i < fakehost_ndma(f->fh); i++) {
		assert_string_equal(fakehost_dma(f->fh, i)->device, "vblk0");
		assert_int_equal(fakehost_dma(f->fh, i)->rc, 0);
	}
}

static void test_virtio_blk_write_request(void **state)
{
	struct fixture *f = *state;

	driver_init(f);
	for (unsigned i = 0; i < 1536; i++)
		f->ram[DATA + i] = (uint8_t)(i ^ 0x5a);
	build_req(f, 0, VIRTIO_BLK_T_OUT, 100, DATA, 1536, false);
	run(f, 0, 0, VIRTIO_BLK_S_OK);
	check_req(f, 1, 0, BLK_OP_WRITE, 100, 3);
	assert_memory_equal(fakehost_disk(f->fh, 0) + 100 * 512, f->ram + DATA, 1536);
	assert_int_equal(used_len(f, 0), 1);
	assert_int_equal(used_idx(f), 1);
}

static void test_virtio_blk_flush_and_get_id(void **state)
{
	struct fixture *f = *state;
	uint8_t want[20] = "exitlog-vblk0";

	driver_init(f);
	put_hdr(f, VIRTIO_BLK_T_FLUSH, 0);
	put_desc(f, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(f, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	run(f, 0, 0, VIRTIO_BLK_S_OK);
	check_req(f, 1, 0, BLK_OP_FLUSH, 0, 0);
	/* GET_ID: 20 bytes, no host call */
	memset(f->ram + DATA, 0xcc, 32);
	build_req(f, 0, VIRTIO_BLK_T_GET_ID, 0, DATA, 20, true);
	run(f, 0, 0, VIRTIO_BLK_S_OK);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_memory_equal(f->ram + DATA, want, 20);
	assert_int_equal(f->ram[DATA + 20], 0xcc);
	assert_int_equal(used_len(f, 1), 21);
}

static void test_virtio_blk_past_end_ioerr_no_host_call(void **state)
{
	struct fixture *f = *state;
	static const int up[] = { 1 };

	driver_init(f);
	build_req(f, 0, VIRTIO_BLK_T_IN, SECTORS - 1, DATA, 1024, true);
	run(f, 0, -EIO, VIRTIO_BLK_S_IOERR);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	assert_int_equal(used_idx(f), 1);
	assert_int_equal(used_len(f, 0), 1);
	assert_irqs(f, up, 1);
	/* a sector number that would overflow sector + nsectors */
	build_req(f, 0, VIRTIO_BLK_T_OUT, UINT64_MAX, DATA, 512, false);
	run(f, 0, -EIO, VIRTIO_BLK_S_IOERR);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	/* the device is still healthy */
	assert_false(needs_reset(f));
}

static void test_virtio_blk_bad_length_and_type(void **state)
{
	struct fixture *f = *state;

	driver_init(f);
	build_req(f, 0, VIRTIO_BLK_T_IN, 0, DATA, 100, true);
	run(f, 0, -EIO, VIRTIO_BLK_S_IOERR);
	build_req(f, 0, VIRTIO_BLK_T_IN, 0, DATA, VIRTIO_BLK_MAX_BYTES + 512, true);
	run(f, 0, -EIO, VIRTIO_BLK_S_IOERR);
	build_req(f, 0, 99, 0, DATA, 512, true);
	run(f, 0, -EIO, VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	assert_int_equal(used_idx(f), 3);
}

static void test_virtio_blk_largest_request(void **state)
{
	struct fixture *f = *state;
	unsigned n = VIRTIO_BLK_SEG_MAX;

	driver_init(f);
	put_hdr(f, VIRTIO_BLK_T_IN, 7);
	put_desc(f, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	for (unsigned i = 0; i < n; i++)
		put_desc(f, 1 + i, DATA + (uint64_t)(n - 1 - i) * 4096, 4096,
			 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, (uint16_t)(2 + i));
	put_desc(f, n + 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	run(f, 0, 0, VIRTIO_BLK_S_OK);
	check_req(f, 1, 0, BLK_OP_READ, 7, n * 8);
	/* segment i got disk bytes [i*4096, (i+1)*4096) of the request */
	for (unsigned i = 0; i < n; i++)
		assert_memory_equal(f->ram + DATA + (uint64_t)(n - 1 - i) * 4096,
				    fakehost_disk(f->fh, 0) + 7 * 512 + (uint64_t)i * 4096, 4096);
}

static void test_virtio_blk_data_outside_ram(void **state)
{
	struct fixture *f = *state;

	driver_init(f);
	/* write from a buffer outside RAM: IOERR, the disk is never touched */
	build_req(f, 0, VIRTIO_BLK_T_OUT, 0, OUTSIDE, 512, false);
	run(f, 0, -EIO, VIRTIO_BLK_S_IOERR);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	/* a header outside RAM: IOERR, no host call */
	build_req(f, 0, VIRTIO_BLK_T_IN, 0, DATA, 512, true);
	put_desc(f, 0, OUTSIDE, 16, VIRTQ_DESC_F_NEXT, 1);
	run(f, 0, -EIO, VIRTIO_BLK_S_IOERR);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	/* a buffer that wraps the 64-bit address space */
	build_req(f, 0, VIRTIO_BLK_T_OUT, 0, UINT64_MAX - 100, 512, false);
	run(f, 0, -EIO, -1);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	assert_int_equal(used_idx(f), 3);
	assert_false(needs_reset(f));
}

static void test_virtio_blk_ring_outside_ram_needs_reset(void **state)
{
	struct fixture *f = *state;

	driver_init(f);
	wr(f, R_PFN, OUTSIDE / 4096, 4);
	assert_int_equal(notify(f), -EFAULT);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	assert_true(needs_reset(f));
	assert_int_equal(rd(f, R_ISR, 1), 2); /* configuration change */
	/* ignored until reset, then usable again */
	assert_int_equal(notify(f), -EIO);
	driver_init(f);
	assert_int_equal(rd(f, R_STATUS, 1), 7);
	build_req(f, 0, VIRTIO_BLK_T_IN, 1, DATA, 512, true);
	run(f, 0, 0, VIRTIO_BLK_S_OK);
	check_req(f, 1, 0, BLK_OP_READ, 1, 1);
	/* rings straddling the end of RAM: the desc table fits, avail does not */
	driver_init(f);
	wr(f, R_PFN, RAM_BYTES / 4096 - 1, 4);
	assert_int_equal(notify(f), -EFAULT);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	assert_int_equal(fakehost_ndma(f->fh), 1);
	assert_true(needs_reset(f));
}

static void test_virtio_blk_looping_chain(void **state)
{
	struct fixture *f = *state;
	static const int up[] = { 1 };

	driver_init(f);
	put_hdr(f, VIRTIO_BLK_T_IN, 0);
	put_desc(f, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(f, 1, DATA, 512, VIRTQ_DESC_F_NEXT, 0);
	run(f, 0, -ELOOP, -1);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	/* bounded: avail header + head + at most QSZ descriptors */
	assert_true(fakehost_ndma(f->fh) <= 2 + QSZ);
	assert_true(needs_reset(f));
	assert_int_equal(used_idx(f), 0);
	assert_int_equal(f->ram[STATUS], 0xee);
	assert_irqs(f, up, 1);
	assert_int_equal(rd(f, R_ISR, 1), 2);
}

static void test_virtio_blk_malformed_chains(void **state)
{
	struct fixture *f = *state;

	/* next index out of range */
	driver_init(f);
	build_req(f, 0, VIRTIO_BLK_T_IN, 0, DATA, 512, true);
	put_desc(f, 1, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, QSZ + 5);
	run(f, 0, -EINVAL, -1);
	/* head index out of range */
	driver_init(f);
	run(f, QSZ, -EINVAL, -1);
	/* no device-writable status byte */
	driver_init(f);
	put_hdr(f, VIRTIO_BLK_T_FLUSH, 0);
	put_desc(f, 0, HDR, 16, 0, 0);
	run(f, 0, -EINVAL, -1);
	/* readable after writable */
	driver_init(f);
	build_req(f, 0, VIRTIO_BLK_T_IN, 0, DATA, 512, true);
	put_desc(f, 2, STATUS, 1, 0, 0);
	run(f, 0, -EINVAL, -1);
	/* avail idx far ahead of the device */
	driver_init(f);
	st(f->ram + AVAIL + 2, QSZ + 1, 2);
	assert_int_equal(notify(f), -EINVAL);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	assert_true(needs_reset(f));
}

static void test_virtio_blk_no_interrupt_flag(void **state)
{
	struct fixture *f = *state;

	driver_init(f);
	st(f->ram + AVAIL, 1, 2); /* VRING_AVAIL_F_NO_INTERRUPT */
	build_req(f, 0, VIRTIO_BLK_T_IN, 3, DATA, 512, true);
	run(f, 0, 0, -1);
	assert_int_equal(used_idx(f), 1);
	assert_int_equal(rd(f, R_ISR, 1), 0);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
}

static void test_virtio_blk_two_chains_one_notify(void **state)
{
	struct fixture *f = *state;
	static const int up[] = { 1 };

	driver_init(f);
	build_req(f, 0, VIRTIO_BLK_T_IN, 10, DATA, 512, true);
	put_hdr(f, VIRTIO_BLK_T_IN, 10);
	/* second chain shares header/status buffers but reads sector 10 too */
	put_desc(f, 3, HDR, 16, VIRTQ_DESC_F_NEXT, 4);
	put_desc(f, 4, DATA + 4096, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 5);
	put_desc(f, 5, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	submit(f, 0);
	run(f, 3, 0, VIRTIO_BLK_S_OK);
	check_req(f, 2, 1, BLK_OP_READ, 10, 1);
	assert_int_equal(used_idx(f), 2);
	assert_int_equal(ld(f->ram + USED + 4, 4), 0);
	assert_int_equal(ld(f->ram + USED + 12, 4), 3);
	assert_memory_equal(f->ram + DATA + 4096, fakehost_disk(f->fh, 0) + 10 * 512, 512);
	assert_irqs(f, up, 1);
	/* a notify with nothing new: no host calls beyond the avail read, no irq */
	fakehost_reset_log(f->fh);
	assert_int_equal(notify(f), 0);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	assert_int_equal(fakehost_ndma(f->fh), 1);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
}

static void test_virtio_blk_host_error_ioerr(void **state)
{
	struct fixture *f = *state;

	driver_init(f);
	fakehost_fail_next(f->fh, -EIO);
	build_req(f, 0, VIRTIO_BLK_T_IN, 0, DATA, 512, true);
	run(f, 0, -EIO, VIRTIO_BLK_S_IOERR);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_int_equal(used_len(f, 0), 1);
}

static void test_virtio_blk_status_zero_resets(void **state)
{
	struct fixture *f = *state;
	static const int updown[] = { 1, 0 };

	driver_init(f);
	build_req(f, 0, VIRTIO_BLK_T_IN, 0, DATA, 512, true);
	run(f, 0, 0, -1);
	wr(f, R_STATUS, 0, 1);
	assert_irqs(f, updown, 2);
	assert_int_equal(rd(f, R_STATUS, 1), 0);
	assert_int_equal(rd(f, R_ISR, 1), 0);
	assert_int_equal(rd(f, R_PFN, 4), 0);
	assert_int_equal(rd(f, R_GUESTF, 4), 0);
	/* notify without a queue is refused and does nothing */
	assert_int_equal(notify(f), -EINVAL);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
}

static void test_virtio_blk_config_space_and_regnames(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, R_CONFIG, 4), SECTORS);
	assert_int_equal(rd(f, R_CONFIG + 4, 4), 0);
	assert_int_equal(rd(f, R_CONFIG, 8), SECTORS);
	assert_int_equal(rd(f, R_CONFIG + 8, 4), VIRTIO_BLK_SIZE_MAX);
	assert_int_equal(rd(f, R_CONFIG + 12, 4), VIRTIO_BLK_SEG_MAX);
	assert_int_equal(rd(f, R_CONFIG + 1, 1), SECTORS >> 8);
	/* other queues do not exist */
	wr(f, R_QSEL, 1, 2);
	assert_int_equal(rd(f, R_QSIZE, 2), 0);
	assert_int_equal(wr_rc(f, R_PFN, 0x10, 4), -EINVAL);
	assert_int_equal(wr_rc(f, R_NOTIFY, 1, 2), -EINVAL);
	/* guest features keep only offered bits; odd-width writes refused */
	wr(f, R_GUESTF, 0xffffffffu, 4);
	assert_int_equal(rd(f, R_GUESTF, 4), (1u << 1) | (1u << 2) | (1u << 9));
	assert_int_equal(wr_rc(f, R_GUESTF, 0, 2), -EINVAL);
	assert_int_equal(wr_rc(f, R_DEVF, 0, 4), -EINVAL);
	assert_int_equal(wr_rc(f, R_CONFIG, 0, 4), -EINVAL);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
	/* register names for reports */
	assert_string_equal(virtio_blk_regname(0x02, false), "device_features");
	assert_string_equal(virtio_blk_regname(0x0e, true), "queue_select");
	assert_string_equal(virtio_blk_regname(0x10, true), "queue_notify");
	assert_string_equal(virtio_blk_regname(0x13, false), "isr");
	assert_string_equal(virtio_blk_regname(0x3f, false), "config");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_virtio_blk_read_two_sectors),
		T(test_virtio_blk_write_request),
		T(test_virtio_blk_flush_and_get_id),
		T(test_virtio_blk_past_end_ioerr_no_host_call),
		T(test_virtio_blk_bad_length_and_type),
		T(test_virtio_blk_largest_request),
		T(test_virtio_blk_data_outside_ram),
		T(test_virtio_blk_ring_outside_ram_needs_reset),
		T(test_virtio_blk_looping_chain),
		T(test_virtio_blk_malformed_chains),
		T(test_virtio_blk_no_interrupt_flag),
		T(test_virtio_blk_two_chains_one_notify),
		T(test_virtio_blk_host_error_ioerr),
		T(test_virtio_blk_status_zero_resets),
		T(test_virtio_blk_config_space_and_regnames),
	};

	return cmocka_run_group_tests_name("virtio_blk", tests, NULL, NULL);
}
