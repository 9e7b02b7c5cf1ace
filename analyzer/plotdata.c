/*
 * plotdata.c - load what the report and the plots draw (plot.h): per exit
 * reason the counts, handling time and a log2 histogram of handle_ns, the
 * exits per time bucket per reason and per vCPU (one pass over exits, no
 * sort), the busiest ports and MMIO addresses (the stat queries, from the
 * summary tables when fresh), and for block devices the exits per KiB and
 * the IO path of the slowest requests (iopath_core.c's attribution).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"
#include "analyzer/iopath.h"
#include "analyzer/plot.h"
#include "analyzer/progress.h"

static const char *const roles[PD_NROLES] = {
	"setup", "command", "data", "status", "notify", "other",
};

const char *plotdata_role_name(enum pd_role r)
{
	return r < PD_NROLES ? roles[r] : "other";
}

static void copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

static int hbin(int64_t ns)
{
	int b = 0;

	while (ns > 1 && b < PD_HBINS - 1) {
		ns >>= 1;
		b++;
	}
	return b;
}

static int reason_index(struct plotdata *d, int map[64], int64_t code, sqlite3 *db)
{
	int slot = code >= 0 && code < 64 ? (int)code : -1;

	if (slot >= 0 && map[slot] >= 0)
		return map[slot];
	for (int i = 0; i < d->nr; i++)
		if (d->r[i].code == code || (slot < 0 && d->r[i].code == -1))
			return i;
	if (d->nr == PD_MAXR)
		return PD_MAXR - 1;
	struct pd_reason *r = &d->r[d->nr];
	sqlite3_stmt *st = NULL;

	r->code = slot < 0 ? -1 : code;
	snprintf(r->name, sizeof(r->name), slot < 0 ? "other" : "reason_%lld", (long long)code);
	if (slot >= 0 && sqlite3_prepare_v2(db, "SELECT name FROM exit_reasons WHERE reason = ?",
					    -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, code);
		if (sqlite3_step(st) == SQLITE_ROW)
			copy(r->name, sizeof(r->name), (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (slot >= 0)
		map[slot] = d->nr;
	return d->nr++;
}

static int load_exits(sqlite3 *db, struct plotdata *d, const char *show, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct progress p;
	int map[64], rc, ret = 0;
	int64_t done = 0;

	for (int i = 0; i < 64; i++)
		map[i] = -1;
	ret = analyzer_query(db, "timeline_range", &st, err, errlen);
	if (ret)
		return ret;
	analyzer_bind(st, ":vcpu", 0, true);
	if (sqlite3_step(st) != SQLITE_ROW) {
		ret = analyzer_step_err(db, err, errlen);
		sqlite3_finalize(st);
		return ret;
	}
	d->nexits = analyzer_col_int(st, "n");
	d->t_min = analyzer_col_int(st, "t_min");
	d->t_max = analyzer_col_int(st, "t_max");
	sqlite3_finalize(st);
	d->bucket_ns = (d->t_max - d->t_min) / PD_TBINS + 1;
	d->nb = d->nexits ? (int)((d->t_max - d->t_min) / d->bucket_ns) + 1 : 0;

	if (sqlite3_prepare_v2(db, "SELECT vcpu, reason, t_ns, handle_ns FROM exits", -1, &st,
			       NULL) != SQLITE_OK)
		return analyzer_step_err(db, err, errlen);
	progress_start(&p, show ? show : "", "exits", (uint64_t)d->nexits);
	if (!show)
		p.on = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(st, 0), t = sqlite3_column_int64(st, 2);
		int64_t h = sqlite3_column_int64(st, 3);
		int i = reason_index(d, map, sqlite3_column_int64(st, 1), db);
		int b = (int)((t - d->t_min) / d->bucket_ns);

		if (b < 0)
			b = 0;
		if (b >= d->nb)
			b = d->nb - 1;
		if (v < 0)
			v = 0;
		if (v >= PD_MAXV)
			v = PD_MAXV - 1;
		if (v + 1 > d->nvcpu)
			d->nvcpu = (int)v + 1;
		d->r[i].n++;
		d->r[i].hsum += h;
		if (h > d->r[i].hmax)
			d->r[i].hmax = h;
		d->r[i].hist[hbin(h)]++;
		d->tl[b][i]++;
		d->tlv[b][v]++;
		progress_update(&p, (uint64_t)++done);
	}
	progress_end(&p);
	if (rc != SQLITE_DONE)
		ret = analyzer_step_err(db, err, errlen);
	sqlite3_finalize(st);
	return ret;
}

static int by_n(const void *a, const void *b)
{
	const struct pd_key *x = a, *y = b;

	return x->n != y->n ? (x->n > y->n ? -1 : 1) : strcmp(x->key, y->key);
}

/* The PD_TOP busiest keys of stat_<ioport|mmio>[_raw]. */
static int load_keys(sqlite3 *db, const char *query, int is_pio, struct pd_key *out, int *nout,
		     char *err, size_t errlen)
{
	struct pd_key *all = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st = NULL;
	int rc, ret = analyzer_query(db, query, &st, err, errlen);

	if (ret)
		return ret;
	analyzer_bind(st, ":vcpu", 0, true);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *dev = analyzer_col_text(st, "device"), *reg = analyzer_col_text(st, "register");
		int w = (int)analyzer_col_int(st, "is_write");
		struct pd_key *k;

		if (analyzer_col_int(st, "n") == 0)
			continue;
		if (n == cap) {
			struct pd_key *m = realloc(all, (cap = cap ? 2 * cap : 64) * sizeof(*m));

			if (!m) {
				ret = -ENOMEM;
				break;
			}
			all = m;
		}
		k = &all[n++];
		memset(k, 0, sizeof(*k));
		snprintf(k->key, sizeof(k->key), "0x%llx %s",
			 (long long)analyzer_col_int(st, is_pio ? "port" : "gpa"),
			 is_pio ? (w ? "OUT" : "IN") : (w ? "W" : "R"));
		if (dev && reg)
			snprintf(k->label, sizeof(k->label), "%s.%s", dev, reg);
		else
			copy(k->label, sizeof(k->label), dev ? dev : "(no device)");
		k->n = analyzer_col_int(st, "n");
		k->hsum = analyzer_col_int(st, "handle_sum");
		k->bytes = analyzer_col_int(st, "bytes");
	}
	if (!ret && rc != SQLITE_DONE)
		ret = analyzer_step_err(db, err, errlen);
	sqlite3_finalize(st);
	if (!ret) {
		/* qsort and memcpy take no NULL, even for 0 rows (UBSan) */
		if (n)
			qsort(all, n, sizeof(*all), by_n);
		*nout = n < PD_TOP ? (int)n : PD_TOP;
		if (*nout)
			memcpy(out, all, *nout * sizeof(*out));
	}
	free(all);
	return ret;
}

