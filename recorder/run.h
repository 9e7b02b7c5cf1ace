/*
 * run.h - the vCPU run loop: one KVM_RUN, one switch on exit_reason (the
 * shape of QEMU's kvm_cpu_exec), every exit stamped and logged.
 *
 * The loop is split in two: run_loop() owns the ioctl and the clock, and
 * run_step() handles one exit that is already in a `struct kvm_run` page,
 * with everything it needs in a per-vCPU `struct run_vcpu`.  run_step() does
 * no syscall of its own (the host interface and the store may), so a unit
 * test drives it with a fake run page (tests/unit/test_run.c).  With
 * several vCPUs, each thread gets its own run_vcpu and shares the
 * `struct dispatch` (the seq and the device access, devices/dispatch.h).
 */
#ifndef EXITLOG_RUN_H
#define EXITLOG_RUN_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "devices/board.h"
#include "devices/dispatch.h"
#include "recorder/hostlive.h"
#include "recorder/vm.h"
#include "store/store.h"

enum run_end {
	RUN_END_HLT,            /* clean: hlt with no interrupt source */
	RUN_END_RESET,          /* clean: the guest reset the board (i8042 0xfe, ...) */
	RUN_END_POWEROFF,       /* clean: KVM_SYSTEM_EVENT_SHUTDOWN or ACPI-ish off */
	RUN_END_SHUTDOWN,       /* triple fault */
	RUN_END_INTERNAL_ERROR,
	RUN_END_FAIL_ENTRY,
	RUN_END_UNKNOWN,        /* KVM_EXIT_UNKNOWN */
	RUN_END_UNHANDLED,      /* an exit reason the VMM does not handle */
	RUN_END_SIGNAL,         /* SIGINT/SIGTERM */
	RUN_END_ERROR,          /* KVM_RUN itself failed, or the log did */
};

/* One vCPU's use of the dispatch lock over a session (run_step()): the
 * time spent waiting to take it and holding it, in ns; sums and, from
 * log-scale histograms (4 buckets per power of two: within ~20 %), the
 * median and the 99th percentile of one step's. */
struct run_lockstat {
	uint64_t steps;         /* run_step() calls that took the lock */
	uint64_t wait_ns;       /* summed: from asking for the lock to holding it */
	uint64_t hold_ns;       /* summed: from taking it to letting it go */
	uint64_t wait_p50_ns, wait_p99_ns;
	uint64_t hold_p50_ns, hold_p99_ns;
};

/* Buckets of a run_ticks() difference: 0-3 exact, then 4 per power of two. */
#define RUN_HIST_BUCKETS 256

/* The bucket of `ticks`, and the smallest tick count of bucket `b`. */
static inline unsigned run_hist_bucket(uint64_t ticks)
{
	unsigned e;

	if (ticks < 4)
		return (unsigned)ticks;
	e = 63u - (unsigned)__builtin_clzll(ticks);   /* >= 2 */
	return 4u * (e - 1u) + (unsigned)((ticks >> (e - 2u)) & 3u);
}

uint64_t run_hist_low(unsigned b);

/* The ticks below which a fraction q of the counted steps fall (the middle
 * of that bucket); 0 when the histogram is empty. */
uint64_t run_hist_quantile(const uint64_t *hist, double q);

struct run_result {
	enum run_end end;
	uint64_t exits;         /* rows in exits, = the last seq */
	char msg[256];          /* one line describing the end */
	int nvcpus;             /* entries of lock[] filled by run_loop() */
	struct run_lockstat lock[VM_MAX_VCPUS];
};

/* Name stored in meta.end_reason ("hlt", "reset", ...). */
const char *run_end_name(enum run_end e);
/* True for the ends that make `exitlog record` exit 0. */
int run_end_clean(enum run_end e);

