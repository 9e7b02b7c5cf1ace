/*
 * iopath_core.c - attribute block-device exits to block requests in one
 * merge pass over rows SQLite already keeps in seq order (pio, mmio and
 * blk_requests by rowid or index), then place IRQ raises and DMA by binary
 * search.  The rule (docs/analyzer.md, "iopath"; views v_iopath_*):
 *   - a command starts at a write to the device's 'command' register, or,
 *     for a device without one, at a 'notify' write or an exit that issued
 *     a request of the device;
 *   - the setup writes directly before a command (writes to registers other
 *     than data/command/notify, with no other exit of the device between)
 *     belong to that command;
 *   - a span runs from its command's first setup write up to the next
 *     span; span 0 holds the exits before the first command;
 *   - a request belongs to the span it was issued in; a span's exits are
 *     charged to its lowest request id (the lead).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"
#include "analyzer/iopath.h"

static const char *const role_names[IOPATH_NROLES] = {
	"setup", "command", "data", "status", "notify", "other",
};

static int dev_index(const struct iopath_data *d, const char *name)
{
	for (int i = 0; name && i < d->ndevs; i++)
		if (!strcmp(d->devs[i].name, name))
			return i;
	return -1;
}

static void span_add(struct iopath_span *s, const struct iopath_xrow *x)
{
	if (!s->exits) {
		s->first_seq = x->seq;
		s->t_min = x->t_ns;
	}
	if (x->t_ns < s->t_min)
		s->t_min = x->t_ns;
	if (x->t_ns + x->handle_ns > s->t_end)
		s->t_end = x->t_ns + x->handle_ns;
	s->last_seq = x->seq;
	s->exits++;
	s->role[x->role]++;
	if (x->role == IOPATH_DATA)
		s->data_bytes += x->bytes;
	s->guest_ns += x->guest_ns;
	s->handle_ns += x->handle_ns;
}

/* Fold the pending setup run p into s (p's exits come after s's). */
static void span_merge(struct iopath_span *s, const struct iopath_span *p)
{
	if (!p->exits)
		return;
	if (!s->exits) {
		s->first_seq = p->first_seq;
		s->t_min = p->t_min;
	}
	if (p->t_min < s->t_min)
		s->t_min = p->t_min;
	if (p->t_end > s->t_end)
		s->t_end = p->t_end;
	s->last_seq = p->last_seq;
	s->exits += p->exits;
	for (int r = 0; r < IOPATH_NROLES; r++)
		s->role[r] += p->role[r];
	s->data_bytes += p->data_bytes;
	s->guest_ns += p->guest_ns;
	s->handle_ns += p->handle_ns;
}

static struct iopath_span *span_push(struct iopath_dev *v)
{
	if (v->nspans == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64;
		struct iopath_span *n = realloc(v->spans, cap * sizeof(*n));

		if (!n)
			return NULL;
		v->spans = n;
		v->cap = cap;
	}
	memset(&v->spans[v->nspans], 0, sizeof(v->spans[0]));
	return &v->spans[v->nspans++];
}

/* Resolve the pending setup run and requests into span index `span`. */
static void pend_flush(struct iopath_data *d, struct iopath_dev *v, size_t span)
{
	span_merge(&v->spans[span], &v->pend);
	memset(&v->pend, 0, sizeof(v->pend));
	for (size_t i = 0; i < v->npend; i++)
		d->reqs[v->pend_reqs[i]].span = span;
	v->npend = 0;
}

static int handle_exit(struct iopath_data *d, const struct iopath_xrow *x, size_t next_req)
{
	struct iopath_dev *v = &d->devs[x->dev];
	bool is_cmd = x->role == IOPATH_COMMAND;

	if (!is_cmd && !v->has_command) {
		is_cmd = x->role == IOPATH_NOTIFY;
		for (size_t k = next_req; !is_cmd && k < d->nreqs && d->reqs[k].seq == x->seq; k++)
			is_cmd = d->reqs[k].dev == x->dev;
	}
	if (x->role == IOPATH_SETUP && !is_cmd) {
		span_add(&v->pend, x);
		return 0;
	}
	if (is_cmd) {
		struct iopath_span *s = span_push(v);

		if (!s)
			return -ENOMEM;
		snprintf(s->command, sizeof(s->command), "%s", x->byte0);
	}
	pend_flush(d, v, v->nspans - 1);
	span_add(&v->spans[v->nspans - 1], x);
	return 0;
}

