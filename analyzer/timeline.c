/*
 * timeline.c - `exitlog timeline`: exits per time bucket per exit reason.
 * One row per bucket from the first exit's bucket to the last one's (empty
 * buckets included, so the output plots as is), one column per exit reason
 * that occurs (or, with by_vcpu, per vCPU: "vcpu0", "vcpu1", ...), plus
 * the total.  The counts are made here in one pass over
 * the named query timeline_scan.sql (timeline.sql is the same as a GROUP BY,
 * which sorts every exit: 10x slower on 10M exits).  When the summary is
 * fresh and has sum_timeline (exits per vCPU, reason and millisecond, kept
 * by the writer), the range and -- for buckets of whole milliseconds -- the
 * counts come from it instead (timeline_sum_range.sql, timeline_sum_scan.sql):
 * the same output without reading every exit.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"

#define MAX_BUCKETS 1000000
#define AUTO_BUCKETS 50
#define SUM_BUCKET_NS 1000000   /* sum_timeline's granularity */

struct reason {
	int64_t code;
	char name[48];
	char key[48];
};

struct cnt {
	int64_t bucket;
	int reason;   /* index into the reasons seen */
	int64_t n;
};

/* Smallest 1-2-5 step (>= 1 us) giving at most AUTO_BUCKETS buckets. */
static uint64_t auto_bucket(int64_t t_min, int64_t t_max)
{
	static const int steps[] = { 1, 2, 5 };
	uint64_t scale = 1000;

	for (;;) {
		for (int i = 0; i < 3; i++) {
			uint64_t b = scale * steps[i];

			if ((uint64_t)t_max / b - (uint64_t)t_min / b + 1 <= AUTO_BUCKETS)
				return b;
		}
		scale *= 10;
	}
}

/* 1 when the fresh summary has sum_timeline (an older exitlog's has not). */
static bool sum_usable(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	bool has = false;

	if (analyzer_summary_fresh(db) != 1)
		return false;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE type = 'table'"
			       " AND name = 'sum_timeline'", -1, &st, NULL) == SQLITE_OK)
		has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return has;
}

static int range(sqlite3 *db, int vcpu, bool sum, int64_t *n, int64_t *t_min,
		 int64_t *t_max, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = analyzer_query(db, sum ? "timeline_sum_range" : "timeline_range", &st, err,
				 errlen);

	if (ret)
		return ret;
	analyzer_bind(st, ":vcpu", vcpu, vcpu < 0);
	if (sqlite3_step(st) != SQLITE_ROW) {
		ret = analyzer_step_err(db, err, errlen);
	} else {
		*n = analyzer_col_int(st, "n");
		*t_min = analyzer_col_int(st, "t_min");
		*t_max = analyzer_col_int(st, "t_max");
	}
	sqlite3_finalize(st);
	return ret;
}

static int by_code(const void *a, const void *b)
{
	const struct reason *x = a, *y = b;

	return x->code < y->code ? -1 : x->code > y->code;
}

