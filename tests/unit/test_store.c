/*
 * test_store.c - the store: a recording written through the ring reads back
 * exactly (counts, bytes, hashes, gapless seq); existing files are refused
 * unless forced; store_open_ro() refuses missing, foreign, truncated, newer
 * and meta-less files with the right -errno and a one-line message; no
 * -wal/-shm files remain; write errors surface as -EIO; a tiny ring blocks
 * but loses nothing.  EXITLOG_STORE_BENCH=N also measures insert
 * throughput with N exits (printed, not asserted).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "util/sha256.h"
#include "store/store.h"
#include "store/store_int.h" /* store_db(): the test looks inside */
#include "store/writer.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_store_XXXXXX");
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

static bool exists(const char *path, const char *sfx)
{
	char p[300];
	struct stat sb;

	snprintf(p, sizeof(p), "%s%s", path, sfx);
	return stat(p, &sb) == 0;
}

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static char *read_file(const char *path, size_t *n)
{
	struct stat sb;
	char *b;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	b = malloc((size_t)sb.st_size + 1);
	assert_non_null(b);
	assert_int_equal(read(fd, b, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*n = (size_t)sb.st_size;
	return b;
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

/* The error message contract: one line, starting with the path. */
static void assert_one_line(const char *err, const char *path)
{
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_null(strchr(err, '\n'));
	assert_true(strlen(err) > strlen(path) + 2);
}

static void pio_bytes(uint8_t *b, uint64_t seq, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seq * 3 + i * 11);
}

/* The reference recording: 1000 exits, each with a pio row (seq 500 is a
 * 512-byte rep outsw), and blk/irq/dma/info/kexit rows. */
static void write_reference(const char *path, const struct store_opts *o)
{
	static const char *const dev = "ata0";
	uint8_t data[512], sector[1024];
	struct store *s;
	char err[256] = "";

	assert_int_equal(store_create_opts(&s, path, false, o, err, sizeof(err)), 0);
	assert_int_equal(store_meta_set(s, "guest", "test.bin"), 0);
	assert_int_equal(store_meta_setf(s, "mem_mb", "%d", 16), 0);
	for (uint64_t seq = 1; seq <= 1000; seq++) {
		bool rep = seq == 500;
		struct rec_pio p = {
			.seq = seq, .port = rep ? 0x1f0 : 0x3f8, .size = rep ? 2 : 1,
			.is_write = seq & 1, .count = rep ? 256 : 1, .data = data,
			.device = seq % 10 == 0 ? NULL : (rep ? dev : "com1"),
		};
		struct rec_exit e = {
			.seq = seq, .vcpu = 0, .reason = 2, .t_ns = seq * 1000,
			.guest_ns = seq, .handle_ns = 2 * seq,
		};

		pio_bytes(data, seq, rep ? 512 : 1);
		assert_int_equal(store_put_pio(s, &p), 0);
		assert_int_equal(store_put_exit(s, &e), 0);
		if (seq == 500) {
			struct rec_blk b = {
				.seq = seq, .device = dev, .disk = 0, .op = 0, .sector = 7,
				.nsectors = 2, .has_hash = true, .status = 0, .latency_ns = 1234,
			};
			struct rec_blk f = {
				.seq = seq, .device = dev, .disk = 0, .op = 2, .status = -5,
			};
			struct rec_irq q = { .seq = seq, .line = 14, .level = 1, .device = dev };
			struct rec_dma d = {
				.seq = seq, .device = "vblk0", .gpa = 0x1000, .len = sizeof(sector),
				.is_write = 1, .data = sector,
			};
			struct rec_dma d0 = {
				.seq = seq, .device = "vblk0", .gpa = 1ull << 40, .len = 8,
				.status = -EFAULT,
			};

			for (size_t i = 0; i < sizeof(sector); i++)
				sector[i] = (uint8_t)(i ^ 0x5a);
			sha256(sector, sizeof(sector), b.hash);
			assert_int_equal(store_put_blk(s, &b), 0);
			assert_int_equal(store_put_blk(s, &f), 0);
			assert_int_equal(store_put_irq(s, &q), 0);
			assert_int_equal(store_put_dma(s, &d), 0);
			assert_int_equal(store_put_dma(s, &d0), 0);
		}
		if (seq == 1000) {
			struct rec_info i = { .seq = seq, .code = 17, .detail = "suberror 1" };
			struct rec_info i2 = { .seq = seq, .code = 17, .detail = "again" };
			struct rec_kexit k = {
				.t_ns = 99, .vcpu = 0, .isa = "vmx", .reason = 30,
				.reason_name = "IO_INSTRUCTION", .rip = 0x7c00, .info1 = 1,
				.info2 = 2,
			};
			struct rec_mmio m = {
				.seq = seq, .gpa = 0xfee00000, .len = 4, .is_write = 0,
				.data = "\x01\x02\x03\x04", .device = NULL,
			};

			assert_int_equal(store_put_info(s, &i), 0);
			assert_int_equal(store_put_info(s, &i2), 0);
			assert_int_equal(store_put_kexit(s, &k), 0);
			assert_int_equal(store_put_mmio(s, &m), 0);
		}
	}
	assert_int_equal(store_records(s), 2000 + 5 + 4);
	assert_int_equal(store_close(s), 0);
}

static void check_reference(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char err[256] = "", buf[64], hex[65];
	uint8_t want[512], sector[1024], d[32];

	assert_int_equal(store_open_ro(path, &db, err, sizeof(err)), 0);
	assert_int_equal(store_meta_get(db, "schema_version", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1");
	assert_int_equal(store_meta_get(db, "guest", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "test.bin");
	assert_int_equal(store_meta_get(db, "mem_mb", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "16");
	assert_int_equal(store_meta_get(db, "ring_waits", buf, sizeof(buf)), 0);
	assert_int_equal(store_meta_get(db, "nope", buf, sizeof(buf)), -ENOENT);

	/* gapless seq */
	assert_int_equal(q_int(db, "SELECT count(*) FROM exits"), 1000);
	assert_int_equal(q_int(db, "SELECT min(seq) FROM exits"), 1);
	assert_int_equal(q_int(db, "SELECT max(seq) FROM exits"), 1000);
	assert_int_equal(q_int(db, "SELECT count(*) FROM exits WHERE"
			 " t_ns = seq*1000 AND guest_ns = seq AND handle_ns = 2*seq"
			 " AND reason = 2 AND vcpu = 0"), 1000);
	assert_int_equal(q_int(db, "SELECT count(*) FROM pio"), 1000);
	assert_int_equal(q_int(db, "SELECT count(*) FROM pio p JOIN exits e USING (seq)"), 1000);
	assert_int_equal(q_int(db, "SELECT count(*) FROM pio WHERE device IS NULL"), 100);
	assert_int_equal(q_int(db, "SELECT count(*) FROM pio WHERE is_write = seq % 2"), 1000);

	/* exact bytes of every pio row */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, port, size, count, data"
					    " FROM pio ORDER BY seq", -1, &st, NULL), SQLITE_OK);
	for (uint64_t seq = 1; seq <= 1000; seq++) {
		size_t n = seq == 500 ? 512 : 1;

		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(st, 0), seq);
		assert_int_equal(sqlite3_column_int(st, 1), seq == 500 ? 0x1f0 : 0x3f8);
		assert_int_equal(sqlite3_column_int(st, 2), seq == 500 ? 2 : 1);
		assert_int_equal(sqlite3_column_int(st, 3), seq == 500 ? 256 : 1);
		assert_int_equal(sqlite3_column_bytes(st, 4), n);
		pio_bytes(want, seq, n);
		assert_memory_equal(sqlite3_column_blob(st, 4), want, n);
	}
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);

	/* blk: hash hex, op names, NULL hash for flush */
	for (size_t i = 0; i < sizeof(sector); i++)
		sector[i] = (uint8_t)(i ^ 0x5a);
	sha256(sector, sizeof(sector), d);
	sha256_hex(d, hex);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, seq, device, op, sector, nsectors,"
					    " data_hash, status, latency_ns, disk FROM blk_requests"
					    " ORDER BY id", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_column_int(st, 1), 500);
	assert_string_equal(sqlite3_column_text(st, 2), "ata0");
	assert_string_equal(sqlite3_column_text(st, 3), "read");
	assert_int_equal(sqlite3_column_int(st, 4), 7);
	assert_int_equal(sqlite3_column_int(st, 5), 2);
	assert_string_equal(sqlite3_column_text(st, 6), hex);
	assert_int_equal(sqlite3_column_int(st, 7), 0);
	assert_int_equal(sqlite3_column_int(st, 8), 1234);
	assert_int_equal(sqlite3_column_int(st, 9), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 3), "flush");
	assert_int_equal(sqlite3_column_type(st, 6), SQLITE_NULL);
	assert_int_equal(sqlite3_column_int(st, 7), -5);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);

	assert_int_equal(q_int(db, "SELECT count(*) FROM irqs WHERE seq = 500 AND line = 14"
			 " AND level = 1 AND device = 'ata0'"), 1);

	/* dma: bytes, and NULL data for the failed one */
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT device, gpa, len, is_write, data, status"
					    " FROM dma ORDER BY id", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), "vblk0");
	assert_int_equal(sqlite3_column_int64(st, 1), 0x1000);
	assert_int_equal(sqlite3_column_int(st, 2), 1024);
	assert_int_equal(sqlite3_column_int(st, 3), 1);
	assert_int_equal(sqlite3_column_bytes(st, 4), 1024);
	assert_memory_equal(sqlite3_column_blob(st, 4), sector, 1024);
	assert_int_equal(sqlite3_column_int(st, 5), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 1), 1ll << 40);
	assert_int_equal(sqlite3_column_type(st, 4), SQLITE_NULL);
	assert_int_equal(sqlite3_column_int(st, 5), -EFAULT);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);

	assert_int_equal(q_int(db, "SELECT count(*) FROM exit_info WHERE seq = 1000 AND"
			 " code = 17 AND detail = 'suberror 1; again'"), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM kernel_exits WHERE t_ns = 99 AND"
			 " isa = 'vmx' AND reason = 30 AND reason_name = 'IO_INSTRUCTION'"
			 " AND rip = 31744 AND info1 = 1 AND info2 = 2"), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM mmio WHERE seq = 1000 AND"
			 " gpa = 4276092928 AND len = 4 AND data = x'01020304'"
			 " AND device IS NULL"), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM exit_reasons WHERE name = 'IO'"), 1);
	sqlite3_close(db);
}

