/*
 * writer.c - the recording side of the store: create the database, take
 * records from the vCPU thread through an SPSC ring (store/ring.h) and
 * write them from a writer thread with statements prepared once, bound per
 * row, grouped into multi-row INSERTs and committed at least every 100 ms.
 *
 * Durability: journal_mode=WAL with synchronous=NORMAL while recording.  A
 * commit then appends to the WAL without an fsync (the WAL is synced at
 * checkpoints), so the writer keeps up with millions of rows a second; a
 * crash of exitlog loses nothing that was committed (at most the last
 * 100 ms of records that were still in the ring or in the open
 * transaction), a power cut may lose the WAL frames since the last
 * checkpoint but never corrupts the file.  At close the WAL is folded back
 * (journal_mode=DELETE) so the result is one self-contained file that also
 * opens read-only from read-only media.
 *
 * Threads: the producer side (store_put_*) may be called from several
 * threads; a one-word spin lock serializes them (uncontended it costs one
 * atomic exchange).  All SQLite work on the connection happens either on
 * the writer thread or, for the synchronous calls, after store_flush() and
 * under db_mu, so the connection is opened SQLITE_OPEN_NOMUTEX.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/embedded.h"
#include "store/ring.h"
#include "store/sha256.h"
#include "store/store.h"
#include "store/writer.h"

#define BATCH_MAX        128         /* upper bound of opts.batch_rows */
#define PASS_MAX         65536       /* records taken from the ring per pass */
#define IDLE_WAIT_MS     10          /* writer's sleep when the ring is empty */
#define MIN_PASS         256         /* fewer records than this: wait a bit */
#define BATCH_WAIT_US    1000        /* ... this long, once, for more */
#define WAL_CHECKPOINT   16384       /* pages (64 MiB) between checkpoints */

enum kind { K_EXIT, K_PIO, K_MMIO, K_BLK, K_IRQ, K_DMA, K_INFO, K_KEXIT, K_N };

/* slot flags */
#define F_INLINE  1   /* the payload is in the record body, not the side ring */
#define F_PAYLOAD 2   /* a (possibly empty) payload exists; else SQL NULL */

/* Record bodies; each fits RING_BODY_SIZE. */
struct b_exit {
	uint64_t seq, t_ns, guest_ns, handle_ns;
	uint32_t vcpu, reason;
};
struct b_pio {
	uint64_t seq;
	const char *device;
	uint32_t count;
	uint16_t port;
	uint8_t size, is_write;
	uint8_t inl[24];
};
struct b_mmio {
	uint64_t seq, gpa;
	const char *device;
	uint32_t len;
	uint8_t is_write;
	uint8_t inl[16];
};
struct b_blk {
	uint64_t seq, sector, latency_ns;
	const char *device;
	int32_t disk, op, status;
	uint32_t nsectors;
};
struct b_irq {
	uint64_t seq;
	const char *device;
	int32_t line, level;
};
struct b_dma {
	uint64_t seq, gpa;
	const char *device;
	uint32_t len;
	int32_t status;
	uint8_t is_write;
};
struct b_info {
	uint64_t seq;
	int64_t code;
};
struct b_kexit {
	uint64_t t_ns, rip, info1, info2;
	const char *isa;
	uint32_t vcpu, reason;
};
_Static_assert(sizeof(struct b_exit) <= RING_BODY_SIZE, "exit body");
_Static_assert(sizeof(struct b_pio) <= RING_BODY_SIZE, "pio body");
_Static_assert(sizeof(struct b_mmio) <= RING_BODY_SIZE, "mmio body");
_Static_assert(sizeof(struct b_blk) <= RING_BODY_SIZE, "blk body");
_Static_assert(sizeof(struct b_irq) <= RING_BODY_SIZE, "irq body");
_Static_assert(sizeof(struct b_dma) <= RING_BODY_SIZE, "dma body");
_Static_assert(sizeof(struct b_info) <= RING_BODY_SIZE, "info body");
_Static_assert(sizeof(struct b_kexit) <= RING_BODY_SIZE, "kexit body");

struct store;
typedef int (*bind_fn)(struct store *s, sqlite3_stmt *st, int base,
		       const struct ring_slot *sl, int row);