static enum pd_role role_of(const char *reg, int is_write)
{
	if (!reg)
		return is_write ? PD_SETUP : PD_OTHER;
	if (!strcmp(reg, "data"))
		return PD_DATA;
	if (is_write && !strcmp(reg, "command"))
		return PD_COMMAND;
	if (is_write && strstr(reg, "notify"))
		return PD_NOTIFY;
	if (is_write)
		return PD_SETUP;
	if (!strcmp(reg, "status") || !strcmp(reg, "altstatus"))
		return PD_STATUS;
	return PD_OTHER;
}

static const char wf_sql[] =
	"SELECT e.seq, e.t_ns, coalesce(e.handle_ns, 0), r.name, p.is_write FROM pio p"
	" JOIN exits e ON e.seq = p.seq LEFT JOIN registers r ON r.space = 'pio'"
	" AND r.addr = p.port AND r.is_write = p.is_write"
	" WHERE p.seq BETWEEN ?1 AND ?2 AND p.device = ?3"
	" UNION ALL SELECT e.seq, e.t_ns, coalesce(e.handle_ns, 0), r.name, m.is_write FROM mmio m"
	" JOIN exits e ON e.seq = m.seq LEFT JOIN registers r ON r.space = 'mmio'"
	" AND r.addr = m.gpa AND r.is_write = m.is_write"
	" WHERE m.seq BETWEEN ?1 AND ?2 AND m.device = ?3 ORDER BY 1";

static const char irq_sql[] =
	"SELECT e.t_ns + coalesce(e.handle_ns, 0) FROM irqs i JOIN exits e ON e.seq = i.seq"
	" WHERE i.seq BETWEEN ?1 AND ?2 AND i.level = 1"
	" AND (i.device = ?3 OR (i.device IS NULL AND i.line = (SELECT irq FROM devices"
	" WHERE name = ?3))) ORDER BY i.seq LIMIT 16";