/* The name of exit reason `code` ('reason_N' when exit_reasons lacks it). */
static void reason_name(sqlite3 *db, int64_t code, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;

	snprintf(buf, len, "reason_%lld", (long long)code);
	if (sqlite3_prepare_v2(db, "SELECT name FROM exit_reasons WHERE reason = ?1", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, code);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(buf, len, "%s", sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
}

/*
 * Count exits per (bucket, reason) in one pass over timeline_scan.sql (or
 * timeline_sum_scan.sql with `sum`: rows of n exits) into
 * per-reason arrays of nb buckets, then list the non-zero (bucket, reason,
 * n) in bucket order; reasons[] collects the reasons seen.
 */
static int load(sqlite3 *db, const struct analyzer_timeline_opts *o, bool sum,
		uint64_t bucket, int64_t b0, int64_t nb, struct cnt **cs, size_t *ncs,
		struct reason *rs, int *nrs, char *err, size_t errlen)
{
	int64_t *counts[256] = { 0 };
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, ret = analyzer_query(db, sum ? "timeline_sum_scan" : "timeline_scan", &st, err,
				     errlen);

	if (ret)
		return ret;
	analyzer_bind(st, ":vcpu", o->vcpu, o->vcpu < 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(st, 0) / (int64_t)bucket - b0;
		int64_t code = sqlite3_column_int64(st, o->by_vcpu ? 2 : 1);
		int r;

		for (r = 0; r < *nrs && rs[r].code != code; r++)
			;
		if (r == *nrs) {
			if (*nrs == 256) {
				ret = analyzer_err(err, errlen, -EINVAL, "too many exit reasons");
				break;
			}
			counts[r] = calloc(nb, sizeof(int64_t));
			if (!counts[r]) {
				ret = -ENOMEM;
				break;
			}
			rs[r].code = code;
			if (o->by_vcpu)
				snprintf(rs[r].name, sizeof(rs[r].name), "vcpu%lld", (long long)code);
			else
				reason_name(db, code, rs[r].name, sizeof(rs[r].name));
			(*nrs)++;
		}
		if (b >= 0 && b < nb)
			counts[r][b] += sum ? sqlite3_column_int64(st, 2) : 1;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = analyzer_step_err(db, err, errlen);
	sqlite3_finalize(st);
	for (int64_t b = 0; !ret && b < nb; b++)
		for (int r = 0; r < *nrs; r++) {
			if (!counts[r][b])
				continue;
			if (*ncs == cap) {
				size_t c = cap ? 2 * cap : 256;
				struct cnt *m = realloc(*cs, c * sizeof(*m));

				if (!m) {
					ret = -ENOMEM;
					break;
				}
				*cs = m;
				cap = c;
			}
			(*cs)[(*ncs)++] = (struct cnt){ b0 + b, r, counts[r][b] };
		}
	for (int r = 0; r < 256; r++)
		free(counts[r]);
	return ret;
}

static int print(const struct analyzer_timeline_opts *o, uint64_t bucket, int64_t b0,
		 int64_t nb, const struct cnt *cs, size_t ncs, struct reason *rs, int nrs,
		 FILE *out)
{
	struct analyzer_col cols[3 + 256];
	struct analyzer_out *w = NULL;
	int order[256], pos[256], ret;
	int64_t *row = calloc(nrs ? nrs : 1, sizeof(*row));
	size_t k = 0;

	if (!row)
		return -ENOMEM;
	/* columns in reason-code order; pos[] maps load order to column */
	struct reason sorted[256];
	memcpy(sorted, rs, nrs * sizeof(*rs));
	qsort(sorted, nrs, sizeof(*sorted), by_code);
	for (int i = 0; i < nrs; i++)
		for (int j = 0; j < nrs; j++)
			if (rs[j].code == sorted[i].code) {
				order[i] = j;
				pos[j] = i;
			}
	cols[0] = (struct analyzer_col){ "t_ms", "Time(ms)", 0 };
	cols[1] = (struct analyzer_col){ "t_ns", "t_ns", ANALYZER_COL_MACHINE };
	cols[2] = (struct analyzer_col){ "total", "Total", 0 };
	for (int i = 0; i < nrs; i++) {
		struct reason *r = &rs[order[i]];

		size_t c;

		for (c = 0; c + 1 < sizeof(r->key) && r->name[c]; c++)
			r->key[c] = (char)tolower((unsigned char)r->name[c]);
		r->key[c] = 0;
		cols[3 + i] = (struct analyzer_col){ r->key, r->name, 0 };
	}
	ret = analyzer_out_new(&w, out, o->format, false);
	if (ret)
		goto out;
	if (o->format == ANALYZER_TABLE && o->by_vcpu)
		fprintf(out, "Exits per %g ms bucket per VCPU%s:\n\n", bucket / 1e6,
			o->vcpu < 0 ? "" : " (one VCPU)");
	else if (o->format == ANALYZER_TABLE && o->vcpu < 0)
		fprintf(out, "Exits per %g ms bucket per exit reason, all VCPUs:\n\n",
			bucket / 1e6);
	else if (o->format == ANALYZER_TABLE)
		fprintf(out, "Exits per %g ms bucket per exit reason, VCPU %d:\n\n",
			bucket / 1e6, o->vcpu);
	ret = analyzer_out_columns(w, cols, 3 + nrs);
	for (int64_t b = b0; !ret && b < b0 + nb; b++) {
		int64_t total = 0;

		memset(row, 0, nrs * sizeof(*row));
		for (; k < ncs && cs[k].bucket == b; k++) {
			row[pos[cs[k].reason]] += cs[k].n;
			total += cs[k].n;
		}
		analyzer_out_real(w, (double)(b * (int64_t)bucket) / 1e6, "%.3f");
		analyzer_out_int(w, b * (int64_t)bucket);
		analyzer_out_int(w, total);
		for (int i = 0; i < nrs; i++)
			analyzer_out_int(w, row[i]);
		ret = analyzer_out_row(w);
	}
	if (!ret)
		ret = analyzer_out_end(w);
out:
	analyzer_out_free(w);
	free(row);
	return ret;
}

int analyzer_timeline(sqlite3 *db, const struct analyzer_timeline_opts *o,
		      FILE *out, char *err, size_t errlen)
{
	struct reason rs[256];
	struct cnt *cs = NULL;
	size_t ncs = 0;
	int64_t n = 0, t_min = 0, t_max = 0, b0 = 0, nb = 0;
	uint64_t bucket;
	bool sum = sum_usable(db);
	int nrs = 0, ret;

	ret = range(db, o->vcpu, sum, &n, &t_min, &t_max, err, errlen);
	if (ret)
		return ret;
	if (t_min < 0)
		return analyzer_err(err, errlen, -EINVAL, "negative exits.t_ns in the recording");
	bucket = o->bucket_ns ? o->bucket_ns : auto_bucket(t_min, t_max);
	if (n) {
		b0 = t_min / (int64_t)bucket;
		nb = t_max / (int64_t)bucket - b0 + 1;
		if (nb > MAX_BUCKETS)
			return analyzer_err(err, errlen, -EINVAL,
					    "%lld buckets of %g ms: choose a larger --bucket-ms",
					    (long long)nb, bucket / 1e6);
		ret = load(db, o, sum && bucket % SUM_BUCKET_NS == 0, bucket, b0, nb, &cs, &ncs,
			   rs, &nrs, err, errlen);
	}
	if (!ret)
		ret = print(o, bucket, b0, nb, cs, ncs, rs, nrs, out);
	free(cs);
	return ret;
}
