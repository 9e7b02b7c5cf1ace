/*
 * logread.c - the replay's ordered cursors, generic read-only queries and
 * the raw scan the benchmark measures them with (see logread.h); and the
 * copy of rows from a recording into a new one (replay -o, store.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store/logread.h"
#include "store/store.h"
#include "store/store_int.h"

/* One SELECT per table, in seq order; ?1 is the last seq wanted. */
static const char *const log_sql[LT_N] = {
	[LT_EXITS] = "SELECT seq, vcpu, reason, t_ns, guest_ns, handle_ns FROM exits"
		     " WHERE seq <= ?1 ORDER BY seq",
	[LT_PIO] = "SELECT seq, port, size, is_write, count, data, device FROM pio"
		   " WHERE seq <= ?1 ORDER BY seq",
	[LT_MMIO] = "SELECT seq, gpa, len, is_write, data, device FROM mmio"
		    " WHERE seq <= ?1 ORDER BY seq",
	[LT_BLK] = "SELECT coalesce(done_seq, seq) AS s, device, op, sector, nsectors,"
		   " data_hash, status, latency_ns, disk, id, seq FROM blk_requests"
		   " WHERE s <= ?1 ORDER BY s, id",
	[LT_IRQ] = "SELECT seq, line, level, device, id FROM irqs"
		   " WHERE seq <= ?1 ORDER BY seq, id",
	[LT_DMA] = "SELECT seq, device, gpa, len, is_write, data, status, id FROM dma"
		   " WHERE seq <= ?1 ORDER BY seq, id",
	[LT_INFO] = "SELECT seq, code, detail FROM exit_info WHERE seq <= ?1 ORDER BY seq",
	[LT_EVENTS] = "SELECT seq, kind, t_ns, device, tag, status, data FROM events"
		      " WHERE seq <= ?1 ORDER BY seq",
};

/* The same for recordings older than events (no events, no done_seq). */
static const char *const log_sql_old[LT_N] = {
	[LT_BLK] = "SELECT seq, device, op, sector, nsectors, data_hash, status,"
		   " latency_ns, disk, id, seq FROM blk_requests WHERE seq <= ?1 ORDER BY seq, id",
	[LT_EVENTS] = "SELECT 0, '', 0, NULL, 0, 0, NULL WHERE 0",
};

static const char *const log_table[LT_N] = {
	"exits", "pio", "mmio", "blk_requests", "irqs", "dma", "exit_info", "events",
};

int logread_open(struct logread *l, const char *path, char *err, size_t errlen)
{
	sqlite3 *h = NULL;
	int rc;

	memset(l, 0, sizeof(*l));
	rc = store_open_ro(path, &l->db, err, errlen);
	if (rc)
		return rc;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK) {
		sqlite3_close(l->db);
		l->db = h;
	} else {
		sqlite3_close(h); /* keep the checked handle */
	}
	sqlite3_busy_timeout(l->db, 2000);
	sqlite3_exec(l->db, "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-65536;",
		     NULL, NULL, NULL);
	return 0;
}

static void logread_finalize(struct logread *l)
{
	for (int t = 0; t < LT_N; t++) {
		sqlite3_finalize(l->c[t].st);
		l->c[t].st = NULL;
	}
	l->cursors = false;
}

void logread_close(struct logread *l)
{
	logread_finalize(l);
	sqlite3_close(l->db);
	l->db = NULL;
}

const char *logread_errmsg(const struct logread *l)
{
	return l->db ? sqlite3_errmsg(l->db) : "no database";
}

int logread_meta(struct logread *l, const char *key, char *buf, size_t len)
{
	return store_meta_get(l->db, key, buf, len);
}

