/*
 * plot.c - the charts of the report and of `exitlog plot`, drawn as SVG
 * from a loaded struct plotdata: exits by reason (count and time), the
 * busiest ports and MMIO addresses, latency histograms on a log2 scale,
 * the timeline per reason and per vCPU, the IO-path waterfall of the
 * slowest block requests and the exits-per-KiB comparison of the disks.
 * A chart with nothing to show still draws its frame and says so.
 */
#include <string.h>

/* Labels and tooltips are cut to their buffers on purpose (gcc's warning;
 * clang, which builds the fuzz targets, has no such group). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include "analyzer/plot.h"
#include "analyzer/svg.h"

#define W 760
#define NOTE "#666"

static void empty_note(FILE *f, int h, const char *what)
{
	svg_textf(f, W / 2.0, h / 2.0, "middle", 13, "(no %s in this recording)", what);
}

/* Horizontal bars: labels on the left, value text at the bar's end. */
static void hbars(FILE *f, double x0, double y0, double wmax, int n, const char *const *labels,
		  const double *vals, const char *const *texts, const char *const *tips,
		  const char *const *colors)
{
	double max = 0;

	for (int i = 0; i < n; i++)
		if (vals[i] > max)
			max = vals[i];
	for (int i = 0; i < n; i++) {
		double y = y0 + i * 20, w = max > 0 ? wmax * vals[i] / max : 0;

		if (labels)
			svg_text(f, x0 - 6, y + 13, "end", 11, labels[i]);
		svg_rect(f, x0, y + 2, w < 1 && vals[i] > 0 ? 1 : w, 14, colors[i], tips[i]);
		svg_text(f, x0 + w + 4, y + 13, "start", 10, texts[i]);
	}
}

void plot_reasons(FILE *f, const struct plotdata *d, int standalone)
{
	int n = 0, h;
	const char *labels[PD_MAXR], *ctext[PD_MAXR], *ttext[PD_MAXR], *tips[PD_MAXR], *cols[PD_MAXR];
	char cb[PD_MAXR][32], tb[PD_MAXR][48], tip[PD_MAXR][128];
	double cv[PD_MAXR], tv[PD_MAXR];
	int64_t tot_n = 0, tot_h = 0;
	int order[PD_MAXR];

	for (int i = 0; i < d->nr; i++) {
		tot_n += d->r[i].n;
		tot_h += d->r[i].hsum;
		if (d->r[i].n)
			order[n++] = i;
	}
	for (int a = 0; a < n; a++)     /* most exits first */
		for (int b = a + 1; b < n; b++)
			if (d->r[order[b]].n > d->r[order[a]].n) {
				int t = order[a];

				order[a] = order[b], order[b] = t;
			}
	h = 50 + (n ? n : 2) * 20;
	svg_open(f, W, h, "Exits by reason: count and handling time", standalone);
	svg_text(f, 140, 18, "start", 12, "exits");
	svg_text(f, 470, 18, "start", 12, "time handling them (handle_ns)");
	for (int k = 0; k < n; k++) {
		const struct pd_reason *r = &d->r[order[k]];
		char t1[24], t2[24];

		labels[k] = r->name;
		cols[k] = svg_color((int)(r->code < 0 ? 63 : r->code));
		cv[k] = (double)r->n;
		tv[k] = (double)r->hsum;
		snprintf(cb[k], sizeof(cb[k]), "%s (%.1f%%)", svg_count(t1, sizeof(t1), r->n),
			 tot_n ? 100.0 * r->n / tot_n : 0);
		snprintf(tb[k], sizeof(tb[k]), "%s (%.1f%%)", svg_ns(t2, sizeof(t2), r->hsum),
			 tot_h ? 100.0 * r->hsum / tot_h : 0);
		snprintf(tip[k], sizeof(tip[k]), "%s: %lld exits, %s handling", r->name,
			 (long long)r->n, t2);
		ctext[k] = cb[k];
		ttext[k] = tb[k];
		tips[k] = tip[k];
	}
	if (!n)
		empty_note(f, h, "exits");
	hbars(f, 140, 28, 200, n, labels, cv, ctext, tips, cols);
	hbars(f, 470, 28, 180, n, NULL, tv, ttext, tips, cols);
	svg_close(f);
}

