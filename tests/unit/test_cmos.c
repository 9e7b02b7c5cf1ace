/*
 * test_cmos.c - devices/cmos.c: the RTC's calendar at known epochs (checked
 * against Python's datetime), BCD/binary and 12/24-hour formats, setting the
 * clock the way Linux's mc146818_set_time does, registers A-D, and the
 * memory-size bytes of the CMOS RAM.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/cmos.h"
#include "tests/unit/fakehost.h"

#define EPOCH 1700000000u /* 2023-11-14 22:13:20 UTC, a Tuesday */
#define MIB (1ull << 20)
#define NS 1000000000ull

struct fixture {
	struct cmos *c;
	struct fakehost *fh;
	const struct host *h;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	f->c = cmos_create("rtc", EPOCH, 32 * MIB, 0);
	f->fh = fakehost_create(0, 0);
	assert_non_null(f->c);
	assert_non_null(f->fh);
	f->h = fakehost_host(f->fh);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	cmos_destroy(f->c);
	fakehost_destroy(f->fh);
	test_free(f);
	return 0;
}

static uint8_t rd(struct fixture *f, uint8_t reg)
{
	uint8_t v = reg;

	assert_int_equal(cmos_io(f->c, f->h, 0, &v, 1, true), 0);
	assert_int_equal(cmos_io(f->c, f->h, 1, &v, 1, false), 0);
	return v;
}

static int wr_rc(struct fixture *f, uint8_t reg, uint8_t val)
{
	uint8_t v = reg;

	assert_int_equal(cmos_io(f->c, f->h, 0, &v, 1, true), 0);
	v = val;
	return cmos_io(f->c, f->h, 1, &v, 1, true);
}

static void wr(struct fixture *f, uint8_t reg, uint8_t val)
{
	assert_int_equal(wr_rc(f, reg, val), 0);
}

static void test_cmos_bcd_time_at_epoch_plus_now(void **state)
{
	struct fixture *f = *state;

	fakehost_set_now(f->fh, 5 * NS + 700000000ull); /* 5.7 s: truncated to 5 */
	assert_int_equal(rd(f, 0x00), 0x25);
	assert_int_equal(rd(f, 0x02), 0x13);
	assert_int_equal(rd(f, 0x04), 0x22);
	assert_int_equal(rd(f, 0x06), 0x03); /* Tuesday, Sunday = 1 */
	assert_int_equal(rd(f, 0x07), 0x14);
	assert_int_equal(rd(f, 0x08), 0x11);
	assert_int_equal(rd(f, 0x09), 0x23);
	assert_int_equal(rd(f, 0x32), 0x20);
	assert_int_equal(rd(f, 0x0b), 0x02);
}

static void test_cmos_binary_mode(void **state)
{
	struct fixture *f = *state;

	fakehost_set_now(f->fh, 5 * NS);
	wr(f, 0x0b, 0x06);
	assert_int_equal(rd(f, 0x00), 25);
	assert_int_equal(rd(f, 0x02), 13);
	assert_int_equal(rd(f, 0x04), 22);
	assert_int_equal(rd(f, 0x07), 14);
	assert_int_equal(rd(f, 0x08), 11);
	assert_int_equal(rd(f, 0x09), 23);
	assert_int_equal(rd(f, 0x32), 20);
}

static void test_cmos_12_hour_mode(void **state)
{
	struct fixture *f = *state;

	wr(f, 0x0b, 0x00); /* 12-hour BCD */
	assert_int_equal(rd(f, 0x04), 0x80 | 0x10); /* 10 PM */
	wr(f, 0x0b, 0x04); /* 12-hour binary */
	assert_int_equal(rd(f, 0x04), 0x80 | 10);
	/* 00:xx is 12 AM */
	fakehost_set_now(f->fh, 2 * 3600 * NS); /* 00:13:20 next day */
	assert_int_equal(rd(f, 0x04), 12);
	assert_int_equal(rd(f, 0x07), 15);
	assert_int_equal(rd(f, 0x06), 4);
}

static void test_cmos_clock_advances_across_days(void **state)
{
	struct fixture *f = *state;

	fakehost_set_now(f->fh, 50ull * 86400 * NS); /* 2024-01-03 22:13:20 Wed */
	assert_int_equal(rd(f, 0x07), 0x03);
	assert_int_equal(rd(f, 0x08), 0x01);
	assert_int_equal(rd(f, 0x09), 0x24);
	assert_int_equal(rd(f, 0x06), 0x04);
}

