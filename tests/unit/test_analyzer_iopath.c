/*
 * test_analyzer_iopath.c - `exitlog iopath`: the attribution of device
 * exits to block requests.  On a real recording made by the recorder's own
 * board and store (tests/unit/synthrec.c: IDENTIFY, WRITE 3, FLUSH, READ 3)
 * every data-register exit of a read/write command must belong to its
 * request; on a hand-built virtio-like device (no command register, a
 * notify that issues a batch of two requests) the batch goes to its lead.
 * The attribution read from sum_devacc (the writer's packed accesses, or
 * store_rebuild_devacc()'s) prints exactly what the raw tables give.
 */
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

#include "analyzer/analyzer.h"
#include "store/embedded.h"
#include "store/store.h"
#include "tests/unit/synthrec.h"

static char dir[64], dbpath[128], img[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_analyzer_iopath.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/rec.db", dir);
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(dbpath);
	unlink(img);
	rmdir(dir);
	return 0;
}

/* Record the ATA script of synthrec.c into dbpath. */
static void record_ata(void)
{
	const char *disks[] = { img };
	struct synth_access a[64];
	uint8_t wbuf[3 * 512];
	struct synthrec *s;
	char err[256];
	size_t n;

	unlink(dbpath);
	assert_int_equal(synthrec_make_image(img, 64, 1), 0);
	assert_int_equal(synthrec_open(&s, dbpath, disks, 1, err, sizeof(err)), 0);
	n = synthrec_ata_script(a, wbuf);
	assert_int_equal(synthrec_script(s, a, n), 0);
	assert_int_equal(synthrec_close(s, "hlt"), 0);
}

static sqlite3 *open_db(void)
{
	char err[256];
	sqlite3 *db = NULL;

	assert_int_equal(analyzer_open(dbpath, &db, err, sizeof(err)), 0);
	return db;
}

static int64_t count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static char *iopath_out(sqlite3 *db, struct analyzer_iopath_opts o, int *rc)
{
	char *buf = NULL, err[256] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*rc = analyzer_iopath(db, &o, f, err, sizeof(err));
	fclose(f);
	return buf;
}

