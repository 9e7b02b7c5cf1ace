/*
 * test_ata.c - devices/ata.c: register-level scripts as a PIO driver issues
 * them, checked against the fake host's disk, request log and IRQ history.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/ata.h"
#include "tests/unit/fakehost.h"

#define IRQ 14
#define DISK_SECTORS 20000u

enum { DATA = 0, ERROR = 1, FEATURES = 1, NSECT = 2, LBAL = 3, LBAM = 4,
       LBAH = 5, DEVICE = 6, STATUS = 7, COMMAND = 7 };

struct fixture {
	struct ata *a;
	struct fakehost *fh;
	const struct host *h;
	uint8_t buf[300 * 512];
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	f->fh = fakehost_create(DISK_SECTORS, 0);
	f->a = ata_create("ata0", 0, DISK_SECTORS, IRQ);
	assert_non_null(f->fh);
	assert_non_null(f->a);
	f->h = fakehost_host(f->fh);
	fakehost_disk_pattern(f->fh, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ata_destroy(f->a);
	fakehost_destroy(f->fh);
	test_free(f);
	return 0;
}

static void wr(struct fixture *f, unsigned off, uint8_t v)
{
	assert_int_equal(ata_io_cmd(f->a, f->h, off, &v, 1, true), 0);
}

static uint8_t rd(struct fixture *f, unsigned off)
{
	uint8_t v = 0;

	assert_int_equal(ata_io_cmd(f->a, f->h, off, &v, 1, false), 0);
	return v;
}

static void devctl(struct fixture *f, uint8_t v)
{
	assert_int_equal(ata_io_ctrl(f->a, f->h, 0, &v, 1, true), 0);
}

static uint8_t altstatus(struct fixture *f)
{
	uint8_t v = 0;

	assert_int_equal(ata_io_ctrl(f->a, f->h, 0, &v, 1, false), 0);
	return v;
}

static uint16_t rdata16(struct fixture *f)
{
	uint8_t b[2];

	assert_int_equal(ata_io_cmd(f->a, f->h, DATA, b, 2, false), 0);
	return (uint16_t)(b[0] | b[1] << 8);
}

/* Read `bytes` from the data port with 2- or 4-byte accesses into f->buf. */
static void read_data(struct fixture *f, size_t bytes, uint32_t width)
{
	for (size_t i = 0; i < bytes; i += width)
		assert_int_equal(ata_io_cmd(f->a, f->h, DATA, f->buf + i, width, false), 0);
}

static void write_data(struct fixture *f, const uint8_t *src, size_t bytes,
		       uint32_t width)
{
	uint8_t tmp[4];

	for (size_t i = 0; i < bytes; i += width) {
		memcpy(tmp, src + i, width);
		assert_int_equal(ata_io_cmd(f->a, f->h, DATA, tmp, width, true), 0);
	}
}

/* Task file for an LBA28 command, then the command itself. */
static void lba28_cmd(struct fixture *f, uint8_t cmd, uint32_t lba, uint8_t n)
{
	wr(f, NSECT, n);
	wr(f, LBAL, (uint8_t)lba);
	wr(f, LBAM, (uint8_t)(lba >> 8));
	wr(f, LBAH, (uint8_t)(lba >> 16));
	wr(f, DEVICE, (uint8_t)(0xe0 | ((lba >> 24) & 0x0f)));
	wr(f, COMMAND, cmd);
}

static const uint8_t *disk_at(struct fixture *f, uint64_t sector)
{
	return fakehost_disk(f->fh, 0) + sector * 512;
}

static size_t irq_raises(struct fixture *f)
{
	size_t n = 0;

	for (size_t i = 0; i < fakehost_nirqs(f->fh); i++) {
		assert_int_equal(fakehost_irq(f->fh, i)->line, IRQ);
		n += fakehost_irq(f->fh, i)->level == 1;
	}
	return n;
}

static void assert_req(struct fixture *f, size_t i, enum blk_op op,
		       uint64_t sector, uint32_t n)
{
	const struct fakehost_req *r = fakehost_req(f->fh, i);

	assert_non_null(r);
	assert_int_equal(r->op, op);
	assert_int_equal(r->disk, 0);
	assert_string_equal(r->device, "ata0");
	assert_int_equal(r->sector, sector);
	assert_int_equal(r->nsectors, n);
}

static uint16_t word(const uint8_t *p, unsigned w)
{
	return (uint16_t)(p[2 * w] | p[2 * w + 1] << 8);
}

