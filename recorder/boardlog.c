/*
 * boardlog.c - board description rows (see boardlog.h).
 */
#include <errno.h>
#include <stdio.h>

#include "recorder/boardlog.h"

static int boardlog_step(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int boardlog_regs(sqlite3_stmt *ins, const struct bus_region *r, const char *space)
{
	int rc = 0;

	if (!r->regname || r->len > 256)
		return 0;
	for (uint64_t off = 0; off < r->len && !rc; off++) {
		for (int w = 0; w <= 1 && !rc; w++) {
			const char *n = r->regname(off, w);
			if (!n || !*n)
				continue;
			sqlite3_bind_text(ins, 1, space, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 2, (sqlite3_int64)(r->base + off));
			sqlite3_bind_int(ins, 3, w);
			sqlite3_bind_text(ins, 4, r->name, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 5, n, -1, SQLITE_STATIC);
			rc = boardlog_step(ins);
		}
	}
	return rc;
}

int boardlog_write(struct store *st, const struct board *b,
		   const struct board_config *cfg, const char *const *paths,
		   char (*initial_sha256)[65])
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *dev = NULL, *reg = NULL, *nam = NULL, *dsk = NULL;
	static const char *const spaces[2] = { "pio", "mmio" };
	int rc = -EIO;

	if (sqlite3_prepare_v2(db, "INSERT INTO devices(name, kind, irq, disk) VALUES (?,?,?,?)",
			       -1, &dev, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO regions(space, base, len, device) VALUES (?,?,?,?)",
			       -1, &reg, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO registers(space, addr, is_write, device, name)"
			       " VALUES (?,?,?,?,?)", -1, &nam, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO disks(idx, device, kind, path, sectors, initial_sha256)"
			       " VALUES (?,?,?,?,?,?)", -1, &dsk, NULL))
		goto out;
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL))
		goto out;
	for (int i = 0; i < b->ndevs; i++) {
		const struct board_dev *d = &b->devs[i];
		sqlite3_bind_text(dev, 1, d->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(dev, 2, d->kind, -1, SQLITE_STATIC);
		if (d->irq >= 0)
			sqlite3_bind_int(dev, 3, d->irq);
		if (d->disk >= 0)
			sqlite3_bind_int(dev, 4, d->disk);
		if (boardlog_step(dev))
			goto rollback;
	}
	for (int sp = 0; sp < 2; sp++) {
		for (unsigned i = 0; i < b->bus.n[sp]; i++) {
			const struct bus_region *r = &b->bus.regions[sp][i];
			sqlite3_bind_text(reg, 1, spaces[sp], -1, SQLITE_STATIC);
			sqlite3_bind_int64(reg, 2, (sqlite3_int64)r->base);
			sqlite3_bind_int64(reg, 3, (sqlite3_int64)r->len);
			sqlite3_bind_text(reg, 4, r->name, -1, SQLITE_STATIC);
			if (boardlog_step(reg) || boardlog_regs(nam, r, spaces[sp]))
				goto rollback;
		}
	}
	for (int i = 0; i < cfg->ndisks; i++) {
		sqlite3_bind_int(dsk, 1, i);
		sqlite3_bind_text(dsk, 2, b->disk_dev[i] ? b->disk_dev[i] : "?", -1, SQLITE_STATIC);
		sqlite3_bind_text(dsk, 3, board_disk_kind_name(cfg->disks[i].kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(dsk, 4, paths[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(dsk, 5, (sqlite3_int64)cfg->disks[i].sectors);
		sqlite3_bind_text(dsk, 6, initial_sha256[i], -1, SQLITE_STATIC);
		if (boardlog_step(dsk))
			goto rollback;
	}
	rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) ? -EIO : 0;
	goto out;
rollback:
	fprintf(stderr, "exitlog: writing the board description: %s\n", sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(dev);
	sqlite3_finalize(reg);
	sqlite3_finalize(nam);
	sqlite3_finalize(dsk);
	return rc;
}
