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

#include "tests/unit/vblk_driver.h"


static void test_virtio_blk_depth_sixteen_one_notify(void **state)
{
	struct vdrv *f = *state;

	vdrv_add_dev(f, 11);
	fakehost_reset_log(f->fh);
	vdrv_add16(f, 0, 0, 64);
	vdrv_kick(f, 0);
	/* all 16 served by that notify, in ring order, one interrupt */
	assert_int_equal(fakehost_nreqs(f->fh), 16);
	for (unsigned i = 0; i < 16; i++) {
		assert_int_equal(fakehost_req(f->fh, i)->op, i % 2 ? BLK_OP_READ : BLK_OP_WRITE);
		assert_int_equal(fakehost_req(f->fh, i)->sector, 64 + 8 * i);
		assert_int_equal(fakehost_req(f->fh, i)->nsectors, 8);
	}
	assert_int_equal(vdrv_used_idx(f, 0), 16);
	assert_int_equal(fakehost_nirqs(f->fh), 1);
	assert_int_equal(fakehost_irq(f->fh, 0)->level, 1);
	vdrv_run_irqs(f, NULL);
	assert_int_equal(f->d[0].completed, 16);
	assert_int_equal(f->d[0].irqs_handled, 1);
	assert_int_equal(vdrv_inflight(f, 0), 0);
	assert_int_equal(fakehost_irq_level(f->fh, 11), 0);
	/* an ISR read with nothing pending: 0, line stays low */
	assert_int_equal(vdrv_isr_read(f, 0), 0);
	assert_int_equal(fakehost_nirqs(f->fh), 2);
}

/* Completion path that queues the next request and kicks (a synchronous
 * resubmission, as a driver may do from its callback), up to `limit`. */
static unsigned resubmit_left;

static void resubmit(struct vdrv *f, int d, int t)
{
	if (!resubmit_left)
		return;
	resubmit_left--;
	vdrv_add(f, d, (unsigned)t, resubmit_left % 3 == 0, 8u * (resubmit_left % 400));
	vdrv_kick(f, d);
}

static void test_virtio_blk_depth_kick_from_completion_path(void **state)
{
	struct vdrv *f = *state;

	vdrv_add_dev(f, 11);
	fakehost_reset_log(f->fh);
	vdrv_add16(f, 0, 0, 0);
	vdrv_kick(f, 0);
	resubmit_left = 200;
	vdrv_run_irqs(f, resubmit);
	/* kicks made while callbacks were disabled were served without an
	 * interrupt (NO_INTERRUPT was set), and enable_cb found their used
	 * entries; nothing was left behind */
	assert_int_equal(resubmit_left, 0);
	assert_int_equal(f->d[0].completed, 216);
	assert_int_equal(vdrv_inflight(f, 0), 0);
	assert_int_equal(f->d[0].irqs_handled, 1);
	assert_int_equal(fakehost_nreqs(f->fh), 216);
	assert_int_equal(fakehost_irq_level(f->fh, 11), 0);
}

static void test_virtio_blk_depth_no_interrupt_while_disabled(void **state)
{
	struct vdrv *f = *state;

	vdrv_add_dev(f, 11);
	fakehost_reset_log(f->fh);
	vdrv_disable_cb(f, 0);
	vdrv_add16(f, 0, 0, 0);
	vdrv_kick(f, 0);
	assert_int_equal(vdrv_used_idx(f, 0), 16);
	assert_int_equal(fakehost_nirqs(f->fh), 0);    /* suppressed */
	assert_false(vdrv_enable_cb(f, 0));             /* but the driver sees them */
	vdrv_done(f, 0, NULL);
	assert_int_equal(f->d[0].completed, 16);
	assert_int_equal(vdrv_isr_read(f, 0), 0);
}

/* The other vCPU, in virtblk_done, drains what is used so far and
 * re-enables callbacks: enable_cb finds nothing more, so it now waits for
 * an interrupt for the rest of the chains the device is still serving. */
static void other_drains_and_enables(struct vdrv *f, int d)
{
	while (vdrv_get_buf(f, d) >= 0)
		;
	assert_true(vdrv_enable_cb(f, d));
}

static void test_virtio_blk_depth_enable_cb_during_notify(void **state)
{
	struct vdrv *f = *state;

	vdrv_add_dev(f, 11);
	fakehost_reset_log(f->fh);
	vdrv_disable_cb(f, 0);          /* vCPU1 is in virtblk_done */
	vdrv_add16(f, 0, 0, 0);             /* vCPU0 queues 16 and kicks */
	f->other = other_drains_and_enables;
	f->other_dev = 0;
	vdrv_kick(f, 0);
	assert_null(f->other);
	assert_int_equal(f->d[0].completed, 1);
	assert_int_equal(vdrv_used_idx(f, 0), 16);
	/* 2.7.7.2: flags is judged after the used ring is written; it was 0
	 * by then, so the device must interrupt for the other 15 */
	assert_true(vdrv_line_pending(f, 11));
	vdrv_run_irqs(f, NULL);
	assert_int_equal(f->d[0].completed, 16);
	assert_int_equal(vdrv_inflight(f, 0), 0);
}