static void test_store_roundtrip_exact(void **state)
{
	const char *p = tpath("ref.db");

	(void)state;
	write_reference(p, NULL);
	assert_false(exists(p, "-wal"));
	assert_false(exists(p, "-shm"));
	assert_false(exists(p, "-journal"));
	check_reference(p);
	assert_false(exists(p, "-wal"));
	assert_false(exists(p, "-shm"));
}

/* Single-row statements only, a ring of 8 records and 1 KiB of payload:
 * same result, and the producer had to wait. */
static void test_store_tiny_ring_loses_nothing(void **state)
{
	const struct store_opts o = { .ring_records = 8, .side_bytes = 1024, .batch_rows = 1 };
	const char *p = tpath("tiny.db");
	sqlite3 *db;
	char err[256], buf[32];

	(void)state;
	write_reference(p, &o);
	check_reference(p);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(store_meta_get(db, "ring_waits", buf, sizeof(buf)), 0);
	assert_true(atoll(buf) > 0);
	sqlite3_close(db);
}

/* Payloads that wrap around the end of the side buffer are stored intact. */
static void test_store_wrapped_payloads(void **state)
{
	const struct store_opts o = { .ring_records = 16, .side_bytes = 4096, .batch_rows = 4 };
	const char *p = tpath("wrap.db");
	uint8_t data[700];
	struct store *s;
	sqlite3 *db;
	sqlite3_stmt *st;
	char err[256];

	(void)state;
	assert_int_equal(store_create_opts(&s, p, false, &o, err, sizeof(err)), 0);
	for (uint64_t seq = 1; seq <= 3000; seq++) {
		size_t n = 1 + (seq * 97) % 700;
		struct rec_mmio m = { .seq = seq, .gpa = seq, .len = (uint32_t)n,
				      .is_write = 1, .data = data };

		pio_bytes(data, seq, n);
		assert_int_equal(store_put_mmio(s, &m), 0);
	}
	assert_int_equal(store_close(s), 0);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, data FROM mmio ORDER BY seq", -1,
					    &st, NULL), SQLITE_OK);
	for (uint64_t seq = 1; seq <= 3000; seq++) {
		size_t n = 1 + (seq * 97) % 700;

		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(st, 0), seq);
		assert_int_equal(sqlite3_column_bytes(st, 1), n);
		pio_bytes(data, seq, n);
		assert_memory_equal(sqlite3_column_blob(st, 1), data, n);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_store_existing_file_refused(void **state)
{
	const char *p = tpath("existing.db");
	const char content[] = "precious data, not a database\n";
	struct store *s = (void *)1;
	char err[256] = "";
	size_t n;
	char *b;

	(void)state;
	write_file(p, content, sizeof(content));
	assert_int_equal(store_create(&s, p, false, err, sizeof(err)), -EEXIST);
	assert_null(s);
	assert_one_line(err, p);
	b = read_file(p, &n);
	assert_int_equal(n, sizeof(content));
	assert_memory_equal(b, content, n);
	free(b);
	assert_false(exists(p, "-wal"));
	assert_false(exists(p, "-shm"));

	/* an existing recording is refused as well, byte for byte intact */
	write_reference(tpath("existing2.db"), NULL);
	{
		size_t n1, n2;
		char *b1 = read_file(tpath("existing2.db"), &n1), *b2;

		assert_int_equal(store_create(&s, tpath("existing2.db"), false, err,
					      sizeof(err)), -EEXIST);
		b2 = read_file(tpath("existing2.db"), &n2);
		assert_int_equal(n1, n2);
		assert_memory_equal(b1, b2, n1);
		free(b1);
		free(b2);
	}
}

