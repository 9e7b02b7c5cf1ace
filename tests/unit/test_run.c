/*
 * test_run.c - the recorder's run step (recorder/run.h) without KVM: a
 * fake `struct kvm_run` page filled the way KVM_RUN fills it, the fake host
 * (tests/unit/fakehost.h) under the real board, and a real store whose rows
 * are read back after store_close().  IO (plain and rep), MMIO, unclaimed
 * accesses, a refused access in exit_info, the ends of a session, gapless
 * seqs, a run without a log, and a row the store refuses ending the run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/kvm.h>
#include <sqlite3.h>

#include "devices/board.h"
#include "recorder/run.h"
#include "store/store.h"
#include "store/writer.h"
#include "tests/unit/fakehost.h"

#define PAGE 16384      /* room for a long rep string */
#define DATA_OFF 1024   /* where the fake page keeps IO data, like KVM's */

struct fixture {
	char dir[64];
	char db[128];
	union {
		struct kvm_run run;
		uint8_t bytes[PAGE];
	} page;
	struct fakehost *fh;
	struct board board;
	struct dispatch d;
	struct store *st;
	volatile sig_atomic_t stop;
	struct run_vcpu c;
	struct run_stamp t;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct board_config cfg = { .ndisks = 1, .ram_bytes = 1 << 20 };
	char err[256];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_run_XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/run.db", f->dir);
	f->fh = fakehost_create(64, 1 << 20);
	cfg.disks[0].kind = DISK_IDE;
	cfg.disks[0].sectors = 64;
	if (!f->fh || board_create(&f->board, &cfg))
		return -1;
	if (store_create(&f->st, f->db, false, err, sizeof(err))) {
		fprintf(stderr, "store_create: %s\n", err);
		return -1;
	}
	dispatch_init(&f->d, &f->board.bus);
	f->c = (struct run_vcpu){
		.run = &f->page.run, .id = 0, .dispatch = &f->d,
		.host = *fakehost_host(f->fh), .hl = NULL, .prod = store_prod_main(f->st), .stop = &f->stop,
	};
	f->t = (struct run_stamp){ .t0 = 1000, .t_in = 2000, .t_out = 5000 };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	int rc;

