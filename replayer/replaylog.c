/*
 * replaylog.c - the replay's ordered cursors and the raw scan the
 * benchmark measures them with (see replaylog.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "replayer/replaylog.h"
#include "store/store.h"

/* One SELECT per table, in seq order; ?1 is the last seq wanted. */
static const char *const log_sql[RT_N] = {
	[RT_EXITS] = "SELECT seq, vcpu, reason, t_ns, guest_ns, handle_ns FROM exits"
		     " WHERE seq <= ?1 ORDER BY seq",
	[RT_PIO] = "SELECT seq, port, size, is_write, count, data, device FROM pio"
		   " WHERE seq <= ?1 ORDER BY seq",
	[RT_MMIO] = "SELECT seq, gpa, len, is_write, data, device FROM mmio"
		    " WHERE seq <= ?1 ORDER BY seq",
	[RT_BLK] = "SELECT seq, device, op, sector, nsectors, data_hash, status,"
		   " latency_ns, disk, id FROM blk_requests WHERE seq <= ?1 ORDER BY seq, id",
	[RT_IRQ] = "SELECT seq, line, level, device, id FROM irqs"
		   " WHERE seq <= ?1 ORDER BY seq, id",
	[RT_DMA] = "SELECT seq, device, gpa, len, is_write, data, status, id FROM dma"
		   " WHERE seq <= ?1 ORDER BY seq, id",
	[RT_INFO] = "SELECT seq, code, detail FROM exit_info WHERE seq <= ?1 ORDER BY seq",
};

static const char *const log_table[RT_N] = {
	"exits", "pio", "mmio", "blk_requests", "irqs", "dma", "exit_info",
};

int replay_open_db(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	sqlite3 *h = NULL;
	int rc = store_open_ro(path, db, err, errlen);

	if (rc)
		return rc;
	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK) {
		sqlite3_close(*db);
		*db = h;
	} else {
		sqlite3_close(h); /* keep the checked handle */
	}
	sqlite3_busy_timeout(*db, 2000);
	sqlite3_exec(*db, "PRAGMA mmap_size=1073741824; PRAGMA cache_size=-65536;",
		     NULL, NULL, NULL);
	return 0;
}

int replay_log_open(struct replay_log *l, sqlite3 *db, uint64_t until,
		    char *err, size_t errlen)
{
	sqlite3_int64 last = until ? (sqlite3_int64)until : INT64_MAX;

	memset(l, 0, sizeof(*l));
	for (int t = 0; t < RT_N; t++) {
		if (sqlite3_prepare_v2(db, log_sql[t], -1, &l->c[t].st, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "not a complete exitlog recording (table %s: %s)",
				 log_table[t], sqlite3_errmsg(db));
			replay_log_close(l);
			return -EINVAL;
		}
		sqlite3_bind_int64(l->c[t].st, 1, last);
		l->c[t].seq = 0;
	}
	return 0;
}

void replay_log_close(struct replay_log *l)
{
	for (int t = 0; t < RT_N; t++) {
		sqlite3_finalize(l->c[t].st);
		l->c[t].st = NULL;
	}
}

int replay_log_prime(struct replay_log *l)
{
	for (int t = RT_PIO; t < RT_N; t++)
		if (replay_cur_next(&l->c[t]) < 0)
			return -EIO;
	return 0;
}

/* Column kinds per cursor: i integer, b blob, t text (read with the
 * accessor the replay uses for it). */
static const char *const scan_kinds[RT_N] = {
	[RT_EXITS] = "iiiiii", [RT_PIO] = "iiiiibt", [RT_MMIO] = "iiiibt",
	[RT_BLK] = "ittiitiiii", [RT_IRQ] = "iiiti", [RT_DMA] = "itiiibii", [RT_INFO] = "iit",
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

int replay_scan(sqlite3 *db, struct replay_scan_counts *n)
{
	struct replay_log l;
	uint64_t *cnt[RT_N];
	char err[256];
	int rc;

	memset(n, 0, sizeof(*n));
	cnt[RT_EXITS] = &n->exits;
	cnt[RT_PIO] = &n->pio;
	cnt[RT_MMIO] = &n->mmio;
	cnt[RT_BLK] = &n->blk;
	cnt[RT_IRQ] = &n->irq;
	cnt[RT_DMA] = &n->dma;
	cnt[RT_INFO] = &n->info;
	rc = replay_log_open(&l, db, 0, err, sizeof(err));
	if (rc)
		return rc;
	rc = replay_log_prime(&l);
	while (!rc) {
		struct replay_cur *ex = &l.c[RT_EXITS];
		int r = replay_cur_next(ex);

		if (r) {
			rc = r < 0 ? r : 0;
			break;
		}
		n->checksum += scan_row(ex->st, scan_kinds[RT_EXITS]);
		n->exits++;
		for (int t = RT_PIO; t < RT_N && !rc; t++) {
			struct replay_cur *c = &l.c[t];

			while (c->seq <= ex->seq) {
				n->checksum += scan_row(c->st, scan_kinds[t]);
				(*cnt[t])++;
				if (replay_cur_next(c) < 0) {
					rc = -EIO;
					break;
				}
			}
		}
	}
	replay_log_close(&l);
	return rc;
}
