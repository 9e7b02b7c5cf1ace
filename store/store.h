/*
 * store.h - the SQLite side of exitlog: create a recording, log rows without
 * making the vCPU wait on disk, and open recordings for reading.
 *
 * Writer: store_create() makes a new database from the embedded
 * schema/exitlog.sql (refusing an existing file unless `force`).  The
 * store_put_*() calls are made on the vCPU thread: each appends a compact
 * fixed-size record (and, for blobs, the bytes into a side buffer) to a
 * single-producer ring; a writer thread drains the ring into SQLite with
 * prepared statements inside large transactions (WAL, a commit at least
 * every 100 ms).  A full ring makes the producer wait (counted in
 * meta.ring_waits): no record is ever dropped.  store_close() drains,
 * commits (the summary tables are kept by the writer as rows arrive).
 *
 * Strings passed by pointer (device names) must stay valid until
 * store_close(); blob bytes are copied.
 *
 * Reader: store_open_ro() opens a recording read-only and checks that it is
 * an exitlog database of a schema version this binary understands.
 */
#ifndef EXITLOG_STORE_H
#define EXITLOG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 1

struct store;
struct store_prod;
struct logread;
struct sqlite3;

/* A read-only connection to a recording (store_open_ro): the analyzer's
 * handle.  Callers outside store/ and analyzer/ only pass it along and
 * close it with store_close_ro(). */
typedef struct sqlite3 store_rdb;

struct rec_exit {
	uint64_t seq;
	uint32_t vcpu;
	uint32_t reason;
	uint64_t t_ns;
	uint64_t guest_ns;
	uint64_t handle_ns;
};

struct rec_pio {
	uint64_t seq;
	uint16_t port;
	uint8_t size;
	uint8_t is_write;
	uint32_t count;
	const void *data;   /* size*count bytes, copied */
	const char *device; /* NULL when unclaimed */
};

struct rec_mmio {
	uint64_t seq;
	uint64_t gpa;
	uint32_t len;
	uint8_t is_write;
	const void *data;   /* len bytes, copied */
	const char *device;
};

struct rec_blk {
	uint64_t seq;
	const char *device;
	int disk;
	int op;             /* enum blk_op */
	uint64_t sector;
	uint32_t nsectors;
	bool has_hash;
	uint8_t hash[32];   /* sha256 of the data, when has_hash */
	int32_t status;
	uint64_t latency_ns;
	uint64_t done_seq;  /* seq of the completion event; 0: completed in `seq` */
};

struct rec_irq {
	uint64_t seq;
	int line;
	int level;
	const char *device;
};

struct rec_dma {
	uint64_t seq;
	const char *device;
	uint64_t gpa;
	uint32_t len;
	uint8_t is_write;
	int32_t status;
	const void *data;   /* len bytes copied, or NULL */
};

struct rec_info {
	uint64_t seq;
	int64_t code;
	const char *detail; /* copied */
};

/* Kinds of asynchronous events (events.kind). */
enum store_event_kind {
	STORE_EV_BLK_DONE = 0,   /* 'blk_done': a block request completed */
	STORE_EV_CONSOLE_IN = 1, /* 'console_in': bytes given to the UART */
	STORE_EV_N
};

/* An asynchronous event: it has its own seq in the exits' seq space. */
struct rec_event {
	uint64_t seq;
	uint64_t t_ns;
	int kind;           /* enum store_event_kind */
	const char *device; /* kept by pointer, like the other rows */
	uint64_t tag;       /* blk_done: the device's request tag */
	int32_t status;     /* blk_done: the backend's result (0 / -errno) */
	const void *data;   /* console_in: the bytes (copied), or NULL */
	uint32_t len;
};

struct rec_kexit {
	uint64_t t_ns;
	uint32_t vcpu;
	const char *isa;         /* static "vmx"/"svm" */
	uint32_t reason;
	const char *reason_name; /* copied */
	uint64_t rip, info1, info2;
};

/*
 * Create a new recording at `path` and start the writer thread.  Returns 0
 * and *out; -EEXIST when the file exists and !force (nothing touched);
 * -errno with one line in err otherwise.  With force an existing file (and
 * its -wal/-shm) is unlinked first.  Also executes the embedded
 * schema/exitlog.sql and sets meta.schema_version.
 */
int store_create(struct store **out, const char *path, bool force,
		 char *err, size_t errlen);