/* ---- reset, signature ---- */

static void test_ata_reset_state(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, STATUS), 0x50);
	assert_int_equal(altstatus(f), 0x50);
	assert_int_equal(rd(f, ERROR), 0x01);
	assert_int_equal(rd(f, NSECT), 1);
	assert_int_equal(rd(f, LBAL), 1);
	assert_int_equal(rd(f, LBAM), 0);
	assert_int_equal(rd(f, LBAH), 0);
	assert_int_equal(rd(f, DEVICE), 0);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
}

static void test_ata_srst_signature(void **state)
{
	struct fixture *f = *state;

	lba28_cmd(f, 0x20, 0x123456, 1);
	read_data(f, 512, 2);
	wr(f, FEATURES, 0x33);
	devctl(f, 0x04);
	assert_int_equal(altstatus(f), 0x90);     /* BSY|DSC while held */
	devctl(f, 0x00);
	assert_int_equal(rd(f, STATUS), 0x50);
	assert_int_equal(rd(f, ERROR), 0x01);
	assert_int_equal(rd(f, NSECT), 1);
	assert_int_equal(rd(f, LBAL), 1);
	assert_int_equal(rd(f, LBAM), 0);
	assert_int_equal(rd(f, LBAH), 0);
	assert_int_equal(rd(f, DEVICE), 0);
}

static void test_ata_diagnostic_sets_signature(void **state)
{
	struct fixture *f = *state;

	wr(f, LBAM, 0x12);
	wr(f, LBAH, 0x34);
	wr(f, COMMAND, 0x90);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, STATUS), 0x50);
	assert_int_equal(rd(f, ERROR), 0x01);
	assert_int_equal(rd(f, NSECT), 1);
	assert_int_equal(rd(f, LBAL), 1);
	assert_int_equal(rd(f, LBAM), 0);
	assert_int_equal(rd(f, LBAH), 0);
}

/* ---- IDENTIFY ---- */

static void test_ata_identify_words(void **state)
{
	struct fixture *f = *state;
	const uint8_t *p = f->buf;
	uint8_t sum = 0;

	wr(f, DEVICE, 0xa0);
	wr(f, COMMAND, 0xec);
	assert_int_equal(altstatus(f), 0x58);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, STATUS), 0x58);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 0);
	read_data(f, 512, 2);
	assert_int_equal(rd(f, STATUS), 0x50);
	/* One IRQ for the one data block; none when it has been read. */
	assert_int_equal(irq_raises(f), 1);
	assert_int_equal(fakehost_nreqs(f->fh), 0);

	assert_int_equal(word(p, 0), 0x0040);
	assert_int_equal(word(p, 1), DISK_SECTORS / 1008);
	assert_int_equal(word(p, 3), 16);
	assert_int_equal(word(p, 6), 63);
	assert_int_equal(word(p, 47), 0x8010);
	assert_int_equal(word(p, 49), 0x0a00);
	assert_int_equal(word(p, 50), 0x4000);
	assert_int_equal(word(p, 53), 0x0007);
	assert_int_equal(word(p, 54), DISK_SECTORS / 1008);
	assert_int_equal(word(p, 57) | word(p, 58) << 16, (DISK_SECTORS / 1008) * 1008);
	assert_int_equal(word(p, 59), 0x0110);
	assert_int_equal(word(p, 60), DISK_SECTORS & 0xffff);
	assert_int_equal(word(p, 61), DISK_SECTORS >> 16);
	assert_int_equal(word(p, 64), 0x0003);
	assert_int_equal(word(p, 80), 0x00f0);
	assert_int_equal(word(p, 82), 0x4020);
	assert_int_equal(word(p, 83), 0x7400);
	assert_true(word(p, 83) & (1 << 10));
	assert_int_equal(word(p, 85), 0x4020);
	assert_int_equal(word(p, 86), 0x3400);
	assert_int_equal(word(p, 100), DISK_SECTORS);
	assert_int_equal(word(p, 101), 0);
	assert_int_equal(word(p, 102), 0);
	assert_int_equal(word(p, 103), 0);
	assert_int_equal(word(p, 255) & 0xff, 0xa5);
	for (int i = 0; i < 512; i++)
		sum += p[i];
	assert_int_equal(sum, 0);
}

