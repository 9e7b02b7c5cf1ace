/*
 * test_ring.c - the SPSC record ring (store/ring.h): FIFO order, payload
 * integrity, wraparound of records and payload bytes, -ENOSPC for an
 * oversized payload, a full ring that blocks its producer but loses
 * nothing, the consumer's sleeps (wait, nap) and wake-ups; and the same
 * promise end to end through the store: with a tiny ring the vCPU side
 * waits, and every exit and pio row put is a row in the database; and the
 * writer's transactions wait for a write lock another connection holds.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/ring.h"
#include "store/store.h"
#include "store/writer.h"

/* Payload of record i: length and bytes derived from i. */
static size_t plen_of(uint64_t i, size_t maxlen)
{
	return (size_t)((i * 37) % (maxlen + 1));
}

static void fill(uint8_t *b, uint64_t i, size_t n)
{
	for (size_t k = 0; k < n; k++)
		b[k] = (uint8_t)(i * 131 + k * 7 + (k >> 8));
}

static void put(struct ring *r, uint64_t i, size_t maxlen)
{
	uint8_t buf[4096];
	size_t n = plen_of(i, maxlen);
	struct ring_slot *s = ring_prod_next(r);

	s->kind = (uint8_t)(i & 0xff);
	memcpy(s->u, &i, sizeof(i));
	fill(buf, i, n);
	assert_int_equal(ring_prod_publish(r, s, buf, n), 0);
}

/* Check the next record is number i with its payload intact. */
static void check(struct ring *r, size_t idx, uint64_t i, size_t maxlen)
{
	const struct ring_slot *s = ring_cons_slot(r, idx);
	uint8_t want[4096];
	const uint8_t *p;
	void *owned;
	uint64_t got;
	size_t n = plen_of(i, maxlen);

	memcpy(&got, s->u, sizeof(got));
	assert_int_equal(got, i);
	assert_int_equal(s->kind, i & 0xff);
	assert_int_equal(s->plen, n);
	p = ring_cons_payload(r, s, &owned);
	assert_non_null(p);
	fill(want, i, n);
	if (n)
		assert_memory_equal(p, want, n);
	free(owned);
}

static void test_ring_fifo_order(void **state)
{
	struct ring *r;

	(void)state;
	assert_int_equal(ring_create(&r, 16, 4096), 0);
	assert_int_equal(ring_cons_avail(r), 0);
	for (uint64_t i = 0; i < 10; i++)
		put(r, i, 0);
	assert_int_equal(ring_cons_avail(r), 10);
	for (size_t k = 0; k < 10; k++)
		check(r, k, k, 0);
	ring_cons_release(r, 4);
	assert_int_equal(ring_cons_avail(r), 6);
	check(r, 0, 4, 0);
	ring_cons_release(r, 6);
	assert_int_equal(ring_cons_avail(r), 0);
	assert_int_equal(ring_published(r), 10);
	assert_int_equal(ring_waits(r), 0);
	ring_destroy(r);
}

static void test_ring_payload_integrity(void **state)
{
	struct ring *r;

	(void)state;
	assert_int_equal(ring_create(&r, 64, 1 << 16), 0);
	for (uint64_t i = 0; i < 50; i++)
		put(r, i, 1000);
	assert_int_equal(ring_cons_avail(r), 50);
	for (size_t k = 0; k < 50; k++)
		check(r, k, k, 1000);
	ring_cons_release(r, 50);
	ring_destroy(r);
}

/* 8 slots and 256 side bytes, many rounds: record indices and payloads
 * wrap around the end again and again, including payloads split by it. */
