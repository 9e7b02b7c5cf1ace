/*
 * hostlive.h - the recorder's implementation of the host interface: real
 * clock, pread/pwrite on the disk images, guest RAM for DMA, KVM_IRQ_LINE,
 * stdout for the console -- and a log row for every call (blk_requests,
 * dma, irqs) stamped with the seq of the exit being handled.
 */
#ifndef EXITLOG_HOSTLIVE_H
#define EXITLOG_HOSTLIVE_H

#include <stdint.h>
#include <time.h>

#include "backends/blkraw.h"
#include "devices/board.h"
#include "devices/dispatch.h"
#include "devices/hostif.h"
#include "recorder/vm.h"
#include "store/store.h"

struct iothread;
struct console;

struct hostlive {
	struct store_prod *prod;    /* where host-call rows go: the ring of the
				     * vCPU whose exit is being handled (set by
				     * the run step under the dispatch lock), or
				     * ev_prod during an event; the store's own
				     * at init; NULL: --no-log */
	struct store_prod *ev_prod; /* the ring of the events (IO completions,
				     * console input: hostlive_event_begin),
				     * opened by run_loop; NULL: --no-log */
	struct vm *vm;
	const struct board *board;
	struct blkraw *disks;       /* indexed by board disk index */
	int ndisks;
	uint64_t seq;               /* exit or event being handled (shared by
				     * the vCPU, IO and console threads: every
				     * host call happens inside an exit's step
				     * or an event, under the dispatch lock) */
	uint64_t t_ns;              /* its t_ns */
	uint64_t t0;                /* clock origin of t_ns (hostlive_clock) */
	struct dispatch *dispatch;  /* the global order (set by run_loop) */
	struct iothread *io;        /* asynchronous block IO, or NULL: synchronous */
	struct console *console;    /* stdin to COM1 (console.h), or NULL */
	uint64_t events;            /* events delivered (hostlive_event_begin) */
	int event;                  /* HOST_EV_* the guest asked for, 0 if none */
	int dev_errors;             /* host calls refused (bad DMA, bad range) */
	int log_err;                /* first row the store refused (-errno), 0 */
	uint64_t log_err_seq;       /* its seq */
	const char *log_err_what;   /* its table ("dma row", ...) */
	size_t ncon;
	char con[4096];             /* console bytes not yet written */
};

/* Set up `hl` (caller-owned); all pointers are borrowed. */
void hostlive_init(struct hostlive *hl, struct store *store, struct vm *vm,
		   const struct board *board, struct blkraw *disks, int ndisks);
/* The struct host that device models get. */
struct host hostlive_host(struct hostlive *hl);
/*
 * An asynchronous event starts (the caller holds the dispatch lock): take
 * its seq from the dispatch and stamp the host with it and the time, so
 * the host-call rows the device makes carry the event's seq.  Returns seq.
 */
uint64_t hostlive_event_begin(struct hostlive *hl);
/* Rows of an event (kept like every host-call row: the first refusal ends
 * the run).  No-ops when recording is off. */
void hostlive_put_blk(struct hostlive *hl, const struct rec_blk *b);
void hostlive_put_event(struct hostlive *hl, const struct rec_event *e);

/* Write buffered console bytes to stdout. */
void hostlive_console_flush(struct hostlive *hl);

/* CLOCK_MONOTONIC in ns (vDSO, no syscall). */
static inline uint64_t hostlive_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
