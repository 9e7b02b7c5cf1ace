/*
 * smpstorm.c - the guest side of the SMP storm benchmark (bench/smpstorm.sh,
 * issue 12): one thread per CPU, each pinned to its CPU, each writing a byte
 * to its own unclaimed port (0x510 + cpu) as fast as KVM lets it, for a
 * fixed time.  Every `outb` is one exit to the VMM's userspace, so the
 * figure is the VMM's aggregate exit rate with N vCPUs exiting at once.
 *
 * Usage: smpstorm SECONDS [THREADS]     (THREADS: default the online CPUs)
 * Prints one line
 *   smpstorm: threads=N seconds=S outs=TOTAL ns=ELAPSED rate=OUTS_PER_S per=n0,n1,...
 * (ELAPSED from the common start to the last thread's end, CLOCK_MONOTONIC:
 * kvm-clock in a KVM guest, so host time; per=: each thread's outs) or
 *   smpstorm: FAIL <reason>
 * and exits 0 / 1.  Built static by samples/linux/build-storm-guest.sh.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <time.h>
#include <unistd.h>

#define MAXT 8
#define PORT0 0x510
#define CHECK_EVERY 64   /* outs between two looks at the clock */

struct worker {
	pthread_t tid;
	int cpu;
	uint64_t outs;
	uint64_t end_ns;
	const char *err;
};

static struct worker w[MAXT];
static pthread_barrier_t start;
static uint64_t deadline_ns;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *storm(void *arg)
{
	struct worker *me = arg;
	unsigned short port = (unsigned short)(PORT0 + me->cpu);
	cpu_set_t set;
	uint64_t n = 0, t;

	CPU_ZERO(&set);
	CPU_SET(me->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		me->err = "sched_setaffinity";
	else if (ioperm(port, 1, 1))
		me->err = "ioperm";
	pthread_barrier_wait(&start);
	if (me->err)
		return NULL;
	do {
		for (int i = 0; i < CHECK_EVERY; i++)
			outb((unsigned char)i, port);
		n += CHECK_EVERY;
		t = now_ns();
	} while (t < deadline_ns);
	me->outs = n;
	me->end_ns = t;
	return NULL;
}

int main(int argc, char **argv)
{
	int secs, nt;
	uint64_t t0, last = 0, total = 0;
	char per[MAXT * 24] = "";

	if (argc < 2 || (secs = atoi(argv[1])) <= 0) {
		printf("smpstorm: FAIL usage: smpstorm SECONDS [THREADS]\n");
		return 1;
	}
	nt = argc > 2 ? atoi(argv[2]) : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (nt < 1 || nt > MAXT) {
		printf("smpstorm: FAIL threads=%d (1..%d)\n", nt, MAXT);
		return 1;
	}
	pthread_barrier_init(&start, NULL, (unsigned)nt + 1);
	for (int i = 0; i < nt; i++) {
		w[i].cpu = i;
		if (pthread_create(&w[i].tid, NULL, storm, &w[i])) {
			printf("smpstorm: FAIL pthread_create\n");
			return 1;
		}
	}
	/* the deadline is set before anyone is released */
	t0 = now_ns();
	deadline_ns = t0 + (uint64_t)secs * 1000000000ull;
	pthread_barrier_wait(&start);
	for (int i = 0; i < nt; i++) {
		size_t len = strlen(per);

		pthread_join(w[i].tid, NULL);
		if (w[i].err) {
			printf("smpstorm: FAIL cpu %d: %s\n", i, w[i].err);
			return 1;
		}
		total += w[i].outs;
		if (w[i].end_ns > last)
			last = w[i].end_ns;
		snprintf(per + len, sizeof(per) - len, "%s%llu", i ? "," : "",
			 (unsigned long long)w[i].outs);
	}
	printf("smpstorm: threads=%d seconds=%d outs=%llu ns=%llu rate=%.0f per=%s\n", nt, secs,
	       (unsigned long long)total, (unsigned long long)(last - t0),
	       (double)total * 1e9 / (double)(last - t0), per);
	return 0;
}