static void test_store_force_replaces(void **state)
{
	const char *p = tpath("forced.db");
	struct store *s;
	char err[256] = "", side[300];
	sqlite3 *db;

	(void)state;
	write_file(p, "old", 3);
	snprintf(side, sizeof(side), "%s-wal", p);
	write_file(side, "stale wal", 9);
	snprintf(side, sizeof(side), "%s-shm", p);
	write_file(side, "stale shm", 9);
	assert_int_equal(store_create(&s, p, true, err, sizeof(err)), 0);
	assert_int_equal(store_close(s), 0);
	assert_false(exists(p, "-wal"));
	assert_false(exists(p, "-shm"));
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM exits"), 0);
	sqlite3_close(db);
}

/* A recorder that dies after a flush leaves its WAL behind: the recording
 * still opens read-only with every flushed row, also without the -shm. */
static void test_store_crashed_recording_opens(void **state)
{
	const char *p = tpath("crashed.db");
	char err[256] = "", shm[300];
	sqlite3 *db;
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s;

		if (store_create(&s, p, false, err, sizeof(err)))
			_exit(1);
		for (uint64_t seq = 1; seq <= 1000; seq++) {
			struct rec_exit e = { .seq = seq, .reason = 2 };

			if (store_put_exit(s, &e))
				_exit(3);
		}
		_exit(store_flush(s) ? 2 : 0);   /* no store_close: a crash */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(exists(p, "-wal"));
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM exits"), 1000);
	sqlite3_close(db);
	snprintf(shm, sizeof(shm), "%s-shm", p);
	unlink(shm);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM exits"), 1000);
	sqlite3_close(db);
}

