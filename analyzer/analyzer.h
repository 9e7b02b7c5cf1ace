/*
 * analyzer.h - reports over an exitlog recording: perf-kvm-stat style
 * `stat` (exit, ioport, mmio, blk, device), read-only `sql`, `iopath` (the
 * exits behind every block request) and `timeline`.
 *
 * Every report is a function writing to a FILE * in one of three formats:
 * an aligned table for a terminal, CSV with a header row, or JSON (an
 * array of objects with stable snake_case keys).  The SQL behind each
 * report is a named query in schema/queries/ (compiled in; see
 * store/embedded.h) so users can rerun it in the sqlite3 shell.
 *
 * Errors: functions return 0 or -errno and put one line (no newline, no
 * program prefix) in err.  -EINVAL means bad input (unknown option value,
 * SQL error in the user's query, unknown request id), -EPERM a statement
 * that would write, -ENOMEM/-EIO resource or output failures.
 */
#ifndef EXITLOG_ANALYZER_H
#define EXITLOG_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

enum analyzer_format {
	ANALYZER_TABLE = 0,
	ANALYZER_CSV,
	ANALYZER_JSON,
};

enum analyzer_event {
	ANALYZER_EV_EXIT = 0,
	ANALYZER_EV_IOPORT,
	ANALYZER_EV_MMIO,
	ANALYZER_EV_BLK,
	ANALYZER_EV_DEVICE,
	ANALYZER_EV_KERNEL,     /* kernel-handled exits (analyzer/kernel.c) */
};

enum analyzer_key {
	ANALYZER_KEY_COUNT = 0, /* samples / requests / exits, descending */
	ANALYZER_KEY_TIME,      /* handling time / backend time, descending */
};

enum analyzer_source {
	ANALYZER_SRC_AUTO = 0,  /* summary tables when fresh, else raw tables */
	ANALYZER_SRC_SUMMARY,   /* summary tables; -EINVAL when not fresh */
	ANALYZER_SRC_RAW,       /* always the raw tables */
};

struct analyzer_stat_opts {
	enum analyzer_event event;
	int vcpu;                   /* -1: all vCPUs */
	enum analyzer_key key;
	enum analyzer_format format;
	long top;                   /* > 0: only the first `top` rows */
	bool skip_zero;             /* drop rows without samples */
	enum analyzer_source source;
};

struct analyzer_iopath_opts {
	int64_t request;            /* > 0: the chain of this request only */
	bool summary;               /* csv/json: the per-device summary instead of requests */
	enum analyzer_format format;
	enum analyzer_source source; /* the device exits from sum_devacc or the raw tables */
};

struct analyzer_timeline_opts {
	uint64_t bucket_ns;         /* 0: automatic (at most 50 buckets, 1-2-5 steps) */
	int vcpu;                   /* -1: all vCPUs */
	bool by_vcpu;               /* a column per vCPU instead of per reason */
	enum analyzer_format format;
};

/* Parse "table"/"csv"/"json"; 0 or -EINVAL. */
int analyzer_parse_format(const char *s, enum analyzer_format *out);
/* Parse "exit" (alias "vmexit"), "ioport", "mmio", "blk", "device",
 * "kernel"; 0 or -EINVAL. */
int analyzer_parse_event(const char *s, enum analyzer_event *out);
/* Parse "count"/"sample" or "time"; 0 or -EINVAL. */
int analyzer_parse_key(const char *s, enum analyzer_key *out);
/* Parse "auto"/"summary"/"raw"; 0 or -EINVAL. */
int analyzer_parse_source(const char *s, enum analyzer_source *out);

/*
 * Open a recording read-only (store_open_ro(): missing file, foreign file
 * and newer schema are refused) and create, as TEMP views, the views of
 * schema/exitlog.sql the file lacks.  0 and *db (caller sqlite3_close()s),
 * or -errno with one line in err.
 */
int analyzer_open(const char *path, sqlite3 **db, char *err, size_t errlen);

/*
 * Create as TEMP views the views of the embedded schema/exitlog.sql that
 * `db` does not have (works on read-only connections).  0 or -errno.
 */
int analyzer_views_ensure(sqlite3 *db, char *err, size_t errlen);

/*
 * 1 when the summary tables of schema/summary.sql exist and cover every
 * row of exits, pio and mmio (sum_info max seqs equal the tables'), 0 when
 * they are missing or stale, -errno on a database error.
 */
int analyzer_summary_fresh(sqlite3 *db);

/* `exitlog stat`: one report as described by o.  0 or -errno. */
int analyzer_stat(sqlite3 *db, const struct analyzer_stat_opts *o, FILE *out,
		  char *err, size_t errlen);

/*
 * `exitlog sql`: run `sql` (one or more statements).  Every statement is
 * prepared and checked first; if any is not read-only (sqlite3_stmt_readonly,
 * plus ATTACH/DETACH, which SQLite counts as read-only) nothing runs and
 * -EPERM is returned.  Each statement that yields columns prints one result
 * set (json: one array per result set, one per line).  NULL prints as NULL
 * (json null), blobs as lowercase hex.  0, -EPERM, -EINVAL (SQL error) or
 * -errno.
 */
int analyzer_sql(sqlite3 *db, const char *sql, enum analyzer_format fmt,
		 FILE *out, char *err, size_t errlen);

/* `exitlog iopath`.  0, -EINVAL for an unknown request id, or -errno. */
int analyzer_iopath(sqlite3 *db, const struct analyzer_iopath_opts *o,
		    FILE *out, char *err, size_t errlen);

/* `exitlog timeline`.  0, -EINVAL when the buckets would be too many, or -errno. */
int analyzer_timeline(sqlite3 *db, const struct analyzer_timeline_opts *o,
		      FILE *out, char *err, size_t errlen);

#endif
