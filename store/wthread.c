/*
 * wthread.c - the writer thread (ring -> transactions, see the states in
 * writer_int.h) and the checkpointer thread with its own connection.
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
/* the writer thread */

static int step_done(struct store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_fail(s, "%s: %s", s->path, sqlite3_errmsg(s->db));
		return -EIO;
	}
	return 0;
}

/* Step an insert of kind k; when a seq went in as NULL, check that SQLite
 * gave the last row the seq it had (see vt_pos()). */
static int step_insert(struct store *s, int k, sqlite3_stmt *st)
{
	if (step_done(s, st))
		return -EIO;
	if (s->nullseq) {
		s->nullseq = false;
		if ((uint64_t)sqlite3_last_insert_rowid(s->db) != s->maxseq[k]) {
			store_fail(s, "%s: %s: row stored under seq %lld, expected %llu", s->path,
				   wr_kinds[k].table, (long long)sqlite3_last_insert_rowid(s->db),
				   (unsigned long long)s->maxseq[k]);
			return -EIO;
		}
	}
	return 0;
}

/* Insert `n` pending rows of kind k: one multi-row statement for a full
 * batch, single-row statements otherwise. */
static int insert_rows(struct store *s, int k, unsigned n)
{
	const struct kind_desc *d = &wr_kinds[k];
	int rc;

	if (n == s->batch && s->many[k]) {
		for (unsigned i = 0; i < n; i++) {
			rc = d->bind(s, s->many[k], (int)i * d->ncols, s->pend[k][i], (int)i);
			if (rc)
				goto bind_fail;
		}
		return step_insert(s, k, s->many[k]);
	}
	for (unsigned i = 0; i < n; i++) {
		rc = d->bind(s, s->one[k], 0, s->pend[k][i], 0);
		if (rc)
			goto bind_fail;
		if (step_insert(s, k, s->one[k]))
			return -EIO;
	}
	return 0;
bind_fail:
	/* the codes were or-ed together; the connection holds the message */
	store_fail(s, "%s: binding a row: %s", s->path, sqlite3_errmsg(s->db));
	return -EIO;
}

static void rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = false;
	s->maxseq_ok = false;
	s->nullseq = false;
	wr_check_state(s);
}

static int txn_commit(struct store *s)
{
	wr_check_state(s);
	if (!s->in_txn)
		return 0;
	assert(!s->nullseq);
	if (wr_sum_flush(s)) {
		store_fail(s, "%s: summary tables: %s", s->path, sqlite3_errmsg(s->db));
		return -EIO;
	}
	s->in_txn = false;
	s->maxseq_ok = false;
	return step_done(s, s->commit);
}

/* BEGIN, and read max(seq) of the seq-keyed tables (see vt_pos()). */
static int txn_begin(struct store *s)
{
	if (step_done(s, s->begin))
		return -EIO;
	s->in_txn = true;
	s->txn_start = now_ns();
	for (int k = 0; k < K_N; k++) {
		sqlite3_stmt *q = s->maxq[k];
		int rc;

		if (!q)
			continue;
		rc = sqlite3_step(q);
		if (rc != SQLITE_ROW) {
			sqlite3_reset(q);
			store_fail(s, "%s: %s", s->path, sqlite3_errmsg(s->db));
			return -EIO;
		}
		s->maxseq[k] = (uint64_t)sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
	}
	s->maxseq_ok = true;
	s->nullseq = false;
	wr_check_state(s);
	return 0;
}

