/*
 * writer.c - the recording side of the store: create the database, take
 * records from the vCPU thread through an SPSC ring (store/ring.h) and
 * write them from a writer thread with statements prepared once, in large
 * transactions committed at least every 100 ms.
 *
 * How rows get in (bench/README.md has the measurements behind each step):
 * - exits, pio and mmio -- nearly every row -- through eponymous virtual
 *   tables over the ring ("the ring as a table"): one
 *   INSERT INTO t SELECT ... FROM exitlog_ring_t per table and pass, the
 *   column values read straight from the ring slots, no sqlite3_bind_*();
 *   and a seq that continues its table goes in as NULL, so SQLite appends
 *   at the rightmost leaf instead of searching the b-tree for every key
 *   (vt_pos()).  Together: 6,970 -> 4,850 instructions per storm exit.
 * - the rarer kinds (blk_requests, irqs, dma, exit_info, kernel_exits):
 *   prepared multi-row INSERT ... VALUES, bound per row.
 * - the writer polls the ring every POLL_MS instead of chasing each
 *   handful of records: a slow stream (the storm guest in the sandbox
 *   makes ~20,000 exits/s) costs one wake-up, one statement per table and
 *   one commit per poll (writer_main()).
 * - 16 KiB pages, 8 MiB of page cache, and no checkpoint on the writer's
 *   connection: a checkpointer thread does them (ckpt_main()).
 *
 * Durability: journal_mode=WAL with synchronous=NORMAL while recording.  A
 * commit then appends to the WAL without an fsync (the WAL is synced at
 * checkpoints, every 64 MiB of it), so the writer keeps up with millions
 * of rows a second; a crash of exitlog loses nothing that was committed
 * (at most the last ~100 ms of records that were still in the ring or in
 * the open transaction), a power cut may lose the WAL frames since the
 * last checkpoint but never corrupts the file.  At close the WAL is folded
 * back (journal_mode=DELETE) so the result is one self-contained file that
 * also opens read-only from read-only media.
 *
 * Threads: the producer side (store_put_*) may be called from several
 * threads; a one-word spin lock serializes them (uncontended it costs one
 * atomic exchange).  All SQLite work on the writer's connection happens
 * either on the writer thread or, for the synchronous calls, after
 * store_flush() and under db_mu, so the connection is opened
 * SQLITE_OPEN_NOMUTEX; the checkpointer has a connection of its own.
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
#include "util/sha256.h"
#include "store/store_int.h"
#include "store/writer.h"

#define BATCH_MAX        128         /* upper bound of opts.batch_rows */
#define PASS_MAX         65536       /* records taken from the ring per pass */
#define POLL_MS          75          /* the writer's poll period (writer_main()) */
#define PAGE_SIZE        16384       /* see store_create_opts() */
#define CACHE_KIB        8192        /* page cache of the writer's connection */
#define CKPT_BYTES       (64u << 20) /* WAL size that wakes the checkpointer */

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
	const struct ring_slot *pend[K_N][BATCH_MAX];
	unsigned npend[K_N];
	char hex[BATCH_MAX][65];
};

static const char *const blk_ops[] = { "read", "write", "flush" };

/* ------------------------------------------------------------------ */
/* helpers */

/* one-line error messages: store_seterr() (store/errmsg.c) */
#define seterr store_seterr

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

static void col_exit(struct vt_cur *c, const struct ring_slot *sl,
		     sqlite3_context *ctx, int col);
static void col_pio(struct vt_cur *c, const struct ring_slot *sl,
		    sqlite3_context *ctx, int col);
static void col_mmio(struct vt_cur *c, const struct ring_slot *sl,
		     sqlite3_context *ctx, int col);

