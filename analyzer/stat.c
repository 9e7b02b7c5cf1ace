/*
 * stat.c - `exitlog stat --event exit|ioport|mmio`: the perf-kvm-stat
 * report.  Per key (exit reason, port+direction, address+direction):
 * Samples, Samples%, Time% (of all exit-handling time, handle_ns), Min,
 * Max and Avg handling time with perf's "+-" (the standard error of the
 * mean relative to the mean), guest time, bytes.  Rows come from the
 * named queries stat_<event>.sql (summary tables) or stat_<event>_raw.sql;
 * sorting, --top and --skip-zero happen here.  blk and device reports are
 * in stat_blk.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"
#include "analyzer/kernel.h"

struct trow {
	int64_t code;      /* reason, port or gpa */
	int is_write;
	char *name;        /* exit: reason name */
	char *device;
	char *reg;
	int64_t n, bytes, hsum, hmin, hmax, gsum;
	double hsq;
	int64_t sortval;
	size_t idx;
};

struct tset {
	struct trow *rows;
	size_t n, cap;
	int64_t tot_n, tot_h, tot_g;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void tset_free(struct tset *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].name);
		free(t->rows[i].device);
		free(t->rows[i].reg);
	}
	free(t->rows);
}

static int tset_load(sqlite3 *db, sqlite3_stmt *st, enum analyzer_event ev,
		     struct tset *t, char *err, size_t errlen)
{
	const char *codecol = ev == ANALYZER_EV_EXIT ? "reason" :
			      ev == ANALYZER_EV_IOPORT ? "port" : "gpa";
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct trow *r;

		if (t->n == t->cap) {
			size_t cap = t->cap ? 2 * t->cap : 64;
			struct trow *n = realloc(t->rows, cap * sizeof(*n));

			if (!n)
				return -ENOMEM;
			t->rows = n;
			t->cap = cap;
		}
		r = &t->rows[t->n];
		memset(r, 0, sizeof(*r));
		r->idx = t->n++;
		r->code = analyzer_col_int(st, codecol);
		r->is_write = (int)analyzer_col_int(st, "is_write");
		r->name = dup_or_null(analyzer_col_text(st, "name"));
		r->device = dup_or_null(analyzer_col_text(st, "device"));
		r->reg = dup_or_null(analyzer_col_text(st, "register"));
		r->n = analyzer_col_int(st, "n");
		r->bytes = analyzer_col_int(st, "bytes");
		r->hsum = analyzer_col_int(st, "handle_sum");
		r->hmin = analyzer_col_int(st, "handle_min");
		r->hmax = analyzer_col_int(st, "handle_max");
		r->hsq = analyzer_col_real(st, "handle_sumsq");
		r->gsum = analyzer_col_int(st, "guest_sum");
		t->tot_n += r->n;
		t->tot_h += r->hsum;
		t->tot_g += r->gsum;
	}
	return rc == SQLITE_DONE ? 0 : analyzer_step_err(db, err, errlen);
}

static int by_sortval(const void *a, const void *b)
{
	const struct trow *x = a, *y = b;

	if (x->sortval != y->sortval)
		return x->sortval > y->sortval ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0.0;
}

/* Square root by Newton's method (the build links no libm). */
static double root(double x)
{
	double r = x > 1 ? x : 1;

	if (!(x > 0))
		return 0;
	for (int i = 0; i < 200; i++) {
		double n = 0.5 * (r + x / r);

		if (n >= r)
			break;
		r = n;
	}
	return r;
}

/* perf's "+-": standard error of the mean, relative to the mean, in %. */
static double rel_stderr(const struct trow *r)
{
	double mean, var;

	if (r->n < 2 || r->hsum <= 0)
		return 0.0;
	mean = (double)r->hsum / r->n;
	var = (r->hsq - r->n * mean * mean) / (r->n - 1);
	if (var < 0)
		var = 0;
	return 100.0 * root(var / r->n) / mean;
}

static const struct analyzer_col exit_lead[] = {
	{ "reason", "Reason", ANALYZER_COL_MACHINE },
	{ "name", "VM-EXIT", 0 },
};
static const struct analyzer_col ioport_lead[] = {
	{ "key", "IO Port Access", 0 },
	{ "port", "Port", ANALYZER_COL_MACHINE },
	{ "direction", "Dir", ANALYZER_COL_MACHINE },
	{ "device", "Device", ANALYZER_COL_MACHINE },
	{ "register", "Register", ANALYZER_COL_MACHINE },
	{ "label", "Register", ANALYZER_COL_TABLE },
};
static const struct analyzer_col mmio_lead[] = {
	{ "key", "MMIO Access", 0 },
	{ "gpa", "Address", ANALYZER_COL_MACHINE },
	{ "direction", "Dir", ANALYZER_COL_MACHINE },
	{ "device", "Device", ANALYZER_COL_MACHINE },
	{ "register", "Register", ANALYZER_COL_MACHINE },
	{ "label", "Register", ANALYZER_COL_TABLE },
};
static const struct analyzer_col common[] = {
	{ "samples", "Samples", 0 },
	{ "samples_pct", "Samples%", 0 },
	{ "time_pct", "Time%", 0 },
	{ "time_ns", "Time", ANALYZER_COL_MACHINE },
	{ "min", "Min Time", ANALYZER_COL_TABLE },
	{ "min_ns", "Min", ANALYZER_COL_MACHINE },
	{ "max", "Max Time", ANALYZER_COL_TABLE },
	{ "max_ns", "Max", ANALYZER_COL_MACHINE },
	{ "avg", "Avg time", ANALYZER_COL_TABLE | ANALYZER_COL_RIGHT },
	{ "avg_ns", "Avg", ANALYZER_COL_MACHINE },
	{ "stddev_pct", "Stddev%", ANALYZER_COL_MACHINE },
	{ "guest_pct", "Guest%", 0 },
	{ "guest_ns", "Guest", ANALYZER_COL_MACHINE },
	{ "avg_guest", "Avg guest", ANALYZER_COL_TABLE },
	{ "avg_guest_ns", "Avg guest", ANALYZER_COL_MACHINE },
	{ "bytes", "Bytes", 0 },
};