/* Side files without their database (a -wal or -journal left behind) are
 * orphans: a new recording at that path must not pick them up. */
static void test_store_orphan_side_files_removed(void **state)
{
	const char *p = tpath("orphan.db");
	char err[256] = "", side[300];
	struct store *s;
	sqlite3 *db;

	(void)state;
	/* a real -wal from another recording, full of its frames */
	write_reference(tpath("donor.db"), NULL);
	{
		size_t n;
		char *b = read_file(tpath("donor.db"), &n);

		snprintf(side, sizeof(side), "%s-journal", p);
		write_file(side, b, n);
		free(b);
	}
	snprintf(side, sizeof(side), "%s-wal", p);
	write_file(side, "garbage", 7);
	assert_int_equal(store_create(&s, p, false, err, sizeof(err)), 0);
	assert_int_equal(store_close(s), 0);
	assert_false(exists(p, "-journal"));
	assert_false(exists(p, "-wal"));
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM exits"), 0);
	sqlite3_close(db);
}

static void test_store_open_missing(void **state)
{
	const char *p = tpath("missing.db");
	sqlite3 *db = (void *)1;
	char err[256] = "";

	(void)state;
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), -ENOENT);
	assert_null(db);
	assert_one_line(err, p);
	assert_non_null(strstr(err, "no such file"));
}

