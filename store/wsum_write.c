/*
 * wsum_write.c - writing the writer's summaries (see wsum.c for how they
 * are kept): the changed groups, sum_timeline's buckets, sum_devacc and
 * sum_info inside the writer's transaction just before each commit
 * (wr_sum_flush()); creating the tables and preparing the statements
 * (wr_sum_init()); and at close, rebuilding only what the writer could not
 * keep exact (wr_sum_close()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/embedded.h"
#include "store/wsum_int.h"

/* ------------------------------------------------------------------ */
/* writing the groups (writer thread, inside its transaction) */

static int step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int write_grp(struct wsum *w, int t, size_t i)
{
	sqlite3_stmt *st = w->ins[t];
	const struct grp *g = &w->t[t].g[i];
	int c = 1;

	sqlite3_bind_int64(st, c++, (sqlite3_int64)i + 1);
	if (t == T_EXIT) {
		sqlite3_bind_int64(st, c++, (sqlite3_int64)(g->ka >> 32));
		sqlite3_bind_int64(st, c++, (sqlite3_int64)(uint32_t)g->ka);
	} else {
		uint32_t dev = (uint32_t)(g->ka & 0xffff);

		sqlite3_bind_int64(st, c++, (sqlite3_int64)(g->ka >> 24));
		sqlite3_bind_int64(st, c++, (sqlite3_int64)g->kb);
		sqlite3_bind_int(st, c++, (int)((g->ka >> 16) & 1));
		if (dev)
			sqlite3_bind_text(st, c++, w->dev[dev], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, c++);
	}
	sqlite3_bind_int64(st, c++, g->n);
	if (t != T_EXIT)
		sqlite3_bind_int64(st, c++, g->bytes);
	sqlite3_bind_int64(st, c++, g->hsum);
	sqlite3_bind_int64(st, c++, g->hmin);
	sqlite3_bind_int64(st, c++, g->hmax);
	sqlite3_bind_double(st, c++, g->hsq);
	sqlite3_bind_int64(st, c++, g->gsum);
	if (t == T_EXIT) {
		sqlite3_bind_int64(st, c++, g->gmin);
		sqlite3_bind_int64(st, c++, g->gmax);
		sqlite3_bind_double(st, c++, g->gsq);
	}
	return step(st);
}

static int write_info(struct wsum *w, const char *key, bool null, int64_t v)
{
	sqlite3_bind_text(w->info, 1, key, -1, SQLITE_STATIC);
	if (null)
		sqlite3_bind_null(w->info, 2);
	else
		sqlite3_bind_int64(w->info, 2, v);
	return step(w->info);
}

int wr_sum_flush(struct store *s)
{
	struct wsum *w = s->sum;
	struct tab *te;

	if (!w || w->info_dropped)
		return 0;
	if (!w->exact) {
		/* readers must not trust the summary any more */
		w->info_dropped = true;
		return step(w->drop);
	}
	te = &w->t[T_EXIT];
	for (size_t i = 0; i < te->n; i++)
		if (te->g[i].tn)
			wr_sum_tl_push(w, &te->g[i]);
	for (size_t i = 0; i < w->ntl; i++) {
		const struct tl_row *r = &w->tl[i];
		sqlite3_stmt *st = w->tl_ins;

		sqlite3_bind_int64(st, 1, r->vcpu);
		sqlite3_bind_int64(st, 2, r->reason);
		sqlite3_bind_int64(st, 3, r->ms);
		sqlite3_bind_int64(st, 4, r->n);
		sqlite3_bind_int64(st, 5, r->tmin);
		sqlite3_bind_int64(st, 6, r->tmax);
		if (step(st))
			return -EIO;
	}
	w->ntl = 0;
	for (int t = 0; t < T_N; t++)
		for (size_t i = 0; i < w->t[t].n; i++) {
			if (!w->t[t].g[i].dirty)
				continue;
			if (write_grp(w, t, i))
				return -EIO;
			w->t[t].g[i].dirty = false;
		}
	if (wr_devacc_flush(w))
		return -EIO;
	if (write_info(w, "exits_max_seq", !s->maxseq[K_EXIT], (int64_t)s->maxseq[K_EXIT]) ||
	    write_info(w, "pio_max_seq", !s->maxseq[K_PIO], (int64_t)s->maxseq[K_PIO]) ||
	    write_info(w, "mmio_max_seq", !s->maxseq[K_MMIO], (int64_t)s->maxseq[K_MMIO]) ||
	    write_info(w, "exits", !w->t[T_EXIT].n, w->exits))
		return -EIO;
	return 0;
}

/* ------------------------------------------------------------------ */
/* create and close */

