/*
 * merge.c - several producers, one seq order: the producers' rings
 * (store_prod_open(), one per vCPU thread) and the writer's k-way merge of
 * them into the records of one pass (s->passv), smallest seq first.
 *
 * Why a merge is exact: the recorder takes an exit's seq and puts every
 * row of that seq while it holds the dispatch lock.  So when the writer
 * sees a record of seq x in any ring (an acquire load of that ring's
 * head), every record of a seq below x was published before it (by the
 * lock's release/acquire chain), and a load of the other rings' heads made
 * after that one shows them.  A pass therefore loads every head twice:
 * the first snapshot gives `bound`, the largest seq visible anywhere; the
 * second snapshot then holds every record of every seq <= bound, and the
 * merge takes exactly those, in seq order.  Records above the bound wait
 * for the next pass.  No seq is ever written before a smaller one, and no
 * producer is ever made to wait by the merge (only by a full ring).
 *
 * Ring 0 (the store's own, store_put_*()) is not merged: its records go
 * first, in put order (the single-producer stores of replay -o and the
 * tests; kernel exits, which have no seq, in a recording).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/writer_int.h"

/* The seq of a record; kernel exits have none (0: taken at once). */
static inline uint64_t slot_seq(const struct ring_slot *sl)
{
	uint64_t seq;

	if (sl->kind == K_KEXIT)
		return 0;
	memcpy(&seq, sl->u, sizeof(seq)); /* every other body starts with seq */
	return seq;
}

int store_prod_open(struct store *s, const char *name, struct store_prod **out)
{
	int n = atomic_load(&s->nprods);
	struct store_prod *p;
	int rc;

	*out = NULL;
	if (n >= STORE_MAX_RINGS)
		return -ENOSPC;
	if (posix_memalign((void **)&p, 64, sizeof(*p)))
		return -ENOMEM;
	memset(p, 0, sizeof(*p));
	rc = ring_create(&p->ring, s->prod_nrec, s->prod_side);
	if (rc) {
		free(p);
		return rc;
	}
	p->ring->kick_to = s->main.ring; /* a waiting producer wakes the writer */
	p->s = s;
	p->idx = (uint16_t)n;
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "");
	s->prods[n] = p;
	atomic_store_explicit(&s->nprods, n + 1, memory_order_release);
	*out = p;
	return 0;
}

struct store_prod *store_prod_main(struct store *s)
{
	return &s->main;
}

void wr_prods_free(struct store *s)
{
	int n = atomic_load(&s->nprods);

	for (int i = 1; i < n; i++) {
		ring_destroy(s->prods[i]->ring);
		free(s->prods[i]);
		s->prods[i] = NULL;
	}
	atomic_store(&s->nprods, n ? 1 : 0);
}

/* The last record of ring r now visible, if any: its seq into *seq. */
static bool last_seq(struct ring *r, uint64_t *seq)
{
	size_t a = ring_cons_avail(r);

	if (!a)
		return false;
	*seq = slot_seq(ring_cons_slot(r, a - 1));
	return true;
}

size_t wr_gather(struct store *s)
{
	int nr = atomic_load_explicit(&s->nprods, memory_order_acquire);
	size_t avail[STORE_MAX_RINGS], n = 0;
	uint64_t bound = 0, q;
	bool any = false;

	/* ring 0 in put order */
	avail[0] = ring_cons_avail(s->main.ring);
	while (n < avail[0] && n < PASS_MAX) {
		s->passv[n] = ring_cons_slot(s->main.ring, n);
		n++;
	}
	s->take[0] = n;
	/* first snapshot: the bound */
	for (int r = 1; r < nr; r++) {
		s->take[r] = 0;
		if (last_seq(s->prods[r]->ring, &q)) {
			bound = !any || q > bound ? q : bound;
			any = true;
		}
	}
	if (!any)
		return n;
	/* second snapshot: everything up to the bound is in it */
	for (int r = 1; r < nr; r++)
		avail[r] = ring_cons_avail(s->prods[r]->ring);
	while (n < PASS_MAX) {
		uint64_t best = UINT64_MAX, second = UINT64_MAX;
		int br = -1;
		struct ring *ring;

		for (int r = 1; r < nr; r++) {
			if (s->take[r] >= avail[r])
				continue;
			q = slot_seq(ring_cons_slot(s->prods[r]->ring, s->take[r]));
			if (q < best) {
				second = best;
				best = q;
				br = r;
			} else if (q < second) {
				second = q;
			}
		}
		if (br < 0 || best > bound)
			break;
		/* a run from this ring, up to the next ring's head */
		ring = s->prods[br]->ring;
		while (n < PASS_MAX && s->take[br] < avail[br]) {
			const struct ring_slot *sl = ring_cons_slot(ring, s->take[br]);

			q = slot_seq(sl);
			if (q > bound || q > second)
				break;
			s->passv[n++] = sl;
			s->take[br]++;
		}
	}
	return n;
}

void wr_release(struct store *s)
{
	int nr = atomic_load_explicit(&s->nprods, memory_order_acquire);

	for (int r = 0; r < nr; r++) {
		ring_cons_release(s->prods[r]->ring, s->take[r]);
		s->take[r] = 0;
	}
}

size_t wr_pending(struct store *s)
{
	int nr = atomic_load_explicit(&s->nprods, memory_order_acquire);
	size_t n = 0;

	for (int r = 0; r < nr; r++)
		n += ring_cons_avail(s->prods[r]->ring);
	return n;
}

bool wr_prod_waiting(struct store *s)
{
	int nr = atomic_load_explicit(&s->nprods, memory_order_acquire);

	for (int r = 0; r < nr; r++)
		if (atomic_load_explicit(&s->prods[r]->ring->prod_waiting, memory_order_relaxed))
			return true;
	return false;
}

uint64_t wr_published(struct store *s)
{
	int nr = atomic_load_explicit(&s->nprods, memory_order_acquire);
	uint64_t n = 0;

	for (int r = 0; r < nr; r++)
		n += ring_published(s->prods[r]->ring);
	return n;
}
