/*
 * stat_blk.c - `exitlog stat --event blk` (block requests per device and
 * op: count, errors, sectors, bytes, backend latency min/avg/max/p99) and
 * `--event device` (per device model: exits claimed, handling and guest
 * time, bytes, block requests, IRQ raises).  Rows come from the named
 * queries stat_blk.sql and stat_device[_raw].sql.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"

struct brow {
	char *device, *op, *kind;
	bool timed_null;
	int64_t requests, errors, sectors, bytes, timed, lmin, lmax, lsum, p99;
	int64_t qd_max;
	double qd_mean;
	bool qd_null;
	int64_t exits, pio, mmio, hsum, gsum, blk_bytes, irqs;
	int64_t sortval;
	size_t idx;
};

struct bset {
	struct brow *rows;
	size_t n, cap;
};

static void bset_free(struct bset *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->rows[i].device);
		free(b->rows[i].op);
		free(b->rows[i].kind);
	}
	free(b->rows);
}

static struct brow *bset_add(struct bset *b)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 32;
		struct brow *n = realloc(b->rows, cap * sizeof(*n));

		if (!n)
			return NULL;
		b->rows = n;
		b->cap = cap;
	}
	memset(&b->rows[b->n], 0, sizeof(b->rows[b->n]));
	b->rows[b->n].idx = b->n;
	return &b->rows[b->n++];
}

static char *dup_col(sqlite3_stmt *st, const char *name, bool *oom)
{
	const char *s = analyzer_col_text(st, name);
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*oom = true;
	return d;
}

static int by_sortval(const void *a, const void *b)
{
	const struct brow *x = a, *y = b;

	if (x->sortval != y->sortval)
		return x->sortval > y->sortval ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Run a stat query and load its rows. */
static int load(sqlite3 *db, const char *query, const struct analyzer_stat_opts *o,
		struct bset *b, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	bool oom = false;
	int rc, ret;

	ret = analyzer_query(db, query, &st, err, errlen);
	if (ret)
		return ret;
	analyzer_bind(st, ":vcpu", o->vcpu, o->vcpu < 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct brow *r = bset_add(b);

		if (!r) {
			oom = true;
			break;
		}
		r->device = dup_col(st, "device", &oom);
		r->op = dup_col(st, "op", &oom);
		r->kind = dup_col(st, "kind", &oom);
		r->requests = analyzer_col_int(st, "requests");
		r->errors = analyzer_col_int(st, "errors");
		r->sectors = analyzer_col_int(st, "sectors");
		r->bytes = analyzer_col_int(st, "bytes");
		r->timed = analyzer_col_int(st, "timed");
		r->lmin = analyzer_col_int(st, "lat_min_ns");
		r->lmax = analyzer_col_int(st, "lat_max_ns");
		r->lsum = analyzer_col_int(st, "lat_sum_ns");
		r->p99 = analyzer_col_int(st, "p99_ns");
		r->qd_max = analyzer_col_int(st, "qd_max");
		r->qd_mean = analyzer_col_real(st, "qd_mean");
		r->qd_null = analyzer_column(st, "qd_max") < 0 ||
			     sqlite3_column_type(st, analyzer_column(st, "qd_max")) == SQLITE_NULL;
		r->exits = analyzer_col_int(st, "n");
		r->pio = analyzer_col_int(st, "pio_n");
		r->mmio = analyzer_col_int(st, "mmio_n");
		r->hsum = analyzer_col_int(st, "handle_sum");
		r->gsum = analyzer_col_int(st, "guest_sum");
		r->blk_bytes = analyzer_col_int(st, "blk_bytes");
		r->irqs = analyzer_col_int(st, "irqs");
	}
	if (oom)
		ret = -ENOMEM;
	else if (rc != SQLITE_DONE)
		ret = analyzer_step_err(db, err, errlen);
	sqlite3_finalize(st);
	return ret;
}

static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0.0;
}

/* Latency cell pair: table µs or "-", machine ns or null. */
static void lat_cells(struct analyzer_out *w, bool have, double ns)
{
	if (have) {
		analyzer_out_real(w, ns / 1000.0, "%.2fus");
		analyzer_out_real(w, ns, "%.0f");
	} else {
		analyzer_out_text(w, "-");
		analyzer_out_null(w);
	}
}