static void test_store_open_text_file(void **state)
{
	const char *p = tpath("notes.txt");
	sqlite3 *db;
	char err[256] = "";

	(void)state;
	write_file(p, "hello\nworld\n", 12);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), -EINVAL);
	assert_one_line(err, p);
	assert_non_null(strstr(err, "not an exitlog database (not SQLite)"));
	/* an empty file too */
	write_file(p, "", 0);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not SQLite"));
}

/* Read every exits row; returns 0 or the first SQLite error code. */
static int read_all_exits(sqlite3 *db)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT * FROM exits ORDER BY seq", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : rc;
}

static void test_store_open_truncated(void **state)
{
	const char *p = tpath("trunc.db");
	struct store *s;
	sqlite3 *db;
	char err[256] = "";
	struct stat sb;

	(void)state;
	assert_int_equal(store_create(&s, p, false, err, sizeof(err)), 0);
	for (uint64_t seq = 1; seq <= 50000; seq++) {
		struct rec_exit e = { .seq = seq, .reason = 2, .t_ns = seq };
		assert_int_equal(store_put_exit(s, &e), 0);
	}
	assert_int_equal(store_close(s), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_true(sb.st_size > 100000);
	assert_int_equal(truncate(p, sb.st_size / 2), 0);

	/* a clean -EINVAL at open (or, failing that, at read): never a crash */
	int rc = store_open_ro(p, &db, err, sizeof(err));
	if (rc == 0) {
		assert_int_not_equal(read_all_exits(db), 0);
		sqlite3_close(db);
	} else {
		assert_int_equal(rc, -EINVAL);
		assert_one_line(err, p);
		assert_non_null(strstr(err, "damaged database"));
	}
}

static void make_db(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_store_open_newer_schema(void **state)
{
	const char *p = tpath("v99.db");
	sqlite3 *db;
	char err[256] = "";

	(void)state;
	make_db(p, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
		   " INSERT INTO meta VALUES ('schema_version', '99');");
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), -EPROTO);
	assert_one_line(err, p);
	assert_non_null(strstr(err, "schema_version 99 is newer than this exitlog"
				    " understands (1)"));
}

static void test_store_open_without_meta(void **state)
{
	const char *p = tpath("nometa.db");
	sqlite3 *db;
	char err[256] = "";

	(void)state;
	make_db(p, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), -EINVAL);
	assert_one_line(err, p);
	assert_non_null(strstr(err, "not an exitlog database (no meta table)"));

	/* meta without schema_version is no exitlog database either */
	p = tpath("nover.db");
	make_db(p, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);");
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), -EINVAL);
	assert_one_line(err, p);
}

/* The read-only open works on a file and directory nobody may write. */
static void test_store_open_readonly_media(void **state)
{
	const char *p = tpath("ro/ref.db");
	char d[300], err[256] = "";
	sqlite3 *db;

	(void)state;
	snprintf(d, sizeof(d), "%s/ro", dir);
	assert_int_equal(mkdir(d, 0755), 0);
	write_reference(p, NULL);
	chmod(p, 0444);
	chmod(d, 0555);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM exits"), 1000);
	/* and it really is read-only */
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM exits", NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);
	chmod(d, 0755);
	assert_false(exists(p, "-wal"));
	assert_false(exists(p, "-shm"));
}

/* store_flush makes rows visible to another connection while recording;
 * store_exec and store_db work after it. */