/* How each kind of record becomes a row. */
struct kind_desc {
	const char *insert;   /* "INSERT INTO t(cols) VALUES" */
	const char *suffix;   /* after the VALUES list, or NULL */
	int ncols;
	bind_fn bind;
};

struct store {
	/* producer side */
	_Alignas(64) _Atomic int plock;
	struct ring *ring;

	/* shared state, under mu */
	_Alignas(64) pthread_mutex_t mu;
	pthread_cond_t cv;            /* committed advanced, failed, ... */
	uint64_t committed;           /* records consumed and committed */
	bool stop;
	_Atomic uint64_t flush_target;
	_Atomic int failed;
	char errmsg[512];

	/* the connection; db_mu is held by whoever uses it */
	pthread_mutex_t db_mu;
	sqlite3 *db;
	char *path;
	pthread_t thread;
	bool thread_started;
	unsigned batch;
	size_t min_pass;

	/* writer thread only */
	sqlite3_stmt *one[K_N], *many[K_N];
	sqlite3_stmt *begin, *commit, *meta;
	bool in_txn;
	uint64_t txn_start;
	uint64_t consumed;
	const struct ring_slot *pend[K_N][BATCH_MAX];
	unsigned npend[K_N];
	char hex[BATCH_MAX][65];
};

static const char *const blk_ops[] = { "read", "write", "flush" };

/* ------------------------------------------------------------------ */
/* helpers */

