/*
 * producer.c - the producer side of the store (store_put_*, called on the
 * vCPU thread): fixed-size records into the SPSC ring, blobs into its side
 * buffer, never a syscall unless the ring is full.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/writer_int.h"

/* ------------------------------------------------------------------ */
/* producer side */

/* Copy a small payload into a record body; the common widths inline. */
static inline void copy_small(uint8_t *dst, const void *src, size_t len)
{
	switch (len) {
	case 0: break;
	case 1: memcpy(dst, src, 1); break;
	case 2: memcpy(dst, src, 2); break;
	case 4: memcpy(dst, src, 4); break;
	case 8: memcpy(dst, src, 8); break;
	default: memcpy(dst, src, len); break;
	}
}

static inline struct ring_slot *slot_begin(struct store_prod *s, enum kind k)
{
	struct ring_slot *sl;

	prod_lock(s);
	sl = ring_prod_next(s->ring);
	sl->kind = (uint8_t)k;
	sl->aux = s->idx;
	return sl;
}

static inline int slot_end(struct store_prod *s, struct ring_slot *sl,
			   const void *p, size_t len)
{
	int rc = ring_prod_publish(s->ring, sl, p, len);

	prod_unlock(s);
	return rc;
}

static int wait_committed(struct store *s, uint64_t target, bool *waited);

/*
 * The durability bound: a recorder killed at any moment loses at most the
 * last ~100 ms of its exits.  The writer commits at least every 100 ms
 * while it runs; but when it gets less CPU than the vCPU threads (a loaded
 * host) the 1M-record rings would let the backlog grow to seconds.  So every
 * LAG_MARK_NS of the exits' own t_ns each producer marks how many records
 * all rings have published (wr_published), and before going on waits until
 * the writer has committed that many as of the mark before last: nothing
 * put more than 2 * LAG_MARK_NS of recording ago is left uncommitted.  A
 * starved writer slows the guest instead.  Normally the mark is long
 * committed and this costs one comparison per exit.  The put only notes
 * what is owed; store_prod_settle() waits for it, which the run step calls
 * after it has released the dispatch lock: a vCPU that waits for the
 * writer no longer holds up the other vCPUs, the IO threads' completions
 * and the console (their accesses need that lock, the writer does not).
 */
#define LAG_MARK_NS (50 * 1000000ull)

int store_prod_put_exit(struct store_prod *s, const struct rec_exit *r)
{
	struct ring_slot *sl = slot_begin(s, K_EXIT);
	struct b_exit *e = (void *)sl->u;
	uint64_t due = 0;
	int rc;

	sl->flags = 0;
	e->seq = r->seq;
	e->t_ns = r->t_ns;
	e->guest_ns = r->guest_ns;
	e->handle_ns = r->handle_ns;
	e->vcpu = r->vcpu;
	e->reason = r->reason;
	rc = ring_prod_publish(s->ring, sl, NULL, 0);
	if ((int64_t)(r->t_ns - s->lag_t) >= (int64_t)LAG_MARK_NS) {
		due = s->lag_pos[0];
		s->lag_pos[0] = s->lag_pos[1];
		s->lag_pos[1] = wr_published(s->s);
		s->lag_t = r->t_ns;
	}
	prod_unlock(s);
	if (!rc && due > s->lag_due)
		s->lag_due = due;
	return rc;
}

void store_prod_settle(struct store_prod *s)
{
	uint64_t due = s->lag_due;
	bool waited = false;

	if (!due)
		return;
	s->lag_due = 0;
	/* a write error is store_flush/close's to report */
	wait_committed(s->s, due, &waited);
	if (waited)
		s->lag_waits++;
}

