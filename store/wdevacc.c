/*
 * wdevacc.c - sum_devacc, the accesses of the block devices packed per
 * device (format: store/devacc.h), kept by the writer like the other
 * summaries (wsum.c pairs each access with its exit and hands it here;
 * wsum_write.c calls wr_devacc_flush() before each commit), and rebuilt
 * from the raw tables when the writer could not keep it
 * (wr_devacc_rebuild(), store_rebuild_devacc()).  The block devices are
 * iopath's: the disks table's and every device a blk_requests row names.
 *
 * At every commit sum_devacc holds exactly the rows of
 *   pio/mmio JOIN exits ON seq WHERE device IN (the block devices so far)
 * that are committed, in seq order per device, one row per device and
 * range of DEVACC_CHUNK_SEQS seqs (the row of the range being filled is
 * rewritten at each commit), so its rows are a function of the raw tables
 * alone, whatever the commits were; and its record count equals
 * the block devices' rows of sum_pio and sum_mmio, which is how readers tell it
 * is complete (analyzer/iopath_fast.c).  An access that cannot be appended
 * in order (its seq not above the device's last one, an is_write other
 * than 0/1), a buffer that cannot grow, or a device that issues its first
 * request after accesses that were not packed makes the writer delete the
 * rows at the next commit and stop; close rebuilds them (and whenever
 * their count does not match: a board written after the first record).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/wsum_int.h"

static int dv_grow(struct dvbuf *b)
{
	size_t cap = b->cap ? 2 * b->cap : 4096;
	uint8_t *n = realloc(b->b, cap);

	if (!n)
		return -ENOMEM;
	b->b = n;
	b->cap = cap;
	return 0;
}

/* Write b's chunk as its row under `device` (replacing the row an earlier
 * commit wrote of it); b keeps its records. */