/* The exits and IRQ raises of the span of waterfall request w. */
static int load_wf_exits(sqlite3 *db, struct pd_wreq *w, int64_t first, int64_t last,
			 char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	if (sqlite3_prepare_v2(db, wf_sql, -1, &st, NULL) != SQLITE_OK)
		return analyzer_step_err(db, err, errlen);
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, last);
	sqlite3_bind_text(st, 3, w->dev, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && w->nex < 65536) {
		struct pd_wexit *x;

		if (w->nex == cap) {
			x = realloc(w->ex, (cap = cap ? 2 * cap : 64) * sizeof(*x));
			if (!x) {
				sqlite3_finalize(st);
				return -ENOMEM;
			}
			w->ex = x;
		}
		x = &w->ex[w->nex++];
		x->seq = sqlite3_column_int64(st, 0);
		x->t_ns = sqlite3_column_int64(st, 1);
		x->handle_ns = sqlite3_column_int64(st, 2);
		copy(x->reg, sizeof(x->reg), (const char *)sqlite3_column_text(st, 3));
		x->role = role_of(sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : x->reg,
				  sqlite3_column_int(st, 4));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return analyzer_step_err(db, err, errlen);
	if (sqlite3_prepare_v2(db, irq_sql, -1, &st, NULL) != SQLITE_OK)
		return analyzer_step_err(db, err, errlen);
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, last);
	sqlite3_bind_text(st, 3, w->dev, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW && w->nirq < 16)
		w->irq_t[w->nirq++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int64_t issue_time(sqlite3 *db, int64_t seq)
{
	sqlite3_stmt *st = NULL;
	int64_t t = 0;

	if (sqlite3_prepare_v2(db, "SELECT t_ns FROM exits WHERE seq = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, seq);
		if (sqlite3_step(st) == SQLITE_ROW)
			t = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return t;
}

static int load_blk(sqlite3 *db, struct plotdata *d, char *err, size_t errlen)
{
	struct iopath_data io = { 0 };
	int64_t wall[PD_WF];
	size_t pick[PD_WF];
	int npick = 0, ret = analyzer_iopath_build(db, &io, err, errlen);

	if (ret)
		goto out;
	d->nreq = (int64_t)io.nreqs;
	for (int i = 0; i < io.ndevs && d->ndisks < PD_MAXD; i++) {
		struct pd_disk *k = &d->disks[d->ndisks++];

		copy(k->dev, sizeof(k->dev), io.devs[i].name);
		for (size_t s = 1; s < io.devs[i].nspans; s++) {
			const struct iopath_span *sp = &io.devs[i].spans[s];

			if (sp->requests > 0) {
				k->exits += sp->exits;
				k->data_exits += sp->role[IOPATH_DATA];
			}
		}
	}
	/* Per disk the requests and KiB; the slowest lead requests (span wall time). */
	for (size_t i = 0; i < io.nreqs; i++) {
		const struct iopath_req *r = &io.reqs[i];
		const struct iopath_span *sp = &io.devs[r->dev].spans[r->span];
		int64_t wt;
		int j;

		if (r->dev < PD_MAXD) {
			d->disks[r->dev].requests++;
			d->disks[r->dev].kib += r->nsectors / 2.0;
		}
		if (r->span == 0 || sp->lead_id != r->id)
			continue;
		wt = sp->t_end - sp->t_min;
		if (npick < PD_WF) {
			j = npick++;
		} else {
			j = 0;
			for (int k = 1; k < PD_WF; k++)
				if (wall[k] < wall[j])
					j = k;
			if (wall[j] >= wt)
				continue;
		}
		wall[j] = wt;
		pick[j] = i;
	}
	/* Slowest first. */
	for (int a = 0; a < npick; a++)
		for (int b = a + 1; b < npick; b++)
			if (wall[b] > wall[a]) {
				int64_t tw = wall[a];
				size_t tp = pick[a];

				wall[a] = wall[b], wall[b] = tw;
				pick[a] = pick[b], pick[b] = tp;
			}
	for (int a = 0; a < npick && !ret; a++) {
		const struct iopath_req *r = &io.reqs[pick[a]];
		const struct iopath_span *sp = &io.devs[r->dev].spans[r->span];
		struct pd_wreq *w = &d->w[d->nw++];

		w->id = r->id;
		w->issue_seq = r->seq;
		w->issue_t = issue_time(db, r->seq);
		w->sector = r->sector;
		w->nsectors = r->nsectors;
		w->latency_ns = r->latency_ns;
		w->status = r->status;
		copy(w->dev, sizeof(w->dev), io.devs[r->dev].name);
		copy(w->op, sizeof(w->op), r->op);
		w->t0 = sp->t_min;
		w->t_end = sp->t_end;
		w->guest_ns = sp->guest_ns;
		w->handle_ns = sp->handle_ns;
		w->span_exits = sp->exits;
		ret = load_wf_exits(db, w, sp->first_seq, sp->last_seq, err, errlen);
	}
out:
	analyzer_iopath_free(&io);
	return ret;
}

int plotdata_load(sqlite3 *db, struct plotdata *d, const char *progress, char *err, size_t errlen)
{
	int fresh, ret;

	memset(d, 0, sizeof(*d));
	ret = load_exits(db, d, progress, err, errlen);
	if (ret)
		return ret;
	fresh = analyzer_summary_fresh(db);
	if (fresh < 0)
		return analyzer_step_err(db, err, errlen);
	ret = load_keys(db, fresh ? "stat_ioport" : "stat_ioport_raw", 1, d->ports, &d->nports,
			err, errlen);
	if (!ret)
		ret = load_keys(db, fresh ? "stat_mmio" : "stat_mmio_raw", 0, d->mmio, &d->nmmio,
				err, errlen);
	if (!ret)
		ret = load_blk(db, d, err, errlen);
	return ret;
}

void plotdata_free(struct plotdata *d)
{
	for (int i = 0; i < d->nw; i++)
		free(d->w[i].ex);
	d->nw = 0;
}