int store_prod_put_pio(struct store_prod *s, const struct rec_pio *r)
{
	size_t len = (size_t)r->size * r->count;
	struct ring_slot *sl;
	struct b_pio *p;

	if (len > s->ring->side_cap)
		return -ENOSPC;
	sl = slot_begin(s, K_PIO);
	p = (void *)sl->u;
	p->seq = r->seq;
	p->device = r->device;
	p->count = r->count;
	p->port = r->port;
	p->size = r->size;
	p->is_write = r->is_write;
	if (len <= sizeof(p->inl)) {
		sl->flags = F_PAYLOAD | F_INLINE;
		copy_small(p->inl, r->data, len);
		return slot_end(s, sl, NULL, 0);
	}
	sl->flags = F_PAYLOAD;
	return slot_end(s, sl, r->data, len);
}

int store_prod_put_mmio(struct store_prod *s, const struct rec_mmio *r)
{
	struct ring_slot *sl;
	struct b_mmio *m;

	if (r->len > s->ring->side_cap)
		return -ENOSPC;
	sl = slot_begin(s, K_MMIO);
	m = (void *)sl->u;
	m->seq = r->seq;
	m->gpa = r->gpa;
	m->device = r->device;
	m->len = r->len;
	m->is_write = r->is_write;
	if (r->len <= sizeof(m->inl)) {
		sl->flags = F_PAYLOAD | F_INLINE;
		copy_small(m->inl, r->data, r->len);
		return slot_end(s, sl, NULL, 0);
	}
	sl->flags = F_PAYLOAD;
	return slot_end(s, sl, r->data, r->len);
}

int store_prod_put_blk(struct store_prod *s, const struct rec_blk *r)
{
	struct ring_slot *sl = slot_begin(s, K_BLK);
	struct b_blk *k = (void *)sl->u;
	uint8_t pl[40]; /* [hash][done_seq]: see bind_blk() */
	size_t plen = 0;

	k->seq = r->seq;
	k->sector = r->sector;
	k->latency_ns = r->latency_ns;
	k->device = r->device;
	k->disk = r->disk;
	k->op = r->op;
	k->status = r->status;
	k->nsectors = r->nsectors;
	if (r->has_hash) {
		memcpy(pl, r->hash, sizeof(r->hash));
		plen = sizeof(r->hash);
	}
	if (r->done_seq) {
		memcpy(pl + plen, &r->done_seq, sizeof(r->done_seq));
		plen += sizeof(r->done_seq);
	}
	sl->flags = plen ? F_PAYLOAD : 0;
	return slot_end(s, sl, pl, plen);
}

int store_prod_put_irq(struct store_prod *s, const struct rec_irq *r)
{
	struct ring_slot *sl = slot_begin(s, K_IRQ);
	struct b_irq *q = (void *)sl->u;

	sl->flags = 0;
	q->seq = r->seq;
	q->device = r->device;
	q->line = r->line;
	q->level = r->level;
	return slot_end(s, sl, NULL, 0);
}

int store_prod_put_dma(struct store_prod *s, const struct rec_dma *r)
{
	size_t len = r->data ? r->len : 0;
	struct ring_slot *sl;
	struct b_dma *d;

	if (len > s->ring->side_cap)
		return -ENOSPC;
	sl = slot_begin(s, K_DMA);
	d = (void *)sl->u;
	d->seq = r->seq;
	d->gpa = r->gpa;
	d->device = r->device;
	d->len = r->len;
	d->status = r->status;
	d->is_write = r->is_write;
	sl->flags = r->data ? F_PAYLOAD : 0;
	return slot_end(s, sl, r->data, len);
}

int store_prod_put_info(struct store_prod *s, const struct rec_info *r)
{
	size_t len = r->detail ? strlen(r->detail) : 0;
	struct ring_slot *sl;
	struct b_info *f;

	if (len > s->ring->side_cap)
		return -ENOSPC;
	sl = slot_begin(s, K_INFO);
	f = (void *)sl->u;
	f->seq = r->seq;
	f->code = r->code;
	sl->flags = r->detail ? F_PAYLOAD : 0;
	return slot_end(s, sl, r->detail, len);
}

