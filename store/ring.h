/*
 * ring.h - a single-producer single-consumer ring of fixed-size 64-byte
 * records plus a side byte ring for variable-length payloads: the hand-off
 * from the vCPU thread to the store's writer thread.
 *
 * Producer:  s = ring_prod_next(r); fill s->kind and s->u; then
 *            ring_prod_publish(r, s, payload, len).
 * Consumer:  n = ring_cons_avail(r); look at ring_cons_slot(r, 0..n-1) and
 *            their payloads; ring_cons_release(r, n); ring_cons_wait() when
 *            there was nothing.
 *
 * Memory ordering: the producer fills a slot and its payload bytes, then
 * publishes with a release store of `head`; the consumer's acquire load of
 * `head` makes them visible.  The consumer hands slots and side bytes back
 * with release stores of `tail` / `side_tail`, which the producer reads with
 * acquire before reusing them.  Each side keeps a cached copy of the other
 * side's index, so the common path touches no shared cache line but the
 * one holding `head`, takes no lock and makes no syscall.
 *
 * Blocking: when the ring (or the side buffer) is full the producer waits
 * on a condition variable (one wait counted in ring_waits()); nothing is
 * ever dropped.  The consumer sleeps on its own condition variable with a
 * timeout when empty; the producer does not signal it on every publish
 * (that would cost a fence per record), only when the producer itself has
 * to wait, and ring_kick() wakes it on demand (flush, stop).
 *
 * Producer-side calls must come from one thread at a time; consumer-side
 * calls from one (other) thread at a time.
 */
#ifndef EXITLOG_RING_H
#define EXITLOG_RING_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RING_REC_SIZE 64
#define RING_BODY_SIZE 48

/* One record.  side_end and plen are managed by the ring; kind, flags and
 * u are the user's. */
struct ring_slot {
	uint64_t side_end;  /* side-buffer position just past this payload */
	uint32_t plen;      /* payload bytes in the side buffer, 0 = none */
	uint8_t kind;
	uint8_t flags;
	uint16_t aux;
	_Alignas(8) uint8_t u[RING_BODY_SIZE];
};
_Static_assert(sizeof(struct ring_slot) == RING_REC_SIZE, "ring slot size");

struct ring {
	/* written by the producer */
	_Alignas(64) _Atomic uint64_t head;   /* records published */
	uint64_t side_head;                   /* side bytes published (monotonic) */
	uint64_t tail_cache;                  /* producer's view of tail */
	uint64_t side_tail_cache;             /* producer's view of side_tail */
	_Atomic uint64_t waits;               /* times the producer waited */

	/* written by the consumer */
	_Alignas(64) _Atomic uint64_t tail;   /* records released */
	_Atomic uint64_t side_tail;           /* side bytes released */
	uint64_t head_cache;                  /* consumer's view of head */

	/* sleeping and waking */
	_Alignas(64) pthread_mutex_t mu;
	pthread_cond_t prod_cv, cons_cv;
	_Atomic int prod_waiting;
	int kicked;
	struct ring *kick_to;   /* also woken when the producer waits (the
				 * ring a consumer of several rings naps on);
				 * set before use, its mutex nests inside ours */

	/* constant after ring_create */
	_Alignas(64) struct ring_slot *slots;
	uint64_t nslots, mask;
	uint8_t *side;
	uint64_t side_cap, side_mask;
};

/*
 * Create a ring of `nrec` records and `side_bytes` of payload space (each
 * rounded up to a power of two; nrec >= 2, side_bytes >= 64).  Returns 0
 * and *out, or -ENOMEM / -EINVAL.
 */
int ring_create(struct ring **out, size_t nrec, size_t side_bytes);
/* Free a ring (no thread may be using it). */
void ring_destroy(struct ring *r);

/* Slow paths of the producer (ring.c): wait until a slot / `len` side
 * bytes are free. */
void ring_wait_slot(struct ring *r);
void ring_wait_side(struct ring *r, size_t len);

/*
 * Producer: the slot the next record goes into; waits while the ring is
 * full.  The slot is not visible to the consumer until ring_prod_publish().
 */
static inline struct ring_slot *ring_prod_next(struct ring *r)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (__builtin_expect(h - r->tail_cache >= r->nslots, 0)) {
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (h - r->tail_cache >= r->nslots)
			ring_wait_slot(r);
	}
	return &r->slots[h & r->mask];
}

/*
 * Producer: copy `len` payload bytes (p may be NULL when len is 0) into the
 * side buffer and publish slot `s` (from ring_prod_next()).  Waits while
 * the side buffer is too full.  Returns 0, or -ENOSPC when len exceeds the
 * whole side buffer (nothing published).
 */
static inline int ring_prod_publish(struct ring *r, struct ring_slot *s,
				    const void *p, size_t len)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (len) {
		uint64_t pos, first;

		if (__builtin_expect(len > r->side_cap, 0))
			return -ENOSPC;
		if (__builtin_expect(r->side_head + len - r->side_tail_cache > r->side_cap, 0)) {
			r->side_tail_cache = atomic_load_explicit(&r->side_tail,
								  memory_order_acquire);
			if (r->side_head + len - r->side_tail_cache > r->side_cap)
				ring_wait_side(r, len);
		}
		pos = r->side_head & r->side_mask;
		first = r->side_cap - pos;
		if (first >= len) {
			memcpy(r->side + pos, p, len);
		} else {
			memcpy(r->side + pos, p, first);
			memcpy(r->side, (const uint8_t *)p + first, len - first);
		}
		r->side_head += len;
	}
	s->plen = (uint32_t)len;
	s->side_end = r->side_head;
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return 0;
}

/* Producer statistics: records published, and times the producer waited. */
static inline uint64_t ring_published(struct ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire);
}
static inline uint64_t ring_waits(struct ring *r)
{
	return atomic_load_explicit(&r->waits, memory_order_relaxed);
}

/* Consumer: records published and not yet released (acquire). */
static inline size_t ring_cons_avail(struct ring *r)
{
	r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
	return (size_t)(r->head_cache -
			atomic_load_explicit(&r->tail, memory_order_relaxed));
}

/* Consumer: the i-th unreleased record (i < ring_cons_avail()). */
static inline struct ring_slot *ring_cons_slot(struct ring *r, size_t i)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	return &r->slots[(t + i) & r->mask];
}

/*
 * Consumer: the payload of slot s.  Returns a pointer into the side buffer
 * when the bytes are contiguous (valid until the slot is released);
 * otherwise (it wraps around the end) a malloc'd copy that is also stored
 * in *owned for the caller to free; NULL only when that malloc fails.
 * Returns a non-NULL pointer to an empty string for plen == 0.
 */
const void *ring_cons_payload(struct ring *r, const struct ring_slot *s, void **owned);

/* Consumer: hand the first n unreleased records and their payloads back,
 * waking the producer if it waits. */
void ring_cons_release(struct ring *r, size_t n);

/* Consumer: sleep until records arrive, ring_kick() is called or
 * timeout_ms passes.  Returns at once when records are available. */
void ring_cons_wait(struct ring *r, int timeout_ms);

/* Consumer: sleep until ring_kick() (or a producer that has to wait) or
 * timeout_ns passes, whether or not records are available: a consumer that
 * works in periodic batches. */
void ring_cons_nap(struct ring *r, uint64_t timeout_ns);

/* Wake the consumer (any thread). */
void ring_kick(struct ring *r);

#endif
