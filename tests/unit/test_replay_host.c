/*
 * test_replay_host.c - the replay host interface (replayer/hostreplay.c)
 * on hand-written log rows: time from the exit, DMA reads served from the
 * logged bytes, a logged -EFAULT replayed, DMA writes compared; block reads
 * served from the overlay (untouched sectors = base image), writes going to
 * the overlay only, data hashes checked, logged failures replayed; IRQ
 * levels compared; rows the model did not reproduce, and calls the log does
 * not have, reported; skipped exits dropping their rows silently.
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
#include <sqlite3.h>

#include "backends/overlay.h"
#include "replayer/hostreplay.h"
#include "store/embedded.h"
#include "util/sha256.h"

static char dir[64], base[128];
static uint8_t image[16 * 512];

struct ctx {
	sqlite3 *db;
	struct logread log;
	struct overlay *ov;
	struct hostreplay hr;
	struct host h;
	char msgs[4096];
	uint64_t last_seq;
};

static void on_div(void *arg, uint64_t seq, const char *device, const char *msg)
{
	struct ctx *c = arg;
	size_t n = strlen(c->msgs);

	c->last_seq = seq;
	snprintf(c->msgs + n, sizeof(c->msgs) - n, "[%s] %s\n", device ? device : "-", msg);
}

static int setup(void **state)
{
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_replay_host_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(base, sizeof(base), "%s/base.img", dir);
	for (size_t i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 3 + i / 512);
	f = fopen(base, "wb");
	if (!f || fwrite(image, 1, sizeof(image), f) != sizeof(image))
		return -1;
	return fclose(f) ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void hex_of(const void *p, size_t n, char out[65])
{
	uint8_t d[32];

	sha256(p, n, d);
	sha256_hex(d, out);
}

/* A recording in memory holding the rows `sql` inserts, and the host over it. */
static struct ctx *ctx_new(const char *sql)
{
	struct ctx *c = calloc(1, sizeof(*c));
	char err[256];

