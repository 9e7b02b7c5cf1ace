/*
 * ktrace.c - live capture of kernel-handled exits (see ktrace.h): a private
 * tracefs instance, a reader thread on the per-CPU raw buffers feeding the
 * event log of ktrace/ (decoding and writing live there, shared with
 * `exitlog import`).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <kbuffer.h>
#include <trace-seq.h>
#include <tracefs.h>

#include "recorder/ktrace.h"
#include "store/store.h"

#define KTRACE_TRACEFS_MAGIC 0x74726163u    /* "trac", linux/magic.h */
#define KTRACE_BUFFER_KB     16384u         /* per CPU, first try */
#define KTRACE_POLL_NS       10000000L      /* reader idle sleep: 10 ms */

/* The events enabled; kvm_exit is required, the others are taken if present. */
static const char *const kt_events[] = {
	"kvm_exit", "kvm_entry", "kvm_pio", "kvm_mmio", "kvm_msr", "kvm_cpuid",
	"kvm_userspace_exit", "kvm_hypercall", "kvm_inj_virq",
};

struct ktrace {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	struct ktrace_log *log;
	struct kbuffer *kbuf;
	void *page;
	size_t psize;
	int *fds;
	int ncpu;
	pthread_t thr;
	bool thr_started;
	atomic_int stop;
	int rerr;               /* reader: first error (-errno), 0 */
	uint64_t t0;
	pid_t tid;
	uint64_t buffer_kb;
	uint64_t lost;          /* stats: overrun + dropped + unread */
};

int ktrace_probe(char *err, size_t errlen)
{
	struct statfs sfs;

	if (statfs(KTRACE_TRACEFS, &sfs) || (uint32_t)sfs.f_type != KTRACE_TRACEFS_MAGIC) {
		store_seterr(err, errlen, "--ktrace: tracefs not available at " KTRACE_TRACEFS
			     " (mount -t tracefs nodev " KTRACE_TRACEFS ")");
		return -ENOENT;
	}
	if (access(KTRACE_TRACEFS "/instances", W_OK)) {
		if (errno == ENOENT) {
			store_seterr(err, errlen, "--ktrace: the tracefs at " KTRACE_TRACEFS
				     " has no instances directory (kernel too old)");
			return -ENOENT;
		}
		store_seterr(err, errlen, "--ktrace: tracefs at " KTRACE_TRACEFS
			     " is not writable (needs root)");
		return -EACCES;
	}
	if (access(KTRACE_TRACEFS "/events/kvm/kvm_exit/format", R_OK)) {
		store_seterr(err, errlen, "--ktrace: no kvm tracepoints in " KTRACE_TRACEFS
			     "/events/kvm (is the kvm module loaded?)");
		return -ENODEV;
	}
	/* kvm_pvm (a paravirtual KVM without vmx/svm) has the kvm tracepoints
	 * but never fires kvm:kvm_exit: the recording would have no kernel
	 * exits at all */
	if (access("/sys/module/kvm_pvm", F_OK) == 0 && access("/sys/module/kvm_intel", F_OK) &&
	    access("/sys/module/kvm_amd", F_OK)) {
		store_seterr(err, errlen, "--ktrace: this KVM is kvm_pvm, which fires no kvm:kvm_exit "
			     "tracepoint (use a hardware KVM: kvm_intel/kvm_amd, or scripts/with-kvm)");
		return -ENODEV;
	}
	return 0;
}

/* Remove exitlog-<pid> instances whose process is gone (a killed recorder). */
static void kt_reap_stale(void)
{
	char **list = tracefs_instances("^exitlog-[0-9]+$");

	if (!list)
		return;
	for (char **p = list; *p; p++) {
		long pid = strtol(*p + strlen("exitlog-"), NULL, 10);
		struct tracefs_instance *in;

		if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		in = tracefs_instance_alloc(NULL, *p);
		if (in) {
			tracefs_instance_destroy(in);
			tracefs_instance_free(in);
		}
	}
	tracefs_list_free(list);
}