static void test_store_flush_and_exec(void **state)
{
	const char *p = tpath("flush.db");
	struct store *s;
	sqlite3 *ro;
	char err[256] = "";

	(void)state;
	assert_int_equal(store_create(&s, p, false, err, sizeof(err)), 0);
	assert_int_equal(store_exec(s, "INSERT INTO devices(name, kind) VALUES ('com1', 'uart16550')",
				    err, sizeof(err)), 0);
	assert_int_equal(store_exec(s, "INSERT INTO nosuch VALUES (1)", err, sizeof(err)), -EIO);
	assert_one_line(err, p);
	for (uint64_t seq = 1; seq <= 777; seq++) {
		struct rec_exit e = { .seq = seq, .reason = 5 };
		assert_int_equal(store_put_exit(s, &e), 0);
	}
	assert_int_equal(store_flush(s), 0);
	/* a reader opens the recording while it is being written */
	assert_int_equal(store_open_ro(p, &ro, err, sizeof(err)), 0);
	assert_int_equal(q_int(ro, "SELECT count(*) FROM exits"), 777);
	assert_int_equal(q_int(ro, "SELECT count(*) FROM devices"), 1);
	sqlite3_close(ro);
	assert_int_equal(q_int(store_db(s), "SELECT count(*) FROM exits"), 777);
	/* a second flush with nothing new returns at once */
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_close(s), 0);
}

