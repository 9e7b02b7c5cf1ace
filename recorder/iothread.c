/*
 * iothread.c - the recorder's IO threads (see iothread.h): a FIFO of
 * submitted block requests, a few workers that carry them out on the
 * images, and the delivery of each completion as an event under the
 * dispatch lock.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "recorder/hostlive.h"
#include "recorder/iothread.h"
#include "util/sha256.h"

struct io_req {
	struct io_req *next;
	struct io_req *rnext;  /* in io->run: started, not yet delivered */
	struct blk_req r;
	void *buf;
	uint64_t tag;
	uint64_t seq;          /* the exit that issued it */
};

struct iothread {
	struct hostlive *hl;
	struct board *board;
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* queue changed, a request finished, stop */
	struct io_req *head, **tail; /* not started, in submission order */
	struct io_req *run;      /* started, not yet delivered */
	unsigned running;        /* how many */
	bool flush_running;
	unsigned inflight, max_inflight; /* submitted, not delivered */
	bool stop;
	int nworkers;
	pthread_t workers[16];
};

static void *iothread_main(void *arg);

int iothread_create(struct iothread **out, struct hostlive *hl, struct board *board,
		    int nworkers)
{
	struct iothread *io = calloc(1, sizeof(*io));
	sigset_t all, old;
	int rc = 0;

	if (!io)
		return -ENOMEM;
	if (nworkers < 0 || nworkers > 16)
		nworkers = IOTHREAD_WORKERS;
	io->hl = hl;
	io->board = board;
	io->tail = &io->head;
	pthread_mutex_init(&io->mu, NULL);
	pthread_cond_init(&io->cv, NULL);
	*out = io;
	/* signals stay with the vCPU thread (SIGINT must interrupt KVM_RUN) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < nworkers; i++) {
		rc = pthread_create(&io->workers[i], NULL, iothread_main, io);
		if (rc)
			break;
		io->nworkers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		iothread_destroy(io);
		*out = NULL;
		return -rc;
	}
	return 0;
}

int iothread_submit(struct iothread *io, const struct blk_req *r, void *buf,
		    uint64_t tag, uint64_t seq)
{
	struct io_req *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->r = *r;
	q->buf = buf;
	q->tag = tag;
	q->seq = seq;
	pthread_mutex_lock(&io->mu);
	*io->tail = q;
	io->tail = &q->next;
	if (++io->inflight > io->max_inflight)
		io->max_inflight = io->inflight;
	pthread_cond_broadcast(&io->cv);
	pthread_mutex_unlock(&io->mu);
	return 0;
}

bool iothread_conflict(const struct blk_req *a, const struct blk_req *b)
{
	if (a->disk != b->disk || (a->op != BLK_OP_WRITE && b->op != BLK_OP_WRITE))
		return false;
	if (!a->nsectors || !b->nsectors)
		return false;
	/* without a + n, which a hostile sector near 2^64 would wrap */
	if (a->sector <= b->sector)
		return b->sector - a->sector < a->nsectors;
	return a->sector - b->sector < b->nsectors;
}

/*
 * The queue head may start now; under mu.  A flush is a barrier.  And a
 * request that conflicts with one still running (overlapping sectors, one
 * of them a write) waits until that one is delivered: then the order in
 * which the backend saw them is the order of their completion events, the
 * order the replayer carries them out in (a read racing a write to the
 * same sectors would otherwise return what the live timing gave, and the
 * replay could not reproduce it).
 */
static bool io_can_start(const struct iothread *io)
{
	if (!io->head || io->flush_running)
		return false;
	if (io->head->r.op == BLK_OP_FLUSH)
		return io->running == 0;
	for (const struct io_req *q = io->run; q; q = q->rnext)
		if (iothread_conflict(&io->head->r, &q->r))
			return false;
	return true;
}

/* Take request i off the queue (under mu). */
static struct io_req *io_take(struct iothread *io, unsigned i)
{
	struct io_req **p = &io->head, *q;

	while (*p && i--)
		p = &(*p)->next;
	q = *p;
	if (!q)
		return NULL;
	*p = q->next;
	if (io->tail == &q->next)
		io->tail = p;
	io->running++;
	q->rnext = io->run;
	io->run = q;
	if (q->r.op == BLK_OP_FLUSH)
		io->flush_running = true;
	return q;
}

/* The backend call, outside every lock. */
static int io_do(struct iothread *io, const struct io_req *q)
{
	struct hostlive *hl = io->hl;
	struct blkraw *d;

	if (q->r.disk < 0 || q->r.disk >= hl->ndisks)
		return -ENODEV;
	d = &hl->disks[q->r.disk];
	switch (q->r.op) {
	case BLK_OP_READ:
		return blkraw_read(d, q->r.sector, q->r.nsectors, q->buf);
	case BLK_OP_WRITE:
		return blkraw_write(d, q->r.sector, q->r.nsectors, q->buf);
	default:
		return blkraw_flush(d);
	}
}

