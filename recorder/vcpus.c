/*
 * vcpus.c - run_loop(): one thread per vCPU around run_step() (run.h).
 *
 * Each thread owns a vCPU fd, its run page, a run_vcpu and a log ring of
 * its own (store_prod_open); they share the dispatch (seq + devices under
 * one lock), the live host and `ending`.  The step that ends the session
 * sets `ending` under the dispatch lock, so it holds the last seq; the
 * other threads, kicked out of KVM_RUN, see it and stop without taking a
 * seq.  Kicking is immediate_exit on every run page (seen at the next
 * KVM_RUN entry) plus RUN_KICK_SIGNAL to each thread (a thread inside
 * KVM_RUN returns -EINTR).  The main thread waits for the threads and
 * kicks again every KICK_MS while any is left (a thread that was between
 * the check and the ioctl when kicked, or a SIGINT that reached the main
 * thread), then joins them all: no thread outlives run_loop().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "recorder/console.h"
#include "recorder/iothread.h"
#include "recorder/run.h"

#define KICK_MS 50

struct vcpu_thread {
	struct vcpus *all;
	struct run_vcpu c;
	int fd;
	pthread_t tid;
	bool started, finished;
	int done;                  /* run_step()'s last answer */
	struct run_result res;
};

struct vcpus {
	struct vm *vm;
	struct dispatch d;
	_Atomic int ending;
	pthread_mutex_t mu;
	pthread_cond_t cv;         /* a thread finished */
	int running;
	uint64_t t0;
	struct vcpu_thread th[VM_MAX_VCPUS];
};

static void on_kick(int sig)
{
	(void)sig; /* only to make KVM_RUN return -EINTR */
}

void run_kick_all(struct vm *vm)
{
	for (int i = 0; i < vm->nvcpus; i++)
		if (vm->runs[i])
			__atomic_store_n(&vm->runs[i]->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

/* immediate_exit everywhere, then a signal to each thread still running. */
static void vcpus_kick(struct vcpus *all)
{
	atomic_thread_fence(memory_order_seq_cst);
	run_kick_all(all->vm);
	for (int i = 0; i < all->vm->nvcpus; i++)
		if (all->th[i].started && !__atomic_load_n(&all->th[i].finished, __ATOMIC_ACQUIRE))
			pthread_kill(all->th[i].tid, RUN_KICK_SIGNAL);
}

/* KVM_RUN itself failed: end the session with it unless already ended. */
static int vcpu_run_failed(struct vcpu_thread *t, int err)
{
	int done = RUN_STEP_GONE;

	dispatch_lock(&t->all->d);
	if (!atomic_load(&t->all->ending)) {
		atomic_store(&t->all->ending, 1);
		t->res.end = RUN_END_ERROR;
		snprintf(t->res.msg, sizeof(t->res.msg), "vCPU %u: KVM_RUN: %s", t->c.id,
			 strerror(err));
		done = 1;
	}
	dispatch_unlock(&t->all->d);
	return done;
}

static void *vcpu_main(void *arg)
{
	struct vcpu_thread *t = arg;
	struct vcpus *all = t->all;
	struct kvm_run *run = t->c.run;
	int done = 0;

	while (!done) {
		struct run_stamp st = { .t0 = all->t0 };
		int rc, err;

		/* paired with vcpus_kick(): either we see `ending` here, or
		 * its immediate_exit comes after our clearing of it */
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load(&all->ending)) {
			done = RUN_STEP_GONE;
			break;
		}
		st.t_in = hostlive_clock();
		rc = ioctl(t->fd, KVM_RUN, 0);
		err = errno;
		st.t_out = hostlive_clock();
		if (rc < 0 && err != EINTR && err != EAGAIN) {
			done = vcpu_run_failed(t, err);
			break;
		}
		if (rc < 0)
			run->exit_reason = KVM_EXIT_INTR;
		__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELAXED);
		done = run_step(&t->c, &st, &t->res);
	}
	t->done = done;
	if (done != RUN_STEP_GONE)
		vcpus_kick(all);  /* this thread ended the session */
	pthread_mutex_lock(&all->mu);
	__atomic_store_n(&t->finished, true, __ATOMIC_RELEASE);
	all->running--;
	pthread_cond_signal(&all->cv);
	pthread_mutex_unlock(&all->mu);
	return NULL;
}

/* Wait for every thread, kicking the stragglers; then join them. */
static void vcpus_wait(struct vcpus *all, volatile sig_atomic_t *stop)
{
	struct timespec ts;

	pthread_mutex_lock(&all->mu);
	while (all->running > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += KICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&all->cv, &all->mu, &ts);
		if (all->running > 0 && (atomic_load(&all->ending) || (stop && *stop))) {
			pthread_mutex_unlock(&all->mu);
			vcpus_kick(all);
			pthread_mutex_lock(&all->mu);
		}
	}
	pthread_mutex_unlock(&all->mu);
	for (int i = 0; i < all->vm->nvcpus; i++)
		if (all->th[i].started)
			pthread_join(all->th[i].tid, NULL);
}

/* Each vCPU's dispatch-lock figures in ns: ticks scaled by the ratio of
 * CLOCK_MONOTONIC to run_ticks() over the whole session. */
static void vcpus_lockstat(struct vcpus *all, uint64_t ticks, uint64_t ns,
			   struct run_result *res)
{
	double ns_per_tick = ticks ? (double)ns / (double)ticks : 0;