static void test_ring_wraparound(void **state)
{
	struct ring *r;
	uint64_t next = 0, done = 0;
	int split = 0;

	(void)state;
	assert_int_equal(ring_create(&r, 8, 256), 0);
	assert_int_equal(r->nslots, 8);
	assert_int_equal(r->side_cap, 256);
	for (int round = 0; round < 5000; round++) {
		int n = 1 + round % 7;

		for (int k = 0; k < n; k++) {
			/* a record only goes in when it fits: the test is
			 * single-threaded and must not block */
			size_t len = plen_of(next, 40);
			uint64_t used = r->side_head - atomic_load(&r->side_tail);
			uint64_t pos = r->side_head & r->side_mask;

			if (next - done >= 8 || used + len > 256)
				break;
			if (len && pos + len > 256)
				split++;
			put(r, next++, 40);
		}
		size_t avail = ring_cons_avail(r);
		assert_int_equal(avail, next - done);
		size_t take = avail > 3 ? avail - 2 : avail;
		for (size_t k = 0; k < take; k++)
			check(r, k, done + k, 40);
		ring_cons_release(r, take);
		done += take;
	}
	assert_true(next > 10000);
	assert_true(split > 100);
	assert_int_equal(ring_waits(r), 0);
	ring_destroy(r);
}

static void test_ring_payload_too_big(void **state)
{
	struct ring *r;
	uint8_t buf[300] = { 0 };
	struct ring_slot *s;

	(void)state;
	assert_int_equal(ring_create(&r, 8, 256), 0);
	s = ring_prod_next(r);
	assert_int_equal(ring_prod_publish(r, s, buf, 257), -ENOSPC);
	assert_int_equal(ring_cons_avail(r), 0);
	/* exactly the capacity fits */
	s = ring_prod_next(r);
	assert_int_equal(ring_prod_publish(r, s, buf, 256), 0);
	assert_int_equal(ring_cons_avail(r), 1);
	ring_destroy(r);
}

static void test_ring_rejects_bad_sizes(void **state)
{
	struct ring *r;

	(void)state;
	assert_int_equal(ring_create(&r, 1, 4096), -EINVAL);
	assert_int_equal(ring_create(&r, 8, 16), -EINVAL);
	assert_int_equal(ring_create(&r, 5, 100), 0);
	assert_int_equal(r->nslots, 8);
	assert_int_equal(r->side_cap, 128);
	ring_destroy(r);
}

struct prod_arg {
	struct ring *r;
	uint64_t n;
	size_t maxlen;
};

static void *producer(void *p)
{
	struct prod_arg *a = p;

	for (uint64_t i = 0; i < a->n; i++)
		put(a->r, i, a->maxlen);
	return NULL;
}

/* A tiny ring (8 records, 1 KiB of payload), 100000 records with payloads
 * and a consumer that dawdles: the producer has to wait, and every record
 * arrives, in order, intact. */
