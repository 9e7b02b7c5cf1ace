/*
 * iopath_fast.c - the block devices' exits for the iopath attribution
 * (iopath_core.c) read from sum_devacc, the packed accesses the writer
 * keeps per block device (store/devacc.h), instead of joining pio, mmio,
 * exits and registers row by row (iopath_input_{pio,mmio}.sql).  Each
 * device's records are decoded blob by blob and the devices merged in seq
 * order; the register role and the first byte are computed here exactly
 * as those queries compute them in SQL.
 *
 * sum_devacc is used only when the summary is fresh (sum_info) and its
 * record count equals the block devices' rows of sum_pio and sum_mmio (the
 * writer deletes its rows when it cannot keep them, summary.sql empties
 * it), and when every register row is plainly typed (integers, a text
 * name), so that comparing in C is comparing in SQL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"
#include "analyzer/iopath.h"
#include "store/devacc.h"

struct reg {
	int64_t addr;
	uint8_t key;                /* DEVACC_F_MMIO | DEVACC_F_WRITE */
	enum iopath_role role;
};

struct fdev {
	sqlite3_stmt *st;           /* this device's blobs in seq order */
	const uint8_t *p, *end;     /* the current blob (valid until the next step) */
	struct devacc_rec r;        /* the decoder's state: the last record */
	int64_t last;               /* the last seq of the device (order check) */
	int live;                   /* 1: r is the device's next record; 0 done */
};

struct iopath_fast {
	struct reg *regs;           /* sorted by (key, addr) */
	size_t nregs;
	struct fdev *devs;          /* as iopath_data.devs */
	int ndevs;
};

/* Register role, as the CASE of iopath_input_pio.sql computes it. */
static enum iopath_role role_of(const char *name, bool is_write)
{
	if (name && !strcmp(name, "data"))
		return IOPATH_DATA;
	if (is_write && name && !strcmp(name, "command"))
		return IOPATH_COMMAND;
	if (is_write && name && strcasestr(name, "notify"))   /* LIKE '%notify%' */
		return IOPATH_NOTIFY;
	if (is_write)
		return IOPATH_SETUP;
	if (name && (!strcmp(name, "status") || !strcmp(name, "altstatus")))
		return IOPATH_STATUS;
	return IOPATH_OTHER;
}

