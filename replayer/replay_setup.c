/*
 * replay_setup.c - everything a replay checks before the first exit: the
 * recording opens as an exitlog database of a known schema version, its
 * board (disks table: kind and size per disk index) can be built by this
 * binary and matches its devices rows, and every disk image exists, has the
 * recorded size and hashes to the recording's initial image hash.  Images
 * are opened read-only under copy-on-write overlays.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "replayer/replay_int.h"
#include "util/sha256.h"

void replay_error(struct replay *r, const char *fmt, ...)
{
	va_list ap;

	fputs("exitlog: ", r->err);
	va_start(ap, fmt);
	vfprintf(r->err, fmt, ap);
	va_end(ap);
	fputc('\n', r->err);
}

const char *replay_reason_name(struct replay *r, uint32_t reason)
{
	static char buf[32];

	if (reason < 64 && r->reason_names[reason])
		return r->reason_names[reason];
	snprintf(buf, sizeof(buf), "reason %u", reason);
	return buf;
}

static int reason_row(void *arg, const struct log_cur *c)
{
	struct replay *r = arg;
	int64_t reason = logread_int(c, 0);
	const char *n = logread_text(c, 1);

	if (reason >= 0 && reason < 64 && n && !r->reason_names[reason])
		r->reason_names[reason] = strdup(n);
	return 0;
}

static int setup_meta(struct replay *r)
{
	char v[64];

	r->exit_count = -1;
	if (logread_meta(&r->log, "exit_count", v, sizeof(v)) == 0)
		r->exit_count = strtoll(v, NULL, 10);
	if (logread_meta(&r->log, "end_reason", r->end_reason, sizeof(r->end_reason)))
		r->end_reason[0] = 0;
	/* The board's clock and memory size, as the recorder built them. */
	if (logread_meta(&r->log, "rtc_epoch", v, sizeof(v)) == 0)
		r->cfg.rtc_epoch = strtoull(v, NULL, 10);
	if (logread_meta(&r->log, "mem_mb", v, sizeof(v)) == 0)
		r->cfg.ram_bytes = strtoull(v, NULL, 10) << 20;
	/* virtio-blk ran its requests on the IO thread: completions are events */
	r->blk_async = logread_meta(&r->log, "blk_async", v, sizeof(v)) == 0 && !strcmp(v, "1");
	/* names are for reports only: a recording without them still replays */
	logread_query(&r->log, "SELECT reason, name FROM exit_reasons", 0, 0, reason_row, r);
	return 0;
}

static void copy_col(const struct log_cur *c, int i, char *buf, size_t len)
{
	const char *t = logread_text(c, i);

	snprintf(buf, len, "%s", t ? t : "");
}

/* One disks row -> r->cfg and r->disks[n]; -EINVAL after an error line. */
static int disk_row(void *arg, const struct log_cur *c)
{
	struct replay *r = arg;
	int n = r->cfg.ndisks;
	struct replay_disk *d;
	char kind[32];
	int k;

	if (n >= BOARD_MAX_DISKS || logread_int(c, 0) != n) {
		replay_error(r, "%s: damaged recording: disks table is not indexed 0..%d",
			     r->o->db, BOARD_MAX_DISKS - 1);
		r->row_err = -EINVAL;
		return -EINVAL;
	}
	d = &r->disks[n];
	copy_col(c, 1, d->device, sizeof(d->device));
	copy_col(c, 2, kind, sizeof(kind));
	copy_col(c, 3, d->rec_path, sizeof(d->rec_path));
	copy_col(c, 5, d->initial, sizeof(d->initial));
	copy_col(c, 6, d->final, sizeof(d->final));
	k = board_disk_kind_parse(kind);
	if (k < 0) {
		replay_error(r, "%s: disk %d has kind '%s', which this build does not know",
			     r->o->db, n, kind);
		r->row_err = -EINVAL;
		return -EINVAL;
	}
	r->cfg.disks[n].kind = (enum disk_kind)k;
	r->cfg.disks[n].sectors = (uint64_t)logread_int(c, 4);
	r->cfg.ndisks = n + 1;
	return 0;
}

/* The query's own failure (not a row's, which printed its line). */
static int setup_query_failed(struct replay *r, int rc, bool row_said)
{
	if (row_said)
		return rc;
	if (rc == -EINVAL)
		replay_error(r, "%s: not a complete exitlog recording (%s)", r->o->db,
			     logread_errmsg(&r->log));
	else
		replay_error(r, "%s: damaged recording: %s", r->o->db, logread_errmsg(&r->log));
	return -EINVAL;
}

/* The disks table -> r->cfg and r->disks[] (paths, hashes). */
static int setup_disks_table(struct replay *r)
{
	int rc;

	r->cfg.ndisks = 0;
	r->row_err = 0;
	rc = logread_query(&r->log, "SELECT idx, device, kind, path, sectors, initial_sha256,"
			   " final_sha256 FROM disks ORDER BY idx", 0, 0, disk_row, r);
	return rc ? setup_query_failed(r, rc, r->row_err != 0) : 0;
}

/* One devices row: it must be a device of this build's board. */
static int device_row(void *arg, const struct log_cur *c)
{
	struct replay *r = arg;
	const char *name = logread_text(c, 0);
	const char *kind = logread_text(c, 1);
	const struct board_dev *d = name ? board_find(&r->board, name) : NULL;

	r->nrows++;
	if (!d || !kind || strcmp(d->kind, kind)) {
		replay_error(r, "%s: the recording's board has device %s (%s), which this "
			     "build's board does not have; it cannot be replayed here",
			     r->o->db, name ? name : "NULL", kind ? kind : "NULL");
		r->row_err = -EINVAL;
		return -EINVAL;
	}
	return 0;
}