static void test_ata_identify_strings(void **state)
{
	struct fixture *f = *state;
	char model[41], serial[21], fw[9];
	uint16_t w;

	wr(f, COMMAND, 0xec);
	for (unsigned i = 0; i < 256; i++) {
		w = rdata16(f);
		/* ATA strings: first character in the high byte. */
		if (i >= 10 && i < 20) {
			serial[2 * (i - 10)] = (char)(w >> 8);
			serial[2 * (i - 10) + 1] = (char)w;
		} else if (i >= 23 && i < 27) {
			fw[2 * (i - 23)] = (char)(w >> 8);
			fw[2 * (i - 23) + 1] = (char)w;
		} else if (i >= 27 && i < 47) {
			model[2 * (i - 27)] = (char)(w >> 8);
			model[2 * (i - 27) + 1] = (char)w;
		}
	}
	model[40] = serial[20] = fw[8] = '\0';
	assert_string_equal(model, "EXITLOG HARDDISK                        ");
	assert_string_equal(serial, "EXITLOG0001         ");
	assert_string_equal(fw, "0.1     ");
}

static void test_ata_identify_caps_large_disk(void **state)
{
	struct fixture *f = *state;
	struct ata *big = ata_create("ata1", 0, (1ull << 32) + 7, 15);
	uint8_t v = 0xec, b[2];
	uint8_t id[512];

	assert_non_null(big);
	assert_int_equal(ata_io_cmd(big, f->h, COMMAND, &v, 1, true), 0);
	for (int i = 0; i < 512; i += 2) {
		assert_int_equal(ata_io_cmd(big, f->h, DATA, b, 2, false), 0);
		memcpy(id + i, b, 2);
	}
	assert_int_equal(word(id, 1), 16383);
	assert_int_equal(word(id, 60), 0xffff);
	assert_int_equal(word(id, 61), 0x0fff);
	assert_int_equal(word(id, 100), 7);
	assert_int_equal(word(id, 101), 0);
	assert_int_equal(word(id, 102), 1);
	assert_int_equal(word(id, 103), 0);
	ata_destroy(big);
}

/* ---- reads ---- */

static void test_ata_read_sectors_16bit(void **state)
{
	struct fixture *f = *state;
	static const int levels[] = { 1, 0, 1, 0, 1, 0 };

	lba28_cmd(f, 0x20, 5, 3);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_req(f, 0, BLK_OP_READ, 5, 3);
	for (int s = 0; s < 3; s++) {
		assert_int_equal(rd(f, STATUS), 0x58);   /* acknowledges the IRQ */
		read_data(f, 512, 2);
		assert_memory_equal(f->buf, disk_at(f, 5 + s), 512);
	}
	assert_int_equal(rd(f, STATUS), 0x50);
	/* Exactly one request, one IRQ per sector, none after the last. */
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_int_equal(fakehost_nirqs(f->fh), 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(fakehost_irq(f->fh, i)->level, levels[i]);
	/* The task file has advanced past the data (as QEMU does). */
	assert_int_equal(rd(f, LBAL), 8);
	assert_int_equal(rd(f, NSECT), 0);
}

static void test_ata_read_sectors_32bit(void **state)
{
	struct fixture *f = *state;

	lba28_cmd(f, 0x20, 5, 3);
	read_data(f, 3 * 512, 4);
	assert_memory_equal(f->buf, disk_at(f, 5), 3 * 512);
	assert_int_equal(rd(f, STATUS), 0x50);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_req(f, 0, BLK_OP_READ, 5, 3);
	assert_int_equal(irq_raises(f), 1);   /* status never read in between */
}

static void test_ata_read_out_of_range(void **state)
{
	struct fixture *f = *state;

	lba28_cmd(f, 0x20, DISK_SECTORS - 1, 2);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, STATUS), 0x41);
	assert_int_equal(rd(f, ERROR), 0x14);
	assert_int_equal(rdata16(f), 0xffff);
	/* Same for a write: refused before any data phase. */
	lba28_cmd(f, 0x30, DISK_SECTORS, 1);
	assert_int_equal(rd(f, STATUS), 0x41);
	assert_int_equal(rd(f, ERROR), 0x14);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
}

static void test_ata_read_last_sector(void **state)
{
	struct fixture *f = *state;

	lba28_cmd(f, 0x20, DISK_SECTORS - 1, 1);
	assert_req(f, 0, BLK_OP_READ, DISK_SECTORS - 1, 1);
	assert_int_equal(rd(f, STATUS), 0x58);
	read_data(f, 512, 2);
	assert_memory_equal(f->buf, disk_at(f, DISK_SECTORS - 1), 512);
	assert_int_equal(rd(f, STATUS), 0x50);
}

