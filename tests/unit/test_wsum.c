/*
 * test_wsum.c - the summary tables the writer keeps as rows arrive
 * (store/wsum.c) equal what schema/summary.sql computes from the raw
 * tables: after a normal close, after an abrupt end (no store_close(), as
 * after SIGKILL) at whatever was committed, and when the writer had to give
 * up keeping them exact (then readers see them stale and close rebuilds).
 * sum_devacc (the claimed accesses packed for iopath) decodes to the same
 * records as store_rebuild_devacc() makes from the raw tables, and iopath
 * prints the same from it as from the raw tables.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "analyzer/analyzer.h"
#include "store/devacc.h"
#include "store/embedded.h"
#include "store/store.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_wsum_XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *tpath(const char *name)
{
	static char p[8][256];
	static int i;
	char *r = p[i++ % 8];

	snprintf(r, 256, "%s/%s", dir, name);
	return r;
}

/* A store whose board has one disk, ata0 (sum_devacc packs its accesses);
 * 0 or what failed. */
static int create_with_disk(struct store **s, const char *p, char *err, size_t errlen)
{
	struct store_board *b;
	int rc = store_create(s, p, false, err, errlen);

	if (!rc)
		rc = store_board_begin(*s, &b);
	if (!rc) {
		store_board_disk(b, 0, "ata0", "ide", "a.img", 64, "");
		rc = store_board_end(b, err, errlen);
	}
	return rc;
}

/* Two pointers to the same name: one group in SQL, so one here. */
static char com1_a[] = "com1", com1_b[] = "com1";
static const char *const devs[] = { NULL, com1_a, "ata0", com1_b };