/* The recording's devices rows must be exactly the board's devices. */
static int setup_check_devices(struct replay *r)
{
	int rc;

	r->nrows = 0;
	r->row_err = 0;
	rc = logread_query(&r->log, "SELECT name, kind FROM devices", 0, 0, device_row, r);
	if (rc)
		return setup_query_failed(r, rc, r->row_err != 0);
	if (r->nrows != r->board.ndevs) {
		replay_error(r, "%s: the recording's board has %d devices, this build's board for "
			     "its disks has %d; it cannot be replayed here", r->o->db, r->nrows,
			     r->board.ndevs);
		return -EINVAL;
	}
	for (int i = 0; i < r->cfg.ndisks; i++) {
		const char *dev = r->board.disk_dev[i];

		if (!dev || strcmp(dev, r->disks[i].device)) {
			replay_error(r, "%s: disk %d is attached to %s in the recording, to %s here",
				     r->o->db, i, r->disks[i].device, dev ? dev : "nothing");
			return -EINVAL;
		}
	}
	return 0;
}

static int setup_open_disk(struct replay *r, int i)
{
	struct replay_disk *d = &r->disks[i];
	char hex[65], err[512];
	int rc;

	d->path = i < r->o->ndisks ? r->o->disks[i] : d->rec_path;
	rc = sha256_file(d->path, hex);
	if (rc) {
		replay_error(r, "%s: %s (disk %d%s)", d->path, strerror(-rc), i,
			     i < r->o->ndisks ? "" : "; give the image with --disk");
		return rc;
	}
	if (strcmp(hex, d->initial)) {
		replay_error(r, "%s: sha256 %s does not match the recording's initial image "
			     "hash %s (disk %d)", d->path, hex, d->initial, i);
		return -EINVAL;
	}
	rc = overlay_open(&d->ov, d->path, r->o->spill_bytes, err, sizeof(err));
	if (rc) {
		replay_error(r, "%s (disk %d)", err, i);
		return rc;
	}
	if (overlay_sectors(d->ov) != r->cfg.disks[i].sectors) {
		replay_error(r, "%s: %llu sectors, the recording's disk %d has %llu", d->path,
			     (unsigned long long)overlay_sectors(d->ov), i,
			     (unsigned long long)r->cfg.disks[i].sectors);
		return -EINVAL;
	}
	r->ovs[i] = d->ov;
	return 0;
}

/* A killed recording: say so once, and replay its prefix 1..prefix. */
static int setup_incomplete(struct replay *r)
{
	char note[256];
	int rc = store_incomplete_note(r->log.db, note, sizeof(note));

	if (rc < 0 || (rc == 1 && store_incomplete(r->log.db, &r->prefix) != 1)) {
		replay_error(r, "%s: damaged recording: cannot read its meta", r->o->db);
		return -EIO;
	}
	if (rc == 1) {
		r->incomplete = true;
		replay_error(r, "%s", note);
	}
	return 0;
}

/* The last seq the cursors deliver (0: all): --until, and for an
 * incomplete recording its prefix, leaving out the rows of the exit that
 * was being logged when the recorder died (it has no exits row). */
static uint64_t setup_until(const struct replay *r)
{
	uint64_t u = r->o->until;

	if (r->incomplete && r->prefix && (!u || u > r->prefix))
		u = r->prefix;
	return u;
}

int replay_setup_open(struct replay *r)
{
	char err[512];
	int rc;

	rc = logread_open(&r->log, r->o->db, err, sizeof(err));
	if (rc) {
		replay_error(r, "%s", err);
		return rc;
	}
	rc = setup_meta(r);
	if (!rc)
		rc = setup_incomplete(r);
	if (!rc && r->incomplete && !r->prefix)
		return 1; /* killed before its first exit: maybe not even a board */
	if (!rc)
		rc = setup_disks_table(r);
	if (rc)
		return rc;
	if (r->o->ndisks > r->cfg.ndisks) {
		replay_error(r, "--disk given %d times, the recording has %d disk%s", r->o->ndisks,
			     r->cfg.ndisks, r->cfg.ndisks == 1 ? "" : "s");
		return -EINVAL;
	}
	rc = board_create(&r->board, &r->cfg);
	if (rc) {
		replay_error(r, "%s: this build cannot build the recording's board: %s",
			     r->o->db, rc == -EOPNOTSUPP ? "a disk kind it does not support"
							 : strerror(-rc));
		return rc;
	}
	r->have_board = true;
	rc = setup_check_devices(r);
	for (int i = 0; !rc && i < r->cfg.ndisks; i++)
		rc = setup_open_disk(r, i);
	if (rc)
		return rc;
	if (r->o->device && !board_find(&r->board, r->o->device)) {
		replay_error(r, "--device %s: the recording's board has no such device",
			     r->o->device);
		return -EINVAL;
	}
	rc = logread_cursors(&r->log, setup_until(r), err, sizeof(err));
	if (rc) {
		replay_error(r, "%s: %s", r->o->db, err);
		return rc;
	}
	if (logread_prime(&r->log)) {
		replay_error(r, "%s: damaged recording: %s", r->o->db, logread_errmsg(&r->log));
		return -EIO;
	}
	return 0;
}

void replay_setup_close(struct replay *r)
{
	for (int i = 0; i < BOARD_MAX_DISKS; i++) {
		overlay_close(r->disks[i].ov);
		r->disks[i].ov = NULL;
		r->ovs[i] = NULL;
	}
	if (r->have_board)
		board_destroy(&r->board);
	r->have_board = false;
	for (int i = 0; i < 64; i++) {
		free((void *)r->reason_names[i]);
		r->reason_names[i] = NULL;
	}
	logread_close(&r->log); /* the cursors and the database */
}