	assert_non_null(c);
	assert_int_equal(sqlite3_open(":memory:", &c->db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(c->db, embedded_get("schema/exitlog.sql"), NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(c->db, sql, NULL, NULL, NULL), SQLITE_OK);
	c->log.db = c->db; /* logread_close() closes it */
	assert_int_equal(logread_cursors(&c->log, 0, err, sizeof(err)), 0);
	assert_int_equal(logread_prime(&c->log), 0);
	assert_int_equal(overlay_open(&c->ov, base, 0, err, sizeof(err)), 0);
	hostreplay_init(&c->hr, &c->log, NULL, &c->ov, 1, on_div, c);
	c->h = hostreplay_host(&c->hr);
	return c;
}

static void ctx_free(struct ctx *c)
{
	logread_close(&c->log);
	overlay_close(c->ov);
	free(c);
}

static void test_hostreplay_now_is_exit_time(void **state)
{
	struct ctx *c = ctx_new("");

	(void)state;
	hostreplay_begin(&c->hr, 1, 123456);
	assert_int_equal(host_now_ns(&c->h), 123456);
	hostreplay_end(&c->hr);
	assert_int_equal(c->hr.ndiv, 0);
	ctx_free(c);
}

static void test_hostreplay_dma_read_served(void **state)
{
	struct ctx *c = ctx_new("INSERT INTO dma(seq, device, gpa, len, is_write, data, status)"
				" VALUES (1, 'vblk0', 4096, 4, 0, x'01020304', 0)");
	uint8_t buf[4] = { 0 }, want[4] = { 1, 2, 3, 4 };

	(void)state;
	hostreplay_begin(&c->hr, 1, 10);
	assert_int_equal(host_dma_read(&c->h, "vblk0", 4096, buf, 4), 0);
	assert_memory_equal(buf, want, 4);
	hostreplay_end(&c->hr);
	assert_int_equal(c->hr.ndiv, 0);
	assert_int_equal(c->hr.ndma, 1);
	ctx_free(c);
}

static void test_hostreplay_dma_efault_replayed(void **state)
{
	struct ctx *c = ctx_new("INSERT INTO dma(seq, device, gpa, len, is_write, data, status)"
				" VALUES (1, 'vblk0', 4294967296, 16, 0, NULL, -14),"
				" (2, 'vblk0', 4294967296, 16, 1, NULL, -14)");
	uint8_t buf[16];

	(void)state;
	hostreplay_begin(&c->hr, 1, 10);
	assert_int_equal(host_dma_read(&c->h, "vblk0", 1ull << 32, buf, 16), -EFAULT);
	hostreplay_end(&c->hr);
	hostreplay_begin(&c->hr, 2, 20);
	assert_int_equal(host_dma_write(&c->h, "vblk0", 1ull << 32, buf, 16), -EFAULT);
	hostreplay_end(&c->hr);
	assert_int_equal(c->hr.ndiv, 0);
	ctx_free(c);
}

static void test_hostreplay_dma_mismatches(void **state)
{
	struct ctx *c = ctx_new("INSERT INTO dma(seq, device, gpa, len, is_write, data, status)"
				" VALUES (1, 'vblk0', 4096, 2, 0, x'aabb', 0),"
				" (2, 'vblk0', 8192, 2, 1, x'aabb', 0),"
				" (3, 'vblk0', 8192, 2, 1, x'aabb', 0)");
	uint8_t buf[2], same[2] = { 0xaa, 0xbb }, other[2] = { 0xaa, 0xcc };

	(void)state;
	hostreplay_begin(&c->hr, 1, 10);
	assert_int_equal(host_dma_read(&c->h, "vblk0", 4100, buf, 2), 0);
	hostreplay_end(&c->hr);
	assert_non_null(strstr(c->msgs, "[vblk0] dma: expected read gpa 0x1000 len 2 (vblk0), "
				"model issued read gpa 0x1004 len 2"));
	hostreplay_begin(&c->hr, 2, 20);
	assert_int_equal(host_dma_write(&c->h, "vblk0", 8192, same, 2), 0);
	hostreplay_end(&c->hr);
	assert_int_equal(c->hr.ndiv, 1);
	hostreplay_begin(&c->hr, 3, 30);
	assert_int_equal(host_dma_write(&c->h, "vblk0", 8192, other, 2), 0);
	/* one more than the log has */
	assert_int_equal(host_dma_read(&c->h, "vblk0", 0, buf, 2), -EFAULT);
	hostreplay_end(&c->hr);
	assert_non_null(strstr(c->msgs, "data differs at byte 1 (expected bb got cc)"));
	assert_non_null(strstr(c->msgs, "dma: model issued read gpa 0x0 len 2, the recording has none here"));
	assert_int_equal(c->hr.ndiv, 3);
	ctx_free(c);
}

static char *blk_rows(const char *rows_fmt, ...)
{
	static char sql[2048];
	va_list ap;

	va_start(ap, rows_fmt);
	vsnprintf(sql, sizeof(sql), rows_fmt, ap);
	va_end(ap);
	return sql;
}

#define BLK_INSERT "INSERT INTO blk_requests(seq, device, op, sector, nsectors, data_hash," \
		   " status, latency_ns, disk) VALUES "

static void test_hostreplay_blk_read_from_overlay(void **state)
{
	char h2[65];
	struct ctx *c;
	struct blk_req r = { .disk = 0, .device = "ata0", .op = BLK_OP_READ, .sector = 2, .nsectors = 1 };
	uint8_t buf[512];

	(void)state;
	hex_of(image + 2 * 512, 512, h2);
	c = ctx_new(blk_rows(BLK_INSERT "(1, 'ata0', 'read', 2, 1, '%s', 0, 5, 0),"
			     " (2, 'ata0', 'read', 2, 1, '%064d', 0, 5, 0)", h2, 0));
	hostreplay_begin(&c->hr, 1, 10);
	assert_int_equal(host_blk_read(&c->h, &r, buf), 0);
	assert_memory_equal(buf, image + 2 * 512, 512);
	hostreplay_end(&c->hr);
	assert_int_equal(c->hr.ndiv, 0);
	hostreplay_begin(&c->hr, 2, 20);
	assert_int_equal(host_blk_read(&c->h, &r, buf), 0);
	hostreplay_end(&c->hr);
	assert_int_equal(c->hr.ndiv, 1);
	assert_non_null(strstr(c->msgs, "[ata0] blk read sector 2 n 1: data sha256 "));
	assert_non_null(strstr(c->msgs, h2));
	assert_non_null(strstr(c->msgs, "recording has 0000000000"));
	ctx_free(c);
}

static void test_hostreplay_blk_write_goes_to_overlay(void **state)
{
	uint8_t data[512], buf[512];
	char h[65], before[65], after[65];
	struct ctx *c;
	struct blk_req w = { .disk = 0, .device = "ata0", .op = BLK_OP_WRITE, .sector = 3, .nsectors = 1 };
	struct blk_req r = w;

	(void)state;
	r.op = BLK_OP_READ;
	memset(data, 0x77, sizeof(data));
	hex_of(data, sizeof(data), h);
	assert_int_equal(sha256_file(base, before), 0);
	c = ctx_new(blk_rows(BLK_INSERT "(1, 'ata0', 'write', 3, 1, '%s', 0, 5, 0),"
			     " (2, 'ata0', 'flush', 0, 0, NULL, 0, 5, 0),"
			     " (3, 'ata0', 'read', 3, 1, '%s', 0, 5, 0)", h, h));
	hostreplay_begin(&c->hr, 1, 10);
	assert_int_equal(host_blk_write(&c->h, &w, data), 0);
	hostreplay_end(&c->hr);
	hostreplay_begin(&c->hr, 2, 20);
	w.op = BLK_OP_FLUSH;
	w.sector = 0;
	w.nsectors = 0;
	assert_int_equal(host_blk_flush(&c->h, &w), 0);
	hostreplay_end(&c->hr);
	hostreplay_begin(&c->hr, 3, 30);
	assert_int_equal(host_blk_read(&c->h, &r, buf), 0);
	hostreplay_end(&c->hr);
	assert_memory_equal(buf, data, 512);
	assert_int_equal(c->hr.ndiv, 0);
	assert_int_equal(c->hr.nblk, 3);
	ctx_free(c);
	assert_int_equal(sha256_file(base, after), 0);
	assert_string_equal(before, after);
}

static void test_hostreplay_blk_logged_failure_replayed(void **state)
{
	uint8_t data[512], buf[512];
	struct ctx *c;
	struct blk_req r = { .disk = 0, .device = "ata0", .op = BLK_OP_READ, .sector = 4, .nsectors = 1 };
	struct blk_req w = { .disk = 0, .device = "ata0", .op = BLK_OP_WRITE, .sector = 4, .nsectors = 1 };

	(void)state;
	c = ctx_new(BLK_INSERT "(1, 'ata0', 'read', 4, 1, NULL, -5, 5, 0),"
		    " (2, 'ata0', 'write', 4, 1, NULL, -28, 5, 0)");
	memset(buf, 0x11, sizeof(buf));
	memset(data, 0x99, sizeof(data));
	hostreplay_begin(&c->hr, 1, 10);
	assert_int_equal(host_blk_read(&c->h, &r, buf), -EIO);
	hostreplay_end(&c->hr);
	hostreplay_begin(&c->hr, 2, 20);
	assert_int_equal(host_blk_write(&c->h, &w, data), -ENOSPC);
	hostreplay_end(&c->hr);
	assert_int_equal(c->hr.ndiv, 0);
	/* the failed write never reached the overlay */
	assert_int_equal(overlay_read(c->ov, 4, 1, buf), 0);
	assert_memory_equal(buf, image + 4 * 512, 512);
	ctx_free(c);
}

static void test_hostreplay_blk_mismatch_and_missing(void **state)
{
	uint8_t buf[512];
	struct ctx *c;
	struct blk_req r = { .disk = 0, .device = "ata0", .op = BLK_OP_READ, .sector = 6, .nsectors = 1 };

	(void)state;
	c = ctx_new(BLK_INSERT "(1, 'ata0', 'read', 5, 1, NULL, 0, 5, 0),"
		    " (2, 'ata0', 'write', 7, 2, NULL, 0, 5, 0)");
	hostreplay_begin(&c->hr, 1, 10);
	assert_int_equal(host_blk_read(&c->h, &r, buf), 0);
	hostreplay_end(&c->hr);
	assert_non_null(strstr(c->msgs, "blk: expected read sector 5 n 1 (ata0), model issued read "
				"sector 6 n 1 (ata0)"));
	hostreplay_begin(&c->hr, 2, 20);
	hostreplay_end(&c->hr); /* the model issued nothing */
	assert_non_null(strstr(c->msgs, "[ata0] blk: expected write sector 7 n 2 (ata0), model issued nothing"));
	assert_int_equal(c->last_seq, 2);
	assert_int_equal(c->hr.ndiv, 2);
	ctx_free(c);
}

static void test_hostreplay_irq_compare(void **state)
{
	struct ctx *c = ctx_new("INSERT INTO irqs(seq, line, level) VALUES (1, 14, 1), (1, 14, 0),"
				" (3, 4, 1)");

	(void)state;
	hostreplay_begin(&c->hr, 1, 10);
	host_irq_set(&c->h, 14, 1);
	host_irq_set(&c->h, 14, 1);
	host_irq_set(&c->h, 15, 1);
	hostreplay_end(&c->hr);
	assert_non_null(strstr(c->msgs, "irq: expected line 14 level 0, model set line 14 level 1"));
	assert_non_null(strstr(c->msgs, "irq: model set line 15 level 1, the recording has none here"));
	assert_int_equal(c->hr.ndiv, 2);
	hostreplay_begin(&c->hr, 4, 40); /* seq 3's row was never reproduced */
	hostreplay_end(&c->hr);
	assert_non_null(strstr(c->msgs, "irq: expected line 4 level 1, model set nothing"));
	assert_int_equal(c->last_seq, 3);
	assert_int_equal(c->hr.ndiv, 3);
	ctx_free(c);
}

static void test_hostreplay_skip_and_rest(void **state)
{
	struct ctx *c = ctx_new("INSERT INTO irqs(seq, line, level) VALUES (1, 14, 1), (2, 14, 0),"
				" (9, 4, 1)");

	(void)state;
	hostreplay_skip(&c->hr, 1);
	hostreplay_skip(&c->hr, 2);
	assert_int_equal(c->hr.ndiv, 0);
	assert_int_equal(c->hr.irq->seq, 9);
	hostreplay_rest(&c->hr);
	assert_int_equal(c->hr.ndiv, 1);
	assert_int_equal(c->last_seq, 9);
	assert_int_equal(c->hr.irq->seq, LOG_SEQ_END);
	ctx_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostreplay_now_is_exit_time),
		cmocka_unit_test(test_hostreplay_dma_read_served),
		cmocka_unit_test(test_hostreplay_dma_efault_replayed),
		cmocka_unit_test(test_hostreplay_dma_mismatches),
		cmocka_unit_test(test_hostreplay_blk_read_from_overlay),
		cmocka_unit_test(test_hostreplay_blk_write_goes_to_overlay),
		cmocka_unit_test(test_hostreplay_blk_logged_failure_replayed),
		cmocka_unit_test(test_hostreplay_blk_mismatch_and_missing),
		cmocka_unit_test(test_hostreplay_irq_compare),
		cmocka_unit_test(test_hostreplay_skip_and_rest),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
