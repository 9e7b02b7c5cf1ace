/*
 * test_bus.c - devices/bus.c: registration, overlap refusal, dispatch with
 * offsets, unclaimed accesses, lookup across many regions, register names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "tests/unit/fakehost.h"

/* A device that remembers its last access and answers reads with off+tag. */
struct probe {
	uint8_t tag;
	uint64_t off;
	uint32_t len;
	bool is_write;
	uint8_t wdata[8];
	int calls;
	int rc;
};

static int probe_io(void *dev, const struct host *h, uint64_t off, void *data,
		    uint32_t len, bool is_write)
{
	struct probe *p = dev;

	(void)h;
	p->off = off;
	p->len = len;
	p->is_write = is_write;
	p->calls++;
	if (is_write)
		memcpy(p->wdata, data, len);
	else
		memset(data, (uint8_t)(p->tag + off), len);
	return p->rc;
}

static const char *probe_regname(uint64_t off, bool is_write)
{
	if (off == 0)
		return is_write ? "cmd" : "status";
	if (off == 1)
		return "data";
	return NULL;
}

struct fixture {
	struct bus bus;
	struct fakehost *fh;
	const struct host *h;
	struct probe probes[3];
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	bus_init(&f->bus);
	f->fh = fakehost_create(0, 0);
	f->h = fakehost_host(f->fh);
	for (int i = 0; i < 3; i++)
		f->probes[i].tag = (uint8_t)(0x10 * (i + 1));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bus_destroy(&f->bus);
	fakehost_destroy(f->fh);
	test_free(f);
	return 0;
}

static void test_bus_register_and_find(void **state)
{
	struct fixture *f = *state;
	const struct bus_region *r;

	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x3f8, 8, probe_io,
				      probe_regname, &f->probes[0], "com1"), 0);
	r = bus_find(&f->bus, BUS_PIO, 0x3f8);
	assert_non_null(r);
	assert_string_equal(r->name, "com1");
	assert_ptr_equal(bus_find(&f->bus, BUS_PIO, 0x3ff), r);
	assert_null(bus_find(&f->bus, BUS_PIO, 0x3f7));
	assert_null(bus_find(&f->bus, BUS_PIO, 0x400));
	/* The other space is separate. */
	assert_null(bus_find(&f->bus, BUS_MMIO, 0x3f8));
}

static void test_bus_overlap_refused(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[0];

	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x1f0, 8, probe_io, NULL, p, "a"), 0);
	/* Overlapping the start, the end, inside, and covering. */
	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x1e8, 9, probe_io, NULL, p, "b"), -EBUSY);
	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x1f7, 2, probe_io, NULL, p, "b"), -EBUSY);
	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x1f3, 1, probe_io, NULL, p, "b"), -EBUSY);
	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x100, 0x200, probe_io, NULL, p, "b"), -EBUSY);
	/* Adjacent on both sides is fine. */
	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x1e8, 8, probe_io, NULL, p, "c"), 0);
	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x1f8, 8, probe_io, NULL, p, "d"), 0);
	/* Same range in the other space is fine. */
	assert_int_equal(bus_register(&f->bus, BUS_MMIO, 0x1f0, 8, probe_io, NULL, p, "e"), 0);
	assert_int_equal(f->bus.n[BUS_PIO], 3);
	assert_int_equal(f->bus.n[BUS_MMIO], 1);
}

static void test_bus_register_rejects_bad_ranges(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[0];

	assert_int_equal(bus_register(&f->bus, BUS_MMIO, 0x1000, 0, probe_io, NULL, p, "z"), -EINVAL);
	assert_int_equal(bus_register(&f->bus, BUS_MMIO, UINT64_MAX - 3, 8, probe_io, NULL, p, "w"), -EINVAL);
	/* The very last bytes of the space do not wrap. */
	assert_int_equal(bus_register(&f->bus, BUS_MMIO, UINT64_MAX - 7, 8, probe_io, NULL, p, "top"), 0);
	assert_string_equal(bus_find(&f->bus, BUS_MMIO, UINT64_MAX)->name, "top");
}

static void test_bus_access_dispatches_offset(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[1];
	uint8_t buf[4] = { 0x11, 0x22, 0x33, 0x44 };
	const struct bus_region *r;
	int err = 99;

	p->rc = -EIO;
	assert_int_equal(bus_register(&f->bus, BUS_MMIO, 0xfeb00000, 0x1000, probe_io, NULL, p, "vblk"), 0);
	r = bus_access(&f->bus, BUS_MMIO, f->h, 0xfeb00010, buf, 4, true, &err);
	assert_non_null(r);
	assert_string_equal(r->name, "vblk");
	assert_int_equal(err, -EIO);
	assert_int_equal(p->off, 0x10);
	assert_int_equal(p->len, 4);
	assert_true(p->is_write);
	assert_memory_equal(p->wdata, buf, 4);

	p->rc = 0;
	r = bus_access(&f->bus, BUS_MMIO, f->h, 0xfeb00003, buf, 2, false, &err);
	assert_non_null(r);
	assert_int_equal(err, 0);
	assert_int_equal(buf[0], 0x23);
	assert_int_equal(buf[1], 0x23);
	assert_false(p->is_write);
}

