/*
 * writer_int.h - what the files of the store's writer share (writer.c
 * create/meta/close and the synchronous calls, producer.c the vCPU side,
 * wbind.c the bound kinds, wring.c the ring as a table, wthread.c the
 * writer thread and the checkpointer): the record kinds and bodies, the
 * struct store and its states.  Not for use outside store/.
 */
#ifndef EXITLOG_STORE_WRITER_INT_H
#define EXITLOG_STORE_WRITER_INT_H

#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "store/ring.h"
#include "store/store_int.h"
#include "store/writer.h"

#define BATCH_MAX        128         /* upper bound of opts.batch_rows */
#define PASS_MAX         65536       /* records taken from the ring per pass */
#define POLL_MS          75          /* the writer's poll period (writer_main()) */
#define PAGE_SIZE        16384       /* see store_create_opts() */
#define CACHE_KIB        8192        /* page cache of the writer's connection */
#define CKPT_BYTES       (64u << 20) /* WAL size that wakes the checkpointer */

enum kind { K_EXIT, K_PIO, K_MMIO, K_BLK, K_IRQ, K_DMA, K_INFO, K_KEXIT, K_EVENT, K_N };

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
/* an asynchronous event (events table); its bytes, if any, are the payload */
struct b_event {
	uint64_t seq, t_ns, tag;
	const char *device;
	int32_t kind, status;
};
_Static_assert(sizeof(struct b_event) <= RING_BODY_SIZE, "event body");
_Static_assert(sizeof(struct b_exit) <= RING_BODY_SIZE, "exit body");
_Static_assert(sizeof(struct b_pio) <= RING_BODY_SIZE, "pio body");
_Static_assert(sizeof(struct b_mmio) <= RING_BODY_SIZE, "mmio body");
_Static_assert(sizeof(struct b_blk) <= RING_BODY_SIZE, "blk body");
_Static_assert(sizeof(struct b_irq) <= RING_BODY_SIZE, "irq body");
_Static_assert(sizeof(struct b_dma) <= RING_BODY_SIZE, "dma body");
_Static_assert(sizeof(struct b_info) <= RING_BODY_SIZE, "info body");
_Static_assert(sizeof(struct b_kexit) <= RING_BODY_SIZE, "kexit body");

struct store;
struct vt_cur;
typedef int (*bind_fn)(struct store *s, sqlite3_stmt *st, int base,
		       const struct ring_slot *sl, int row);
typedef void (*col_fn)(struct vt_cur *c, const struct ring_slot *sl,
		       sqlite3_context *ctx, int col);

/* How each kind of record becomes a row. */
struct kind_desc {
	const char *table;
	const char *cols;     /* the table's columns we fill, in bind order */
	const char *suffix;   /* after the VALUES list, or NULL */
	int ncols;
	bind_fn bind;         /* bound (multi-row) INSERT ... VALUES, or NULL */
	col_fn col;           /* INSERT ... SELECT FROM the ring table, or NULL */
	bool seq_key;         /* seq is the table's INTEGER PRIMARY KEY */
};

/* The ring tables' glue (see "the ring as a table" below). */
struct vt_aux {
	struct store *s;
	int k;
};

#define STORE_MAX_RINGS  9           /* the store's own ring + 8 producers */

/*
 * A producer: one ring and the spin lock of its put calls.  Ring 0 is the
 * store's own (store_put_*(), s->main): its records are written in the
 * order they were put.  Rings 1.. are handles of store_prod_open() (one
 * per vCPU thread): their records carry seqs, and the writer merges them
 * into seq order (merge.c).  slot->aux holds the ring's index.
 */
struct store_prod {
	_Alignas(64) _Atomic int plock;
	struct ring *ring;
	struct store *s;
	uint16_t idx;
	char name[24];                /* "vcpu0": meta.ring_waits.<name> */
	uint64_t lag_t;               /* t_ns of the last lag mark (producer.c) */
	uint64_t lag_pos[2];          /* records published (all rings) at the
				       * last two marks */
	uint64_t lag_waits;           /* puts that waited for the lag bound
				       * (meta.lag_waits.<name>); the producer's */
	uint64_t lag_due;             /* records the writer must have committed
				       * before this producer goes on (0: none
				       * owed): store_prod_settle() waits */
};

struct store {
	/* producer side: ring 0 */
	struct store_prod main;
	/* every ring, [0] = &main; nprods grows (release) before first use */
	struct store_prod *prods[STORE_MAX_RINGS];
	_Atomic int nprods;
	size_t prod_nrec, prod_side;  /* sizes of the producers' rings */

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

	/* the checkpointer: its own connection and thread (see ckpt_main()) */
	sqlite3 *ckdb;
	pthread_t ckthread;
	bool ck_started;
	pthread_mutex_t ck_mu;
	pthread_cond_t ck_cv;
	bool ck_want, ck_stop;
	unsigned ck_frames;           /* WAL frames that make a checkpoint due */
	unsigned batch;
	size_t min_pass;