int store_prod_put_kexit(struct store_prod *s, const struct rec_kexit *r)
{
	size_t len = r->reason_name ? strlen(r->reason_name) : 0;
	struct ring_slot *sl;
	struct b_kexit *k;

	if (len > s->ring->side_cap)
		return -ENOSPC;
	sl = slot_begin(s, K_KEXIT);
	k = (void *)sl->u;
	k->t_ns = r->t_ns;
	k->rip = r->rip;
	k->info1 = r->info1;
	k->info2 = r->info2;
	k->isa = r->isa;
	k->vcpu = r->vcpu;
	k->reason = r->reason;
	sl->flags = r->reason_name ? F_PAYLOAD : 0;
	return slot_end(s, sl, r->reason_name, len);
}

int store_put_exit(struct store *s, const struct rec_exit *r)
{
	int rc = store_prod_put_exit(&s->main, r);

	store_prod_settle(&s->main);
	return rc;
}

int store_put_pio(struct store *s, const struct rec_pio *r)
{
	return store_prod_put_pio(&s->main, r);
}

int store_put_mmio(struct store *s, const struct rec_mmio *r)
{
	return store_prod_put_mmio(&s->main, r);
}

int store_put_blk(struct store *s, const struct rec_blk *r)
{
	return store_prod_put_blk(&s->main, r);
}

int store_put_irq(struct store *s, const struct rec_irq *r)
{
	return store_prod_put_irq(&s->main, r);
}

int store_put_dma(struct store *s, const struct rec_dma *r)
{
	return store_prod_put_dma(&s->main, r);
}

int store_put_info(struct store *s, const struct rec_info *r)
{
	return store_prod_put_info(&s->main, r);
}

int store_put_kexit(struct store *s, const struct rec_kexit *r)
{
	return store_prod_put_kexit(&s->main, r);
}

int store_prod_put_event(struct store_prod *s, const struct rec_event *r)
{
	size_t len = r->data ? r->len : 0;
	struct ring_slot *sl;
	struct b_event *e;

	if (len > s->ring->side_cap || r->kind < 0 || r->kind >= STORE_EV_N)
		return len > s->ring->side_cap ? -ENOSPC : -EINVAL;
	sl = slot_begin(s, K_EVENT);
	e = (void *)sl->u;
	e->seq = r->seq;
	e->t_ns = r->t_ns;
	e->tag = r->tag;
	e->device = r->device;
	e->kind = r->kind;
	e->status = r->status;
	sl->flags = r->data ? F_PAYLOAD : 0;
	return slot_end(s, sl, r->data, len);
}

int store_put_event(struct store *s, const struct rec_event *r)
{
	return store_prod_put_event(&s->main, r);
}

uint64_t store_ring_waits(const struct store *s)
{
	uint64_t n = 0;

	for (int i = 0; i < atomic_load((_Atomic int *)&s->nprods); i++)
		n += ring_waits(s->prods[i]->ring);
	return n;
}

uint64_t store_prod_waits(const struct store_prod *p)
{
	return ring_waits(p->ring);
}

uint64_t store_records(const struct store *s)
{
	return wr_published((struct store *)s);
}

/* Wait until the writer has committed the first `target` records; *waited
 * (if given) says whether that took a wait. */
static int wait_committed(struct store *s, uint64_t target, bool *waited)
{
	int ret;

	pthread_mutex_lock(&s->mu);
	if (s->committed < target && !atomic_load(&s->failed)) {
		if (waited)
			*waited = true;
		uint64_t old = atomic_load(&s->flush_target);

		while (old < target &&
		       !atomic_compare_exchange_weak(&s->flush_target, &old, target))
			;
		pthread_mutex_unlock(&s->mu);
		ring_kick(s->main.ring);
		pthread_mutex_lock(&s->mu);
		while (s->committed < target && !atomic_load(&s->failed))
			pthread_cond_wait(&s->cv, &s->mu);
	}
	ret = atomic_load(&s->failed) ? -EIO : 0;
	pthread_mutex_unlock(&s->mu);
	return ret;
}

int store_flush(struct store *s)
{
	return wait_committed(s, wr_published(s), NULL);
}
