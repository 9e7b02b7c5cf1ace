/*
 * wsum.c - the summary tables of schema/summary.sql (sum_exits, sum_pio,
 * sum_mmio, sum_timeline, sum_info), kept up to date by the writer thread
 * as rows arrive instead of built from the raw tables at close.
 *
 * The writer folds every exits, pio and mmio record into small in-memory
 * groups (wr_sum_record(), a few dozen instructions a record) and writes
 * the groups that changed, with sum_info, in the same transaction as the
 * raw rows, just before each commit (wr_sum_flush()).  So at every commit
 * -- also after a crash or SIGKILL, which loses only uncommitted rows --
 * the summary tables hold exactly what schema/summary.sql computes from the
 * committed raw tables, and sum_info says so (its max seqs equal the
 * tables').  store_close() then only checks that and does not rebuild
 * (wr_sum_close()).
 *
 * A pio or mmio row is summarized under its exit's vcpu and times, so it
 * waits (in a table direct-mapped by seq) for the exits row of its seq;
 * recorder/run.c puts the access before its exit, and the writer sees them
 * in seq order.  An access still waiting at a commit is not in that
 * commit's summary -- nor in summary.sql's inner join, which also needs the
 * exits row.  Anything the incremental form cannot mirror exactly (an
 * access evicted before its exit came, two accesses on one seq, more than
 * SUM_DEVS device names, out of memory) makes the summary inexact: sum_info
 * is deleted at the next commit (readers then use the raw tables, see
 * analyzer_summary_fresh()) and store_close() rebuilds with summary.sql.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/embedded.h"
#include "store/writer_int.h"

#define SUM_PEND   256        /* accesses waiting for their exit; a power of 2 */
#define SUM_DEVS   1024       /* distinct device names */
#define SUM_DEVP   64         /* device pointers remembered */
#define TL_NS      1000000ll  /* sum_timeline's bucket (schema/summary.sql) */

enum { T_EXIT, T_PIO, T_MMIO, T_N };

struct grp {
	uint64_t ka, kb;          /* the key (see exit_fold(), acc_fold()) */
	int64_t n, bytes;
	int64_t hsum, hmin, hmax, gsum, gmin, gmax;
	double hsq, gsq;
	bool dirty;
	/* exits groups: the sum_timeline bucket being counted */
	int64_t ms, tlo, tn, tmin, tmax;
};

struct tab {
	struct grp *g;
	size_t n, cap;
	uint32_t *idx;            /* open addressing: group index + 1; 0 = free */
	size_t mask;
	size_t last;              /* the group found last (+1), a fast path */
};

struct acc {
	uint64_t seq, addr;
	int64_t bytes;
	uint32_t dev;
	uint8_t t, is_write;
	bool used;
};

struct recent {
	uint64_t seq;
	int64_t h, g;
	uint32_t vcpu;
	bool used;
};

struct tl_row {
	int64_t vcpu, reason, ms, n, tmin, tmax;
};

struct wsum {
	struct tab t[T_N];
	struct acc pend[SUM_PEND];
	struct recent rec[SUM_PEND];
	const char *devp[SUM_DEVP];
	uint32_t devpid[SUM_DEVP];
	int ndevp;
	char *dev[SUM_DEVS + 1];  /* dev[0]: NULL, unclaimed */
	int ndev;
	struct tl_row *tl;
	size_t ntl, tlcap;
	bool exact, info_dropped;
	int64_t exits;
	sqlite3_stmt *ins[T_N], *tl_ins, *info, *drop;
};

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;

	return h ^ (h >> 31);
}

static int tab_grow(struct tab *t)
{
	size_t cap = t->cap ? 2 * t->cap : 64, mask = 2 * cap - 1;
	struct grp *g = realloc(t->g, cap * sizeof(*g));
	uint32_t *idx;

	if (!g)
		return -ENOMEM;
	t->g = g;
	idx = calloc(mask + 1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t h = mix(g[i].ka, g[i].kb) & mask;

		while (idx[h])
			h = (h + 1) & mask;
		idx[h] = (uint32_t)i + 1;
	}
	free(t->idx);
	t->idx = idx;
	t->mask = mask;
	t->cap = cap;
	return 0;
}

/* grp_get() past its fast path: look up or create. */
static __attribute__((noinline)) struct grp *grp_find(struct tab *t, uint64_t ka, uint64_t kb)
{
	struct grp *g;
	size_t h;

	if (t->n == t->cap && tab_grow(t))
		return NULL;
	for (h = mix(ka, kb) & t->mask; t->idx[h]; h = (h + 1) & t->mask) {
		g = &t->g[t->idx[h] - 1];
		if (g->ka == ka && g->kb == kb) {
			t->last = t->idx[h];
			return g;
		}
	}
	g = &t->g[t->n];
	memset(g, 0, sizeof(*g));
	g->ka = ka;
	g->kb = kb;
	t->idx[h] = (uint32_t)++t->n;
	t->last = t->n;
	return g;
}