void plot_ports(FILE *f, const struct plotdata *d, int standalone)
{
	const char *labels[2 * PD_TOP], *texts[2 * PD_TOP], *tips[2 * PD_TOP], *cols[2 * PD_TOP];
	char lb[2 * PD_TOP][150], tb[2 * PD_TOP][64], tip[2 * PD_TOP][200];
	double v[2 * PD_TOP];
	int n = 0, h;

	for (int s = 0; s < 2; s++) {
		const struct pd_key *k = s ? d->mmio : d->ports;
		int m = s ? d->nmmio : d->nports;

		for (int i = 0; i < m; i++, n++) {
			char c[24], t[24];

			snprintf(lb[n], sizeof(lb[n]), "%s %s  %s", s ? "MMIO" : "port", k[i].key,
				 k[i].label);
			snprintf(tb[n], sizeof(tb[n]), "%s exits, %s", svg_count(c, sizeof(c), k[i].n),
				 svg_ns(t, sizeof(t), k[i].hsum));
			snprintf(tip[n], sizeof(tip[n]), "%s %s (%s): %lld exits, %lld bytes, %s handling",
				 s ? "MMIO" : "port", k[i].key, k[i].label, (long long)k[i].n,
				 (long long)k[i].bytes, t);
			labels[n] = lb[n];
			texts[n] = tb[n];
			tips[n] = tip[n];
			cols[n] = s ? "#f28e2b" : "#4e79a7";
			v[n] = (double)k[i].n;
		}
	}
	h = 40 + (n ? n : 2) * 20;
	svg_open(f, W, h, "Busiest IO ports and MMIO addresses (exits)", standalone);
	svg_text(f, 300, 16, "start", 12, "exits per port / MMIO address and direction, with the register");
	if (!n)
		empty_note(f, h, "port or MMIO exits");
	hbars(f, 300, 22, 300, n, labels, v, texts, tips, cols);
	svg_close(f);
}

/* Axis label of log2 bin b: its lower bound 2^b ns. */
static const char *bin_label(char *b, size_t len, int bin)
{
	return svg_ns(b, len, (double)((int64_t)1 << bin));
}

void plot_latency(FILE *f, const struct plotdata *d, int standalone)
{
	int idx[PD_MAXR], n = 0, lo = PD_HBINS, hi = 0, h, pw = 340, ph = 120;

	for (int i = 0; i < d->nr; i++) {
		if (!d->r[i].n)
			continue;
		idx[n++] = i;
		for (int b = 0; b < PD_HBINS; b++)
			if (d->r[i].hist[b]) {
				if (b < lo)
					lo = b;
				if (b > hi)
					hi = b;
			}
	}
	if (n > 8)
		n = 8;
	h = 20 + ((n ? n : 1) + 1) / 2 * (ph + 50);
	svg_open(f, W, h, "Exit handling latency per reason (log2 buckets of handle_ns)", standalone);
	if (!n) {
		empty_note(f, h, "exits");
		svg_close(f);
		return;
	}
	for (int k = 0; k < n; k++) {
		const struct pd_reason *r = &d->r[idx[k]];
		double x0 = 40 + (k % 2) * (pw + 40), y0 = 30 + (k / 2) * (ph + 50);
		int nb = hi - lo + 1;
		double bw = (double)(pw - 10) / nb, max = 0;
		char lab[24], tip[160], a[24], b2[24];

		for (int b = lo; b <= hi; b++)
			if (r->hist[b] > max)
				max = (double)r->hist[b];
		svg_textf(f, x0, y0 - 8, "start", 12, "%s  (%lld exits)", r->name, (long long)r->n);
		svg_line(f, x0, y0 + ph, x0 + pw - 10, y0 + ph, "#999", 1);
		for (int b = lo; b <= hi; b++) {
			double v = (double)r->hist[b], bh = max > 0 ? (ph - 4) * v / max : 0;

			if (!r->hist[b])
				continue;
			snprintf(tip, sizeof(tip), "%s: %lld exits took %s to %s", r->name,
				 (long long)r->hist[b], bin_label(a, sizeof(a), b),
				 bin_label(b2, sizeof(b2), b + 1));
			svg_rect(f, x0 + (b - lo) * bw + 1, y0 + ph - (bh < 1 ? 1 : bh), bw - 2,
				 bh < 1 ? 1 : bh, svg_color((int)(r->code < 0 ? 63 : r->code)), tip);
		}
		for (int b = lo; b <= hi; b += (nb > 12 ? 4 : 2)) {
			double x = x0 + (b - lo) * bw;

			svg_line(f, x, y0 + ph, x, y0 + ph + 4, "#999", 1);
			svg_text(f, x, y0 + ph + 15, "middle", 9, bin_label(lab, sizeof(lab), b));
		}
		svg_textf(f, x0 - 4, y0 + 8, "end", 9, "%s", svg_count(lab, sizeof(lab), max));
	}
	svg_close(f);
}