static int handle_request(struct iopath_data *d, size_t k)
{
	struct iopath_req *r = &d->reqs[k];
	struct iopath_dev *v = &d->devs[r->dev];

	if (!v->pend.exits) {
		r->span = v->nspans - 1;
		return 0;
	}
	if (v->npend == v->pend_cap) {
		size_t cap = v->pend_cap ? 2 * v->pend_cap : 8;
		size_t *n = realloc(v->pend_reqs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		v->pend_reqs = n;
		v->pend_cap = cap;
	}
	v->pend_reqs[v->npend++] = k;
	return 0;
}

/* Columns of iopath_input_{pio,mmio}.sql, by position (checked once). */
static const char *const xcols[] = {
	"seq", "device", "bytes", "role", "byte0", "t_ns", "guest_ns", "handle_ns",
};

static bool xcols_ok(sqlite3_stmt *st)
{
	for (int i = 0; i < (int)(sizeof(xcols) / sizeof(xcols[0])); i++)
		if (analyzer_column(st, xcols[i]) != i)
			return false;
	return true;
}

/* Step st into x (device exits only); 1 row, 0 done, -errno. */
static int next_exit(const struct iopath_data *d, sqlite3_stmt *st, struct iopath_xrow *x)
{
	int rc = sqlite3_step(st);
	const char *role, *b0;

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -EIO;
	x->seq = sqlite3_column_int64(st, 0);
	x->dev = dev_index(d, (const char *)sqlite3_column_text(st, 1));
	x->bytes = sqlite3_column_int64(st, 2);
	role = (const char *)sqlite3_column_text(st, 3);
	b0 = (const char *)sqlite3_column_text(st, 4);
	x->t_ns = sqlite3_column_int64(st, 5);
	x->guest_ns = sqlite3_column_int64(st, 6);
	x->handle_ns = sqlite3_column_int64(st, 7);
	x->role = IOPATH_OTHER;
	for (int r = 0; role && r < IOPATH_NROLES; r++)
		if (!strcmp(role, role_names[r]))
			x->role = (enum iopath_role)r;
	snprintf(x->byte0, sizeof(x->byte0), "%s", b0 ? b0 : "");
	return x->dev < 0 ? -EPROTO : 1;
}

static int load_devices(sqlite3 *db, struct iopath_data *d, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = analyzer_query(db, "iopath_input_devices", &st, err, errlen);

	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct iopath_dev *n = realloc(d->devs, (d->ndevs + 1) * sizeof(*n));
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (!n || !name)
			ret = n ? -EPROTO : -ENOMEM;
		if (!n)
			break;
		d->devs = n;
		memset(&n[d->ndevs], 0, sizeof(*n));
		n[d->ndevs].name = strdup(name ? name : "");
		n[d->ndevs].has_command = sqlite3_column_int(st, 1);
		n[d->ndevs].irq_line = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1
				       : sqlite3_column_int64(st, 2);
		if (!n[d->ndevs].name || !span_push(&n[d->ndevs]))
			ret = -ENOMEM;
		d->ndevs++;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = analyzer_step_err(db, err, errlen);
	sqlite3_finalize(st);
	return ret;
}

/* Columns of iopath_input_requests.sql, looked up once. */
enum { RQ_ID, RQ_SEQ, RQ_SECTOR, RQ_NSECTORS, RQ_STATUS, RQ_LATENCY, RQ_DONE_SEQ, RQ_DONE_NS,
       RQ_BETWEEN, RQ_OP, RQ_DEVICE, RQ_N };
static const char *const rqcols[RQ_N] = {
	"id", "seq", "sector", "nsectors", "status", "latency_ns", "done_seq", "done_ns",
	"exits_between", "op", "device",
};

static int64_t rq_int(sqlite3_stmt *st, const int *col, int c)
{
	return col[c] < 0 ? 0 : sqlite3_column_int64(st, col[c]);
}

static int load_requests(sqlite3 *db, struct iopath_data *d, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int col[RQ_N];
	int rc, ret = analyzer_query(db, "iopath_input_requests", &st, err, errlen);

	for (int c = 0; !ret && c < RQ_N; c++)
		col[c] = analyzer_column(st, rqcols[c]);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *op = col[RQ_OP] < 0 ? NULL : (const char *)sqlite3_column_text(st, col[RQ_OP]);
		const char *dev = col[RQ_DEVICE] < 0 ? NULL
				  : (const char *)sqlite3_column_text(st, col[RQ_DEVICE]);
		struct iopath_req *r;

		if (d->nreqs == cap) {
			struct iopath_req *n;

			cap = cap ? 2 * cap : 256;
			n = realloc(d->reqs, cap * sizeof(*n));
			if (!n) {
				ret = -ENOMEM;
				break;
			}
			d->reqs = n;
		}
		r = &d->reqs[d->nreqs++];
		memset(r, 0, sizeof(*r));
		r->id = rq_int(st, col, RQ_ID);
		r->seq = rq_int(st, col, RQ_SEQ);
		r->sector = rq_int(st, col, RQ_SECTOR);
		r->nsectors = rq_int(st, col, RQ_NSECTORS);
		r->status = rq_int(st, col, RQ_STATUS);
		r->latency_ns = rq_int(st, col, RQ_LATENCY);
		r->done_seq = rq_int(st, col, RQ_DONE_SEQ);
		r->done_ns = rq_int(st, col, RQ_DONE_NS);
		r->exits_between = rq_int(st, col, RQ_BETWEEN);
		snprintf(r->op, sizeof(r->op), "%s", op ?: "");
		r->dev = dev_index(d, dev);
		if (r->dev < 0)
			ret = analyzer_err(err, errlen, -EPROTO, "request %lld: unknown device",
					   (long long)r->id);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = analyzer_step_err(db, err, errlen);
	sqlite3_finalize(st);
	return ret;
}

/* A source of device exits: a query (iopath_input_{pio,mmio}.sql) or
 * sum_devacc (iopath_fast.c). */
struct xsrc {
	sqlite3_stmt *st;
	struct iopath_fast *fast;
};

static int src_next(const struct iopath_data *d, struct xsrc *s, struct iopath_xrow *x)
{
	if (s->fast)
		return iopath_fast_next(s->fast, x);
	return s->st ? next_exit(d, s->st, x) : 0;
}

/* The error of a source's last step (hp, hm: src_next()), or 0. */
static int src_err(sqlite3 *db, int hp, int hm, char *err, size_t errlen)
{
	if (hp == -EBADMSG)
		return analyzer_err(err, errlen, -EBADMSG, "sum_devacc: a corrupt record");
	if (hp == -EPROTO || hm == -EPROTO)
		return analyzer_err(err, errlen, -EPROTO, "an exit names an unknown device");
	if (hp < 0 || hm < 0)
		return analyzer_step_err(db, err, errlen);
	return 0;
}

/* The merge pass: pio and mmio exits and requests, in seq order. */
static int attribute(sqlite3 *db, int source, struct iopath_data *d, char *err, size_t errlen)
{
	struct xsrc sp = { 0 }, sm = { 0 };
	struct iopath_xrow xp, xm;
	int hp, hm, ret = 0;
	size_t k = 0;

	if (source != ANALYZER_SRC_RAW) {
		ret = iopath_fast_open(db, d, &sp.fast, err, errlen);
		if (ret == 0 && source == ANALYZER_SRC_SUMMARY)
			ret = analyzer_err(err, errlen, -EINVAL,
					   "sum_devacc is missing or incomplete");
		if (ret < 0)
			goto out;
		ret = 0;
	}
	if (!sp.fast) {
		ret = analyzer_query(db, "iopath_input_pio", &sp.st, err, errlen);
		if (!ret)
			ret = analyzer_query(db, "iopath_input_mmio", &sm.st, err, errlen);
		if (!ret && (!xcols_ok(sp.st) || !xcols_ok(sm.st)))
			ret = analyzer_err(err, errlen, -EPROTO,
					   "iopath_input_*.sql: unexpected columns");
		if (ret)
			goto out;
	}
	hp = src_next(d, &sp, &xp);
	hm = src_next(d, &sm, &xm);
	ret = src_err(db, hp, hm, err, errlen);
	while (!ret && (hp > 0 || hm > 0 || k < d->nreqs)) {
		const struct iopath_xrow *x = NULL;

		if (hp > 0 && (hm <= 0 || xp.seq < xm.seq))
			x = &xp;
		else if (hm > 0)
			x = &xm;
		if (k < d->nreqs && (!x || d->reqs[k].seq < x->seq)) {
			ret = handle_request(d, k++);
		} else {
			ret = handle_exit(d, x, k);
			if (x == &xp)
				hp = src_next(d, &sp, &xp);
			else
				hm = src_next(d, &sm, &xm);
		}
		if (!ret)
			ret = src_err(db, hp, hm, err, errlen);
		if (ret)
			goto out;
	}
	for (int i = 0; i < d->ndevs; i++)
		pend_flush(d, &d->devs[i], d->devs[i].nspans - 1);
out:
	sqlite3_finalize(sp.st);
	sqlite3_finalize(sm.st);
	iopath_fast_close(sp.fast);
	return ret;
}

/* The span of device v whose [first_seq, end_seq) holds seq, or NULL. */
static struct iopath_span *span_at(struct iopath_dev *v, int64_t seq)
{
	size_t lo = 0, hi = v->nspans;

	while (lo < hi) {           /* first span with first_seq > seq */
		size_t mid = (lo + hi) / 2;

		if (v->spans[mid].exits && v->spans[mid].first_seq > seq)
			hi = mid;
		else
			lo = mid + 1;
	}
	while (lo > 0 && !v->spans[lo - 1].exits)
		lo--;
	return lo > 0 ? &v->spans[lo - 1] : NULL;
}

/* Count IRQ raises (query 0) or DMA bytes (query 1) per span. */
static int place(sqlite3 *db, struct iopath_data *d, bool dma, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = analyzer_query(db, dma ? "iopath_input_dma" : "iopath_input_irqs", &st,
				     err, errlen);

	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		const char *dev = (const char *)sqlite3_column_text(st, 1);
		int64_t v2 = sqlite3_column_int64(st, 2);

		for (int i = 0; i < d->ndevs; i++) {
			struct iopath_span *s;

			if (dev ? strcmp(dev, d->devs[i].name) : dma || d->devs[i].irq_line != v2)
				continue;
			s = span_at(&d->devs[i], seq);
			if (!s)
				continue;
			if (dma)
				s->dma_bytes += v2;
			else
				s->irqs++;
		}
	}
	if (!ret && rc != SQLITE_DONE)
		ret = analyzer_step_err(db, err, errlen);
	sqlite3_finalize(st);
	return ret;
}

