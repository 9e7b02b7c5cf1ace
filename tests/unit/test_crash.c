/*
 * test_crash.c - crash consistency at unit level (issue 16): a writer
 * killed with SIGKILL (a forked child that never closes its store) leaves
 * a recording that opens, says it is incomplete (meta.complete = 0,
 * store_incomplete() with the length of its gapless prefix) and still
 * replays and reports on that prefix; a cleanly closed one says complete,
 * as does a recording from before meta.complete existed; creating a
 * recording leaves no temporary file.  The SIGKILL suite against real KVM
 * is tests/e2e/t_crash.sh.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/kvm.h>
#include <sqlite3.h>

#include "analyzer/analyzer.h"
#include "replayer/replay.h"
#include "store/store.h"
#include "tests/unit/synthrec.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_crash_XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *tpath(const char *name)
{
	static char p[4][256];
	static int i;
	char *r = p[i++ % 4];

	snprintf(r, 256, "%s/%s", dir, name);
	return r;
}

static int64_t q_int(const char *file, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -2;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* In a child: wait (up to 10 s) until `n` exits are committed, then die
 * by SIGKILL as `exitlog record` would; _exit(9) if they never are. */
static void child_die_after(const char *db, int64_t n)
{
	struct timespec ts = { 0, 10 * 1000000L };

	for (int i = 0; i < 1000; i++) {
		if (q_int(db, "SELECT count(*) FROM exits") >= n)
			raise(SIGKILL);
		nanosleep(&ts, NULL);
	}
	_exit(9);
}

static void assert_killed(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* The store alone: 1000 exits committed, 500 more put, then SIGKILL. */
static void test_crash_killed_writer_is_incomplete(void **state)
{
	const char *p = tpath("killed.db");
	char err[256] = "", note[256];
	store_rdb *db;
	uint64_t n = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s;

		if (store_create(&s, p, false, err, sizeof(err)))
			_exit(1);
		for (uint64_t seq = 1; seq <= 1500; seq++) {
			struct rec_exit e = { .seq = seq, .reason = 2, .t_ns = seq };

			if (store_put_exit(s, &e))
				_exit(3);
			if (seq == 1000 && store_flush(s))
				_exit(2);
		}
		raise(SIGKILL);   /* no store_close */
		_exit(4);
	}
	assert_killed(pid);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(store_incomplete(db, &n), 1);
	assert_true(n >= 1000 && n <= 1500);
	assert_int_equal(store_incomplete_note(db, note, sizeof(note)), 1);
	store_close_ro(db);
	assert_int_equal(q_int(p, "SELECT count(*) FROM exits"), (int64_t)n);
	assert_int_equal(q_int(p, "SELECT min(seq) FROM exits"), 1);
	assert_int_equal(q_int(p, "SELECT value FROM meta WHERE key = 'complete'"), 0);
	assert_int_equal(q_int(p, "SELECT count(*) FROM meta WHERE key = 'exit_count'"), 0);
	char want[256];
	snprintf(want, sizeof(want), "warning: recording is incomplete (the recorder was killed "
		 "or failed before closing it); using the %llu exits it holds",
		 (unsigned long long)n);
	assert_string_equal(note, want);
}

/* A clean close sets meta.complete to 1; while recording it reads 0. */
static void test_crash_clean_close_is_complete(void **state)
{
	const char *p = tpath("clean.db");
	char err[256] = "", note[256] = "untouched";
	struct store *s;
	store_rdb *db;
	uint64_t n = 99;

	(void)state;
	assert_int_equal(store_create(&s, p, false, err, sizeof(err)), 0);
	for (uint64_t seq = 1; seq <= 10; seq++) {
		struct rec_exit e = { .seq = seq, .reason = 2 };
		assert_int_equal(store_put_exit(s, &e), 0);
	}
	assert_int_equal(store_flush(s), 0);
	/* a reader during the recording sees it incomplete, with its 10 exits */
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(store_incomplete(db, &n), 1);
	assert_int_equal(n, 10);
	store_close_ro(db);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(store_incomplete(db, &n), 0);
	assert_int_equal(store_incomplete_note(db, note, sizeof(note)), 0);
	assert_string_equal(note, "untouched");
	store_close_ro(db);
	assert_int_equal(q_int(p, "SELECT value FROM meta WHERE key = 'complete'"), 1);
}