/* Stacked bars of counts[b][series] over the timeline buckets. */
static void stacked(FILE *f, const struct plotdata *d, const int64_t (*cnt)[PD_MAXR],
		    const int64_t (*cntv)[PD_MAXV], int nser, const char *const *names,
		    const int *colors, int h)
{
	double x0 = 60, y0 = 20, pw = W - 190, ph = h - 60, max = 0, bw;
	char a[24], tip[160];

	for (int b = 0; b < d->nb; b++) {
		double s = 0;

		for (int i = 0; i < nser; i++)
			s += (double)(cnt ? cnt[b][i] : cntv[b][i]);
		if (s > max)
			max = s;
	}
	bw = d->nb ? pw / d->nb : pw;
	double step = svg_step(max, 4);

	for (double v = 0; v <= max + step / 2 && max > 0; v += step) {
		double y = y0 + ph - ph * v / max;

		svg_line(f, x0, y, x0 + pw, y, "#e4e4e4", 1);
		svg_text(f, x0 - 4, y + 3, "end", 9, svg_count(a, sizeof(a), v));
	}
	for (int b = 0; b < d->nb; b++) {
		double y = y0 + ph;

		for (int i = 0; i < nser; i++) {
			int64_t v = cnt ? cnt[b][i] : cntv[b][i];
			double hh = max > 0 ? ph * v / max : 0;
			char t0[24];

			if (!v)
				continue;
			snprintf(tip, sizeof(tip), "%s: %lld exits at %s", names[i], (long long)v,
				 svg_ns(t0, sizeof(t0), (double)b * d->bucket_ns));
			y -= hh;
			svg_rect(f, x0 + b * bw, y, bw > 2 ? bw - 1 : bw, hh, svg_color(colors[i]), tip);
		}
	}
	svg_line(f, x0, y0 + ph, x0 + pw, y0 + ph, "#999", 1);
	for (int k = 0; k <= 4 && d->nb; k++) {
		double x = x0 + pw * k / 4;

		svg_text(f, x, y0 + ph + 14, "middle", 9,
			 svg_ns(a, sizeof(a), (double)d->nb * d->bucket_ns * k / 4));
	}
	svg_textf(f, x0 + pw / 2, y0 + ph + 30, "middle", 10,
		  "time since the recording started (bucket %s)", svg_ns(a, sizeof(a), (double)d->bucket_ns));
	for (int i = 0; i < nser && i < 14; i++) {
		svg_rect(f, x0 + pw + 14, y0 + i * 16, 10, 10, svg_color(colors[i]), NULL);
		svg_text(f, x0 + pw + 28, y0 + i * 16 + 9, "start", 10, names[i]);
	}
}

void plot_timeline(FILE *f, const struct plotdata *d, int standalone)
{
	const char *names[PD_MAXR];
	int colors[PD_MAXR], h = 260;

	for (int i = 0; i < d->nr; i++) {
		names[i] = d->r[i].name;
		colors[i] = (int)(d->r[i].code < 0 ? 63 : d->r[i].code);
	}
	svg_open(f, W, h, "Exits over time, per reason", standalone);
	if (!d->nexits)
		empty_note(f, h, "exits");
	else
		stacked(f, d, (const int64_t (*)[PD_MAXR])d->tl, NULL, d->nr, names, colors, h);
	svg_close(f);
}