__attribute__((format(printf, 3, 4)))
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (char *p = err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Remember the first write error, tell the user once, wake waiters. */
__attribute__((format(printf, 2, 3)))
static void store_fail(struct store *s, const char *fmt, ...)
{
	char msg[sizeof(s->errmsg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	pthread_mutex_lock(&s->mu);
	if (!atomic_load(&s->failed)) {
		memcpy(s->errmsg, msg, sizeof(msg));
		atomic_store(&s->failed, 1);
		fprintf(stderr, "exitlog: database write failed: %s\n", msg);
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static inline void prod_lock(struct store *s)
{
	unsigned spins = 0;

	while (atomic_exchange_explicit(&s->plock, 1, memory_order_acquire)) {
		while (atomic_load_explicit(&s->plock, memory_order_relaxed))
			if (++spins > 1000)
				sched_yield();
	}
}

static inline void prod_unlock(struct store *s)
{
	atomic_store_explicit(&s->plock, 0, memory_order_release);
}

/* ------------------------------------------------------------------ */
/* binding rows (writer thread) */

static inline int bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static inline int bind_str(sqlite3_stmt *st, int i, const char *v)
{
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Bind the slot's payload as a blob (or text) at i, or NULL without
 * F_PAYLOAD. */
static int bind_payload(struct store *s, sqlite3_stmt *st, int i,
			const struct ring_slot *sl, const void *inl, size_t inl_len,
			bool text)
{
	const void *p;
	void *owned = NULL;
	size_t len;

	if (!(sl->flags & F_PAYLOAD))
		return sqlite3_bind_null(st, i);
	if (sl->flags & F_INLINE) {
		p = inl;
		len = inl_len;
	} else {
		p = ring_cons_payload(s->ring, sl, &owned);
		if (!p)
			return SQLITE_NOMEM;
		len = sl->plen;
	}
	/* a wrapped payload was copied: SQLite frees the copy */
	if (text)
		return sqlite3_bind_text64(st, i, p, len, owned ? free : SQLITE_STATIC,
					   SQLITE_UTF8);
	return sqlite3_bind_blob64(st, i, p, len, owned ? free : SQLITE_STATIC);
}

static int bind_exit(struct store *s, sqlite3_stmt *st, int b,
		     const struct ring_slot *sl, int row)
{
	const struct b_exit *e = (const void *)sl->u;
	int rc = 0;

	(void)s;
	(void)row;
	rc |= bind_u64(st, b + 1, e->seq);
	rc |= sqlite3_bind_int64(st, b + 2, e->vcpu);
	rc |= sqlite3_bind_int64(st, b + 3, e->reason);
	rc |= bind_u64(st, b + 4, e->t_ns);
	rc |= bind_u64(st, b + 5, e->guest_ns);
	rc |= bind_u64(st, b + 6, e->handle_ns);
	return rc;
}

static int bind_pio(struct store *s, sqlite3_stmt *st, int b,
		    const struct ring_slot *sl, int row)
{
	const struct b_pio *p = (const void *)sl->u;
	int rc = 0;

	(void)row;
	rc |= bind_u64(st, b + 1, p->seq);
	rc |= sqlite3_bind_int(st, b + 2, p->port);
	rc |= sqlite3_bind_int(st, b + 3, p->size);
	rc |= sqlite3_bind_int(st, b + 4, p->is_write);
	rc |= sqlite3_bind_int64(st, b + 5, p->count);
	rc |= bind_payload(s, st, b + 6, sl, p->inl, (size_t)p->size * p->count, false);
	rc |= bind_str(st, b + 7, p->device);
	return rc;
}

static int bind_mmio(struct store *s, sqlite3_stmt *st, int b,
		     const struct ring_slot *sl, int row)
{
	const struct b_mmio *m = (const void *)sl->u;
	int rc = 0;

	(void)row;
	rc |= bind_u64(st, b + 1, m->seq);
	rc |= bind_u64(st, b + 2, m->gpa);
	rc |= sqlite3_bind_int64(st, b + 3, m->len);
	rc |= sqlite3_bind_int(st, b + 4, m->is_write);
	rc |= bind_payload(s, st, b + 5, sl, m->inl, m->len, false);
	rc |= bind_str(st, b + 6, m->device);
	return rc;
}

static int bind_blk(struct store *s, sqlite3_stmt *st, int b,
		    const struct ring_slot *sl, int row)
{
	const struct b_blk *k = (const void *)sl->u;
	const char *op = k->op >= 0 && k->op < 3 ? blk_ops[k->op] : "unknown";
	int rc = 0;

	rc |= bind_u64(st, b + 1, k->seq);
	rc |= bind_str(st, b + 2, k->device ? k->device : "");
	rc |= bind_str(st, b + 3, op);
	rc |= bind_u64(st, b + 4, k->sector);
	rc |= sqlite3_bind_int64(st, b + 5, k->nsectors);
	if (sl->flags & F_PAYLOAD) {
		void *owned = NULL;
		const uint8_t *h = ring_cons_payload(s->ring, sl, &owned);

		if (!h)
			return SQLITE_NOMEM;
		sha256_hex(h, s->hex[row]);
		free(owned);
		rc |= sqlite3_bind_text(st, b + 6, s->hex[row], 64, SQLITE_STATIC);
	} else {
		rc |= sqlite3_bind_null(st, b + 6);
	}
	rc |= sqlite3_bind_int(st, b + 7, k->status);
	rc |= bind_u64(st, b + 8, k->latency_ns);
	rc |= sqlite3_bind_int(st, b + 9, k->disk);
	return rc;
}

static int bind_irq(struct store *s, sqlite3_stmt *st, int b,
		    const struct ring_slot *sl, int row)
{
	const struct b_irq *q = (const void *)sl->u;
	int rc = 0;

	(void)s;
	(void)row;
	rc |= bind_u64(st, b + 1, q->seq);
	rc |= sqlite3_bind_int(st, b + 2, q->line);
	rc |= sqlite3_bind_int(st, b + 3, q->level);
	rc |= bind_str(st, b + 4, q->device);
	return rc;
}

static int bind_dma(struct store *s, sqlite3_stmt *st, int b,
		    const struct ring_slot *sl, int row)
{
	const struct b_dma *d = (const void *)sl->u;
	int rc = 0;

	(void)row;
	rc |= bind_u64(st, b + 1, d->seq);
	rc |= bind_str(st, b + 2, d->device ? d->device : "");
	rc |= bind_u64(st, b + 3, d->gpa);
	rc |= sqlite3_bind_int64(st, b + 4, d->len);
	rc |= sqlite3_bind_int(st, b + 5, d->is_write);
	rc |= bind_payload(s, st, b + 6, sl, NULL, 0, false);
	rc |= sqlite3_bind_int(st, b + 7, d->status);
	return rc;
}

static int bind_info(struct store *s, sqlite3_stmt *st, int b,
		     const struct ring_slot *sl, int row)
{
	const struct b_info *f = (const void *)sl->u;
	int rc = 0;

	(void)row;
	rc |= bind_u64(st, b + 1, f->seq);
	rc |= sqlite3_bind_int64(st, b + 2, f->code);
	rc |= bind_payload(s, st, b + 3, sl, NULL, 0, true);
	return rc;
}

static int bind_kexit(struct store *s, sqlite3_stmt *st, int b,
		      const struct ring_slot *sl, int row)
{
	const struct b_kexit *k = (const void *)sl->u;
	int rc = 0;

	(void)row;
	rc |= bind_u64(st, b + 1, k->t_ns);
	rc |= sqlite3_bind_int64(st, b + 2, k->vcpu);
	rc |= bind_str(st, b + 3, k->isa ? k->isa : "");
	rc |= sqlite3_bind_int64(st, b + 4, k->reason);
	if (sl->flags & F_PAYLOAD)
		rc |= bind_payload(s, st, b + 5, sl, NULL, 0, true);
	else
		rc |= bind_str(st, b + 5, "");
	rc |= bind_u64(st, b + 6, k->rip);
	rc |= bind_u64(st, b + 7, k->info1);
	rc |= bind_u64(st, b + 8, k->info2);
	return rc;
}

static const struct kind_desc kinds[K_N] = {
	[K_EXIT] = { "INSERT INTO exits(seq, vcpu, reason, t_ns, guest_ns, handle_ns) VALUES",
		     NULL, 6, bind_exit },
	[K_PIO] = { "INSERT INTO pio(seq, port, size, is_write, count, data, device) VALUES",
		    NULL, 7, bind_pio },
	[K_MMIO] = { "INSERT INTO mmio(seq, gpa, len, is_write, data, device) VALUES",
		     NULL, 6, bind_mmio },
	[K_BLK] = { "INSERT INTO blk_requests(seq, device, op, sector, nsectors, data_hash,"
		    " status, latency_ns, disk) VALUES", NULL, 9, bind_blk },
	[K_IRQ] = { "INSERT INTO irqs(seq, line, level, device) VALUES", NULL, 4, bind_irq },
	[K_DMA] = { "INSERT INTO dma(seq, device, gpa, len, is_write, data, status) VALUES",
		    NULL, 7, bind_dma },
	/* two details for one exit are joined rather than failing the run */
	[K_INFO] = { "INSERT INTO exit_info(seq, code, detail) VALUES",
		     " ON CONFLICT(seq) DO UPDATE SET detail ="
		     " CASE WHEN detail IS NULL THEN excluded.detail"
		     " WHEN excluded.detail IS NULL THEN detail"
		     " ELSE detail || '; ' || excluded.detail END", 3, bind_info },
	[K_KEXIT] = { "INSERT INTO kernel_exits(t_ns, vcpu, isa, reason, reason_name, rip,"
		      " info1, info2) VALUES", NULL, 8, bind_kexit },
};

/* "INSERT ... VALUES (?,?,..),(..)... suffix" for `rows` rows. */
static char *insert_sql(const struct kind_desc *k, unsigned rows)
{
	size_t tuple = 2 + 2 * (size_t)k->ncols;
	size_t len = strlen(k->insert) + rows * (tuple + 1) +
		     (k->suffix ? strlen(k->suffix) : 0) + 1;
	char *sql = malloc(len), *p;

	if (!sql)
		return NULL;
	p = sql + sprintf(sql, "%s", k->insert);
	for (unsigned r = 0; r < rows; r++) {
		*p++ = r ? ',' : ' ';
		*p++ = '(';
		for (int c = 0; c < k->ncols; c++) {
			if (c)
				*p++ = ',';
			*p++ = '?';
		}
		*p++ = ')';
	}
	*p = '\0';
	if (k->suffix)
		strcat(p, k->suffix);
	return sql;
}

static int prepare_all(struct store *s, char *err, size_t errlen)
{
	for (int k = 0; k < K_N; k++) {
		for (int m = 0; m < 2; m++) {
			unsigned rows = m ? s->batch : 1;
			sqlite3_stmt **st = m ? &s->many[k] : &s->one[k];
			char *sql;
			int rc;

			if (m && rows < 2)
				continue;
			sql = insert_sql(&kinds[k], rows);
			if (!sql)
				return -ENOMEM;
			rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
						st, NULL);
			free(sql);
			if (rc != SQLITE_OK) {
				seterr(err, errlen, "%s: preparing inserts: %s", s->path,
				       sqlite3_errmsg(s->db));
				return -EIO;
			}
		}
	}
	if (sqlite3_prepare_v2(s->db, "BEGIN", -1, &s->begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "COMMIT", -1, &s->commit, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
			       -1, &s->meta, NULL) != SQLITE_OK) {
		seterr(err, errlen, "%s: preparing statements: %s", s->path,
		       sqlite3_errmsg(s->db));
		return -EIO;
	}
	return 0;
}

static void finalize_all(struct store *s)
{
	for (int k = 0; k < K_N; k++) {
		sqlite3_finalize(s->one[k]);
		sqlite3_finalize(s->many[k]);
		s->one[k] = s->many[k] = NULL;
	}
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->meta);
	s->begin = s->commit = s->meta = NULL;
}

/* ------------------------------------------------------------------ */
/* the writer thread */

static int step_done(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_fail(s, "%s: %s", s->path, sqlite3_errmsg(s->db));
		return -EIO;
	}
	return 0;
}

/* Insert `n` pending rows of kind k: one multi-row statement for a full
 * batch, single-row statements otherwise. */
static int insert_rows(struct store *s, int k, unsigned n)
{
	const struct kind_desc *d = &kinds[k];
	int rc;

	if (n == s->batch && s->many[k]) {
		for (unsigned i = 0; i < n; i++) {
			rc = d->bind(s, s->many[k], (int)i * d->ncols, s->pend[k][i], (int)i);
			if (rc)
				goto bind_fail;
		}
		return step_done(s, s->many[k]);
	}
	for (unsigned i = 0; i < n; i++) {
		rc = d->bind(s, s->one[k], 0, s->pend[k][i], 0);
		if (rc)
			goto bind_fail;
		if (step_done(s, s->one[k]))
			return -EIO;
	}
	return 0;
bind_fail:
	/* the codes were or-ed together; the connection holds the message */
	store_fail(s, "%s: binding a row: %s", s->path, sqlite3_errmsg(s->db));
	return -EIO;
}

static void rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = false;
}

static int txn_commit(struct store *s)
{
	if (!s->in_txn)
		return 0;
	s->in_txn = false;
	return step_done(s, s->commit);
}

/* Write n records from the ring (under db_mu); nothing after a failure. */
static void write_pass(struct store *s, size_t n)
{
	unsigned *np = s->npend;

	if (atomic_load_explicit(&s->failed, memory_order_relaxed))
		return;
	if (!s->in_txn) {
		if (step_done(s, s->begin))
			return;
		s->in_txn = true;
		s->txn_start = now_ns();
	}
	for (size_t i = 0; i < n; i++) {
		const struct ring_slot *sl = ring_cons_slot(s->ring, i);
		unsigned k = sl->kind;

		if (k >= K_N) {
			store_fail(s, "%s: corrupt record in the ring (kind %u)", s->path, k);
			goto fail;
		}
		s->pend[k][np[k]++] = sl;
		if (np[k] == s->batch) {
			if (insert_rows(s, (int)k, np[k]))
				goto fail;
			np[k] = 0;
		}
	}
	for (int k = 0; k < K_N; k++) {
		if (np[k] && insert_rows(s, k, np[k]))
			goto fail;
		np[k] = 0;
	}
	return;
fail:
	memset(s->npend, 0, sizeof(s->npend));
	rollback(s);
}

static void publish_committed(struct store *s)
{
	pthread_mutex_lock(&s->mu);
	s->committed = s->consumed;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void *writer_main(void *arg)
{
	struct store *s = arg;
	const uint64_t commit_ns = STORE_COMMIT_MS * 1000000ull;
	const struct timespec batch_wait = { 0, BATCH_WAIT_US * 1000L };

	for (;;) {
		uint64_t target, now;
		size_t n;
		bool stop;

		pthread_mutex_lock(&s->mu);
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		target = atomic_load(&s->flush_target);

		n = ring_cons_avail(s->ring);
		if (n && n < s->min_pass && !stop && target <= s->committed &&
		    !atomic_load_explicit(&s->ring->prod_waiting, memory_order_relaxed)) {
			/* let a batch build up: fewer, fuller passes, and the
			 * producer keeps its cache lines to itself meanwhile */
			nanosleep(&batch_wait, NULL);
			n = ring_cons_avail(s->ring);
		}
		if (n) {
			if (n > PASS_MAX)
				n = PASS_MAX;
			pthread_mutex_lock(&s->db_mu);
			write_pass(s, n);
			ring_cons_release(s->ring, n);
			s->consumed += n;
			/* commit when old enough, or when a flush waits for these */
			if (s->in_txn && (now_ns() - s->txn_start >= commit_ns ||
					  (target > s->committed && s->consumed >= target))) {
				if (txn_commit(s))
					rollback(s);
				pthread_mutex_unlock(&s->db_mu);
				publish_committed(s);
			} else {
				pthread_mutex_unlock(&s->db_mu);
			}
			continue;
		}

		/* the ring is empty */
		now = now_ns();
		if (s->in_txn) {
			uint64_t age = now - s->txn_start;

			if (stop || target > s->committed || age >= commit_ns) {
				pthread_mutex_lock(&s->db_mu);
				if (txn_commit(s))
					rollback(s);
				pthread_mutex_unlock(&s->db_mu);
			} else {
				uint64_t left = (commit_ns - age) / 1000000u + 1;

				ring_cons_wait(s->ring, left < IDLE_WAIT_MS ? (int)left
									    : IDLE_WAIT_MS);
				continue;
			}
		}
		if (s->committed != s->consumed || target > s->committed)
			publish_committed(s);
		if (stop)
			break;
		ring_cons_wait(s->ring, IDLE_WAIT_MS);
	}
	return NULL;
}

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

static inline struct ring_slot *slot_begin(struct store *s, enum kind k)
{
	struct ring_slot *sl;

	prod_lock(s);
	sl = ring_prod_next(s->ring);
	sl->kind = (uint8_t)k;
	return sl;
}

static inline int slot_end(struct store *s, struct ring_slot *sl,
			   const void *p, size_t len)
{
	int rc = ring_prod_publish(s->ring, sl, p, len);

	prod_unlock(s);
	return rc;
}

int store_put_exit(struct store *s, const struct rec_exit *r)
{
	struct ring_slot *sl = slot_begin(s, K_EXIT);
	struct b_exit *e = (void *)sl->u;

	sl->flags = 0;
	e->seq = r->seq;
	e->t_ns = r->t_ns;
	e->guest_ns = r->guest_ns;
	e->handle_ns = r->handle_ns;
	e->vcpu = r->vcpu;
	e->reason = r->reason;
	return slot_end(s, sl, NULL, 0);
}

int store_put_pio(struct store *s, const struct rec_pio *r)
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

int store_put_mmio(struct store *s, const struct rec_mmio *r)
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

int store_put_blk(struct store *s, const struct rec_blk *r)
{
	struct ring_slot *sl = slot_begin(s, K_BLK);
	struct b_blk *k = (void *)sl->u;

	k->seq = r->seq;
	k->sector = r->sector;
	k->latency_ns = r->latency_ns;
	k->device = r->device;
	k->disk = r->disk;
	k->op = r->op;
	k->status = r->status;
	k->nsectors = r->nsectors;
	sl->flags = r->has_hash ? F_PAYLOAD : 0;
	return slot_end(s, sl, r->hash, r->has_hash ? sizeof(r->hash) : 0);
}

int store_put_irq(struct store *s, const struct rec_irq *r)
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

int store_put_dma(struct store *s, const struct rec_dma *r)
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

int store_put_info(struct store *s, const struct rec_info *r)
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

int store_put_kexit(struct store *s, const struct rec_kexit *r)
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

uint64_t store_ring_waits(const struct store *s)
{
	return ring_waits(s->ring);
}

uint64_t store_records(const struct store *s)
{
	return ring_published(s->ring);
}

int store_flush(struct store *s)
{
	uint64_t target = ring_published(s->ring);
	int ret;

	pthread_mutex_lock(&s->mu);
	if (s->committed < target && !atomic_load(&s->failed)) {
		uint64_t old = atomic_load(&s->flush_target);

		while (old < target &&
		       !atomic_compare_exchange_weak(&s->flush_target, &old, target))
			;
		pthread_mutex_unlock(&s->mu);
		ring_kick(s->ring);
		pthread_mutex_lock(&s->mu);
		while (s->committed < target && !atomic_load(&s->failed))
			pthread_cond_wait(&s->cv, &s->mu);
	}
	ret = atomic_load(&s->failed) ? -EIO : 0;
	pthread_mutex_unlock(&s->mu);
	return ret;
}

/* ------------------------------------------------------------------ */
/* synchronous calls */

int store_meta_set(struct store *s, const char *key, const char *value)
{
	int rc, ret = 0;

	ret = store_flush(s);
	if (ret)
		return ret;
	pthread_mutex_lock(&s->db_mu);
	sqlite3_bind_text(s->meta, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->meta, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->meta);
	sqlite3_reset(s->meta);
	sqlite3_clear_bindings(s->meta);
	if (rc != SQLITE_DONE)
		ret = -EIO;
	pthread_mutex_unlock(&s->db_mu);
	return ret;
}

int store_meta_setf(struct store *s, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *v;
	int n, ret;

	va_start(ap, fmt);
	n = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	ret = store_meta_set(s, key, v);
	free(v);
	return ret;
}

int store_exec(struct store *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int ret;

	ret = store_flush(s);
	if (ret) {
		seterr(err, errlen, "%s: %s", s->path, s->errmsg);
		return ret;
	}
	pthread_mutex_lock(&s->db_mu);
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		seterr(err, errlen, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		ret = -EIO;
	}
	pthread_mutex_unlock(&s->db_mu);
	sqlite3_free(msg);
	return ret;
}

sqlite3 *store_db(struct store *s)
{
	store_flush(s);
	return s->db;
}

/* ------------------------------------------------------------------ */
/* create and close */

/* Remove a database and its side files; with side_only, just the side
 * files (orphans a new database must not pick up: SQLite would replay a
 * stale -wal or -journal into it). */
static int unlink_db(const char *path, bool side_only, char *err, size_t errlen)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char name[4096];

	for (size_t i = side_only ? 1 : 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if ((size_t)snprintf(name, sizeof(name), "%s%s", path, sfx[i]) >= sizeof(name)) {
			seterr(err, errlen, "%s: path too long", path);
			return -ENAMETOOLONG;
		}
		if (unlink(name) && errno != ENOENT) {
			int e = errno;
			seterr(err, errlen, "%s: cannot replace: %s", name, strerror(e));
			return -e;
		}
	}
	return 0;
}

static int exec_or_err(struct store *s, const char *sql, const char *what,
		       char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	seterr(err, errlen, "%s: %s: %s", s->path, what,
	       msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return -EIO;
}

static void store_free(struct store *s)
{
	finalize_all(s);
	if (s->db)
		sqlite3_close_v2(s->db);
	ring_destroy(s->ring);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->db_mu);
	free(s->path);
	free(s);
}

int store_create_opts(struct store **out, const char *path, bool force,
		      const struct store_opts *o, char *err, size_t errlen)
{
	const struct store_opts def = { 0 };
	const char *schema = embedded_get("schema/exitlog.sql");
	sigset_t all, old;
	struct store *s;
	char pragmas[256];
	int fd, rc, ret;

	*out = NULL;
	if (!o)
		o = &def;
	if (!schema) {
		seterr(err, errlen, "%s: schema/exitlog.sql is not built into this binary", path);
		return -ENOENT;
	}
	if (force) {
		ret = unlink_db(path, false, err, errlen);
		if (ret)
			return ret;
	}
	/* O_EXCL: an existing file is never touched */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		if (ret == -EEXIST)
			seterr(err, errlen, "%s: file exists (not replaced without force)", path);
		else
			seterr(err, errlen, "%s: cannot create: %s", path, strerror(-ret));
		return ret;
	}
	close(fd);
	ret = unlink_db(path, true, err, errlen);
	if (ret)
		goto err_unlink;

	ret = -ENOMEM;
	if (posix_memalign((void **)&s, 64, sizeof(*s)))
		goto err_unlink;
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->db_mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->batch = o->batch_rows ? o->batch_rows : STORE_BATCH_ROWS;
	if (s->batch > BATCH_MAX)
		s->batch = BATCH_MAX;
	s->path = strdup(path);
	if (!s->path)
		goto err_free;
	ret = ring_create(&s->ring, o->ring_records ? o->ring_records : STORE_RING_RECORDS,
			  o->side_bytes ? o->side_bytes : STORE_SIDE_BYTES);
	if (ret) {
		seterr(err, errlen, "%s: cannot allocate the record ring: %s", path,
		       strerror(-ret));
		goto err_free;
	}
	s->min_pass = s->ring->nslots / 4 < MIN_PASS ? s->ring->nslots / 4 : MIN_PASS;

	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		seterr(err, errlen, "%s: cannot open: %s", path,
		       s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		ret = -EIO;
		goto err_free;
	}
	/* someone else's brief lock on the file (a reader's checkpoint, the
	 * sqlite3 shell) must not fail the recording */
	sqlite3_busy_timeout(s->db, 5000);
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA page_size=4096; PRAGMA journal_mode=WAL;"
		 " PRAGMA synchronous=NORMAL; PRAGMA cache_size=-8192;"
		 " PRAGMA wal_autocheckpoint=%d;", WAL_CHECKPOINT);
	ret = exec_or_err(s, pragmas, "setting up", err, errlen);
	if (ret)
		goto err_free;
	ret = exec_or_err(s, "BEGIN", "creating the schema", err, errlen);
	if (!ret)
		ret = exec_or_err(s, schema, "creating the schema", err, errlen);
	if (!ret) {
		char sql[128];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO meta(key, value) VALUES ('schema_version', '%d');"
			 " COMMIT", STORE_SCHEMA_VERSION);
		ret = exec_or_err(s, sql, "creating the schema", err, errlen);
	}
	if (ret)
		goto err_free;
	ret = prepare_all(s, err, errlen);
	if (ret)
		goto err_free;

	/* the writer thread takes no signals: they belong to the vCPU loop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		seterr(err, errlen, "%s: cannot start the writer thread: %s", path,
		       strerror(rc));
		ret = -rc;
		goto err_free;
	}
	pthread_setname_np(s->thread, "exitlog-writer");
	s->thread_started = true;
	*out = s;
	return 0;

err_free:
	store_free(s);
err_unlink:
	unlink_db(path, false, NULL, 0);
	return ret;
}

int store_create(struct store **out, const char *path, bool force,
		 char *err, size_t errlen)
{
	return store_create_opts(out, path, force, NULL, err, errlen);
}

/* After the writer stopped: meta.ring_waits, then the summary tables. */
static void close_extras(struct store *s)
{
	const char *summary = embedded_get("schema/summary.sql");
	char sql[128], *msg = NULL;

	snprintf(sql, sizeof(sql),
		 "INSERT OR REPLACE INTO meta(key, value) VALUES ('ring_waits', '%llu')",
		 (unsigned long long)ring_waits(s->ring));
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(s, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		goto out;
	}
	if (!summary)
		goto out;
	if (sqlite3_exec(s->db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(s->db, summary, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(s, "%s: summary tables: %s", s->path,
			   msg ? msg : sqlite3_errmsg(s->db));
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
out:
	sqlite3_free(msg);
}

/* Fold the WAL back into the file: no -wal/-shm remain. */
static void close_wal(struct store *s)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode = NULL;

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=DELETE", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		mode = sqlite3_column_text(st, 0);
	if (!mode || strcmp((const char *)mode, "delete") != 0)
		fprintf(stderr, "exitlog: %s: left in WAL mode (%s); it is complete but"
			" needs its -wal file\n", s->path,
			mode ? "another process has it open" : sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
}

int store_close(struct store *s)
{
	int ret;

	if (!s)
		return 0;
	if (s->thread_started) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_mutex_unlock(&s->mu);
		ring_kick(s->ring);
		pthread_join(s->thread, NULL);
		s->thread_started = false;
	}
	finalize_all(s);
	if (!atomic_load(&s->failed))
		close_extras(s);
	close_wal(s);
	ret = atomic_load(&s->failed) ? -EIO : 0;
	if (sqlite3_close(s->db) != SQLITE_OK) {
		/* statements a caller prepared through store_db() still live */
		fprintf(stderr, "exitlog: %s: closing: %s\n", s->path, sqlite3_errmsg(s->db));
		sqlite3_close_v2(s->db);
	}
	s->db = NULL;
	store_free(s);
	return ret;
}
