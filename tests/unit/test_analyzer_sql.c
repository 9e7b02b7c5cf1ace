/*
 * test_analyzer_sql.c - `exitlog sql`: read-only enforcement (writes,
 * ATTACH, PRAGMA assignments, VACUUM INTO are refused before anything
 * runs, and the file is unchanged) and the output of values in each
 * format (NULL, blobs as hex, reals, quoting, several result sets); also
 * `timeline`, TEMP views for files without the views, and the refusal of
 * bad input (missing, foreign, non-SQLite files, unknown option values).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "analyzer/analyzer.h"
#include "store/embedded.h"

static char dir[64], dbpath[128], other[128];

static int setup(void **state)
{
	sqlite3 *db;

	(void)state;
	strcpy(dir, "/tmp/test_analyzer_sql.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/rec.db", dir);
	snprintf(other, sizeof(other), "%s/other.db", dir);
	if (sqlite3_open(dbpath, &db) != SQLITE_OK ||
	    sqlite3_exec(db, embedded_get("schema/exitlog.sql"), NULL, NULL, NULL) ||
	    sqlite3_exec(db, "INSERT INTO meta VALUES ('schema_version', '1');"
			 "INSERT INTO exits VALUES (1, 0, 2, 100, 10, 20), (2, 0, 5, 200, 10, 20);"
			 "INSERT INTO pio VALUES (1, 1016, 1, 1, 1, x'41', 'com1');",
			 NULL, NULL, NULL))
		return -1;
	sqlite3_close(db);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(dbpath);
	unlink(other);
	rmdir(dir);
	return 0;
}

/* Run sql on a fresh read-only connection; output in *out (free it). */
static int run(const char *sql, enum analyzer_format fmt, char **out, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	rc = analyzer_open(dbpath, &db, err, errlen);
	assert_int_equal(rc, 0);
	*out = NULL;
	f = open_memstream(out, &len);
	assert_non_null(f);
	rc = analyzer_sql(db, sql, fmt, f, err, errlen);
	fclose(f);
	sqlite3_close(db);
	return rc;
}

