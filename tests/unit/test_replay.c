/*
 * test_replay.c - record -> replay on synthetic recordings (synthrec.c:
 * the recorder's real board, live host interface and store, no KVM):
 * clean replays of an ATA session and a UART hello, the base image
 * byte-identical after; a changed IN byte or blk data hash -> status 1 and
 * a report naming the seq; a device that refuses on replay an access the
 * recording says it accepted, or the other way round (exit_info) ->
 * a divergence at that seq; missing / wrong-hash disks, truncated, foreign
 * and newer databases, unknown devices, gaps -> status 2 and nothing
 * written; --until, --device, --keep-going; and the determinism check:
 * replay DB -o R1, replay R1 -o R2, DB = R1 = R2 table by table.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/kvm.h>
#include <sqlite3.h>

#include "replayer/replay.h"
#include "util/sha256.h"
#include "tests/unit/synthrec.h"

static char dir[64];
static char orig[128], recimg[128], rec[128], hello[128];
static char refimg[128], refuse[128];
static char out[65536], err[4096];

static void path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static int setup(void **state)
{
	struct synth_access a[64];
	static uint8_t wbuf[3 * 512];
	const char *disks[1];
	struct synthrec *s;
	char e[256] = "";
	size_t n;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_replay_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path(orig, sizeof(orig), "orig.img");
	path(recimg, sizeof(recimg), "rec.img");
	path(rec, sizeof(rec), "ata.db");
	path(hello, sizeof(hello), "hello.db");
	if (synthrec_make_image(orig, 64, 3) || synthrec_copy(orig, recimg))
		return -1;
	disks[0] = recimg;
	if (synthrec_open(&s, rec, disks, 1, e, sizeof(e))) {
		fprintf(stderr, "synthrec_open: %s\n", e);
		return -1;
	}
	n = synthrec_ata_script(a, wbuf);
	if (synthrec_script(s, a, n) || synthrec_close(s, "hlt"))
		return -1;
	if (synthrec_open(&s, hello, NULL, 0, e, sizeof(e)))
		return -1;
	n = synthrec_hello_script(a, "hello\n");
	if (synthrec_script(s, a, n) || synthrec_close(s, "hlt"))
		return -1;
	/* refuse.db: seq 1 a byte read of the ATA data port (the model refuses
	 * it: -EINVAL, logged in exit_info), seq 2 a status read (accepted) */
	path(refimg, sizeof(refimg), "refuse.img");
	path(refuse, sizeof(refuse), "refuse.db");
	if (synthrec_copy(orig, refimg))
		return -1;
	disks[0] = refimg;
	if (synthrec_open(&s, refuse, disks, 1, e, sizeof(e)))
		return -1;
	a[0] = (struct synth_access)SYNTH_IN(0x1f0, 1);
	a[1] = (struct synth_access)SYNTH_IN(0x1f7, 1);
	a[2] = (struct synth_access){ .reason = KVM_EXIT_HLT };
	if (synthrec_script(s, a, 3) || synthrec_close(s, "hlt"))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Run a replay; its report lands in `out`, its error lines in `err`. */
static int run(struct replay_opts *o)
{
	FILE *fo = tmpfile(), *fe = tmpfile();
	size_t n;
	int st;

	assert_non_null(fo);
	assert_non_null(fe);
	o->err = fe;
	st = replay_run(o, fo);
	rewind(fo);
	n = fread(out, 1, sizeof(out) - 1, fo);
	out[n] = 0;
	rewind(fe);
	n = fread(err, 1, sizeof(err) - 1, fe);
	err[n] = 0;
	fclose(fo);
	fclose(fe);
	return st;
}

static void opts_ata(struct replay_opts *o, const char *db)
{
	memset(o, 0, sizeof(*o));
	o->db = db;
	o->disks[0] = orig;
	o->ndisks = 1;
}