	/* writer thread only */
	sqlite3_stmt *one[K_N], *many[K_N];
	sqlite3_stmt *begin, *commit, *meta;
	bool in_txn;
	uint64_t txn_start;
	sqlite3_stmt *vins[K_N];      /* INSERT INTO t SELECT FROM the ring table */
	const struct ring_slot **vrows[K_N];  /* this pass's records, per kind */
	size_t vn[K_N];
	struct vt_aux vaux[K_N];
	sqlite3_stmt *maxq[K_N];      /* SELECT max(seq) of exits, pio, mmio */
	uint64_t maxseq[K_N];         /* their max(seq) (see vt_pos()) */
	bool maxseq_ok;               /* maxseq[] is valid in this transaction */
	bool nullseq;                 /* a seq went in as NULL since the last step */
	uint64_t consumed;
	const struct ring_slot **passv;      /* this pass's records, merged */
	size_t take[STORE_MAX_RINGS];        /* taken from each ring this pass */
	struct wsum *sum;             /* the summaries kept as rows arrive (wsum.c) */
	const struct ring_slot *pend[K_N][BATCH_MAX];
	unsigned npend[K_N];
	char hex[BATCH_MAX][65];
};

/*
 * States of a struct store, on the writer's connection (in the style of
 * SQLite's pager.c; wr_check_state() asserts them):
 *
 *   IDLE     no transaction open: !in_txn, !maxseq_ok, !nullseq.  The
 *            synchronous calls (store_exec, store_meta_set, ...) run only
 *            here, after store_flush() and under db_mu.
 *   IN_TXN   the writer thread opened a transaction (txn_begin):
 *            in_txn, and maxseq_ok (maxseq[] holds max(seq) of exits, pio
 *            and mmio as of this transaction).  nullseq is set between
 *            an INSERT that gave a seq as NULL (vt_pos) and its check
 *            (step_insert), never across passes.
 *   FAILED   failed != 0 (sticky; errmsg holds the first error): a write
 *            failed, the transaction was rolled back (back to !in_txn);
 *            the writer only drains the ring from now on and every flush
 *            or close returns -EIO.
 *
 *   IDLE --txn_begin--> IN_TXN --txn_commit--> IDLE
 *   IN_TXN --any write error: rollback--> IDLE + FAILED
 */
#define wr_check_state(s) \
	assert((s)->in_txn ? (s)->maxseq_ok : (!(s)->maxseq_ok && !(s)->nullseq))

/* one-line error messages: store_seterr() (store/errmsg.c) */
#define seterr store_seterr

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void prod_lock(struct store_prod *p)
{
	unsigned spins = 0;

	while (atomic_exchange_explicit(&p->plock, 1, memory_order_acquire)) {
		while (atomic_load_explicit(&p->plock, memory_order_relaxed))
			if (++spins > 1000)
				sched_yield();
	}
}

static inline void prod_unlock(struct store_prod *p)
{
	atomic_store_explicit(&p->plock, 0, memory_order_release);
}

/* The ring a consumed slot came from. */
static inline struct ring *wr_slot_ring(struct store *s, const struct ring_slot *sl)
{
	return s->prods[sl->aux]->ring;
}

/* Remember the first write error, tell the user once, wake waiters. */
void store_fail(struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* wbind.c: how each kind becomes a row */
extern const struct kind_desc wr_kinds[K_N];
extern const char *const wr_blk_ops[3];
extern const char *const wr_event_kinds[STORE_EV_N];
char *wr_insert_sql(const struct kind_desc *k, unsigned rows);

/* wring.c: the ring as a table, and every statement of the writer */
void wr_col_exit(struct vt_cur *c, const struct ring_slot *sl, sqlite3_context *ctx, int col);
void wr_col_pio(struct vt_cur *c, const struct ring_slot *sl, sqlite3_context *ctx, int col);
void wr_col_mmio(struct vt_cur *c, const struct ring_slot *sl, sqlite3_context *ctx, int col);
int wr_prepare_all(struct store *s, char *err, size_t errlen);
void wr_finalize_all(struct store *s);

/* merge.c: a pass's records from every ring, in order (s->passv) */
size_t wr_gather(struct store *s);
void wr_release(struct store *s);
size_t wr_pending(struct store *s);
bool wr_prod_waiting(struct store *s);
uint64_t wr_published(struct store *s);
void wr_prods_free(struct store *s);
/*
 * wsum.c: the summary tables kept up to date by the writer.
 * wr_sum_init: create them (schema/summary.sql on the empty tables) and
 *   prepare the statements; 0 or -errno with err.  Without an embedded
 *   summary.sql, s->sum stays NULL and the rest are no-ops.
 * wr_sum_record: fold one exits/pio/mmio/blk record (writer thread, inside
 *   its transaction; any order of a seq's access and exit records).
 * wr_sum_flush: write what changed and sum_info, inside the writer's open
 *   transaction after its rows (just before COMMIT); 0 or -EIO.
 * wr_sum_close: after the last commit, rebuild with summary.sql only when
 *   the kept summary is not exact or not fresh (*rebuilt says which); 0 or
 *   -EIO (then store_fail()ed).
 * wr_sum_free: finalize and free (before the connection closes).
 */
struct wsum;
int wr_sum_init(struct store *s, char *err, size_t errlen);
void wr_sum_record(struct store *s, const struct ring_slot *sl);
int wr_sum_flush(struct store *s);
int wr_sum_close(struct store *s, bool *rebuilt);
void wr_sum_free(struct store *s);

/* wthread.c: the writer thread and the checkpointer */
void *wr_writer_main(void *arg);
int wr_ckpt_start(struct store *s, char *err, size_t errlen);
void wr_ckpt_stop(struct store *s);

#endif