int logread_cursors(struct logread *l, uint64_t until, char *err, size_t errlen)
{
	sqlite3_int64 last = until ? (sqlite3_int64)until : INT64_MAX;

	for (int t = 0; t < LT_N; t++) {
		if (sqlite3_prepare_v2(l->db, log_sql[t], -1, &l->c[t].st, NULL) != SQLITE_OK &&
		    (!log_sql_old[t] ||
		     sqlite3_prepare_v2(l->db, log_sql_old[t], -1, &l->c[t].st, NULL) != SQLITE_OK)) {
			store_seterr(err, errlen, "not a complete exitlog recording (table %s: %s)",
				     log_table[t], sqlite3_errmsg(l->db));
			logread_finalize(l);
			return -EINVAL;
		}
		sqlite3_bind_int64(l->c[t].st, 1, last);
		l->c[t].seq = 0;
		l->c[t].rows = 0;
	}
	l->cursors = true;
	return 0;
}

int logread_next(struct log_cur *c)
{
	int rc = sqlite3_step(c->st);

	if (rc == SQLITE_ROW) {
		c->seq = (uint64_t)sqlite3_column_int64(c->st, 0);
		c->rows++;
		return 0;
	}
	c->seq = LOG_SEQ_END;
	return rc == SQLITE_DONE ? 1 : -EIO;
}

int logread_prime(struct logread *l)
{
	for (int t = LT_PIO; t < LT_N; t++)
		if (logread_next(&l->c[t]) < 0)
			return -EIO;
	return 0;
}

int64_t logread_int(const struct log_cur *c, int col)
{
	return sqlite3_column_int64(c->st, col);
}

const char *logread_text(const struct log_cur *c, int col)
{
	return (const char *)sqlite3_column_text(c->st, col);
}

const uint8_t *logread_blob(const struct log_cur *c, int col)
{
	return sqlite3_column_blob(c->st, col);
}

size_t logread_bytes(const struct log_cur *c, int col)
{
	return (size_t)sqlite3_column_bytes(c->st, col);
}

bool logread_is_null(const struct log_cur *c, int col)
{
	return sqlite3_column_type(c->st, col) == SQLITE_NULL;
}

bool logread_is_text(const struct log_cur *c, int col)
{
	return sqlite3_column_type(c->st, col) == SQLITE_TEXT;
}

int logread_query(struct logread *l, const char *sql, int64_t p1, int64_t p2,
		  int (*row)(void *arg, const struct log_cur *c), void *arg)
{
	struct log_cur c = { 0 };
	int rc, src;

	if (sqlite3_prepare_v2(l->db, sql, -1, &c.st, NULL) != SQLITE_OK)
		return -EINVAL;
	if (sqlite3_bind_parameter_count(c.st) >= 1)
		sqlite3_bind_int64(c.st, 1, p1);
	if (sqlite3_bind_parameter_count(c.st) >= 2)
		sqlite3_bind_int64(c.st, 2, p2);
	while ((src = sqlite3_step(c.st)) == SQLITE_ROW) {
		c.rows++;
		rc = row(arg, &c);
		if (rc)
			goto out;
	}
	rc = src == SQLITE_DONE ? 0 : -EIO;
out:
	sqlite3_finalize(c.st);
	return rc;
}

/* Column kinds per cursor: i integer, b blob, t text (read with the
 * accessor the replay uses for it). */
static const char *const scan_kinds[LT_N] = {
	[LT_EXITS] = "iiiiii", [LT_PIO] = "iiiiibt", [LT_MMIO] = "iiiibt",
	[LT_BLK] = "ittiitiiiii", [LT_IRQ] = "iiiti", [LT_DMA] = "itiiibii",
	[LT_INFO] = "iit", [LT_EVENTS] = "ititiib",
};

/* Read every column of the current row into the checksum. */
static uint64_t scan_row(sqlite3_stmt *st, const char *kinds)
{
	uint64_t sum = 0;

	for (int i = 0; kinds[i]; i++) {
		if (kinds[i] == 'i') {
			sum += (uint64_t)sqlite3_column_int64(st, i);
		} else if (kinds[i] == 'b') {
			const uint8_t *p = sqlite3_column_blob(st, i);
			int n = sqlite3_column_bytes(st, i);

			sum += (uint64_t)n + (n ? p[0] + p[n - 1] : 0);
		} else {
			const unsigned char *p = sqlite3_column_text(st, i);

			sum += p ? p[0] : 0;
		}
	}
	return sum;
}

