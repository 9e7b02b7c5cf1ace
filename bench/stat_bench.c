/*
 * stat_bench.c - how long the canned `exitlog stat` reports take on a
 * large recording, against the same queries run naively.
 *
 *   stat_bench [EXITS]        (default 10000000; BENCH_QUICK=1: 100000)
 *
 * The synthetic database comes from gen_synth (next to this binary) and is
 * cached as build/bench/synth-<EXITS>-s1-v4.db (v2: with sum_timeline, v4:
 * with sum_devacc); the first run also executes schema/summary.sql on it
 * (what store_close() did before the writer kept the summaries; now only
 * its repair path) and records how long that took in meta
 * 'bench.summary_seconds', then rebuilds sum_devacc (store_rebuild_devacc():
 * what the writer keeps for iopath).  Then, in one run:
 *   stat_seconds_<n>_<event>        the analyzer's report (C, summary tables),
 *                                   wall time, slowest of 3 runs
 *   stat_cpu_seconds_<n>_<event>    its CPU time (user + system), slowest of 3:
 *                                   the figure that does not depend on how busy
 *                                   the machine is (bench_loadavg)
 *   stat_raw_seconds_<n>_<event>    the same report forced onto the raw tables
 *   stat_naive_seconds_<n>_<event>  the raw named query (stat_<event>_raw.sql,
 *                                   an un-indexed GROUP BY) through the sqlite3 shell
 *   stat_naive_ratio_<n>_<event>    naive / summary
 *   summary_build_seconds_<n>       schema/summary.sql on this database (the
 *                                   rebuild; close_seconds_* in run.sh is
 *                                   what store_close() costs now)
 *   stat_outputs_agree_<n>          1 when summary and raw reports print the same
 *   iopath_seconds_<n>              `iopath --summary`, wall (sum_devacc: the
 *                                   block devices' accesses packed by the writer)
 *   iopath_cpu_seconds_<n>          its CPU time
 *   iopath_raw_seconds_<n>          the same forced onto the raw tables (the
 *                                   iopath_input_*.sql joins; what it was before)
 *   iopath_outputs_agree_<n>        1 when both print the same (all requests, csv)
 *   timeline_seconds_<n>            `timeline` (sum_timeline)
 * Output: `name value` lines on stdout; progress on stderr.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sqlite3.h>

#include "analyzer/analyzer.h"
#include "store/embedded.h"
#include "store/store.h"

static const char *const events[] = { "exit", "ioport", "mmio", "blk", "device" };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) this process used so far. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void label(long long n, char *buf, size_t len)
{
	if (n % 1000000 == 0)
		snprintf(buf, len, "%lldm", n / 1000000);
	else if (n % 1000 == 0)
		snprintf(buf, len, "%lldk", n / 1000);
	else
		snprintf(buf, len, "%lld", n);
}

/* Generate (gen_synth --no-summary), then time summary.sql into meta. */
static int generate(const char *bindir, const char *db, long long n)
{
	char cmd[PATH_MAX * 3], tmp[PATH_MAX * 2], sql[128];
	sqlite3 *h = NULL;
	double t0;
	int ret = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.gen", db) >= (int)sizeof(tmp) ||
	    snprintf(cmd, sizeof(cmd), "'%s/gen_synth' -n %lld -s 1 --no-summary '%s'",
		     bindir, n, tmp) >= (int)sizeof(cmd))
		return -1;
	t0 = now_s();
	if (system(cmd) != 0) {
		fprintf(stderr, "stat_bench: gen_synth failed\n");
		return -1;
	}
	printf("synth_gen_seconds %.2f\n", now_s() - t0);
	if (sqlite3_open(tmp, &h) != SQLITE_OK)
		goto out;
	t0 = now_s();
	if (sqlite3_exec(h, "BEGIN", NULL, NULL, NULL) ||
	    sqlite3_exec(h, embedded_get("schema/summary.sql"), NULL, NULL, NULL) ||
	    sqlite3_exec(h, "COMMIT", NULL, NULL, NULL))
		goto out;
	snprintf(sql, sizeof(sql), "INSERT INTO meta VALUES ('bench.summary_seconds', '%.3f')",
		 now_s() - t0);
	if (sqlite3_exec(h, sql, NULL, NULL, NULL))
		goto out;
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "stat_bench: %s\n", h ? sqlite3_errmsg(h) : "cannot open");
	sqlite3_close(h);
	if (!ret) {
		char err[256];

		t0 = now_s();
		ret = store_rebuild_devacc(tmp, err, sizeof(err));
		if (ret)
			fprintf(stderr, "stat_bench: %s\n", err);
		else
			fprintf(stderr, "stat_bench: sum_devacc rebuilt in %.1f s\n", now_s() - t0);
	}
	if (!ret && rename(tmp, db))
		ret = -1;
	return ret;
}