static void test_ata_nsect_zero_means_256(void **state)
{
	struct fixture *f = *state;

	lba28_cmd(f, 0x20, 10, 0);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_req(f, 0, BLK_OP_READ, 10, 256);
	read_data(f, 256 * 512, 4);
	assert_memory_equal(f->buf, disk_at(f, 10), 256 * 512);
	assert_int_equal(rd(f, STATUS), 0x50);
	assert_int_equal(irq_raises(f), 1);
}

static void test_ata_lba48_read_ext_hob(void **state)
{
	struct fixture *f = *state;

	/* 258 sectors from 4096: each register written twice, HOB first. */
	wr(f, NSECT, 0x01);
	wr(f, NSECT, 0x02);
	wr(f, LBAL, 0x00);
	wr(f, LBAL, 0x00);
	wr(f, LBAM, 0x00);
	wr(f, LBAM, 0x10);
	wr(f, LBAH, 0x00);
	wr(f, LBAH, 0x00);
	devctl(f, 0x80);             /* HOB: read the previous values */
	assert_int_equal(rd(f, NSECT), 0x01);
	assert_int_equal(rd(f, LBAM), 0x00);
	devctl(f, 0x00);
	assert_int_equal(rd(f, NSECT), 0x02);
	assert_int_equal(rd(f, LBAM), 0x10);
	wr(f, DEVICE, 0x40);
	wr(f, COMMAND, 0x24);
	/* One request per 256-sector chunk, the next when it is consumed. */
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_req(f, 0, BLK_OP_READ, 4096, 256);
	read_data(f, 256 * 512, 2);
	assert_int_equal(fakehost_nreqs(f->fh), 2);
	assert_req(f, 1, BLK_OP_READ, 4096 + 256, 2);
	read_data(f, 2 * 512, 2);
	assert_int_equal(rd(f, STATUS), 0x50);
	assert_memory_equal(f->buf, disk_at(f, 4096 + 256), 2 * 512);
}

static void test_ata_lba48_uses_high_bytes(void **state)
{
	struct fixture *f = *state;

	/* LBA 0x01_000000 + 5: past the end only if the HOB byte counts. */
	wr(f, NSECT, 0x00);
	wr(f, NSECT, 0x01);
	wr(f, LBAL, 0x01);
	wr(f, LBAL, 0x05);
	wr(f, LBAM, 0x00);
	wr(f, LBAM, 0x00);
	wr(f, LBAH, 0x00);
	wr(f, LBAH, 0x00);
	wr(f, DEVICE, 0x40);
	wr(f, COMMAND, 0x24);
	assert_int_equal(rd(f, STATUS), 0x41);
	assert_int_equal(rd(f, ERROR), 0x14);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
}

/* ---- writes ---- */

static void test_ata_write_sectors(void **state)
{
	struct fixture *f = *state;
	uint8_t src[2 * 512];

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(0xa0 ^ i);
	lba28_cmd(f, 0x30, 100, 2);
	assert_int_equal(altstatus(f), 0x58);
	assert_int_equal(fakehost_nirqs(f->fh), 0);   /* no IRQ for block 1 */
	write_data(f, src, 512, 2);
	assert_int_equal(fakehost_nreqs(f->fh), 0);   /* buffered */
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, STATUS), 0x58);
	write_data(f, src + 512, 510, 2);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	write_data(f, src + 1022, 2, 2);               /* the last word */
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_req(f, 0, BLK_OP_WRITE, 100, 2);
	assert_memory_equal(disk_at(f, 100), src, sizeof(src));
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, STATUS), 0x50);
	assert_int_equal(irq_raises(f), 2);
	/* Neighbours untouched. */
	assert_int_equal(disk_at(f, 102)[0], (uint8_t)(102 * 512 * 7 + 102));
}

static void test_ata_write_sectors_32bit(void **state)
{
	struct fixture *f = *state;
	uint8_t src[512];

	memset(src, 0x5c, sizeof(src));
	lba28_cmd(f, 0x30, 7, 1);
	write_data(f, src, 512, 4);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_req(f, 0, BLK_OP_WRITE, 7, 1);
	assert_memory_equal(disk_at(f, 7), src, 512);
}