int logread_scan(struct logread *l, struct logread_counts *n)
{
	uint64_t *cnt[LT_N];
	char err[256];
	int rc;

	memset(n, 0, sizeof(*n));
	cnt[LT_EXITS] = &n->exits;
	cnt[LT_PIO] = &n->pio;
	cnt[LT_MMIO] = &n->mmio;
	cnt[LT_BLK] = &n->blk;
	cnt[LT_IRQ] = &n->irq;
	cnt[LT_DMA] = &n->dma;
	cnt[LT_INFO] = &n->info;
	cnt[LT_EVENTS] = &n->events;
	rc = logread_cursors(l, 0, err, sizeof(err));
	if (rc)
		return rc;
	rc = logread_prime(l);
	while (!rc) {
		struct log_cur *ex = &l->c[LT_EXITS];
		int r = logread_next(ex);

		if (r) {
			rc = r < 0 ? r : 0;
			break;
		}
		n->checksum += scan_row(ex->st, scan_kinds[LT_EXITS]);
		n->exits++;
		for (int t = LT_PIO; t < LT_N && !rc; t++) {
			struct log_cur *c = &l->c[t];

			while (c->seq <= ex->seq) {
				n->checksum += scan_row(c->st, scan_kinds[t]);
				(*cnt[t])++;
				if (logread_next(c) < 0) {
					rc = -EIO;
					break;
				}
			}
		}
	}
	logread_finalize(l);
	return rc;
}

int store_copy_rows(struct store *dst, struct logread *src, const char *table,
		    const char *where, bool (*skip_meta)(const char *key),
		    char *err, size_t errlen)
{
	sqlite3 *db = store_db(dst);
	sqlite3_stmt *sel = NULL, *ins = NULL;
	char sql[1024];
	int ncol, rc, o, is_meta = !strcmp(table, "meta");

	snprintf(sql, sizeof(sql), "SELECT * FROM %s%s%s", table, where ? " WHERE " : "",
		 where ? where : "");
	if (sqlite3_prepare_v2(src->db, sql, -1, &sel, NULL) != SQLITE_OK)
		return 0; /* the recording predates this table: nothing to copy */
	ncol = sqlite3_column_count(sel);
	o = snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO %s(", table);
	for (int i = 0; i < ncol && o < (int)sizeof(sql); i++)
		o += snprintf(sql + o, sizeof(sql) - (size_t)o, "%s\"%s\"", i ? "," : "",
			      sqlite3_column_name(sel, i));
	for (int i = 0; i < ncol && o < (int)sizeof(sql); i++)
		o += snprintf(sql + o, sizeof(sql) - (size_t)o, i ? ",?" : ") VALUES (?");
	if (o + 2 >= (int)sizeof(sql) ||
	    (strcat(sql, ")"), sqlite3_prepare_v2(db, sql, -1, &ins, NULL)) != SQLITE_OK) {
		store_seterr(err, errlen, "cannot copy table %s: %s", table, sqlite3_errmsg(db));
		rc = -EIO;
		goto out;
	}
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		if (is_meta) {
			const char *k = (const char *)sqlite3_column_text(sel, 0);

			/* the destination's own: its version, its writer's close */
			if (!k || !strcmp(k, "schema_version") || !strcmp(k, "complete") ||
			    (skip_meta && skip_meta(k)))
				continue;
		}
		for (int i = 0; i < ncol; i++)
			sqlite3_bind_value(ins, i + 1, sqlite3_column_value(sel, i));
		if (sqlite3_step(ins) != SQLITE_DONE) {
			store_seterr(err, errlen, "cannot copy table %s: %s", table,
				     sqlite3_errmsg(db));
			rc = -EIO;
			goto out;
		}
		sqlite3_reset(ins);
	}
	if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		store_seterr(err, errlen, "damaged recording: %s", sqlite3_errmsg(src->db));
		rc = -EBADMSG;
	}
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	return rc;
}
