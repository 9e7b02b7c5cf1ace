/*
 * iopath.c - `exitlog iopath`: for every block request, the exits that
 * produced it and the time in each layer (guest, exit handling, device
 * model + VMM, block backend), then per device the exits per request and
 * per KiB.  With --request ID, the whole chain of one request.  The
 * attribution rule lives in the views v_iopath_* of schema/exitlog.sql
 * (documented in docs/analyzer.md); this file runs the named queries
 * iopath.sql, iopath_devices.sql and iopath_chain.sql and lays them out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"

/* A report column: from query column `src`, rendered as `kind`:
 * 'v' the value as stored, 'u' ns shown as µs (table), 'f' a real with
 * two decimals, 'k' a real with one decimal. */
struct icol {
	const char *src;
	const char *key;
	const char *head;
	unsigned flags;
	char kind;
};

#define T ANALYZER_COL_TABLE
#define M ANALYZER_COL_MACHINE

static const struct icol req_cols[] = {
	{ "id", "id", "ID", 0, 'v' },
	{ "device", "device", "Device", 0, 'v' },
	{ "op", "op", "Op", 0, 'v' },
	{ "sector", "sector", "Sector", 0, 'v' },
	{ "nsectors", "nsectors", "Sectors", 0, 'v' },
	{ "kib", "kib", "KiB", M, 'v' },
	{ "status", "status", "Status", M, 'v' },
	{ "command", "command", "Cmd", 0, 'v' },
	{ "issue_seq", "issue_seq", "Seq", M, 'v' },
	{ "span", "span", "Span", M, 'v' },
	{ "lead_id", "lead_id", "Lead", M, 'v' },
	{ "span_requests", "span_requests", "Reqs", M, 'v' },
	{ "first_seq", "first_seq", "First", M, 'v' },
	{ "last_seq", "last_seq", "Last", M, 'v' },
	{ "exits", "exits", "Exits", 0, 'v' },
	{ "setup_exits", "setup_exits", "Setup", 0, 'v' },
	{ "command_exits", "command_exits", "Command", 0, 'v' },
	{ "data_exits", "data_exits", "Data", 0, 'v' },
	{ "status_exits", "status_exits", "Status", 0, 'v' },
	{ "notify_exits", "notify_exits", "Notify", 0, 'v' },
	{ "other_exits", "other_exits", "Other", 0, 'v' },
	{ "data_bytes", "data_bytes", "Data bytes", M, 'v' },
	{ "dma_bytes", "dma_bytes", "DMA bytes", M, 'v' },
	{ "irqs", "irqs", "IRQs", 0, 'v' },
	{ "guest_ns", "guest_us", "Guest us", T, 'u' },
	{ "guest_ns", "guest_ns", "Guest", M, 'v' },
	{ "handle_ns", "handle_us", "Handle us", T, 'u' },
	{ "handle_ns", "handle_ns", "Handle", M, 'v' },
	{ "device_ns", "device_us", "Model us", T, 'u' },
	{ "device_ns", "device_ns", "Model", M, 'v' },
	{ "backend_ns", "backend_us", "Backend us", T, 'u' },
	{ "backend_ns", "backend_ns", "Backend", M, 'v' },
	{ "wall_ns", "wall_us", "Wall us", T, 'u' },
	{ "wall_ns", "wall_ns", "Wall", M, 'v' },
};

