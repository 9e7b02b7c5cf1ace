/*
 * wbind.c - how each kind of record becomes a row (see writer_int.h): the
 * kinds table, and the binders of the rarer kinds (blk_requests, irqs,
 * dma, exit_info, kernel_exits) for their prepared multi-row INSERTs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/writer_int.h"
#include "util/sha256.h"

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
		p = ring_cons_payload(wr_slot_ring(s, sl), sl, &owned);
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
	const char *op = k->op >= 0 && k->op < 3 ? wr_blk_ops[k->op] : "unknown";
	uint64_t done;
	int rc = 0;

	rc |= bind_u64(st, b + 1, k->seq);
	rc |= bind_str(st, b + 2, k->device ? k->device : "");
	rc |= bind_str(st, b + 3, op);
	rc |= bind_u64(st, b + 4, k->sector);
	rc |= sqlite3_bind_int64(st, b + 5, k->nsectors);
	/* payload: [32-byte hash][8-byte done_seq], each part optional; the
	 * length tells which (32: hash, 8: done_seq, 40: both) */
	done = k->seq;
	if (sl->flags & F_PAYLOAD) {
		void *owned = NULL;
		const uint8_t *h = ring_cons_payload(wr_slot_ring(s, sl), sl, &owned);

		if (!h)
			return SQLITE_NOMEM;
		if (sl->plen >= 32) {
			sha256_hex(h, s->hex[row]);
			rc |= sqlite3_bind_text(st, b + 6, s->hex[row], 64, SQLITE_STATIC);
		} else {
			rc |= sqlite3_bind_null(st, b + 6);
		}
		if (sl->plen == 8 || sl->plen == 40)
			memcpy(&done, h + sl->plen - 8, sizeof(done));
		free(owned);
	} else {
		rc |= sqlite3_bind_null(st, b + 6);
	}
	rc |= sqlite3_bind_int(st, b + 7, k->status);
	rc |= bind_u64(st, b + 8, k->latency_ns);
	rc |= sqlite3_bind_int(st, b + 9, k->disk);
	rc |= bind_u64(st, b + 10, done);
	return rc;
}

static int bind_event(struct store *s, sqlite3_stmt *st, int b,
		      const struct ring_slot *sl, int row)
{
	const struct b_event *e = (const void *)sl->u;
	int rc = 0;

	(void)row;
	rc |= bind_u64(st, b + 1, e->seq);
	rc |= bind_str(st, b + 2, wr_event_kinds[e->kind]);
	rc |= bind_u64(st, b + 3, e->t_ns);
	rc |= e->device ? bind_str(st, b + 4, e->device) : sqlite3_bind_null(st, b + 4);
	if (e->kind == STORE_EV_BLK_DONE) {
		rc |= bind_u64(st, b + 5, e->tag);
		rc |= sqlite3_bind_int(st, b + 6, e->status);
	} else {
		rc |= sqlite3_bind_null(st, b + 5);
		rc |= sqlite3_bind_null(st, b + 6);
	}
	rc |= bind_payload(s, st, b + 7, sl, NULL, 0, false);
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


const char *const wr_blk_ops[3] = { "read", "write", "flush" };
const char *const wr_event_kinds[STORE_EV_N] = { "blk_done", "console_in" };

const struct kind_desc wr_kinds[K_N] = {
	[K_EXIT] = { "exits", "seq, vcpu, reason, t_ns, guest_ns, handle_ns",
		     NULL, 6, NULL, wr_col_exit, true },
	[K_PIO] = { "pio", "seq, port, size, is_write, count, data, device",
		    NULL, 7, NULL, wr_col_pio, true },
	[K_MMIO] = { "mmio", "seq, gpa, len, is_write, data, device",
		     NULL, 6, NULL, wr_col_mmio, true },
	[K_BLK] = { "blk_requests", "seq, device, op, sector, nsectors, data_hash,"
		    " status, latency_ns, disk, done_seq", NULL, 10, bind_blk, NULL, false },
	[K_IRQ] = { "irqs", "seq, line, level, device", NULL, 4, bind_irq, NULL, false },
	[K_DMA] = { "dma", "seq, device, gpa, len, is_write, data, status",
		    NULL, 7, bind_dma, NULL, false },
	/* two details for one exit are joined rather than failing the run */
	[K_INFO] = { "exit_info", "seq, code, detail",
		     " ON CONFLICT(seq) DO UPDATE SET detail ="
		     " CASE WHEN detail IS NULL THEN excluded.detail"
		     " WHEN excluded.detail IS NULL THEN detail"
		     " ELSE detail || '; ' || excluded.detail END", 3, bind_info, NULL, false },
	[K_EVENT] = { "events", "seq, kind, t_ns, device, tag, status, data", NULL, 7,
		      bind_event, NULL, false },
	[K_KEXIT] = { "kernel_exits", "t_ns, vcpu, isa, reason, reason_name, rip,"
		      " info1, info2", NULL, 8, bind_kexit, NULL, false },
};

/* "INSERT ... VALUES (?,?,..),(..)... suffix" for `rows` rows. */
char *wr_insert_sql(const struct kind_desc *k, unsigned rows)
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
