/*
 * test_merge.c - several producers, one order (store/merge.c): three
 * threads that take seqs under one lock, as the vCPU threads do under the
 * dispatch lock, each putting into its own producer ring (store_prod_open)
 * rings so small that they fill and block over and over, give tables in
 * gapless seq order: exits 1..N, every access row of its own exit, the
 * rows of the rarer tables (irqs, dma) numbered in seq order, nothing lost,
 * and per-producer ring waits in meta.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"
#include "store/writer.h"

#define NTHREADS 3
#define PER_THREAD 4000

static char dir[64];

struct shared {
	pthread_mutex_t lock;    /* the dispatch lock's stand-in */
	uint64_t seq;
	struct store_prod *prod[NTHREADS];
};

struct worker {
	struct shared *sh;
	uint32_t id;
	int err;
};

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_merge_XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* One "exit": seq, then an access row (a payload too big to inline every
 * few exits), sometimes an irq and a dma row, the exit row last -- all
 * under the lock, as run_step() does. */
static int one_exit(struct shared *sh, struct worker *w, int i)
{
	struct store_prod *p = sh->prod[w->id];
	uint8_t data[200];
	uint64_t seq;
	int rc = 0;

	pthread_mutex_lock(&sh->lock);
	seq = ++sh->seq;
	memset(data, (int)w->id, sizeof(data));
	{
		struct rec_pio r = {
			.seq = seq, .port = (uint16_t)(0x100 + w->id), .size = 1,
			.is_write = 1, .count = i % 5 == 0 ? 200 : 1, .data = data,
			.device = NULL,
		};
		rc |= store_prod_put_pio(p, &r);
	}
	if (i % 3 == 0) {
		struct rec_irq q = { .seq = seq, .line = (int)w->id, .level = i & 1 };
		rc |= store_prod_put_irq(p, &q);
	}
	if (i % 7 == 0) {
		struct rec_dma d = { .seq = seq, .gpa = seq, .len = 64, .is_write = 1,
				     .data = data };
		rc |= store_prod_put_dma(p, &d);
	}
	{
		/* 1 ms apart: a lag mark every 50 exits */
		struct rec_exit e = { .seq = seq, .vcpu = w->id, .reason = 2,
				      .t_ns = seq * 1000000ull };
		rc |= store_prod_put_exit(p, &e);
	}
	pthread_mutex_unlock(&sh->lock);
	store_prod_settle(p); /* the lag bound, outside the lock (run_step) */
	/* let the others in between, in varying patterns */
	if ((i + (int)w->id) % 11 == 0)
		sched_yield();
	return rc;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < PER_THREAD && !w->err; i++)
		w->err = one_exit(w->sh, w, i);
	return NULL;
}

