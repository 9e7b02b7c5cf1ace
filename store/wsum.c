/*
 * wsum.c - the summary tables of schema/summary.sql (sum_exits, sum_pio,
 * sum_mmio, sum_timeline, sum_devacc, sum_info), kept up to date by the
 * writer thread as rows arrive instead of built from the raw tables at
 * close.  This file folds records into in-memory groups; wsum_write.c
 * writes them (and creates and closes the tables), wdevacc.c keeps
 * sum_devacc (the block devices' accesses for `exitlog iopath`).
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
#include <stdlib.h>
#include <string.h>

#include "store/wsum_int.h"

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

void wr_sum_tl_push(struct wsum *w, struct grp *g)
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

/* The id of device name p (0 = NULL), by name only: for a name whose
 * pointer does not stay valid.  0 also when there are too many (then
 * the summary is not exact). */
uint32_t wr_sum_dev_name(struct wsum *w, const char *p)
{
	int j;

	if (!p)
		return 0;
	for (j = 1; j <= w->ndev && strcmp(w->dev[j], p); j++)
		;
	if (j > w->ndev) {
		if (w->ndev == SUM_DEVS || !(w->dev[j] = strdup(p))) {
			w->exact = false;
			return 0;
		}
		w->ndev++;
	}
	return (uint32_t)j;
}

/* The id of a device name (0 = NULL); pointers (valid until close) are
 * remembered, names compared only for a pointer not seen before. */
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
	if (a->dev)
		wr_devacc_add(w, a, e);
}

/* A block request names its device: iopath's devices are the disks' and
 * every device that issued a request (sum_devacc packs only theirs). */
static void blk_fold(struct wsum *w, const struct b_blk *b)
{
	uint32_t d = dev_id(w, b->device);

	if (d)
		wr_devacc_disk(w, d);
}

static void acc_fold(struct wsum *w, struct acc a, const char *device)
{
	uint64_t seq = a.seq;
	struct recent *e = &w->rec[seq & (SUM_PEND - 1)];
	struct acc *p = &w->pend[seq & (SUM_PEND - 1)];

	if (e->used && e->seq == seq) {   /* the exit came first */
		a.dev = dev_id(w, device);
		acc_group(w, &a, e);
		return;
	}
	if (p->used)   /* evicted before its exit came, or two accesses on one seq */
		w->exact = false;
	a.dev = dev_id(w, device);
	a.used = true;
	*p = a;
}

static void exit_fold(struct wsum *w, const struct b_exit *x)
{
	struct recent *e = &w->rec[x->seq & (SUM_PEND - 1)];
	struct acc *p = &w->pend[x->seq & (SUM_PEND - 1)];
	int64_t t = (int64_t)x->t_ns;
	struct grp *g;

	*e = (struct recent){ x->seq, (int64_t)x->handle_ns, (int64_t)x->guest_ns, t, x->vcpu, true };
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
			wr_sum_tl_push(w, g);
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

/* The first byte of an access's data (what iopath shows of a command
 * write), for sum_devacc: accesses of a device only. */
static inline void first_byte(struct store *s, const struct ring_slot *sl, const uint8_t *inl,
			      struct acc *a)
{
	const struct ring *r;

	if (!(sl->flags & F_PAYLOAD))
		return;
	if (sl->flags & F_INLINE) {    /* a->bytes of them inline */
		a->has_b0 = a->bytes > 0;
		a->byte0 = inl[0];
		return;
	}
	if (!sl->plen)
		return;
	a->has_b0 = true;
	r = wr_slot_ring(s, sl);
	a->byte0 = r->side[(sl->side_end - sl->plen) & r->side_mask];
}

void wr_sum_record(struct store *s, const struct ring_slot *sl)
{
	struct wsum *w = s->sum;

	if (!w || !w->exact)
		return;
	if (!w->dv_loaded)
		wr_devacc_load(s, w);
	switch (sl->kind) {
	case K_EXIT:
		exit_fold(w, (const void *)sl->u);
		break;
	case K_PIO: {
		const struct b_pio *p = (const void *)sl->u;
		struct acc a = { .seq = p->seq, .addr = p->port, .t = T_PIO,
				 .bytes = (int64_t)p->size * p->count, .is_write = p->is_write };

		if (p->device)
			first_byte(s, sl, p->inl, &a);
		acc_fold(w, a, p->device);
		break;
	}
	case K_MMIO: {
		const struct b_mmio *m = (const void *)sl->u;
		struct acc a = { .seq = m->seq, .addr = m->gpa, .t = T_MMIO,
				 .bytes = (int64_t)m->len, .is_write = m->is_write };

		if (m->device)
			first_byte(s, sl, m->inl, &a);
		acc_fold(w, a, m->device);
		break;
	}
	case K_BLK:
		blk_fold(w, (const void *)sl->u);
		break;
	default:
		break;
	}
}
