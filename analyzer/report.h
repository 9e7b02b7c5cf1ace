/*
 * report.h - the pictures of a recording: `exitlog report` (one
 * self-contained HTML file: inline SVG and CSS, no script, no network),
 * `exitlog plot` (one chart as an SVG file) and `exitlog export --perfetto`
 * (Chrome trace-event JSON for ui.perfetto.dev and chrome://tracing).
 * Errors as in analyzer.h: 0 or -errno with one line in err.
 */
#ifndef EXITLOG_ANALYZER_REPORT_H
#define EXITLOG_ANALYZER_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

enum analyzer_plot {
	ANALYZER_PLOT_LATENCY = 0,  /* handle_ns histograms per reason, log2 buckets */
	ANALYZER_PLOT_TIMELINE,     /* exits per time bucket per reason */
	ANALYZER_PLOT_PORTS,        /* busiest ports and MMIO addresses */
	ANALYZER_PLOT_BLK,          /* IO-path waterfall of the slowest requests */
	ANALYZER_PLOT_DISKS,        /* exits per KiB per disk */
	ANALYZER_PLOT_REASONS,      /* exits and time per reason */
	ANALYZER_PLOT_VCPUS,        /* exits per time bucket per vCPU */
};

/* Parse latency|timeline|ports|blk|disks|reasons|vcpus; 0 or -EINVAL. */
int analyzer_parse_plot(const char *s, enum analyzer_plot *out);

/*
 * The HTML report of db to out.  `name` (e.g. the DB's path) titles it.
 * Shows progress on stderr when it is a terminal (progress.h).
 */
int analyzer_report(sqlite3 *db, const char *name, FILE *out, char *err, size_t errlen);

/* One chart as a standalone SVG document. */
int analyzer_plot(sqlite3 *db, enum analyzer_plot what, FILE *out, char *err, size_t errlen);

/* An export window: seq and/or t_ns bounds, inclusive; -1 = open. */
struct analyzer_window {
	int64_t from_seq, to_seq;
	int64_t from_ns, to_ns;
};

/*
 * Parse a --from/--to value: a seq ("1200") or a time since the start of
 * the recording with a unit ("250us", "1.5ms", "2s", "100ns").  Sets one
 * of *seq / *ns and leaves the other alone.  0 or -EINVAL.
 */
int analyzer_parse_point(const char *s, int64_t *seq, int64_t *ns);

/*
 * `exitlog export --perfetto`: the exits in the window as Chrome
 * trace-event JSON (docs/export.md): one thread track per vCPU with one
 * complete ("X") slice per exit, one process per disk with an async slice
 * per block request and a flow from the issuing exit to the request's
 * backend slice, IRQ level changes as instant events; ts/dur in µs.
 * *nexits (may be NULL) receives the number of exit slices written.
 */
int analyzer_export_perfetto(sqlite3 *db, const struct analyzer_window *w, FILE *out,
			     int64_t *nexits, char *err, size_t errlen);

#endif