static const struct kind_desc kinds[K_N] = {
	[K_EXIT] = { "exits", "seq, vcpu, reason, t_ns, guest_ns, handle_ns",
		     NULL, 6, NULL, col_exit, true },
	[K_PIO] = { "pio", "seq, port, size, is_write, count, data, device",
		    NULL, 7, NULL, col_pio, true },
	[K_MMIO] = { "mmio", "seq, gpa, len, is_write, data, device",
		     NULL, 6, NULL, col_mmio, true },
	[K_BLK] = { "blk_requests", "seq, device, op, sector, nsectors, data_hash,"
		    " status, latency_ns, disk", NULL, 9, bind_blk, NULL, false },
	[K_IRQ] = { "irqs", "seq, line, level, device", NULL, 4, bind_irq, NULL, false },
	[K_DMA] = { "dma", "seq, device, gpa, len, is_write, data, status",
		    NULL, 7, bind_dma, NULL, false },
	/* two details for one exit are joined rather than failing the run */
	[K_INFO] = { "exit_info", "seq, code, detail",
		     " ON CONFLICT(seq) DO UPDATE SET detail ="
		     " CASE WHEN detail IS NULL THEN excluded.detail"
		     " WHEN excluded.detail IS NULL THEN detail"
		     " ELSE detail || '; ' || excluded.detail END", 3, bind_info, NULL, false },
	[K_KEXIT] = { "kernel_exits", "t_ns, vcpu, isa, reason, reason_name, rip,"
		      " info1, info2", NULL, 8, bind_kexit, NULL, false },
};

/* "INSERT ... VALUES (?,?,..),(..)... suffix" for `rows` rows. */
static char *insert_sql(const struct kind_desc *k, unsigned rows)
{
	size_t tuple = 2 + 2 * (size_t)k->ncols;
	size_t len = strlen(k->table) + strlen(k->cols) + 32 + rows * (tuple + 1) +
		     (k->suffix ? strlen(k->suffix) : 0) + 1;
	char *sql = malloc(len), *p;

	if (!sql)
		return NULL;
	p = sql + sprintf(sql, "INSERT INTO %s(%s) VALUES", k->table, k->cols);
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


/* ------------------------------------------------------------------ */
/* the ring as a table (writer thread)
 *
 * The high-volume kinds do not go through bound parameters at all: each
 * is an eponymous virtual table, exitlog_ring_<table>, whose rows are this
 * pass's records of that kind, read straight from the ring slots; one
 * "INSERT INTO t(cols) SELECT cols FROM exitlog_ring_t" per kind and pass
 * moves them.  That spares the sqlite3_bind_*() calls (~100 instructions a
 * value), the VALUES co-routine's register copies and one sqlite3_step()
 * per 64 rows.  Column values are handed over without copies
 * (SQLITE_STATIC: the slots stay unreleased until the statement is done).
 */
struct vt_tab {
	sqlite3_vtab base;
	struct store *s;
	int k;
};

struct vt_cur {
	sqlite3_vtab_cursor base;
	struct store *s;
	int k;
	size_t i, n;
	bool null_seq;          /* this row's seq goes in as NULL (vt_pos()) */
};

/*
 * Position on row i and decide how its seq goes in.  A row that comes right
 * after its table's largest seq goes in as NULL: SQLite then takes
 * max(rowid)+1 -- the same number -- from the b-tree's rightmost cell and
 * appends without searching for the key, where an explicit rowid costs a
 * root-to-leaf binary search (its uniqueness check) per row: a quarter of
 * the writer's instructions.  s->maxseq[k] is the table's true max(seq):
 * read at BEGIN (nothing else writes the tables while the writer's
 * transaction is open) and advanced here; step_insert() checks
 * sqlite3_last_insert_rowid() against it.  Anything else (a gap, or a seq
 * not above the max, which must fail as a duplicate) goes in as given.
 */
static inline void vt_pos(struct vt_cur *c)
{
	struct store *s = c->s;

	if (c->i < c->n && kinds[c->k].seq_key) {
		uint64_t seq;

		/* every seq-keyed body starts with its seq */
		memcpy(&seq, s->vrows[c->k][c->i]->u, sizeof(seq));
		c->null_seq = false;
		if (seq == s->maxseq[c->k] + 1 && s->maxseq_ok) {
			c->null_seq = true;
			s->nullseq = true;
			s->maxseq[c->k] = seq;
		} else if (seq > s->maxseq[c->k] && seq <= INT64_MAX) {
			s->maxseq[c->k] = seq;
		}
	}
}

static inline void res_seq(struct vt_cur *c, sqlite3_context *ctx, uint64_t seq)
{
	if (c->null_seq)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, (sqlite3_int64)seq);
}

