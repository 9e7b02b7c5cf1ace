/*
 * test_analyzer.c - the analyzer's reports against a small hand-built
 * recording with known answers: stat (exit, ioport, mmio, blk, device) in
 * every format, --vcpu, --key/--top/--skip-zero, the summary tables vs the
 * raw fallback (absent and stale summary), p99.  (sql, timeline, temp
 * views and bad input: test_analyzer_sql.c.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "analyzer/analyzer.h"
#include "store/embedded.h"

/* An ATA session (IDENTIFY, READ 2 @ 0, WRITE 1 @ 5), serial output, MMIO, HLT. */
static const char fixture[] =
	"INSERT INTO meta VALUES ('schema_version', '1');"
	"INSERT INTO devices VALUES ('com1', 'uart16550', 4, NULL), ('ata0', 'ata', 14, 0);"
	"INSERT INTO disks VALUES (0, 'ata0', 'ide', 'disk.img', 2048, 'x', NULL);"
	"INSERT INTO registers VALUES ('pio', 1016, 1, 'com1', 'thr'),"
	" ('pio', 1021, 0, 'com1', 'lsr'), ('pio', 496, 0, 'ata0', 'data'),"
	" ('pio', 496, 1, 'ata0', 'data'), ('pio', 498, 1, 'ata0', 'nsect'),"
	" ('pio', 499, 1, 'ata0', 'lbal'), ('pio', 500, 1, 'ata0', 'lbam'),"
	" ('pio', 501, 1, 'ata0', 'lbah'), ('pio', 502, 1, 'ata0', 'device'),"
	" ('pio', 503, 0, 'ata0', 'status'), ('pio', 503, 1, 'ata0', 'command'),"
	" ('pio', 1014, 0, 'ata0', 'altstatus'), ('pio', 1014, 1, 'ata0', 'devctl');"
	"WITH RECURSIVE c(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM c WHERE seq < 30)"
	" INSERT INTO exits SELECT seq, CASE WHEN seq IN (19, 29, 30) THEN 1 ELSE 0 END,"
	" CASE WHEN seq IN (18, 30) THEN 5 WHEN seq = 29 THEN 6 ELSE 2 END,"
	" seq * 10000, seq * 100, seq * 1000 FROM c;"
	"INSERT INTO pio(seq, port, size, is_write, count, data, device) VALUES"
	" (1, 1016, 1, 1, 1, x'48', 'com1'), (2, 1014, 1, 1, 1, x'02', 'ata0'),"
	" (3, 503, 1, 0, 1, x'50', 'ata0'), (4, 502, 1, 1, 1, x'a0', 'ata0'),"
	" (5, 503, 1, 1, 1, x'ec', 'ata0'), (6, 503, 1, 0, 1, x'58', 'ata0'),"
	" (7, 496, 2, 0, 256, zeroblob(512), 'ata0'), (8, 498, 1, 1, 1, x'02', 'ata0'),"
	" (9, 499, 1, 1, 1, x'00', 'ata0'), (10, 500, 1, 1, 1, x'00', 'ata0'),"
	" (11, 501, 1, 1, 1, x'00', 'ata0'), (12, 502, 1, 1, 1, x'e0', 'ata0'),"
	" (13, 503, 1, 1, 1, x'20', 'ata0'), (14, 503, 1, 0, 1, x'58', 'ata0'),"
	" (15, 496, 2, 0, 256, zeroblob(512), 'ata0'), (16, 503, 1, 0, 1, x'58', 'ata0'),"
	" (17, 496, 2, 0, 256, zeroblob(512), 'ata0'), (19, 1016, 1, 1, 1, x'49', 'com1'),"
	" (20, 498, 1, 1, 1, x'01', 'ata0'), (21, 499, 1, 1, 1, x'05', 'ata0'),"
	" (22, 500, 1, 1, 1, x'00', 'ata0'), (23, 501, 1, 1, 1, x'00', 'ata0'),"
	" (24, 502, 1, 1, 1, x'e0', 'ata0'), (25, 503, 1, 1, 1, x'30', 'ata0'),"
	" (26, 503, 1, 0, 1, x'58', 'ata0'), (27, 496, 2, 1, 256, zeroblob(512), 'ata0'),"
	" (28, 503, 1, 0, 1, x'50', 'ata0');"
	"INSERT INTO mmio VALUES (29, 4276093104, 4, 1, x'00000000', NULL);"
	"INSERT INTO blk_requests(id, seq, device, op, sector, nsectors, data_hash, status,"
	" latency_ns, disk) VALUES (1, 13, 'ata0', 'read', 0, 2, 'h', 0, 5000, 0),"
	" (2, 27, 'ata0', 'write', 5, 1, 'h', 0, 8000, 0);"
	"INSERT INTO irqs(seq, line, level, device) VALUES (5, 14, 1, 'ata0'),"
	" (6, 14, 0, 'ata0'), (13, 14, 1, 'ata0'), (14, 14, 0, 'ata0'), (15, 14, 1, 'ata0'),"
	" (16, 14, 0, 'ata0'), (27, 14, 1, 'ata0'), (28, 14, 0, 'ata0');";