/* One report into buf (NULL: /dev/null); returns seconds or -1. */
static double report(const char *db, const char *event, enum analyzer_source src,
		     int vcpu, char **buf)
{
	struct analyzer_stat_opts o = { .vcpu = vcpu, .source = src };
	char err[256];
	size_t len = 0;
	sqlite3 *h = NULL;
	double t0 = now_s(), t;
	FILE *f;
	int rc;

	analyzer_parse_event(event, &o.event);
	f = buf ? open_memstream(buf, &len) : fopen("/dev/null", "w");
	if (!f)
		return -1;
	rc = analyzer_open(db, &h, err, sizeof(err));
	if (!rc)
		rc = analyzer_stat(h, &o, f, err, sizeof(err));
	sqlite3_close(h);
	fclose(f);
	t = now_s() - t0;
	if (rc) {
		fprintf(stderr, "stat_bench: %s: %s\n", event, err);
		return -1;
	}
	return t;
}

/* The raw named query of `event` through the sqlite3 shell. */
static double naive(const char *db, const char *event)
{
	char name[96], cmd[PATH_MAX * 3];
	const char *sql;
	double t0;
	FILE *p;

	snprintf(name, sizeof(name), "schema/queries/stat_%s%s.sql", event,
		 strcmp(event, "blk") ? "_raw" : "");
	sql = embedded_get(name);
	if (snprintf(cmd, sizeof(cmd), "sqlite3 -readonly '%s' > /dev/null", db) >= (int)sizeof(cmd))
		return -1;
	t0 = now_s();
	p = popen(cmd, "w");
	if (!p || !sql)
		return -1;
	fprintf(p, ".param set :vcpu NULL\n%s\n", sql);
	if (pclose(p) != 0)
		return -1;
	return now_s() - t0;
}

/* iopath --summary (0) or timeline (1), once, into /dev/null; src: the
 * iopath source; buf: the output instead (iopath: every request, csv). */