static const struct icol dev_cols[] = {
	{ "device", "device", "Device", 0, 'v' },
	{ "requests", "requests", "Requests", 0, 'v' },
	{ "kib", "kib", "KiB", 0, 'k' },
	{ "exits", "exits", "Exits", 0, 'v' },
	{ "exits_per_request", "exits_per_request", "Exits/req", 0, 'f' },
	{ "exits_per_kib", "exits_per_kib", "Exits/KiB", 0, 'f' },
	{ "data_exits", "data_exits", "Data", 0, 'v' },
	{ "irqs", "irqs", "IRQs", 0, 'v' },
	{ "guest_ns", "guest_us", "Guest us", T, 'u' },
	{ "guest_ns", "guest_ns", "Guest", M, 'v' },
	{ "handle_ns", "handle_us", "Handle us", T, 'u' },
	{ "handle_ns", "handle_ns", "Handle", M, 'v' },
	{ "device_ns", "device_us", "Model us", T, 'u' },
	{ "device_ns", "device_ns", "Model", M, 'v' },
	{ "backend_ns", "backend_us", "Backend us", T, 'u' },
	{ "backend_ns", "backend_ns", "Backend", M, 'v' },
	{ "other_commands", "other_commands", "No-req cmds", 0, 'v' },
	{ "other_command_codes", "other_command_codes", "Codes", 0, 'v' },
	{ "other_exits", "other_exits", "No-req exits", 0, 'v' },
	{ "other_data_exits", "other_data_exits", "No-req data", M, 'v' },
	{ "pre_exits", "pre_exits", "Pre exits", 0, 'v' },
	{ "device_exits", "device_exits", "Device exits", 0, 'v' },
};

static const struct icol chain_cols[] = {
	{ "seq", "seq", "Seq", 0, 'v' },
	{ "kind", "kind", "Kind", 0, 'v' },
	{ "role", "role", "Role", 0, 'v' },
	{ "vcpu", "vcpu", "vCPU", 0, 'v' },
	{ "t_ns", "t_ns", "t_ns", M, 'v' },
	{ "what", "what", "Access", 0, 'v' },
	{ "register", "register", "Register", 0, 'v' },
	{ "bytes", "bytes", "Bytes", 0, 'v' },
	{ "value", "value", "Value", 0, 'v' },
	{ "guest_ns", "guest_us", "Guest us", T, 'u' },
	{ "guest_ns", "guest_ns", "Guest", M, 'v' },
	{ "handle_ns", "handle_us", "Handle us", T, 'u' },
	{ "handle_ns", "handle_ns", "Handle", M, 'v' },
};

#define NCOLS(a) (int)(sizeof(a) / sizeof((a)[0]))

static void cell(struct analyzer_out *w, sqlite3_stmt *st, const struct icol *c)
{
	int i = analyzer_column(st, c->src);

	if (i < 0 || sqlite3_column_type(st, i) == SQLITE_NULL || c->kind == 'v') {
		if (i < 0)
			analyzer_out_null(w);
		else
			analyzer_out_value(w, st, i);
		return;
	}
	if (c->kind == 'u')
		analyzer_out_real(w, sqlite3_column_double(st, i) / 1000.0, "%.2f");
	else
		analyzer_out_real(w, sqlite3_column_double(st, i), c->kind == 'k' ? "%.1f" : "%.2f");
}

/*
 * Run `st` and print its rows with columns `ic`; *rows gets the row count.
 * `w` is a fresh writer per result set.
 */
static int run(sqlite3 *db, sqlite3_stmt *st, const struct icol *ic, int n,
	       FILE *out, enum analyzer_format fmt, long *rows, char *err, size_t errlen)
{
	struct analyzer_col cols[48];
	struct analyzer_out *w = NULL;
	int rc = SQLITE_DONE, ret;

	for (int i = 0; i < n; i++)
		cols[i] = (struct analyzer_col){ ic[i].key, ic[i].head, ic[i].flags };
	ret = analyzer_out_new(&w, out, fmt, false);
	if (ret)
		return ret;
	analyzer_out_null_text(w, "-");
	*rows = 0;
	ret = analyzer_out_columns(w, cols, n);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			cell(w, st, &ic[i]);
		ret = analyzer_out_row(w);
		(*rows)++;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = analyzer_step_err(db, err, errlen);
	if (!ret)
		ret = analyzer_out_end(w);
	analyzer_out_free(w);
	return ret;
}

static int query_run(sqlite3 *db, const char *name, int64_t request, const struct icol *ic,
		     int n, FILE *out, enum analyzer_format fmt, long *rows,
		     char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = analyzer_query(db, name, &st, err, errlen);

	if (ret)
		return ret;
	analyzer_bind(st, ":request", request, request <= 0);
	ret = run(db, st, ic, n, out, fmt, rows, err, errlen);
	sqlite3_finalize(st);
	return ret;
}