/* Read one CPU's raw buffer until it is empty; returns records read or -errno. */
static long kt_drain_cpu(struct ktrace *kt, int cpu)
{
	long total = 0;

	for (;;) {
		ssize_t n = read(kt->fds[cpu], kt->page, kt->psize);
		unsigned long long ts;
		void *data;
		int missed;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		if (kbuffer_load_subbuffer(kt->kbuf, kt->page) < 0)
			return -EINVAL;
		missed = kbuffer_missed_events(kt->kbuf);
		if (missed)
			ktrace_log_missed(kt->log, missed);
		for (data = kbuffer_read_event(kt->kbuf, &ts); data;
		     data = kbuffer_next_event(kt->kbuf, &ts)) {
			struct tep_record rec;
			int rc;

			memset(&rec, 0, sizeof(rec));
			rec.ts = ts;
			rec.cpu = cpu;
			rec.data = data;
			rec.size = kbuffer_event_size(kt->kbuf);
			rec.record_size = kbuffer_curr_size(kt->kbuf);
			rec.ref_count = 1;
			rc = ktrace_log_add(kt->log, &rec);
			if (rc)
				return rc;
			total++;
		}
	}
	return total;
}

static long kt_drain(struct ktrace *kt)
{
	long total = 0;

	for (int cpu = 0; cpu < kt->ncpu; cpu++) {
		long n;

		if (kt->fds[cpu] < 0)
			continue;
		n = kt_drain_cpu(kt, cpu);
		if (n < 0) {
			if (!kt->rerr)
				kt->rerr = (int)n;
			continue;
		}
		total += n;
	}
	return total;
}

static void *kt_reader(void *arg)
{
	struct ktrace *kt = arg;
	struct timespec idle = { 0, KTRACE_POLL_NS };

	for (;;) {
		int stopping = atomic_load(&kt->stop);
		long n = kt_drain(kt);

		if (stopping || kt->rerr)
			break;
		if (n == 0)
			nanosleep(&idle, NULL);
	}
	return NULL;
}

static int kt_write_file(struct ktrace *kt, const char *file, const char *val)
{
	return tracefs_instance_file_write(kt->inst, file, val) < 0 ? -EIO : 0;
}

/* Sum "overrun:", "dropped events:" and "entries:" (unread) over all CPUs. */
static uint64_t kt_lost(struct ktrace *kt)
{
	uint64_t lost = 0;

	for (int cpu = 0; cpu < kt->ncpu; cpu++) {
		char path[64], *text, *line, *save = NULL;

		snprintf(path, sizeof(path), "per_cpu/cpu%d/stats", cpu);
		text = tracefs_instance_file_read(kt->inst, path, NULL);
		if (!text)
			continue;
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned long long v;
			if (sscanf(line, "overrun: %llu", &v) == 1 ||
			    sscanf(line, "dropped events: %llu", &v) == 1 ||
			    sscanf(line, "entries: %llu", &v) == 1)
				lost += v;
		}
		free(text);
	}
	return lost;
}

/* Tracing off, reader joined (after its last drain), files closed, instance
 * removed.  Safe on a partly set-up kt, and idempotent (ktrace_halt() and
 * then ktrace_stop()). */
static void kt_teardown(struct ktrace *kt)
{
	if (kt->inst)
		tracefs_trace_off(kt->inst);
	if (kt->thr_started) {
		atomic_store(&kt->stop, 1);
		pthread_join(kt->thr, NULL);
		kt->thr_started = false;
	}
	if (kt->inst)
		kt->lost = kt_lost(kt);
	for (int cpu = 0; kt->fds && cpu < kt->ncpu; cpu++)
		if (kt->fds[cpu] >= 0)
			close(kt->fds[cpu]);
	free(kt->fds);
	kt->fds = NULL;
	if (kt->inst) {
		tracefs_instance_destroy(kt->inst);
		tracefs_instance_free(kt->inst);
		kt->inst = NULL;
	}
}