	res->nvcpus = all->vm->nvcpus;
	for (int i = 0; i < all->vm->nvcpus; i++) {
		const struct run_vcpu *c = &all->th[i].c;

		res->lock[i] = (struct run_lockstat){
			.steps = c->lock_steps,
			.wait_ns = (uint64_t)((double)c->lock_wait_ticks * ns_per_tick),
			.hold_ns = (uint64_t)((double)c->lock_hold_ticks * ns_per_tick),
			.wait_p50_ns = (uint64_t)((double)run_hist_quantile(c->lock_wait_hist, 0.5) * ns_per_tick),
			.wait_p99_ns = (uint64_t)((double)run_hist_quantile(c->lock_wait_hist, 0.99) * ns_per_tick),
			.hold_p50_ns = (uint64_t)((double)run_hist_quantile(c->lock_hold_hist, 0.5) * ns_per_tick),
			.hold_p99_ns = (uint64_t)((double)run_hist_quantile(c->lock_hold_hist, 0.99) * ns_per_tick),
		};
	}
}

/* The session's result: the thread whose step ended it. */
static int vcpus_result(struct vcpus *all, struct run_result *res)
{
	int rc = 0;

	for (int i = 0; i < all->vm->nvcpus; i++) {
		struct vcpu_thread *t = &all->th[i];

		if (!t->started || t->done == RUN_STEP_GONE || t->done == 0)
			continue;
		*res = t->res;
		rc = t->done < 0 ? t->done : 0;
		break;
	}
	return rc;
}

int run_loop(struct vm *vm, struct board *board, struct hostlive *hl,
	     struct store *st, uint64_t t0, volatile sig_atomic_t *stop,
	     struct run_result *res)
{
	static struct vcpus all; /* one session per process */
	struct sigaction sa, old_sa;
	uint64_t tick0, mono0;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	memset(&all, 0, sizeof(all));
	all.vm = vm;
	all.t0 = t0;
	pthread_mutex_init(&all.mu, NULL);
	pthread_cond_init(&all.cv, NULL);
	dispatch_init(&all.d, &board->bus);
	/* events (IO completions, console input) take their seqs from the same
	 * dispatch, and log into a ring of their own */
	hl->dispatch = &all.d;
	hl->t0 = t0;
	hl->ev_prod = NULL;
	if (st && (hl->io || hl->console)) {
		rc = store_prod_open(st, "events", &hl->ev_prod);
		if (rc)
			snprintf(res->msg, sizeof(res->msg), "log ring of events: %s", strerror(-rc));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;     /* no SA_RESTART: KVM_RUN returns -EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(RUN_KICK_SIGNAL, &sa, &old_sa);
	tick0 = run_ticks();
	mono0 = hostlive_clock();

	for (int i = 0; i < vm->nvcpus && !rc; i++) {
		struct vcpu_thread *t = &all.th[i];
		struct store_prod *prod = NULL;
		char name[16];

		snprintf(name, sizeof(name), "vcpu%d", i);
		if (st)
			rc = store_prod_open(st, name, &prod);
		if (rc) {
			snprintf(res->msg, sizeof(res->msg), "log ring of %s: %s", name, strerror(-rc));
			break;
		}
		t->all = &all;
		t->fd = vm->vcpu_fds[i];
		t->c = (struct run_vcpu){
			.run = vm->runs[i], .id = (uint32_t)i, .dispatch = &all.d,
			.host = hostlive_host(hl), .hl = hl, .prod = prod, .stop = stop,
			.ending = &all.ending,
		};
	}
	pthread_mutex_lock(&all.mu);
	for (int i = 0; i < vm->nvcpus && !rc; i++) {
		struct vcpu_thread *t = &all.th[i];
		char name[16];

		rc = -pthread_create(&t->tid, NULL, vcpu_main, t);
		if (rc) {
			snprintf(res->msg, sizeof(res->msg), "starting vCPU %d: %s", i, strerror(-rc));
			break;
		}
		t->started = true;
		all.running++;
		snprintf(name, sizeof(name), "exitlog-vcpu%u", (unsigned char)i); /* 15 chars at most */
		pthread_setname_np(t->tid, name);
	}
	pthread_mutex_unlock(&all.mu);
	if (!rc && console_go(hl->console))
		fprintf(stderr, "exitlog: warning: no console input (cannot start its thread)\n");
	if (rc) {
		/* end what started, as a failed run */
		dispatch_lock(&all.d);
		atomic_store(&all.ending, 1);
		dispatch_unlock(&all.d);
	}
	vcpus_wait(&all, stop);
	console_halt(hl->console);
	/* requests in flight finish and are delivered as events after the last
	 * exit: their writes reach the image and the log has them */
	iothread_drain(hl->io);
	if (rc)
		res->end = RUN_END_ERROR;
	else
		rc = vcpus_result(&all, res);
	vcpus_lockstat(&all, run_ticks() - tick0, hostlive_clock() - mono0, res);
	if (rc >= 0 && hl->log_err) {
		rc = hl->log_err;
		res->end = RUN_END_ERROR;
		snprintf(res->msg, sizeof(res->msg), "logging seq %llu: %s: %s",
			 (unsigned long long)hl->log_err_seq, hl->log_err_what,
			 strerror(-hl->log_err));
	}
	/* every seq handed out is an exit or an event */
	res->exits = all.d.seq - hl->events;
	hl->dispatch = NULL;
	sigaction(RUN_KICK_SIGNAL, &old_sa, NULL);
	dispatch_destroy(&all.d);
	pthread_cond_destroy(&all.cv);
	pthread_mutex_destroy(&all.mu);
	hostlive_console_flush(hl);
	return rc < 0 && res->end == RUN_END_ERROR ? rc : 0;
}