/* The table's header lines for --request: the request and its span. */
static int request_header(sqlite3 *db, int64_t id, FILE *out, bool table,
			  char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int ret = analyzer_query(db, "iopath", &st, err, errlen), rc;

	if (ret)
		return ret;
	analyzer_bind(st, ":request", id, false);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = analyzer_err(err, errlen, -EINVAL, "no block request with id %lld",
				   (long long)id);
	} else if (rc != SQLITE_ROW) {
		ret = analyzer_step_err(db, err, errlen);
	} else if (table) {
		const char *cmd = analyzer_col_text(st, "command");
		int64_t lead = analyzer_col_int(st, "lead_id");

		fprintf(out, "Request %lld: %s %s sector %lld +%lld (%.1f KiB), status %lld, "
			"command %s, span %lld\n", (long long)id, analyzer_col_text(st, "device"),
			analyzer_col_text(st, "op"), (long long)analyzer_col_int(st, "sector"),
			(long long)analyzer_col_int(st, "nsectors"), analyzer_col_real(st, "kib"),
			(long long)analyzer_col_int(st, "status"), cmd ? cmd : "-",
			(long long)analyzer_col_int(st, "span"));
		if (lead && lead != id)
			fprintf(out, "  batched: its span issued %lld requests; the exits are "
				"charged to request %lld\n",
				(long long)analyzer_col_int(st, "span_requests"), (long long)lead);
		fprintf(out, "  %lld exits: %lld setup, %lld command, %lld data, %lld status, "
			"%lld notify, %lld other; %lld IRQ raises\n",
			(long long)analyzer_col_int(st, "exits"),
			(long long)analyzer_col_int(st, "setup_exits"),
			(long long)analyzer_col_int(st, "command_exits"),
			(long long)analyzer_col_int(st, "data_exits"),
			(long long)analyzer_col_int(st, "status_exits"),
			(long long)analyzer_col_int(st, "notify_exits"),
			(long long)analyzer_col_int(st, "other_exits"),
			(long long)analyzer_col_int(st, "irqs"));
		fprintf(out, "  time: guest %.2fus, exit handling %.2fus = device model %.2fus"
			" + block backend %.2fus; wall %.2fus\n\n",
			analyzer_col_int(st, "guest_ns") / 1000.0,
			analyzer_col_int(st, "handle_ns") / 1000.0,
			analyzer_col_int(st, "device_ns") / 1000.0,
			(analyzer_col_int(st, "handle_ns") - analyzer_col_int(st, "device_ns")) / 1000.0,
			analyzer_col_int(st, "wall_ns") / 1000.0);
	}
	sqlite3_finalize(st);
	return ret;
}

int analyzer_iopath(sqlite3 *db, const struct analyzer_iopath_opts *o,
		    FILE *out, char *err, size_t errlen)
{
	bool table = o->format == ANALYZER_TABLE;
	long rows = 0;
	int ret;

	if (o->request > 0) {
		ret = request_header(db, o->request, out, table, err, errlen);
		if (!ret)
			ret = query_run(db, "iopath_chain", o->request, chain_cols,
					NCOLS(chain_cols), out, o->format, &rows, err, errlen);
		return ret;
	}
	if (!table)
		return o->summary
			? query_run(db, "iopath_devices", 0, dev_cols, NCOLS(dev_cols), out,
				    o->format, &rows, err, errlen)
			: query_run(db, "iopath", 0, req_cols, NCOLS(req_cols), out,
				    o->format, &rows, err, errlen);
	if (!o->summary) {
		fprintf(out, "Block requests and the exits behind them (times in us):\n\n");
		ret = query_run(db, "iopath", 0, req_cols, NCOLS(req_cols), out, o->format,
				&rows, err, errlen);
		if (ret)
			return ret;
		fputc('\n', out);
	}
	fprintf(out, "Per device (exits attributed to requests; no-req = commands that "
		"issued no request):\n\n");
	return query_run(db, "iopath_devices", 0, dev_cols, NCOLS(dev_cols), out, o->format,
			 &rows, err, errlen);
}