/* Write n records from the ring (under db_mu); nothing after a failure. */
static void write_pass(struct store *s, size_t n)
{
	unsigned *np = s->npend;

	wr_check_state(s);
	if (atomic_load_explicit(&s->failed, memory_order_relaxed))
		return;
	if (!s->in_txn && txn_begin(s)) {
		rollback(s);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ring_slot *sl = s->passv[i];
		unsigned k = sl->kind;

		if (k >= K_N) {
			store_fail(s, "%s: corrupt record in the ring (kind %u)", s->path, k);
			goto fail;
		}
		if (k <= K_BLK)         /* exits, pio, mmio, blk */
			wr_sum_record(s, sl);
		if (s->vrows[k]) {
			s->vrows[k][s->vn[k]++] = sl;
			continue;
		}
		s->pend[k][np[k]++] = sl;
		if (np[k] == s->batch) {
			if (insert_rows(s, (int)k, np[k]))
				goto fail;
			np[k] = 0;
		}
	}
	for (int k = 0; k < K_N; k++) {
		if (np[k] && insert_rows(s, k, np[k]))
			goto fail;
		np[k] = 0;
		if (s->vn[k] && step_insert(s, k, s->vins[k]))
			goto fail;
		s->vn[k] = 0;
	}
	return;
fail:
	memset(s->npend, 0, sizeof(s->npend));
	memset(s->vn, 0, sizeof(s->vn));
	rollback(s);
}