static const struct analyzer_col blk_cols[] = {
	{ "device", "Device", 0 },
	{ "op", "Op", 0 },
	{ "requests", "Requests", 0 },
	{ "errors", "Errors", 0 },
	{ "sectors", "Sectors", 0 },
	{ "kib", "KiB", ANALYZER_COL_TABLE },
	{ "bytes", "Bytes", ANALYZER_COL_MACHINE },
	{ "time_pct", "Time%", 0 },
	{ "timed", "Timed", ANALYZER_COL_MACHINE },
	{ "min", "Min lat", ANALYZER_COL_TABLE | ANALYZER_COL_RIGHT },
	{ "lat_min_ns", "Min", ANALYZER_COL_MACHINE },
	{ "avg", "Avg lat", ANALYZER_COL_TABLE | ANALYZER_COL_RIGHT },
	{ "lat_avg_ns", "Avg", ANALYZER_COL_MACHINE },
	{ "max", "Max lat", ANALYZER_COL_TABLE | ANALYZER_COL_RIGHT },
	{ "lat_max_ns", "Max", ANALYZER_COL_MACHINE },
	{ "p99", "p99 lat", ANALYZER_COL_TABLE | ANALYZER_COL_RIGHT },
	{ "lat_p99_ns", "p99", ANALYZER_COL_MACHINE },
	{ "lat_sum_ns", "Total", ANALYZER_COL_MACHINE },
	{ "qd_max", "QD max", ANALYZER_COL_RIGHT },
	{ "qd_mean", "QD mean", ANALYZER_COL_RIGHT },
};

static const struct analyzer_col dev_cols[] = {
	{ "device", "Device", 0 },
	{ "kind", "Kind", 0 },
	{ "exits", "Exits", 0 },
	{ "exits_pct", "Exits%", 0 },
	{ "pio_exits", "PIO", 0 },
	{ "mmio_exits", "MMIO", 0 },
	{ "time_pct", "Time%", 0 },
	{ "time", "Time", ANALYZER_COL_TABLE },
	{ "time_ns", "Time", ANALYZER_COL_MACHINE },
	{ "avg", "Avg time", ANALYZER_COL_TABLE },
	{ "avg_ns", "Avg", ANALYZER_COL_MACHINE },
	{ "guest", "Guest time", ANALYZER_COL_TABLE },
	{ "guest_ns", "Guest", ANALYZER_COL_MACHINE },
	{ "bytes", "Bytes", 0 },
	{ "requests", "Requests", 0 },
	{ "blk_kib", "Blk KiB", ANALYZER_COL_TABLE },
	{ "blk_bytes", "Blk bytes", ANALYZER_COL_MACHINE },
	{ "irqs", "IRQs", 0 },
};

#define NCOLS(a) (int)(sizeof(a) / sizeof((a)[0]))

static void blk_row(struct analyzer_out *w, const struct brow *r, int64_t tot_lat)
{
	bool t = r->timed > 0;

	analyzer_out_text(w, r->device);
	analyzer_out_text(w, r->op);
	analyzer_out_int(w, r->requests);
	analyzer_out_int(w, r->errors);
	analyzer_out_int(w, r->sectors);
	analyzer_out_real(w, r->bytes / 1024.0, "%.1f");
	analyzer_out_int(w, r->bytes);
	analyzer_out_real(w, pct(r->lsum, tot_lat), "%.2f%%");
	analyzer_out_int(w, r->timed);
	lat_cells(w, t, r->lmin);
	lat_cells(w, t, t ? (double)r->lsum / r->timed : 0);
	lat_cells(w, t, r->lmax);
	lat_cells(w, t, r->p99);
	analyzer_out_int(w, r->lsum);
	if (r->qd_null) {
		analyzer_out_null(w);
		analyzer_out_null(w);
	} else {
		analyzer_out_int(w, r->qd_max);
		analyzer_out_real(w, r->qd_mean, "%.2f");
	}
}