/* Copy the ATA recording and apply one SQL statement to the copy. */
static void copy_edit(const char *name, const char *sql, char *to, size_t len)
{
	sqlite3 *db;

	path(to, len, name);
	assert_int_equal(synthrec_copy(rec, to), 0);
	assert_int_equal(sqlite3_open(to, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t query_int(const char *file, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void test_replay_ata_clean(void **state)
{
	struct replay_opts o;
	char before[65], after[65];

	(void)state;
	assert_int_equal(sha256_file(orig, before), 0);
	opts_ata(&o, rec);
	assert_int_equal(run(&o), 0);
	assert_non_null(strstr(out, "replay: "));
	assert_non_null(strstr(out, ": clean; disk 0 final sha256 matches"));
	assert_non_null(strstr(out, " blk requests, "));
	assert_string_equal(err, "");
	assert_int_equal(sha256_file(orig, after), 0);
	assert_string_equal(before, after);
	/* the recording did write: replay reproduced the writes in its overlay only */
	assert_true(query_int(rec, "SELECT count(*) FROM blk_requests WHERE op = 'write'") >= 1);
	assert_true(query_int(rec, "SELECT count(*) FROM irqs") >= 1);
}

static void test_replay_hello_clean(void **state)
{
	struct replay_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.db = hello;
	assert_int_equal(run(&o), 0);
	assert_non_null(strstr(out, "replay: 13 exits, 0 blk requests"));
	assert_non_null(strstr(out, "clean"));
	o.verbose = true;
	assert_int_equal(run(&o), 0);
	assert_non_null(strstr(out, "seq 2 vcpu 0 IO port 0x3f8 (com1 thr) OUT size 1: 68"));
	assert_non_null(strstr(out, "console: hello\n"));
}

static void test_replay_changed_in_byte(void **state)
{
	struct replay_opts o;
	char db[128], sql[256], want[160];
	int64_t seq = query_int(rec, "SELECT min(seq) FROM pio WHERE port = 503 AND is_write = 0");

	(void)state;
	assert_true(seq > 0);
	snprintf(sql, sizeof(sql), "UPDATE pio SET data = x'ff' WHERE seq = %lld", (long long)seq);
	copy_edit("in.db", sql, db, sizeof(db));
	opts_ata(&o, db);
	assert_int_equal(run(&o), 1);
	snprintf(want, sizeof(want), "divergence at seq %lld (vcpu 0): device ata0, port 0x1f7 (status) IN: expected ff got ",
		 (long long)seq);
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "  > seq %lld vcpu 0 IO", (long long)seq);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "1 divergence"));
}

static void test_replay_changed_blk_hash(void **state)
{
	struct replay_opts o;
	char db[128];

	(void)state;
	copy_edit("hash.db", "UPDATE blk_requests SET data_hash = '00' || substr(data_hash, 3)"
		  " WHERE id = (SELECT min(id) FROM blk_requests WHERE op = 'read')", db, sizeof(db));
	opts_ata(&o, db);
	assert_int_equal(run(&o), 1);
	assert_non_null(strstr(out, "divergence at seq "));
	assert_non_null(strstr(out, "data sha256"));
	assert_non_null(strstr(out, "recording has 00"));
}

/* The recorded refusal replays clean: the model refuses the same access
 * with the same code. */
static void test_replay_device_error_same(void **state)
{
	struct replay_opts o;

	(void)state;
	assert_int_equal(query_int(refuse, "SELECT code FROM exit_info WHERE seq = 1"), -EINVAL);
	assert_int_equal(query_int(refuse, "SELECT count(*) FROM exit_info"), 1);
	opts_ata(&o, refuse);
	assert_int_equal(run(&o), 0);
	assert_non_null(strstr(out, "replay: 3 exits"));
	assert_non_null(strstr(out, "clean"));
}

/* The model refuses on replay an access the recording says it accepted
 * (the recording's exit_info row removed: as if the model recorded had
 * accepted the byte read): a divergence at that seq. */
static void test_replay_device_error_refused_on_replay(void **state)
{
	struct replay_opts o;
	char db[128];

	(void)state;
	path(db, sizeof(db), "refused.db");
	assert_int_equal(synthrec_copy(refuse, db), 0);
	{
		sqlite3 *h;

		assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, "DELETE FROM exit_info WHERE seq = 1", NULL, NULL,
					      NULL), SQLITE_OK);
		sqlite3_close(h);
	}
	opts_ata(&o, db);
	assert_int_equal(run(&o), 1);
	assert_non_null(strstr(out, "divergence at seq 1 (vcpu 0): device ata0, the model "
			       "refused the access (ata0.data read 0x1f0: Invalid argument), "
			       "the recording accepted it"));
	assert_non_null(strstr(out, "1 divergence"));
}