/* ---- interrupts ---- */

static void test_ata_nien_suppresses_irq(void **state)
{
	struct fixture *f = *state;

	devctl(f, 0x02);
	lba28_cmd(f, 0x20, 0, 2);
	assert_int_equal(altstatus(f), 0x58);
	read_data(f, 1024, 2);
	assert_memory_equal(f->buf, disk_at(f, 0), 1024);
	wr(f, COMMAND, 0xe7);
	assert_int_equal(rd(f, STATUS), 0x50);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
}

static void test_ata_status_clears_irq_altstatus_does_not(void **state)
{
	struct fixture *f = *state;

	wr(f, COMMAND, 0xec);
	assert_int_equal(fakehost_nirqs(f->fh), 1);
	assert_int_equal(altstatus(f), 0x58);
	assert_int_equal(fakehost_nirqs(f->fh), 1);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, STATUS), 0x58);
	assert_int_equal(fakehost_nirqs(f->fh), 2);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 0);
	/* Level unchanged: no further calls. */
	assert_int_equal(rd(f, STATUS), 0x58);
	assert_int_equal(fakehost_nirqs(f->fh), 2);
}

/* ---- slave, errors, misc commands ---- */

static void test_ata_slave_selected_is_absent(void **state)
{
	struct fixture *f = *state;

	wr(f, DEVICE, 0xb0);
	assert_int_equal(rd(f, STATUS), 0x00);
	assert_int_equal(altstatus(f), 0x00);
	assert_int_equal(rd(f, ERROR), 0x00);
	wr(f, COMMAND, 0xec);         /* ignored */
	assert_int_equal(fakehost_nirqs(f->fh), 0);
	assert_int_equal(rdata16(f), 0xffff);
	/* Register writes land in the shared task file (Linux's devchk). */
	wr(f, NSECT, 0x55);
	wr(f, LBAL, 0xaa);
	assert_int_equal(rd(f, NSECT), 0x55);
	assert_int_equal(rd(f, LBAL), 0xaa);
	wr(f, DEVICE, 0xa0);
	assert_int_equal(rd(f, NSECT), 0x55);
	assert_int_equal(rd(f, STATUS), 0x50);
}

static void test_ata_host_eio_sets_err(void **state)
{
	struct fixture *f = *state;
	uint8_t src[512] = { 1 };

	fakehost_fail_next(f->fh, -EIO);
	lba28_cmd(f, 0x20, 3, 1);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_int_equal(fakehost_req(f->fh, 0)->rc, -EIO);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, STATUS), 0x41);
	assert_int_equal(rd(f, ERROR), 0x40);
	assert_int_equal(rdata16(f), 0xffff);

	lba28_cmd(f, 0x30, 3, 1);
	fakehost_fail_next(f->fh, -EIO);
	write_data(f, src, 512, 2);
	assert_int_equal(fakehost_nreqs(f->fh), 2);
	assert_int_equal(fakehost_req(f->fh, 1)->op, BLK_OP_WRITE);
	assert_int_equal(rd(f, STATUS), 0x41);
	assert_int_equal(rd(f, ERROR), 0x04);
	/* The next command succeeds again and clears the error. */
	lba28_cmd(f, 0x20, 3, 1);
	assert_int_equal(rd(f, STATUS), 0x58);
	assert_int_equal(rd(f, ERROR), 0x00);
}

static void test_ata_read_multiple_irq_per_block(void **state)
{
	struct fixture *f = *state;

	wr(f, NSECT, 4);
	wr(f, COMMAND, 0xc6);          /* SET MULTIPLE MODE 4 */
	assert_int_equal(rd(f, STATUS), 0x50);
	fakehost_reset_log(f->fh);
	lba28_cmd(f, 0xc4, 40, 10);    /* blocks of 4, 4, 2 */
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_req(f, 0, BLK_OP_READ, 40, 10);
	assert_int_equal(rd(f, STATUS), 0x58);
	read_data(f, 3 * 512, 2);
	assert_int_equal(altstatus(f), 0x58);
	assert_int_equal(fakehost_nirqs(f->fh), 2);   /* no IRQ inside a block */
	read_data(f, 512, 2);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, STATUS), 0x58);
	read_data(f, 4 * 512, 2);
	assert_int_equal(rd(f, STATUS), 0x58);
	read_data(f, 2 * 512, 2);
	assert_int_equal(rd(f, STATUS), 0x50);
	assert_int_equal(irq_raises(f), 3);
	assert_memory_equal(f->buf, disk_at(f, 48), 2 * 512);
}