static void test_cmos_leap_day_and_century(void **state)
{
	struct fixture *f = *state;
	struct cmos *c = f->c;

	f->c = cmos_create("rtc", 1709208000u, 0, 0); /* 2024-02-29 12:00 Thu */
	assert_int_equal(rd(f, 0x07), 0x29);
	assert_int_equal(rd(f, 0x08), 0x02);
	assert_int_equal(rd(f, 0x06), 0x05);
	cmos_destroy(f->c);
	f->c = cmos_create("rtc", 946684799u, 0, 0); /* 1999-12-31 23:59:59 Fri */
	assert_int_equal(rd(f, 0x09), 0x99);
	assert_int_equal(rd(f, 0x32), 0x19);
	assert_int_equal(rd(f, 0x06), 0x06);
	fakehost_set_now(f->fh, 1 * NS);
	assert_int_equal(rd(f, 0x00), 0x00);
	assert_int_equal(rd(f, 0x07), 0x01);
	assert_int_equal(rd(f, 0x08), 0x01);
	assert_int_equal(rd(f, 0x09), 0x00);
	assert_int_equal(rd(f, 0x32), 0x20);
	cmos_destroy(f->c);
	f->c = c;
}

static void test_cmos_status_registers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, 0x0d), 0x80);
	wr(f, 0x0d, 0x00);
	assert_int_equal(rd(f, 0x0d), 0x80);
	assert_int_equal(rd(f, 0x0a), 0x26);
	wr(f, 0x0a, 0xa6); /* UIP is read-only and always reads 0 */
	assert_int_equal(rd(f, 0x0a), 0x26);
	assert_int_equal(rd(f, 0x0c), 0x00);
	/* Linux rtc-cmos: enable PIE/AIE/UIE, read C: still no interrupt */
	wr(f, 0x0b, 0x72);
	assert_int_equal(rd(f, 0x0b), 0x72);
	assert_int_equal(rd(f, 0x0c), 0x00);
	fakehost_set_now(f->fh, 10 * NS);
	assert_int_equal(rd(f, 0x0c), 0x00);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
}

static void test_cmos_set_time_with_set_bit(void **state)
{
	struct fixture *f = *state;

	/* mc146818_set_time: SET, write fields, clear SET */
	wr(f, 0x0b, 0x82);
	wr(f, 0x00, 0x00);
	wr(f, 0x02, 0x30);
	wr(f, 0x04, 0x08);
	wr(f, 0x07, 0x01);
	wr(f, 0x08, 0x03);
	wr(f, 0x09, 0x25);
	assert_int_equal(rd(f, 0x04), 0x08); /* frozen copy reads back */
	fakehost_set_now(f->fh, 100 * NS);   /* time passes while SET */
	assert_int_equal(rd(f, 0x00), 0x00);
	wr(f, 0x0b, 0x02);
	assert_int_equal(rd(f, 0x00), 0x00);
	assert_int_equal(rd(f, 0x02), 0x30);
	assert_int_equal(rd(f, 0x04), 0x08);
	assert_int_equal(rd(f, 0x07), 0x01);
	assert_int_equal(rd(f, 0x08), 0x03);
	assert_int_equal(rd(f, 0x09), 0x25);
	assert_int_equal(rd(f, 0x06), 0x07); /* 2025-03-01 is a Saturday */
	fakehost_set_now(f->fh, 161 * NS);
	assert_int_equal(rd(f, 0x00), 0x01);
	assert_int_equal(rd(f, 0x02), 0x31);
}

