/*
 * report.c - `exitlog report`: one self-contained HTML page about a
 * recording, and `exitlog plot`: one of its charts alone.  The page holds
 * inline CSS and inline SVG (plot.c) only: no script, no font, no image
 * file, no network; a Content-Security-Policy meta tag forbids anything
 * else, so a browser shows exactly what the file holds.  Sections: the
 * recording (meta, disks, end reason, lost events), exits by reason,
 * ports and MMIO, latency histograms, timelines, block IO, and the
 * kernel-handled exits when the recording has them.  Every string
 * from the database is escaped (svg_escape()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"
#include "analyzer/kernel.h"
#include "analyzer/plot.h"
#include "analyzer/report.h"
#include "analyzer/svg.h"

static const char *const plot_names[] = {
	"latency", "timeline", "ports", "blk", "disks", "reasons", "vcpus",
};

int analyzer_parse_plot(const char *s, enum analyzer_plot *out)
{
	for (size_t i = 0; s && i < sizeof(plot_names) / sizeof(plot_names[0]); i++)
		if (!strcmp(s, plot_names[i])) {
			*out = (enum analyzer_plot)i;
			return 0;
		}
	return -EINVAL;
}

static const char css[] =
	"body{font-family:sans-serif;margin:24px auto;max-width:820px;color:#222;background:#fff}"
	"h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;border-bottom:1px solid #ccc;"
	"padding-bottom:3px;margin-top:32px}p.sub{color:#555;margin-top:0}"
	"table{border-collapse:collapse;font-size:12px;margin:8px 0}"
	"td,th{border-bottom:1px solid #eee;padding:2px 8px;text-align:left}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}"
	"pre{font-size:11px;overflow-x:auto}svg{display:block;margin:6px 0}.warn{color:#b00}nav a{margin-right:10px}"
	"code{font-size:12px}";

static void td(FILE *f, const char *s)
{
	fputs("<td>", f);
	svg_escape(f, s ? s : "-");
	fputs("</td>", f);
}

static void tdn(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tdn(FILE *f, const char *fmt, ...)
{
	char b[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	fputs("<td class=\"n\">", f);
	svg_escape(f, b);
	fputs("</td>", f);
}

static char *meta_get(sqlite3 *db, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;

	buf[0] = 0;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf[0] ? buf : NULL;
}

static int section_meta(FILE *f, sqlite3 *db, const struct plotdata *d, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char b[256], c[32];
	long long logged;
	int rc;

	fputs("<h2 id=\"meta\">The recording</h2>\n<table>\n", f);
	fputs("<tr><th>what</th><th>value</th></tr>\n<tr><td>end reason</td>", f);
	td(f, meta_get(db, "end_reason", b, sizeof(b)));
	fputs("</tr>\n<tr><td>end message</td>", f);
	td(f, meta_get(db, "end_message", b, sizeof(b)));
	fputs("</tr>\n", f);
	/* Lost events: exits the run loop counted but the database lacks, and
	 * the kernel trace's own count when there is one. */
	logged = meta_get(db, "exit_count", b, sizeof(b)) ? atoll(b) : d->nexits;
	fprintf(f, "<tr><td>lost exits (meta exit_count - rows)</td><td class=\"n%s\">%lld</td></tr>\n",
		logged > d->nexits ? " warn" : "", logged > d->nexits ? logged - d->nexits : 0);
	fputs("<tr><td>lost kernel trace events</td>", f);
	td(f, meta_get(db, "ktrace.lost_events", b, sizeof(b)) ? b : "no kernel trace (record --ktrace)");
	fputs("</tr>\n", f);
	fprintf(f, "<tr><td>exits</td><td class=\"n\">%lld</td></tr>\n", (long long)d->nexits);
	fprintf(f, "<tr><td>duration</td><td class=\"n\">%s</td></tr>\n",
		svg_ns(c, sizeof(c), (double)(d->t_max - d->t_min)));
	fprintf(f, "<tr><td>block requests</td><td class=\"n\">%lld</td></tr>\n", (long long)d->nreq);
	fputs("</table>\n<table>\n<tr><th>meta key</th><th>value</th></tr>\n", f);
	if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta ORDER BY key", -1, &st, NULL) != SQLITE_OK)
		return analyzer_step_err(db, err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);

		fputs("<tr>", f);
		td(f, k);
		fputs("<td><code>", f);
		svg_escape(f, v ? v : "NULL");
		fputs("</code></td></tr>\n", f);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return analyzer_step_err(db, err, errlen);
	fputs("</table>\n<table>\n<tr><th>disk</th><th>device</th><th>kind</th><th>path</th>"
	      "<th>sectors</th><th>initial sha256</th><th>final sha256</th></tr>\n", f);
	if (sqlite3_prepare_v2(db, "SELECT idx, device, kind, path, sectors, substr(initial_sha256,1,16),"
			       " substr(final_sha256,1,16), initial_sha256 IS NOT final_sha256"
			       " FROM disks ORDER BY idx", -1, &st, NULL) != SQLITE_OK)
		return analyzer_step_err(db, err, errlen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fputs("<tr>", f);
		tdn(f, "%lld", (long long)sqlite3_column_int64(st, 0));
		for (int i = 1; i < 4; i++)
			td(f, (const char *)sqlite3_column_text(st, i));
		tdn(f, "%lld", (long long)sqlite3_column_int64(st, 4));
		td(f, (const char *)sqlite3_column_text(st, 5));
		td(f, (const char *)sqlite3_column_text(st, 6));
		fputs(sqlite3_column_int(st, 7) ? "<td>changed</td></tr>\n" : "<td>unchanged</td></tr>\n", f);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return analyzer_step_err(db, err, errlen);
	fputs("</table>\n", f);
	return 0;
}

