/*
 * wring.c - the ring as a table (see writer_int.h): exits, pio and mmio go
 * in through eponymous virtual tables over this pass's ring records; and
 * preparing/finalizing every statement of the writer's connection.
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
	const struct ring_slot *sl;   /* row i's record (vt_pos()) */
	col_fn col;             /* wr_kinds[k].col */
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

	if (c->i >= c->n)
		return;
	c->sl = s->vrows[c->k][c->i];
	if (wr_kinds[c->k].seq_key) {
		uint64_t seq;

		/* every seq-keyed body starts with its seq */
		memcpy(&seq, c->sl->u, sizeof(seq));
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
	p = ring_cons_payload(wr_slot_ring(s, sl), sl, &owned);
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

void wr_col_exit(struct vt_cur *c, const struct ring_slot *sl,
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

void wr_col_pio(struct vt_cur *c, const struct ring_slot *sl,
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

void wr_col_mmio(struct vt_cur *c, const struct ring_slot *sl,
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
	snprintf(sql, sizeof(sql), "CREATE TABLE x(%s)", wr_kinds[a->k].cols);
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
	c->col = wr_kinds[t->k].col;
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

	c->col(c, c->sl, ctx, col);
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
		const struct kind_desc *d = &wr_kinds[k];
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

int wr_prepare_all(struct store *s, char *err, size_t errlen)
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

			if (!wr_kinds[k].bind || (m && rows < 2))
				continue;
			sql = wr_insert_sql(&wr_kinds[k], rows);
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
	/* IMMEDIATE: the write lock is taken at BEGIN, where SQLite waits for
	 * it (busy_timeout).  A deferred transaction reads first (maxq) and
	 * upgrades at its first INSERT, where SQLite returns SQLITE_BUSY at
	 * once if another connection (the checkpointer, reading a WAL header
	 * a commit is writing, takes the lock for a moment) holds it. */
	if (sqlite3_prepare_v2(s->db, "BEGIN IMMEDIATE", -1, &s->begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "COMMIT", -1, &s->commit, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
			       -1, &s->meta, NULL) != SQLITE_OK) {
		seterr(err, errlen, "%s: preparing statements: %s", s->path,
		       sqlite3_errmsg(s->db));
		return -EIO;
	}
	return 0;
}

void wr_finalize_all(struct store *s)
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
