/*
 * replay_output.c - `replay -o OUT.db`: the replayed session written as a
 * new recording through the store writer.  The rows nothing in the replay
 * produces (meta, devices, regions, registers, disks, exit_info,
 * kernel_exits) are copied from the recording before the walk; exits are
 * written with the recording's seq/vcpu/reason/times, pio/mmio with the
 * models' answers and claiming devices, blk_requests/irqs/dma as the models
 * issued them (hostreplay.c).  At the end the disks get the overlay's final
 * hash.  So after a clean replay every row equals the recording's, except
 * the meta keys replay_meta_is_volatile() names.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "replayer/replay_int.h"

bool replay_meta_is_volatile(const char *key)
{
	static const char *const keys[] = { "replay_of", "replayed_at", "ring_waits", "lag_waits" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

/* Copy every row of `table` (optionally filtered by `where`) from the
 * recording into the output with the same column names. */
static int out_copy(struct replay *r, const char *table, const char *where)
{
	char err[512];
	int rc = store_copy_rows(r->st, &r->log, table, where, replay_meta_is_volatile,
				 err, sizeof(err));

	if (rc)
		replay_error(r, "%s: %s", rc == -EBADMSG ? r->o->db : r->o->out_db, err);
	return rc;
}

int replay_output_open(struct replay *r)
{
	static const char *const tables[] = {
		"meta", "devices", "regions", "registers", "disks", "kernel_exits",
	};
	char err[512], when[32], where[64];
	time_t t = time(NULL);
	struct tm tm;
	int rc;

	rc = store_create(&r->st, r->o->out_db, false, err, sizeof(err));
	if (rc) {
		r->st = NULL;
		if (rc == -EEXIST)
			replay_error(r, "%s: already exists (replay never replaces a file)",
				     r->o->out_db);
		else
			replay_error(r, "%s", err);
		return rc;
	}
	if (store_exec(r->st, "BEGIN IMMEDIATE", err, sizeof(err))) {
		replay_error(r, "%s: %s", r->o->out_db, err);
		return -EIO;
	}
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		rc = out_copy(r, tables[i], NULL);
		if (rc)
			return rc;
	}
	snprintf(where, sizeof(where), "seq <= %" PRIu64,
		 r->o->until ? r->o->until : (uint64_t)INT64_MAX);
	rc = out_copy(r, "exit_info", where);
	if (rc)
		return rc;
	if (store_exec(r->st, "COMMIT", err, sizeof(err))) {
		replay_error(r, "%s: %s", r->o->out_db, err);
		return -EIO;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (store_meta_set(r->st, "replay_of", r->o->db) ||
	    store_meta_set(r->st, "replayed_at", when)) {
		replay_error(r, "%s: cannot write meta", r->o->out_db);
		return -EIO;
	}
	return 0;
}

int replay_output_close(struct replay *r)
{
	struct store *st = r->st;
	int rc = 0;

	r->st = NULL;
	rc = err_first(rc, store_flush(st));
	for (int i = 0; i < r->cfg.ndisks; i++) {
		char hex[65], sql[160], key[64], had[65];

		/* the replay's own final hash, where the recording has one */
		if (!r->disks[i].final[0])
			continue;
		if (overlay_sha256(r->disks[i].ov, hex)) {
			rc = err_first(rc, -EIO);
			continue;
		}
		snprintf(sql, sizeof(sql), "UPDATE disks SET final_sha256 = '%s' WHERE idx = %d",
			 hex, i);
		snprintf(key, sizeof(key), "disk%d.final_sha256", i);
		rc = err_first(rc, store_exec(st, sql, NULL, 0));
		if (logread_meta(&r->log, key, had, sizeof(had)) == 0)
			rc = err_first(rc, store_meta_set(st, key, hex));
	}
	if (r->o->until && r->walked < (uint64_t)(r->exit_count >= 0 ? r->exit_count : 0))
		rc = err_first(rc, store_meta_setf(st, "exit_count", "%" PRIu64, r->walked));
	rc = err_first(rc, store_close(st));
	if (rc)
		replay_error(r, "%s: writing the replay's recording failed: %s", r->o->out_db,
			     strerror(-rc));
	return rc;
}