/* The group of key (ka, kb), created empty; NULL when out of memory.  A
 * run of records of one group (a storm) costs a compare. */
static inline struct grp *grp_get(struct tab *t, uint64_t ka, uint64_t kb)
{
	struct grp *g = t->last ? &t->g[t->last - 1] : NULL;

	if (g && g->ka == ka && g->kb == kb)
		return g;
	return grp_find(t, ka, kb);
}

/* One row's times into a group (summary.sql's sum/min/max/total). */
static inline void grp_add(struct grp *g, int64_t h, int64_t gu)
{
	if (!g->n) {
		g->hmin = g->hmax = h;
		g->gmin = g->gmax = gu;
	}
	g->n++;
	g->hsum += h;
	g->gsum += gu;
	if (h < g->hmin)
		g->hmin = h;
	if (h > g->hmax)
		g->hmax = h;
	if (gu < g->gmin)
		g->gmin = gu;
	if (gu > g->gmax)
		g->gmax = gu;
	g->hsq += (double)h * (double)h;
	g->gsq += (double)gu * (double)gu;
	g->dirty = true;
}

static void tl_push(struct wsum *w, struct grp *g)
{
	if (w->ntl == w->tlcap) {
		size_t cap = w->tlcap ? 2 * w->tlcap : 256;
		struct tl_row *r = realloc(w->tl, cap * sizeof(*r));

		if (!r) {
			w->exact = false;
			return;
		}
		w->tl = r;
		w->tlcap = cap;
	}
	w->tl[w->ntl++] = (struct tl_row){ (int64_t)(g->ka >> 32), (int64_t)(uint32_t)g->ka,
					   g->ms, g->tn, g->tmin, g->tmax };
	g->tn = 0;
}

/* The id of a device name (0 = NULL); pointers are remembered, names
 * compared only for a pointer not seen before. */
static uint32_t dev_id(struct wsum *w, const char *p)
{
	int i, j;

	if (!p)
		return 0;
	for (i = 0; i < w->ndevp; i++)
		if (w->devp[i] == p)
			return w->devpid[i];
	for (j = 1; j <= w->ndev && strcmp(w->dev[j], p); j++)
		;
	if (j > w->ndev) {
		if (w->ndev == SUM_DEVS || !(w->dev[j] = strdup(p))) {
			w->exact = false;
			return 0;
		}
		w->ndev++;
	}
	if (w->ndevp < SUM_DEVP) {
		w->devp[w->ndevp] = p;
		w->devpid[w->ndevp++] = (uint32_t)j;
	}
	return (uint32_t)j;
}

/* An access whose exit is known: into sum_pio / sum_mmio. */
static inline void acc_group(struct wsum *w, const struct acc *a, const struct recent *e)
{
	struct grp *g = grp_get(&w->t[a->t], (uint64_t)e->vcpu << 24 |
				(uint64_t)a->is_write << 16 | a->dev, a->addr);

	if (!g) {
		w->exact = false;
		return;
	}
	g->bytes += a->bytes;
	grp_add(g, e->h, e->g);
}

static void acc_fold(struct wsum *w, int t, uint64_t seq, uint64_t addr, uint8_t is_write,
		     const char *device, int64_t bytes)
{
	struct acc a = { seq, addr, bytes, dev_id(w, device), (uint8_t)t, is_write, true };
	struct recent *e = &w->rec[seq & (SUM_PEND - 1)];
	struct acc *p = &w->pend[seq & (SUM_PEND - 1)];

	if (e->used && e->seq == seq) {   /* the exit came first */
		acc_group(w, &a, e);
		return;
	}
	if (p->used)   /* evicted before its exit came, or two accesses on one seq */
		w->exact = false;
	*p = a;
}

static void exit_fold(struct wsum *w, const struct b_exit *x)
{
	struct recent *e = &w->rec[x->seq & (SUM_PEND - 1)];
	struct acc *p = &w->pend[x->seq & (SUM_PEND - 1)];
	int64_t t = (int64_t)x->t_ns;
	struct grp *g;

	*e = (struct recent){ x->seq, (int64_t)x->handle_ns, (int64_t)x->guest_ns, x->vcpu, true };
	g = grp_get(&w->t[T_EXIT], (uint64_t)x->vcpu << 32 | x->reason, 0);
	if (!g) {
		w->exact = false;
		return;
	}
	grp_add(g, e->h, e->g);
	w->exits++;
	/* sum_timeline: a new bucket when t leaves [tlo, tlo + TL_NS) */
	if (!(t >= g->tlo && t - g->tlo < TL_NS) || g->n == 1) {
		int64_t ms = t / TL_NS;

		if (g->tn && ms != g->ms)
			tl_push(w, g);
		g->ms = ms;
		g->tlo = ms * TL_NS;
	}
	if (!g->tn)
		g->tmin = g->tmax = t;
	g->tn++;
	if (t < g->tmin)
		g->tmin = t;
	if (t > g->tmax)
		g->tmax = t;
	if (p->used && p->seq == x->seq) {
		acc_group(w, p, e);
		p->used = false;
	}
}

