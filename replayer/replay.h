/*
 * replay.h - `exitlog replay`: re-drive the device models from a recording
 * and find the first divergence.
 *
 * The replayer builds the board the recording describes (its disks table:
 * kind and size per disk index), opens each disk image read-only under a
 * copy-on-write overlay (backends/overlay.h), walks the log in seq order
 * (replaylog.h: one ordered cursor per table, merged by seq) and feeds every
 * exit to the bus exactly as the recorder's run loop did, answering the
 * models' host calls from the log (hostreplay.h).  It compares everything
 * the models produce -- IN/MMIO-read bytes, the claiming device, block
 * requests and their data hashes, DMA, IRQ levels, the final disk hashes --
 * with the recording.  docs/replay.md describes the command.
 */
#ifndef EXITLOG_REPLAY_H
#define EXITLOG_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/board.h"

struct replay_opts {
	const char *db;                        /* the recording */
	const char *disks[BOARD_MAX_DISKS];    /* --disk, by disk index */
	int ndisks;
	uint64_t until;                        /* --until SEQ; 0: to the end */
	const char *device;                    /* --device NAME, or NULL */
	bool verbose;                          /* one line per exit, console bytes */
	bool one_vcpu;                         /* --vcpu: verbose lines of ... */
	uint32_t vcpu;                         /* ... this vCPU's exits only */
	bool keep_going;                       /* report every divergence */
	const char *out_db;                    /* -o OUT.db, or NULL */
	uint64_t spill_bytes;                  /* overlay memory; 0: default */
	FILE *err;                             /* error lines; NULL: stderr */
};

/* Process exit statuses of a replay. */
enum {
	REPLAY_CLEAN = 0,
	REPLAY_DIVERGED = 1,
	REPLAY_BAD_INPUT = 2,
};

/*
 * Replay `o->db`.  The report (divergences, the summary line, --verbose
 * lines) goes to `out`; errors to o->err as one line each.  Returns
 * REPLAY_CLEAN, REPLAY_DIVERGED, or REPLAY_BAD_INPUT (unreadable, damaged or
 * newer recording, a board this build cannot build, a missing disk or one
 * whose hash differs from the recording's initial hash, an -o file that
 * exists).  Never writes a disk image; creates o->out_db only after every
 * input check passed.
 */
int replay_run(const struct replay_opts *o, FILE *out);

/*
 * Called before each exit is fed to the device models, with its seq.  It
 * does nothing; it exists so a debugger can stop at an exact exit:
 *   gdb --args exitlog replay REC.db --until 1234
 *   (gdb) break replay_exit_hook if seq == 1234
 * and then step into the device code.  Never inlined.
 */
void replay_exit_hook(uint64_t seq);

/*
 * True for meta keys whose value differs between a recording and its
 * replay (replay -o) by design: replay_of, replayed_at, ring_waits, lag_waits.  Every
 * other row of every table of `replay DB -o R` equals DB's after a clean
 * replay.
 */
bool replay_meta_is_volatile(const char *key);

#endif