void plot_timeline_vcpu(FILE *f, const struct plotdata *d, int standalone)
{
	char nb[PD_MAXV][16];
	const char *names[PD_MAXV];
	int colors[PD_MAXV], h = 220;

	for (int i = 0; i < d->nvcpu; i++) {
		snprintf(nb[i], sizeof(nb[i]), i == PD_MAXV - 1 ? "vCPU %d+" : "vCPU %d", i);
		names[i] = nb[i];
		colors[i] = i;
	}
	svg_open(f, W, h, "Exits over time, per vCPU", standalone);
	if (!d->nexits)
		empty_note(f, h, "exits");
	else
		stacked(f, d, NULL, (const int64_t (*)[PD_MAXV])d->tlv, d->nvcpu, names, colors, h);
	svg_close(f);
}

static const char *role_color(enum pd_role r)
{
	static const char *const c[PD_NROLES] = {
		"#bab0ac", "#e15759", "#4e79a7", "#59a14f", "#b07aa1", "#9c755f",
	};

	return r < PD_NROLES ? c[r] : "#999";
}

void plot_waterfall(FILE *f, const struct plotdata *d, int standalone)
{
	double x0 = 210, pw = W - x0 - 20, max = 0;
	int rowh = 34, h = 70 + (d->nw ? d->nw : 2) * rowh;
	char a[24], b[24], tip[200];

	for (int i = 0; i < d->nw; i++) {
		int64_t end = d->w[i].t_end > d->w[i].issue_t + d->w[i].latency_ns ?
			      d->w[i].t_end : d->w[i].issue_t + d->w[i].latency_ns;

		if (end - d->w[i].t0 > max)
			max = (double)(end - d->w[i].t0);
	}
	svg_open(f, W, h, "IO path of the slowest block requests", standalone);
	if (!d->nw) {
		empty_note(f, h, "block requests");
		svg_close(f);
		return;
	}
	for (int i = 0; i < d->nw; i++) {
		const struct pd_wreq *w = &d->w[i];
		double y = 20 + i * rowh, sc = max > 0 ? pw / max : 0;

		svg_textf(f, x0 - 6, y + 11, "end", 11, "#%lld %s %s %lld+%lld", (long long)w->id,
			  w->dev, w->op, (long long)w->sector, (long long)w->nsectors);
		svg_textf(f, x0 - 6, y + 24, "end", 9, "%s wall, %lld exits",
			  svg_ns(a, sizeof(a), (double)(w->t_end - w->t0)), (long long)w->span_exits);
		/* the guest runs between the exits: a thin line under the whole span */
		snprintf(tip, sizeof(tip), "guest time between these exits: %s",
			 svg_ns(a, sizeof(a), (double)w->guest_ns));
		svg_rect(f, x0, y + 7, (w->t_end - w->t0) * sc, 2, "#d0d0d0", tip);
		/* Exits of one role closer than a pixel are drawn as one box
		 * (a rep-less PIO loop is thousands of them). */
		for (size_t k = 0, j; k < w->nex; k = j) {
			const struct pd_wexit *x = &w->ex[k];
			double xx = x0 + (x->t_ns - w->t0) * sc;
			double end = xx + (x->handle_ns * sc < 1.5 ? 1.5 : x->handle_ns * sc);
			int64_t hsum = x->handle_ns;
			int issued = x->seq == w->issue_seq;

			for (j = k + 1; j < w->nex && w->ex[j].role == x->role &&
			     x0 + (w->ex[j].t_ns - w->t0) * sc <= end + 1; j++) {
				double e2 = x0 + (w->ex[j].t_ns + w->ex[j].handle_ns - w->t0) * sc;

				if (e2 > end)
					end = e2;
				hsum += w->ex[j].handle_ns;
				issued |= w->ex[j].seq == w->issue_seq;
			}
			if (j - k == 1)
				snprintf(tip, sizeof(tip), "seq %lld %s (%s): %s handling%s", (long long)x->seq,
					 x->reg[0] ? x->reg : "?", plotdata_role_name(x->role),
					 svg_ns(a, sizeof(a), (double)x->handle_ns),
					 issued ? " - issued the request" : "");
			else
				snprintf(tip, sizeof(tip), "seq %lld-%lld: %zu %s exits (%s), %s handling%s",
					 (long long)x->seq, (long long)w->ex[j - 1].seq, j - k,
					 plotdata_role_name(x->role), x->reg[0] ? x->reg : "?",
					 svg_ns(a, sizeof(a), (double)hsum),
					 issued ? " - one issued the request" : "");
			svg_rect(f, xx, y + 2, end - xx, 12, role_color(x->role), tip);
		}
		snprintf(tip, sizeof(tip), "block backend (%s %lld sectors): %s", w->op,
			 (long long)w->nsectors, svg_ns(a, sizeof(a), (double)w->latency_ns));
		svg_rect(f, x0 + (w->issue_t - w->t0) * sc, y + 16, w->latency_ns * sc < 1.5 ? 1.5 :
			 w->latency_ns * sc, 6, "#f28e2b", tip);
		for (int k = 0; k < w->nirq; k++) {
			double xx = x0 + (w->irq_t[k] - w->t0) * sc;

			fprintf(f, "<path d=\"M%.2f %.2f l-4 -7 h8 z\" fill=\"#edc948\" stroke=\"#8a6d00\" "
				"stroke-width=\"0.5\"><title>IRQ raised</title></path>\n", xx, y + 2);
		}
		snprintf(tip, sizeof(tip), "completion: the last exit of the request's IO path, at +%s",
			 svg_ns(b, sizeof(b), (double)(w->t_end - w->t0)));
		svg_rect(f, x0 + (w->t_end - w->t0) * sc, y, 2, 24, "#222", tip);
	}
	{
		double y = 20 + d->nw * rowh + 8, x = 10;
		static const char *const extra[] = { "guest (between exits)", "block backend", "IRQ raised", "completion" };
		static const char *const ec[] = { "#d0d0d0", "#f28e2b", "#edc948", "#222" };

		svg_line(f, x0, y - 6, x0 + pw, y - 6, "#999", 1);
		svg_text(f, x0, y + 6, "start", 9, "0");
		svg_text(f, x0 + pw, y + 6, "end", 9, svg_ns(a, sizeof(a), max));
		y += 16;
		for (int r = 0; r < PD_NROLES; r++, x += 80) {
			svg_rect(f, x, y, 10, 10, role_color((enum pd_role)r), NULL);
			svg_textf(f, x + 14, y + 9, "start", 10, "%s exit", plotdata_role_name((enum pd_role)r));
		}
		y += 16;
		x = 10;
		for (int r = 0; r < 4; r++, x += 150) {
			svg_rect(f, x, y, 10, 10, ec[r], NULL);
			svg_text(f, x + 14, y + 9, "start", 10, extra[r]);
		}
	}
	svg_close(f);
}

