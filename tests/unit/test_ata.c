/*
 * test_ata.c - devices/ata.c: register-level scripts as a PIO driver issues
 * them (reset, reads, writes, interrupts, errors, misc commands), checked
 * against the fake host's disk, request log and IRQ history.  IDENTIFY DEVICE
 * data is tested in test_ata_identify.c.
 */
#include <errno.h>

#include "tests/unit/ata_fixture.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ata_reset_state),
		T(test_ata_srst_signature),
		T(test_ata_diagnostic_sets_signature),
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