/* The completion as an event: seq, rows, the device's completion. */
static void io_deliver(struct iothread *io, struct io_req *q, int status,
		       uint64_t latency)
{
	struct hostlive *hl = io->hl;
	struct host h = hostlive_host(hl);
	struct rec_blk b = {
		.device = q->r.device, .disk = q->r.disk, .op = q->r.op,
		.sector = q->r.sector, .nsectors = q->r.nsectors, .status = status,
		.latency_ns = latency, .seq = q->seq,
	};
	struct rec_event e = {
		.kind = STORE_EV_BLK_DONE, .device = q->r.device, .tag = q->tag,
		.status = status,
	};
	int rc;

	if (status == 0 && q->buf && q->r.nsectors && hl->ev_prod) {
		sha256(q->buf, (size_t)q->r.nsectors * SECTOR_SIZE, b.hash);
		b.has_hash = true;
	}
	dispatch_lock(hl->dispatch);
	if (status)
		hl->dev_errors++;
	e.seq = b.done_seq = hostlive_event_begin(hl);
	e.t_ns = hl->t_ns;
	hostlive_put_blk(hl, &b);
	rc = board_blk_complete(io->board, &h, q->r.device, q->tag, status);
	if (rc && rc != -EIO)
		hl->dev_errors++;
	hostlive_put_event(hl, &e);
	dispatch_unlock(hl->dispatch);
}

/* Carry out q and deliver it; then let the queue move (mu not held). */
static void io_finish(struct iothread *io, struct io_req *q)
{
	uint64_t t0 = hostlive_clock();
	int status = io_do(io, q);

	io_deliver(io, q, status, hostlive_clock() - t0);
	pthread_mutex_lock(&io->mu);
	for (struct io_req **p = &io->run; *p; p = &(*p)->rnext)
		if (*p == q) {
			*p = q->rnext;
			break;
		}
	io->running--;
	io->inflight--;
	if (q->r.op == BLK_OP_FLUSH)
		io->flush_running = false;
	pthread_cond_broadcast(&io->cv);
	pthread_mutex_unlock(&io->mu);
	free(q);
}

static void *iothread_main(void *arg)
{
	struct iothread *io = arg;

	pthread_mutex_lock(&io->mu);
	for (;;) {
		struct io_req *q;

		while (!io->stop && !io_can_start(io))
			pthread_cond_wait(&io->cv, &io->mu);
		if (io->stop && !io->head)
			break;
		if (!io_can_start(io)) {
			pthread_cond_wait(&io->cv, &io->mu);
			continue;
		}
		q = io_take(io, 0);
		pthread_mutex_unlock(&io->mu);
		io_finish(io, q);
		pthread_mutex_lock(&io->mu);
	}
	pthread_mutex_unlock(&io->mu);
	return NULL;
}

int iothread_run_one(struct iothread *io, unsigned i)
{
	struct io_req *q;

	pthread_mutex_lock(&io->mu);
	q = io_take(io, i);
	pthread_mutex_unlock(&io->mu);
	if (!q)
		return -ENOENT;
	io_finish(io, q);
	return 0;
}

unsigned iothread_pending(struct iothread *io)
{
	unsigned n;

	pthread_mutex_lock(&io->mu);
	n = io->inflight;
	pthread_mutex_unlock(&io->mu);
	return n;
}

unsigned iothread_max_inflight(struct iothread *io)
{
	unsigned n;

	pthread_mutex_lock(&io->mu);
	n = io->max_inflight;
	pthread_mutex_unlock(&io->mu);
	return n;
}

void iothread_drain(struct iothread *io)
{
	if (!io)
		return;
	if (!io->nworkers) {
		while (iothread_run_one(io, 0) == 0)
			;
		return;
	}
	pthread_mutex_lock(&io->mu);
	while (io->inflight)
		pthread_cond_wait(&io->cv, &io->mu);
	pthread_mutex_unlock(&io->mu);
}

void iothread_destroy(struct iothread *io)
{
	if (!io)
		return;
	iothread_drain(io);
	pthread_mutex_lock(&io->mu);
	io->stop = true;
	pthread_cond_broadcast(&io->cv);
	pthread_mutex_unlock(&io->mu);
	for (int i = 0; i < io->nworkers; i++)
		pthread_join(io->workers[i], NULL);
	pthread_cond_destroy(&io->cv);
	pthread_mutex_destroy(&io->mu);
	free(io);
}