static void test_ring_full_blocks_and_loses_nothing(void **state)
{
	const uint64_t total = 100000;
	struct prod_arg a;
	pthread_t t;
	uint64_t got = 0;
	struct ring *r;

	(void)state;
	assert_int_equal(ring_create(&r, 8, 1024), 0);
	a.r = r;
	a.n = total;
	a.maxlen = 200;
	assert_int_equal(pthread_create(&t, NULL, producer, &a), 0);
	while (got < total) {
		size_t n = ring_cons_avail(r);

		if (!n) {
			ring_cons_wait(r, 10);
			continue;
		}
		/* slow: one record at a time, with a pause now and then */
		check(r, 0, got, a.maxlen);
		ring_cons_release(r, 1);
		got++;
		if (got % 1000 == 0)
			usleep(200);
	}
	pthread_join(t, NULL);
	assert_int_equal(got, total);
	assert_int_equal(ring_published(r), total);
	assert_int_equal(ring_cons_avail(r), 0);
	assert_true(ring_waits(r) > 0);
	ring_destroy(r);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* An empty ring's consumer sleeps about its timeout; a kick wakes it. */
static void test_ring_consumer_sleeps_and_wakes(void **state)
{
	struct ring *r;
	double t0, dt;

	(void)state;
	assert_int_equal(ring_create(&r, 8, 256), 0);
	t0 = now_s();
	ring_cons_wait(r, 30);
	dt = now_s() - t0;
	assert_true(dt >= 0.025 && dt < 1.0);
	ring_kick(r);
	t0 = now_s();
	ring_cons_wait(r, 5000);
	assert_true(now_s() - t0 < 0.5);
	/* records available: no sleep at all */
	put(r, 1, 0);
	t0 = now_s();
	ring_cons_wait(r, 5000);
	assert_true(now_s() - t0 < 0.5);
	ring_destroy(r);
}


/* ring_cons_nap() sleeps its timeout even with records waiting (a batch
 * consumer), and a kick or a producer that finds the ring full cuts it
 * short. */
struct filler {
	struct ring *r;
	int n;
};

static void *fill_thread(void *p)
{
	struct filler *f = p;

	for (int i = 0; i < f->n; i++)
		put(f->r, (uint64_t)i, 0);
	return NULL;
}

static void test_ring_nap(void **state)
{
	struct filler f;
	struct ring *r;
	pthread_t t;
	double t0, dt;

	(void)state;
	assert_int_equal(ring_create(&r, 8, 256), 0);
	put(r, 0, 0);
	t0 = now_s();
	ring_cons_nap(r, 40 * 1000000ull);
	dt = now_s() - t0;
	assert_true(dt >= 0.035 && dt < 1.0);
	ring_kick(r);
	t0 = now_s();
	ring_cons_nap(r, 5000 * 1000000ull);
	assert_true(now_s() - t0 < 0.5);
	/* 7 more fill the ring; the 8th has to wait, and that wakes us */
	f.r = r;
	f.n = 8;
	assert_int_equal(pthread_create(&t, NULL, fill_thread, &f), 0);
	t0 = now_s();
	ring_cons_nap(r, 5000 * 1000000ull);
	assert_true(now_s() - t0 < 2.5);
	while (ring_cons_avail(r) < 8)
		usleep(1000);
	ring_cons_release(r, 8);
	pthread_join(t, NULL);
	assert_int_equal(ring_cons_avail(r), 1);
	assert_true(ring_waits(r) > 0);
	ring_destroy(r);
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

/*
 * End to end: a store with an 8-record ring and 256 bytes of side buffer;
 * 30000 storm-like exits (a pio row and an exit row each; every 7th pio a
 * 40-byte rep payload that has to go through the side buffer, every 11th
 * exit's seq after a gap), put as fast as the producer can.  The producer
 * has to wait (meta.ring_waits > 0) and nothing is lost: rows out = rows
 * put, the same seqs, the same payload bytes.
 */
static void test_store_full_ring_counts_in_equal_rows_out(void **state)
{
	const struct store_opts o = { .ring_records = 8, .side_bytes = 256 };
	const uint64_t n = 30000;
	char dir[] = "/tmp/test_ring_XXXXXX", path[64], err[256] = "", cmd[96];
	uint64_t seq = 0, bytes = 0, seqsum = 0;
	uint8_t data[40];
	struct store *s;
	sqlite3 *db;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/full.db", dir);
	assert_int_equal(store_create_opts(&s, path, false, &o, err, sizeof(err)), 0);
	for (uint64_t i = 0; i < n; i++) {
		struct rec_pio p = { .port = 0x404, .size = 1, .is_write = 1, .count = 1,
				     .data = data };
		struct rec_exit e = { .reason = 2, .t_ns = i * 1000, .guest_ns = 500,
				      .handle_ns = 100 };

		seq += i % 11 == 10 ? 3 : 1;
		for (size_t k = 0; k < sizeof(data); k++)
			data[k] = (uint8_t)(seq + k);
		p.seq = e.seq = seq;
		if (i % 7 == 0) {
			p.size = 2;
			p.count = 20;   /* rep outsw: 40 bytes, through the side buffer */
		}
		assert_int_equal(store_put_pio(s, &p), 0);
		assert_int_equal(store_put_exit(s, &e), 0);
		bytes += (uint64_t)p.size * p.count;
		seqsum += seq;
	}
	assert_int_equal(store_records(s), 2 * n);
	assert_true(store_ring_waits(s) > 0);
	assert_int_equal(store_close(s), 0);

	assert_int_equal(store_open_ro(path, &db, err, sizeof(err)), 0);
	assert_int_equal(q1(db, "SELECT count(*) FROM exits"), n);
	assert_int_equal(q1(db, "SELECT count(*) FROM pio"), n);
	assert_int_equal(q1(db, "SELECT sum(seq) FROM exits"), seqsum);
	assert_int_equal(q1(db, "SELECT max(seq) FROM exits"), seq);
	assert_int_equal(q1(db, "SELECT count(*) FROM exits JOIN pio USING (seq)"), n);
	assert_int_equal(q1(db, "SELECT sum(length(data)) FROM pio"), bytes);
	assert_int_equal(q1(db, "SELECT sum(length(data) = size * count) FROM pio"), n);
	/* the payload is the exit's own: its first byte is the low byte of seq */
	assert_int_equal(q1(db, "SELECT count(*) FROM pio"
			     " WHERE hex(substr(data, 1, 1)) != printf('%02X', seq % 256)"), 0);
	assert_true(q1(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'ring_waits'") > 0);
	sqlite3_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A second connection that takes the database's write lock for a moment,
 * again and again (what SQLite's own checkpointer does when it reads the
 * WAL header while a commit is writing it). */
struct locker {
	const char *path;
	volatile int stop;
	long rounds;
	int rc;
};

static void *locker_main(void *arg)
{
	struct locker *l = arg;
	sqlite3 *db = NULL;

	l->rc = sqlite3_open_v2(l->path, &db, SQLITE_OPEN_READWRITE, NULL);
	sqlite3_busy_timeout(db, 5000);
	while (l->rc == SQLITE_OK && !l->stop) {
		l->rc = sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT OR REPLACE INTO meta(key, value)"
				     " VALUES ('probe', 'x'); COMMIT", NULL, NULL, NULL);
		__atomic_add_fetch(&l->rounds, 1, __ATOMIC_RELAXED);
		usleep(100);
	}
	sqlite3_close(db);
	return NULL;
}

/*
 * The writer's transactions wait for a write lock another connection holds
 * for a moment instead of failing.  Each began with a read (the max(seq)
 * of its tables) and became a write at its first INSERT; SQLite does not
 * call the busy handler for that upgrade, so a lock held just then failed
 * the recording with "database is locked" (a fresh-clone make test saw it
 * in test_store_full_ring_counts_in_equal_rows_out, with only the store's
 * own checkpointer beside the writer).  Now they begin IMMEDIATE.
 */
static void test_store_waits_for_a_held_write_lock(void **state)
{
	const struct store_opts o = { .ring_records = 64 };
	char dir[] = "/tmp/test_ring_XXXXXX", path[64], err[256] = "", cmd[96];
	struct locker l = { 0 };
	pthread_t th;
	struct store *s;
	sqlite3 *db;
	uint64_t n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lock.db", dir);
	assert_int_equal(store_create_opts(&s, path, false, &o, err, sizeof(err)), 0);
	l.path = path;
	assert_int_equal(pthread_create(&th, NULL, locker_main, &l), 0);
	while (!__atomic_load_n(&l.rounds, __ATOMIC_RELAXED) && l.rc == SQLITE_OK)
		usleep(1000);
	/* transactions of the writer (a flush commits), each with a row: 400,
	 * and on until the other connection took the lock 50 more times */
	for (long r0 = l.rounds, t = 0; t < 400 || (__atomic_load_n(&l.rounds, __ATOMIC_RELAXED) < r0 + 50 &&
						    l.rc == SQLITE_OK && t < 100000); t++) {
		struct rec_exit e = { .reason = 12, .t_ns = n * 1000, .guest_ns = 500 };

		e.seq = ++n;
		assert_int_equal(store_put_exit(s, &e), 0);
		assert_int_equal(store_flush(s), 0);
	}
	l.stop = 1;
	pthread_join(th, NULL);
	assert_int_equal(l.rc, SQLITE_OK);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(store_open_ro(path, &db, err, sizeof(err)), 0);
	assert_int_equal(q1(db, "SELECT count(*) FROM exits"), n);
	assert_int_equal(q1(db, "SELECT count(*) FROM meta WHERE key = 'probe'"), 1);
	sqlite3_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_fifo_order),
		cmocka_unit_test(test_ring_payload_integrity),
		cmocka_unit_test(test_ring_wraparound),
		cmocka_unit_test(test_ring_payload_too_big),
		cmocka_unit_test(test_ring_rejects_bad_sizes),
		cmocka_unit_test(test_ring_full_blocks_and_loses_nothing),
		cmocka_unit_test(test_ring_consumer_sleeps_and_wakes),
		cmocka_unit_test(test_ring_nap),
		cmocka_unit_test(test_store_full_ring_counts_in_equal_rows_out),
		cmocka_unit_test(test_store_waits_for_a_held_write_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