/* iopath with o (its source) prints what the raw tables give, both 0 */
static void expect_as_raw(sqlite3 *db, struct analyzer_iopath_opts o)
{
	char *a, *b;
	int ra, rb;

	a = iopath_out(db, o, &ra);
	o.source = ANALYZER_SRC_RAW;
	b = iopath_out(db, o, &rb);
	assert_int_equal(ra, 0);
	assert_int_equal(rb, 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* The C report and the SQL views (named queries) print the same csv. */
static void same_as_views(sqlite3 *db)
{
	static const char *const q[] = { "schema/queries/iopath.sql",
					 "schema/queries/iopath_devices.sql" };

	for (int i = 0; i < 2; i++) {
		struct analyzer_iopath_opts o = { .format = ANALYZER_CSV, .summary = i };
		char *c, *v = NULL, err[256];
		size_t len = 0;
		FILE *f;
		int rc;

		c = iopath_out(db, o, &rc);
		assert_int_equal(rc, 0);
		f = open_memstream(&v, &len);
		assert_int_equal(analyzer_sql(db, embedded_get(q[i]), ANALYZER_CSV, f, err,
					      sizeof(err)), 0);
		fclose(f);
		assert_string_equal(c, v);
		free(c);
		free(v);
	}
}

/* iopath from sum_devacc (which must be usable) prints exactly what it
 * prints from the raw tables: every request (csv, json, table), the
 * per-device summary, each request's chain. */
static void fast_same_as_raw(sqlite3 *db)
{
	static const enum analyzer_format fmts[] = { ANALYZER_CSV, ANALYZER_JSON, ANALYZER_TABLE };
	int64_t nreq = count(db, "SELECT count(*) FROM blk_requests");

	for (size_t f = 0; f < 3; f++)
		for (int sum = 0; sum < 2; sum++)
			for (int64_t req = 0; req <= (f == 2 && !sum ? nreq : 0); req++) {
				struct analyzer_iopath_opts o = {
					.format = fmts[f], .summary = sum, .request = req,
					.source = ANALYZER_SRC_SUMMARY,
				};

				expect_as_raw(db, o);
			}
}

/* Add the summary tables and sum_devacc to a database made by hand. */
static void add_summary(void)
{
	char err[256];
	sqlite3 *db;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, embedded_get("schema/summary.sql"), NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_rebuild_devacc(dbpath, err, sizeof(err)), 0);
}

/* A corrupt sum_devacc (of the recording in dbpath): `iopath` reads the
 * raw tables and prints what they give; forced onto it, -EBADMSG. */
static void test_corrupt_devacc_falls_back(void)
{
	struct analyzer_iopath_opts o = { .format = ANALYZER_CSV };
	char *a;
	sqlite3 *db;
	int ra;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE sum_devacc SET recs = x'0f8182' WHERE rowid ="
				      " (SELECT max(rowid) FROM sum_devacc)", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
	db = open_db();
	expect_as_raw(db, o);
	o.source = ANALYZER_SRC_SUMMARY;
	a = iopath_out(db, o, &ra);
	assert_int_equal(ra, -EBADMSG);
	free(a);
	sqlite3_close(db);
}

static void test_ata_every_data_exit_attributed(void **state)
{
	sqlite3 *db;
	int64_t data;

	(void)state;
	record_ata();
	db = open_db();
	assert_int_equal(count(db, "SELECT count(*) FROM blk_requests"), 3);
	data = count(db, "SELECT count(*) FROM pio WHERE port = 0x1f0");
	assert_int_equal(data, 7);
	/* every data exit appears in the attribution, exactly once */
	assert_int_equal(count(db, "SELECT count(*) FROM v_iopath_exits WHERE role = 'data'"), data);
	/* no data exit of a command that issued a request is left out */
	assert_int_equal(count(db, "SELECT count(*) FROM v_iopath_exits x JOIN v_iopath_spans s"
			       " ON s.device = x.device AND s.span = x.span"
			       " WHERE x.role = 'data' AND s.requests > 0 AND x.request_id IS NULL"), 0);
	/* ... and the only one outside requests is IDENTIFY's (0xec) */
	assert_int_equal(count(db, "SELECT count(*) FROM v_iopath_exits x JOIN v_iopath_spans s"
			       " ON s.device = x.device AND s.span = x.span"
			       " WHERE x.role = 'data' AND x.request_id IS NULL AND s.command = '0xec'"), 1);
	assert_int_equal(count(db, "SELECT sum(data_exits) FROM v_iopath"), data - 1);
	/* the write owns its 3 rep outsw, the read its 3 rep insw */
	assert_int_equal(count(db, "SELECT data_exits FROM v_iopath WHERE op = 'write'"), 3);
	assert_int_equal(count(db, "SELECT data_exits FROM v_iopath WHERE op = 'read'"), 3);
	assert_int_equal(count(db, "SELECT data_bytes FROM v_iopath WHERE op = 'read'"), 1536);
	/* setup writes go with their command: nsect, lbal, lbam, lbah, device */
	assert_int_equal(count(db, "SELECT setup_exits FROM v_iopath WHERE op = 'read'"), 5);
	/* every device exit is accounted for once */
	assert_int_equal(count(db, "SELECT count(*) FROM v_iopath_exits"),
			 count(db, "SELECT count(*) FROM pio WHERE device = 'ata0'"));
	same_as_views(db);
	sqlite3_close(db);
}

static void test_ata_report(void **state)
{
	struct analyzer_iopath_opts o = { .format = ANALYZER_CSV, .summary = true };
	sqlite3 *db;
	char *out;
	int rc;

	(void)state;
	record_ata();
	db = open_db();
	out = iopath_out(db, o, &rc);
	assert_int_equal(rc, 0);
	/* 29 exits for 3 requests moving 3 KiB (the flush moves nothing) */
	assert_non_null(strstr(out, "\nata0,3,3,29,9.66666666666667,9.66666666666667,6,"));
	assert_non_null(strstr(out, ",1,0xec,5,1,0,34\n"));
	free(out);

	o.summary = false;
	out = iopath_out(db, o, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\n1,ata0,write,5,3,1.5,0,17,2,1,1,0x30,6,18,13,5,1,3,4,0,0,"));
	assert_non_null(strstr(out, "\n2,ata0,flush,0,0,0,0,19,3,2,1,0xe7,19,20,2,0,1,0,1,0,0,"));
	assert_non_null(strstr(out, "\n3,ata0,read,5,3,1.5,0,26,4,3,1,0x20,21,34,14,5,1,3,5,0,0,"));
	free(out);

	o.format = ANALYZER_TABLE;
	o.request = 3;
	out = iopath_out(db, o, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "Request 3: ata0 read sector 5 +3 (1.5 KiB), status 0, "
				    "command 0x20, span 4\n"));
	assert_non_null(strstr(out, "  14 exits: 5 setup, 1 command, 3 data, 5 status, "
				    "0 notify, 0 other; 3 IRQ raises\n"));
	assert_non_null(strstr(out, " blk   read "));
	assert_non_null(strstr(out, "0x1f0 IN "));
	free(out);

	o.format = ANALYZER_JSON;
	out = iopath_out(db, o, &rc);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "{\"seq\": 26, \"kind\": \"exit\", \"role\": \"command\""));
	free(out);

	o.request = 99;
	out = iopath_out(db, o, &rc);
	assert_int_equal(rc, -EINVAL);
	free(out);
	/* the writer kept sum_devacc: the same from it as from the raw tables */
	assert_int_equal(count(db, "SELECT sum(n) FROM sum_devacc WHERE device = 'ata0'"),
			 count(db, "SELECT count(*) FROM pio WHERE device = 'ata0'"));
	fast_same_as_raw(db);
	sqlite3_close(db);
	test_corrupt_devacc_falls_back();
}