/* One vCPU's context for run_step(); all pointers are borrowed. */
struct run_vcpu {
	struct kvm_run *run;          /* the vCPU's run page */
	uint32_t id;                  /* exits.vcpu */
	struct dispatch *dispatch;    /* shared: the seq and the devices */
	struct host host;             /* the host interface the devices get */
	struct hostlive *hl;          /* the live host: stamped with each exit's
				       * seq/t_ns, its event ends the run; NULL
				       * when `host` is not a hostlive (tests) */
	struct store_prod *prod;      /* this vCPU's log ring; NULL: no log */
	volatile sig_atomic_t *stop;  /* set by the signal handler (or NULL) */
	_Atomic int *ending;          /* shared: set (under the dispatch lock)
				       * by the step that ends the session;
				       * NULL with one vCPU and no threads */
	uint64_t last_seq;            /* seq of the last exit handled */
	uint64_t dev_errors;          /* accesses the devices refused */
	int err;                      /* first logging error (-errno), 0 */
	char errmsg[128];             /* its context, "seq N: pio row: ..." */
	/* the dispatch lock, summed by run_step() in run_ticks() units (no
	 * syscall: the TSC on x86); run_loop() turns them into ns */
	uint64_t lock_steps;
	uint64_t lock_wait_ticks;
	uint64_t lock_hold_ticks;
	uint64_t lock_wait_hist[RUN_HIST_BUCKETS];
	uint64_t lock_hold_hist[RUN_HIST_BUCKETS];
};

/* The cheap clock of the lock figures: the TSC on x86 (one instruction, no
 * syscall), else hostlive_clock() ns.  Only differences of it mean anything. */
uint64_t run_ticks(void);

/* When KVM_RUN was entered and when it returned (hostlive_clock()), and
 * the clock origin of exits.t_ns. */
struct run_stamp {
	uint64_t t0;
	uint64_t t_in;
	uint64_t t_out;
};

/*
 * Handle the exit KVM_RUN left in c->run: take its seq from the dispatch,
 * dispatch IO/MMIO accesses to the devices (a refusal is counted in
 * c->dev_errors and hl->dev_errors and logged in exit_info), decide whether the session
 * ends, and log the access row and the exit row (handle_ns: from t_out to
 * the end of the step).  Returns 0 to go on, 1 when the session ends (*res
 * filled), or -errno when the log refused a row (c->err/c->errmsg say
 * which; *res is RUN_END_ERROR); both of those set *c->ending, under the
 * lock.  Returns RUN_STEP_GONE, with no seq taken and nothing logged, when
 * *c->ending was already set: another vCPU ended the session, whose last
 * seq stays the ending exit.  Counts its wait for and hold of the dispatch
 * lock in c->lock_* (three run_ticks() per call).
 */
#define RUN_STEP_GONE 2
int run_step(struct run_vcpu *c, const struct run_stamp *t, struct run_result *res);

/*
 * Run every vCPU of `vm` until the guest ends the session: one thread per
 * vCPU (recorder/vcpus.c), each with its own run_vcpu and log ring
 * (store_prod_open(st, "vcpuN"); st NULL: no log), all sharing one
 * dispatch, so one lock orders every exit.  When one vCPU's exit ends the
 * session (halt, reset, power-off, triple fault, error, or a signal), the
 * others are kicked out of KVM_RUN (immediate_exit and RUN_KICK_SIGNAL)
 * and every thread is joined before run_loop() returns.  `t0` is the clock
 * origin of exits.t_ns.  `stop` is set by the signal handler (which calls
 * run_kick_all()).  *res is always filled.  Returns 0 when the
 * session ended (res->end says how; a failed KVM_RUN is RUN_END_ERROR, a
 * recorded end like any other), -errno when the log refused a row: the
 * recording would be incomplete, res->end is RUN_END_ERROR and res->msg
 * says which row.  res->lock[i] holds vCPU i's dispatch-lock figures in ns
 * (ticks scaled by the session's own TSC/CLOCK_MONOTONIC ratio).
 */
int run_loop(struct vm *vm, struct board *board, struct hostlive *hl,
	     struct store *st, uint64_t t0, volatile sig_atomic_t *stop,
	     struct run_result *res);

/* The signal that kicks a vCPU thread out of KVM_RUN (a no-op handler is
 * installed by run_loop()). */
#define RUN_KICK_SIGNAL SIGUSR1

/* Make every vCPU of `vm` leave KVM_RUN soon: immediate_exit on each run
 * page (async-signal-safe: a signal handler may call it). */
void run_kick_all(struct vm *vm);

#endif
