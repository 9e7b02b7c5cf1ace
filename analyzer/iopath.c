/*
 * iopath.c - `exitlog iopath`: for every block request, the exits that
 * produced it and the time in each layer (guest, exit handling, device
 * model + VMM, block backend), then per device the exits per request and
 * per KiB.  With --request ID, the whole chain of one request (named query
 * iopath_chain.sql).  The attribution comes from iopath_core.c; the views
 * v_iopath / v_iopath_spans and the named queries iopath.sql /
 * iopath_devices.sql give the same rows in SQL (csv columns match).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"
#include "analyzer/iopath.h"

#define T ANALYZER_COL_TABLE
#define M ANALYZER_COL_MACHINE
#define NCOLS(a) (int)(sizeof(a) / sizeof((a)[0]))

static const struct analyzer_col req_cols[] = {
	{ "id", "ID", 0 }, { "device", "Device", 0 }, { "op", "Op", 0 },
	{ "sector", "Sector", 0 }, { "nsectors", "Sectors", 0 }, { "kib", "KiB", M },
	{ "status", "Status", M }, { "issue_seq", "Seq", M }, { "span", "Span", M },
	{ "lead_id", "Lead", M }, { "span_requests", "Reqs", M }, { "command", "Cmd", 0 },
	{ "first_seq", "First", M }, { "last_seq", "Last", M }, { "exits", "Exits", 0 },
	{ "setup_exits", "Setup", 0 }, { "command_exits", "Command", 0 },
	{ "data_exits", "Data", 0 }, { "status_exits", "Status", 0 },
	{ "notify_exits", "Notify", 0 }, { "other_exits", "Other", 0 },
	{ "data_bytes", "Data bytes", M }, { "dma_bytes", "DMA bytes", M },
	{ "irqs", "IRQs", 0 },
	{ "guest_us", "Guest us", T }, { "guest_ns", "Guest", M },
	{ "handle_us", "Handle us", T }, { "handle_ns", "Handle", M },
	{ "device_us", "Model us", T }, { "device_ns", "Model", M },
	{ "backend_us", "Backend us", T }, { "backend_ns", "Backend", M },
	{ "wall_us", "Wall us", T }, { "wall_ns", "Wall", M },
	{ "done_seq", "Done", M }, { "done_us", "Issue-done us", T }, { "done_ns", "Issue-done", M },
	{ "exits_between", "Exits between", 0 },
};

static const struct analyzer_col dev_cols[] = {
	{ "device", "Device", 0 }, { "requests", "Requests", 0 }, { "kib", "KiB", 0 },
	{ "exits", "Exits", 0 }, { "exits_per_request", "Exits/req", 0 },
	{ "exits_per_kib", "Exits/KiB", 0 }, { "data_exits", "Data", 0 },
	{ "irqs", "IRQs", 0 },
	{ "guest_us", "Guest us", T }, { "guest_ns", "Guest", M },
	{ "handle_us", "Handle us", T }, { "handle_ns", "Handle", M },
	{ "device_us", "Model us", T }, { "device_ns", "Model", M },
	{ "backend_us", "Backend us", T }, { "backend_ns", "Backend", M },
	{ "other_commands", "No-req cmds", 0 }, { "other_command_codes", "Codes", 0 },
	{ "other_exits", "No-req exits", 0 }, { "other_data_exits", "No-req data", M },
	{ "pre_exits", "Pre exits", 0 }, { "device_exits", "Device exits", 0 },
};

static const struct analyzer_col chain_cols[] = {
	{ "seq", "Seq", 0 }, { "kind", "Kind", 0 }, { "role", "Role", 0 },
	{ "vcpu", "vCPU", 0 }, { "t_ns", "t_ns", M }, { "what", "Access", 0 },
	{ "register", "Register", 0 }, { "bytes", "Bytes", 0 }, { "value", "Value", 0 },
	{ "guest_ns", "Guest us", T }, { "guest_ns", "Guest", M },
	{ "handle_ns", "Handle us", T }, { "handle_ns", "Handle", M },
};

/* A time: µs in the table, ns in csv/json. */
static void time_cells(struct analyzer_out *w, int64_t ns)
{
	analyzer_out_real(w, ns / 1000.0, "%.2f");
	analyzer_out_int(w, ns);
}

