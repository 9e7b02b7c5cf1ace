/*
 * logread.h - reading a recording in seq order (the replay, the replay
 * benchmark): one ordered cursor (prepared statement) per table -- exits,
 * pio, mmio, blk_requests, irqs, dma, exit_info -- each stepped forward by
 * seq as a merge join, never a query per exit.  Column values are read
 * through logread_int/text/blob (blob and text pointers are valid until
 * that cursor's next step), nothing is copied.
 *
 * The SQLite handle stays inside store/: callers see `struct logread` and
 * its cursors, never a sqlite3 handle.  One thread uses a logread (it is
 * opened without SQLite's per-call mutex).
 */
#ifndef EXITLOG_LOGREAD_H
#define EXITLOG_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_SEQ_END UINT64_MAX

struct sqlite3;
struct sqlite3_stmt;

enum log_tab {
	LT_EXITS, LT_PIO, LT_MMIO, LT_BLK, LT_IRQ, LT_DMA, LT_INFO, LT_EVENTS, LT_N
};

/* Column indexes of each cursor (column 0 is always seq). */
enum { EX_SEQ, EX_VCPU, EX_REASON, EX_T_NS, EX_GUEST_NS, EX_HANDLE_NS, EX_NCOL };
enum { PIO_SEQ, PIO_PORT, PIO_SIZE, PIO_IS_WRITE, PIO_COUNT, PIO_DATA, PIO_DEVICE, PIO_NCOL };
enum { MMIO_SEQ, MMIO_GPA, MMIO_LEN, MMIO_IS_WRITE, MMIO_DATA, MMIO_DEVICE, MMIO_NCOL };
enum { BLK_SEQ, BLK_DEVICE, BLK_OP, BLK_SECTOR, BLK_NSECTORS, BLK_HASH, BLK_STATUS,
       BLK_LATENCY, BLK_DISK, BLK_ID, BLK_ISSUE_SEQ, BLK_NCOL };
enum { IRQ_SEQ, IRQ_LINE, IRQ_LEVEL, IRQ_DEVICE, IRQ_ID, IRQ_NCOL };
enum { DMA_SEQ, DMA_DEVICE, DMA_GPA, DMA_LEN, DMA_IS_WRITE, DMA_DATA, DMA_STATUS,
       DMA_ID, DMA_NCOL };
enum { INFO_SEQ, INFO_CODE, INFO_DETAIL, INFO_NCOL };
enum { EV_SEQ, EV_KIND, EV_T_NS, EV_DEVICE, EV_TAG, EV_STATUS, EV_DATA, EV_NCOL };

/* A cursor: the current row of one ordered SELECT (or of logread_query). */
struct log_cur {
	struct sqlite3_stmt *st;
	uint64_t seq;      /* seq of the current row; LOG_SEQ_END past the end */
	uint64_t rows;     /* rows stepped so far */
};

struct logread {
	struct sqlite3 *db;
	struct log_cur c[LT_N];
	bool cursors;      /* logread_cursors() succeeded */
};

/*
 * Open a recording: store_open_ro() checks it (its one-line error in err,
 * its -errno), then it is reopened read-only without SQLite's per-call
 * mutex and with a large mmap window, which is what makes the cursors
 * cheap.  logread_close() frees it.
 */
int logread_open(struct logread *l, const char *path, char *err, size_t errlen);

/* Finalize the cursors and close the database (l->db may be NULL). */
void logread_close(struct logread *l);

/* The last SQLite error of the connection, for a one-line report. */
const char *logread_errmsg(const struct logread *l);

/* A meta value into buf; 0, or -ENOENT when absent. */
int logread_meta(struct logread *l, const char *key, char *buf, size_t len);

/*
 * Prepare the eight cursors, limited to rows with seq <= until (0:
 * everything).  The blk_requests cursor is ordered by the seq at which a
 * request completed (done_seq; its column 0 is that seq), and yields the
 * rows in completion order.  A recording made before events existed
 * (no events table, no done_seq) reads as one without events.  No row is current until logread_next().  Returns 0, or
 * -EINVAL with one line in err when a table or column is missing.
 */
int logread_cursors(struct logread *l, uint64_t until, char *err, size_t errlen);

/* Step every cursor but exits once so each has its first row current.
 * Returns 0 or -EIO. */
int logread_prime(struct logread *l);

/* Step one cursor: 0 with a row current, 1 at the end, -EIO on a damaged
 * database (logread_errmsg tells why). */
int logread_next(struct log_cur *c);

/* Columns of the current row. */
int64_t logread_int(const struct log_cur *c, int col);
const char *logread_text(const struct log_cur *c, int col);     /* NULL for NULL */
const uint8_t *logread_blob(const struct log_cur *c, int col);
size_t logread_bytes(const struct log_cur *c, int col);
bool logread_is_null(const struct log_cur *c, int col);
bool logread_is_text(const struct log_cur *c, int col);

/*
 * Run a read-only SELECT with up to two integer parameters (?1, ?2) and
 * call row(arg, cur) for each row (columns through logread_int/...).  A
 * non-zero return of row() stops and is returned.  Returns 0, -EINVAL when
 * the SQL does not prepare (a table missing), -EIO on a damaged database.
 */
int logread_query(struct logread *l, const char *sql, int64_t p1, int64_t p2,
		  int (*row)(void *arg, const struct log_cur *c), void *arg);

struct logread_counts {
	uint64_t exits, pio, mmio, blk, irq, dma, info, events;
	uint64_t checksum;   /* of every column read, so nothing is optimised out */
};

/*
 * The raw scan the benchmark compares replay with: the same seven cursors
 * merged by seq, every column of every row read (blobs touched), no device
 * work.  Returns 0 or -EIO / -EINVAL.
 */
int logread_scan(struct logread *l, struct logread_counts *n);

#endif