static void test_cmos_direct_time_write_and_invalid(void **state)
{
	struct fixture *f = *state;

	wr(f, 0x02, 0x45); /* minutes, effective at once */
	assert_int_equal(rd(f, 0x02), 0x45);
	assert_int_equal(rd(f, 0x04), 0x22);
	assert_int_equal(wr_rc(f, 0x00, 0x9a), -EINVAL); /* not BCD */
	assert_int_equal(wr_rc(f, 0x08, 0x13), -EINVAL); /* month 13 */
	assert_int_equal(wr_rc(f, 0x04, 0x24), -EINVAL); /* hour 24 */
	assert_int_equal(rd(f, 0x00), 0x20);
	assert_int_equal(rd(f, 0x08), 0x11);
	/* 12-hour write: 7 PM */
	wr(f, 0x0b, 0x00);
	wr(f, 0x04, 0x87);
	wr(f, 0x0b, 0x02);
	assert_int_equal(rd(f, 0x04), 0x19);
	cmos_reset(f->c);
	assert_int_equal(rd(f, 0x02), 0x13);
	assert_int_equal(rd(f, 0x04), 0x22);
}

static void test_cmos_memory_size_registers(void **state)
{
	struct fixture *f = *state;
	unsigned sum = 0;

	/* 32 MiB */
	assert_int_equal(rd(f, 0x15) | rd(f, 0x16) << 8, 640);
	assert_int_equal(rd(f, 0x17) | rd(f, 0x18) << 8, 31 * 1024);
	assert_int_equal(rd(f, 0x30) | rd(f, 0x31) << 8, 31 * 1024);
	assert_int_equal(rd(f, 0x34) | rd(f, 0x35) << 8, 256);
	assert_int_equal(rd(f, 0x10), 0);
	assert_int_equal(rd(f, 0x14), 0x02);
	for (uint8_t r = 0x10; r <= 0x2d; r++)
		sum += rd(f, r);
	assert_int_equal(rd(f, 0x2e) << 8 | rd(f, 0x2f), sum);
	/* 3 GiB below 4 GiB, 1 GiB above */
	cmos_destroy(f->c);
	f->c = cmos_create("rtc", EPOCH, 3072 * MIB, 1024 * MIB);
	assert_int_equal(rd(f, 0x17) | rd(f, 0x18) << 8, 0xffff);
	assert_int_equal(rd(f, 0x34) | rd(f, 0x35) << 8, 0xbf00);
	assert_int_equal(rd(f, 0x5b) | rd(f, 0x5c) << 8 | rd(f, 0x5d) << 16, 0x4000);
}

static void test_cmos_ram_and_index_port(void **state)
{
	struct fixture *f = *state;
	uint8_t b[2];

	wr(f, 0x40, 0xab);
	wr(f, 0x7f, 0xcd);
	assert_int_equal(rd(f, 0x40), 0xab);
	assert_int_equal(rd(f, 0x7f), 0xcd);
	/* index bit 7 is NMI disable, not part of the index */
	wr(f, 0x80 | 0x40, 0x11);
	assert_int_equal(rd(f, 0x40), 0x11);
	/* port 0x70 is write-only */
	assert_int_equal(cmos_io(f->c, f->h, 0, b, 1, false), 0);
	assert_int_equal(b[0], 0xff);
	/* a 16-bit OUT to 0x70 sets the index then writes the data port */
	b[0] = 0x41;
	b[1] = 0x77;
	assert_int_equal(cmos_io(f->c, f->h, 0, b, 2, true), 0);
	assert_int_equal(rd(f, 0x41), 0x77);
	cmos_reset(f->c);
	assert_int_equal(rd(f, 0x40), 0x00);
	assert_string_equal(cmos_regname(0, true), "index");
	assert_string_equal(cmos_regname(1, false), "data");
}

static void test_cmos_now_only_for_time_registers(void **state)
{
	struct fixture *f = *state;

	/* no host calls besides now_ns (not logged by the fake) */
	rd(f, 0x40);
	rd(f, 0x0b);
	rd(f, 0x00);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
	assert_int_equal(fakehost_ndma(f->fh), 0);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cmos_bcd_time_at_epoch_plus_now),
		T(test_cmos_binary_mode),
		T(test_cmos_12_hour_mode),
		T(test_cmos_clock_advances_across_days),
		T(test_cmos_leap_day_and_century),
		T(test_cmos_status_registers),
		T(test_cmos_set_time_with_set_bit),
		T(test_cmos_direct_time_write_and_invalid),
		T(test_cmos_memory_size_registers),
		T(test_cmos_ram_and_index_port),
		T(test_cmos_now_only_for_time_registers),
	};

	return cmocka_run_group_tests_name("cmos", tests, NULL, NULL);
}