void plot_disks(FILE *f, const struct plotdata *d, int standalone)
{
	const char *labels[PD_MAXD], *texts[PD_MAXD], *tips[PD_MAXD], *cols[PD_MAXD];
	char tb[PD_MAXD][64], tip[PD_MAXD][160];
	double v[PD_MAXD];
	int n = 0, h = 40 + (d->ndisks ? d->ndisks : 2) * 20;

	svg_open(f, W, h, "Exits per KiB transferred, per disk", standalone);
	svg_text(f, 160, 16, "start", 12, "exits per KiB of block IO (request spans only)");
	for (int i = 0; i < d->ndisks; i++) {
		const struct pd_disk *k = &d->disks[i];

		v[n] = k->kib > 0 ? k->exits / k->kib : 0;
		snprintf(tb[n], sizeof(tb[n]), "%.2f exits/KiB (%lld exits, %.1f KiB, %lld req)", v[n],
			 (long long)k->exits, k->kib, (long long)k->requests);
		snprintf(tip[n], sizeof(tip[n]), "%s: %lld requests, %.1f KiB, %lld exits, %lld data exits",
			 k->dev, (long long)k->requests, k->kib, (long long)k->exits,
			 (long long)k->data_exits);
		labels[n] = k->dev;
		texts[n] = tb[n];
		tips[n] = tip[n];
		cols[n] = svg_color(i);
		n++;
	}
	if (!n)
		empty_note(f, h, "disks");
	hbars(f, 160, 22, 300, n, labels, v, texts, tips, cols);
	svg_close(f);
}