/* The other vCPU queues 4 more requests while the notify is served (and
 * its own kick waits for the device). */
static void other_adds(struct vdrv *f, int d)
{
	for (unsigned i = 0; i < 4; i++)
		vdrv_add(f, d, 32 + i, false, 1000 + 8 * i);
}

static void test_virtio_blk_depth_chains_added_during_notify(void **state)
{
	struct vdrv *f = *state;

	vdrv_add_dev(f, 11);
	fakehost_reset_log(f->fh);
	vdrv_add16(f, 0, 0, 0);
	f->other = other_adds;
	f->other_dev = 0;
	vdrv_kick(f, 0);
	/* the device looks at avail->idx again before it finishes */
	assert_int_equal(vdrv_used_idx(f, 0), 20);
	assert_int_equal(fakehost_nreqs(f->fh), 20);
	assert_int_equal(fakehost_nirqs(f->fh), 1);
	vdrv_run_irqs(f, NULL);
	assert_int_equal(f->d[0].completed, 20);
	/* its kick, now late, finds nothing: no request, no interrupt */
	vdrv_kick(f, 0);
	assert_int_equal(fakehost_nreqs(f->fh), 20);
	assert_int_equal(fakehost_nirqs(f->fh), 2);
}

static void test_virtio_blk_depth_two_disks_busy(void **state)
{
	struct vdrv *f = *state;

	vdrv_add_dev(f, 11);
	vdrv_add_dev(f, 10);
	fakehost_reset_log(f->fh);
	vdrv_add16(f, 0, 0, 0);
	vdrv_add16(f, 1, 0, 0);
	vdrv_kick(f, 0);
	vdrv_kick(f, 1);
	assert_int_equal(fakehost_irq_level(f->fh, 11), 1);
	assert_int_equal(fakehost_irq_level(f->fh, 10), 1);
	/* vblk1 first (IRQ 10 has priority on the slave PIC): vblk0's line stays up */
	vdrv_interrupt(f, 10, NULL);
	assert_int_equal(fakehost_irq_level(f->fh, 10), 0);
	assert_int_equal(fakehost_irq_level(f->fh, 11), 1);
	assert_int_equal(f->d[1].completed, 16);
	assert_int_equal(f->d[0].completed, 0);
	/* more on vblk1 while vblk0's interrupt is still pending */
	vdrv_add16(f, 1, 16, 512);
	vdrv_kick(f, 1);
	vdrv_run_irqs(f, NULL);
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

static void fio_complete(struct vdrv *f, int d, int t)
{
	(void)f;
	fio_free[d][fio_nfree[d]++] = (unsigned)t;
}

static void fio_other(struct vdrv *f, int d)
{
	int t;

	while ((t = vdrv_get_buf(f, d)) >= 0)
		fio_complete(f, d, t);
	if (!vdrv_enable_cb(f, d))
		f->d[d].cb_disabled = true; /* its loop goes round again (below) */
}

static void test_virtio_blk_depth_fio_like_two_disks(void **state)
{
	struct vdrv *f = *state;
	unsigned round = 0, raced = 0;

	vdrv_add_dev(f, 11);
	vdrv_add_dev(f, 10);
	for (int d = 0; d < 2; d++) {
		fio_left[d] = 400;
		fio_nfree[d] = 0;
		for (unsigned t = 0; t < 16; t++)
			fio_free[d][fio_nfree[d]++] = t;
	}
	while (fio_left[0] || fio_left[1] || vdrv_inflight(f, 0) || vdrv_inflight(f, 1)) {
		assert_true(round++ < 10000);
		for (int d = 0; d < 2; d++) {
			uint16_t used0 = vdrv_used_idx(f, d);
			bool armed = round % 3 == 0;

			while (fio_nfree[d] && fio_left[d]) {
				fio_left[d]--;
				vdrv_add(f, d, fio_free[d][--fio_nfree[d]], fio_left[d] % 5 < 3,
					8u * ((fio_left[d] * 37) % 500));
			}
			if (armed) {
				vdrv_disable_cb(f, d);
				f->other = fio_other;
				f->other_dev = d;
			}
			vdrv_kick(f, d);
			if (armed && !f->other && (uint16_t)(vdrv_used_idx(f, d) - used0) > 1)
				raced++;
			if (f->other || f->d[d].cb_disabled) {
				f->other = NULL;
				vdrv_done(f, d, fio_complete);
			}
		}
		/* used entries the driver has not seen must have an interrupt
		 * coming, or the driver sleeps forever: the stall */
		for (int d = 0; d < 2; d++)
			if (vdrv_used_idx(f, d) != f->d[d].last_used)
				assert_true(vdrv_line_pending(f, f->d[d].irq));
		vdrv_run_irqs(f, fio_complete);
	}
	assert_int_equal(raced, 16);
	assert_int_equal(f->d[0].completed, 400);
	assert_int_equal(f->d[1].completed, 400);
	assert_int_equal(fakehost_nreqs(f->fh), 800);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, vdrv_setup, vdrv_teardown)

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