/* Recordings made before meta.complete existed are complete. */
static void test_crash_recording_without_key_is_complete(void **state)
{
	const char *p = tpath("old.db");
	char err[256] = "";
	struct store *s;
	store_rdb *db;
	sqlite3 *rw;
	uint64_t n = 99;

	(void)state;
	assert_int_equal(store_create(&s, p, false, err, sizeof(err)), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(sqlite3_open(p, &rw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(rw, "DELETE FROM meta WHERE key = 'complete'", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(rw);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(store_incomplete(db, &n), 0);
	store_close_ro(db);
	/* and a 0 written by hand is incomplete again: the key decides */
	assert_int_equal(sqlite3_open(p, &rw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(rw, "INSERT INTO meta VALUES ('complete', '0')", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(rw);
	assert_int_equal(store_open_ro(p, &db, err, sizeof(err)), 0);
	assert_int_equal(store_incomplete(db, &n), 1);
	assert_int_equal(n, 0);
	store_close_ro(db);
}

/* The schema is built under a temporary name that never stays behind, and
 * an existing file is still refused and left alone. */
static void test_crash_create_leaves_no_temp_file(void **state)
{
	const char *p = tpath("fresh.db");
	char err[256] = "";
	struct dirent *de;
	struct store *s;
	int others = 0;
	DIR *d;
	FILE *f;

	(void)state;
	assert_int_equal(store_create(&s, p, false, err, sizeof(err)), 0);
	/* the file exists, with its schema, from the moment create returns */
	assert_int_equal(q_int(p, "SELECT value FROM meta WHERE key = 'schema_version'"),
			 STORE_SCHEMA_VERSION);
	assert_int_equal(store_close(s), 0);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, "fresh.db.new"))
			others++;
	closedir(d);
	assert_int_equal(others, 0);

	p = tpath("taken.db");
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("mine", f);
	fclose(f);
	assert_int_equal(store_create(&s, p, false, err, sizeof(err)), -EEXIST);
	assert_null(s);
	assert_non_null(strstr(err, "file exists"));
	f = fopen(p, "r");
	assert_non_null(f);
	char buf[8] = "";
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "mine");
}

/* A synthetic recorder (synthrec.c) killed after `k` exits of the UART
 * hello script (no HLT): the recording at db. */
static void record_killed(const char *db, size_t k)
{
	struct synth_access a[64];
	char e[256] = "";
	pid_t pid;
	size_t n;

	n = synthrec_hello_script(a, "hello, killed\n");
	assert_true(k < n);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct synthrec *s;

		if (synthrec_open(&s, db, NULL, 0, e, sizeof(e)) || synthrec_script(s, a, k))
			_exit(1);
		child_die_after(db, (int64_t)k);
	}
	assert_killed(pid);
}

static int replay(const char *db, char *out, size_t outlen, char *err, size_t errlen)
{
	struct replay_opts o;
	FILE *fo = tmpfile(), *fe = tmpfile();
	size_t n;
	int st;

	assert_non_null(fo);
	assert_non_null(fe);
	memset(&o, 0, sizeof(o));
	o.db = db;
	o.err = fe;
	st = replay_run(&o, fo);
	rewind(fo);
	n = fread(out, 1, outlen - 1, fo);
	out[n] = 0;
	rewind(fe);
	n = fread(err, 1, errlen - 1, fe);
	err[n] = 0;
	fclose(fo);
	fclose(fe);
	return st;
}

/* replay: one warning line, then the prefix replays clean. */
static void test_crash_replay_uses_the_prefix(void **state)
{
	const char *p = tpath("hello-killed.db");
	char out[4096], err[1024];

	(void)state;
	record_killed(p, 9);
	assert_int_equal(q_int(p, "SELECT count(*) FROM exits"), 9);
	assert_int_equal(replay(p, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(err, "exitlog: warning: recording is incomplete (the recorder was "
			    "killed or failed before closing it); using the 9 exits it holds\n");
	assert_non_null(strstr(out, "replay: the incomplete recording's 9 exits: 9 exits"));
	assert_non_null(strstr(out, "clean so far"));
}

/* The rows of the exit being logged at the kill (device rows are put
 * before their exits row) lie past the prefix: replay leaves them out
 * instead of calling the recording damaged. */
static void test_crash_replay_ignores_the_killed_exit(void **state)
{
	const char *p = tpath("hello-tail.db");
	char out[4096], err[1024];
	sqlite3 *rw;

	(void)state;
	record_killed(p, 5);
	assert_int_equal(sqlite3_open(p, &rw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(rw, "INSERT INTO pio(seq, port, size, is_write, count, data,"
				      " device) VALUES (6, 1021, 1, 0, 1, x'60', 'com1')",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(rw);
	assert_int_equal(replay(p, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(err, "using the 5 exits it holds\n"));
	assert_non_null(strstr(out, "the incomplete recording's 5 exits: 5 exits"));
	assert_non_null(strstr(out, "clean so far"));
}

/* stat: no summary tables after a kill, the raw tables answer. */
/* The writer keeps the summary tables in step with every commit (wsum.c),
 * so a killed recording has fresh summaries of its prefix, and stat on it
 * counts exactly the exits it holds. */
static void test_crash_stat_after_kill(void **state)
{
	const char *p = tpath("hello-stat.db");
	struct analyzer_stat_opts o = { .event = ANALYZER_EV_EXIT, .vcpu = -1,
					.format = ANALYZER_CSV };
	char err[256] = "", *buf = NULL;
	size_t len = 0;
	sqlite3 *db;
	FILE *f;

	(void)state;
	record_killed(p, 7);
	assert_int_equal(analyzer_open(p, &db, err, sizeof(err)), 0);
	assert_int_equal(analyzer_summary_fresh(db), 1);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(analyzer_stat(db, &o, f, err, sizeof(err)), 0);
	fclose(f);
	sqlite3_close(db);
	assert_non_null(strstr(buf, "IO,7,"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_killed_writer_is_incomplete),
		cmocka_unit_test(test_crash_clean_close_is_complete),
		cmocka_unit_test(test_crash_recording_without_key_is_complete),
		cmocka_unit_test(test_crash_create_leaves_no_temp_file),
		cmocka_unit_test(test_crash_replay_uses_the_prefix),
		cmocka_unit_test(test_crash_replay_ignores_the_killed_exit),
		cmocka_unit_test(test_crash_stat_after_kill),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