int wr_sum_init(struct store *s, char *err, size_t errlen)
{
	static const char *const ins[T_N] = {
		"INSERT OR REPLACE INTO sum_exits(rowid, vcpu, reason, n, handle_sum, handle_min,"
		" handle_max, handle_sumsq, guest_sum, guest_min, guest_max, guest_sumsq)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
		"INSERT OR REPLACE INTO sum_pio(rowid, vcpu, port, is_write, device, n, bytes,"
		" handle_sum, handle_min, handle_max, handle_sumsq, guest_sum)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
		"INSERT OR REPLACE INTO sum_mmio(rowid, vcpu, gpa, is_write, device, n, bytes,"
		" handle_sum, handle_min, handle_max, handle_sumsq, guest_sum)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
	};
	const char *summary = embedded_get("schema/summary.sql");
	struct wsum *w;
	char *msg = NULL;

	if (!summary)
		return 0;       /* no summary tables in this binary: nothing to keep */
	/* the tables, empty (and sum_info saying so) */
	if (sqlite3_exec(s->db, summary, NULL, NULL, &msg) != SQLITE_OK) {
		seterr(err, errlen, "%s: summary tables: %s", s->path,
		       msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -EIO;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	s->sum = w;
	w->exact = true;
	w->dv_exact = true;
	for (int t = 0; t < T_N; t++)
		if (sqlite3_prepare_v3(s->db, ins[t], -1, SQLITE_PREPARE_PERSISTENT, &w->ins[t],
				       NULL) != SQLITE_OK)
			goto fail;
	if (sqlite3_prepare_v3(s->db, "INSERT INTO sum_timeline(vcpu, reason, ms, n, t_min, t_max)"
			       " VALUES (?,?,?,?,?,?) ON CONFLICT(vcpu, reason, ms) DO UPDATE SET"
			       " n = n + excluded.n, t_min = min(t_min, excluded.t_min),"
			       " t_max = max(t_max, excluded.t_max)", -1,
			       SQLITE_PREPARE_PERSISTENT, &w->tl_ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "INSERT OR REPLACE INTO sum_info(key, value) VALUES (?1, ?2)",
			       -1, SQLITE_PREPARE_PERSISTENT, &w->info, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "DELETE FROM sum_info", -1, 0, &w->drop, NULL) != SQLITE_OK ||
	    wr_devacc_init(s, w))
		goto fail;
	return 0;
fail:
	seterr(err, errlen, "%s: preparing the summary statements: %s", s->path,
	       sqlite3_errmsg(s->db));
	return -EIO;
}

/* 1 when sum_info matches the raw tables' max(seq) (as the analyzer checks). */
static int sum_fresh(struct store *s)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM sum_info WHERE key = 'exits_max_seq') = 1"
		" AND (SELECT value FROM sum_info WHERE key = 'exits_max_seq') IS (SELECT max(seq) FROM exits)"
		" AND (SELECT value FROM sum_info WHERE key = 'pio_max_seq') IS (SELECT max(seq) FROM pio)"
		" AND (SELECT value FROM sum_info WHERE key = 'mmio_max_seq') IS (SELECT max(seq) FROM mmio)";
	sqlite3_stmt *st = NULL;
	int fresh = 0;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		fresh = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return fresh;
}

int wr_sum_close(struct store *s, bool *rebuilt)
{
	const char *summary = embedded_get("schema/summary.sql");
	char *msg = NULL;

	char derr[256] = "";
	bool all;

	*rebuilt = false;
	if (!summary)
		return 0;
	all = !(s->sum && s->sum->exact && sum_fresh(s));
	if (!all && s->sum->dv_exact && wr_devacc_complete(s->db) == 1)
		return 0;
	/* summary.sql empties sum_devacc too; a devacc rebuild that refuses
	 * the data (-EPROTO) leaves it empty: iopath then reads the raw tables */
	*rebuilt = true;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
	    (all && sqlite3_exec(s->db, summary, NULL, NULL, &msg) != SQLITE_OK) ||
	    wr_devacc_rebuild(s->db, derr, sizeof(derr)) == -EIO ||
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(s, "%s: summary tables: %s", s->path,
			   msg ? msg : derr[0] ? derr : sqlite3_errmsg(s->db));
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

void wr_sum_free(struct store *s)
{
	struct wsum *w = s->sum;

	if (!w)
		return;
	for (int t = 0; t < T_N; t++) {
		sqlite3_finalize(w->ins[t]);
		free(w->t[t].g);
		free(w->t[t].idx);
	}
	sqlite3_finalize(w->tl_ins);
	sqlite3_finalize(w->info);
	sqlite3_finalize(w->drop);
	wr_devacc_free(w);
	for (int i = 1; i <= w->ndev; i++)
		free(w->dev[i]);
	free(w->tl);
	free(w);
	s->sum = NULL;
}
