/*
 * internal.h - helpers shared by the analyzer's reports (not for other
 * modules): the table/csv/json writer (output.c) and the named-query and
 * error helpers (db.c).
 */
#ifndef EXITLOG_ANALYZER_INTERNAL_H
#define EXITLOG_ANALYZER_INTERNAL_H

#include <stdarg.h>

#include "analyzer/analyzer.h"

/* Column flags. */
#define ANALYZER_COL_TABLE   1u /* only in the table format */
#define ANALYZER_COL_MACHINE 2u /* only in csv and json */
#define ANALYZER_COL_RIGHT   4u /* table: right-align even text */

struct analyzer_col {
	const char *key;   /* csv header and json key (snake_case) */
	const char *head;  /* table header */
	unsigned flags;
};

struct analyzer_out;

/*
 * A writer of result sets to f in format fmt.  `rule`: in the table
 * format, underline the header with dashes instead of perf's blank line.
 * 0 or -ENOMEM.
 */
int analyzer_out_new(struct analyzer_out **o, FILE *f, enum analyzer_format fmt,
		     bool rule);
/*
 * Start a result set with these columns (copied).  Cells are then given
 * row by row, one per column in order, including the columns the format
 * does not show.  0 or -ENOMEM.
 */
int analyzer_out_columns(struct analyzer_out *o, const struct analyzer_col *cols,
			 int ncols);
/* Cells of the current row.  Errors are remembered and returned later. */
void analyzer_out_int(struct analyzer_out *o, int64_t v);
/* A real; the table shows it with printf format `tfmt` (one double). */
void analyzer_out_real(struct analyzer_out *o, double v, const char *tfmt);
void analyzer_out_text(struct analyzer_out *o, const char *s); /* NULL = null */
void analyzer_out_textf(struct analyzer_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void analyzer_out_null(struct analyzer_out *o);
void analyzer_out_blob(struct analyzer_out *o, const void *p, int n);
/* A cell from column i of a stepped statement, by its storage class. */
void analyzer_out_value(struct analyzer_out *o, sqlite3_stmt *st, int i);
/* End the current row.  0 or the first error so far. */
int analyzer_out_row(struct analyzer_out *o);
/* End the result set (the table format prints it now).  0, -ENOMEM or -EIO. */
int analyzer_out_end(struct analyzer_out *o);
/* How the table format shows NULL (default "NULL"; reports use "-"). */
void analyzer_out_null_text(struct analyzer_out *o, const char *s);
void analyzer_out_free(struct analyzer_out *o);

/* Format one line into err (if errlen); returns ret for `return analyzer_err(...)`. */
int analyzer_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Prepare the named query schema/queries/<name>.sql.  0, or -ENOENT (not
 * embedded) / -EINVAL (SQL error, e.g. a missing table) with err set.
 */
int analyzer_query(sqlite3 *db, const char *name, sqlite3_stmt **st,
		   char *err, size_t errlen);
/* Bind :param to v, or to NULL when is_null; no-op if the query lacks it. */
void analyzer_bind(sqlite3_stmt *st, const char *param, int64_t v, bool is_null);
/* Index of the result column `name`, or -1. */
int analyzer_column(sqlite3_stmt *st, const char *name);
/* Integer value of result column `name` (0 when absent or NULL). */
int64_t analyzer_col_int(sqlite3_stmt *st, const char *name);
/* Real value of result column `name` (0 when absent or NULL). */
double analyzer_col_real(sqlite3_stmt *st, const char *name);
/* Text of result column `name`, NULL when absent or NULL. */
const char *analyzer_col_text(sqlite3_stmt *st, const char *name);
/* Map a sqlite3_step() failure to -errno with err set from the database. */
int analyzer_step_err(sqlite3 *db, char *err, size_t errlen);

/* The perf header: "Analyze events for all VMs, all VCPUs:" or "..., VCPU N:". */
void analyzer_perf_header(FILE *f, const char *what, int vcpu);

/* stat_blk.c: `stat --event blk` (always from blk_requests). */
int analyzer_stat_blk(sqlite3 *db, const struct analyzer_stat_opts *o, FILE *out,
		      char *err, size_t errlen);
/* stat_blk.c: `stat --event device`, from the summary tables when `summary`. */
int analyzer_stat_device(sqlite3 *db, const struct analyzer_stat_opts *o, FILE *out,
			 bool summary, char *err, size_t errlen);

#endif