#define NCOMMON (int)(sizeof(common) / sizeof(common[0]))

static void lead_cells(struct analyzer_out *w, enum analyzer_event ev, const struct trow *r)
{
	const char *dir;

	if (ev == ANALYZER_EV_EXIT) {
		analyzer_out_int(w, r->code);
		analyzer_out_text(w, r->name);
		return;
	}
	if (ev == ANALYZER_EV_IOPORT) {
		dir = r->is_write ? "OUT" : "IN";
		analyzer_out_textf(w, "0x%llx:%s", (long long)r->code, r->is_write ? "POUT" : "PIN");
	} else {
		dir = r->is_write ? "W" : "R";
		analyzer_out_textf(w, "0x%llx:%s", (long long)r->code, dir);
	}
	analyzer_out_int(w, r->code);
	analyzer_out_text(w, dir);
	analyzer_out_text(w, r->device);
	analyzer_out_text(w, r->reg);
	if (r->device && r->reg)
		analyzer_out_textf(w, "%s.%s", r->device, r->reg);
	else
		analyzer_out_text(w, r->device ? r->device : "-");
}

static void common_cells(struct analyzer_out *w, const struct tset *t, const struct trow *r,
			 bool bytes)
{
	double avg = r->n ? (double)r->hsum / r->n : 0;
	double gavg = r->n ? (double)r->gsum / r->n : 0;
	double se = rel_stderr(r);

	analyzer_out_int(w, r->n);
	analyzer_out_real(w, pct(r->n, t->tot_n), "%.2f%%");
	analyzer_out_real(w, pct(r->hsum, t->tot_h), "%.2f%%");
	analyzer_out_int(w, r->hsum);
	analyzer_out_real(w, r->hmin / 1000.0, "%.2fus");
	analyzer_out_int(w, r->hmin);
	analyzer_out_real(w, r->hmax / 1000.0, "%.2fus");
	analyzer_out_int(w, r->hmax);
	analyzer_out_textf(w, "%.2fus ( +- %6.2f%% )", avg / 1000.0, se);
	analyzer_out_real(w, avg, NULL);
	analyzer_out_real(w, se, NULL);
	analyzer_out_real(w, pct(r->gsum, t->tot_g), "%.2f%%");
	analyzer_out_int(w, r->gsum);
	analyzer_out_real(w, gavg / 1000.0, "%.2fus");
	analyzer_out_real(w, gavg, NULL);
	if (bytes)
		analyzer_out_int(w, r->bytes);
}

static int print_timed(const struct analyzer_stat_opts *o, struct tset *t, FILE *out)
{
	const struct analyzer_col *lead = o->event == ANALYZER_EV_EXIT ? exit_lead :
					  o->event == ANALYZER_EV_IOPORT ? ioport_lead : mmio_lead;
	int nlead = o->event == ANALYZER_EV_EXIT ? 2 : 6;
	struct analyzer_col cols[8 + NCOMMON];
	struct analyzer_out *w = NULL;
	int ncols = 0, ret;
	long shown = 0;

	memcpy(cols, lead, nlead * sizeof(*cols));
	ncols = nlead;
	for (int i = 0; i < NCOMMON; i++) {
		if (o->event == ANALYZER_EV_EXIT && !strcmp(common[i].key, "bytes"))
			continue;
		cols[ncols++] = common[i];
	}
	for (size_t i = 0; i < t->n; i++)
		t->rows[i].sortval = o->key == ANALYZER_KEY_TIME ? t->rows[i].hsum : t->rows[i].n;
	if (t->n) /* rows is NULL for an empty table: qsort() must not see it */
		qsort(t->rows, t->n, sizeof(*t->rows), by_sortval);

	ret = analyzer_out_new(&w, out, o->format, false);
	if (ret)
		return ret;
	if (o->format == ANALYZER_TABLE)
		analyzer_perf_header(out, "events", o->vcpu);
	ret = analyzer_out_columns(w, cols, ncols);
	for (size_t i = 0; !ret && i < t->n; i++) {
		const struct trow *r = &t->rows[i];

		/* perf kvm stat lists only the reasons that occur: so does the
		 * exit table (csv/json keep every reason; docs/analyzer.md). */
		if (!r->n && (o->skip_zero || (o->event == ANALYZER_EV_EXIT &&
					       o->format == ANALYZER_TABLE)))
			continue;
		if (o->top > 0 && shown >= o->top)
			break;
		shown++;
		lead_cells(w, o->event, r);
		common_cells(w, t, r, o->event != ANALYZER_EV_EXIT);
		ret = analyzer_out_row(w);
	}
	if (!ret)
		ret = analyzer_out_end(w);
	if (!ret && o->format == ANALYZER_TABLE)
		fprintf(out, "\nTotal Samples:%lld, Total events handled time:%.2fus.\n",
			(long long)t->tot_n, t->tot_h / 1000.0);
	analyzer_out_free(w);
	return ret;
}