/* virtio-like: no 'command' register; notify issues requests. */
static const char virtio[] =
	"INSERT INTO meta VALUES ('schema_version', '1');"
	"INSERT INTO devices VALUES ('vblk0', 'virtio-blk', 11, 0), ('raw0', 'blk', NULL, 1);"
	"INSERT INTO disks VALUES (0, 'vblk0', 'virtio', 'v.img', 64, 'x', NULL),"
	" (1, 'raw0', 'virtio', 'r.img', 64, 'x', NULL);"
	"INSERT INTO registers VALUES ('pio', 49168, 1, 'vblk0', 'queue_notify'),"
	" ('pio', 49171, 0, 'vblk0', 'isr'), ('pio', 49170, 1, 'vblk0', 'status'),"
	" ('pio', 49152, 0, 'vblk0', 'host_features');"
	"WITH RECURSIVE c(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM c WHERE seq < 12)"
	" INSERT INTO exits SELECT seq, 0, 2, seq * 1000, 10, 100 FROM c;"
	"INSERT INTO pio(seq, port, size, is_write, count, data, device) VALUES"
	" (1, 49170, 1, 1, 1, x'07', 'vblk0'),"         /* init: status */
	" (2, 49152, 4, 0, 1, x'00000000', 'vblk0'),"   /* init: features */
	" (3, 49168, 2, 1, 1, x'0000', 'vblk0'),"       /* notify: requests 1, 2 */
	" (4, 49171, 1, 0, 1, x'01', 'vblk0'),"         /* isr */
	" (5, 49168, 2, 1, 1, x'0000', 'vblk0'),"       /* notify: request 3 */
	" (6, 49171, 1, 0, 1, x'01', 'vblk0'),"
	" (7, 49171, 1, 0, 1, x'00', 'vblk0'),"
	" (8, 4096, 2, 1, 1, x'0000', 'raw0'),"         /* unnamed device: issues 4 */
	" (9, 4097, 1, 0, 1, x'00', 'raw0'),"
	" (10, 4096, 2, 1, 1, x'0000', 'raw0'),"        /* issues 5 */
	" (11, 4097, 1, 0, 1, x'00', 'raw0');"
	"INSERT INTO blk_requests(id, seq, device, op, sector, nsectors, status, latency_ns)"
	" VALUES (1, 3, 'vblk0', 'read', 0, 8, 0, 30), (2, 3, 'vblk0', 'write', 8, 8, 0, 20),"
	" (3, 5, 'vblk0', 'read', 16, 16, 0, 40), (4, 8, 'raw0', 'read', 0, 2, 0, 10),"
	" (5, 10, 'raw0', 'read', 2, 2, 0, 10);"
	"INSERT INTO dma(seq, device, gpa, len, is_write, data) VALUES"
	" (3, 'vblk0', 4096, 16, 0, NULL), (3, 'vblk0', 8192, 4096, 1, NULL),"
	" (3, 'vblk0', 12288, 4096, 0, NULL), (5, 'vblk0', 16384, 8192, 1, NULL);"
	"INSERT INTO irqs(seq, line, level, device) VALUES (3, 11, 1, NULL), (4, 11, 0, NULL),"
	" (5, 11, 1, NULL), (6, 11, 0, NULL);";