static void publish_committed(struct store *s)
{
	pthread_mutex_lock(&s->mu);
	s->committed = s->consumed;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/*
 * The writer's loop.  It polls: every POLL_MS it wakes, moves whatever the
 * ring holds into the open transaction in passes of at most PASS_MAX
 * records, and commits once the ring is drained -- so a record is
 * committed within about POLL_MS (plus the pass) of being put, inside the
 * 100 ms bound, and a slow stream costs one wake-up, one INSERT ... SELECT
 * per table and one commit per poll instead of one of each per handful of
 * records.  (The storm guest in the KVM sandbox makes ~20,000 exits/s; the
 * old writer, passes every ~1 ms, used 2.0-2.7 s of CPU per 100,000 of its
 * exits there, this one 1.0-1.3 s.)  After a pass it goes straight on
 * when min_pass records or more wait, when a flush or close waits, or when
 * the producer waits for room; those last two also cut a nap short
 * (ring_kick(), prod_wait()).  A transaction that never drains is
 * committed every STORE_COMMIT_MS / 2.
 */
void *wr_writer_main(void *arg)
{
	struct store *s = arg;
	const uint64_t commit_ns = STORE_COMMIT_MS * 1000000ull / 2;
	const uint64_t poll_ns = POLL_MS * 1000000ull;
	uint64_t next_poll = now_ns() + poll_ns;

	for (;;) {
		uint64_t target, now;
		size_t n;
		bool stop, drained;

		pthread_mutex_lock(&s->mu);
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		target = atomic_load(&s->flush_target);

		n = wr_gather(s);
		if (n) {
			pthread_mutex_lock(&s->db_mu);
			write_pass(s, n);
			wr_release(s);
			s->consumed += n;
			drained = wr_pending(s) == 0;
			/* commit when drained, old enough, or a flush waits for these */
			if (s->in_txn && (drained || now_ns() - s->txn_start >= commit_ns ||
					  (target > s->committed && s->consumed >= target))) {
				if (txn_commit(s))
					rollback(s);
				pthread_mutex_unlock(&s->db_mu);
				publish_committed(s);
			} else {
				pthread_mutex_unlock(&s->db_mu);
			}
			if (stop || target > s->committed ||
			    wr_pending(s) >= s->min_pass || wr_prod_waiting(s))
				continue;
		} else {
			/* records above this pass's merge bound: the next
			 * pass takes them (see merge.c) */
			if (wr_pending(s))
				continue;
			if (s->in_txn) {
				pthread_mutex_lock(&s->db_mu);
				if (txn_commit(s))
					rollback(s);
				pthread_mutex_unlock(&s->db_mu);
			}
			if (s->committed != s->consumed || target > s->committed)
				publish_committed(s);
			if (stop)
				break;
		}
		/* until the next poll or a kick (flush, close, a waiting
		 * producer); polls keep their period whatever a pass took */
		now = now_ns();
		if ((int64_t)(next_poll - now) <= 0)
			next_poll = now + poll_ns;
		ring_cons_nap(s->main.ring, next_poll - now);
		if ((int64_t)(now_ns() - next_poll) >= 0)
			next_poll += poll_ns;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* the checkpointer
 *
 * A checkpoint copies the WAL back into the database file and fsyncs both:
 * tens or hundreds of milliseconds for 64 MiB, during which an inline
 * (auto)checkpoint would keep the writer from draining the ring (measured:
 * it halved the sustained rate).  So the writer's connection never
 * checkpoints: a commit that leaves CKPT_BYTES or more in the WAL wakes
 * this thread, which runs a PASSIVE checkpoint on a second connection while
 * the writer goes on appending.  So the WAL is synced every 64 MiB (what a
 * power cut can take stays bounded) and backfilled as it goes (little is
 * left for store_close()).  The WAL file starts over when the writer begins
 * a transaction after a complete checkpoint -- whenever the stream leaves
 * the writer a poll period of slack (measured: at 300,000 exits/s it stays
 * under 72 MB); a stream that keeps the writer busy from start to end
 * keeps appending to it until close, as with no checkpoints at all.
 */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int nframe)
{
	struct store *s = arg;

	(void)db;
	(void)name;
	if (nframe >= 0 && (unsigned)nframe >= s->ck_frames && s->ck_started) {
		pthread_mutex_lock(&s->ck_mu);
		if (!s->ck_want) {
			s->ck_want = true;
			pthread_cond_signal(&s->ck_cv);
		}
		pthread_mutex_unlock(&s->ck_mu);
	}
	return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
	struct store *s = arg;

	pthread_mutex_lock(&s->ck_mu);
	for (;;) {
		while (!s->ck_want && !s->ck_stop)
			pthread_cond_wait(&s->ck_cv, &s->ck_mu);
		if (s->ck_stop)
			break;
		s->ck_want = false;
		pthread_mutex_unlock(&s->ck_mu);
		/* SQLITE_BUSY (a reader still uses old frames): the next
		 * commit asks again */
		sqlite3_wal_checkpoint_v2(s->ckdb, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&s->ck_mu);
	}
	pthread_mutex_unlock(&s->ck_mu);
	return NULL;
}

int wr_ckpt_start(struct store *s, char *err, size_t errlen)
{
	int rc;

	rc = sqlite3_open_v2(s->path, &s->ckdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		seterr(err, errlen, "%s: cannot open: %s", s->path,
		       s->ckdb ? sqlite3_errmsg(s->ckdb) : sqlite3_errstr(rc));
		return -EIO;
	}
	sqlite3_wal_autocheckpoint(s->ckdb, 0);
	/* a connection that has not read the database yet does not know it
	 * is in WAL mode, and its checkpoints would be no-ops */
	if (sqlite3_exec(s->ckdb, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		seterr(err, errlen, "%s: cannot read: %s", s->path, sqlite3_errmsg(s->ckdb));
		return -EIO;
	}
	s->ck_frames = CKPT_BYTES / PAGE_SIZE;
	rc = pthread_create(&s->ckthread, NULL, ckpt_main, s);
	if (rc) {
		seterr(err, errlen, "%s: cannot start the checkpointer thread: %s", s->path,
		       strerror(rc));
		return -rc;
	}
	pthread_setname_np(s->ckthread, "exitlog-ckpt");
	s->ck_started = true;
	/* from now on the writer's connection never checkpoints by itself */
	sqlite3_wal_hook(s->db, wal_hook, s);
	return 0;
}

/* Stop the checkpointer and close its connection (before the WAL can be
 * folded back: that needs the only connection). */
void wr_ckpt_stop(struct store *s)
{
	if (s->ck_started) {
		pthread_mutex_lock(&s->ck_mu);
		s->ck_stop = true;
		pthread_cond_signal(&s->ck_cv);
		pthread_mutex_unlock(&s->ck_mu);
		pthread_join(s->ckthread, NULL);
		s->ck_started = false;
	}
	if (s->db)
		sqlite3_wal_hook(s->db, NULL, NULL);
	if (s->ckdb) {
		sqlite3_close_v2(s->ckdb);
		s->ckdb = NULL;
	}
}