/*
 * The exit table's per-VCPU breakdown (table format, all VCPUs, a recording
 * of more than one VCPU): samples and handling time of each VCPU, from
 * sum_exits when it is fresh, else from exits.
 */
static int print_vcpus(sqlite3 *db, bool summary, FILE *out, char *err, size_t errlen)
{
	const char *sql = summary ?
		"SELECT vcpu, sum(n), total(handle_sum) FROM sum_exits GROUP BY vcpu ORDER BY vcpu" :
		"SELECT vcpu, count(*), total(handle_ns) FROM exits GROUP BY vcpu ORDER BY vcpu";
	int64_t vc[64], n[64], tot_n = 0;
	double h[64], tot_h = 0;
	sqlite3_stmt *st = NULL;
	int k = 0, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return analyzer_step_err(db, err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && k < 64) {
		vc[k] = sqlite3_column_int64(st, 0);
		n[k] = sqlite3_column_int64(st, 1);
		h[k] = sqlite3_column_double(st, 2);
		tot_n += n[k];
		tot_h += h[k];
		k++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return analyzer_step_err(db, err, errlen);
	if (k < 2)
		return 0;
	fprintf(out, "\nPer VCPU:\n\n%6s %10s %9s %9s\n\n", "VCPU", "Samples", "Samples%", "Time%");
	for (int i = 0; i < k; i++)
		fprintf(out, "%6lld %10lld %8.2f%% %8.2f%%\n", (long long)vc[i], (long long)n[i],
			tot_n ? 100.0 * (double)n[i] / (double)tot_n : 0.0,
			tot_h > 0 ? 100.0 * h[i] / tot_h : 0.0);
	return 0;
}

static int stat_timed(sqlite3 *db, const struct analyzer_stat_opts *o, FILE *out,
		      bool summary, char *err, size_t errlen)
{
	static const char *const names[][2] = {
		[ANALYZER_EV_EXIT] = { "stat_exit", "stat_exit_raw" },
		[ANALYZER_EV_IOPORT] = { "stat_ioport", "stat_ioport_raw" },
		[ANALYZER_EV_MMIO] = { "stat_mmio", "stat_mmio_raw" },
	};
	struct tset t = { 0 };
	sqlite3_stmt *st = NULL;
	int ret;

	ret = analyzer_query(db, names[o->event][summary ? 0 : 1], &st, err, errlen);
	if (ret)
		return ret;
	analyzer_bind(st, ":vcpu", o->vcpu, o->vcpu < 0);
	ret = tset_load(db, st, o->event, &t, err, errlen);
	sqlite3_finalize(st);
	if (!ret)
		ret = print_timed(o, &t, out);
	if (!ret && o->event == ANALYZER_EV_EXIT && o->format == ANALYZER_TABLE && o->vcpu < 0)
		ret = print_vcpus(db, summary, out, err, errlen);
	tset_free(&t);
	return ret;
}

int analyzer_stat(sqlite3 *db, const struct analyzer_stat_opts *o, FILE *out,
		  char *err, size_t errlen)
{
	bool summary = false;
	int fresh;

	if (o->event < ANALYZER_EV_EXIT || o->event > ANALYZER_EV_KERNEL)
		return analyzer_err(err, errlen, -EINVAL, "unknown event %d", (int)o->event);
	if (o->event == ANALYZER_EV_KERNEL)
		return analyzer_report_kernel(db, out, o->format, o->vcpu, err, errlen);
	if (o->source != ANALYZER_SRC_RAW && o->event != ANALYZER_EV_BLK) {
		fresh = analyzer_summary_fresh(db);
		if (fresh < 0)
			return analyzer_step_err(db, err, errlen);
		if (!fresh && o->source == ANALYZER_SRC_SUMMARY)
			return analyzer_err(err, errlen, -EINVAL,
					    "the summary tables are missing or stale "
					    "(run schema/summary.sql, or use --source raw)");
		summary = fresh;
	}
	switch (o->event) {
	case ANALYZER_EV_BLK:
		return analyzer_stat_blk(db, o, out, err, errlen);
	case ANALYZER_EV_DEVICE:
		return analyzer_stat_device(db, o, out, summary, err, errlen);
	default:
		return stat_timed(db, o, out, summary, err, errlen);
	}
}
