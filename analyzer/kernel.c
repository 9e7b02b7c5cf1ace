/*
 * kernel.c - `exitlog stat --event kernel` (see kernel.h): rows from the
 * named query kernel_stat.sql, the footer from kernel_user.sql; the
 * percentages and averages are computed here, the output goes through the
 * analyzer's table/csv/json writer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"
#include "analyzer/kernel.h"

static const struct analyzer_col kernel_cols[] = {
	{ "isa", "ISA", ANALYZER_COL_MACHINE },
	{ "reason", "Reason", ANALYZER_COL_MACHINE },
	{ "name", "VM-EXIT", 0 },
	{ "samples", "Samples", 0 },
	{ "samples_pct", "Samples%", 0 },
	{ "to_user", "To user", 0 },
	{ "user_pct", "User%", 0 },
	{ "time_pct", "Time%", 0 },
	{ "time_ns", "Time", ANALYZER_COL_MACHINE },
	{ "min", "Min Time", ANALYZER_COL_TABLE },
	{ "min_ns", "Min", ANALYZER_COL_MACHINE },
	{ "max", "Max Time", ANALYZER_COL_TABLE },
	{ "max_ns", "Max", ANALYZER_COL_MACHINE },
	{ "avg", "Avg time", ANALYZER_COL_TABLE },
	{ "avg_ns", "Avg", ANALYZER_COL_MACHINE },
	{ "avg_kernel", "Avg kernel", ANALYZER_COL_TABLE },
	{ "avg_kernel_ns", "Avg kernel", ANALYZER_COL_MACHINE },
	{ "user_reasons", "As userspace exit", 0 },
};

#define KERNEL_NCOLS (int)(sizeof(kernel_cols) / sizeof(kernel_cols[0]))

struct krow {
	char *isa, *name, *user_reasons;
	int64_t reason, n, n_user, n_timed, kernel_n;
	double time_sum, kernel_sum;
	int64_t time_min, time_max;
};

struct kset {
	struct krow *rows;
	size_t n, cap;
	int64_t tot_n, tot_user;
	double tot_time;
};

static void kernel_free(struct kset *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->rows[i].isa);
		free(k->rows[i].name);
		free(k->rows[i].user_reasons);
	}
	free(k->rows);
}

static char *kernel_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int kernel_load(sqlite3 *db, sqlite3_stmt *st, struct kset *k, char *err, size_t errlen)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct krow *r;

		if (k->n == k->cap) {
			size_t cap = k->cap ? 2 * k->cap : 32;
			struct krow *p = realloc(k->rows, cap * sizeof(*p));

			if (!p)
				return analyzer_err(err, errlen, -ENOMEM, "out of memory");
			k->rows = p;
			k->cap = cap;
		}
		r = &k->rows[k->n++];
		memset(r, 0, sizeof(*r));
		r->isa = kernel_dup(analyzer_col_text(st, "isa"));
		r->name = kernel_dup(analyzer_col_text(st, "name"));
		r->user_reasons = kernel_dup(analyzer_col_text(st, "user_reasons"));
		r->reason = analyzer_col_int(st, "reason");
		r->n = analyzer_col_int(st, "n");
		r->n_user = analyzer_col_int(st, "n_user");
		r->n_timed = analyzer_col_int(st, "n_timed");
		r->time_sum = analyzer_col_real(st, "time_sum");
		r->time_min = analyzer_col_int(st, "time_min");
		r->time_max = analyzer_col_int(st, "time_max");
		r->kernel_n = analyzer_col_int(st, "kernel_n");
		r->kernel_sum = analyzer_col_real(st, "kernel_sum");
		k->tot_n += r->n;
		k->tot_user += r->n_user;
		k->tot_time += r->time_sum;
	}
	return rc == SQLITE_DONE ? 0 : analyzer_step_err(db, err, errlen);
}

static double kernel_pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0.0;
}

/* A time cell pair (table: us, machine: ns), null when nothing was timed. */
static void kernel_time(struct analyzer_out *w, bool have, double ns)
{
	if (have) {
		analyzer_out_real(w, ns / 1000.0, "%.2fus");
		analyzer_out_real(w, ns, NULL);
	} else {
		analyzer_out_null(w);
		analyzer_out_null(w);
	}
}

