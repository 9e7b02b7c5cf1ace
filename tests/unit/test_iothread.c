/*
 * test_iothread.c - the IO threads' overlap rule (recorder/iothread.c):
 * which pairs of block requests must not run at once.  A read racing a
 * write to the same sectors would return whatever the live timing gave,
 * and replay (which carries requests out in completion-event order) could
 * not reproduce it; two reads, or requests on different disks or disjoint
 * ranges, may run together.  The scheduling that uses the rule runs in the
 * e2e tests (t_async, t_vblk_depth, t_distro's replay).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "recorder/iothread.h"

static struct blk_req rq(int disk, enum blk_op op, uint64_t sector, uint32_t n)
{
	return (struct blk_req){ .disk = disk, .device = "vblk0", .op = op,
				 .sector = sector, .nsectors = n };
}

/* the rule is symmetric: check both orders */
static void expect(struct blk_req a, struct blk_req b, bool want)
{
	assert_int_equal(iothread_conflict(&a, &b), want);
	assert_int_equal(iothread_conflict(&b, &a), want);
}

static void test_iothread_write_conflicts_with_overlapping_read(void **state)
{
	(void)state;
	expect(rq(0, BLK_OP_WRITE, 8, 8), rq(0, BLK_OP_READ, 8, 8), true);
	expect(rq(0, BLK_OP_WRITE, 8, 8), rq(0, BLK_OP_READ, 15, 1), true);  /* last sector */
	expect(rq(0, BLK_OP_WRITE, 8, 8), rq(0, BLK_OP_READ, 0, 9), true);   /* first sector */
	expect(rq(0, BLK_OP_WRITE, 8, 8), rq(0, BLK_OP_READ, 10, 2), true);  /* inside */
	expect(rq(0, BLK_OP_WRITE, 8, 8), rq(0, BLK_OP_WRITE, 0, 64), true); /* covers */
}

static void test_iothread_neighbours_and_reads_run_together(void **state)
{
	(void)state;
	expect(rq(0, BLK_OP_WRITE, 8, 8), rq(0, BLK_OP_READ, 16, 8), false);  /* right after */
	expect(rq(0, BLK_OP_WRITE, 8, 8), rq(0, BLK_OP_WRITE, 0, 8), false);  /* right before */
	expect(rq(0, BLK_OP_READ, 8, 8), rq(0, BLK_OP_READ, 8, 8), false);    /* two reads */
	expect(rq(0, BLK_OP_WRITE, 8, 8), rq(1, BLK_OP_WRITE, 8, 8), false);  /* two disks */
}

static void test_iothread_empty_and_huge_ranges(void **state)
{
	(void)state;
	/* an empty range touches nothing, even inside a write */
	expect(rq(0, BLK_OP_WRITE, 8, 8), rq(0, BLK_OP_READ, 12, 0), false);
	/* a hostile sector near 2^64: no wrap-around makes it overlap sector 0 */
	expect(rq(0, BLK_OP_WRITE, UINT64_MAX - 3, 8), rq(0, BLK_OP_READ, 0, 8), false);
	expect(rq(0, BLK_OP_WRITE, UINT64_MAX - 3, 8), rq(0, BLK_OP_READ, UINT64_MAX, 1), true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iothread_write_conflicts_with_overlapping_read),
		cmocka_unit_test(test_iothread_neighbours_and_reads_run_together),
		cmocka_unit_test(test_iothread_empty_and_huge_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
