/*
 * test_virtio_pci_modern.c - devices/virtio_pci_modern.c: the modern
 * virtio-pci transport at the register level, as Linux's
 * virtio_pci_modern_dev.c drives it (capability walk, feature negotiation
 * through the select registers, queue setup through the common cfg with
 * 64-bit addresses written in halves, notify, read-to-clear ISR), on the
 * fake host; a fresh device per test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/board.h"
#include "devices/pci.h"
#include "devices/virtio_pci_modern.h"
#include "devices/virtq.h"
#include "tests/unit/fakehost.h"

#define IRQ 11
#define SECTORS 2048u
#define RAM_BYTES (2u << 20)
#define BAR 0xfe000000u
#define QSZ 128u                 /* the driver asks for fewer than 256 */
#define DESC 0x10000u
#define AVAIL 0x11000u
#define USED 0x12000u
#define HDR 0x20000u
#define STATUS 0x20100u
#define DATA 0x30000u

struct fixture {
	struct virtio_pci_modern *m;
	struct fakehost *fh;
	const struct host *h;
	uint8_t *ram;
	uint16_t avail_idx;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct virtio_blk *vb = virtio_blk_create("vblk0", 0, SECTORS, IRQ);

	assert_non_null(vb);
	f->m = vpci_modern_create(vb);
	f->fh = fakehost_create(SECTORS, RAM_BYTES);
	assert_non_null(f->m);
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