static inline void res_u64(sqlite3_context *ctx, uint64_t v)
{
	sqlite3_result_int64(ctx, (sqlite3_int64)v);
}

/* The payload of a slot as a blob, or NULL without F_PAYLOAD. */
static void res_payload(struct store *s, sqlite3_context *ctx, const struct ring_slot *sl,
			const void *inl, size_t inl_len)
{
	const void *p;
	void *owned = NULL;

	if (!(sl->flags & F_PAYLOAD)) {
		sqlite3_result_null(ctx);
		return;
	}
	if (sl->flags & F_INLINE) {
		sqlite3_result_blob64(ctx, inl, inl_len, SQLITE_STATIC);
		return;
	}
	p = ring_cons_payload(s->ring, sl, &owned);
	if (!p) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	/* a wrapped payload was copied: SQLite frees the copy */
	sqlite3_result_blob64(ctx, p, sl->plen, owned ? free : SQLITE_STATIC);
}

static inline void res_str(sqlite3_context *ctx, const char *v)
{
	if (v)
		sqlite3_result_text(ctx, v, -1, SQLITE_STATIC);
	else
		sqlite3_result_null(ctx);
}

static void col_exit(struct vt_cur *c, const struct ring_slot *sl,
		     sqlite3_context *ctx, int col)
{
	const struct b_exit *e = (const void *)sl->u;

	switch (col) {
	case 0: res_seq(c, ctx, e->seq); break;
	case 1: sqlite3_result_int64(ctx, e->vcpu); break;
	case 2: sqlite3_result_int64(ctx, e->reason); break;
	case 3: res_u64(ctx, e->t_ns); break;
	case 4: res_u64(ctx, e->guest_ns); break;
	default: res_u64(ctx, e->handle_ns); break;
	}
}

static void col_pio(struct vt_cur *c, const struct ring_slot *sl,
		    sqlite3_context *ctx, int col)
{
	const struct b_pio *p = (const void *)sl->u;

	switch (col) {
	case 0: res_seq(c, ctx, p->seq); break;
	case 1: sqlite3_result_int(ctx, p->port); break;
	case 2: sqlite3_result_int(ctx, p->size); break;
	case 3: sqlite3_result_int(ctx, p->is_write); break;
	case 4: sqlite3_result_int64(ctx, p->count); break;
	case 5: res_payload(c->s, ctx, sl, p->inl, (size_t)p->size * p->count); break;
	default: res_str(ctx, p->device); break;
	}
}

static void col_mmio(struct vt_cur *c, const struct ring_slot *sl,
		     sqlite3_context *ctx, int col)
{
	const struct b_mmio *m = (const void *)sl->u;

	switch (col) {
	case 0: res_seq(c, ctx, m->seq); break;
	case 1: res_u64(ctx, m->gpa); break;
	case 2: sqlite3_result_int64(ctx, m->len); break;
	case 3: sqlite3_result_int(ctx, m->is_write); break;
	case 4: res_payload(c->s, ctx, sl, m->inl, m->len); break;
	default: res_str(ctx, m->device); break;
	}
}

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
		      sqlite3_vtab **out, char **err)
{
	const struct vt_aux *a = aux;
	struct vt_tab *t;
	char sql[256];
	int rc;

	(void)argc;
	(void)argv;
	(void)err;
	snprintf(sql, sizeof(sql), "CREATE TABLE x(%s)", kinds[a->k].cols);
	rc = sqlite3_declare_vtab(db, sql);
	if (rc != SQLITE_OK)
		return rc;
	t = sqlite3_malloc(sizeof(*t));
	if (!t)
		return SQLITE_NOMEM;
	memset(t, 0, sizeof(*t));
	t->s = a->s;
	t->k = a->k;
	*out = &t->base;
	return SQLITE_OK;
}

static int vt_disconnect(sqlite3_vtab *v)
{
	sqlite3_free(v);
	return SQLITE_OK;
}

