/*
 * heartbeat.h - the recorder's pulse, for the SIGKILL tests: with
 * EXITLOG_HEARTBEAT_MS=N in the environment, `exitlog record` prints
 *
 *     exitlog: heartbeat mono_ns=T records=R
 *
 * on stderr every N ms while the guest runs (and once more when it stops):
 * by CLOCK_MONOTONIC time T the vCPU side had handed R records (rows of
 * exits, pio, mmio, blk_requests, irqs, dma, exit_info, kernel_exits) to the
 * store.  A database whose recorder was killed at time K must hold at least
 * the R of every line with T <= K - 200 ms (tests/e2e/t_crash.sh).
 */
#ifndef EXITLOG_RECORDER_HEARTBEAT_H
#define EXITLOG_RECORDER_HEARTBEAT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct store;

struct heartbeat {
	pthread_t thread;
	bool started;
	atomic_bool stop;
	struct store *st;
	unsigned ms;
};

/*
 * Start the heartbeat thread when EXITLOG_HEARTBEAT_MS is set (1..10000)
 * and st is not NULL; otherwise do nothing.  The thread blocks every
 * signal (SIGINT/SIGTERM belong to the vCPU loop).  Returns 0, or -errno
 * when the variable is malformed or the thread cannot start (one line on
 * stderr).
 */
int heartbeat_start(struct heartbeat *hb, struct store *st);

/* Print the last line and join the thread; a no-op when not started. */
void heartbeat_stop(struct heartbeat *hb);

#endif