	vpci_modern_destroy(f->m);
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

static int wr_rc(struct fixture *f, unsigned off, uint64_t v, unsigned len)
{
	uint8_t b[8];

	st(b, v, 8);
	return vpci_modern_mmio(f->m, f->h, off, b, len, true);
}

static void wr(struct fixture *f, unsigned off, uint64_t v, unsigned len)
{
	assert_int_equal(wr_rc(f, off, v, len), 0);
}

static uint64_t rd(struct fixture *f, unsigned off, unsigned len)
{
	uint8_t b[8] = { 0 };

	assert_int_equal(vpci_modern_mmio(f->m, f->h, off, b, len, false), 0);
	return ld(b, len);
}

static uint64_t device_features(struct fixture *f)
{
	wr(f, VPCI_DFSELECT, 0, 4);
	uint64_t lo = rd(f, VPCI_DF, 4);

	wr(f, VPCI_DFSELECT, 1, 4);
	return lo | rd(f, VPCI_DF, 4) << 32;
}

/* Linux's bring-up: reset, ACK|DRIVER, features (both halves), FEATURES_OK,
 * queue 0 (size, three addresses by halves, enable), DRIVER_OK. */
static void driver_init(struct fixture *f)
{
	uint64_t feat;

	wr(f, VPCI_STATUS, 0, 1);
	assert_int_equal(rd(f, VPCI_STATUS, 1), 0);
	wr(f, VPCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER, 1);
	feat = device_features(f);
	wr(f, VPCI_GFSELECT, 0, 4);
	wr(f, VPCI_GF, (uint32_t)feat, 4);
	wr(f, VPCI_GFSELECT, 1, 4);
	wr(f, VPCI_GF, feat >> 32, 4);
	wr(f, VPCI_STATUS, 0x0b, 1);
	assert_int_equal(rd(f, VPCI_STATUS, 1), 0x0b); /* FEATURES_OK kept */
	wr(f, VPCI_Q_SELECT, 0, 2);
	assert_int_equal(rd(f, VPCI_Q_SIZE, 2), VIRTIO_BLK_QUEUE_SIZE);
	assert_int_equal(rd(f, VPCI_Q_ENABLE, 2), 0);
	wr(f, VPCI_Q_SIZE, QSZ, 2);
	wr(f, VPCI_Q_DESC, DESC, 4);
	wr(f, VPCI_Q_DESC + 4, 0, 4);
	wr(f, VPCI_Q_DRIVER, AVAIL, 4);
	wr(f, VPCI_Q_DRIVER + 4, 0, 4);
	wr(f, VPCI_Q_DEVICE, USED, 4);
	wr(f, VPCI_Q_DEVICE + 4, 0, 4);
	assert_int_equal(rd(f, VPCI_Q_NOFF, 2), 0);
	wr(f, VPCI_Q_ENABLE, 1, 2);
	assert_int_equal(rd(f, VPCI_Q_ENABLE, 2), 1);
	wr(f, VPCI_STATUS, 0x0f, 1);
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

/* A read of 8 sectors at `sector` in descriptors 0..2, made available. */
static void submit_read(struct fixture *f, uint64_t sector)
{
	st(f->ram + HDR, VIRTIO_BLK_T_IN, 4);
	st(f->ram + HDR + 8, sector, 8);
	f->ram[STATUS] = 0xee;
	put_desc(f, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	put_desc(f, 1, DATA, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	put_desc(f, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	st(f->ram + AVAIL + 4 + 2u * (f->avail_idx % QSZ), 0, 2);
	f->avail_idx++;
	st(f->ram + AVAIL + 2, f->avail_idx, 2);
}

static void test_vpci_modern_pci_capabilities(void **state)
{
	struct fixture *f = *state;
	struct pci_function_desc d;
	struct pci *p = pci_create("pci");
	uint32_t v, at;
	int seen[5] = { 0 };

	vpci_modern_pci_desc(f->m, BAR, &d);
	assert_int_equal(pci_add_function(p, 1, &d), 0);
	assert_int_equal(pci_config_read(p, 1, 0, &v, 4), 0);
	assert_int_equal(v, 0x10421af4);
	assert_int_equal(pci_config_read(p, 1, 0x08, &v, 1), 0);
	assert_int_equal(v, 1); /* revision 1: modern only */
	assert_int_equal(pci_config_read(p, 1, 0x06, &v, 2), 0);
	assert_true(v & 0x10);  /* capabilities list */
	assert_int_equal(pci_config_read(p, 1, 0x10, &v, 4), 0);
	assert_int_equal(v, BAR); /* 32-bit memory BAR */
	assert_int_equal(pci_config_write(p, 1, 0x10, 0xffffffffu, 4), 0);
	assert_int_equal(pci_config_read(p, 1, 0x10, &v, 4), 0);
	assert_int_equal(v, ~(VPCI_MODERN_BAR_SIZE - 1));
	assert_int_equal(pci_config_write(p, 1, 0x10, BAR, 4), 0);
	/* walk the list the way virtio_pci_find_capability does */
	assert_int_equal(pci_config_read(p, 1, 0x34, &at, 1), 0);
	for (int n = 0; at && n < 8; n++) {
		uint32_t id, type, bar, off, len;

		assert_int_equal(pci_config_read(p, 1, at, &id, 1), 0);
		assert_int_equal(id, 0x09);
		pci_config_read(p, 1, at + 3, &type, 1);
		pci_config_read(p, 1, at + 4, &bar, 1);
		pci_config_read(p, 1, at + 8, &off, 4);
		pci_config_read(p, 1, at + 12, &len, 4);
		assert_int_equal(bar, 0);
		assert_true(off + len <= VPCI_MODERN_BAR_SIZE);
		assert_true(type >= 1 && type <= 4);
		seen[type]++;
		if (type == 2) {
			uint32_t mult;

			pci_config_read(p, 1, at + 16, &mult, 4);
			assert_int_equal(off, VPCI_NOTIFY_OFF);
			assert_int_equal(mult, VPCI_NOTIFY_MULT);
		}
		pci_config_read(p, 1, at + 1, &at, 1);
	}
	for (int t = 1; t <= 4; t++)
		assert_int_equal(seen[t], 1);
	pci_destroy(p);
}

static void test_vpci_modern_feature_negotiation(void **state)
{
	struct fixture *f = *state;
	uint64_t feat = device_features(f);

	assert_true(feat & (1ull << VIRTIO_F_VERSION_1));
	assert_true(feat & (1ull << VIRTIO_BLK_F_FLUSH));
	assert_false(feat & (1ull << 28)); /* no INDIRECT_DESC */
	assert_false(feat & (1ull << 29)); /* no EVENT_IDX */
	wr(f, VPCI_DFSELECT, 2, 4);
	assert_int_equal(rd(f, VPCI_DF, 4), 0);
	/* the driver's features read back, masked to the offered ones */
	wr(f, VPCI_GFSELECT, 0, 4);
	wr(f, VPCI_GF, 0xffffffffu, 4);
	assert_int_equal(rd(f, VPCI_GF, 4), (uint32_t)feat);
	wr(f, VPCI_GFSELECT, 1, 4);
	wr(f, VPCI_GF, 1, 4);
	assert_int_equal(rd(f, VPCI_GF, 4), 1);
	/* a feature register written with the wrong width is refused */
	assert_int_equal(wr_rc(f, VPCI_GF, 1, 2), -EINVAL);
	/* reset forgets them */
	wr(f, VPCI_STATUS, 0, 1);
	wr(f, VPCI_GFSELECT, 1, 4);
	assert_int_equal(rd(f, VPCI_GF, 4), 0);
	assert_int_equal(rd(f, VPCI_NUM_QUEUES, 2), 1);
	assert_int_equal(rd(f, VPCI_MSIX_CONFIG, 2), 0xffff);
}

static void test_vpci_modern_queue_setup(void **state)
{
	struct fixture *f = *state;

	driver_init(f);
	assert_int_equal(rd(f, VPCI_Q_SIZE, 2), QSZ);
	assert_int_equal(rd(f, VPCI_Q_DESC, 8), DESC);
	assert_int_equal(rd(f, VPCI_Q_DRIVER, 4), AVAIL);
	assert_int_equal(rd(f, VPCI_Q_DEVICE, 4), USED);
	assert_int_equal(rd(f, VPCI_Q_MSIX, 2), 0xffff);
	/* an enabled queue's registers are frozen; queue 1 does not exist */
	assert_int_equal(wr_rc(f, VPCI_Q_DESC, 0x5000, 4), -EINVAL);
	assert_int_equal(wr_rc(f, VPCI_Q_SIZE, 64, 2), -EINVAL);
	wr(f, VPCI_Q_SELECT, 1, 2);
	assert_int_equal(rd(f, VPCI_Q_SIZE, 2), 0);
	assert_int_equal(wr_rc(f, VPCI_Q_ENABLE, 1, 2), -EINVAL);
	wr(f, VPCI_Q_SELECT, 0, 2);
	/* a size that is not a power of two, and enable 0, are refused */
	wr(f, VPCI_STATUS, 0, 1);
	assert_int_equal(rd(f, VPCI_Q_ENABLE, 2), 0);
	assert_int_equal(rd(f, VPCI_Q_DESC, 8), 0);
	assert_int_equal(wr_rc(f, VPCI_Q_SIZE, 100, 2), -EINVAL);
	assert_int_equal(wr_rc(f, VPCI_Q_SIZE, 512, 2), -EINVAL);
	assert_int_equal(wr_rc(f, VPCI_Q_ENABLE, 0, 2), -EINVAL);
	/* a whole 8-byte write of a 64-bit field works too */
	wr(f, VPCI_Q_DESC, 0x123456789000ull, 8);
	assert_int_equal(rd(f, VPCI_Q_DESC + 4, 4), 0x1234);
}

static void test_vpci_modern_notify_serves_queue(void **state)
{
	struct fixture *f = *state;

	driver_init(f);
	submit_read(f, 16);
	wr(f, VPCI_NOTIFY_OFF, 0, 2);
	assert_int_equal(f->ram[STATUS], VIRTIO_BLK_S_OK);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_int_equal(fakehost_req(f->fh, 0)->sector, 16);
	assert_int_equal(fakehost_req(f->fh, 0)->nsectors, 8);
	assert_memory_equal(f->ram + DATA, fakehost_disk(f->fh, 0) + 16 * 512, 4096);
	assert_int_equal(ld(f->ram + USED + 2, 2), 1);        /* used->idx */
	assert_int_equal(ld(f->ram + USED + 8, 4), 4097);     /* used len */
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	/* a notify of another width, or of a queue that does not exist */
	assert_int_equal(wr_rc(f, VPCI_NOTIFY_OFF, 0, 4), -EINVAL);
	assert_int_equal(wr_rc(f, VPCI_NOTIFY_OFF, 1, 2), -EINVAL);
}

static void test_vpci_modern_isr_read_clears(void **state)
{
	struct fixture *f = *state;

	driver_init(f);
	submit_read(f, 0);
	wr(f, VPCI_NOTIFY_OFF, 0, 2);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, VPCI_ISR_OFF, 1), 1);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 0);
	assert_int_equal(rd(f, VPCI_ISR_OFF, 1), 0);
	/* exactly one raise and one lower */
	assert_int_equal(fakehost_nirqs(f->fh), 2);
	/* the ISR is read-only */
	assert_int_equal(wr_rc(f, VPCI_ISR_OFF, 1, 1), -EINVAL);
}

static void test_vpci_modern_device_config(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, VPCI_DEVICE_OFF, 8), SECTORS);      /* capacity */
	assert_int_equal(rd(f, VPCI_DEVICE_OFF + 4, 4), 0);        /* high half */
	assert_int_equal(rd(f, VPCI_DEVICE_OFF + 12, 4), VIRTIO_BLK_SEG_MAX);
	assert_int_equal(rd(f, VPCI_DEVICE_OFF + 20, 4), 512);     /* blk_size */
	assert_int_equal(wr_rc(f, VPCI_DEVICE_OFF, 1, 4), -EINVAL);
	/* outside the BAR */
	assert_int_equal(wr_rc(f, VPCI_MODERN_BAR_SIZE - 2, 0, 4), -EINVAL);
}

