/*
 * heartbeat.c - the recorder's pulse on stderr for the SIGKILL tests
 * (heartbeat.h): a thread that reads the store's count of records put and
 * the monotonic clock every EXITLOG_HEARTBEAT_MS milliseconds.  It never
 * touches the vCPU thread or the database: two atomic loads and a write(2)
 * per line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "recorder/heartbeat.h"
#include "store/store.h"

static uint64_t hb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One line in one write(2): a SIGKILL never leaves half a line. */
static void hb_line(struct heartbeat *hb)
{
	uint64_t recs = store_records(hb->st);
	uint64_t t = hb_now(); /* after the count: those records exist by t */
	char buf[96];
	int n;

	n = snprintf(buf, sizeof(buf), "exitlog: heartbeat mono_ns=%llu records=%llu\n",
		     (unsigned long long)t, (unsigned long long)recs);
	if (n > 0 && write(STDERR_FILENO, buf, (size_t)n) < 0)
		return; /* nowhere to report it */
}

static void *hb_main(void *arg)
{
	struct heartbeat *hb = arg;
	struct timespec d = {
		.tv_sec = hb->ms / 1000, .tv_nsec = (long)(hb->ms % 1000) * 1000000L,
	};

	while (!atomic_load(&hb->stop)) {
		hb_line(hb);
		nanosleep(&d, NULL);
	}
	return NULL;
}

int heartbeat_start(struct heartbeat *hb, struct store *st)
{
	const char *v = getenv("EXITLOG_HEARTBEAT_MS");
	sigset_t all, old;
	char *end;
	long ms;
	int rc;

	memset(hb, 0, sizeof(*hb));
	if (!v || !st)
		return 0;
	errno = 0;
	ms = strtol(v, &end, 10);
	if (errno || end == v || *end || ms < 1 || ms > 10000) {
		fprintf(stderr, "exitlog: EXITLOG_HEARTBEAT_MS='%s': want 1..10000 (ms)\n", v);
		return -EINVAL;
	}
	hb->st = st;
	hb->ms = (unsigned)ms;
	atomic_store(&hb->stop, false);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&hb->thread, NULL, hb_main, hb);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		fprintf(stderr, "exitlog: cannot start the heartbeat thread: %s\n", strerror(rc));
		return -rc;
	}
	pthread_setname_np(hb->thread, "exitlog-heartbt");
	hb->started = true;
	return 0;
}

void heartbeat_stop(struct heartbeat *hb)
{
	if (!hb->started)
		return;
	atomic_store(&hb->stop, true);
	pthread_join(hb->thread, NULL);
	hb->started = false;
	hb_line(hb);
}
