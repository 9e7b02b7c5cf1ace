/*
 * iothread.h - the recorder's IO threads: asynchronous block requests
 * (host_blk_submit from virtio-blk) run on a small pool of pthreads doing
 * pread/pwrite/fdatasync on the disk images, while the vCPU goes back to
 * the guest.  Each completion is an event in the global order: the worker
 * takes the dispatch lock, takes the next seq, stamps the live host with
 * it, logs the request's blk_requests row (seq = the issuing exit,
 * done_seq = the event), calls the device's completion (its DMA and IRQ
 * rows carry the event's seq; KVM_IRQ_LINE works from any thread), logs
 * the events row, and lets go.
 *
 * Why a thread pool and not io_uring: the backends are plain pread/pwrite
 * on a file (blkraw), the queue depth a guest reaches with 1 vCPU is small
 * (tens), and a pool needs no new dependency nor a kernel io_uring (often
 * disabled in sandboxes); QEMU's own default (aio=threads) is the same.
 *
 * Ordering: requests start in submission order; a flush is a barrier (it
 * starts when every request submitted before it has finished, and nothing
 * submitted after it starts before it has finished), so a flush covers
 * every write the guest had issued before it.  Other requests run
 * concurrently and complete in any order; the log fixes that order.
 */
#ifndef EXITLOG_IOTHREAD_H
#define EXITLOG_IOTHREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/board.h"
#include "devices/hostif.h"

struct hostlive;
struct iothread;

#define IOTHREAD_WORKERS 4

/*
 * Start `nworkers` workers (1..16) completing requests for the devices of
 * `board` through the live host `hl` (its disks, store and dispatch).
 * With nworkers 0 nothing runs by itself: iothread_run_one() completes
 * queued requests in the caller's thread (tests choose the order).
 * Returns 0 and *out, or -errno.
 */
int iothread_create(struct iothread **out, struct hostlive *hl, struct board *board,
		    int nworkers);
/*
 * Queue request *r (buf, tag: see host_ops.blk_submit) issued by exit
 * `seq`.  Called by the live host under the dispatch lock; never blocks on
 * IO.  0 or -ENOMEM.
 */
int iothread_submit(struct iothread *io, const struct blk_req *r, void *buf,
		    uint64_t tag, uint64_t seq);
/* nworkers 0: carry out and deliver the queued request number `i` (0: the
 * oldest) now.  -ENOENT when there are not that many. */
int iothread_run_one(struct iothread *io, unsigned i);
/* Requests submitted and not yet delivered. */
unsigned iothread_pending(struct iothread *io);
/* Most requests ever in flight at once. */
unsigned iothread_max_inflight(struct iothread *io);
/*
 * Wait until every request submitted so far has been carried out and its
 * completion delivered (the end of a run: writes reach the image, and the
 * log has their events).  Call without the dispatch lock.
 */
void iothread_drain(struct iothread *io);
/*
 * The overlap half of the start rule (exported for its unit test): true
 * when a and b touch a common sector of one disk and one of them writes
 * it.  A request that conflicts with a running one does not start until
 * that one is delivered, so the backend sees them in the order of their
 * completion events, which is the order replay carries them out in.
 * Flushes are not judged here (a flush is a barrier of its own).
 */
bool iothread_conflict(const struct blk_req *a, const struct blk_req *b);
/* Drain, stop the workers and free.  NULL is a no-op. */
void iothread_destroy(struct iothread *io);

#endif