/* The model accepts on replay an access the recording says it refused
 * (an exit_info row added for the status read at seq 2). */
static void test_replay_device_error_accepted_on_replay(void **state)
{
	struct replay_opts o;
	char db[128];

	(void)state;
	path(db, sizeof(db), "accepted.db");
	assert_int_equal(synthrec_copy(refuse, db), 0);
	{
		sqlite3 *h;

		assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, "INSERT INTO exit_info VALUES (2, -22, "
					      "'ata0.status read 0x1f7: Invalid argument')",
					      NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
	}
	opts_ata(&o, db);
	assert_int_equal(run(&o), 1);
	assert_non_null(strstr(out, "divergence at seq 2 (vcpu 0): device ata0, the model "
			       "accepted the access, the recording refused it (ata0.status "
			       "read 0x1f7: Invalid argument)"));
	assert_null(strstr(out, "divergence at seq 1 "));
}

static void test_replay_keep_going(void **state)
{
	struct replay_opts o;
	char db[128];

	(void)state;
	copy_edit("two.db", "UPDATE pio SET data = x'ff' WHERE seq IN (SELECT seq FROM pio"
		  " WHERE port = 503 AND is_write = 0 ORDER BY seq LIMIT 2)", db, sizeof(db));
	opts_ata(&o, db);
	assert_int_equal(run(&o), 1);
	assert_non_null(strstr(out, "stopped at the first divergence"));
	o.keep_going = true;
	assert_int_equal(run(&o), 1);
	assert_non_null(strstr(out, ": 2 divergences"));
}

static void test_replay_bad_disks(void **state)
{
	struct replay_opts o;

	(void)state;
	/* the recorded image was written by the recording: wrong hash */
	memset(&o, 0, sizeof(o));
	o.db = rec;
	assert_int_equal(run(&o), 2);
	assert_non_null(strstr(err, "does not match the recording's initial image hash"));
	assert_non_null(strstr(err, "(disk 0)"));
	assert_null(strchr(strchr(err, '\n') + 1, '\n')); /* one line */
	assert_string_equal(out, "");
	opts_ata(&o, rec);
	o.disks[0] = "/nonexistent/disk.img";
	assert_int_equal(run(&o), 2);
	assert_non_null(strstr(err, "/nonexistent/disk.img: No such file or directory (disk 0)"));
	opts_ata(&o, rec);
	o.disks[1] = orig;
	o.ndisks = 2;
	assert_int_equal(run(&o), 2);
	assert_non_null(strstr(err, "--disk given 2 times, the recording has 1 disk"));
}

static void bad_db(const char *db, const char *want)
{
	struct replay_opts o;
	char outdb[160];
	struct stat sb;

	path(outdb, sizeof(outdb), "never.db");
	opts_ata(&o, db);
	o.out_db = outdb;
	assert_int_equal(run(&o), 2);
	assert_non_null(strstr(err, want));
	assert_null(strchr(strchr(err, '\n') + 1, '\n'));
	assert_int_not_equal(stat(outdb, &sb), 0); /* nothing written */
}