static void req_row(struct analyzer_out *w, const struct iopath_data *d,
		    const struct iopath_req *r)
{
	const struct iopath_span *s = &d->devs[r->dev].spans[r->span];
	bool in = r->span > 0, lead = in && s->lead_id == r->id;
	int64_t model = lead && s->handle_ns > s->backend_ns ? s->handle_ns - s->backend_ns : 0;

	analyzer_out_int(w, r->id);
	analyzer_out_text(w, d->devs[r->dev].name);
	analyzer_out_text(w, r->op);
	analyzer_out_int(w, r->sector);
	analyzer_out_int(w, r->nsectors);
	/* KiB in double: a corrupt row's nsectors must not overflow */
	analyzer_out_real(w, r->nsectors / 2.0, NULL);
	analyzer_out_int(w, r->status);
	analyzer_out_int(w, r->seq);
	analyzer_out_int(w, (int64_t)r->span);
	if (in)
		analyzer_out_int(w, s->lead_id);
	else
		analyzer_out_null(w);
	analyzer_out_int(w, in ? s->requests : 0);
	analyzer_out_text(w, in ? s->command : NULL);
	if (lead) {
		analyzer_out_int(w, s->first_seq);
		analyzer_out_int(w, s->last_seq);
	} else {
		analyzer_out_null(w);
		analyzer_out_null(w);
	}
	analyzer_out_int(w, lead ? s->exits : 0);
	for (int i = 0; i < IOPATH_NROLES; i++)
		analyzer_out_int(w, lead ? s->role[i] : 0);
	analyzer_out_int(w, lead ? s->data_bytes : 0);
	analyzer_out_int(w, lead ? s->dma_bytes : 0);
	analyzer_out_int(w, lead ? s->irqs : 0);
	time_cells(w, lead ? s->guest_ns : 0);
	time_cells(w, lead ? s->handle_ns : 0);
	time_cells(w, model);
	time_cells(w, r->latency_ns);
	time_cells(w, lead ? s->t_end - s->t_min : 0);
	analyzer_out_int(w, r->done_seq);
	time_cells(w, r->done_ns);
	analyzer_out_int(w, r->exits_between);
}

/* Distinct command codes of spans without requests, sorted, comma-joined. */
static void codes(const struct iopath_dev *v, char *buf, size_t len)
{
	char last[8] = "";

	buf[0] = 0;
	for (;;) {
		const char *best = NULL;

		for (size_t i = 1; i < v->nspans; i++) {
			const char *c = v->spans[i].command;

			if (!v->spans[i].requests && strcmp(c, last) > 0 &&
			    (!best || strcmp(c, best) < 0))
				best = c;
		}
		if (!best || strlen(buf) + strlen(best) + 2 > len)
			return;
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, best);
		snprintf(last, sizeof(last), "%s", best);
	}
}

static void dev_row(struct analyzer_out *w, const struct iopath_data *d, int i)
{
	const struct iopath_dev *v = &d->devs[i];
	int64_t req = 0, backend = 0, ex = 0, data = 0, irqs = 0, guest = 0;
	int64_t handle = 0, model = 0, ocmd = 0, oex = 0, odata = 0, all = 0;
	char cs[256];
	double kib = 0;

	for (size_t k = 0; k < d->nreqs; k++)
		if (d->reqs[k].dev == i) {
			req++;
			kib += d->reqs[k].nsectors / 2.0;
			backend += d->reqs[k].latency_ns;
		}
	for (size_t k = 0; k < v->nspans; k++) {
		const struct iopath_span *s = &v->spans[k];

		all += s->exits;
		if (k > 0 && s->requests) {
			ex += s->exits;
			data += s->role[IOPATH_DATA];
			irqs += s->irqs;
			guest += s->guest_ns;
			handle += s->handle_ns;
			model += s->handle_ns > s->backend_ns ? s->handle_ns - s->backend_ns : 0;
			continue;
		}
		odata += s->role[IOPATH_DATA];
		if (k > 0) {
			ocmd++;
			oex += s->exits;
		}
	}
	codes(v, cs, sizeof(cs));
	analyzer_out_text(w, v->name);
	analyzer_out_int(w, req);
	analyzer_out_real(w, kib, "%.1f");
	analyzer_out_int(w, ex);
	if (req)
		analyzer_out_real(w, (double)ex / req, "%.2f");
	else
		analyzer_out_null(w);
	if (kib > 0)
		analyzer_out_real(w, ex / kib, "%.2f");
	else
		analyzer_out_null(w);
	analyzer_out_int(w, data);
	analyzer_out_int(w, irqs);
	time_cells(w, guest);
	time_cells(w, handle);
	time_cells(w, model);
	time_cells(w, backend);
	analyzer_out_int(w, ocmd);
	analyzer_out_text(w, cs[0] ? cs : NULL);
	analyzer_out_int(w, oex);
	analyzer_out_int(w, odata);
	analyzer_out_int(w, v->spans[0].exits);
	analyzer_out_int(w, all);
}

static int print_set(FILE *out, enum analyzer_format fmt, const struct iopath_data *d,
		     bool devices)
{
	struct analyzer_out *w = NULL;
	int ret = analyzer_out_new(&w, out, fmt, false);

	if (ret)
		return ret;
	analyzer_out_null_text(w, "-");
	ret = devices ? analyzer_out_columns(w, dev_cols, NCOLS(dev_cols))
		      : analyzer_out_columns(w, req_cols, NCOLS(req_cols));
	if (devices)
		for (int i = 0; !ret && i < d->ndevs; i++) {
			dev_row(w, d, i);
			ret = analyzer_out_row(w);
		}
	else
		for (size_t k = 0; !ret && k < d->nreqs; k++) {
			req_row(w, d, &d->reqs[k]);
			ret = analyzer_out_row(w);
		}
	if (!ret)
		ret = analyzer_out_end(w);
	analyzer_out_free(w);
	return ret;
}