	if (f->st)
		store_close(f->st);
	board_destroy(&f->board);
	fakehost_destroy(f->fh);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* Close the store (so every row is in the file). */
static void finish(struct fixture *f)
{
	assert_int_equal(store_close(f->st), 0);
	f->st = NULL;
}

/* One integer (or -1 for no row / NULL) from the finished recording. */
static int64_t q_int(struct fixture *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* One text value into buf ("" for no row / NULL). */
static const char *q_text(struct fixture *f, const char *sql, char *buf, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	buf[0] = 0;
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

/* Fill the page like KVM does for an IO exit and run one step. */
static int step_io(struct fixture *f, uint16_t port, uint8_t size, uint32_t count,
		   bool out, const void *bytes, struct run_result *res)
{
	struct kvm_run *run = &f->page.run;

	memset(f->page.bytes, 0x5a, sizeof(f->page.bytes));
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = DATA_OFF;
	if (out)
		memcpy(f->page.bytes + DATA_OFF, bytes, (size_t)size * count);
	return run_step(&f->c, &f->t, res);
}

static int step_reason(struct fixture *f, uint32_t reason, struct run_result *res)
{
	memset(&f->page.run, 0, sizeof(f->page.run));
	f->page.run.exit_reason = reason;
	return run_step(&f->c, &f->t, res);
}

static void test_run_step_out_reaches_device_and_log(void **state)
{
	struct fixture *f = *state;
	struct run_result res = { 0 };
	const uint8_t *con;
	char dev[32];
	size_t n;

	assert_int_equal(step_io(f, 0x3f8, 1, 1, true, "h", &res), 0);
	con = fakehost_console(f->fh, &n);
	assert_int_equal(n, 1);
	assert_int_equal(con[0], 'h');
	assert_int_equal(f->c.last_seq, 1);
	finish(f);
	assert_int_equal(q_int(f, "SELECT count(*) FROM exits"), 1);
	assert_int_equal(q_int(f, "SELECT reason FROM exits WHERE seq = 1"), KVM_EXIT_IO);
	assert_int_equal(q_int(f, "SELECT t_ns FROM exits WHERE seq = 1"), 4000);
	assert_int_equal(q_int(f, "SELECT guest_ns FROM exits WHERE seq = 1"), 3000);
	assert_int_equal(q_int(f, "SELECT port FROM pio WHERE seq = 1"), 0x3f8);
	assert_int_equal(q_int(f, "SELECT is_write FROM pio WHERE seq = 1"), 1);
	assert_int_equal(q_int(f, "SELECT unicode(data) FROM pio WHERE seq = 1"), 'h');
	assert_string_equal(q_text(f, "SELECT device FROM pio WHERE seq = 1", dev, sizeof(dev)),
			    "com1");
	assert_int_equal(q_int(f, "SELECT count(*) FROM exit_info"), 0);
}

/* rep insb from an unclaimed port: count bytes of all ones, one row, no device. */
static void test_run_step_rep_in_unclaimed(void **state)
{
	struct fixture *f = *state;
	struct run_result res = { 0 };
	char hex[32], dev[32];

	assert_int_equal(step_io(f, 0x80, 1, 4, false, NULL, &res), 0);
	assert_memory_equal(f->page.bytes + DATA_OFF, "\xff\xff\xff\xff", 4);
	assert_int_equal(f->page.bytes[DATA_OFF + 4], 0x5a); /* nothing past count*size */
	finish(f);
	assert_int_equal(q_int(f, "SELECT count FROM pio WHERE seq = 1"), 4);
	assert_string_equal(q_text(f, "SELECT hex(data) FROM pio WHERE seq = 1", hex, sizeof(hex)),
			    "FFFFFFFF");
	assert_string_equal(q_text(f, "SELECT device FROM pio WHERE seq = 1", dev, sizeof(dev)), "");
	assert_int_equal(q_int(f, "SELECT device IS NULL FROM pio WHERE seq = 1"), 1);
}

static void test_run_step_mmio_unclaimed(void **state)
{
	struct fixture *f = *state;
	struct run_result res = { 0 };
	struct kvm_run *run = &f->page.run;

	memset(run, 0, sizeof(*run));
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xfee00000;
	run->mmio.len = 4;
	run->mmio.is_write = 0;
	assert_int_equal(run_step(&f->c, &f->t, &res), 0);
	assert_memory_equal(run->mmio.data, "\xff\xff\xff\xff", 4);
	finish(f);
	assert_int_equal(q_int(f, "SELECT gpa FROM mmio WHERE seq = 1"), 0xfee00000);
	assert_int_equal(q_int(f, "SELECT len FROM mmio WHERE seq = 1"), 4);
	assert_int_equal(q_int(f, "SELECT device IS NULL FROM mmio WHERE seq = 1"), 1);
	assert_int_equal(q_int(f, "SELECT reason FROM exits WHERE seq = 1"), KVM_EXIT_MMIO);
}

/* A byte read of the ATA data port: the model refuses it (first error of
 * the exit), the guest still gets 0xff, exit_info says which register. */
static void test_run_step_refused_access_in_exit_info(void **state)
{
	struct fixture *f = *state;
	struct run_result res = { 0 };
	char detail[160];

	assert_int_equal(step_io(f, 0x3f8, 1, 1, true, "x", &res), 0);
	assert_int_equal(step_io(f, 0x1f0, 1, 2, false, NULL, &res), 0);
	assert_memory_equal(f->page.bytes + DATA_OFF, "\xff\xff", 2);
	assert_int_equal(f->c.dev_errors, 1);
	finish(f);
	assert_int_equal(q_int(f, "SELECT count(*) FROM exit_info"), 1);
	assert_int_equal(q_int(f, "SELECT code FROM exit_info WHERE seq = 2"), -EINVAL);
	assert_string_equal(q_text(f, "SELECT detail FROM exit_info WHERE seq = 2", detail,
				   sizeof(detail)), "ata0.data read 0x1f0: Invalid argument");
	assert_string_equal(q_text(f, "SELECT device FROM pio WHERE seq = 2", detail,
				   sizeof(detail)), "ata0");
}

/* The exits that end a session, and seqs 1..n without a gap. */
static void test_run_step_ends(void **state)
{
	struct fixture *f = *state;
	struct run_result res = { 0 };
	char detail[160];

	assert_int_equal(step_reason(f, KVM_EXIT_INTR, &res), 0);   /* seq 1: goes on */
	f->stop = 1;
	assert_int_equal(step_reason(f, KVM_EXIT_INTR, &res), 1);   /* seq 2: signal */
	assert_int_equal(res.end, RUN_END_SIGNAL);
	f->stop = 0;
	assert_int_equal(step_reason(f, KVM_EXIT_HLT, &res), 1);    /* seq 3 */
	assert_int_equal(res.end, RUN_END_HLT);
	assert_int_equal(step_reason(f, KVM_EXIT_SHUTDOWN, &res), 1); /* seq 4 */
	assert_int_equal(res.end, RUN_END_SHUTDOWN);
	assert_false(run_end_clean(res.end));
	memset(&f->page.run, 0, sizeof(f->page.run));
	f->page.run.exit_reason = KVM_EXIT_SYSTEM_EVENT;
	f->page.run.system_event.type = KVM_SYSTEM_EVENT_RESET;
	assert_int_equal(run_step(&f->c, &f->t, &res), 1);           /* seq 5 */
	assert_int_equal(res.end, RUN_END_RESET);
	assert_true(run_end_clean(res.end));
	assert_int_equal(step_reason(f, 9999, &res), 1);             /* seq 6 */
	assert_int_equal(res.end, RUN_END_UNHANDLED);
	assert_string_equal(res.msg, "unhandled exit reason 9999");
	assert_int_equal(f->c.last_seq, 6);
	finish(f);
	assert_int_equal(q_int(f, "SELECT count(*) FROM exits"), 6);
	assert_int_equal(q_int(f, "SELECT max(seq) - min(seq) + 1 FROM exits"), 6);
	assert_string_equal(q_text(f, "SELECT detail FROM exit_info WHERE seq = 4", detail,
				   sizeof(detail)), "triple fault");
	assert_int_equal(q_int(f, "SELECT code FROM exit_info WHERE seq = 5"),
			 KVM_SYSTEM_EVENT_RESET);
	assert_int_equal(q_int(f, "SELECT code FROM exit_info WHERE seq = 6"), 9999);
	assert_int_equal(q_int(f, "SELECT count(*) FROM exit_info"), 3);
}

/* --no-log: no store, the devices still answer, seqs still count. */
static void test_run_step_without_log(void **state)
{
	struct fixture *f = *state;
	struct run_result res = { 0 };
	size_t n;

	f->c.prod = NULL;
	assert_int_equal(step_io(f, 0x3f8, 1, 1, true, "a", &res), 0);
	assert_int_equal(step_io(f, 0x1f0, 1, 1, false, NULL, &res), 0);
	assert_int_equal(f->c.dev_errors, 1);
	assert_int_equal(f->c.err, 0);
	assert_int_equal(step_reason(f, KVM_EXIT_HLT, &res), 1);
	assert_int_equal(f->c.last_seq, 3);
	fakehost_console(f->fh, &n);
	assert_int_equal(n, 1);
	finish(f);
	assert_int_equal(q_int(f, "SELECT count(*) FROM exits"), 0);
}

/* Every step counts its use of the dispatch lock (the SMP storm bench's
 * lock_hold_ns): one step each, a hold that covers the device access and
 * the log rows, so it cannot be 0 ticks for three steps. */
static void test_run_step_counts_lock(void **state)
{
	struct fixture *f = *state;
	struct run_result res = { 0 };

	assert_int_equal(f->c.lock_steps, 0);
	assert_int_equal(step_io(f, 0x3f8, 1, 1, true, "a", &res), 0);
	assert_int_equal(step_io(f, 0x404, 1, 1, true, "b", &res), 0);
	assert_int_equal(step_reason(f, KVM_EXIT_HLT, &res), 1);
	assert_int_equal(f->c.lock_steps, 3);
	assert_true(f->c.lock_hold_ticks > 0);
	finish(f);
}

/* The lock histograms: buckets are ordered and continuous, each tick count
 * falls in the bucket whose range holds it, and the quantile of a known
 * spread lands within a bucket (~20 %) of the true one. */
static void test_run_hist(void **state)
{
	static uint64_t h[RUN_HIST_BUCKETS];
	uint64_t q;

	(void)state;
	for (uint64_t t = 0; t < 100000; t = t < 64 ? t + 1 : t + t / 7) {
		unsigned b = run_hist_bucket(t);

		assert_true(b < RUN_HIST_BUCKETS);
		assert_true(run_hist_low(b) <= t);
		assert_true(b + 1 == RUN_HIST_BUCKETS || t < run_hist_low(b + 1));
	}
	assert_int_equal(run_hist_bucket(UINT64_MAX), RUN_HIST_BUCKETS - 5);
	assert_int_equal(run_hist_quantile(h, 0.5), 0);
	for (uint64_t t = 1; t <= 1000; t++)
		h[run_hist_bucket(t)]++;
	q = run_hist_quantile(h, 0.5);
	assert_true(q >= 400 && q <= 600);
	q = run_hist_quantile(h, 0.99);
	assert_true(q >= 800 && q <= 1200);
}

/* A row the store refuses (a payload larger than its side buffer can ever
 * hold: -ENOSPC) ends the run with RUN_END_ERROR naming seq and table. */
static void test_run_step_refused_row_ends_run(void **state)
{
	struct fixture *f = *state;
	struct store_opts o = { .side_bytes = 4096 };
	struct run_result res = { 0 };
	char err[256];
	char path[160];

	snprintf(path, sizeof(path), "%s/small.db", f->dir);
	assert_int_equal(store_close(f->st), 0);
	assert_int_equal(store_create_opts(&f->st, path, false, &o, err, sizeof(err)), 0);
	f->c.prod = store_prod_main(f->st);
	assert_int_equal(step_io(f, 0x80, 1, 2, false, NULL, &res), 0);
	assert_int_equal(step_io(f, 0x80, 1, 8192, false, NULL, &res), -ENOSPC);
	assert_int_equal(res.end, RUN_END_ERROR);
	assert_string_equal(res.msg, "logging seq 2: pio row: No space left on device");
	assert_int_equal(f->c.err, -ENOSPC);
}

/* Two vCPUs share one dispatch and one `ending`: once vCPU 0's exit ends
 * the session, vCPU 1's next exit takes no seq and logs nothing, so the
 * ending exit stays the last seq; exits.vcpu names each exit's vCPU. */
static void test_run_step_after_end_is_gone(void **state)
{
	struct fixture *f = *state;
	struct run_result res = { 0 };
	struct run_vcpu c1;
	_Atomic int ending = 0;

	f->c.ending = &ending;
	c1 = f->c;
	c1.id = 1;
	assert_int_equal(step_io(f, 0x80, 1, 1, true, "x", &res), 0);
	f->c.id = 1;
	assert_int_equal(step_io(f, 0x80, 1, 1, true, "y", &res), 0);
	f->c.id = 0;
	assert_int_equal(step_reason(f, KVM_EXIT_SHUTDOWN, &res), 1);
	assert_int_equal(res.end, RUN_END_SHUTDOWN);
	assert_int_equal(atomic_load(&ending), 1);
	memset(&f->page.run, 0, sizeof(f->page.run));
	f->page.run.exit_reason = KVM_EXIT_INTR;
	assert_int_equal(run_step(&c1, &f->t, &res), RUN_STEP_GONE);
	assert_int_equal(res.end, RUN_END_SHUTDOWN);
	finish(f);
	assert_int_equal(q_int(f, "SELECT count(*) FROM exits"), 3);
	assert_int_equal(q_int(f, "SELECT max(seq) FROM exits"), 3);
	assert_int_equal(q_int(f, "SELECT vcpu FROM exits WHERE seq = 2"), 1);
	assert_int_equal(q_int(f, "SELECT vcpu FROM exits WHERE seq = 3"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_step_out_reaches_device_and_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_step_rep_in_unclaimed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_step_mmio_unclaimed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_step_refused_access_in_exit_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_step_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_step_without_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_step_counts_lock, setup, teardown),
		cmocka_unit_test(test_run_hist),
		cmocka_unit_test_setup_teardown(test_run_step_refused_row_ends_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_step_after_end_is_gone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