static char dir[64];
static char dbpath[128];

/* Create dbpath: schema (optionally without its views), fixture, summary. */
static void make_db(bool views, bool summary, const char *extra)
{
	const char *schema = embedded_get("schema/exitlog.sql");
	char *ddl;
	sqlite3 *db;

	assert_non_null(schema);
	ddl = strdup(schema);
	assert_non_null(ddl);
	if (!views) {
		char *v = strstr(ddl, "\nCREATE VIEW ");

		assert_non_null(v);
		*v = 0;
	}
	unlink(dbpath);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, ddl, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, fixture, NULL, NULL, NULL), SQLITE_OK);
	if (extra)
		assert_int_equal(sqlite3_exec(db, extra, NULL, NULL, NULL), SQLITE_OK);
	if (summary)
		assert_int_equal(sqlite3_exec(db, embedded_get("schema/summary.sql"),
					      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(ddl);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_analyzer.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/rec.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(dbpath);
	rmdir(dir);
	return 0;
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

/* Run a stat report; returns the output (free it) and the status in *rc. */
static char *stat_out(sqlite3 *db, struct analyzer_stat_opts o, int *rc)
{
	char *buf = NULL, err[256] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*rc = analyzer_stat(db, &o, f, err, sizeof(err));
	fclose(f);
	return buf;
}

static char *stat_ok(sqlite3 *db, struct analyzer_stat_opts o)
{
	int rc;
	char *s = stat_out(db, o, &rc);

	assert_int_equal(rc, 0);
	return s;
}

/* The n-th whitespace-separated field of the table line whose first field is key. */
static long table_field(const char *out, const char *key, int n)
{
	const char *l = out;

	while (l && *l) {
		char line[512], *tok, *save;
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);

		snprintf(line, sizeof(line), "%.*s", (int)len, l);
		tok = strtok_r(line, " ", &save);
		if (tok && !strcmp(tok, key)) {
			for (int i = 0; i < n && tok; i++)
				tok = strtok_r(NULL, " ", &save);
			return tok ? strtol(tok, NULL, 10) : -1;
		}
		l = e ? e + 1 : NULL;
	}
	return -1;
}

/* A minimal JSON validator: 1 when the whole text is one JSON value. */
static const char *js_value(const char *p);

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++)
		if (*p == '\\' && !*++p)
			return NULL;
	return *p == '"' ? p + 1 : NULL;
}