void wr_sum_record(struct store *s, const struct ring_slot *sl)
{
	struct wsum *w = s->sum;

	if (!w || !w->exact)
		return;
	switch (sl->kind) {
	case K_EXIT:
		exit_fold(w, (const void *)sl->u);
		break;
	case K_PIO: {
		const struct b_pio *p = (const void *)sl->u;

		acc_fold(w, T_PIO, p->seq, p->port, p->is_write, p->device,
			 (int64_t)p->size * p->count);
		break;
	}
	case K_MMIO: {
		const struct b_mmio *m = (const void *)sl->u;

		acc_fold(w, T_MMIO, m->seq, m->gpa, m->is_write, m->device, (int64_t)m->len);
		break;
	}
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* writing the groups (writer thread, inside its transaction) */

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int write_grp(struct wsum *w, int t, size_t i)
{
	sqlite3_stmt *st = w->ins[t];
	const struct grp *g = &w->t[t].g[i];
	int c = 1;

	sqlite3_bind_int64(st, c++, (sqlite3_int64)i + 1);
	if (t == T_EXIT) {
		sqlite3_bind_int64(st, c++, (sqlite3_int64)(g->ka >> 32));
		sqlite3_bind_int64(st, c++, (sqlite3_int64)(uint32_t)g->ka);
	} else {
		uint32_t dev = (uint32_t)(g->ka & 0xffff);

		sqlite3_bind_int64(st, c++, (sqlite3_int64)(g->ka >> 24));
		sqlite3_bind_int64(st, c++, (sqlite3_int64)g->kb);
		sqlite3_bind_int(st, c++, (int)((g->ka >> 16) & 1));
		if (dev)
			sqlite3_bind_text(st, c++, w->dev[dev], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, c++);
	}
	sqlite3_bind_int64(st, c++, g->n);
	if (t != T_EXIT)
		sqlite3_bind_int64(st, c++, g->bytes);
	sqlite3_bind_int64(st, c++, g->hsum);
	sqlite3_bind_int64(st, c++, g->hmin);
	sqlite3_bind_int64(st, c++, g->hmax);
	sqlite3_bind_double(st, c++, g->hsq);
	sqlite3_bind_int64(st, c++, g->gsum);
	if (t == T_EXIT) {
		sqlite3_bind_int64(st, c++, g->gmin);
		sqlite3_bind_int64(st, c++, g->gmax);
		sqlite3_bind_double(st, c++, g->gsq);
	}
	return step(st);
}

static int write_info(struct wsum *w, const char *key, bool null, int64_t v)
{
	sqlite3_bind_text(w->info, 1, key, -1, SQLITE_STATIC);
	if (null)
		sqlite3_bind_null(w->info, 2);
	else
		sqlite3_bind_int64(w->info, 2, v);
	return step(w->info);
}

int wr_sum_flush(struct store *s)
{
	struct wsum *w = s->sum;
	struct tab *te;

	if (!w || w->info_dropped)
		return 0;
	if (!w->exact) {
		/* readers must not trust the summary any more */
		w->info_dropped = true;
		return step(w->drop);
	}
	te = &w->t[T_EXIT];
	for (size_t i = 0; i < te->n; i++)
		if (te->g[i].tn)
			tl_push(w, &te->g[i]);
	for (size_t i = 0; i < w->ntl; i++) {
		const struct tl_row *r = &w->tl[i];
		sqlite3_stmt *st = w->tl_ins;

		sqlite3_bind_int64(st, 1, r->vcpu);
		sqlite3_bind_int64(st, 2, r->reason);
		sqlite3_bind_int64(st, 3, r->ms);
		sqlite3_bind_int64(st, 4, r->n);
		sqlite3_bind_int64(st, 5, r->tmin);
		sqlite3_bind_int64(st, 6, r->tmax);
		if (step(st))
			return -EIO;
	}
	w->ntl = 0;
	for (int t = 0; t < T_N; t++)
		for (size_t i = 0; i < w->t[t].n; i++) {
			if (!w->t[t].g[i].dirty)
				continue;
			if (write_grp(w, t, i))
				return -EIO;
			w->t[t].g[i].dirty = false;
		}
	if (write_info(w, "exits_max_seq", !s->maxseq[K_EXIT], (int64_t)s->maxseq[K_EXIT]) ||
	    write_info(w, "pio_max_seq", !s->maxseq[K_PIO], (int64_t)s->maxseq[K_PIO]) ||
	    write_info(w, "mmio_max_seq", !s->maxseq[K_MMIO], (int64_t)s->maxseq[K_MMIO]) ||
	    write_info(w, "exits", !w->t[T_EXIT].n, w->exits))
		return -EIO;
	return 0;
}

/* ------------------------------------------------------------------ */
/* create and close */

int wr_sum_init(struct store *s, char *err, size_t errlen)
{
	static const char *const ins[T_N] = {
		"INSERT OR REPLACE INTO sum_exits(rowid, vcpu, reason, n, handle_sum, handle_min,"
		" handle_max, handle_sumsq, guest_sum, guest_min, guest_max, guest_sumsq)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
		"INSERT OR REPLACE INTO sum_pio(rowid, vcpu, port, is_write, device, n, bytes,"
		" handle_sum, handle_min, handle_max, handle_sumsq, guest_sum)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
		"INSERT OR REPLACE INTO sum_mmio(rowid, vcpu, gpa, is_write, device, n, bytes,"
		" handle_sum, handle_min, handle_max, handle_sumsq, guest_sum)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
	};
	const char *summary = embedded_get("schema/summary.sql");
	struct wsum *w;
	char *msg = NULL;

	if (!summary)
		return 0;       /* no summary tables in this binary: nothing to keep */
	/* the tables, empty (and sum_info saying so) */
	if (sqlite3_exec(s->db, summary, NULL, NULL, &msg) != SQLITE_OK) {
		seterr(err, errlen, "%s: summary tables: %s", s->path,
		       msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -EIO;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	s->sum = w;
	w->exact = true;
	for (int t = 0; t < T_N; t++)
		if (sqlite3_prepare_v3(s->db, ins[t], -1, SQLITE_PREPARE_PERSISTENT, &w->ins[t],
				       NULL) != SQLITE_OK)
			goto fail;
	if (sqlite3_prepare_v3(s->db, "INSERT INTO sum_timeline(vcpu, reason, ms, n, t_min, t_max)"
			       " VALUES (?,?,?,?,?,?) ON CONFLICT(vcpu, reason, ms) DO UPDATE SET"
			       " n = n + excluded.n, t_min = min(t_min, excluded.t_min),"
			       " t_max = max(t_max, excluded.t_max)", -1,
			       SQLITE_PREPARE_PERSISTENT, &w->tl_ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "INSERT OR REPLACE INTO sum_info(key, value) VALUES (?1, ?2)",
			       -1, SQLITE_PREPARE_PERSISTENT, &w->info, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "DELETE FROM sum_info", -1, 0, &w->drop, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	seterr(err, errlen, "%s: preparing the summary statements: %s", s->path,
	       sqlite3_errmsg(s->db));
	return -EIO;
}

/* 1 when sum_info matches the raw tables' max(seq) (as the analyzer checks). */
static int sum_fresh(struct store *s)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM sum_info WHERE key = 'exits_max_seq') = 1"
		" AND (SELECT value FROM sum_info WHERE key = 'exits_max_seq') IS (SELECT max(seq) FROM exits)"
		" AND (SELECT value FROM sum_info WHERE key = 'pio_max_seq') IS (SELECT max(seq) FROM pio)"
		" AND (SELECT value FROM sum_info WHERE key = 'mmio_max_seq') IS (SELECT max(seq) FROM mmio)";
	sqlite3_stmt *st = NULL;
	int fresh = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		fresh = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return fresh;
}

int wr_sum_close(struct store *s, bool *rebuilt)
{
	const char *summary = embedded_get("schema/summary.sql");
	char *msg = NULL;

	*rebuilt = false;
	if (!summary)
		return 0;
	if (s->sum && s->sum->exact && sum_fresh(s))
		return 0;
	*rebuilt = true;
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(s->db, summary, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(s, "%s: summary tables: %s", s->path,
			   msg ? msg : sqlite3_errmsg(s->db));
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

void wr_sum_free(struct store *s)
{
	struct wsum *w = s->sum;

	if (!w)
		return;
	for (int t = 0; t < T_N; t++) {
		sqlite3_finalize(w->ins[t]);
		free(w->t[t].g);
		free(w->t[t].idx);
	}
	sqlite3_finalize(w->tl_ins);
	sqlite3_finalize(w->info);
	sqlite3_finalize(w->drop);
	for (int i = 1; i <= w->ndev; i++)
		free(w->dev[i]);
	free(w->tl);
	free(w);
	s->sum = NULL;
}
