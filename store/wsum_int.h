/*
 * wsum_int.h - what the files of the writer's summaries share (not for use
 * outside store/): wsum.c folds records into in-memory groups,
 * wsum_write.c writes them into the summary tables and creates/closes
 * them, wdevacc.c keeps sum_devacc (the claimed devices' accesses, packed;
 * store/devacc.h).  The overview is at the top of wsum.c.
 */
#ifndef EXITLOG_STORE_WSUM_INT_H
#define EXITLOG_STORE_WSUM_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "store/devacc.h"
#include "store/writer_int.h"

#define SUM_PEND   256        /* accesses waiting for their exit; a power of 2 */
#define SUM_DEVS   1024       /* distinct device names */
#define SUM_DEVP   64         /* device pointers remembered */
#define TL_NS      1000000ll  /* sum_timeline's bucket (schema/summary.sql) */

enum { T_EXIT, T_PIO, T_MMIO, T_N };

struct grp {
	uint64_t ka, kb;          /* the key (see exit_fold(), acc_fold()) */
	int64_t n, bytes;
	int64_t hsum, hmin, hmax, gsum, gmin, gmax;
	double hsq, gsq;
	bool dirty;
	/* exits groups: the sum_timeline bucket being counted */
	int64_t ms, tlo, tn, tmin, tmax;
};

struct tab {
	struct grp *g;
	size_t n, cap;
	uint32_t *idx;            /* open addressing: group index + 1; 0 = free */
	size_t mask;
	size_t last;              /* the group found last (+1), a fast path */
};

/* An access (pio or mmio record) as the summaries need it. */
struct acc {
	uint64_t seq, addr;
	int64_t bytes;
	uint32_t dev;
	uint8_t t, is_write;
	uint8_t byte0;            /* the data's first byte, when has_b0 */
	bool has_b0;
	bool used;
};

/* An exit's times, kept until its access comes (or for SUM_PEND seqs). */
struct recent {
	uint64_t seq;
	int64_t h, g, t;
	uint32_t vcpu;
	bool used;
};

struct tl_row {
	int64_t vcpu, reason, ms, n, tmin, tmax;
};

/* sum_devacc: one device's records since the last commit (wdevacc.c). */
struct dvbuf {
	uint8_t *b;
	size_t len, cap;
	int64_t n, first;         /* records of the chunk, the first one's seq */
	int64_t last;             /* the last seq appended (any chunk) */
	bool dirty;               /* the chunk has records its row lacks */
	struct devacc_rec prev;   /* the encoder's state (zeroed per chunk) */
};

struct wsum {
	struct tab t[T_N];
	struct acc pend[SUM_PEND];
	struct recent rec[SUM_PEND];
	const char *devp[SUM_DEVP];
	uint32_t devpid[SUM_DEVP];
	int ndevp;
	char *dev[SUM_DEVS + 1];  /* dev[0]: NULL, unclaimed */
	int ndev;
	struct tl_row *tl;
	size_t ntl, tlcap;
	bool exact, info_dropped;
	int64_t exits;
	sqlite3_stmt *ins[T_N], *tl_ins, *info, *drop;
	/* sum_devacc (wdevacc.c): dv[dev id], exact until an access cannot
	 * be appended in order (then its rows go and close rebuilds them) */
	struct dvbuf dv[SUM_DEVS + 1];
	uint8_t dv_on[SUM_DEVS + 1];    /* a block device: its accesses are packed */
	uint8_t dv_seen[SUM_DEVS + 1];  /* accesses paired while not packed */
	bool dv_loaded;                 /* the disks table was read (first record) */
	bool dv_exact, dv_dropped;
	sqlite3_stmt *dv_ins, *dv_drop;
};

/* wsum.c: close an exits group's sum_timeline bucket into w->tl; the id
 * of a device name whose pointer does not stay valid. */
void wr_sum_tl_push(struct wsum *w, struct grp *g);
uint32_t wr_sum_dev_name(struct wsum *w, const char *p);

/*
 * wdevacc.c: sum_devacc packs the accesses of the block devices (the
 * disks table's, read at the writer's first record, and every device a
 * blk_requests row names).
 * wr_devacc_load: read the disks table (writer thread, in its transaction).
 * wr_devacc_disk: device d is a block device from now on (its earlier
 *   accesses, if any, were not packed: then sum_devacc is inexact).
 * wr_devacc_add: an access of device a->dev != 0 paired with its exit e.
 * wr_devacc_flush: write the changed rows inside the writer's transaction
 *   (0 or -EIO).  wr_devacc_complete: 1 when sum_devacc holds every access
 *   of the block devices (its count against sum_pio and sum_mmio), 0 if
 *   not, -EIO.  init / free: prepare / finalize its statements.
 */
void wr_devacc_load(struct store *s, struct wsum *w);
void wr_devacc_disk(struct wsum *w, uint32_t d);
void wr_devacc_add(struct wsum *w, const struct acc *a, const struct recent *e);
int wr_devacc_complete(sqlite3 *db);
int wr_devacc_flush(struct wsum *w);
int wr_devacc_init(struct store *s, struct wsum *w);
void wr_devacc_free(struct wsum *w);
/* Rebuild sum_devacc from the raw tables on db (inside the caller's
 * transaction, or none); 0 or -EIO/-ENOMEM/-EPROTO with err. */
int wr_devacc_rebuild(sqlite3 *db, char *err, size_t errlen);

#endif