static const char *js_list(const char *p, char close, bool object)
{
	p = js_ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (object) {
			p = js_string(js_ws(p));
			if (!p || *(p = js_ws(p)) != ':')
				return NULL;
			p++;
		}
		p = js_value(p);
		if (!p)
			return NULL;
		p = js_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *js_value(const char *p)
{
	char *end;

	p = js_ws(p);
	if (*p == '{')
		return js_list(p, '}', true);
	if (*p == '[')
		return js_list(p, ']', false);
	if (*p == '"')
		return js_string(p);
	if (!strncmp(p, "null", 4) || !strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	strtod(p, &end);
	return end == p ? NULL : end;
}

static bool json_ok(const char *s)
{
	const char *e = js_value(s);

	return e && !*js_ws(e);
}

static const struct analyzer_stat_opts base = { .vcpu = -1 };

static void test_exit_counts_every_format(void **state)
{
	static const struct { int reason; const char *name; } rs[] = {
		{ 2, "IO" }, { 5, "HLT" }, { 6, "MMIO" },
	};
	sqlite3 *db;

	(void)state;
	make_db(true, true, NULL);
	db = open_db();
	for (int f = ANALYZER_TABLE; f <= ANALYZER_JSON; f++) {
		struct analyzer_stat_opts o = base;
		char *out;

		o.format = (enum analyzer_format)f;
		out = stat_ok(db, o);
		for (size_t i = 0; i < 3; i++) {
			char sql[96], want[128];
			int64_t n;

			snprintf(sql, sizeof(sql), "SELECT count(*) FROM exits WHERE reason = %d",
				 rs[i].reason);
			n = count(db, sql);
			if (f == ANALYZER_TABLE) {
				assert_int_equal(table_field(out, rs[i].name, 1), n);
				continue;
			}
			if (f == ANALYZER_CSV)
				snprintf(want, sizeof(want), "\n%d,%s,%lld,", rs[i].reason,
					 rs[i].name, (long long)n);
			else
				snprintf(want, sizeof(want), "{\"reason\": %d, \"name\": \"%s\", "
					 "\"samples\": %lld,", rs[i].reason, rs[i].name, (long long)n);
			assert_non_null(strstr(out, want));
		}
		if (f == ANALYZER_TABLE) {
			assert_non_null(strstr(out, "Analyze events for all VMs, all VCPUs:\n"));
			assert_non_null(strstr(out, "Total Samples:30, Total events handled time:465.00us.\n"));
			/* perf's columns; HLT: 18 and 30 us -> avg 24, sem 6 = 25% */
			assert_non_null(strstr(out, "24.00us ( +-  25.00% )"));
		}
		if (f == ANALYZER_CSV)
			assert_true(!strncmp(out, "reason,name,samples,samples_pct,time_pct,time_ns,"
					     "min_ns,max_ns,avg_ns,stddev_pct,guest_pct,guest_ns,"
					     "avg_guest_ns\n", 100));
		if (f == ANALYZER_JSON)
			assert_true(json_ok(out));
		free(out);
	}
	sqlite3_close(db);
}

static void test_ioport_status_port(void **state)
{
	sqlite3 *db;
	int64_t n;

	(void)state;
	make_db(true, true, NULL);
	db = open_db();
	n = count(db, "SELECT count(*) FROM pio WHERE port = 0x1f7 AND is_write = 0");
	assert_int_equal(n, 6);
	for (int f = ANALYZER_TABLE; f <= ANALYZER_JSON; f++) {
		struct analyzer_stat_opts o = base;
		char *out;

		o.event = ANALYZER_EV_IOPORT;
		o.format = (enum analyzer_format)f;
		out = stat_ok(db, o);
		if (f == ANALYZER_TABLE) {
			assert_int_equal(table_field(out, "0x1f7:PIN", 2), n);
			assert_non_null(strstr(out, "0x1f7:PIN       ata0.status"));
			/* rep insw is one sample with 512 bytes each */
			assert_int_equal(table_field(out, "0x1f0:PIN", 2), 3);
		} else if (f == ANALYZER_CSV) {
			assert_non_null(strstr(out, "\n0x1f7:PIN,503,IN,ata0,status,6,"));
			assert_non_null(strstr(out, "\n0x1f0:PIN,496,IN,ata0,data,3,"));
			assert_non_null(strstr(out, ",1536\n"));
		} else {
			assert_true(json_ok(out));
			assert_non_null(strstr(out, "{\"key\": \"0x1f7:PIN\", \"port\": 503, "
						    "\"direction\": \"IN\", \"device\": \"ata0\", "
						    "\"register\": \"status\", \"samples\": 6,"));
		}
		free(out);
	}
	sqlite3_close(db);
}

static void test_vcpu_key_top_skip_zero(void **state)
{
	struct analyzer_stat_opts o = base;
	sqlite3 *db;
	char *out;

	(void)state;
	make_db(true, true, NULL);
	db = open_db();
	o.vcpu = 1;
	o.format = ANALYZER_CSV;
	o.skip_zero = true;
	out = stat_ok(db, o);
	/* vCPU 1 made exits 19 (IO), 29 (MMIO), 30 (HLT): one line each + header */
	assert_non_null(strstr(out, "\n2,IO,1,"));
	assert_non_null(strstr(out, "\n5,HLT,1,"));
	assert_non_null(strstr(out, "\n6,MMIO,1,"));
	assert_null(strstr(out, "\n7,"));
	free(out);

	o = base;
	o.format = ANALYZER_CSV;
	o.key = ANALYZER_KEY_TIME;
	o.top = 1;
	o.event = ANALYZER_EV_IOPORT;
	out = stat_ok(db, o);   /* 0x1f7 IN: 93 us, the most time */
	assert_string_equal(strchr(out, '\n') + 1,
			    "0x1f7:PIN,503,IN,ata0,status,6,22.2222222222222,23.9690721649485,"
			    "93000,3000,28000,15500,26.7437318617886,23.9690721649485,9300,1550,6\n");
	free(out);

	/* without --skip-zero: every x86 exit reason, zero rows included */
	o = base;
	o.format = ANALYZER_CSV;
	out = stat_ok(db, o);
	assert_non_null(strstr(out, "\n9,FAIL_ENTRY,0,0,0,0,"));
	assert_null(strstr(out, "S390"));
	free(out);
	sqlite3_close(db);
}

/* Summary tables, no summary, stale summary and --source raw agree. */
static void test_summary_and_fallback_agree(void **state)
{
	char *with[5][3][2];
	sqlite3 *db;
	int rc;

	(void)state;
	make_db(true, true, NULL);
	db = open_db();
	assert_int_equal(analyzer_summary_fresh(db), 1);
	for (int e = 0; e < 5; e++)
		for (int f = 0; f < 3; f++)
			for (int v = 0; v < 2; v++) {
				struct analyzer_stat_opts o = base;
				char *raw;

				o.event = (enum analyzer_event)e;
				o.format = (enum analyzer_format)f;
				o.vcpu = v ? 0 : -1;
				o.source = ANALYZER_SRC_SUMMARY;
				with[e][f][v] = stat_ok(db, o);
				o.source = ANALYZER_SRC_RAW;
				raw = stat_ok(db, o);
				assert_string_equal(with[e][f][v], raw);
				free(raw);
			}
	sqlite3_close(db);

	make_db(true, false, NULL);         /* an interrupted recording */
	db = open_db();
	assert_int_equal(analyzer_summary_fresh(db), 0);
	for (int e = 0; e < 5; e++)
		for (int f = 0; f < 3; f++)
			for (int v = 0; v < 2; v++) {
				struct analyzer_stat_opts o = base;
				char *out;

				o.event = (enum analyzer_event)e;
				o.format = (enum analyzer_format)f;
				o.vcpu = v ? 0 : -1;
				out = stat_ok(db, o);
				assert_string_equal(with[e][f][v], out);
				free(out);
				free(with[e][f][v]);
			}
	{
		struct analyzer_stat_opts o = base;

		o.source = ANALYZER_SRC_SUMMARY;
		free(stat_out(db, o, &rc));
		assert_int_equal(rc, -EINVAL);
	}
	sqlite3_close(db);

	/* summary written, then one more exit: stale, auto uses the raw tables */
	make_db(true, true, "SELECT 1");
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO exits VALUES (31, 0, 5, 310000, 1, 1)",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	db = open_db();
	assert_int_equal(analyzer_summary_fresh(db), 0);
	{
		struct analyzer_stat_opts o = base;
		char *out;

		o.format = ANALYZER_CSV;
		out = stat_ok(db, o);
		assert_non_null(strstr(out, "\n5,HLT,3,"));
		free(out);
	}
	sqlite3_close(db);
}

static void test_blk_p99_and_device(void **state)
{
	struct analyzer_stat_opts o = base;
	sqlite3 *db;
	char *out;

	(void)state;
	/* 100 more reads with latencies 1..100 us, issued by exit 13 */
	make_db(true, true,
		"WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < 100)"
		" INSERT INTO blk_requests(seq, device, op, sector, nsectors, status, latency_ns)"
		" SELECT 13, 'ata0', 'read', k, 1, CASE WHEN k = 7 THEN -5 ELSE 0 END, k * 1000"
		" FROM c; DELETE FROM blk_requests WHERE id = 1");
	db = open_db();
	o.event = ANALYZER_EV_BLK;
	o.format = ANALYZER_CSV;
	out = stat_ok(db, o);
	assert_string_equal(out,
		"device,op,requests,errors,sectors,bytes,time_pct,timed,lat_min_ns,lat_avg_ns,"
		"lat_max_ns,lat_p99_ns,lat_sum_ns,qd_max,qd_mean\n"
		"ata0,read,100,1,100,51200,99.8418347172796,100,1000,50500,100000,99000,5050000,1,1\n"
		"ata0,write,1,0,1,512,0.158165282720443,1,8000,8000,8000,8000,8000,1,1\n"
		"ata0,flush,0,0,0,0,0,0,NULL,NULL,NULL,NULL,0,1,1\n");
	free(out);
	o.format = ANALYZER_TABLE;
	o.skip_zero = true;
	out = stat_ok(db, o);
	assert_non_null(strstr(out, "ata0    read        100       1      100  50.0  99.84%   1.00us  50.50us  100.00us  99.00us "));
	assert_null(strstr(out, "flush"));
	free(out);

	o = base;
	o.event = ANALYZER_EV_DEVICE;
	o.format = ANALYZER_CSV;
	out = stat_ok(db, o);
	assert_non_null(strstr(out, "\nata0,ata,25,"));
	assert_non_null(strstr(out, ",2069,101,51712,4\n"));   /* bytes, requests, blk bytes, irqs */
	assert_non_null(strstr(out, "\nNULL,NULL,1,"));        /* the unclaimed MMIO access */
	free(out);
	sqlite3_close(db);
}

/*
 * Queue depth with asynchronous requests: issued at 10, 10, 12 (synchronous),
 * 15 (the seq at which the second completes), 20 (synchronous, at the first
 * one's completion) and 31.  In flight at each issue, itself included:
 * 2, 2, 3, 2, 2, 1 -- a completion at the issue's own seq no longer counts,
 * requests issued at one seq count each other.
 */
static void test_blk_queue_depth_async(void **state)
{
	struct analyzer_stat_opts o = base;
	sqlite3 *db;
	char *out, *line, *save = NULL;
	int rows = 0;

	(void)state;
	make_db(true, true,
		"DELETE FROM blk_requests;"
		" INSERT INTO blk_requests(seq, device, op, sector, nsectors, status, done_seq) VALUES"
		" (10, 'ata0', 'read', 1, 1, 0, 20), (10, 'ata0', 'read', 2, 1, 0, 15),"
		" (12, 'ata0', 'write', 3, 1, 0, NULL), (15, 'ata0', 'read', 4, 1, 0, 30),"
		" (20, 'ata0', 'write', 5, 1, 0, NULL), (31, 'ata0', 'read', 6, 1, 0, 40)");
	db = open_db();
	o.event = ANALYZER_EV_BLK;
	o.format = ANALYZER_CSV;
	out = stat_ok(db, o);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "ata0,", 5))
			continue;
		rows++;
		assert_string_equal(strrchr(line, ',') - 1, "3,2");
	}
	assert_int_equal(rows, 3);
	free(out);
	sqlite3_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_counts_every_format),
		cmocka_unit_test(test_ioport_status_port),
		cmocka_unit_test(test_vcpu_key_top_skip_zero),
		cmocka_unit_test(test_summary_and_fallback_agree),
		cmocka_unit_test(test_blk_p99_and_device),
		cmocka_unit_test(test_blk_queue_depth_async),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