/* --request: header lines (table) and the chain of the request's span. */
static int chain(sqlite3 *db, const struct iopath_data *d, int64_t id, FILE *out,
		 enum analyzer_format fmt, char *err, size_t errlen)
{
	const struct iopath_req *r = NULL;
	const struct iopath_span *s;
	struct analyzer_out *w = NULL;
	sqlite3_stmt *st = NULL;
	int ret, rc = SQLITE_DONE;

	for (size_t k = 0; k < d->nreqs && !r; k++)
		if (d->reqs[k].id == id)
			r = &d->reqs[k];
	if (!r)
		return analyzer_err(err, errlen, -EINVAL, "no block request with id %lld",
				    (long long)id);
	s = &d->devs[r->dev].spans[r->span];
	if (fmt == ANALYZER_TABLE) {
		int64_t model = s->handle_ns > s->backend_ns ? s->handle_ns - s->backend_ns : 0;

		fprintf(out, "Request %lld: %s %s sector %lld +%lld (%.1f KiB), status %lld, "
			"command %s, span %zu\n", (long long)id, d->devs[r->dev].name, r->op,
			(long long)r->sector, (long long)r->nsectors, r->nsectors / 2.0,
			(long long)r->status, r->span ? s->command : "-", r->span);
		if (r->span && s->lead_id != id)
			fprintf(out, "  batched: its span issued %lld requests; the exits are "
				"charged to request %lld\n", (long long)s->requests,
				(long long)s->lead_id);
		fprintf(out, "  %lld exits: %lld setup, %lld command, %lld data, %lld status, "
			"%lld notify, %lld other; %lld IRQ raises\n", (long long)s->exits,
			(long long)s->role[IOPATH_SETUP], (long long)s->role[IOPATH_COMMAND],
			(long long)s->role[IOPATH_DATA], (long long)s->role[IOPATH_STATUS],
			(long long)s->role[IOPATH_NOTIFY], (long long)s->role[IOPATH_OTHER],
			(long long)s->irqs);
		fprintf(out, "  time: guest %.2fus, exit handling %.2fus (device model + VMM "
			"%.2fus, block backend %.2fus), wall %.2fus\n\n", s->guest_ns / 1000.0,
			s->handle_ns / 1000.0, model / 1000.0, s->backend_ns / 1000.0,
			(s->t_end - s->t_min) / 1000.0);
	}
	ret = analyzer_query(db, "iopath_chain", &st, err, errlen);
	if (ret)
		return ret;
	sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":device"), d->devs[r->dev].name,
			  -1, SQLITE_STATIC);
	analyzer_bind(st, ":first_seq", r->span ? s->first_seq : 0, false);
	analyzer_bind(st, ":end_seq", s->end_seq, s->end_seq == INT64_MAX);
	ret = analyzer_out_new(&w, out, fmt, false);
	if (!ret) {
		analyzer_out_null_text(w, "-");
		ret = analyzer_out_columns(w, chain_cols, NCOLS(chain_cols));
	}
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < NCOLS(chain_cols); i++) {
			int c = analyzer_column(st, chain_cols[i].key);

			if (chain_cols[i].flags & T && sqlite3_column_type(st, c) != SQLITE_NULL)
				analyzer_out_real(w, sqlite3_column_double(st, c) / 1000.0, "%.2f");
			else
				analyzer_out_value(w, st, c);
		}
		ret = analyzer_out_row(w);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = analyzer_step_err(db, err, errlen);
	if (!ret)
		ret = analyzer_out_end(w);
	analyzer_out_free(w);
	sqlite3_finalize(st);
	return ret;
}

int analyzer_iopath(sqlite3 *db, const struct analyzer_iopath_opts *o,
		    FILE *out, char *err, size_t errlen)
{
	struct iopath_data d;
	int ret = analyzer_iopath_build_src(db, o->source, &d, err, errlen);

	if (ret)
		goto out;
	if (o->request > 0) {
		ret = chain(db, &d, o->request, out, o->format, err, errlen);
		goto out;
	}
	if (o->format != ANALYZER_TABLE) {
		ret = print_set(out, o->format, &d, o->summary);
		goto out;
	}
	if (!o->summary) {
		fprintf(out, "Block requests and the exits behind them (times in us):\n\n");
		ret = print_set(out, o->format, &d, false);
		if (ret)
			goto out;
		fputc('\n', out);
	}
	fprintf(out, "Per device (exits attributed to requests; no-req = commands that "
		"issued no request; pre = before the first command):\n\n");
	ret = print_set(out, o->format, &d, true);
out:
	analyzer_iopath_free(&d);
	return ret;
}
