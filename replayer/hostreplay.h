/*
 * hostreplay.h - the replayer's implementation of the host interface
 * (devices/hostif.h): every call a device model makes is answered from the
 * log rows of the exit being replayed, and compared with them.
 *
 *   now_ns          exits.t_ns of the current exit
 *   blk_read/write  the next blk_requests row of this seq must match
 *   /flush          (device, op, sector, nsectors); data is read from / written
 *                   to the disk's copy-on-write overlay and its sha256 compared
 *                   with data_hash; the logged status is returned (a logged
 *                   failure is replayed as the same failure, the overlay
 *                   untouched)
 *   dma_read        the next dma row must match (device, gpa, len, read); its
 *                   logged bytes are served (there is no guest memory in a
 *                   replay); a logged -EFAULT is replayed
 *   dma_write       compared with the next dma row (device, gpa, len, bytes)
 *   irq_set         compared with the next irqs row (line, level)
 *   console_out     discarded, or written to `console` when set, a line at a
 *                   time, as "console: LINE"
 *   blk_submit      (recordings with meta.blk_async) nothing at submission:
 *                   the request waits for its blk_done event, where it is
 *                   carried out and compared like blk_read/write/flush
 *   console_in      nothing (console input arrives as console_in events)
 *   system_event    remembered (event, seq) for the end-of-log check
 *
 * Mismatches are reported through the `diverge` callback with a one-line
 * description; logged rows of the exit that the model did not reproduce are
 * reported by hostreplay_end().  With `out` set, every call is also logged
 * into that store as the model made it (replay -o).
 */
#ifndef EXITLOG_HOSTREPLAY_H
#define EXITLOG_HOSTREPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/board.h"
#include "devices/hostif.h"
#include "backends/overlay.h"
#include "store/logread.h"
#include "store/store.h"

/* seq: the exit; device: the device concerned or NULL; msg: one line. */
typedef void (*hostreplay_diverge_fn)(void *arg, uint64_t seq,
				      const char *device, const char *msg);

#define HOSTREPLAY_MAX_IRQ 64

/* An asynchronous block request waiting for its blk_done event. */
struct hr_pending {
	struct hr_pending *next;
	struct blk_req r;
	void *buf;          /* the device's buffer */
	uint64_t tag;
	uint64_t seq;       /* the exit that issued it */
};

struct hostreplay {
	struct log_cur *blk, *irq, *dma;   /* borrowed, primed cursors */
	struct overlay **disks;               /* by board disk index */
	int ndisks;
	struct store *out;                    /* replay -o, or NULL */
	FILE *console;                        /* console bytes, or NULL */
	const char *irq_dev[HOSTREPLAY_MAX_IRQ]; /* line -> device name */
	hostreplay_diverge_fn diverge;
	void *diverge_arg;
	uint64_t seq, t_ns;                   /* exit or event being replayed */
	bool async;                           /* meta.blk_async: offer blk_submit */
	struct hr_pending *pending;           /* submitted, not completed */
	int event;                            /* HOST_EV_* asked for, 0 if none */
	uint64_t event_seq;
	uint64_t nblk, nirq, ndma;            /* host calls answered */
	uint64_t ndiv;                        /* divergences reported */
	int fatal;                            /* -EIO: a cursor failed */
	int out_err;                          /* first row the -o store refused */
	size_t ncon;
	char con[256];                        /* console bytes not yet written */
};

/*
 * Set up `hr` (caller-owned) over the primed cursors blk/irq/dma (see
 * replay_log_prime), the board (for IRQ line -> device names) and the
 * overlays.  Every pointer is borrowed.
 */
void hostreplay_init(struct hostreplay *hr, struct logread *log,
		     const struct board *b, struct overlay **disks, int ndisks,
		     hostreplay_diverge_fn diverge, void *arg);

/* The struct host that device models get. */
struct host hostreplay_host(struct hostreplay *hr);

/*
 * Start replaying exit `seq` at `t_ns`.  Rows logged for earlier seqs that
 * were never consumed are reported as not reproduced.
 */
void hostreplay_begin(struct hostreplay *hr, uint64_t seq, uint64_t t_ns);
/* After exit `seq` was fed: its remaining rows are divergences. */
void hostreplay_end(struct hostreplay *hr);
/* Exit `seq` is not fed (--device): drop its rows without a report. */
void hostreplay_skip(struct hostreplay *hr, uint64_t seq);
/* End of the log: every row left is a divergence.  */
void hostreplay_rest(struct hostreplay *hr);

/*
 * A blk_done event (hr stamped with its seq by hostreplay_begin): carry out
 * the pending request (device, tag) like a synchronous one -- matched with
 * the blk_requests row completed at this seq, data from/to the overlay,
 * hash compared -- and return its status (the logged one), for the
 * device's completion.  -ENOENT (reported) when no such request waits.
 */
int hostreplay_blk_done(struct hostreplay *hr, const char *device, uint64_t tag);
/* Forget the requests still waiting (end of the replay). */
void hostreplay_free_pending(struct hostreplay *hr);

/* Write pending console bytes (a last line without its newline). */
void hostreplay_console_flush(struct hostreplay *hr);

/* "read" / "write" / "flush". */
const char *hostreplay_op_name(int op);

#endif