static void test_virtio_batch_and_no_registers(void **state)
{
	struct analyzer_iopath_opts o = { .format = ANALYZER_CSV };
	sqlite3 *db;
	char *out;
	int rc;

	(void)state;
	unlink(dbpath);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, embedded_get("schema/exitlog.sql"), NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, virtio, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	db = open_db();

	/* batch: request 1 leads with notify + isr, request 2 rides along */
	assert_int_equal(count(db, "SELECT exits FROM v_iopath WHERE id = 1"), 2);
	assert_int_equal(count(db, "SELECT notify_exits FROM v_iopath WHERE id = 1"), 1);
	assert_int_equal(count(db, "SELECT exits FROM v_iopath WHERE id = 2"), 0);
	assert_int_equal(count(db, "SELECT lead_id FROM v_iopath WHERE id = 2"), 1);
	assert_int_equal(count(db, "SELECT span_requests FROM v_iopath WHERE id = 2"), 2);
	assert_int_equal(count(db, "SELECT dma_bytes FROM v_iopath WHERE id = 1"), 8208);
	assert_int_equal(count(db, "SELECT irqs FROM v_iopath WHERE id = 1"), 1);
	/* request 3: notify, isr and the spurious isr read after it */
	assert_int_equal(count(db, "SELECT exits FROM v_iopath WHERE id = 3"), 3);
	/* init accesses precede every command: span 0 */
	assert_int_equal(count(db, "SELECT exits FROM v_iopath_spans"
			       " WHERE device = 'vblk0' AND span = 0"), 2);
	/* a device without named registers: the request's exit starts a span */
	assert_int_equal(count(db, "SELECT exits FROM v_iopath WHERE id = 4"), 2);
	assert_int_equal(count(db, "SELECT exits FROM v_iopath WHERE id = 5"), 2);

	/* no sum_devacc in a database made by hand: the raw tables */
	o.source = ANALYZER_SRC_SUMMARY;
	out = iopath_out(db, o, &rc);
	assert_int_equal(rc, -EINVAL);
	free(out);
	o.source = ANALYZER_SRC_AUTO;
	o.summary = true;
	out = iopath_out(db, o, &rc);
	assert_int_equal(rc, 0);
	/* vblk0: 3 requests, 16 KiB, 5 exits */
	assert_non_null(strstr(out, "\nvblk0,3,16,5,1.66666666666667,0.3125,0,2,"));
	assert_non_null(strstr(out, "\nraw0,2,2,4,2,2,0,0,"));
	free(out);
	same_as_views(db);
	sqlite3_close(db);
	add_summary();
	db = open_db();
	fast_same_as_raw(db);
	same_as_views(db);
	sqlite3_close(db);
}