static void kernel_cells(struct analyzer_out *w, const struct kset *k, const struct krow *r)
{
	bool timed = r->n_timed > 0;

	analyzer_out_text(w, r->isa);
	analyzer_out_int(w, r->reason);
	analyzer_out_text(w, r->name);
	analyzer_out_int(w, r->n);
	analyzer_out_real(w, kernel_pct(r->n, k->tot_n), "%.2f%%");
	analyzer_out_int(w, r->n_user);
	analyzer_out_real(w, kernel_pct(r->n_user, r->n), "%.2f%%");
	analyzer_out_real(w, kernel_pct(r->time_sum, k->tot_time), "%.2f%%");
	analyzer_out_int(w, (int64_t)r->time_sum);
	kernel_time(w, timed, (double)r->time_min);
	kernel_time(w, timed, (double)r->time_max);
	kernel_time(w, timed, timed ? r->time_sum / r->n_timed : 0);
	kernel_time(w, r->kernel_n > 0, r->kernel_n ? r->kernel_sum / r->kernel_n : 0);
	analyzer_out_text(w, r->user_reasons);
}

/* 1 when `table` exists in the main schema, 0 when not, -errno on error. */
static int kernel_has_table(sqlite3 *db, const char *table)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

static int kernel_footer(sqlite3 *db, FILE *out, const struct kset *k, int vcpu,
			 char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int64_t user = 0, matched = 0, returns = 0;
	int rc;

	rc = analyzer_query(db, "kernel_user", &st, err, errlen);
	if (rc)
		return rc;
	analyzer_bind(st, ":vcpu", vcpu, vcpu < 0);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		user = analyzer_col_int(st, "user_exits");
		matched = analyzer_col_int(st, "matched");
		returns = analyzer_col_int(st, "returns");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return analyzer_step_err(db, err, errlen);
	fprintf(out, "\nTotal Samples:%lld (to userspace: %lld, %.2f%%), "
		"Total events handled time:%.2fus.\n",
		(long long)k->tot_n, (long long)k->tot_user,
		kernel_pct(k->tot_user, k->tot_n), k->tot_time / 1000.0);
	if (user)
		fprintf(out, "Userspace exits recorded: %lld, with their kernel exit: %lld.\n",
			(long long)user, (long long)matched);
	else
		fprintf(out, "Returns of KVM_RUN to the VMM (kvm_userspace_exit): %lld.\n",
			(long long)returns);
	return 0;
}

int analyzer_report_kernel(sqlite3 *db, FILE *out, enum analyzer_format format, int vcpu,
			   char *err, size_t errlen)
{
	struct analyzer_out *w = NULL;
	sqlite3_stmt *st = NULL;
	struct kset k = { 0 };
	int rc;

	rc = kernel_has_table(db, "kernel_userspace");
	if (rc < 0)
		return analyzer_step_err(db, err, errlen);
	if (!rc)
		return analyzer_err(err, errlen, -EINVAL,
				    "no kernel-side exits in this database (record with --ktrace, "
				    "or 'exitlog import' a trace-cmd trace.dat)");
	rc = analyzer_query(db, "kernel_stat", &st, err, errlen);
	if (rc)
		return rc;
	analyzer_bind(st, ":vcpu", vcpu, vcpu < 0);
	rc = kernel_load(db, st, &k, err, errlen);
	sqlite3_finalize(st);
	if (rc)
		goto out;
	rc = analyzer_out_new(&w, out, format, false);
	if (rc) {
		analyzer_err(err, errlen, rc, "out of memory");
		goto out;
	}
	analyzer_out_null_text(w, "-");
	if (format == ANALYZER_TABLE)
		analyzer_perf_header(out, "kernel exits", vcpu);
	rc = analyzer_out_columns(w, kernel_cols, KERNEL_NCOLS);
	for (size_t i = 0; !rc && i < k.n; i++) {
		kernel_cells(w, &k, &k.rows[i]);
		rc = analyzer_out_row(w);
	}
	if (!rc)
		rc = analyzer_out_end(w);
	if (rc) {
		analyzer_err(err, errlen, rc, "writing the report: %s", strerror(-rc));
		goto out;
	}
	if (format == ANALYZER_TABLE)
		rc = kernel_footer(db, out, &k, vcpu, err, errlen);
out:
	analyzer_out_free(w);
	kernel_free(&k);
	return rc;
}
