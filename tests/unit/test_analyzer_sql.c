/*
 * test_analyzer_sql.c - `exitlog sql`: read-only enforcement (writes,
 * ATTACH, PRAGMA assignments, VACUUM INTO are refused before anything
 * runs, and the file is unchanged) and the output of values in each
 * format (NULL, blobs as hex, reals, quoting, several result sets).
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_refused),
		cmocka_unit_test(test_reads_allowed_and_formats),
		cmocka_unit_test(test_sql_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