static long long q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_merge_three_producers_gapless_order(void **state)
{
	/* rings of 8 records and 512 payload bytes: they fill constantly */
	const struct store_opts o = { .ring_records = 8, .side_bytes = 512 };
	const long long n = (long long)NTHREADS * PER_THREAD;
	struct shared sh = { .seq = 0 };
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct store *st;
	char path[128], err[256];
	sqlite3 *db;

	(void)state;
	snprintf(path, sizeof(path), "%s/merge.db", dir);
	pthread_mutex_init(&sh.lock, NULL);
	assert_int_equal(store_create_opts(&st, path, false, &o, err, sizeof(err)), 0);
	for (int i = 0; i < NTHREADS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "vcpu%d", i);
		assert_int_equal(store_prod_open(st, name, &sh.prod[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .sh = &sh, .id = (uint32_t)i };
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].err, 0);
	}
	assert_true(store_ring_waits(st) > 0);  /* the rings did fill */
	assert_int_equal(store_close(st), 0);
	pthread_mutex_destroy(&sh.lock);

	assert_int_equal(store_open_ro(path, &db, err, sizeof(err)), 0);
	/* exits: 1..n gapless, each thread's share */
	assert_int_equal(q1(db, "SELECT count(*) FROM exits"), n);
	assert_int_equal(q1(db, "SELECT min(seq) FROM exits"), 1);
	assert_int_equal(q1(db, "SELECT max(seq) FROM exits"), n);
	for (int i = 0; i < NTHREADS; i++) {
		char sql[96];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM exits WHERE vcpu=%d", i);
		assert_int_equal(q1(db, sql), PER_THREAD);
	}
	/* every access row belongs to its exit's thread, bytes intact */
	assert_int_equal(q1(db, "SELECT count(*) FROM pio"), n);
	assert_int_equal(q1(db, "SELECT count(*) FROM pio p JOIN exits e USING(seq)"
				" WHERE p.port != 256 + e.vcpu OR length(p.data) != p.count"
				" OR hex(substr(p.data, p.count, 1)) != printf('%02X', e.vcpu)"), 0);
	/* the rarer tables: every row, numbered in seq order */
	assert_int_equal(q1(db, "SELECT count(*) FROM irqs"), NTHREADS * ((PER_THREAD + 2) / 3));
	assert_int_equal(q1(db, "SELECT count(*) FROM dma"), NTHREADS * ((PER_THREAD + 6) / 7));
	assert_int_equal(q1(db, "SELECT count(*) FROM irqs a JOIN irqs b ON b.id = a.id + 1"
				" WHERE b.seq < a.seq"), 0);
	assert_int_equal(q1(db, "SELECT count(*) FROM dma a JOIN dma b ON b.id = a.id + 1"
				" WHERE b.seq <= a.seq"), 0);
	assert_int_equal(q1(db, "SELECT count(*) FROM irqs i JOIN exits e USING(seq)"
				" WHERE i.line != e.vcpu"), 0);
	/* per-producer ring waits in meta, adding up to the total */
	assert_int_equal(q1(db, "SELECT count(*) FROM meta WHERE key LIKE 'ring_waits.vcpu%'"),
			 NTHREADS);
	assert_int_equal(q1(db, "SELECT sum(value) FROM meta WHERE key LIKE 'ring_waits.vcpu%'"),
			 q1(db, "SELECT value FROM meta WHERE key = 'ring_waits'"));
	/* and the waits for the lag bound, the same way */
	assert_int_equal(q1(db, "SELECT count(*) FROM meta WHERE key LIKE 'lag_waits.vcpu%'"),
			 NTHREADS);
	assert_int_equal(q1(db, "SELECT sum(value) FROM meta WHERE key LIKE 'lag_waits.vcpu%'"),
			 q1(db, "SELECT value FROM meta WHERE key = 'lag_waits'"));
	sqlite3_close(db);
}

/* Producers and the store's own ring together: kernel exits (no seq) on
 * ring 0 are written as they come, the producers' rows still in order. */
static void test_merge_own_ring_rows_kept(void **state)
{
	const struct store_opts o = { .ring_records = 4, .side_bytes = 256 };
	struct store_prod *p[2];
	struct store *st;
	char path[128], err[256];
	sqlite3 *db;

	(void)state;
	snprintf(path, sizeof(path), "%s/own.db", dir);
	assert_int_equal(store_create_opts(&st, path, false, &o, err, sizeof(err)), 0);
	assert_int_equal(store_prod_open(st, "vcpu0", &p[0]), 0);
	assert_int_equal(store_prod_open(st, "vcpu1", &p[1]), 0);
	for (uint64_t s = 1; s <= 100; s++) {
		struct rec_exit e = { .seq = s, .vcpu = (uint32_t)(s % 2), .reason = 5 };
		struct rec_kexit k = { .t_ns = s, .vcpu = 0, .isa = "svm", .reason = 0x7b,
				       .reason_name = "io" };

		assert_int_equal(store_prod_put_exit(p[s % 2], &e), 0);
		assert_int_equal(store_put_kexit(st, &k), 0);
	}
	assert_int_equal(store_close(st), 0);
	assert_int_equal(store_open_ro(path, &db, err, sizeof(err)), 0);
	assert_int_equal(q1(db, "SELECT count(*) FROM exits"), 100);
	assert_int_equal(q1(db, "SELECT max(seq) FROM exits"), 100);
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_exits"), 100);
	sqlite3_close(db);
}