static void dev_row(struct analyzer_out *w, const struct brow *r, int64_t tot_n,
		    int64_t tot_h, bool table)
{
	double avg = r->exits ? (double)r->hsum / r->exits : 0;

	/* device NULL: accesses no device claimed */
	if (r->device)
		analyzer_out_text(w, r->device);
	else
		analyzer_out_text(w, table ? "(unclaimed)" : NULL);
	analyzer_out_text(w, r->kind ? r->kind : table ? "-" : NULL);
	analyzer_out_int(w, r->exits);
	analyzer_out_real(w, pct(r->exits, tot_n), "%.2f%%");
	analyzer_out_int(w, r->pio);
	analyzer_out_int(w, r->mmio);
	analyzer_out_real(w, pct(r->hsum, tot_h), "%.2f%%");
	analyzer_out_real(w, r->hsum / 1000.0, "%.2fus");
	analyzer_out_int(w, r->hsum);
	analyzer_out_real(w, avg / 1000.0, "%.2fus");
	analyzer_out_real(w, avg, NULL);
	analyzer_out_real(w, r->gsum / 1000.0, "%.2fus");
	analyzer_out_int(w, r->gsum);
	analyzer_out_int(w, r->bytes);
	analyzer_out_int(w, r->requests);
	analyzer_out_real(w, r->blk_bytes / 1024.0, "%.1f");
	analyzer_out_int(w, r->blk_bytes);
	analyzer_out_int(w, r->irqs);
}

static int report(const struct analyzer_stat_opts *o, struct bset *b, FILE *out)
{
	bool blk = o->event == ANALYZER_EV_BLK;
	struct analyzer_out *w = NULL;
	int64_t tot_n = 0, tot_h = 0, tot_b = 0;
	long shown = 0;
	int ret;

	for (size_t i = 0; i < b->n; i++) {
		struct brow *r = &b->rows[i];

		tot_n += blk ? r->requests : r->exits;
		tot_h += blk ? r->lsum : r->hsum;
		tot_b += blk ? r->bytes : r->blk_bytes;
		if (o->key == ANALYZER_KEY_TIME)
			r->sortval = blk ? r->lsum : r->hsum;
		else
			r->sortval = blk ? r->requests : r->exits;
	}
	if (b->n) /* rows is NULL for an empty table: qsort() must not see it */
		qsort(b->rows, b->n, sizeof(*b->rows), by_sortval);
	ret = analyzer_out_new(&w, out, o->format, false);
	if (ret)
		return ret;
	if (o->format == ANALYZER_TABLE)
		analyzer_perf_header(out, blk ? "block requests" : "device exits", o->vcpu);
	ret = blk ? analyzer_out_columns(w, blk_cols, NCOLS(blk_cols))
		  : analyzer_out_columns(w, dev_cols, NCOLS(dev_cols));
	for (size_t i = 0; !ret && i < b->n; i++) {
		const struct brow *r = &b->rows[i];
		bool zero = blk ? !r->requests : !r->exits && !r->requests && !r->irqs;

		if (o->skip_zero && zero)
			continue;
		if (o->top > 0 && shown >= o->top)
			break;
		shown++;
		if (blk)
			blk_row(w, r, tot_h);
		else
			dev_row(w, r, tot_n, tot_h, o->format == ANALYZER_TABLE);
		ret = analyzer_out_row(w);
	}
	if (!ret)
		ret = analyzer_out_end(w);
	if (!ret && o->format == ANALYZER_TABLE && blk)
		fprintf(out, "\nTotal requests:%lld, Total bytes:%lld, Total backend time:%.2fus.\n",
			(long long)tot_n, (long long)tot_b, tot_h / 1000.0);
	else if (!ret && o->format == ANALYZER_TABLE)
		fprintf(out, "\nTotal device exits:%lld, Total device handled time:%.2fus.\n",
			(long long)tot_n, tot_h / 1000.0);
	analyzer_out_free(w);
	return ret;
}

int analyzer_stat_blk(sqlite3 *db, const struct analyzer_stat_opts *o, FILE *out,
		      char *err, size_t errlen)
{
	struct bset b = { 0 };
	int ret = load(db, "stat_blk", o, &b, err, errlen);

	if (!ret)
		ret = report(o, &b, out);
	bset_free(&b);
	return ret;
}

int analyzer_stat_device(sqlite3 *db, const struct analyzer_stat_opts *o, FILE *out,
			 bool summary, char *err, size_t errlen)
{
	struct bset b = { 0 };
	int ret = load(db, summary ? "stat_device" : "stat_device_raw", o, &b, err, errlen);

	if (!ret)
		ret = report(o, &b, out);
	bset_free(&b);
	return ret;
}