/* Rows become visible within about 100 ms without any flush. */
static void test_store_commits_within_100ms(void **state)
{
	const char *p = tpath("timely.db");
	struct timespec ts = { 0, 300 * 1000000L };
	struct store *s;
	sqlite3 *ro;
	char err[256] = "";

	(void)state;
	assert_int_equal(store_create(&s, p, false, err, sizeof(err)), 0);
	for (uint64_t seq = 1; seq <= 10; seq++) {
		struct rec_exit e = { .seq = seq, .reason = 5 };
		assert_int_equal(store_put_exit(s, &e), 0);
	}
	nanosleep(&ts, NULL);
	assert_int_equal(sqlite3_open_v2(p, &ro, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(q_int(ro, "SELECT count(*) FROM exits"), 10);
	sqlite3_close(ro);
	assert_int_equal(store_close(s), 0);
}

/* A constraint failure in the writer: flush and close return -EIO and the
 * database holds what was committed before. */
static void test_store_write_error_is_eio(void **state)
{
	const char *p = tpath("dup.db");
	struct rec_pio pio = { .seq = 1, .port = 0x80, .size = 1, .count = 1, .data = "x" };
	struct rec_exit e = { .seq = 1, .reason = 2 };
	struct store *s;
	sqlite3 *db;
	const struct store_opts o = { .ring_records = 64, .side_bytes = 4096 };
	char err[256] = "";

	(void)state;
	assert_int_equal(store_create_opts(&s, p, false, &o, err, sizeof(err)), 0);
	assert_int_equal(store_put_exit(s, &e), 0);
	assert_int_equal(store_flush(s), 0);
	e.seq = 2;
	assert_int_equal(store_put_exit(s, &e), 0);
	assert_int_equal(store_put_pio(s, &pio), 0);
	assert_int_equal(store_put_pio(s, &pio), 0);   /* same seq: UNIQUE fails */
	assert_int_equal(store_flush(s), -EIO);
	assert_int_equal(store_meta_set(s, "k", "v"), -EIO);
	/* the producer never blocks after a failure */
	for (uint64_t seq = 3; seq < 100000; seq++) {
		e.seq = seq;
		assert_int_equal(store_put_exit(s, &e), 0);
	}
	assert_int_equal(store_close(s), -EIO);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM exits"), 1);
	sqlite3_close(db);
}

static void test_store_oversized_payload_enospc(void **state)
{
	const struct store_opts o = { .ring_records = 8, .side_bytes = 256 };
	const char *p = tpath("nospc.db");
	static uint8_t big[4096];
	struct rec_pio pio = { .seq = 1, .port = 0x1f0, .size = 2, .count = 1024, .data = big };
	struct rec_dma d = { .seq = 1, .device = "x", .len = 257, .data = big };
	struct rec_exit e = { .seq = 1, .reason = 2 };
	struct store *s;
	sqlite3 *db;
	char err[256] = "";

	(void)state;
	assert_int_equal(store_create_opts(&s, p, false, &o, err, sizeof(err)), 0);
	assert_int_equal(store_put_pio(s, &pio), -ENOSPC);
	assert_int_equal(store_put_dma(s, &d), -ENOSPC);
	d.len = 256;
	assert_int_equal(store_put_dma(s, &d), 0);
	assert_int_equal(store_put_exit(s, &e), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM pio"), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM dma"), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM exits"), 1);
	sqlite3_close(db);
}

static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Throughput, printed, never asserted: the producer's CPU per exit (its
 * thread's CPU time, so a busy machine does not inflate it), the writer's
 * rate from the first put until store_flush() returned, the same per
 * second of writer CPU (the process's CPU minus the producer's), and
 * store_close() (summary tables and the final checkpoint).
 */
static void bench(const char *name, uint64_t n, bool with_pio)
{
	const char *p = tpath(name);
	struct store *s;
	char err[256];
	uint8_t b = 0x41;
	double t0, c0, m0, t_put, c_put, t_flush, c_all, t_close;
	uint64_t waits;

	assert_int_equal(store_create(&s, p, false, err, sizeof(err)), 0);
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	m0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	for (uint64_t seq = 1; seq <= n; seq++) {
		struct rec_exit e = { .seq = seq, .reason = 2, .t_ns = seq * 100,
				      .guest_ns = 50, .handle_ns = 20 };

		if (with_pio) {
			struct rec_pio pio = { .seq = seq, .port = 0x3f8, .size = 1,
					       .is_write = 1, .count = 1, .data = &b,
					       .device = "com1" };
			assert_int_equal(store_put_pio(s, &pio), 0);
		}
		assert_int_equal(store_put_exit(s, &e), 0);
	}
	c_put = clock_s(CLOCK_THREAD_CPUTIME_ID) - m0;
	t_put = clock_s(CLOCK_MONOTONIC) - t0;
	assert_int_equal(store_flush(s), 0);
	t_flush = clock_s(CLOCK_MONOTONIC) - t0;
	c_all = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0 -
		(clock_s(CLOCK_THREAD_CPUTIME_ID) - m0);
	waits = store_ring_waits(s);
	t_close = clock_s(CLOCK_MONOTONIC);
	assert_int_equal(store_close(s), 0);
	t_close = clock_s(CLOCK_MONOTONIC) - t_close;
	print_message("bench: %llu exits%s: producer %.1f ns/exit (%.2f s wall), writer"
		      " %.0f exits/s wall, %.0f exits/s of writer CPU; close %.2f s;"
		      " ring waits %llu\n",
		      (unsigned long long)n, with_pio ? " + pio rows" : "",
		      c_put * 1e9 / (double)n, t_put, (double)n / t_flush,
		      (double)n / c_all, t_close, (unsigned long long)waits);
	unlink(p);
}

static void test_store_throughput_report(void **state)
{
	const char *env = getenv("EXITLOG_STORE_BENCH");
	uint64_t n = env ? strtoull(env, NULL, 0) : 200000;

	(void)state;
	bench("bench-exits.db", n, false);
	bench("bench-pio.db", n, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_roundtrip_exact),
		cmocka_unit_test(test_store_tiny_ring_loses_nothing),
		cmocka_unit_test(test_store_wrapped_payloads),
		cmocka_unit_test(test_store_existing_file_refused),
		cmocka_unit_test(test_store_force_replaces),
		cmocka_unit_test(test_store_orphan_side_files_removed),
		cmocka_unit_test(test_store_crashed_recording_opens),
		cmocka_unit_test(test_store_open_missing),
		cmocka_unit_test(test_store_open_text_file),
		cmocka_unit_test(test_store_open_truncated),
		cmocka_unit_test(test_store_open_newer_schema),
		cmocka_unit_test(test_store_open_without_meta),
		cmocka_unit_test(test_store_open_readonly_media),
		cmocka_unit_test(test_store_flush_and_exec),
		cmocka_unit_test(test_store_commits_within_100ms),
		cmocka_unit_test(test_store_write_error_is_eio),
		cmocka_unit_test(test_store_oversized_payload_enospc),
		cmocka_unit_test(test_store_throughput_report),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