static void test_ata_write_multiple_irq_per_block(void **state)
{
	struct fixture *f = *state;
	uint8_t src[6 * 512];

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i / 3);
	wr(f, NSECT, 4);
	wr(f, COMMAND, 0xc6);
	assert_int_equal(rd(f, STATUS), 0x50);
	fakehost_reset_log(f->fh);
	lba28_cmd(f, 0xc5, 200, 6);
	write_data(f, src, 4 * 512 - 2, 2);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
	write_data(f, src + 4 * 512 - 2, 2, 2);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	assert_int_equal(rd(f, STATUS), 0x58);
	write_data(f, src + 4 * 512, 2 * 512, 2);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_req(f, 0, BLK_OP_WRITE, 200, 6);
	assert_int_equal(rd(f, STATUS), 0x50);
	assert_int_equal(irq_raises(f), 2);
	assert_memory_equal(disk_at(f, 200), src, sizeof(src));
}

static void test_ata_multiple_mode_validation(void **state)
{
	struct fixture *f = *state;
	uint8_t id[512];

	wr(f, NSECT, 3);               /* not a power of two */
	wr(f, COMMAND, 0xc6);
	assert_int_equal(rd(f, STATUS), 0x41);
	assert_int_equal(rd(f, ERROR), 0x04);
	wr(f, NSECT, 0);               /* disable */
	wr(f, COMMAND, 0xc6);
	assert_int_equal(rd(f, STATUS), 0x50);
	lba28_cmd(f, 0xc4, 0, 1);
	assert_int_equal(rd(f, STATUS), 0x41);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
	wr(f, COMMAND, 0xec);
	read_data(f, 512, 2);
	memcpy(id, f->buf, 512);
	assert_int_equal(word(id, 59), 0);
}

static void test_ata_flush_cache(void **state)
{
	struct fixture *f = *state;

	wr(f, COMMAND, 0xe7);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_req(f, 0, BLK_OP_FLUSH, 0, 0);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, STATUS), 0x50);
	wr(f, COMMAND, 0xea);
	assert_int_equal(fakehost_count_op(f->fh, BLK_OP_FLUSH), 2);
	fakehost_fail_next(f->fh, -EIO);
	wr(f, COMMAND, 0xe7);
	assert_int_equal(rd(f, STATUS), 0x41);
	assert_int_equal(rd(f, ERROR), 0x04);
}

static void test_ata_write_cache_disable_flushes(void **state)
{
	struct fixture *f = *state;
	uint8_t src[512] = { 9 };

	wr(f, FEATURES, 0x82);
	wr(f, COMMAND, 0xef);
	assert_int_equal(rd(f, STATUS), 0x50);
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	assert_req(f, 0, BLK_OP_FLUSH, 0, 0);
	lba28_cmd(f, 0x30, 1, 1);
	write_data(f, src, 512, 2);
	assert_int_equal(fakehost_nreqs(f->fh), 3);
	assert_req(f, 1, BLK_OP_WRITE, 1, 1);
	assert_req(f, 2, BLK_OP_FLUSH, 0, 0);
}

static void test_ata_set_features_and_misc(void **state)
{
	struct fixture *f = *state;

	wr(f, FEATURES, 0x03);
	wr(f, NSECT, 0x0c);            /* PIO mode 4 */
	wr(f, COMMAND, 0xef);
	assert_int_equal(rd(f, STATUS), 0x50);
	wr(f, FEATURES, 0x03);
	wr(f, NSECT, 0x45);            /* UDMA 5: no DMA here */
	wr(f, COMMAND, 0xef);
	assert_int_equal(rd(f, STATUS), 0x41);
	assert_int_equal(rd(f, ERROR), 0x04);
	wr(f, COMMAND, 0xe5);          /* CHECK POWER MODE */
	assert_int_equal(rd(f, STATUS), 0x50);
	assert_int_equal(rd(f, NSECT), 0xff);
	wr(f, COMMAND, 0xe1);          /* IDLE IMMEDIATE */
	assert_int_equal(rd(f, STATUS), 0x40);
	wr(f, COMMAND, 0x91);
	assert_int_equal(rd(f, STATUS), 0x50);
	wr(f, COMMAND, 0xc8);          /* READ DMA: not supported */
	assert_int_equal(rd(f, STATUS), 0x41);
	assert_int_equal(rd(f, ERROR), 0x04);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
}