/* Set a meta key (synchronous; call before or after the run, not per exit). */
int store_meta_set(struct store *s, const char *key, const char *value);
int store_meta_setf(struct store *s, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Run arbitrary SQL on the writer's connection (board tables at start).
 * Synchronous: only before the first store_put_*() or after store_flush(). */
int store_exec(struct store *s, const char *sql, char *err, size_t errlen);

/*
 * The board description (devices, regions, registers, disks), written in
 * one transaction before the run: store_board_begin(), one call per row
 * (text is used by pointer until the next call), store_board_end() commits
 * (or rolls back after an error: the first error wins, later calls return
 * it and do nothing).  Each returns 0 or -errno; store_board_end() puts one
 * line in err and always frees b.
 */
struct store_board;
int store_board_begin(struct store *s, struct store_board **b);
int store_board_device(struct store_board *b, const char *name, const char *kind,
		       int irq, int disk);                    /* irq/disk -1: NULL */
int store_board_region(struct store_board *b, const char *space, uint64_t base,
		       uint64_t len, const char *device);
int store_board_register(struct store_board *b, const char *space, uint64_t addr,
			 bool is_write, const char *device, const char *name);
int store_board_disk(struct store_board *b, int idx, const char *device, const char *kind,
		     const char *path, uint64_t sectors, const char *initial_sha256);
int store_board_end(struct store_board *b, char *err, size_t errlen);

/*
 * Copy the rows of `table` (those matching the SQL condition `where`, or
 * all) from the recording `src` into `dst` under the same column names;
 * for meta, keys for which skip_meta() is true and schema_version are left
 * out.  A table the source does not have copies nothing.  Same rule as
 * store_exec().  0, or -errno with one line in err.
 */
int store_copy_rows(struct store *dst, struct logread *src, const char *table,
		    const char *where, bool (*skip_meta)(const char *key),
		    char *err, size_t errlen);

/* Producer side: never blocks on disk; returns 0 or -ENOSPC for a payload
 * larger than the side buffer can ever hold (then nothing is logged).  A
 * caller must look at the result (the recording would miss a row). */
#define STORE_MUST_CHECK __attribute__((warn_unused_result))
int store_put_exit(struct store *s, const struct rec_exit *r) STORE_MUST_CHECK;
int store_put_pio(struct store *s, const struct rec_pio *r) STORE_MUST_CHECK;
int store_put_mmio(struct store *s, const struct rec_mmio *r) STORE_MUST_CHECK;
int store_put_blk(struct store *s, const struct rec_blk *r) STORE_MUST_CHECK;
int store_put_irq(struct store *s, const struct rec_irq *r) STORE_MUST_CHECK;
int store_put_dma(struct store *s, const struct rec_dma *r) STORE_MUST_CHECK;
int store_put_info(struct store *s, const struct rec_info *r) STORE_MUST_CHECK;
int store_put_kexit(struct store *s, const struct rec_kexit *r) STORE_MUST_CHECK;
/* An events row.  Any thread may put rows (the producer side is locked);
 * the caller holds the dispatch lock so that seqs stay in order. */
int store_put_event(struct store *s, const struct rec_event *r) STORE_MUST_CHECK;
int store_prod_put_event(struct store_prod *p, const struct rec_event *r) STORE_MUST_CHECK;

/*
 * Producers of their own (one per vCPU thread), so that several threads
 * log without sharing a ring.  store_prod_open() adds one, named `name`
 * (its ring waits go in meta.ring_waits.<name>); call it before the
 * threads start putting, at most 8 times per store.  Its rows must carry
 * seqs taken under one lock, and every row of a seq must be put before
 * the lock is released (the run step does this under the dispatch lock):
 * the writer merges the producers' rings into one seq order, and takes a
 * record only once no smaller seq can still arrive in another ring.
 * store_put_*() on the store itself go to its own ring, written in put
 * order; do not mix seq'd rows there with producers' (kernel exits, which
 * have no seq, may).  The handle belongs to the store (freed at close).
 * Returns 0, -ENOSPC (too many) or -ENOMEM.
 */
struct store_prod;
int store_prod_open(struct store *s, const char *name, struct store_prod **out);
int store_prod_put_exit(struct store_prod *p, const struct rec_exit *r) STORE_MUST_CHECK;
int store_prod_put_pio(struct store_prod *p, const struct rec_pio *r) STORE_MUST_CHECK;
int store_prod_put_mmio(struct store_prod *p, const struct rec_mmio *r) STORE_MUST_CHECK;
int store_prod_put_blk(struct store_prod *p, const struct rec_blk *r) STORE_MUST_CHECK;
int store_prod_put_irq(struct store_prod *p, const struct rec_irq *r) STORE_MUST_CHECK;
int store_prod_put_dma(struct store_prod *p, const struct rec_dma *r) STORE_MUST_CHECK;
int store_prod_put_info(struct store_prod *p, const struct rec_info *r) STORE_MUST_CHECK;
int store_prod_put_kexit(struct store_prod *p, const struct rec_kexit *r) STORE_MUST_CHECK;
/*
 * The durability bound (producer.c): every ~50 ms of the exits' t_ns a
 * producer's store_prod_put_exit() notes how many records the writer must
 * have committed before the producer goes on (nothing more than ~100 ms
 * of recording uncommitted).  store_prod_settle() waits for that, and
 * returns at once when nothing is owed; call it after each exit's rows,
 * outside any lock another thread needs (the run step: after the dispatch
 * lock).  A wait counts in meta.lag_waits.<name>.  store_put_exit() on the
 * store itself settles at once.
 */
void store_prod_settle(struct store_prod *p);
/* The store's own producer (what store_put_*() use). */
struct store_prod *store_prod_main(struct store *s);
/* Times this producer waited for room in its ring. */
uint64_t store_prod_waits(const struct store_prod *p);

/* Wait until every record put so far is in the database (committed). */
int store_flush(struct store *s);

/* Statistics of the producer side, all rings together. */
uint64_t store_ring_waits(const struct store *s);
uint64_t store_records(const struct store *s);

/*
 * Drain, commit (with the summary tables; rebuilt only when the writer could
 * not keep them exact), close and free.  Returns 0 or -EIO.
 * After an error the database holds everything committed before it.
 */
int store_close(struct store *s);

/*
 * Rebuild the summary table sum_devacc of the recording at path from its
 * raw tables (pio, mmio, exits), in one transaction: what store_close()
 * does when the writer could not keep it, for recordings made otherwise
 * (after schema/summary.sql, which creates the table empty).  0;
 * -EPROTO when rows cannot be packed exactly (the table is left empty and
 * `exitlog iopath` reads the raw tables); -EIO or -ENOMEM; err says why.
 */
int store_rebuild_devacc(const char *path, char *err, size_t errlen);

/*
 * Open a recording read-only.  Checks the SQLite header, the presence of
 * meta and a schema_version <= STORE_SCHEMA_VERSION.  On failure returns
 * -errno (-ENOENT missing, -EINVAL not an exitlog database or damaged,
 * -EPROTO newer schema) with one line in err.  Caller sqlite3_close()s.
 */
int store_open_ro(const char *path, struct sqlite3 **db, char *err, size_t errlen);

/* Close a connection of store_open_ro(); NULL is a no-op. */
void store_close_ro(store_rdb *db);

/* Read a meta value into buf; 0, or -ENOENT when absent. */
int store_meta_get(struct sqlite3 *db, const char *key, char *buf, size_t len);

/*
 * Was the recording left unfinished?  store_create() sets meta.complete to
 * 0 and a clean store_close() sets it to 1 in its last commit, so 0 means
 * the writer died (SIGKILL, a crash, power loss) or failed before closing:
 * the database holds a gapless prefix 1..*nexits of the exits (rows of
 * other tables may reach seq *nexits + 1, the exit that was being logged),
 * no summary tables and no end-of-run meta (exit_count, end_reason, final
 * disk hashes).  Returns 1 (incomplete, *nexits set), 0 (complete, or a
 * recording older than the key), or -errno on a read error.
 */
int store_incomplete(store_rdb *db, uint64_t *nexits);

/*
 * store_incomplete(), and when it returns 1 the one-line warning readers
 * print ("warning: recording is incomplete (...); using the N exits it
 * holds") in buf.  Same return values.
 */
int store_incomplete_note(store_rdb *db, char *buf, size_t len);

/*
 * Format one line (printf-style) into err, newlines and carriage returns
 * folded to spaces; a no-op when err is NULL or errlen is 0.
 */
void store_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
