/*
 * reader.c - open an exitlog recording read-only and check that it is one:
 * the SQLite header, the file size against the page count the header
 * records (a truncated copy is refused at open, cheaply, without reading
 * the whole file), the meta table and a schema_version this binary
 * understands.  Also reads meta values, and tells a recording its writer
 * never closed (killed mid-run: meta.complete still 0) from a finished one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"

#define SQLITE_MAGIC "SQLite format 3"  /* 15 chars + the NUL = 16 bytes */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * Check the 100-byte database header.  Returns 0, or -errno with err set.
 * The in-header page count (offset 28) is valid when the change counter
 * (24) equals the version-valid-for number (92); then a file shorter than
 * page_count * page_size has lost its tail.
 */
static int check_header(const char *path, int fd, off_t size,
			char *err, size_t errlen)
{
	uint8_t h[100];
	ssize_t n;
	uint32_t page_size, pages;

	n = pread(fd, h, sizeof(h), 0);
	if (n < 0) {
		int e = errno;
		store_seterr(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (n < 16 || memcmp(h, SQLITE_MAGIC, 16) != 0) {
		store_seterr(err, errlen, "%s: not an exitlog database (not SQLite)", path);
		return -EINVAL;
	}
	if (n < 100) {
		store_seterr(err, errlen, "%s: damaged database: truncated header (%zd bytes)",
			     path, n);
		return -EINVAL;
	}
	page_size = (uint32_t)h[16] << 8 | h[17];
	if (page_size == 1)
		page_size = 65536;
	if (page_size < 512 || (page_size & (page_size - 1))) {
		store_seterr(err, errlen, "%s: damaged database: bad page size %u",
			     path, page_size);
		return -EINVAL;
	}
	pages = be32(h + 28);
	if (pages && be32(h + 24) == be32(h + 92) &&
	    (uint64_t)pages * page_size > (uint64_t)size) {
		store_seterr(err, errlen,
			     "%s: damaged database: truncated (%lld of %llu bytes)",
			     path, (long long)size,
			     (unsigned long long)pages * page_size);
		return -EINVAL;
	}
	return 0;
}

/* The same check through SQLite (covers headers whose count is stale);
 * skipped while a -wal file exists, since pages may then live in it. */
static int check_pages(const char *path, sqlite3 *db, off_t size,
		       char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int64_t pages = 0, psize = 0;
	char *wal;
	struct stat sb;
	int have_wal;

	if (asprintf(&wal, "%s-wal", path) < 0)
		return -ENOMEM;
	have_wal = stat(wal, &sb) == 0 && sb.st_size > 0;
	free(wal);
	if (have_wal)
		return 0;

	if (sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		pages = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		psize = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (pages * psize > (int64_t)size) {
		store_seterr(err, errlen,
			     "%s: damaged database: truncated (%lld of %lld bytes)",
			     path, (long long)size, (long long)(pages * psize));
		return -EINVAL;
	}
	return 0;
}

static int check_version(const char *path, sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const char *msg;
	const unsigned char *v;
	char *end;
	long long ver;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema_version'",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		msg = sqlite3_errmsg(db);
		if (strstr(msg, "no such table"))
			store_seterr(err, errlen, "%s: not an exitlog database (no meta table)",
				     path);
		else
			store_seterr(err, errlen, "%s: damaged database: %s", path, msg);
		return -EINVAL;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		store_seterr(err, errlen, "%s: not an exitlog database (no schema_version)",
			     path);
		ret = -EINVAL;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		store_seterr(err, errlen, "%s: damaged database: %s", path, sqlite3_errmsg(db));
		ret = -EINVAL;
		goto out;
	}
	v = sqlite3_column_text(st, 0);
	errno = 0;
	ver = v ? strtoll((const char *)v, &end, 10) : 0;
	if (!v || errno || end == (const char *)v || *end || ver < 1) {
		store_seterr(err, errlen, "%s: damaged database: bad schema_version '%s'",
			     path, v ? (const char *)v : "NULL");
		ret = -EINVAL;
		goto out;
	}
	if (ver > STORE_SCHEMA_VERSION) {
		store_seterr(err, errlen,
			     "%s: schema_version %lld is newer than this exitlog understands (%d)",
			     path, ver, STORE_SCHEMA_VERSION);
		ret = -EPROTO;
	}
out:
	sqlite3_finalize(st);
	return ret;
}

int store_open_ro(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	struct stat sb;
	int fd, rc, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			store_seterr(err, errlen, "%s: no such file", path);
		else
			store_seterr(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &sb) < 0) {
		ret = -errno;
		store_seterr(err, errlen, "%s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	if (S_ISDIR(sb.st_mode)) {
		store_seterr(err, errlen, "%s: is a directory", path);
		close(fd);
		return -EISDIR;
	}
	ret = check_header(path, fd, sb.st_size, err, errlen);
	close(fd);
	if (ret)
		return ret;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		store_seterr(err, errlen, "%s: cannot open: %s", path,
			     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		ret = rc == SQLITE_NOMEM ? -ENOMEM : -EINVAL;
		goto fail;
	}
	sqlite3_busy_timeout(db, 2000);
	ret = check_version(path, db, err, errlen);
	if (ret)
		goto fail;
	ret = check_pages(path, db, sb.st_size, err, errlen);
	if (ret)
		goto fail;
	*out = db;
	return 0;
fail:
	sqlite3_close(db);
	return ret;
}

int store_meta_get(sqlite3 *db, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *v;
	int rc, ret;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key=?1", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_text(st, 0);
		if (len)
			snprintf(buf, len, "%s", v ? (const char *)v : "");
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = -ENOENT;
	} else {
		ret = -EIO;
	}
	sqlite3_finalize(st);
	return ret;
}

int store_incomplete(store_rdb *db, uint64_t *nexits)
{
	sqlite3_stmt *st = NULL;
	char v[16];
	int rc;

	*nexits = 0;
	rc = store_meta_get(db, "complete", v, sizeof(v));
	if (rc == -ENOENT || (!rc && strcmp(v, "0")))
		return 0; /* closed, or written before meta.complete existed */
	if (rc)
		return rc;
	/* a killed writer leaves a gapless prefix: max(seq) is its length,
	 * found in the b-tree without a scan */
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(seq), 0) FROM exits", -1, &st,
			       NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return -EIO;
	}
	*nexits = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 1;
}

int store_incomplete_note(store_rdb *db, char *buf, size_t len)
{
	uint64_t n;
	int rc = store_incomplete(db, &n);

	if (rc == 1)
		snprintf(buf, len, "warning: recording is incomplete (the recorder was killed "
			 "or failed before closing it); using the %llu exits it holds",
			 (unsigned long long)n);
	return rc;
}

void store_close_ro(store_rdb *db)
{
	sqlite3_close(db);
}