static uint64_t hash(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* Exit seq of a deterministic mix: pio on 3 vCPUs and 4 device names, mmio,
 * HLT and IRQ_WINDOW_OPEN; every 7th access after its exit. */
static void put_seq(struct store *s, uint64_t seq)
{
	uint64_t h = hash(seq);
	uint8_t data[8] = { (uint8_t)seq };
	struct rec_exit e = {
		.seq = seq, .vcpu = (uint32_t)(h % 3), .t_ns = seq * 37000 + h % 5000,
		.guest_ns = h % 10000000, .handle_ns = (h >> 24) % 100000,
	};
	struct rec_pio p = {
		.seq = seq, .port = (uint16_t)(0x3f8 + h % 5), .size = 1, .is_write = (h >> 8) & 1,
		.count = (h >> 9) % 8 ? 1 : 8, .data = data, .device = devs[(h >> 12) % 4],
	};
	struct rec_mmio m = {
		.seq = seq, .gpa = 0xfee00000 + 16 * ((h >> 14) % 3), .len = 4,
		.is_write = (h >> 16) & 1, .data = data, .device = (h >> 17) & 1 ? "apic" : NULL,
	};
	int kind = (int)((h >> 40) % 10), late = seq % 7 == 0;
	uint8_t big[64] = { 0 };

	if (p.count > 1)
		p.data = big;
	e.reason = kind < 5 ? 2 : kind < 7 ? 6 : kind < 9 ? 5 : 7;
	if (late)
		assert_int_equal(store_put_exit(s, &e), 0);
	if (e.reason == 2)
		assert_int_equal(store_put_pio(s, &p), 0);
	else if (e.reason == 6)
		assert_int_equal(store_put_mmio(s, &m), 0);
	if (!late)
		assert_int_equal(store_put_exit(s, &e), 0);
}

static void put_range(struct store *s, uint64_t from, uint64_t to)
{
	for (uint64_t seq = from; seq <= to; seq++)
		put_seq(s, seq);
}

/* Rows of `sql` on a and b are equal (REAL to 1e-12 relative). */
static void same_rows(sqlite3 *a, sqlite3 *b, const char *sql)
{
	sqlite3_stmt *sa, *sb;
	int ra, rb, rows = 0;

	assert_int_equal(sqlite3_prepare_v2(a, sql, -1, &sa, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(b, sql, -1, &sb, NULL), SQLITE_OK);
	for (;;) {
		ra = sqlite3_step(sa);
		rb = sqlite3_step(sb);
		if (ra != rb)
			fail_msg("%s: row %d: %s in one, %s in the other", sql, rows,
				 ra == SQLITE_ROW ? "a row" : "none", rb == SQLITE_ROW ? "a row" : "none");
		if (ra != SQLITE_ROW)
			break;
		for (int c = 0; c < sqlite3_column_count(sa); c++) {
			int t = sqlite3_column_type(sa, c);

			if (t != sqlite3_column_type(sb, c))
				fail_msg("%s: row %d col %d: types differ", sql, rows, c);
			if (t == SQLITE_FLOAT) {
				double x = sqlite3_column_double(sa, c), y = sqlite3_column_double(sb, c);

				double d = x > y ? x - y : y - x, m = x > 0 ? x : -x;

				if (d > 1e-12 * m)
					fail_msg("%s: row %d col %d: %.17g vs %.17g", sql, rows, c, x, y);
			} else if (t != SQLITE_NULL) {
				const char *x = (const char *)sqlite3_column_text(sa, c);
				const char *y = (const char *)sqlite3_column_text(sb, c);

				if (strcmp(x, y))
					fail_msg("%s: row %d col %d: %s vs %s", sql, rows, c, x, y);
			}
		}
		rows++;
	}
	assert_int_equal(ra, SQLITE_DONE);
	sqlite3_finalize(sa);
	sqlite3_finalize(sb);
}

static int64_t q_int(sqlite3 *db, const char *sql);

/* Every record of `device` in sum_devacc of db, decoded, into out[]
 * (at most max); returns how many. */
static size_t devacc_read(sqlite3 *db, const char *device, struct devacc_rec *out, size_t max)
{
	sqlite3_stmt *st;
	size_t n = 0;
	int64_t last = 0;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT recs, n, first_seq, last_seq FROM sum_devacc"
					    " WHERE device = ?1 ORDER BY first_seq", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const uint8_t *p = sqlite3_column_blob(st, 0);
		const uint8_t *end = p ? p + sqlite3_column_bytes(st, 0) : NULL;
		struct devacc_rec r = { 0 };
		size_t n0 = n;
		int rc;

		while ((rc = devacc_decode(&p, end, &r)) == 1) {
			assert_true(n < max);
			assert_true(r.seq > last);
			if (n == n0)
				assert_int_equal(r.seq, sqlite3_column_int64(st, 2));
			last = r.seq;
			out[n++] = r;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(n - n0, sqlite3_column_int64(st, 1));
		assert_int_equal(last, sqlite3_column_int64(st, 3));
	}
	sqlite3_finalize(st);
	return n;
}

/* sum_devacc of a and b hold the same records per device, and as many as
 * sum_pio and sum_mmio count for the block devices (disks, requests). */
static void same_devacc(sqlite3 *a, sqlite3 *b)
{
	static const char *const names[] = { "com1", "ata0", "apic" };
	enum { MAX = 100000 };
	struct devacc_rec *ra = calloc(MAX, sizeof(*ra)), *rb = calloc(MAX, sizeof(*rb));
	int64_t total = 0;

	assert_non_null(ra);
	assert_non_null(rb);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t na = devacc_read(a, names[i], ra, MAX), nb = devacc_read(b, names[i], rb, MAX);

		assert_int_equal(na, nb);
		for (size_t k = 0; k < na; k++) {
			assert_int_equal(ra[k].seq, rb[k].seq);
			/* DEVACC_F_ADDR depends on where rows were cut */
			assert_int_equal(ra[k].flags & ~DEVACC_F_ADDR, rb[k].flags & ~DEVACC_F_ADDR);
			assert_int_equal(ra[k].addr, rb[k].addr);
			assert_int_equal(ra[k].bytes, rb[k].bytes);
			if (ra[k].flags & DEVACC_F_BYTE0)
				assert_int_equal(ra[k].byte0, rb[k].byte0);
			assert_int_equal(ra[k].t_ns, rb[k].t_ns);
			assert_int_equal(ra[k].guest_ns, rb[k].guest_ns);
			assert_int_equal(ra[k].handle_ns, rb[k].handle_ns);
		}
		total += (int64_t)na;
	}
	assert_int_equal(total, q_int(a, "SELECT (SELECT total(n) FROM sum_pio WHERE device IN"
				      " (SELECT device FROM disks UNION SELECT device FROM blk_requests))"
				      " + (SELECT total(n) FROM sum_mmio WHERE device IN"
				      " (SELECT device FROM disks UNION SELECT device FROM blk_requests))"));
	free(ra);
	free(rb);
}

/* The summary tables of `path` (as committed) equal a rebuild from its raw
 * tables by summary.sql (on a copy). */
static void check_summary(const char *path)
{
	static const char *const q[] = {
		"SELECT * FROM sum_exits ORDER BY vcpu, reason",
		"SELECT * FROM sum_pio ORDER BY vcpu, port, is_write, device",
		"SELECT * FROM sum_mmio ORDER BY vcpu, gpa, is_write, device",
		"SELECT * FROM sum_timeline ORDER BY vcpu, reason, ms",
		"SELECT * FROM sum_info ORDER BY key",
	};
	char err[256], sql[400];
	const char *copy = tpath("rebuilt.db");
	sqlite3 *db, *rb;

	unlink(copy);
	assert_int_equal(store_open_ro(path, &db, err, sizeof(err)), 0);
	assert_int_equal(analyzer_summary_fresh(db), 1);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", copy);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_open(copy, &rb), SQLITE_OK);
	assert_int_equal(sqlite3_exec(rb, embedded_get("schema/summary.sql"), NULL, NULL, NULL),
			 SQLITE_OK);
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		same_rows(db, rb, q[i]);
	/* and the test is not vacuous */
	assert_int_equal(sqlite3_exec(rb, "SELECT 1 FROM sum_pio WHERE device = 'com1'"
				      " AND n > 0 LIMIT 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(rb);
	/* sum_devacc: summary.sql emptied it; the rebuild's records are the writer's */
	assert_int_equal(store_rebuild_devacc(copy, err, sizeof(err)), 0);
	assert_int_equal(sqlite3_open(copy, &rb), SQLITE_OK);
	same_devacc(db, rb);
	/* rows are cut by seq ranges, not by commits: byte for byte the same */
	same_rows(db, rb, "SELECT * FROM sum_devacc ORDER BY device, first_seq");
	sqlite3_close(rb);
	sqlite3_close(db);
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Several commits, then a normal close. */
static void test_wsum_equals_sql_after_close(void **state)
{
	const char *p = tpath("closed.db");
	char err[256] = "";
	struct store *s;

	(void)state;
	assert_int_equal(create_with_disk(&s, p, err, sizeof(err)), 0);
	put_range(s, 1, 3000);
	assert_int_equal(store_flush(s), 0);
	put_range(s, 3001, 20000);
	assert_int_equal(store_flush(s), 0);
	put_range(s, 20001, 25000);
	assert_int_equal(store_close(s), 0);
	check_summary(p);
}

/* An empty recording: empty summary, sum_info of NULLs, fresh. */
static void test_wsum_empty_recording(void **state)
{
	const char *p = tpath("empty.db");
	char err[256] = "";
	struct store *s;

	(void)state;
	assert_int_equal(create_with_disk(&s, p, err, sizeof(err)), 0);
	assert_int_equal(store_close(s), 0);
	check_summary(p);
}

/* No store_close() (a SIGKILL): the summary equals the committed rows. */
static void test_wsum_abrupt_end_is_consistent(void **state)
{
	const char *p = tpath("killed.db");
	char err[256] = "";
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s;

		if (create_with_disk(&s, p, err, sizeof(err)))
			_exit(1);
		put_range(s, 1, 5000);
		if (store_flush(s))
			_exit(2);
		put_range(s, 5001, 12345);
		if (store_flush(s))
			_exit(2);
		put_range(s, 12346, 13000);   /* committed or not: either is consistent */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	check_summary(p);
}

/* An access whose exit comes more than the pending window later: the
 * writer stops trusting its summary (sum_info goes, readers fall back to
 * the raw tables) and store_close() rebuilds it. */
static void test_wsum_inexact_falls_back(void **state)
{
	const char *p = tpath("late.db");
	char err[256] = "";
	struct rec_pio late = { .seq = 1000, .port = 0x80, .size = 1, .is_write = 1, .count = 1,
				.data = "x", .device = NULL };
	struct rec_exit e = { .seq = 1000, .vcpu = 1, .reason = 2, .t_ns = 5, .handle_ns = 7 };
	struct store *s;
	sqlite3 *db;

	(void)state;
	assert_int_equal(create_with_disk(&s, p, err, sizeof(err)), 0);
	put_range(s, 1, 999);
	assert_int_equal(store_put_pio(s, &late), 0);
	put_range(s, 1001, 2000);       /* seq 1256's access evicts seq 1000's */
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(analyzer_summary_fresh(db), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM sum_info"), 0);
	sqlite3_close(db);
	assert_int_equal(store_put_exit(s, &e), 0);
	assert_int_equal(store_close(s), 0);
	check_summary(p);
}

/* An access paired with its exit after a later seq's (its exit came late,
 * within the pending window): the other summaries stay exact, sum_devacc
 * cannot append it in order, so its rows go (readers see a count that does
 * not match) and store_close() rebuilds them. */
static void test_wsum_devacc_out_of_order(void **state)
{
	const char *p = tpath("dvlate.db");
	char err[256] = "";
	struct rec_pio a = { .seq = 1000, .port = 0x1f7, .size = 1, .is_write = 0, .count = 1,
			     .data = "P", .device = "ata0" };
	struct rec_exit e = { .seq = 1000, .vcpu = 0, .reason = 2, .t_ns = 37000000,
			      .handle_ns = 7 };
	struct store *s;
	sqlite3 *db;

	(void)state;
	assert_int_equal(create_with_disk(&s, p, err, sizeof(err)), 0);
	put_range(s, 1, 999);
	assert_int_equal(store_put_pio(s, &a), 0);     /* seq 1000 waits for its exit */
	a.seq = e.seq = 1001;
	e.t_ns += 1000;
	assert_int_equal(store_put_exit(s, &e), 0);    /* 1001: exit, then access */
	assert_int_equal(store_put_pio(s, &a), 0);
	e.seq = 1000;
	e.t_ns -= 1000;
	assert_int_equal(store_put_exit(s, &e), 0);    /* 1000's exit, after 1001's */
	put_range(s, 1002, 1500);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(analyzer_summary_fresh(db), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM sum_devacc"), 0);
	assert_true(q_int(db, "SELECT sum(n) FROM sum_pio WHERE device = 'ata0'") > 100);
	sqlite3_close(db);
	put_range(s, 1501, 2000);
	assert_int_equal(store_close(s), 0);
	check_summary(p);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_true(q_int(db, "SELECT sum(n) FROM sum_devacc WHERE device = 'ata0'") > 100);
	sqlite3_close(db);
}

/* apic issues a block request after hundreds of its accesses went
 * unpacked: sum_devacc cannot be complete (its rows go), close rebuilds it
 * with apic's accesses; ata0's (a disk) were packed from the start. */
static void test_wsum_devacc_late_block_device(void **state)
{
	const char *p = tpath("dvblk.db");
	char err[256] = "";
	struct rec_blk b = { .seq = 1500, .device = "apic", .disk = -1, .op = 0, .sector = 0,
			     .nsectors = 1 };
	struct store *s;
	sqlite3 *db;

	(void)state;
	assert_int_equal(create_with_disk(&s, p, err, sizeof(err)), 0);
	put_range(s, 1, 1000);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_true(q_int(db, "SELECT total(n) FROM sum_devacc WHERE device = 'ata0'") > 50);
	assert_int_equal(q_int(db, "SELECT count(*) FROM sum_devacc WHERE device <> 'ata0'"), 0);
	sqlite3_close(db);
	put_range(s, 1001, 1500);
	assert_int_equal(store_put_blk(s, &b), 0);
	put_range(s, 1501, 2000);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(analyzer_summary_fresh(db), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM sum_devacc"), 0);
	sqlite3_close(db);
	assert_int_equal(store_close(s), 0);
	check_summary(p);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_true(q_int(db, "SELECT total(n) FROM sum_devacc WHERE device = 'apic'") > 50);
	sqlite3_close(db);
}

/* `timeline` output of db with opts (bucket_ns, vcpu); caller frees. */
static char *timeline(sqlite3 *db, uint64_t bucket_ns, int vcpu)
{
	struct analyzer_timeline_opts o = { .bucket_ns = bucket_ns, .vcpu = vcpu,
					    .format = ANALYZER_CSV };
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(analyzer_timeline(db, &o, f, err, sizeof(err)), 0);
	fclose(f);
	return buf;
}

/* The timeline from sum_timeline equals the one from the raw exits. */
static void test_wsum_timeline_same_as_raw(void **state)
{
	static const uint64_t buckets[] = { 0, 1000000, 2000000, 1500000, 50000000 };
	const char *p = tpath("tl.db"), *copy = tpath("tl-raw.db");
	char err[256] = "", sql[400];
	struct store *s;
	sqlite3 *db, *raw;

	(void)state;
	assert_int_equal(create_with_disk(&s, p, err, sizeof(err)), 0);
	put_range(s, 1, 30000);
	assert_int_equal(store_close(s), 0);
	unlink(copy);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", copy);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_open(copy, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "DELETE FROM sum_info", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(analyzer_summary_fresh(raw), 0);
	for (size_t i = 0; i < sizeof(buckets) / sizeof(buckets[0]); i++)
		for (int vcpu = -1; vcpu < 3; vcpu++) {
			char *a = timeline(db, buckets[i], vcpu), *b = timeline(raw, buckets[i], vcpu);

			assert_true(strlen(a) > 100);
			assert_string_equal(a, b);
			free(a);
			free(b);
		}
	sqlite3_close(raw);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wsum_equals_sql_after_close),
		cmocka_unit_test(test_wsum_empty_recording),
		cmocka_unit_test(test_wsum_abrupt_end_is_consistent),
		cmocka_unit_test(test_wsum_inexact_falls_back),
		cmocka_unit_test(test_wsum_devacc_out_of_order),
		cmocka_unit_test(test_wsum_devacc_late_block_device),
		cmocka_unit_test(test_wsum_timeline_same_as_raw),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