/* producers_only (the recorder's store): the store's own ring is minimal,
 * the producers' rings keep their size, and puts on the own ring still
 * work past its capacity (they wait for the writer). */
static void test_merge_producers_only_small_own_ring(void **state)
{
	const struct store_opts o = { .producers_only = true };
	const uint64_t n = 3 * STORE_MAIN_MIN_RECORDS;
	struct store_prod *p;
	struct store *st;
	char path[128], err[256];
	sqlite3 *db;

	(void)state;
	snprintf(path, sizeof(path), "%s/prodonly.db", dir);
	assert_int_equal(store_create_opts(&st, path, false, &o, err, sizeof(err)), 0);
	assert_int_equal(store_prod_open(st, "vcpu0", &p), 0);
	for (uint64_t s = 1; s <= n; s++) {
		struct rec_exit e = { .seq = s, .vcpu = 0, .reason = 2 };
		struct rec_kexit k = { .t_ns = s, .vcpu = 0, .isa = "svm", .reason = 0x7b,
				       .reason_name = "io" };

		assert_int_equal(store_prod_put_exit(p, &e), 0);
		assert_int_equal(store_put_kexit(st, &k), 0);
	}
	assert_int_equal(store_close(st), 0);
	assert_int_equal(store_open_ro(path, &db, err, sizeof(err)), 0);
	assert_int_equal(q1(db, "SELECT count(*) FROM exits"), (long long)n);
	assert_int_equal(q1(db, "SELECT max(seq) FROM exits"), (long long)n);
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_exits"), (long long)n);
	sqlite3_close(db);
}

/* The durability bound (store_prod_settle): with an exit every 60 ms of
 * t_ns each put passes a lag mark, and once store_prod_settle() of exit k
 * has returned the writer has committed every exit up to k - 2 (what all
 * rings had published at the mark before last): a reader of the live
 * database sees them.  The put alone waits for nothing. */
static void test_merge_settle_bounds_the_lag(void **state)
{
	const struct store_opts o = { .producers_only = true };
	struct store_prod *p;
	struct store *st;
	char path[128], err[256];
	sqlite3 *db;

	(void)state;
	snprintf(path, sizeof(path), "%s/settle.db", dir);
	assert_int_equal(store_create_opts(&st, path, false, &o, err, sizeof(err)), 0);
	assert_int_equal(store_prod_open(st, "vcpu0", &p), 0);
	assert_int_equal(store_open_ro(path, &db, err, sizeof(err)), 0);
	for (uint64_t k = 1; k <= 12; k++) {
		struct rec_exit e = { .seq = k, .vcpu = 0, .reason = 2,
				      .t_ns = k * 60 * 1000000ull };

		assert_int_equal(store_prod_put_exit(p, &e), 0);
		store_prod_settle(p);
		if (k >= 3)
			assert_true(q1(db, "SELECT count(*) FROM exits") >= (long long)k - 2);
	}
	sqlite3_close(db);
	assert_int_equal(store_close(st), 0);
	assert_int_equal(store_open_ro(path, &db, err, sizeof(err)), 0);
	assert_int_equal(q1(db, "SELECT count(*) FROM exits"), 12);
	sqlite3_close(db);
}

static void test_merge_too_many_producers(void **state)
{
	struct store_prod *p;
	struct store *st;
	char path[128], err[256];
	const struct store_opts o = { .ring_records = 4, .side_bytes = 256 };
	int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/many.db", dir);
	assert_int_equal(store_create_opts(&st, path, false, &o, err, sizeof(err)), 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(store_prod_open(st, "x", &p), 0);
	assert_int_equal(store_prod_open(st, "x", &p), -ENOSPC);
	assert_null(p);
	assert_int_equal(store_close(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_three_producers_gapless_order),
		cmocka_unit_test(test_merge_own_ring_rows_kept),
		cmocka_unit_test(test_merge_producers_only_small_own_ring),
		cmocka_unit_test(test_merge_settle_bounds_the_lag),
		cmocka_unit_test(test_merge_too_many_producers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