static void test_bus_unclaimed_reads_ff(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[4] = { 1, 2, 3, 4 };
	uint8_t ff[4] = { 0xff, 0xff, 0xff, 0xff };
	int err = 99;

	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x60, 1, probe_io, NULL, &f->probes[0], "kbd"), 0);
	assert_null(bus_access(&f->bus, BUS_PIO, f->h, 0x80, buf, 4, false, &err));
	assert_memory_equal(buf, ff, 4);
	assert_int_equal(err, 0);
	/* An unclaimed write is dropped and touches no device. */
	buf[0] = 0x42;
	assert_null(bus_access(&f->bus, BUS_PIO, f->h, 0x80, buf, 1, true, NULL));
	assert_int_equal(buf[0], 0x42);
	assert_int_equal(f->probes[0].calls, 0);
	/* Empty bus, and the empty other space. */
	assert_null(bus_access(&f->bus, BUS_MMIO, f->h, 0, buf, 2, false, NULL));
	assert_int_equal(buf[0], 0xff);
}

static void test_bus_lookup_many_regions(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[2];
	char names[200][8];
	/* Register 200 regions of 4 ports every 16, in a scrambled order. */
	for (int k = 0; k < 200; k++) {
		int i = (k * 37) % 200;

		snprintf(names[i], sizeof(names[i]), "r%d", i);
		assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x1000 + 16u * i, 4,
					      probe_io, NULL, p, names[i]), 0);
	}
	assert_int_equal(f->bus.n[BUS_PIO], 200);
	for (unsigned i = 1; i < 200; i++)
		assert_true(f->bus.regions[BUS_PIO][i - 1].base <
			    f->bus.regions[BUS_PIO][i].base);
	for (int i = 0; i < 200; i++) {
		uint64_t base = 0x1000 + 16u * i;

		assert_string_equal(bus_find(&f->bus, BUS_PIO, base)->name, names[i]);
		assert_string_equal(bus_find(&f->bus, BUS_PIO, base + 3)->name, names[i]);
		assert_null(bus_find(&f->bus, BUS_PIO, base + 4));
		assert_null(bus_find(&f->bus, BUS_PIO, base + 15));
	}
	assert_null(bus_find(&f->bus, BUS_PIO, 0xfff));
	assert_null(bus_find(&f->bus, BUS_PIO, 0x1000 + 16 * 200));
	/* Overlap refused in the middle of a big table. */
	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x1000 + 16 * 100 + 2, 8,
				      probe_io, NULL, p, "x"), -EBUSY);
	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x1000 + 16 * 100 + 4, 12,
				      probe_io, NULL, p, "gap"), 0);
	assert_string_equal(bus_find(&f->bus, BUS_PIO, 0x1000 + 16 * 100 + 15)->name, "gap");
}

static void test_bus_cache_survives_registration(void **state)
{
	struct fixture *f = *state;
	struct probe *p = &f->probes[0];

	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x100, 4, probe_io, NULL, p, "a"), 0);
	assert_string_equal(bus_find(&f->bus, BUS_PIO, 0x101)->name, "a");
	/* Inserting before it shifts the array; the cache must not lie. */
	for (int i = 0; i < 20; i++)
		assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x10 + 4u * i, 4, probe_io, NULL, p, "b"), 0);
	assert_string_equal(bus_find(&f->bus, BUS_PIO, 0x101)->name, "a");
	assert_string_equal(bus_find(&f->bus, BUS_PIO, 0x10)->name, "b");
}

static void test_bus_regname(void **state)
{
	struct fixture *f = *state;
	const struct bus_region *r;

	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x64, 2, probe_io, probe_regname, &f->probes[0], "a"), 0);
	assert_int_equal(bus_register(&f->bus, BUS_PIO, 0x70, 2, probe_io, NULL, &f->probes[1], "b"), 0);
	r = bus_find(&f->bus, BUS_PIO, 0x64);
	assert_string_equal(bus_regname(r, 0x64, false), "status");
	assert_string_equal(bus_regname(r, 0x64, true), "cmd");
	assert_string_equal(bus_regname(r, 0x65, false), "data");
	/* No name for the offset, no regname function, no region. */
	assert_string_equal(bus_regname(r, 0x66, false), "");
	assert_string_equal(bus_regname(bus_find(&f->bus, BUS_PIO, 0x70), 0x70, false), "");
	assert_string_equal(bus_regname(NULL, 0x70, false), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bus_register_and_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_overlap_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_register_rejects_bad_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_access_dispatches_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_unclaimed_reads_ff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_lookup_many_regions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_cache_survives_registration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_regname, setup, teardown),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
