/*
 * ata_fixture.h - shared cmocka fixture for the devices/ata.c unit tests
 * (test_ata.c, test_ata_identify.c): a fresh ATA channel on a fake host per
 * test, plus small register/data-port helpers.  The helpers are static inline
 * so that this header adds no symbols to the other test programs.
 */
#ifndef EXITLOG_TESTS_ATA_FIXTURE_H
#define EXITLOG_TESTS_ATA_FIXTURE_H

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

/* cmocka setup/teardown: a new fixture (channel "ata0", patterned disk). */
int ata_fixture_setup(void **state);
int ata_fixture_teardown(void **state);

#define T(fn) cmocka_unit_test_setup_teardown(fn, ata_fixture_setup, \
					      ata_fixture_teardown)

static inline void wr(struct fixture *f, unsigned off, uint8_t v)
{
	assert_int_equal(ata_io_cmd(f->a, f->h, off, &v, 1, true), 0);
}

static inline uint8_t rd(struct fixture *f, unsigned off)
{
	uint8_t v = 0;

	assert_int_equal(ata_io_cmd(f->a, f->h, off, &v, 1, false), 0);
	return v;
}

static inline void devctl(struct fixture *f, uint8_t v)
{
	assert_int_equal(ata_io_ctrl(f->a, f->h, 0, &v, 1, true), 0);
}

static inline uint8_t altstatus(struct fixture *f)
{
	uint8_t v = 0;

	assert_int_equal(ata_io_ctrl(f->a, f->h, 0, &v, 1, false), 0);
	return v;
}

static inline uint16_t rdata16(struct fixture *f)
{
	uint8_t b[2];

	assert_int_equal(ata_io_cmd(f->a, f->h, DATA, b, 2, false), 0);
	return (uint16_t)(b[0] | b[1] << 8);
}

/* Read `bytes` from the data port with 2- or 4-byte accesses into f->buf. */
static inline void read_data(struct fixture *f, size_t bytes,
			     uint32_t width)
{
	for (size_t i = 0; i < bytes; i += width)
		assert_int_equal(ata_io_cmd(f->a, f->h, DATA, f->buf + i, width, false), 0);
}

static inline void write_data(struct fixture *f, const uint8_t *src,
			      size_t bytes, uint32_t width)
{
	uint8_t tmp[4];

	for (size_t i = 0; i < bytes; i += width) {
		memcpy(tmp, src + i, width);
		assert_int_equal(ata_io_cmd(f->a, f->h, DATA, tmp, width, true), 0);
	}
}

/* Task file for an LBA28 command, then the command itself. */
static inline void lba28_cmd(struct fixture *f, uint8_t cmd, uint32_t lba,
			     uint8_t n)
{
	wr(f, NSECT, n);
	wr(f, LBAL, (uint8_t)lba);
	wr(f, LBAM, (uint8_t)(lba >> 8));
	wr(f, LBAH, (uint8_t)(lba >> 16));
	wr(f, DEVICE, (uint8_t)(0xe0 | ((lba >> 24) & 0x0f)));
	wr(f, COMMAND, cmd);
}

static inline const uint8_t *disk_at(struct fixture *f, uint64_t sector)
{
	return fakehost_disk(f->fh, 0) + sector * 512;
}

static inline size_t irq_raises(struct fixture *f)
{
	size_t n = 0;

	for (size_t i = 0; i < fakehost_nirqs(f->fh); i++) {
		assert_int_equal(fakehost_irq(f->fh, i)->line, IRQ);
		n += fakehost_irq(f->fh, i)->level == 1;
	}
	return n;
}

static inline void assert_req(struct fixture *f, size_t i, enum blk_op op,
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

static inline uint16_t word(const uint8_t *p, unsigned w)
{
	return (uint16_t)(p[2 * w] | p[2 * w + 1] << 8);
}

#endif