static void test_vpci_modern_regnames(void **state)
{
	(void)state;
	assert_string_equal(vpci_modern_regname(VPCI_Q_ENABLE, true), "common.queue_enable");
	assert_string_equal(vpci_modern_regname(VPCI_Q_DESC + 4, true), "common.queue_desc");
	assert_string_equal(vpci_modern_regname(VPCI_STATUS, true), "common.device_status");
	assert_string_equal(vpci_modern_regname(VPCI_CFG_GENERATION, false), "common.config_generation");
	assert_string_equal(vpci_modern_regname(VPCI_DF, false), "common.device_feature");
	assert_string_equal(vpci_modern_regname(VPCI_NOTIFY_OFF, true), "notify");
	assert_string_equal(vpci_modern_regname(VPCI_ISR_OFF, false), "isr");
	assert_string_equal(vpci_modern_regname(VPCI_DEVICE_OFF + 8, false), "config");
}

/* The board: modern by default on an MMIO region, legacy on the IO BAR,
 * the ACPI PM block always; the kinds' names round-trip. */
static void test_vpci_modern_board_places_transports(void **state)
{
	struct board_config cfg = { .ndisks = 2, .ram_bytes = 64u << 20 };
	struct board b;
	const struct bus_region *r;

	(void)state;
	cfg.disks[0] = (struct board_disk){ DISK_VIRTIO_MODERN, 2048 };
	cfg.disks[1] = (struct board_disk){ DISK_VIRTIO, 2048 };
	assert_int_equal(board_create(&b, &cfg), 0);
	r = bus_find(&b.bus, BUS_MMIO, 0xfe000000u + VPCI_NOTIFY_OFF);
	assert_non_null(r);
	assert_string_equal(r->name, "vblk0");
	assert_string_equal(bus_regname(r, 0xfe000000u + VPCI_NOTIFY_OFF, true), "notify");
	assert_null(bus_find(&b.bus, BUS_PIO, 0xc000));
	r = bus_find(&b.bus, BUS_PIO, 0xc040);
	assert_non_null(r);
	assert_string_equal(r->name, "vblk1");
	r = bus_find(&b.bus, BUS_PIO, 0x604);
	assert_non_null(r);
	assert_string_equal(r->name, "acpi");
	board_destroy(&b);
	assert_string_equal(board_disk_kind_name(DISK_VIRTIO_MODERN), "virtio-modern");
	assert_string_equal(board_disk_kind_name(DISK_VIRTIO), "virtio-legacy");
	assert_int_equal(board_disk_kind_parse("virtio-modern"), DISK_VIRTIO_MODERN);
	assert_int_equal(board_disk_kind_parse("virtio-legacy"), DISK_VIRTIO);
	assert_int_equal(board_disk_kind_parse("virtio"), DISK_VIRTIO); /* older recordings */
	assert_int_equal(board_disk_kind_parse("virtio-fast"), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_vpci_modern_pci_capabilities),
		T(test_vpci_modern_feature_negotiation),
		T(test_vpci_modern_queue_setup),
		T(test_vpci_modern_notify_serves_queue),
		T(test_vpci_modern_isr_read_clears),
		T(test_vpci_modern_device_config),
		T(test_vpci_modern_regnames),
		cmocka_unit_test(test_vpci_modern_board_places_transports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
