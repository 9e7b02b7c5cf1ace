/*
 * ring.c - the slow paths of the SPSC record ring (see ring.h): creation,
 * the producer's waits when full, the consumer's sleep when empty, release
 * and payload access.  The fast paths are inline in ring.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "store/ring.h"

/* A producer that waits re-checks at least this often (belt and braces:
 * the consumer signals it whenever it releases records). */
#define PROD_WAIT_MS 50

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * Zeroed memory for slots or payload bytes, faulted in now: a page fault is
 * a trip into the kernel, and the producer must not make one per page on
 * its first lap.  Huge pages (where THP allows them) spare TLB misses too.
 */
static void *map_zeroed(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (len >= (2u << 20))
		madvise(p, len, MADV_HUGEPAGE);
	for (size_t off = 0; off < len; off += 4096)
		((volatile uint8_t *)p)[off] = 0;
	return p;
}

int ring_create(struct ring **out, size_t nrec, size_t side_bytes)
{
	pthread_condattr_t ca;
	struct ring *r;
	int ret = -ENOMEM;

	*out = NULL;
	if (nrec < 2 || side_bytes < 64 || nrec > (1ull << 32) ||
	    side_bytes > (1ull << 40))
		return -EINVAL;
	if (posix_memalign((void **)&r, 64, sizeof(*r)))
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	r->nslots = pow2_at_least(nrec);
	r->mask = r->nslots - 1;
	r->side_cap = pow2_at_least(side_bytes);
	r->side_mask = r->side_cap - 1;
	r->slots = map_zeroed(r->nslots * sizeof(struct ring_slot));
	if (!r->slots)
		goto err_free;
	r->side = map_zeroed(r->side_cap);
	if (!r->side)
		goto err_slots;
	if (pthread_mutex_init(&r->mu, NULL))
		goto err_side;
	if (pthread_condattr_init(&ca))
		goto err_mu;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&r->prod_cv, &ca))
		goto err_ca;
	if (pthread_cond_init(&r->cons_cv, &ca))
		goto err_pcv;
	pthread_condattr_destroy(&ca);
	*out = r;
	return 0;

err_pcv:
	pthread_cond_destroy(&r->prod_cv);
err_ca:
	pthread_condattr_destroy(&ca);
err_mu:
	pthread_mutex_destroy(&r->mu);
err_side:
	munmap(r->side, r->side_cap);
err_slots:
	munmap(r->slots, r->nslots * sizeof(struct ring_slot));
err_free:
	free(r);
	return ret;
}

void ring_destroy(struct ring *r)
{
	if (!r)
		return;
	pthread_cond_destroy(&r->cons_cv);
	pthread_cond_destroy(&r->prod_cv);
	pthread_mutex_destroy(&r->mu);
	munmap(r->side, r->side_cap);
	munmap(r->slots, r->nslots * sizeof(struct ring_slot));
	free(r);
}

static void deadline_in_ns(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ns / 1000000000u);
	ts->tv_nsec += (long)(ns % 1000000000u);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void deadline_in(struct timespec *ts, int ms)
{
	deadline_in_ns(ts, (uint64_t)ms * 1000000u);
}

/* True while the producer still lacks what it waits for. */
static int prod_blocked(struct ring *r, size_t side_len)
{
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (side_len) {
		r->side_tail_cache = atomic_load_explicit(&r->side_tail,
							  memory_order_acquire);
		return r->side_head + side_len - r->side_tail_cache > r->side_cap;
	}
	r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
	return h - r->tail_cache >= r->nslots;
}

/*
 * The producer's wait.  prod_waiting is set (seq_cst) before re-checking
 * the consumer's index, and the consumer stores its index before loading
 * prod_waiting (with a seq_cst fence between): one of the two sees the
 * other's store, so a release cannot slip by unsignalled.  Signalling
 * happens under the mutex, so it cannot fall between our check and our
 * pthread_cond_timedwait() either.
 */
static void prod_wait(struct ring *r, size_t side_len)
{
	struct timespec ts;
	int slept = 0;

	pthread_mutex_lock(&r->mu);
	atomic_store(&r->prod_waiting, 1);
	atomic_thread_fence(memory_order_seq_cst);
	while (prod_blocked(r, side_len)) {
		if (!slept++)
			atomic_fetch_add_explicit(&r->waits, 1, memory_order_relaxed);
		/* the consumer may be asleep on its timeout: wake it now */
		r->kicked = 1;
		pthread_cond_signal(&r->cons_cv);
		if (r->kick_to)
			ring_kick(r->kick_to);
		deadline_in(&ts, PROD_WAIT_MS);
		pthread_cond_timedwait(&r->prod_cv, &r->mu, &ts);
	}
	atomic_store_explicit(&r->prod_waiting, 0, memory_order_relaxed);
	pthread_mutex_unlock(&r->mu);
}

void ring_wait_slot(struct ring *r)
{
	prod_wait(r, 0);
}

void ring_wait_side(struct ring *r, size_t len)
{
	prod_wait(r, len);
}

const void *ring_cons_payload(struct ring *r, const struct ring_slot *s, void **owned)
{
	uint64_t start, pos, first;
	uint8_t *copy;

	*owned = NULL;
	if (!s->plen)
		return "";
	start = s->side_end - s->plen;
	pos = start & r->side_mask;
	first = r->side_cap - pos;
	if (first >= s->plen)
		return r->side + pos;
	copy = malloc(s->plen);
	if (!copy)
		return NULL;
	memcpy(copy, r->side + pos, first);
	memcpy(copy + first, r->side, s->plen - first);
	*owned = copy;
	return copy;
}

void ring_cons_release(struct ring *r, size_t n)
{
	uint64_t t, side_end;

	if (!n)
		return;
	t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	/* read before the slot is handed back and may be overwritten */
	side_end = r->slots[(t + n - 1) & r->mask].side_end;
	atomic_store_explicit(&r->side_tail, side_end, memory_order_release);
	atomic_store_explicit(&r->tail, t + n, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&r->prod_waiting, memory_order_relaxed)) {
		pthread_mutex_lock(&r->mu);
		pthread_cond_signal(&r->prod_cv);
		pthread_mutex_unlock(&r->mu);
	}
}

void ring_cons_wait(struct ring *r, int timeout_ms)
{
	struct timespec ts;

	pthread_mutex_lock(&r->mu);
	if (!r->kicked && ring_cons_avail(r) == 0) {
		deadline_in(&ts, timeout_ms);
		pthread_cond_timedwait(&r->cons_cv, &r->mu, &ts);
	}
	r->kicked = 0;
	pthread_mutex_unlock(&r->mu);
}

void ring_cons_nap(struct ring *r, uint64_t timeout_ns)
{
	struct timespec ts;

	pthread_mutex_lock(&r->mu);
	if (!r->kicked) {
		deadline_in_ns(&ts, timeout_ns);
		pthread_cond_timedwait(&r->cons_cv, &r->mu, &ts);
	}
	r->kicked = 0;
	pthread_mutex_unlock(&r->mu);
}

void ring_kick(struct ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->kicked = 1;
	pthread_cond_signal(&r->cons_cv);
	pthread_mutex_unlock(&r->mu);
}