static int vt_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
	(void)v;
	info->estimatedCost = 1e6;
	info->estimatedRows = 65536;
	return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
	struct vt_tab *t = (struct vt_tab *)v;
	struct vt_cur *c = sqlite3_malloc(sizeof(*c));

	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	c->s = t->s;
	c->k = t->k;
	*out = &c->base;
	return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_free(cur);
	return SQLITE_OK;
}

static int vt_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxs,
		     int argc, sqlite3_value **argv)
{
	struct vt_cur *c = (struct vt_cur *)cur;

	(void)idx;
	(void)idxs;
	(void)argc;
	(void)argv;
	c->i = 0;
	c->n = c->s->vn[c->k];
	vt_pos(c);
	return SQLITE_OK;
}

static int vt_next(sqlite3_vtab_cursor *cur)
{
	struct vt_cur *c = (struct vt_cur *)cur;

	c->i++;
	vt_pos(c);
	return SQLITE_OK;
}

static int vt_eof(sqlite3_vtab_cursor *cur)
{
	const struct vt_cur *c = (const struct vt_cur *)cur;

	return c->i >= c->n;
}

static int vt_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
	struct vt_cur *c = (struct vt_cur *)cur;

	kinds[c->k].col(c, c->s->vrows[c->k][c->i], ctx, col);
	return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((struct vt_cur *)cur)->i;
	return SQLITE_OK;
}

static const sqlite3_module ring_module = {
	.iVersion = 0,
	.xCreate = NULL,              /* eponymous only */
	.xConnect = vt_connect,
	.xBestIndex = vt_best_index,
	.xDisconnect = vt_disconnect,
	.xDestroy = vt_disconnect,
	.xOpen = vt_open,
	.xClose = vt_close,
	.xFilter = vt_filter,
	.xNext = vt_next,
	.xEof = vt_eof,
	.xColumn = vt_column,
	.xRowid = vt_rowid,
};

/* Register the ring tables and prepare their INSERT ... SELECTs. */
static int prepare_ring_tables(struct store *s, char *err, size_t errlen)
{
	for (int k = 0; k < K_N; k++) {
		const struct kind_desc *d = &kinds[k];
		char name[64], *sql;
		int rc;

		if (!d->col)
			continue;
		s->vrows[k] = malloc(PASS_MAX * sizeof(*s->vrows[k]));
		if (!s->vrows[k])
			return -ENOMEM;
		s->vaux[k].s = s;
		s->vaux[k].k = k;
		snprintf(name, sizeof(name), "exitlog_ring_%s", d->table);
		if (sqlite3_create_module_v2(s->db, name, &ring_module, &s->vaux[k], NULL) !=
		    SQLITE_OK)
			goto fail;
		sql = sqlite3_mprintf("INSERT INTO %s(%s) SELECT %s FROM %s", d->table, d->cols,
				      d->cols, name);
		if (!sql)
			return -ENOMEM;
		rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->vins[k],
					NULL);
		sqlite3_free(sql);
		if (rc != SQLITE_OK)
			goto fail;
	}
	return 0;
fail:
	seterr(err, errlen, "%s: preparing inserts: %s", s->path, sqlite3_errmsg(s->db));
	return -EIO;
}