static void kt_free(struct ktrace *kt)
{
	ktrace_log_free(kt->log);
	if (kt->kbuf)
		kbuffer_free(kt->kbuf);
	if (kt->tep)
		tep_free(kt->tep);
	free(kt->page);
	free(kt);
}

void ktrace_halt(struct ktrace *kt)
{
	if (kt)
		kt_teardown(kt);
}

void ktrace_abort(struct ktrace *kt)
{
	if (!kt)
		return;
	kt_teardown(kt);
	kt_free(kt);
}

static int kt_setup(struct ktrace *kt, char *err, size_t errlen)
{
	static const char *const systems[] = { "kvm", NULL };
	char name[64], val[32], *clock;
	sigset_t all, old;
	int rc;

	snprintf(name, sizeof(name), "exitlog-%d", (int)getpid());
	kt->inst = tracefs_instance_create(name);
	if (!kt->inst) {
		store_seterr(err, errlen, "--ktrace: cannot create the tracefs instance %s: %s",
			     name, strerror(errno));
		return -EIO;
	}
	if (!tracefs_instance_is_new(kt->inst)) {
		tracefs_instance_free(kt->inst);   /* someone else's: leave it */
		kt->inst = NULL;
		store_seterr(err, errlen, "--ktrace: tracefs instance %s already exists", name);
		return -EEXIST;
	}
	tracefs_trace_off(kt->inst);
	clock = kt_write_file(kt, "trace_clock", "mono") ? NULL : tracefs_get_clock(kt->inst);
	rc = clock && !strcmp(clock, "mono");
	free(clock);
	if (!rc) {
		store_seterr(err, errlen, "--ktrace: the kernel has no \"mono\" trace clock");
		return -ENOTSUP;
	}
	snprintf(val, sizeof(val), "%d", (int)kt->tid);
	if (kt_write_file(kt, "set_event_pid", val)) {
		store_seterr(err, errlen, "--ktrace: cannot set the pid filter (set_event_pid)");
		return -EIO;
	}
	/* threads the traced one starts later (the vCPU threads of run_loop)
	 * join the filter: every vCPU is followed */
	if (tracefs_option_enable(kt->inst, TRACEFS_OPTION_EVENT_FORK)) {
		store_seterr(err, errlen, "--ktrace: cannot follow new threads (options/event-fork)");
		return -EIO;
	}
	/*
	 * Events first: the first enable anywhere makes the kernel allocate the
	 * top-level buffer at its default size (its lazy "expanded" state, as any
	 * tracing use does).  Resizing our instance before that would mark the
	 * buffers expanded and leave the top-level one at its boot-time minimum.
	 */
	for (size_t i = 0; i < sizeof(kt_events) / sizeof(kt_events[0]); i++) {
		if (tracefs_event_file_write(kt->inst, "kvm", kt_events[i], "enable", "1") < 0 && i == 0) {
			store_seterr(err, errlen, "--ktrace: cannot enable kvm:kvm_exit (is kvm loaded?)");
			return -ENODEV;
		}
	}
	for (uint64_t kb = KTRACE_BUFFER_KB; kb >= 1024; kb /= 4)
		if (tracefs_instance_set_buffer_size(kt->inst, kb, -1) == 0)
			break;
	kt->buffer_kb = (uint64_t)tracefs_instance_get_buffer_size(kt->inst, 0);
	tracefs_option_disable(kt->inst, TRACEFS_OPTION_OVERWRITE);

	kt->tep = tracefs_local_events_system(NULL, systems);
	if (!kt->tep) {
		store_seterr(err, errlen, "--ktrace: cannot parse the kvm event formats in " KTRACE_TRACEFS);
		return -EIO;
	}
	if (!tep_get_long_size(kt->tep))
		tep_set_long_size(kt->tep, (int)sizeof(long));
	if (!tep_get_page_size(kt->tep))
		tep_set_page_size(kt->tep, getpagesize());
	kt->kbuf = tep_kbuffer(kt->tep);
	kt->psize = (size_t)getpagesize();
	kt->page = malloc(kt->psize);
	rc = ktrace_log_new(&kt->log, kt->tep);
	if (!kt->kbuf || !kt->page || rc) {
		store_seterr(err, errlen, "--ktrace: out of memory");
		return -ENOMEM;
	}
	if (!ktrace_log_can_decode(kt->log)) {
		store_seterr(err, errlen, "--ktrace: kvm:kvm_exit has no exit_reason field");
		return -ENODEV;
	}

	kt->ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (kt->ncpu < 1)
		kt->ncpu = 1;
	kt->fds = malloc((size_t)kt->ncpu * sizeof(*kt->fds));
	if (!kt->fds) {
		store_seterr(err, errlen, "--ktrace: out of memory");
		return -ENOMEM;
	}
	for (int cpu = 0; cpu < kt->ncpu; cpu++) {
		char file[64], *path;

		snprintf(file, sizeof(file), "per_cpu/cpu%d/trace_pipe_raw", cpu);
		path = tracefs_instance_get_file(kt->inst, file);
		kt->fds[cpu] = path ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
		if (kt->fds[cpu] < 0 && errno != ENOENT) {
			store_seterr(err, errlen, "--ktrace: %s: %s", path ? path : file, strerror(errno));
			tracefs_put_tracing_file(path);
			return -EIO;
		}
		tracefs_put_tracing_file(path);
	}

	/* The reader must never take the recorder's SIGINT/SIGTERM. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&kt->thr, NULL, kt_reader, kt);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		store_seterr(err, errlen, "--ktrace: cannot start the reader thread: %s", strerror(rc));
		return -rc;
	}
	kt->thr_started = true;
	if (tracefs_trace_on(kt->inst) < 0) {
		store_seterr(err, errlen, "--ktrace: cannot turn tracing on");
		return -EIO;
	}
	return 0;
}

int ktrace_start(struct ktrace **out, pid_t tid, uint64_t t0_mono_ns,
		 char *err, size_t errlen)
{
	struct ktrace *kt;
	int rc;

	rc = ktrace_probe(err, errlen);
	if (rc)
		return rc;
	kt = calloc(1, sizeof(*kt));
	if (!kt) {
		store_seterr(err, errlen, "--ktrace: out of memory");
		return -ENOMEM;
	}
	kt->tid = tid > 0 ? tid : gettid();
	kt->t0 = t0_mono_ns;
	kt_reap_stale();
	rc = kt_setup(kt, err, errlen);
	if (rc) {
		ktrace_abort(kt);
		return rc;
	}
	*out = kt;
	return 0;
}

int ktrace_stop(struct ktrace *kt, struct store *st, char *err, size_t errlen)
{
	struct ktrace_log_stats ls;
	uint64_t lost;
	int rc = 0;

	kt_teardown(kt);
	ktrace_log_stats(kt->log, &ls);
	lost = kt->lost > ls.missed ? kt->lost : ls.missed;
	if (kt->rerr) {
		store_seterr(err, errlen, "--ktrace: reading the trace buffers: %s", strerror(-kt->rerr));
		rc = kt->rerr;
	}
	if (lost)
		fprintf(stderr, "exitlog: --ktrace: the kernel lost %" PRIu64
			" kvm events (ring buffer full; recorded in meta.ktrace.lost_events)\n", lost);
	if (st && !rc) {
		int mrc;

		rc = ktrace_log_write(kt->log, st, kt->t0, err, errlen);
		mrc = rc ? 0 : ktrace_log_meta(st, &ls, lost);
		if (!mrc)
			mrc = store_meta_set(st, "ktrace.clock", "mono");
		if (!mrc)
			mrc = store_meta_setf(st, "ktrace.buffer_kb", "%" PRIu64, kt->buffer_kb);
		if (!mrc)
			mrc = store_meta_setf(st, "ktrace.tid", "%" PRIu64, (uint64_t)kt->tid);
		if (!rc && mrc) {
			store_seterr(err, errlen, "--ktrace: cannot write meta");
			rc = -EIO;
		}
	}
	kt_free(kt);
	return rc;
}