static void test_replay_bad_databases(void **state)
{
	char db[128];
	FILE *f;

	(void)state;
	path(db, sizeof(db), "text.db");
	f = fopen(db, "w");
	assert_non_null(f);
	fputs("this is not a database\n", f);
	fclose(f);
	bad_db(db, "not an exitlog database");
	path(db, sizeof(db), "trunc.db");
	assert_int_equal(synthrec_copy(rec, db), 0);
	{
		struct stat sb;
		assert_int_equal(stat(db, &sb), 0);
		assert_int_equal(truncate(db, sb.st_size / 2), 0);
	}
	bad_db(db, "truncated");
	copy_edit("v99.db", "UPDATE meta SET value = '99' WHERE key = 'schema_version'", db,
		  sizeof(db));
	bad_db(db, "schema_version 99 is newer");
	path(db, sizeof(db), "missing.db");
	bad_db(db, "no such file");
	copy_edit("dev.db", "UPDATE devices SET kind = 'tulip' WHERE name = 'com1'", db,
		  sizeof(db));
	bad_db(db, "has device com1 (tulip), which this build's board does not have");
	copy_edit("gap.db", "DELETE FROM pio WHERE seq = 3; DELETE FROM exits WHERE seq = 3", db,
		  sizeof(db));
	bad_db(db, "damaged recording: exits and events are not gapless");
}

static void test_replay_until(void **state)
{
	struct replay_opts o;

	(void)state;
	opts_ata(&o, rec);
	o.until = 5;
	o.verbose = true;
	assert_int_equal(run(&o), 0);
	assert_non_null(strstr(out, "seq 5 vcpu 0"));
	assert_null(strstr(out, "seq 6 vcpu 0"));
	assert_non_null(strstr(out, "replay: stopped after seq 5 (--until): 5 exits"));
	assert_non_null(strstr(out, "clean so far"));
}

static void test_replay_device_filter(void **state)
{
	struct replay_opts o;

	(void)state;
	opts_ata(&o, rec);
	o.device = "ata0";
	assert_int_equal(run(&o), 0);
	assert_non_null(strstr(out, "fed to ata0"));
	assert_non_null(strstr(out, "disk 0 final sha256 matches"));
	o.device = "nosuch";
	assert_int_equal(run(&o), 2);
	o.device = "com1";
	assert_int_equal(run(&o), 0);
	assert_non_null(strstr(out, "disk 0 not compared (--device)"));
}

static void test_replay_output_roundtrip(void **state)
{
	struct replay_opts o;
	char r1[128], r2[128], why[512];

	(void)state;
	path(r1, sizeof(r1), "r1.db");
	path(r2, sizeof(r2), "r2.db");
	opts_ata(&o, rec);
	o.out_db = r1;
	assert_int_equal(run(&o), 0);
	opts_ata(&o, r1);
	o.out_db = r2;
	assert_int_equal(run(&o), 0);
	assert_int_equal(synthrec_db_diff(rec, r1, why, sizeof(why)), 0);
	assert_int_equal(synthrec_db_diff(r1, r2, why, sizeof(why)), 0);
	assert_true(query_int(r1, "SELECT count(*) FROM meta WHERE key = 'replay_of'") == 1);
	/* an existing output is refused */
	opts_ata(&o, rec);
	o.out_db = r1;
	assert_int_equal(run(&o), 2);
	assert_non_null(strstr(err, "already exists"));
	/* the diff does notice a difference */
	copy_edit("diff.db", "UPDATE exits SET t_ns = t_ns + 1 WHERE seq = 2", r2, sizeof(r2));
	assert_int_equal(synthrec_db_diff(rec, r2, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "exits"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_ata_clean),
		cmocka_unit_test(test_replay_hello_clean),
		cmocka_unit_test(test_replay_changed_in_byte),
		cmocka_unit_test(test_replay_changed_blk_hash),
		cmocka_unit_test(test_replay_device_error_same),
		cmocka_unit_test(test_replay_device_error_refused_on_replay),
		cmocka_unit_test(test_replay_device_error_accepted_on_replay),
		cmocka_unit_test(test_replay_keep_going),
		cmocka_unit_test(test_replay_bad_disks),
		cmocka_unit_test(test_replay_bad_databases),
		cmocka_unit_test(test_replay_until),
		cmocka_unit_test(test_replay_device_filter),
		cmocka_unit_test(test_replay_output_roundtrip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