int analyzer_iopath_build(sqlite3 *db, struct iopath_data *d, char *err, size_t errlen)
{
	return analyzer_iopath_build_src(db, ANALYZER_SRC_AUTO, d, err, errlen);
}

static int build(sqlite3 *db, int source, struct iopath_data *d, char *err, size_t errlen)
{
	int ret;

	memset(d, 0, sizeof(*d));
	ret = load_devices(db, d, err, errlen);
	if (!ret)
		ret = load_requests(db, d, err, errlen);
	if (!ret)
		ret = attribute(db, source, d, err, errlen);
	if (ret)
		return ret;
	for (int i = 0; i < d->ndevs; i++) {
		struct iopath_dev *v = &d->devs[i];
		int64_t end = INT64_MAX;

		for (size_t s = v->nspans; s-- > 0;) {
			v->spans[s].end_seq = end;
			if (v->spans[s].exits)
				end = v->spans[s].first_seq;
		}
	}
	for (size_t k = 0; k < d->nreqs; k++) {
		struct iopath_span *s = &d->devs[d->reqs[k].dev].spans[d->reqs[k].span];

		if (!s->requests || d->reqs[k].id < s->lead_id)
			s->lead_id = d->reqs[k].id;
		s->requests++;
		s->backend_ns += d->reqs[k].latency_ns;
	}
	ret = place(db, d, false, err, errlen);
	if (!ret)
		ret = place(db, d, true, err, errlen);
	return ret;
}

int analyzer_iopath_build_src(sqlite3 *db, int source, struct iopath_data *d,
			      char *err, size_t errlen)
{
	int ret = build(db, source, d, err, errlen);

	if (ret == -EBADMSG && source == ANALYZER_SRC_AUTO) {
		/* a corrupt sum_devacc: the raw tables say the same */
		analyzer_iopath_free(d);
		ret = build(db, ANALYZER_SRC_RAW, d, err, errlen);
	}
	return ret;
}

void analyzer_iopath_free(struct iopath_data *d)
{
	for (int i = 0; i < d->ndevs; i++) {
		free(d->devs[i].name);
		free(d->devs[i].spans);
		free(d->devs[i].pend_reqs);
	}
	free(d->devs);
	free(d->reqs);
	memset(d, 0, sizeof(*d));
}
