/*
 * replay_int.h - the state of one replay session, shared by the replayer's
 * files: replay.c (the walk), replay_setup.c (recording, board, disks),
 * replay_report.c (divergence report, --verbose lines), replay_output.c
 * (-o).  Not for use outside replayer/.
 */
#ifndef EXITLOG_REPLAY_INT_H
#define EXITLOG_REPLAY_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/board.h"
#include "devices/dispatch.h"
#include "backends/overlay.h"
#include "replayer/hostreplay.h"
#include "replayer/replay.h"
#include "store/logread.h"
#include "store/store.h"

struct replay_disk {
	const char *path;       /* image actually opened (--disk or disks.path) */
	char rec_path[1024];    /* disks.path */
	char device[32];        /* disks.device */
	char initial[65];
	char final[65];         /* "" when NULL in the recording */
	struct overlay *ov;
};

struct replay {
	const struct replay_opts *o;
	FILE *out, *err;
	struct board board;
	bool have_board;
	struct board_config cfg;
	struct replay_disk disks[BOARD_MAX_DISKS];
	struct overlay *ovs[BOARD_MAX_DISKS];
	struct logread log;
	int nrows, row_err;          /* setup's row callbacks */
	struct hostreplay hr;
	struct host host;
	struct dispatch disp;        /* the recorder's dispatch (devices/dispatch.h) */
	int64_t info_code;           /* exit_info.code of the exit being fed, 0: none */
	char info_detail[160];       /* its detail */
	struct store *st;            /* -o */
	char end_reason[64];
	int64_t exit_count;          /* meta.exit_count, -1 when absent */
	bool blk_async;              /* meta.blk_async: completions are events */
	uint64_t events;             /* events delivered */
	bool incomplete;             /* its recorder never closed it (killed) */
	uint64_t prefix;             /* then: the exits it holds, 1..prefix */
	const char *reason_names[64];/* exit_reasons, owned */
	/* the exit being fed, for reports */
	uint64_t seq;
	uint32_t vcpu;
	uint64_t fed, walked, last_seq;
	uint32_t last_reason;
	bool stopped;                /* first divergence without --keep-going */
	uint8_t *buf;                /* IN/OUT scratch */
	size_t bufcap;
};

/* Print "exitlog: ..." on the error stream. */
void replay_error(struct replay *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Open the recording, read meta and exit_reasons, build and check the
 * board, hash and open the disks.  0, or -errno after one error line; 1
 * (after the incomplete warning, nothing else set up) for a recording
 * killed before its first exit was logged: there is nothing to replay. */
int replay_setup_open(struct replay *r);
void replay_setup_close(struct replay *r);
/* Name of an exit reason ("IO", "HLT", ...); "reason N" in a static buffer
 * for unknown ones. */
const char *replay_reason_name(struct replay *r, uint32_t reason);

/* hostreplay_diverge_fn: print one divergence with the exits before it. */
void replay_report_diverge(void *arg, uint64_t seq, const char *device,
			   const char *msg);
/* A divergence in what the walk itself compares (IN bytes, claiming device). */
void replay_report_access(struct replay *r, uint64_t seq, const char *device,
			  const char *msg);
/* --verbose: one line for the exit being fed. */
void replay_report_exit(struct replay *r, uint64_t seq, uint32_t vcpu,
			uint32_t reason, int space, uint64_t addr, uint32_t size,
			uint32_t count, bool is_write, const uint8_t *data,
			size_t len, const char *device);
/* Hex of up to `max` bytes of p into out (space separated). */
void replay_hex(char *out, size_t outlen, const uint8_t *p, size_t n, size_t max);

/*
 * Deliver every event of the log with seq < `below` (LOG_SEQ_END: all that
 * are left) to its device at its seq, each one the seq after *prev (the
 * exits and events together are gapless; *prev advances).  Returns 0, or
 * -errno after an error line (a damaged recording, -o refused a row).
 */
int replay_events(struct replay *r, uint64_t below, uint64_t *prev);

/* -o: create the output recording and copy the board and meta rows;
 * finish it (final hashes) and close. */
int replay_output_open(struct replay *r);
int replay_output_close(struct replay *r);

#endif