static int reg_cmp(const void *a, const void *b)
{
	const struct reg *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static enum iopath_role reg_role(const struct iopath_fast *f, uint8_t key, int64_t addr)
{
	size_t lo = 0, hi = f->nregs;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct reg *r = &f->regs[mid];

		if (r->key == key && r->addr == addr)
			return r->role;
		if (r->key < key || (r->key == key && r->addr < addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return role_of(NULL, key & DEVACC_F_WRITE);
}

/* 1 when the first column of sql's single row is true. */
static int q_true(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int ret = -EIO;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ret = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	return ret;
}

/* iopath's block devices (iopath_input_devices.sql) */
#define DEVS "(SELECT device FROM disks UNION SELECT device FROM blk_requests)"

/* 1 when sum_devacc can stand for the raw tables, 0 if not, -EIO. */
static int usable(sqlite3 *db)
{
	int r = q_true(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
		       " AND name = 'sum_devacc'");

	if (r == 1)
		r = analyzer_summary_fresh(db);
	if (r == 1)
		r = q_true(db, "SELECT (SELECT total(n) FROM sum_devacc) ="
			   " (SELECT total(n) FROM sum_pio WHERE device IN " DEVS ") +"
			   " (SELECT total(n) FROM sum_mmio WHERE device IN " DEVS ")");
	if (r == 1)
		r = q_true(db, "SELECT count(*) = 0 FROM registers WHERE space IN ('pio', 'mmio')"
			   " AND (typeof(addr) != 'integer' OR typeof(is_write) != 'integer'"
			   " OR is_write NOT IN (0, 1) OR typeof(name) != 'text')");
	return r;
}

static int load_regs(sqlite3 *db, struct iopath_fast *f)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(db, "SELECT space = 'mmio', addr, is_write, name FROM registers"
			       " WHERE space IN ('pio', 'mmio')", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct reg *r;

		if (f->nregs == cap) {
			cap = cap ? 2 * cap : 64;
			r = realloc(f->regs, cap * sizeof(*r));
			if (!r) {
				ret = -ENOMEM;
				break;
			}
			f->regs = r;
		}
		r = &f->regs[f->nregs++];
		r->key = (uint8_t)((sqlite3_column_int(st, 0) ? DEVACC_F_MMIO : 0) |
				   (sqlite3_column_int(st, 2) ? DEVACC_F_WRITE : 0));
		r->addr = sqlite3_column_int64(st, 1);
		r->role = role_of((const char *)sqlite3_column_text(st, 3), r->key & DEVACC_F_WRITE);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = -EIO;
	sqlite3_finalize(st);
	if (!ret && f->nregs)
		qsort(f->regs, f->nregs, sizeof(*f->regs), reg_cmp);
	return ret;
}

/* Advance device v to its next record (v->live 1), or to its end (0);
 * -EIO, or -EBADMSG for a corrupt blob or records out of order. */
static int dev_advance(struct fdev *v)
{
	int rc;

	for (;;) {
		rc = devacc_decode(&v->p, v->end, &v->r);
		if (rc < 0)
			return -EBADMSG;
		if (rc > 0) {
			if (v->r.seq <= v->last)
				return -EBADMSG;
			v->last = v->r.seq;
			v->live = 1;
			return 0;
		}
		rc = sqlite3_step(v->st);
		if (rc == SQLITE_DONE) {
			v->live = 0;
			return 0;
		}
		if (rc != SQLITE_ROW)
			return -EIO;
		v->p = sqlite3_column_blob(v->st, 0);
		v->end = v->p ? v->p + sqlite3_column_bytes(v->st, 0) : NULL;
		memset(&v->r, 0, sizeof(v->r));
	}
}

int iopath_fast_open(sqlite3 *db, const struct iopath_data *d, struct iopath_fast **out,
		     char *err, size_t errlen)
{
	struct iopath_fast *f;
	int ret = usable(db);

	*out = NULL;
	if (ret <= 0)
		return ret < 0 ? analyzer_step_err(db, err, errlen) : 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->devs = calloc((size_t)d->ndevs + 1, sizeof(*f->devs));
	ret = f->devs ? load_regs(db, f) : -ENOMEM;
	for (int i = 0; !ret && i < d->ndevs; i++) {
		struct fdev *v = &f->devs[i];

		f->ndevs++;
		if (sqlite3_prepare_v2(db, "SELECT recs FROM sum_devacc WHERE device = ?1"
				       " ORDER BY first_seq", -1, &v->st, NULL) != SQLITE_OK ||
		    sqlite3_bind_text(v->st, 1, d->devs[i].name, -1, SQLITE_STATIC) != SQLITE_OK)
			ret = -EIO;
		else
			ret = dev_advance(v);
	}
	if (ret) {
		if (ret == -EIO)
			analyzer_step_err(db, err, errlen);
		else
			analyzer_err(err, errlen, ret, "sum_devacc: %s", ret == -EBADMSG
				     ? "a corrupt record" : "out of memory");
		iopath_fast_close(f);
		return ret;
	}
	*out = f;
	return 1;
}

int iopath_fast_next(struct iopath_fast *f, struct iopath_xrow *x)
{
	struct fdev *best = NULL;
	const struct devacc_rec *r;
	int bi = -1;

	for (int i = 0; i < f->ndevs; i++) {
		struct fdev *v = &f->devs[i];

		/* a tie (a pio and an mmio row on one seq): mmio first */
		if (v->live && (!best || v->r.seq < best->r.seq ||
				(v->r.seq == best->r.seq && (v->r.flags & DEVACC_F_MMIO)))) {
			best = v;
			bi = i;
		}
	}
	if (!best)
		return 0;
	r = &best->r;
	x->seq = r->seq;
	x->dev = bi;
	x->bytes = r->bytes;
	x->t_ns = r->t_ns;
	x->guest_ns = r->guest_ns;
	x->handle_ns = r->handle_ns;
	x->role = reg_role(f, r->flags & (DEVACC_F_MMIO | DEVACC_F_WRITE), r->addr);
	memcpy(x->byte0, "0x", 3);
	if (r->flags & DEVACC_F_BYTE0) {   /* '0x' || lower(hex(byte)) */
		x->byte0[2] = "0123456789abcdef"[r->byte0 >> 4];
		x->byte0[3] = "0123456789abcdef"[r->byte0 & 15];
		x->byte0[4] = 0;
	}
	bi = dev_advance(best);
	return bi ? bi : 1;
}

void iopath_fast_close(struct iopath_fast *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->ndevs; i++)
		sqlite3_finalize(f->devs[i].st);
	free(f->devs);
	free(f->regs);
	free(f);
}