/*
 * Random recordings: three block devices (command register, notify
 * register, no names), random register sequences, requests issued at
 * random exits (also setup writes and other devices' exits), batches,
 * IRQs with and without a device, DMA.  The one-pass C attribution must
 * equal the views' window-function definition.
 */
static void test_random_same_as_views(void **state)
{
	static const char board[] =
		"INSERT INTO meta VALUES ('schema_version', '1');"
		"INSERT INTO devices VALUES ('ata0', 'ata', 14, 0), ('vblk0', 'virtio-blk', 11, 1),"
		" ('raw0', 'blk', 11, 2), ('com1', 'uart16550', 4, NULL);"
		"INSERT INTO disks VALUES (0, 'ata0', 'ide', 'a', 64, 'x', NULL),"
		" (1, 'vblk0', 'virtio', 'b', 64, 'x', NULL), (2, 'raw0', 'virtio', 'c', 64, 'x', NULL);"
		"INSERT INTO registers VALUES ('pio', 496, 0, 'ata0', 'data'),"
		" ('pio', 496, 1, 'ata0', 'data'), ('pio', 498, 1, 'ata0', 'nsect'),"
		" ('pio', 503, 0, 'ata0', 'status'), ('pio', 503, 1, 'ata0', 'command'),"
		" ('pio', 1014, 0, 'ata0', 'altstatus'), ('pio', 1014, 1, 'ata0', 'devctl'),"
		" ('pio', 49168, 1, 'vblk0', 'queue_notify'), ('pio', 49171, 0, 'vblk0', 'isr'),"
		" ('pio', 49170, 1, 'vblk0', 'status');";
	static const struct { int port, is_write; const char *dev; } acc[] = {
		{ 496, 0, "ata0" }, { 496, 1, "ata0" }, { 498, 1, "ata0" }, { 503, 0, "ata0" },
		{ 503, 1, "ata0" }, { 1014, 0, "ata0" }, { 1014, 1, "ata0" }, { 497, 1, "ata0" },
		{ 49168, 1, "vblk0" }, { 49171, 0, "vblk0" }, { 49170, 1, "vblk0" },
		{ 49172, 0, "vblk0" }, { 4096, 1, "raw0" }, { 4097, 0, "raw0" },
		{ 1016, 1, "com1" },
	};
	unsigned x = 12345;

	(void)state;
	for (int round = 0; round < 6; round++) {
		sqlite3 *db;
		sqlite3_stmt *ex, *pio, *req, *irq, *dma;
		int id = 1;

		unlink(dbpath);
		assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, embedded_get("schema/exitlog.sql"), NULL, NULL,
					      NULL), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, board, NULL, NULL, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_prepare_v2(db, "INSERT INTO exits VALUES (?1, ?1 % 2, 2, ?1 * 100, ?2, ?3)",
				   -1, &ex, NULL);
		sqlite3_prepare_v2(db, "INSERT INTO pio VALUES (?1, ?2, 1, ?3, 1, x'2a', ?4)",
				   -1, &pio, NULL);
		sqlite3_prepare_v2(db, "INSERT INTO blk_requests(id, seq, device, op, sector,"
				   " nsectors, status, latency_ns) VALUES (?1, ?2, ?3, 'read', 0, ?4,"
				   " 0, ?5)", -1, &req, NULL);
		sqlite3_prepare_v2(db, "INSERT INTO irqs(seq, line, level, device) VALUES"
				   " (?1, ?2, ?3, ?4)", -1, &irq, NULL);
		sqlite3_prepare_v2(db, "INSERT INTO dma(seq, device, gpa, len, is_write)"
				   " VALUES (?1, ?2, 0, ?3, 0)", -1, &dma, NULL);
		for (int seq = 1; seq <= 400; seq++) {
			int a;

			x = x * 1103515245 + 12345;
			a = (int)((x >> 8) % (sizeof(acc) / sizeof(acc[0])));
			/* setup runs before commands: bias towards ATA setup/command */
			if (round % 2 && (x >> 20) % 3 == 0)
				a = (x >> 22) % 2 ? 2 : 4;
			sqlite3_bind_int(ex, 1, seq);
			sqlite3_bind_int(ex, 2, (int)((x >> 4) % 1000));
			sqlite3_bind_int(ex, 3, (int)((x >> 12) % 900));
			assert_int_equal(sqlite3_step(ex), SQLITE_DONE);
			sqlite3_reset(ex);
			sqlite3_bind_int(pio, 1, seq);
			sqlite3_bind_int(pio, 2, acc[a].port);
			sqlite3_bind_int(pio, 3, acc[a].is_write);
			sqlite3_bind_text(pio, 4, acc[a].dev, -1, SQLITE_STATIC);
			assert_int_equal(sqlite3_step(pio), SQLITE_DONE);
			sqlite3_reset(pio);
			for (int n = (x >> 16) % 7 == 0 ? 1 + (x >> 24) % 2 : 0; n > 0; n--) {
				const char *dev = (x >> 26) % 4 ? acc[a].dev : "raw0";

				if (!strcmp(dev, "com1"))
					dev = "vblk0";
				sqlite3_bind_int(req, 1, id++);
				sqlite3_bind_int(req, 2, seq);
				sqlite3_bind_text(req, 3, dev, -1, SQLITE_STATIC);
				sqlite3_bind_int(req, 4, 1 + n);
				sqlite3_bind_int(req, 5, (int)((x >> 6) % 500));
				assert_int_equal(sqlite3_step(req), SQLITE_DONE);
				sqlite3_reset(req);
			}
			if ((x >> 18) % 5 == 0) {
				sqlite3_bind_int(irq, 1, seq);
				sqlite3_bind_int(irq, 2, (x >> 19) % 2 ? 14 : 11);
				sqlite3_bind_int(irq, 3, (x >> 21) % 3 != 0);
				if ((x >> 23) % 2)
					sqlite3_bind_text(irq, 4, (x >> 19) % 2 ? "ata0" : "vblk0", -1,
							  SQLITE_STATIC);
				else
					sqlite3_bind_null(irq, 4);
				assert_int_equal(sqlite3_step(irq), SQLITE_DONE);
				sqlite3_reset(irq);
			}
			if ((x >> 17) % 6 == 0) {
				sqlite3_bind_int(dma, 1, seq);
				sqlite3_bind_text(dma, 2, (x >> 25) % 2 ? "vblk0" : "raw0", -1,
						  SQLITE_STATIC);
				sqlite3_bind_int(dma, 3, (int)((x >> 9) % 4096));
				assert_int_equal(sqlite3_step(dma), SQLITE_DONE);
				sqlite3_reset(dma);
			}
		}
		sqlite3_finalize(ex);
		sqlite3_finalize(pio);
		sqlite3_finalize(req);
		sqlite3_finalize(irq);
		sqlite3_finalize(dma);
		assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		db = open_db();
		/* not vacuous: many requests, batches, spans of every kind */
		assert_true(count(db, "SELECT count(*) FROM blk_requests") > 40);
		assert_true(count(db, "SELECT count(*) FROM v_iopath WHERE lead_id <> id") > 0);
		assert_true(count(db, "SELECT count(*) FROM v_iopath_spans WHERE requests = 0"
				  " AND span > 0") > 0);
		assert_true(count(db, "SELECT count(DISTINCT device) FROM v_iopath_spans"
				  " WHERE span > 3") >= 2);
		same_as_views(db);
		sqlite3_close(db);
		/* and from sum_devacc */
		add_summary();
		db = open_db();
		fast_same_as_raw(db);
		same_as_views(db);
		sqlite3_close(db);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ata_every_data_exit_attributed),
		cmocka_unit_test(test_ata_report),
		cmocka_unit_test(test_virtio_batch_and_no_registers),
		cmocka_unit_test(test_random_same_as_views),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