static int dv_write(sqlite3_stmt *st, const char *device, struct dvbuf *b)
{
	int rc;

	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, b->first);
	sqlite3_bind_int64(st, 3, b->prev.seq);
	sqlite3_bind_int64(st, 4, b->n);
	sqlite3_bind_blob64(st, 5, b->b, b->len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	b->dirty = false;
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/*
 * Append r to device's buffer b (st: the row insert).  A record of the
 * next DEVACC_CHUNK_SEQS range first writes the finished chunk (when not
 * yet written as it is) and starts a new one.  0; -EPROTO when r does not
 * come after b's last record; -ENOMEM; -EIO.
 */
static int dv_append(sqlite3_stmt *st, const char *device, struct dvbuf *b,
		     const struct devacc_rec *r)
{
	if (r->seq <= b->last)
		return -EPROTO;
	if (b->n && (uint64_t)r->seq / DEVACC_CHUNK_SEQS != (uint64_t)b->first / DEVACC_CHUNK_SEQS) {
		if (b->dirty && dv_write(st, device, b))
			return -EIO;
		b->len = 0;
		b->n = 0;
		memset(&b->prev, 0, sizeof(b->prev));
	}
	if (b->cap - b->len < DEVACC_REC_MAX && dv_grow(b))
		return -ENOMEM;
	b->len = (size_t)(devacc_encode(b->b + b->len, &b->prev, r) - b->b);
	if (!b->n++)
		b->first = r->seq;
	b->last = r->seq;
	b->dirty = true;
	return 0;
}

void wr_devacc_load(struct store *s, struct wsum *w)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_ERROR;

	w->dv_loaded = true;
	if (sqlite3_prepare_v2(s->db, "SELECT device FROM disks WHERE typeof(device) = 'text'",
			       -1, &st, NULL) == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			wr_devacc_disk(w, wr_sum_dev_name(w, (const char *)sqlite3_column_text(st, 0)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		w->dv_exact = false;
}

void wr_devacc_disk(struct wsum *w, uint32_t d)
{
	if (!d || w->dv_on[d])
		return;
	w->dv_on[d] = 1;
	if (w->dv_seen[d])
		w->dv_exact = false;   /* its earlier accesses are not in sum_devacc */
}

void wr_devacc_add(struct wsum *w, const struct acc *a, const struct recent *e)
{
	struct devacc_rec r = {
		.seq = (int64_t)a->seq, .addr = (int64_t)a->addr, .bytes = a->bytes,
		.t_ns = e->t, .guest_ns = e->g, .handle_ns = e->h, .byte0 = a->byte0,
		.flags = (uint8_t)((a->is_write ? DEVACC_F_WRITE : 0) |
				   (a->t == T_MMIO ? DEVACC_F_MMIO : 0) |
				   (a->has_b0 ? DEVACC_F_BYTE0 : 0)),
	};

	if (!w->dv_on[a->dev]) {
		w->dv_seen[a->dev] = 1;
		return;
	}
	if (!w->dv_exact)
		return;
	/* (a failed write of a finished chunk fails the commit's writes too) */
	if (a->is_write > 1 || r.seq < 1 ||
	    dv_append(w->dv_ins, w->dev[a->dev], &w->dv[a->dev], &r))
		w->dv_exact = false;
}

int wr_devacc_flush(struct wsum *w)
{
	int rc;

	if (w->dv_dropped)
		return 0;
	if (!w->dv_exact) {
		/* the rows no longer match sum_pio/sum_mmio: readers skip them */
		w->dv_dropped = true;
		rc = sqlite3_step(w->dv_drop);
		sqlite3_reset(w->dv_drop);
		return rc == SQLITE_DONE ? 0 : -EIO;
	}
	for (int d = 1; d <= w->ndev; d++)
		if (w->dv[d].dirty && dv_write(w->dv_ins, w->dev[d], &w->dv[d]))
			return -EIO;
	return 0;
}

static int dv_prepare(sqlite3 *db, sqlite3_stmt **ins, sqlite3_stmt **drop)
{
	if (sqlite3_prepare_v3(db, "INSERT OR REPLACE INTO sum_devacc(device, first_seq, last_seq, n, recs)"
			       " VALUES (?,?,?,?,?)", -1, SQLITE_PREPARE_PERSISTENT, ins,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, "DELETE FROM sum_devacc", -1, 0, drop, NULL) != SQLITE_OK)
		return -EIO;
	return 0;
}

int wr_devacc_init(struct store *s, struct wsum *w)
{
	return dv_prepare(s->db, &w->dv_ins, &w->dv_drop);
}

void wr_devacc_free(struct wsum *w)
{
	sqlite3_finalize(w->dv_ins);
	sqlite3_finalize(w->dv_drop);
	for (int d = 0; d <= SUM_DEVS; d++)
		free(w->dv[d].b);
}

/* ------------------------------------------------------------------ */
/* the rebuild from the raw tables */

/* The block devices' pio (0) and mmio (1) accesses with their exits' times, each
 * in seq order (the rowid order: no sort); a row whose values the format
 * cannot carry exactly as iopath's queries read them (data not a blob,
 * non-integer numbers, is_write not 0/1) has ok = 0. */
#define RB_OK \
	" typeof(device) = 'text' AND typeof(addr) = 'integer' AND is_write IN (0, 1)" \
	" AND typeof(is_write) = 'integer' AND typeof(bytes) = 'integer' AND typeof(b0) = 'blob'" \
	" AND typeof(t_ns) = 'integer' AND typeof(guest_ns) IN ('integer', 'null')" \
	" AND typeof(handle_ns) IN ('integer', 'null')"
#define RB_DEVS "(SELECT device FROM disks UNION SELECT device FROM blk_requests)"
static const char *const rebuild_sql[2] = {
	"SELECT seq, device, addr, is_write, bytes, b0, t_ns, guest_ns, handle_ns," RB_OK
	" FROM (SELECT p.seq, p.device, p.port AS addr, p.is_write, p.size * p.count AS bytes,"
	"  substr(p.data, 1, 1) AS b0, e.t_ns, e.guest_ns, e.handle_ns"
	"  FROM pio p JOIN exits e ON e.seq = p.seq WHERE p.device IN " RB_DEVS " ORDER BY p.seq)",
	"SELECT seq, device, addr, is_write, bytes, b0, t_ns, guest_ns, handle_ns," RB_OK
	" FROM (SELECT m.seq, m.device, m.gpa AS addr, m.is_write, m.len AS bytes,"
	"  substr(m.data, 1, 1) AS b0, e.t_ns, e.guest_ns, e.handle_ns"
	"  FROM mmio m JOIN exits e ON e.seq = m.seq WHERE m.device IN " RB_DEVS " ORDER BY m.seq)",
};

struct rb_dev {
	char *name;
	struct dvbuf b;
};

/* The device buffer of `name` in *devs, added when new; NULL: no memory. */
static struct rb_dev *rb_dev(struct rb_dev **devs, int *ndevs, const char *name)
{
	struct rb_dev *n;
	int d;

	for (d = 0; d < *ndevs; d++)
		if (!strcmp((*devs)[d].name, name))
			return &(*devs)[d];
	n = realloc(*devs, (size_t)(d + 1) * sizeof(*n));
	if (!n)
		return NULL;
	*devs = n;
	memset(&n[d], 0, sizeof(n[d]));
	n[d].name = strdup(name);
	if (!n[d].name)
		return NULL;
	(*ndevs)++;
	return &n[d];
}

/* Row of q (rebuild_sql) as a record; -EPROTO when it cannot be packed. */
static int rb_rec(sqlite3_stmt *q, bool mmio, struct devacc_rec *r)
{
	memset(r, 0, sizeof(*r));
	if (!sqlite3_column_int(q, 9))
		return -EPROTO;
	r->seq = sqlite3_column_int64(q, 0);
	r->addr = sqlite3_column_int64(q, 2);
	r->bytes = sqlite3_column_int64(q, 4);
	r->t_ns = sqlite3_column_int64(q, 6);
	r->guest_ns = sqlite3_column_int64(q, 7);
	r->handle_ns = sqlite3_column_int64(q, 8);
	r->flags = (uint8_t)((sqlite3_column_int(q, 3) ? DEVACC_F_WRITE : 0) |
			     (mmio ? DEVACC_F_MMIO : 0));
	if (sqlite3_column_bytes(q, 5) > 0) {
		r->flags |= DEVACC_F_BYTE0;
		r->byte0 = *(const uint8_t *)sqlite3_column_blob(q, 5);
	}
	return 0;
}

int wr_devacc_rebuild(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *q[2] = { NULL, NULL }, *ins = NULL, *drop = NULL;
	struct rb_dev *devs = NULL;
	int ndevs = 0, has[2], ret = 0;
	int64_t last = 0;

	if (dv_prepare(db, &ins, &drop) ||
	    sqlite3_prepare_v2(db, rebuild_sql[0], -1, &q[0], NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, rebuild_sql[1], -1, &q[1], NULL) != SQLITE_OK ||
	    sqlite3_step(drop) != SQLITE_DONE) {
		ret = -EIO;
		goto out;
	}
	sqlite3_reset(drop);
	has[0] = sqlite3_step(q[0]);
	has[1] = sqlite3_step(q[1]);
	/* merge the two in seq order */
	while (has[0] == SQLITE_ROW || has[1] == SQLITE_ROW) {
		int t = has[0] != SQLITE_ROW ? 1 : has[1] != SQLITE_ROW ? 0
			: sqlite3_column_int64(q[1], 0) < sqlite3_column_int64(q[0], 0);
		struct devacc_rec r;
		struct rb_dev *d;

		ret = rb_rec(q[t], t, &r);
		if (!ret && r.seq <= last)
			ret = -EPROTO;    /* a pio and an mmio row on one seq */
		if (ret)
			break;
		last = r.seq;
		d = rb_dev(&devs, &ndevs, (const char *)sqlite3_column_text(q[t], 1));
		ret = d ? dv_append(ins, d->name, &d->b, &r) : -ENOMEM;
		if (ret)
			break;
		has[t] = sqlite3_step(q[t]);
	}
	if (!ret && (has[0] != SQLITE_DONE || has[1] != SQLITE_DONE))
		ret = -EIO;
	for (int d = 0; !ret && d < ndevs; d++)
		if (devs[d].b.dirty)
			ret = dv_write(ins, devs[d].name, &devs[d].b);
	if (ret == -EPROTO || ret == -ENOMEM) {
		/* no partial rows: readers then use the raw tables */
		if (sqlite3_step(drop) != SQLITE_DONE)
			ret = -EIO;
	}
out:
	if (ret == -EIO)
		snprintf(err, errlen, "sum_devacc: %s", sqlite3_errmsg(db));
	else if (ret)
		snprintf(err, errlen, "sum_devacc: %s", ret == -EPROTO
			 ? "the raw rows cannot be packed (left empty)" : strerror(-ret));
	for (int d = 0; d < ndevs; d++) {
		free(devs[d].name);
		free(devs[d].b.b);
	}
	free(devs);
	sqlite3_finalize(q[0]);
	sqlite3_finalize(q[1]);
	sqlite3_finalize(ins);
	sqlite3_finalize(drop);
	return ret;
}

int wr_devacc_complete(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ret = -EIO;

	if (sqlite3_prepare_v2(db, "SELECT (SELECT total(n) FROM sum_devacc) ="
			       " (SELECT total(n) FROM sum_pio WHERE device IN " RB_DEVS ") +"
			       " (SELECT total(n) FROM sum_mmio WHERE device IN " RB_DEVS ")",
			       -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		ret = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	return ret;
}

int store_rebuild_devacc(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int ret = -EIO;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	/* reads, then writes: the write lock first (see wring.c) */
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	ret = wr_devacc_rebuild(db, err, errlen);
	if (ret != -EIO && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		ret = -EIO;
	}
out:
	sqlite3_close(db);
	return ret;
}