static double other(const char *db, int which, enum analyzer_source src, char **buf)
{
	struct analyzer_iopath_opts io = { .summary = !buf, .source = src,
					   .format = buf ? ANALYZER_CSV : ANALYZER_TABLE };
	struct analyzer_timeline_opts tl = { .vcpu = -1 };
	char err[256];
	sqlite3 *h = NULL;
	double t0 = now_s();
	size_t len = 0;
	FILE *f = buf ? open_memstream(buf, &len) : fopen("/dev/null", "w");
	int rc;

	if (!f)
		return -1;
	rc = analyzer_open(db, &h, err, sizeof(err));
	if (!rc)
		rc = which ? analyzer_timeline(h, &tl, f, err, sizeof(err))
			   : analyzer_iopath(h, &io, f, err, sizeof(err));
	sqlite3_close(h);
	fclose(f);
	if (rc) {
		fprintf(stderr, "stat_bench: %s: %s\n", which ? "timeline" : "iopath", err);
		return -1;
	}
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	char self[PATH_MAX], bindir[PATH_MAX], db[PATH_MAX + 64], n_s[32];
	long long n = getenv("BENCH_QUICK") ? 100000 : 10000000;
	bool agree = true;
	sqlite3 *h;
	ssize_t l;

	if (argc > 1)
		n = strtoll(argv[1], NULL, 0);
	if (n < 1000) {
		fprintf(stderr, "usage: stat_bench [EXITS >= 1000]\n");
		return 2;
	}
	l = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (l < 0)
		return 1;
	self[l] = 0;
	snprintf(bindir, sizeof(bindir), "%s", dirname(self));
	snprintf(db, sizeof(db), "%s/synth-%lld-s1-v4.db", bindir, n);
	label(n, n_s, sizeof(n_s));
	printf("bench_exits %lld\n", n);
	{
		double la[1];

		if (getloadavg(la, 1) == 1)
			printf("bench_loadavg %.2f\n", la[0]);
	}
	if (access(db, R_OK) && generate(bindir, db, n))
		return 1;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_stmt *st = NULL;

		if (sqlite3_prepare_v2(h, "SELECT value FROM meta WHERE key = 'bench.summary_seconds'",
				       -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			printf("summary_build_seconds_%s %s\n", n_s, sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	fflush(stdout);

	for (size_t e = 0; e < sizeof(events) / sizeof(events[0]); e++) {
		char *a = NULL, *b = NULL;
		double worst = 0, cworst = 0, raw, nv;

		for (int i = 0; i < 3; i++) {
			double c0 = cpu_s(), t = report(db, events[e], ANALYZER_SRC_AUTO, -1, NULL);

			if (t < 0)
				return 1;
			if (t > worst)
				worst = t;
			if (cpu_s() - c0 > cworst)
				cworst = cpu_s() - c0;
		}
		printf("stat_seconds_%s_%s %.4f\n", n_s, events[e], worst);
		printf("stat_cpu_seconds_%s_%s %.4f\n", n_s, events[e], cworst);
		if (!strcmp(events[e], "exit")) {
			double t = report(db, "exit", ANALYZER_SRC_AUTO, 0, NULL);

			printf("stat_seconds_%s_exit_vcpu0 %.4f\n", n_s, t);
		}
		fflush(stdout);
		fprintf(stderr, "stat_bench: %s: raw tables ...\n", events[e]);
		report(db, events[e], ANALYZER_SRC_AUTO, -1, &a);
		raw = report(db, events[e], ANALYZER_SRC_RAW, -1, &b);
		if (!a || !b || strcmp(a, b))
			agree = false;
		free(a);
		free(b);
		printf("stat_raw_seconds_%s_%s %.2f\n", n_s, events[e], raw);
		fflush(stdout);
		nv = naive(db, events[e]);
		if (nv < 0) {
			fprintf(stderr, "stat_bench: the sqlite3 shell failed; naive times skipped\n");
			continue;
		}
		printf("stat_naive_seconds_%s_%s %.2f\n", n_s, events[e], nv);
		printf("stat_naive_ratio_%s_%s %.0f\n", n_s, events[e], worst > 0 ? nv / worst : 0);
		fflush(stdout);
	}
	printf("stat_outputs_agree_%s %d\n", n_s, agree);
	{
		double c0 = cpu_s(), t = other(db, 0, ANALYZER_SRC_AUTO, NULL);
		char *a = NULL, *b = NULL;

		printf("iopath_seconds_%s %.2f\n", n_s, t);
		printf("iopath_cpu_seconds_%s %.2f\n", n_s, cpu_s() - c0);
		fflush(stdout);
		printf("iopath_raw_seconds_%s %.2f\n", n_s, other(db, 0, ANALYZER_SRC_RAW, NULL));
		fflush(stdout);
		other(db, 0, ANALYZER_SRC_SUMMARY, &a);
		other(db, 0, ANALYZER_SRC_RAW, &b);
		if (!a || !b || strcmp(a, b))
			agree = false;
		printf("iopath_outputs_agree_%s %d\n", n_s, a && b && !strcmp(a, b));
		free(a);
		free(b);
	}
	printf("timeline_seconds_%s %.2f\n", n_s, other(db, 1, ANALYZER_SRC_AUTO, NULL));
	return agree ? 0 : 1;
}