static void test_ata_data_without_drq(void **state)
{
	struct fixture *f = *state;
	uint8_t b[4] = { 0 };
	uint8_t v = 0x12;

	assert_int_equal(rdata16(f), 0xffff);
	assert_int_equal(ata_io_cmd(f->a, f->h, DATA, b, 4, false), 0);
	assert_int_equal(b[0] & b[1] & b[2] & b[3], 0xff);
	/* Writes are dropped; 1-byte data accesses are refused. */
	assert_int_equal(ata_io_cmd(f->a, f->h, DATA, b, 2, true), 0);
	assert_int_equal(ata_io_cmd(f->a, f->h, DATA, &v, 1, false), -EINVAL);
	assert_int_equal(v, 0xff);
	assert_int_equal(rd(f, STATUS), 0x50);
}

static void test_ata_registers_frozen_during_drq(void **state)
{
	struct fixture *f = *state;

	lba28_cmd(f, 0x20, 9, 1);
	wr(f, NSECT, 0x77);
	wr(f, COMMAND, 0xec);          /* ignored while DRQ */
	assert_int_equal(fakehost_nreqs(f->fh), 1);
	read_data(f, 512, 2);
	assert_memory_equal(f->buf, disk_at(f, 9), 512);
	assert_int_equal(rd(f, NSECT), 0);
}

static void test_ata_chs_read(void **state)
{
	struct fixture *f = *state;

	/* C/H/S 1/2/3 with 16 heads, 63 sectors: (1*16+2)*63+3-1 = 1136. */
	wr(f, NSECT, 1);
	wr(f, LBAL, 3);
	wr(f, LBAM, 1);
	wr(f, LBAH, 0);
	wr(f, DEVICE, 0xa2);
	wr(f, COMMAND, 0x20);
	assert_req(f, 0, BLK_OP_READ, 1136, 1);
	read_data(f, 512, 2);
	assert_memory_equal(f->buf, disk_at(f, 1136), 512);
	assert_int_equal(rd(f, LBAL), 4);      /* next CHS sector */
}

static void test_ata_regnames(void **state)
{
	(void)state;
	assert_string_equal(ata_regname_cmd(0, false), "data");
	assert_string_equal(ata_regname_cmd(1, false), "error");
	assert_string_equal(ata_regname_cmd(1, true), "features");
	assert_string_equal(ata_regname_cmd(2, true), "nsect");
	assert_string_equal(ata_regname_cmd(5, false), "lbah");
	assert_string_equal(ata_regname_cmd(6, true), "device");
	assert_string_equal(ata_regname_cmd(7, false), "status");
	assert_string_equal(ata_regname_cmd(7, true), "command");
	assert_null(ata_regname_cmd(8, false));
	assert_string_equal(ata_regname_ctrl(0, false), "altstatus");
	assert_string_equal(ata_regname_ctrl(0, true), "devctl");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ata_reset_state),
		T(test_ata_srst_signature),
		T(test_ata_diagnostic_sets_signature),
		T(test_ata_identify_words),
		T(test_ata_identify_strings),
		T(test_ata_identify_caps_large_disk),
		T(test_ata_read_sectors_16bit),
		T(test_ata_read_sectors_32bit),
		T(test_ata_read_out_of_range),
		T(test_ata_read_last_sector),
		T(test_ata_nsect_zero_means_256),
		T(test_ata_lba48_read_ext_hob),
		T(test_ata_lba48_uses_high_bytes),
		T(test_ata_write_sectors),
		T(test_ata_write_sectors_32bit),
		T(test_ata_nien_suppresses_irq),
		T(test_ata_status_clears_irq_altstatus_does_not),
		T(test_ata_slave_selected_is_absent),
		T(test_ata_host_eio_sets_err),
		T(test_ata_read_multiple_irq_per_block),
		T(test_ata_write_multiple_irq_per_block),
		T(test_ata_multiple_mode_validation),
		T(test_ata_flush_cache),
		T(test_ata_write_cache_disable_flushes),
		T(test_ata_set_features_and_misc),
		T(test_ata_data_without_drq),
		T(test_ata_registers_frozen_during_drq),
		T(test_ata_chs_read),
		T(test_ata_regnames),
	};

	return cmocka_run_group_tests_name("ata", tests, NULL, NULL);
}
