/*
 * dispatch.h - the one device dispatch of record and replay.
 *
 * One exit's device access (a port IO exit with its `rep` count, or one
 * MMIO access) goes to the bus here, and only here: the recorder's run step
 * (recorder/run.c), the replayer's walk (replayer/replay.c) and the
 * synthetic recorder of the tests all call dispatch_access(), so the three
 * cannot drift apart.  The rules it owns:
 *   - `rep ins/outs`: the port stays fixed, the data pointer advances by
 *     `size` for each of the `count` repetitions;
 *   - the first error wins: the first handler refusal (-errno) of the exit
 *     is the exit's error, later ones are dropped;
 *   - an unclaimed access reads all ones and has no error.
 *
 * It is also the single place where an exit or an asynchronous event gets
 * its seq (dispatch_seq_next).  The ordering rule: a thread that touches a
 * device model (a vCPU thread dispatching an exit, an IO thread delivering
 * a completion, the console thread delivering input) holds the dispatch
 * lock (dispatch_lock) from taking its seq until the device has answered
 * and its log rows are queued.  So the order of seqs is exactly the order
 * in which the devices saw accesses and events, and replay needs no
 * threads.  The lock is the one piece of glue here that is not pure: the
 * device models under it stay single-threaded state machines.  The replayer
 * and the unit tests, single-threaded, may skip it.
 */
#ifndef EXITLOG_DISPATCH_H
#define EXITLOG_DISPATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/hostif.h"

/* One exit's access, as KVM reports it (or as the log holds it). */
struct dispatch_access {
	enum bus_space space;
	uint64_t addr;          /* port or gpa */
	uint32_t size;          /* bytes per repetition: 1, 2, 4 (8 for MMIO) */
	uint32_t count;         /* repetitions; 1 for MMIO and plain IN/OUT */
	bool is_write;
	uint8_t *data;          /* size*count bytes: in for writes, out for reads */
};

/* What the devices did with it. */
struct dispatch_result {
	const struct bus_region *region; /* claimed the access; NULL: unclaimed */
	int err;                         /* the first handler error, or 0 */
};

struct dispatch {
	struct bus *bus;
	uint64_t seq;           /* the last seq handed out; 0 before the first */
	pthread_mutex_t lock;   /* the global order (see above) */
};

/* Dispatch to `bus`, seqs starting at 1. */
void dispatch_init(struct dispatch *d, struct bus *bus);
/* Release what dispatch_init() set up (the lock). */
void dispatch_destroy(struct dispatch *d);

/* Take / release the global-order lock.  Not recursive. */
void dispatch_lock(struct dispatch *d);
void dispatch_unlock(struct dispatch *d);

/* The seq of the next exit or event (gapless, from 1).  With more than one
 * thread, call it with the dispatch lock held. */
uint64_t dispatch_seq_next(struct dispatch *d);

/*
 * Feed one exit's access to the devices with host interface `h`.  Fills
 * *res (claiming region, first error).  Never fails itself: a refusal is
 * the device's answer, reported in res->err.
 */
void dispatch_access(struct dispatch *d, const struct host *h,
		     const struct dispatch_access *a, struct dispatch_result *res);

/*
 * The one-line description of a refused access, as logged in
 * exit_info.detail: "<device>.<register> <read|write> 0x<addr>: <error>".
 * `err` is the -errno to describe (res->err, or a recorded code).
 */
void dispatch_describe(const struct dispatch_access *a,
		       const struct bus_region *region, int err,
		       char *buf, size_t len);

#endif