static void section_reasons(FILE *f, const struct plotdata *d)
{
	char a[32], b[32], c[32];
	int64_t tot_h = 0;

	fputs("<h2 id=\"reasons\">Exits by reason</h2>\n", f);
	plot_reasons(f, d, 0);
	for (int i = 0; i < d->nr; i++)
		tot_h += d->r[i].hsum;
	fputs("<table>\n<tr><th>reason</th><th>exits</th><th>%</th><th>handling time</th>"
	      "<th>%</th><th>avg</th><th>max</th></tr>\n", f);
	for (int i = 0; i < d->nr; i++) {
		const struct pd_reason *r = &d->r[i];

		if (!r->n)
			continue;
		fputs("<tr>", f);
		td(f, r->name);
		tdn(f, "%lld", (long long)r->n);
		tdn(f, "%.2f", d->nexits ? 100.0 * r->n / d->nexits : 0);
		tdn(f, "%s", svg_ns(a, sizeof(a), (double)r->hsum));
		tdn(f, "%.2f", tot_h ? 100.0 * r->hsum / tot_h : 0);
		tdn(f, "%s", svg_ns(b, sizeof(b), (double)r->hsum / r->n));
		tdn(f, "%s", svg_ns(c, sizeof(c), (double)r->hmax));
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void key_rows(FILE *f, const char *space, const struct pd_key *k, int n)
{
	char a[32];

	for (int i = 0; i < n; i++) {
		fputs("<tr>", f);
		td(f, space);
		td(f, k[i].key);
		td(f, k[i].label);
		tdn(f, "%lld", (long long)k[i].n);
		tdn(f, "%lld", (long long)k[i].bytes);
		tdn(f, "%s", svg_ns(a, sizeof(a), (double)k[i].hsum));
		fputs("</tr>\n", f);
	}
}

static void section_ports(FILE *f, const struct plotdata *d)
{
	fputs("<h2 id=\"ports\">Top ports and MMIO addresses</h2>\n", f);
	plot_ports(f, d, 0);
	fputs("<table>\n<tr><th>space</th><th>address</th><th>register</th><th>exits</th>"
	      "<th>bytes</th><th>handling time</th></tr>\n", f);
	key_rows(f, "pio", d->ports, d->nports);
	key_rows(f, "mmio", d->mmio, d->nmmio);
	fputs("</table>\n", f);
}

static void section_blk(FILE *f, const struct plotdata *d)
{
	fputs("<h2 id=\"blk\">Block requests</h2>\n", f);
	fputs("<p class=\"sub\">The IO path of the slowest requests, from the first setup write of "
	      "the command to its last exit: exits by register role, the guest running between "
	      "them, the block backend's time and the IRQ raises.</p>\n", f);
	plot_waterfall(f, d, 0);
	fputs("<p class=\"sub\">Exits per KiB: how many exits each disk's requests cost "
	      "(PIO IDE moves data through the data register; virtio-blk by DMA).</p>\n", f);
	plot_disks(f, d, 0);
	fputs("<table>\n<tr><th>device</th><th>requests</th><th>KiB</th><th>exits</th>"
	      "<th>data exits</th><th>exits/KiB</th></tr>\n", f);
	for (int i = 0; i < d->ndisks; i++) {
		const struct pd_disk *k = &d->disks[i];

		fputs("<tr>", f);
		td(f, k->dev);
		tdn(f, "%lld", (long long)k->requests);
		tdn(f, "%.1f", k->kib);
		tdn(f, "%lld", (long long)k->exits);
		tdn(f, "%lld", (long long)k->data_exits);
		tdn(f, "%.2f", k->kib > 0 ? k->exits / k->kib : 0);
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* With record --ktrace or import: `stat --event kernel` as preformatted text. */
static int section_kernel(FILE *f, sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int n = 0, ret;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM kernel_exits", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (n <= 0)
		return 0;
	m = open_memstream(&buf, &len);
	if (!m)
		return -ENOMEM;
	ret = analyzer_report_kernel(db, m, ANALYZER_TABLE, -1, err, errlen);
	fclose(m);
	fputs("<h2 id=\"kernel\">Kernel-handled exits</h2>\n<p class=\"sub\">The exits KVM "
	      "handled in the kernel (kvm tracepoints), as <code>exitlog stat --event "
	      "kernel</code> shows them.</p>\n<pre>", f);
	if (ret)        /* e.g. a file without the other ktrace tables: say so, go on */
		svg_escapef(f, "(cannot show them: %s)", err);
	else
		svg_escape(f, buf);
	fputs("</pre>\n", f);
	free(buf);
	if (errlen)
		err[0] = 0;
	return ret == -ENOMEM ? ret : 0;
}

int analyzer_report(sqlite3 *db, const char *name, FILE *out, char *err, size_t errlen)
{
	struct plotdata *d = calloc(1, sizeof(*d));
	char g[512];
	int ret;

	if (!d)
		return -ENOMEM;
	ret = plotdata_load(db, d, "exitlog report", err, errlen);
	if (ret)
		goto out;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<title>exitlog report: ", out);
	svg_escape(out, name);
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>exitlog report: ", css);
	svg_escape(out, name);
	fputs("</h1>\n<p class=\"sub\">guest <code>", out);
	svg_escape(out, meta_get(db, "guest", g, sizeof(g)) ? g : "?");
	fputs("</code>, recorded ", out);
	svg_escape(out, meta_get(db, "started_at", g, sizeof(g)) ? g : "?");
	fputs(" by exitlog ", out);
	svg_escape(out, meta_get(db, "tool_version", g, sizeof(g)) ? g : "?");
	fputs("</p>\n<nav><a href=\"#meta\">recording</a><a href=\"#reasons\">reasons</a>"
	      "<a href=\"#ports\">ports</a><a href=\"#latency\">latency</a>"
	      "<a href=\"#timeline\">timeline</a><a href=\"#blk\">block IO</a></nav>\n", out);
	ret = section_meta(out, db, d, err, errlen);
	if (ret)
		goto out;
	section_reasons(out, d);
	section_ports(out, d);
	fputs("<h2 id=\"latency\">Exit handling latency</h2>\n<p class=\"sub\">handle_ns per "
	      "reason, in power-of-two buckets (log scale).</p>\n", out);
	plot_latency(out, d, 0);
	fputs("<h2 id=\"timeline\">Timeline</h2>\n", out);
	plot_timeline(out, d, 0);
	if (d->nvcpu > 1)
		plot_timeline_vcpu(out, d, 0);
	section_blk(out, d);
	ret = section_kernel(out, db, err, errlen);
	if (ret)
		goto out;
	fputs("<p class=\"sub\">Generated by <code>exitlog report</code>; the numbers come from "
	      "the tables and named queries documented in docs/analyzer.md.</p>\n</body>\n</html>\n", out);
	if (fflush(out) || ferror(out))
		ret = analyzer_err(err, errlen, -EIO, "cannot write the report: %s", strerror(errno));
out:
	plotdata_free(d);
	free(d);
	return ret;
}

int analyzer_plot(sqlite3 *db, enum analyzer_plot what, FILE *out, char *err, size_t errlen)
{
	static void (*const fns[])(FILE *, const struct plotdata *, int) = {
		[ANALYZER_PLOT_LATENCY] = plot_latency, [ANALYZER_PLOT_TIMELINE] = plot_timeline,
		[ANALYZER_PLOT_PORTS] = plot_ports, [ANALYZER_PLOT_BLK] = plot_waterfall,
		[ANALYZER_PLOT_DISKS] = plot_disks, [ANALYZER_PLOT_REASONS] = plot_reasons,
		[ANALYZER_PLOT_VCPUS] = plot_timeline_vcpu,
	};
	struct plotdata *d;
	int ret;

	if ((unsigned)what >= sizeof(fns) / sizeof(fns[0]))
		return analyzer_err(err, errlen, -EINVAL, "unknown chart %d", (int)what);
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = plotdata_load(db, d, "exitlog plot", err, errlen);
	if (!ret) {
		fns[what](out, d, 1);
		if (fflush(out) || ferror(out))
			ret = analyzer_err(err, errlen, -EIO, "cannot write the chart: %s", strerror(errno));
	}
	plotdata_free(d);
	free(d);
	return ret;
}
