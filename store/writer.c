/*
 * writer.c - the recording side of the store: create the database, take
 * records from the vCPU thread through an SPSC ring (store/ring.h) and
 * write them from a writer thread with statements prepared once, in large
 * transactions committed at least every 100 ms.
 *
 * How rows get in (bench/README.md has the measurements behind each step):
 * - exits, pio and mmio -- nearly every row -- through eponymous virtual
 *   tables over the ring ("the ring as a table"): one
 *   INSERT INTO t SELECT ... FROM exitlog_ring_t per table and pass, the
 *   column values read straight from the ring slots, no sqlite3_bind_*();
 *   and a seq that continues its table goes in as NULL, so SQLite appends
 *   at the rightmost leaf instead of searching the b-tree for every key
 *   (vt_pos()).  Together: 6,970 -> 4,850 instructions per storm exit.
 * - the rarer kinds (blk_requests, irqs, dma, exit_info, kernel_exits):
 *   prepared multi-row INSERT ... VALUES, bound per row.
 * - the writer polls the ring every POLL_MS instead of chasing each
 *   handful of records: a slow stream (the storm guest in the sandbox
 *   makes ~20,000 exits/s) costs one wake-up, one statement per table and
 *   one commit per poll (writer_main()).
 * - 16 KiB pages, 8 MiB of page cache, and no checkpoint on the writer's
 *   connection: a checkpointer thread does them (ckpt_main()).
 *
 * Durability: journal_mode=WAL with synchronous=NORMAL while recording.  A
 * commit then appends to the WAL without an fsync (the WAL is synced at
 * checkpoints, every 64 MiB of it), so the writer keeps up with millions
 * of rows a second; a crash of exitlog loses nothing that was committed
 * (at most the last ~100 ms of records that were still in the ring or in
 * the open transaction), a power cut may lose the WAL frames since the
 * last checkpoint but never corrupts the file.  meta.complete stays 0
 * until a clean close's last commit (readers warn about a 0:
 * store_incomplete()), and the file appears at its path only with its
 * schema in it (create_file()).  At close the WAL is folded
 * back (journal_mode=DELETE) so the result is one self-contained file that
 * also opens read-only from read-only media.
 *
 * Threads: the producer side (store_put_*) may be called from several
 * threads; a one-word spin lock serializes them (uncontended it costs one
 * atomic exchange).  All SQLite work on the writer's connection happens
 * either on the writer thread or, for the synchronous calls, after
 * store_flush() and under db_mu, so the connection is opened
 * SQLITE_OPEN_NOMUTEX; the checkpointer has a connection of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/embedded.h"
#include "util/sha256.h"
#include "store/writer_int.h"

/* Remember the first write error, tell the user once, wake waiters. */
void store_fail(struct store *s, const char *fmt, ...)
{
	char msg[sizeof(s->errmsg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	pthread_mutex_lock(&s->mu);
	if (!atomic_load(&s->failed)) {
		memcpy(s->errmsg, msg, sizeof(msg));
		atomic_store(&s->failed, 1);
		fprintf(stderr, "exitlog: database write failed: %s\n", msg);
	}
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------------ */
/* synchronous calls */

int store_meta_set(struct store *s, const char *key, const char *value)
{
	int rc, ret = 0;

	ret = store_flush(s);
	if (ret)
		return ret;
	pthread_mutex_lock(&s->db_mu);
	sqlite3_bind_text(s->meta, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->meta, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->meta);
	sqlite3_reset(s->meta);
	sqlite3_clear_bindings(s->meta);
	if (rc != SQLITE_DONE)
		ret = -EIO;
	pthread_mutex_unlock(&s->db_mu);
	return ret;
}

int store_meta_setf(struct store *s, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *v;
	int n, ret;

	va_start(ap, fmt);
	n = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	ret = store_meta_set(s, key, v);
	free(v);
	return ret;
}

int store_exec(struct store *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int ret;

	ret = store_flush(s);
	if (ret) {
		seterr(err, errlen, "%s: %s", s->path, s->errmsg);
		return ret;
	}
	pthread_mutex_lock(&s->db_mu);
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		seterr(err, errlen, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		ret = -EIO;
	}
	pthread_mutex_unlock(&s->db_mu);
	sqlite3_free(msg);
	return ret;
}

sqlite3 *store_db(struct store *s)
{
	store_flush(s);
	return s->db;
}

/* ------------------------------------------------------------------ */
/* create and close */

/* Remove a database and its side files; with side_only, just the side
 * files (orphans a new database must not pick up: SQLite would replay a
 * stale -wal or -journal into it). */
static int unlink_db(const char *path, bool side_only, char *err, size_t errlen)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char name[4096];

	for (size_t i = side_only ? 1 : 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if ((size_t)snprintf(name, sizeof(name), "%s%s", path, sfx[i]) >= sizeof(name)) {
			seterr(err, errlen, "%s: path too long", path);
			return -ENAMETOOLONG;
		}
		if (unlink(name) && errno != ENOENT) {
			int e = errno;
			seterr(err, errlen, "%s: cannot replace: %s", name, strerror(e));
			return -e;
		}
	}
	return 0;
}

static int exec_or_err(struct store *s, const char *sql, const char *what,
		       char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	seterr(err, errlen, "%s: %s: %s", s->path, what,
	       msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return -EIO;
}

static void store_free(struct store *s)
{
	wr_ckpt_stop(s);
	wr_finalize_all(s);
	wr_sum_free(s);
	for (int k = 0; k < K_N; k++)
		free(s->vrows[k]);
	if (s->db)
		sqlite3_close_v2(s->db);
	wr_prods_free(s);
	ring_destroy(s->main.ring);
	free(s->passv);
	pthread_cond_destroy(&s->cv);
	pthread_cond_destroy(&s->ck_cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->db_mu);
	pthread_mutex_destroy(&s->ck_mu);
	free(s->path);
	free(s);
}

/*
 * Build the schema (and meta.schema_version, meta.complete = 0) in a file
 * of its own, `path`.new-PID, and only then link it to `path`: a recorder
 * killed at any moment leaves either no database or one that opens, never
 * an empty or half-created file.  link() fails on an existing `path`, which
 * keeps the O_EXCL promise (an existing file is never touched).  A kill
 * inside this function may leave the .new-PID file behind.
 */
static int create_file(const char *path, char *err, size_t errlen)
{
	const char *schema = embedded_get("schema/exitlog.sql");
	char *tmp = NULL, *msg = NULL, sql[192];
	sqlite3 *db = NULL;
	int fd, rc, ret;

	if (!schema) {
		seterr(err, errlen, "%s: schema/exitlog.sql is not built into this binary", path);
		return -ENOENT;
	}
	if (asprintf(&tmp, "%s.new-%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	ret = unlink_db(tmp, false, err, errlen);
	if (ret)
		goto out;
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		seterr(err, errlen, "%s: cannot create: %s", path, strerror(-ret));
		goto out;
	}
	close(fd);
	ret = -EIO;
	rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		seterr(err, errlen, "%s: cannot open: %s", path,
		       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto out_unlink;
	}
	/* the page size is fixed for good by the first write (see below) */
	snprintf(sql, sizeof(sql), "PRAGMA page_size=%d; BEGIN", PAGE_SIZE);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK)
		goto out_msg;
	snprintf(sql, sizeof(sql),
		 "INSERT INTO meta(key, value) VALUES ('schema_version', '%d'),"
		 " ('complete', '0'); COMMIT", STORE_SCHEMA_VERSION);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		goto out_msg;
	if (sqlite3_close(db) != SQLITE_OK) {
		seterr(err, errlen, "%s: creating the schema: %s", path, sqlite3_errmsg(db));
		goto out_unlink;
	}
	db = NULL;
	if (link(tmp, path)) {
		ret = -errno;
		if (ret == -EEXIST)
			seterr(err, errlen, "%s: file exists (not replaced without force)", path);
		else
			seterr(err, errlen, "%s: cannot create: %s", path, strerror(-ret));
		goto out_unlink;
	}
	ret = 0;
	goto out_unlink;
out_msg:
	seterr(err, errlen, "%s: creating the schema: %s", path,
	       msg ? msg : sqlite3_errmsg(db));
out_unlink:
	sqlite3_free(msg);
	if (db)
		sqlite3_close_v2(db);
	unlink_db(tmp, false, NULL, 0);
out:
	free(tmp);
	return ret;
}

int store_create_opts(struct store **out, const char *path, bool force,
		      const struct store_opts *o, char *err, size_t errlen)
{
	const struct store_opts def = { 0 };
	sigset_t all, old;
	struct store *s;
	struct stat sb;
	char pragmas[256];
	int rc, ret;

	*out = NULL;
	if (!o)
		o = &def;
	if (force) {
		ret = unlink_db(path, false, err, errlen);
		if (ret)
			return ret;
	}
	/* the early answer; create_file()'s link() is the one that counts */
	if (lstat(path, &sb) == 0) {
		seterr(err, errlen, "%s: file exists (not replaced without force)", path);
		return -EEXIST;
	}
	/* orphans a new database must not pick up: SQLite would replay a
	 * stale -wal or -journal into it */
	ret = unlink_db(path, true, err, errlen);
	if (ret)
		return ret;

	ret = -ENOMEM;
	if (posix_memalign((void **)&s, 64, sizeof(*s)))
		return ret;
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->db_mu, NULL);
	pthread_mutex_init(&s->ck_mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	pthread_cond_init(&s->ck_cv, NULL);
	s->batch = o->batch_rows ? o->batch_rows : STORE_BATCH_ROWS;
	if (s->batch > BATCH_MAX)
		s->batch = BATCH_MAX;
	s->path = strdup(path);
	if (!s->path) {
		store_free(s);
		return ret;
	}
	if (o->producers_only)
		ret = ring_create(&s->main.ring, STORE_MAIN_MIN_RECORDS, STORE_MAIN_MIN_SIDE);
	else
		ret = ring_create(&s->main.ring, o->ring_records ? o->ring_records : STORE_RING_RECORDS,
				  o->side_bytes ? o->side_bytes : STORE_SIDE_BYTES);
	if (!ret) {
		s->main.s = s;
		s->prods[0] = &s->main;
		atomic_store(&s->nprods, 1);
		/* a producer's ring: a quarter of the defaults, or the sizes
		 * the caller chose */
		s->prod_nrec = o->ring_records ? o->ring_records : STORE_RING_RECORDS / 4;
		s->prod_side = o->side_bytes ? o->side_bytes : STORE_SIDE_BYTES / 4;
		s->passv = malloc(PASS_MAX * sizeof(*s->passv));
		if (!s->passv)
			ret = -ENOMEM;
	}
	if (ret) {
		seterr(err, errlen, "%s: cannot allocate the record ring: %s", path,
		       strerror(-ret));
		store_free(s);
		return ret;
	}
	s->min_pass = s->main.ring->nslots / 4 < PASS_MAX ? s->main.ring->nslots / 4 : PASS_MAX;

	ret = create_file(path, err, errlen);
	if (ret) {
		store_free(s);
		return ret;
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		seterr(err, errlen, "%s: cannot open: %s", path,
		       s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		ret = -EIO;
		goto err_free;
	}
	/* someone else's brief lock on the file (a reader's checkpoint, the
	 * sqlite3 shell) must not fail the recording */
	sqlite3_busy_timeout(s->db, 5000);
	/*
	 * Page size (fixed for good when the file is created): flat out, 16,
	 * 32 and 64 KiB pages all sustain ~1.4x the rate of 4 KiB pages (fewer
	 * WAL frames, and writes, per row; the same instructions).  But every
	 * commit rewrites the partly filled last page of each table (and page
	 * 1): with 64 KiB pages a slow stream committed every POLL_MS writes
	 * several times its own size to the WAL -- in the KVM sandbox, at the
	 * storm guest's rate, twice the writer's system time of 16 KiB pages
	 * (6x that of 4 KiB pages when it committed every 40 ms); and the ~30
	 * tables and indexes cost one page each even when empty.  16 KiB keeps the flat-out
	 * rate and neither cost.  A cache of 8 MiB beat 16 and 64 MiB (the
	 * appends never revisit a page; a bigger cache only spreads the writes
	 * over more memory).
	 */
	snprintf(pragmas, sizeof(pragmas),
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-%d;",
		 CACHE_KIB);
	ret = exec_or_err(s, pragmas, "setting up", err, errlen);
	if (ret)
		goto err_free;
	/* the summary tables the writer keeps (wsum.c), empty */
	ret = exec_or_err(s, "BEGIN", "creating the summary tables", err, errlen);
	if (!ret)
		ret = wr_sum_init(s, err, errlen);
	if (!ret)
		ret = exec_or_err(s, "COMMIT", "creating the summary tables", err, errlen);
	if (ret)
		goto err_free;
	ret = wr_prepare_all(s, err, errlen);
	if (ret)
		goto err_free;

	/* the threads take no signals: they belong to the vCPU loop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = wr_ckpt_start(s, err, errlen);
	rc = ret ? 0 : pthread_create(&s->thread, NULL, wr_writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto err_free;
	if (rc) {
		seterr(err, errlen, "%s: cannot start the writer thread: %s", path,
		       strerror(rc));
		ret = -rc;
		goto err_free;
	}
	pthread_setname_np(s->thread, "exitlog-writer");
	s->thread_started = true;
	*out = s;
	return 0;

err_free:
	store_free(s);
	unlink_db(path, false, NULL, 0);
	return ret;
}

int store_create(struct store **out, const char *path, bool force,
		 char *err, size_t errlen)
{
	return store_create_opts(out, path, force, NULL, err, errlen);
}

/* After the writer stopped: meta.ring_waits; the summary tables are
 * already up to date unless the writer could not keep them (wr_sum_close()). */
static void close_extras(struct store *s)
{
	char sql[192], *msg = NULL;
	uint64_t lag = 0;
	bool rebuilt;

	snprintf(sql, sizeof(sql),
		 "INSERT OR REPLACE INTO meta(key, value) VALUES ('ring_waits', '%llu')",
		 (unsigned long long)store_ring_waits(s));
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(s, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return;
	}
	/* each producer's own, "ring_waits.vcpu0", and its waits for the lag
	 * bound (producer.c), "lag_waits.vcpu0"; lag_waits: all of them */
	for (int i = 0; i < atomic_load(&s->nprods); i++) {
		const struct store_prod *p = s->prods[i];

		lag += p->lag_waits;
		if (i == 0 || !p->name[0])
			continue;
		snprintf(sql, sizeof(sql),
			 "INSERT OR REPLACE INTO meta(key, value) VALUES ('ring_waits.%s', '%llu'),"
			 " ('lag_waits.%s', '%llu')",
			 p->name, (unsigned long long)ring_waits(p->ring),
			 p->name, (unsigned long long)p->lag_waits);
		if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
			store_fail(s, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
			sqlite3_free(msg);
			return;
		}
	}
	snprintf(sql, sizeof(sql),
		 "INSERT OR REPLACE INTO meta(key, value) VALUES ('lag_waits', '%llu')",
		 (unsigned long long)lag);
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_fail(s, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return;
	}
	wr_sum_close(s, &rebuilt);
}

/* The last commit of a clean close: meta.complete 0 -> 1.  A recording
 * whose writer was killed (or failed) keeps the 0 of store_create(). */
static void close_mark_complete(struct store *s)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, "UPDATE meta SET value = '1' WHERE key = 'complete'",
			 NULL, NULL, &msg) != SQLITE_OK)
		store_fail(s, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
}

/* Fold the WAL back into the file: no -wal/-shm remain. */
static void close_wal(struct store *s)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *mode = NULL;

	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=DELETE", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		mode = sqlite3_column_text(st, 0);
	if (!mode || strcmp((const char *)mode, "delete") != 0)
		fprintf(stderr, "exitlog: %s: left in WAL mode (%s); it is complete but"
			" needs its -wal file\n", s->path,
			mode ? "another process has it open" : sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
}

int store_close(struct store *s)
{
	int ret;

	if (!s)
		return 0;
	if (s->thread_started) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_mutex_unlock(&s->mu);
		ring_kick(s->main.ring);
		pthread_join(s->thread, NULL);
		s->thread_started = false;
	}
	wr_ckpt_stop(s);
	wr_finalize_all(s);
	if (!atomic_load(&s->failed))
		close_extras(s);
	if (!atomic_load(&s->failed))
		close_mark_complete(s);
	wr_sum_free(s);
	close_wal(s);
	ret = atomic_load(&s->failed) ? -EIO : 0;
	if (sqlite3_close(s->db) != SQLITE_OK) {
		/* statements a caller prepared through store_db() still live */
		fprintf(stderr, "exitlog: %s: closing: %s\n", s->path, sqlite3_errmsg(s->db));
		sqlite3_close_v2(s->db);
	}
	s->db = NULL;
	store_free(s);
	return ret;
}