static void test_writes_refused(void **state)
{
	static const char *const bad[] = {
		"INSERT INTO meta VALUES ('x', 'y')",
		"DELETE FROM exits",
		"UPDATE exits SET vcpu = 9",
		"DROP TABLE pio",
		"CREATE TABLE t(x)",
		"CREATE TEMP TABLE t(x)",
		"CREATE TEMP VIEW v AS SELECT 1",
		"ATTACH 'other.db' AS o",
		"DETACH temp",
		"PRAGMA user_version = 7",
		"PRAGMA journal_mode = DELETE",
		"PRAGMA main.user_version = 8",
		"VACUUM",
		"REINDEX",
		"ANALYZE",
		"SELECT 1; DELETE FROM exits",
		"SELECT 1; INSERT INTO meta VALUES ('a', 'b'); SELECT 2",
		"WITH x AS (SELECT 1) INSERT INTO meta SELECT 'k', 'v' FROM x",
	};
	char err[256], *out, vac[200];
	sqlite3 *db;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = run(bad[i], ANALYZER_TABLE, &out, err, sizeof(err));

		if (rc != -EPERM)
			fail_msg("'%s' gave %d (%s)", bad[i], rc, err);
		assert_string_equal(out, "");       /* nothing ran */
		assert_non_null(strstr(err, "not read-only"));
		assert_null(strchr(err, '\n'));
		free(out);
	}
	snprintf(vac, sizeof(vac), "VACUUM INTO '%s'", other);
	assert_int_equal(run(vac, ANALYZER_CSV, &out, err, sizeof(err)), -EPERM);
	free(out);
	assert_int_not_equal(access(other, F_OK), 0);
	assert_int_not_equal(run("SELECT load_extension('/nonexistent')", ANALYZER_CSV, &out,
				 err, sizeof(err)), 0);
	free(out);

	/* the file is untouched */
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM exits),"
						    " (SELECT count(*) FROM meta), user_version"
						    " FROM pragma_user_version", -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 2);
		assert_int_equal(sqlite3_column_int(st, 1), 1);
		assert_int_equal(sqlite3_column_int(st, 2), 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static void test_reads_allowed_and_formats(void **state)
{
	static const char q[] = "SELECT NULL AS n, x'00ff' AS b, 1.5 AS r, 'a,\"b\"' AS t, 42 AS i";
	char err[256], *out;

	(void)state;
	assert_int_equal(run("SELECT count(*) AS n FROM exits", ANALYZER_CSV, &out, err,
			     sizeof(err)), 0);
	assert_string_equal(out, "n\n2\n");
	free(out);

	assert_int_equal(run(q, ANALYZER_CSV, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "n,b,r,t,i\nNULL,00ff,1.5,\"a,\"\"b\"\"\",42\n");
	free(out);
	assert_int_equal(run(q, ANALYZER_JSON, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "[\n{\"n\": null, \"b\": \"00ff\", \"r\": 1.5, "
			    "\"t\": \"a,\\\"b\\\"\", \"i\": 42}\n]\n");
	free(out);
	assert_int_equal(run(q, ANALYZER_TABLE, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "n     b       r  t       i\n"
			    "----  ----  ---  -----  --\n"
			    "NULL  00ff  1.5  a,\"b\"  42\n");
	free(out);

	/* several statements: one result set each; reading pragmas is fine */
	assert_int_equal(run("SELECT 1 AS a; -- two\nSELECT 'x' AS b;", ANALYZER_CSV, &out, err,
			     sizeof(err)), 0);
	assert_string_equal(out, "a\n1\n\nb\nx\n");
	free(out);
	assert_int_equal(run("PRAGMA table_info(pio)", ANALYZER_CSV, &out, err, sizeof(err)), 0);
	assert_non_null(strstr(out, "\n0,seq,INTEGER,"));
	free(out);
	assert_int_equal(run("SELECT name FROM pragma_table_info('exits') LIMIT 1", ANALYZER_CSV,
			     &out, err, sizeof(err)), 0);
	assert_string_equal(out, "name\nseq\n");
	free(out);
	assert_int_equal(run("SELECT perf_key, label FROM v_pio", ANALYZER_JSON, &out, err,
			     sizeof(err)), 0);
	assert_string_equal(out, "[\n{\"perf_key\": \"0x3f8:POUT\", \"label\": null}\n]\n");
	free(out);
	assert_int_equal(run("SELECT 1 WHERE 0", ANALYZER_JSON, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "[]\n");
	free(out);
}

static void test_sql_errors(void **state)
{
	char err[256], *out;

	(void)state;
	assert_int_equal(run("SELCT 1", ANALYZER_TABLE, &out, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "syntax error"));
	free(out);
	assert_int_equal(run("SELECT * FROM nosuchtable", ANALYZER_TABLE, &out, err,
			     sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no such table"));
	free(out);
	assert_int_equal(run("  -- only a comment", ANALYZER_TABLE, &out, err, sizeof(err)),
			 -EINVAL);
	free(out);
}

static void test_timeline(void **state)
{
	struct analyzer_timeline_opts o = { .bucket_ns = 100, .vcpu = -1,
					    .format = ANALYZER_CSV };
	char *buf = NULL, err[256];
	size_t len = 0;
	sqlite3 *db = NULL;
	FILE *f;

	(void)state;
	assert_int_equal(analyzer_open(dbpath, &db, err, sizeof(err)), 0);
	f = open_memstream(&buf, &len);
	assert_int_equal(analyzer_timeline(db, &o, f, err, sizeof(err)), 0);
	fclose(f);
	assert_string_equal(buf, "t_ms,t_ns,total,io,hlt\n0.0001,100,1,1,0\n0.0002,200,1,0,1\n");
	free(buf);
	o.bucket_ns = 0;            /* automatic: 1 us, one bucket */
	o.format = ANALYZER_JSON;
	f = open_memstream(&buf, &len);
	assert_int_equal(analyzer_timeline(db, &o, f, err, sizeof(err)), 0);
	fclose(f);
	assert_string_equal(buf, "[\n{\"t_ms\": 0, \"t_ns\": 0, \"total\": 2, \"io\": 1, "
			    "\"hlt\": 1}\n]\n");
	free(buf);
	o.vcpu = 3;                 /* no exits: an empty report */
	o.format = ANALYZER_CSV;
	f = open_memstream(&buf, &len);
	assert_int_equal(analyzer_timeline(db, &o, f, err, sizeof(err)), 0);
	fclose(f);
	assert_string_equal(buf, "t_ms,t_ns,total\n");
	free(buf);
	o.vcpu = -1;
	o.bucket_ns = 1;            /* 200 buckets: fine */
	f = open_memstream(&buf, &len);
	assert_int_equal(analyzer_timeline(db, &o, f, err, sizeof(err)), 0);
	fclose(f);
	free(buf);
	sqlite3_close(db);
}

/* A file written before the views existed gets them as TEMP views. */
static void test_old_file_gets_temp_views(void **state)
{
	const char *schema = embedded_get("schema/exitlog.sql");
	char *ddl = strdup(schema), *buf = NULL, err[256];
	sqlite3 *db;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_non_null(ddl);
	*strstr(ddl, "\nCREATE VIEW ") = 0;
	unlink(other);
	assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, ddl, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO meta VALUES ('schema_version', '1');"
				      "INSERT INTO exits VALUES (1, 0, 2, 100, 10, 20);"
				      "INSERT INTO pio VALUES (1, 503, 1, 0, 1, x'50', 'ata0');"
				      "INSERT INTO registers VALUES ('pio', 503, 0, 'ata0', 'status')",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(ddl);
	assert_int_equal(analyzer_open(other, &db, err, sizeof(err)), 0);
	f = open_memstream(&buf, &len);
	assert_int_equal(analyzer_sql(db, "SELECT count(*) AS views FROM sqlite_schema"
				      " WHERE type = 'view'; SELECT perf_key, label FROM v_pio",
				      ANALYZER_CSV, f, err, sizeof(err)), 0);
	fclose(f);
	assert_string_equal(buf, "views\n0\n\nperf_key,label\n0x1f7:PIN,ata0.status\n");
	free(buf);
	sqlite3_close(db);
	unlink(other);
}

static void test_bad_input(void **state)
{
	struct analyzer_stat_opts so = { .vcpu = -1 };
	enum analyzer_event ev;
	enum analyzer_format fmt;
	enum analyzer_key key;
	char err[256], path[160], *buf = NULL;
	sqlite3 *db = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(analyzer_parse_event("bogus", &ev), -EINVAL);
	assert_int_equal(analyzer_parse_event("vmexit", &ev), 0);
	assert_int_equal(ev, ANALYZER_EV_EXIT);
	assert_int_equal(analyzer_parse_format("xml", &fmt), -EINVAL);
	assert_int_equal(analyzer_parse_key("speed", &key), -EINVAL);

	snprintf(path, sizeof(path), "%s/missing.db", dir);
	assert_int_equal(analyzer_open(path, &db, err, sizeof(err)), -ENOENT);
	assert_null(strchr(err, '\n'));

	snprintf(path, sizeof(path), "%s/foreign.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(analyzer_open(path, &db, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not an exitlog database"));
	unlink(path);

	snprintf(path, sizeof(path), "%s/text.db", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("hello, not a database\n", f);
	fclose(f);
	assert_int_equal(analyzer_open(path, &db, err, sizeof(err)), -EINVAL);
	unlink(path);

	/* a read-only file is fine: the analyzer never writes; a bad event is not */
	assert_int_equal(chmod(dbpath, 0444), 0);
	assert_int_equal(analyzer_open(dbpath, &db, err, sizeof(err)), 0);
	f = open_memstream(&buf, &len);
	assert_int_equal(analyzer_stat(db, &so, f, err, sizeof(err)), 0);
	so.event = (enum analyzer_event)42;
	assert_int_equal(analyzer_stat(db, &so, f, err, sizeof(err)), -EINVAL);
	fclose(f);
	free(buf);
	sqlite3_close(db);
	chmod(dbpath, 0644);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_refused),
		cmocka_unit_test(test_reads_allowed_and_formats),
		cmocka_unit_test(test_sql_errors),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_old_file_gets_temp_views),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
