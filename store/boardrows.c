/*
 * boardrows.c - the board description rows of a recording (devices,
 * regions, registers, disks) in one transaction, through statements
 * prepared once (see store.h, store_board_*).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/store_int.h"

struct store_board {
	sqlite3 *db;
	sqlite3_stmt *dev, *reg, *nam, *dsk;
	int err;            /* first error, -EIO; then every call is a no-op */
	char msg[256];      /* its SQLite message */
};

static int board_step(struct store_board *b, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && !b->err) {
		b->err = -EIO;
		store_seterr(b->msg, sizeof(b->msg), "%s", sqlite3_errmsg(b->db));
	}
	return b->err;
}

int store_board_begin(struct store *s, struct store_board **out)
{
	struct store_board *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (!b)
		return -ENOMEM;
	b->db = store_db(s);
	if (sqlite3_prepare_v2(b->db, "INSERT INTO devices(name, kind, irq, disk) VALUES (?,?,?,?)",
			       -1, &b->dev, NULL) ||
	    sqlite3_prepare_v2(b->db, "INSERT INTO regions(space, base, len, device) VALUES (?,?,?,?)",
			       -1, &b->reg, NULL) ||
	    sqlite3_prepare_v2(b->db, "INSERT OR IGNORE INTO registers(space, addr, is_write, device,"
			       " name) VALUES (?,?,?,?,?)", -1, &b->nam, NULL) ||
	    sqlite3_prepare_v2(b->db, "INSERT INTO disks(idx, device, kind, path, sectors,"
			       " initial_sha256) VALUES (?,?,?,?,?,?)", -1, &b->dsk, NULL) ||
	    sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL)) {
		sqlite3_finalize(b->dev);
		sqlite3_finalize(b->reg);
		sqlite3_finalize(b->nam);
		sqlite3_finalize(b->dsk);
		free(b);
		return -EIO;
	}
	*out = b;
	return 0;
}

int store_board_device(struct store_board *b, const char *name, const char *kind,
		       int irq, int disk)
{
	if (b->err)
		return b->err;
	sqlite3_bind_text(b->dev, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->dev, 2, kind, -1, SQLITE_STATIC);
	if (irq >= 0)
		sqlite3_bind_int(b->dev, 3, irq);
	if (disk >= 0)
		sqlite3_bind_int(b->dev, 4, disk);
	return board_step(b, b->dev);
}

int store_board_region(struct store_board *b, const char *space, uint64_t base,
		       uint64_t len, const char *device)
{
	if (b->err)
		return b->err;
	sqlite3_bind_text(b->reg, 1, space, -1, SQLITE_STATIC);
	sqlite3_bind_int64(b->reg, 2, (sqlite3_int64)base);
	sqlite3_bind_int64(b->reg, 3, (sqlite3_int64)len);
	sqlite3_bind_text(b->reg, 4, device, -1, SQLITE_STATIC);
	return board_step(b, b->reg);
}

int store_board_register(struct store_board *b, const char *space, uint64_t addr,
			 bool is_write, const char *device, const char *name)
{
	if (b->err)
		return b->err;
	sqlite3_bind_text(b->nam, 1, space, -1, SQLITE_STATIC);
	sqlite3_bind_int64(b->nam, 2, (sqlite3_int64)addr);
	sqlite3_bind_int(b->nam, 3, is_write);
	sqlite3_bind_text(b->nam, 4, device, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->nam, 5, name, -1, SQLITE_STATIC);
	return board_step(b, b->nam);
}

int store_board_disk(struct store_board *b, int idx, const char *device, const char *kind,
		     const char *path, uint64_t sectors, const char *initial_sha256)
{
	if (b->err)
		return b->err;
	sqlite3_bind_int(b->dsk, 1, idx);
	sqlite3_bind_text(b->dsk, 2, device, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->dsk, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->dsk, 4, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(b->dsk, 5, (sqlite3_int64)sectors);
	sqlite3_bind_text(b->dsk, 6, initial_sha256, -1, SQLITE_STATIC);
	return board_step(b, b->dsk);
}

int store_board_end(struct store_board *b, char *err, size_t errlen)
{
	int rc = b->err;

	if (!rc && sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL)) {
		rc = -EIO;
		store_seterr(b->msg, sizeof(b->msg), "%s", sqlite3_errmsg(b->db));
	}
	if (rc) {
		store_seterr(err, errlen, "writing the board description: %s", b->msg);
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_finalize(b->dev);
	sqlite3_finalize(b->reg);
	sqlite3_finalize(b->nam);
	sqlite3_finalize(b->dsk);
	free(b);
	return rc;
}