static int prepare_all(struct store *s, char *err, size_t errlen)
{
	int ret = prepare_ring_tables(s, err, errlen);

	if (ret)
		return ret;
	for (int k = 0; k < K_N; k++) {
		for (int m = 0; m < 2; m++) {
			unsigned rows = m ? s->batch : 1;
			sqlite3_stmt **st = m ? &s->many[k] : &s->one[k];
			char *sql;
			int rc;

			if (!kinds[k].bind || (m && rows < 2))
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
	for (int k = 0; k < K_N; k++) {
		static const char *const maxsql[K_N] = {
			[K_EXIT] = "SELECT coalesce(max(seq), 0) FROM exits",
			[K_PIO] = "SELECT coalesce(max(seq), 0) FROM pio",
			[K_MMIO] = "SELECT coalesce(max(seq), 0) FROM mmio",
		};

		if (maxsql[k] && sqlite3_prepare_v3(s->db, maxsql[k], -1,
						    SQLITE_PREPARE_PERSISTENT, &s->maxq[k],
						    NULL) != SQLITE_OK) {
			seterr(err, errlen, "%s: preparing statements: %s", s->path,
			       sqlite3_errmsg(s->db));
			return -EIO;
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
		sqlite3_finalize(s->maxq[k]);
		sqlite3_finalize(s->vins[k]);
		s->one[k] = s->many[k] = s->maxq[k] = s->vins[k] = NULL;
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

/* Step an insert of kind k; when a seq went in as NULL, check that SQLite
 * gave the last row the seq it had (see vt_pos()). */
static int step_insert(struct store *s, int k, sqlite3_stmt *st)
{
	if (step_done(s, st))
		return -EIO;
	if (s->nullseq) {
		s->nullseq = false;
		if ((uint64_t)sqlite3_last_insert_rowid(s->db) != s->maxseq[k]) {
			store_fail(s, "%s: %s: row stored under seq %lld, expected %llu", s->path,
				   kinds[k].table, (long long)sqlite3_last_insert_rowid(s->db),
				   (unsigned long long)s->maxseq[k]);
			return -EIO;
		}
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
		return step_insert(s, k, s->many[k]);
	}
	for (unsigned i = 0; i < n; i++) {
		rc = d->bind(s, s->one[k], 0, s->pend[k][i], 0);
		if (rc)
			goto bind_fail;
		if (step_insert(s, k, s->one[k]))
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
	s->maxseq_ok = false;
}

static int txn_commit(struct store *s)
{
	if (!s->in_txn)
		return 0;
	s->in_txn = false;
	s->maxseq_ok = false;
	return step_done(s, s->commit);
}

/* BEGIN, and read max(seq) of the seq-keyed tables (see vt_pos()). */
static int txn_begin(struct store *s)
{
	if (step_done(s, s->begin))
		return -EIO;
	s->in_txn = true;
	s->txn_start = now_ns();
	for (int k = 0; k < K_N; k++) {
		sqlite3_stmt *q = s->maxq[k];
		int rc;

		if (!q)
			continue;
		rc = sqlite3_step(q);
		if (rc != SQLITE_ROW) {
			sqlite3_reset(q);
			store_fail(s, "%s: %s", s->path, sqlite3_errmsg(s->db));
			return -EIO;
		}
		s->maxseq[k] = (uint64_t)sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
	}
	s->maxseq_ok = true;
	s->nullseq = false;
	return 0;
}

/* Write n records from the ring (under db_mu); nothing after a failure. */
static void write_pass(struct store *s, size_t n)
{
	unsigned *np = s->npend;

	if (atomic_load_explicit(&s->failed, memory_order_relaxed))
		return;
	if (!s->in_txn && txn_begin(s)) {
		rollback(s);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ring_slot *sl = ring_cons_slot(s->ring, i);
		unsigned k = sl->kind;

		if (k >= K_N) {
			store_fail(s, "%s: corrupt record in the ring (kind %u)", s->path, k);
			goto fail;
		}
		if (s->vrows[k]) {
			s->vrows[k][s->vn[k]++] = sl;
			continue;
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
		if (s->vn[k] && step_insert(s, k, s->vins[k]))
			goto fail;
		s->vn[k] = 0;
	}
	return;
fail:
	memset(s->npend, 0, sizeof(s->npend));
	memset(s->vn, 0, sizeof(s->vn));
	rollback(s);
}

static void publish_committed(struct store *s)
{
	pthread_mutex_lock(&s->mu);
	s->committed = s->consumed;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/*
 * The writer's loop.  It polls: every POLL_MS it wakes, moves whatever the
 * ring holds into the open transaction in passes of at most PASS_MAX
 * records, and commits once the ring is drained -- so a record is
 * committed within about POLL_MS (plus the pass) of being put, inside the
 * 100 ms bound, and a slow stream costs one wake-up, one INSERT ... SELECT
 * per table and one commit per poll instead of one of each per handful of
 * records.  (The storm guest in the KVM sandbox makes ~20,000 exits/s; the
 * old writer, passes every ~1 ms, used 2.0-2.7 s of CPU per 100,000 of its
 * exits there, this one 1.0-1.3 s.)  After a pass it goes straight on
 * when min_pass records or more wait, when a flush or close waits, or when
 * the producer waits for room; those last two also cut a nap short
 * (ring_kick(), prod_wait()).  A transaction that never drains is
 * committed every STORE_COMMIT_MS / 2.
 */
static void *writer_main(void *arg)
{
	struct store *s = arg;
	const uint64_t commit_ns = STORE_COMMIT_MS * 1000000ull / 2;
	const uint64_t poll_ns = POLL_MS * 1000000ull;
	uint64_t next_poll = now_ns() + poll_ns;

	for (;;) {
		uint64_t target, now;
		size_t n;
		bool stop, drained;

		pthread_mutex_lock(&s->mu);
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		target = atomic_load(&s->flush_target);

		n = ring_cons_avail(s->ring);
		if (n) {
			if (n > PASS_MAX)
				n = PASS_MAX;
			pthread_mutex_lock(&s->db_mu);
			write_pass(s, n);
			ring_cons_release(s->ring, n);
			s->consumed += n;
			drained = ring_cons_avail(s->ring) == 0;
			/* commit when drained, old enough, or a flush waits for these */
			if (s->in_txn && (drained || now_ns() - s->txn_start >= commit_ns ||
					  (target > s->committed && s->consumed >= target))) {
				if (txn_commit(s))
					rollback(s);
				pthread_mutex_unlock(&s->db_mu);
				publish_committed(s);
			} else {
				pthread_mutex_unlock(&s->db_mu);
			}
			if (stop || target > s->committed ||
			    ring_cons_avail(s->ring) >= s->min_pass ||
			    atomic_load_explicit(&s->ring->prod_waiting, memory_order_relaxed))
				continue;
		} else {
			if (s->in_txn) {
				pthread_mutex_lock(&s->db_mu);
				if (txn_commit(s))
					rollback(s);
				pthread_mutex_unlock(&s->db_mu);
			}
			if (s->committed != s->consumed || target > s->committed)
				publish_committed(s);
			if (stop)
				break;
		}
		/* until the next poll or a kick (flush, close, a waiting
		 * producer); polls keep their period whatever a pass took */
		now = now_ns();
		if ((int64_t)(next_poll - now) <= 0)
			next_poll = now + poll_ns;
		ring_cons_nap(s->ring, next_poll - now);
		if ((int64_t)(now_ns() - next_poll) >= 0)
			next_poll += poll_ns;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the checkpointer
 *
 * A checkpoint copies the WAL back into the database file and fsyncs both:
 * tens or hundreds of milliseconds for 64 MiB, during which an inline
 * (auto)checkpoint would keep the writer from draining the ring (measured:
 * it halved the sustained rate).  So the writer's connection never
 * checkpoints: a commit that leaves CKPT_BYTES or more in the WAL wakes
 * this thread, which runs a PASSIVE checkpoint on a second connection while
 * the writer goes on appending.  So the WAL is synced every 64 MiB (what a
 * power cut can take stays bounded) and backfilled as it goes (little is
 * left for store_close()).  The WAL file starts over when the writer begins
 * a transaction after a complete checkpoint -- whenever the stream leaves
 * the writer a poll period of slack (measured: at 300,000 exits/s it stays
 * under 72 MB); a stream that keeps the writer busy from start to end
 * keeps appending to it until close, as with no checkpoints at all.
 */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int nframe)
{
	struct store *s = arg;

	(void)db;
	(void)name;
	if (nframe >= 0 && (unsigned)nframe >= s->ck_frames && s->ck_started) {
		pthread_mutex_lock(&s->ck_mu);
		if (!s->ck_want) {
			s->ck_want = true;
			pthread_cond_signal(&s->ck_cv);
		}
		pthread_mutex_unlock(&s->ck_mu);
	}
	return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
	struct store *s = arg;

	pthread_mutex_lock(&s->ck_mu);
	for (;;) {
		while (!s->ck_want && !s->ck_stop)
			pthread_cond_wait(&s->ck_cv, &s->ck_mu);
		if (s->ck_stop)
			break;
		s->ck_want = false;
		pthread_mutex_unlock(&s->ck_mu);
		/* SQLITE_BUSY (a reader still uses old frames): the next
		 * commit asks again */
		sqlite3_wal_checkpoint_v2(s->ckdb, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&s->ck_mu);
	}
	pthread_mutex_unlock(&s->ck_mu);
	return NULL;
}

static int ckpt_start(struct store *s, char *err, size_t errlen)
{
	int rc;

	rc = sqlite3_open_v2(s->path, &s->ckdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		seterr(err, errlen, "%s: cannot open: %s", s->path,
		       s->ckdb ? sqlite3_errmsg(s->ckdb) : sqlite3_errstr(rc));
		return -EIO;
	}
	sqlite3_wal_autocheckpoint(s->ckdb, 0);
	/* a connection that has not read the database yet does not know it
	 * is in WAL mode, and its checkpoints would be no-ops */
	if (sqlite3_exec(s->ckdb, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		seterr(err, errlen, "%s: cannot read: %s", s->path, sqlite3_errmsg(s->ckdb));
		return -EIO;
	}
	s->ck_frames = CKPT_BYTES / PAGE_SIZE;
	rc = pthread_create(&s->ckthread, NULL, ckpt_main, s);
	if (rc) {
		seterr(err, errlen, "%s: cannot start the checkpointer thread: %s", s->path,
		       strerror(rc));
		return -rc;
	}
	pthread_setname_np(s->ckthread, "exitlog-ckpt");
	s->ck_started = true;
	/* from now on the writer's connection never checkpoints by itself */
	sqlite3_wal_hook(s->db, wal_hook, s);
	return 0;
}

/* Stop the checkpointer and close its connection (before the WAL can be
 * folded back: that needs the only connection). */
static void ckpt_stop(struct store *s)
{
	if (s->ck_started) {
		pthread_mutex_lock(&s->ck_mu);
		s->ck_stop = true;
		pthread_cond_signal(&s->ck_cv);
		pthread_mutex_unlock(&s->ck_mu);
		pthread_join(s->ckthread, NULL);
		s->ck_started = false;
	}
	if (s->db)
		sqlite3_wal_hook(s->db, NULL, NULL);
	if (s->ckdb) {
		sqlite3_close_v2(s->ckdb);
		s->ckdb = NULL;
	}
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
	ckpt_stop(s);
	finalize_all(s);
	for (int k = 0; k < K_N; k++)
		free(s->vrows[k]);
	if (s->db)
		sqlite3_close_v2(s->db);
	ring_destroy(s->ring);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->ck_cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->db_mu);
	pthread_mutex_destroy(&s->ck_mu);
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
	pthread_mutex_init(&s->ck_mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_cond_init(&s->ck_cv, NULL);
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
	s->min_pass = s->ring->nslots / 4 < PASS_MAX ? s->ring->nslots / 4 : PASS_MAX;

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
	/*
	 * Page size (fixed for good when the file is created): flat out, 16,
	 * 32 and 64 KiB pages all sustain ~1.4x the rate of 4 KiB pages (fewer
	 * WAL frames, and writes, per row; the same instructions).  But every
	 * commit rewrites the partly filled last page of each table (and page
	 * 1): with 64 KiB pages a slow stream committed every POLL_MS writes
	 * several times its own size to the WAL -- in the KVM sandbox, at the
	 * storm guest's rate, twice the writer's system time of 16 KiB pages
	 * (6x that of 4 KiB pages when it committed every 40 ms); and the ~30
	 * tables and indexes cost one page each even when empty.  16 KiB keeps the flat-out
	 * rate and neither cost.  A cache of 8 MiB beat 16 and 64 MiB (the
	 * appends never revisit a page; a bigger cache only spreads the writes
	 * over more memory).
	 */
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA page_size=%d; PRAGMA journal_mode=WAL;"
		 " PRAGMA synchronous=NORMAL; PRAGMA cache_size=-%d;",
		 PAGE_SIZE, CACHE_KIB);
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

	/* the threads take no signals: they belong to the vCPU loop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = ckpt_start(s, err, errlen);
	rc = ret ? 0 : pthread_create(&s->thread, NULL, writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto err_free;
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
	ckpt_stop(s);
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
