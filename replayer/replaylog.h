/*
 * replaylog.h - reading a recording for replay as a merge join: one
 * ordered cursor (prepared statement) per table -- exits, pio, mmio,
 * blk_requests, irqs, dma, exit_info -- each stepped forward by seq, never a query
 * per exit.  Column values are read straight from the statements (blob
 * pointers are valid until that cursor's next step), nothing is copied.
 */
#ifndef EXITLOG_REPLAYLOG_H
#define EXITLOG_REPLAYLOG_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define REPLAY_SEQ_END UINT64_MAX

enum replay_tab {
	RT_EXITS, RT_PIO, RT_MMIO, RT_BLK, RT_IRQ, RT_DMA, RT_INFO, RT_N
};

/* Column indexes of each cursor's SELECT (column 0 is always seq). */
enum { EX_SEQ, EX_VCPU, EX_REASON, EX_T_NS, EX_GUEST_NS, EX_HANDLE_NS, EX_NCOL };
enum { PIO_SEQ, PIO_PORT, PIO_SIZE, PIO_IS_WRITE, PIO_COUNT, PIO_DATA, PIO_DEVICE, PIO_NCOL };
enum { MMIO_SEQ, MMIO_GPA, MMIO_LEN, MMIO_IS_WRITE, MMIO_DATA, MMIO_DEVICE, MMIO_NCOL };
enum { BLK_SEQ, BLK_DEVICE, BLK_OP, BLK_SECTOR, BLK_NSECTORS, BLK_HASH, BLK_STATUS,
       BLK_LATENCY, BLK_DISK, BLK_ID, BLK_NCOL };
enum { IRQ_SEQ, IRQ_LINE, IRQ_LEVEL, IRQ_DEVICE, IRQ_ID, IRQ_NCOL };
enum { DMA_SEQ, DMA_DEVICE, DMA_GPA, DMA_LEN, DMA_IS_WRITE, DMA_DATA, DMA_STATUS,
       DMA_ID, DMA_NCOL };
enum { INFO_SEQ, INFO_CODE, INFO_DETAIL, INFO_NCOL };

struct replay_cur {
	sqlite3_stmt *st;
	uint64_t seq;      /* seq of the current row; REPLAY_SEQ_END past the end */
	uint64_t rows;     /* rows stepped so far */
};

struct replay_log {
	struct replay_cur c[RT_N];
};

/*
 * Open a recording for replay: store_open_ro() checks it (its one-line
 * error in err, its -errno), then it is reopened read-only without SQLite's
 * per-call mutex (SQLITE_OPEN_NOMUTEX: the replay uses it from one thread)
 * and with a large mmap window, which is what makes the cursors cheap.
 * Caller sqlite3_close()s.
 */
int replay_open_db(const char *path, sqlite3 **db, char *err, size_t errlen);

/*
 * Prepare the seven cursors on `db`, limited to rows with seq <= until
 * (0: everything).  No row is current until replay_cur_next().  Returns 0,
 * or -EINVAL with one line in err when a table or column is missing.
 */
int replay_log_open(struct replay_log *l, sqlite3 *db, uint64_t until,
		    char *err, size_t errlen);
void replay_log_close(struct replay_log *l);

/* Step one cursor: 0 with a row current, 1 at the end, -EIO on a
 * damaged database (sqlite3_errmsg tells why). */
static inline int replay_cur_next(struct replay_cur *c)
{
	int rc = sqlite3_step(c->st);

	if (rc == SQLITE_ROW) {
		c->seq = (uint64_t)sqlite3_column_int64(c->st, 0);
		c->rows++;
		return 0;
	}
	c->seq = REPLAY_SEQ_END;
	return rc == SQLITE_DONE ? 1 : -EIO;
}

/* Step every cursor but exits once so each has its first row current.
 * Returns 0 or -EIO. */
int replay_log_prime(struct replay_log *l);

struct replay_scan_counts {
	uint64_t exits, pio, mmio, blk, irq, dma, info;
	uint64_t checksum;   /* of every column read, so nothing is optimised out */
};

/*
 * The raw scan the benchmark compares replay with: the same seven cursors
 * merged by seq, every column of every row read (blobs touched), no device
 * work.  Returns 0 or -EIO / -EINVAL.
 */
int replay_scan(sqlite3 *db, struct replay_scan_counts *n);

#endif
