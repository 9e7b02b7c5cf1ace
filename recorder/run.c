/*
 * run.c - the vCPU run loop (see run.h).
 *
 * Per exit: KVM_RUN returns (run_loop) -> run_step: take the seq, stamp
 * (t_ns, guest_ns), dispatch IO/MMIO to the devices (devices/dispatch.c:
 * the rep rule, the first-error rule) or decide the end of the session ->
 * log the access row and the exit row (handle_ns covers dispatch and
 * logging of the access).  Unclaimed accesses are logged with device NULL.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "recorder/run.h"

uint64_t run_hist_low(unsigned b)
{
	unsigned e = b / 4u + 1u;

	if (b < 4)
		return b;
	return (uint64_t)(4u + b % 4u) << (e - 2u);
}

uint64_t run_hist_quantile(const uint64_t *hist, double q)
{
	uint64_t total = 0, seen = 0;

	for (unsigned b = 0; b < RUN_HIST_BUCKETS; b++)
		total += hist[b];
	if (!total)
		return 0;
	for (unsigned b = 0; b < RUN_HIST_BUCKETS; b++) {
		seen += hist[b];
		if ((double)seen >= q * (double)total) {
			uint64_t lo = run_hist_low(b);
			uint64_t hi = b + 1 < RUN_HIST_BUCKETS ? run_hist_low(b + 1) : lo;

			return lo + (hi - lo) / 2;
		}
	}
	return run_hist_low(RUN_HIST_BUCKETS - 1);
}

uint64_t run_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	return hostlive_clock();
#endif
}

static const char *const end_names[] = {
	[RUN_END_HLT] = "hlt",
	[RUN_END_RESET] = "reset",
	[RUN_END_POWEROFF] = "poweroff",
	[RUN_END_SHUTDOWN] = "shutdown",
	[RUN_END_INTERNAL_ERROR] = "internal_error",
	[RUN_END_FAIL_ENTRY] = "fail_entry",
	[RUN_END_UNKNOWN] = "unknown",
	[RUN_END_UNHANDLED] = "unhandled",
	[RUN_END_SIGNAL] = "signal",
	[RUN_END_ERROR] = "error",
};

const char *run_end_name(enum run_end e)
{
	return end_names[e];
}

int run_end_clean(enum run_end e)
{
	return e == RUN_END_HLT || e == RUN_END_RESET || e == RUN_END_POWEROFF;
}

/* Keep the first logging error with its context; later ones are dropped. */
static int run_keep(struct run_vcpu *c, int rc, uint64_t seq, const char *what)
{
	if (rc && !c->err) {
		c->err = rc;
		snprintf(c->errmsg, sizeof(c->errmsg), "logging seq %llu: %s: %s",
			 (unsigned long long)seq, what, strerror(-rc));
	}
	return rc;
}

static void run_info(struct run_vcpu *c, uint64_t seq, int64_t code, const char *detail)
{
	struct rec_info r = { .seq = seq, .code = code, .detail = detail };

	if (c->prod)
		run_keep(c, store_prod_put_info(c->prod, &r), seq, "exit_info row");
}

/*
 * One IO or MMIO exit through the dispatch.  A refused access (-errno) is
 * counted and logged in exit_info as "<device>.<register> <read|write>
 * 0x<addr>: <error>" (the first error of the exit); then the access row.
 */
static void run_access(struct run_vcpu *c, uint64_t seq, const struct host *h)
{
	struct kvm_run *run = c->run;
	struct dispatch_access a;
	struct dispatch_result res;
	char detail[160];
	const char *device;

	if (run->exit_reason == KVM_EXIT_IO)
		a = (struct dispatch_access){
			.space = BUS_PIO, .addr = run->io.port, .size = run->io.size,
			.count = run->io.count, .is_write = run->io.direction == KVM_EXIT_IO_OUT,
			.data = (uint8_t *)run + run->io.data_offset,
		};
	else
		a = (struct dispatch_access){
			.space = BUS_MMIO, .addr = run->mmio.phys_addr, .size = run->mmio.len,
			.count = 1, .is_write = run->mmio.is_write, .data = run->mmio.data,
		};
	dispatch_access(c->dispatch, h, &a, &res);
	if (res.err) {
		c->dev_errors++;
		if (c->hl)
			c->hl->dev_errors++;
		dispatch_describe(&a, res.region, res.err, detail, sizeof(detail));
		run_info(c, seq, res.err, detail);
	}
	if (!c->prod)
		return;
	device = res.region ? res.region->name : NULL;
	if (a.space == BUS_PIO) {
		struct rec_pio p = {
			.seq = seq, .port = (uint16_t)a.addr, .size = (uint8_t)a.size,
			.is_write = a.is_write, .count = a.count, .data = a.data, .device = device,
		};
		run_keep(c, store_prod_put_pio(c->prod, &p), seq, "pio row");
	} else {
		struct rec_mmio m = {
			.seq = seq, .gpa = a.addr, .len = a.size, .is_write = a.is_write,
			.data = a.data, .device = device,
		};
		run_keep(c, store_prod_put_mmio(c->prod, &m), seq, "mmio row");
	}
}

/* Decide the exit; returns 1 when the session ends (res filled), else 0. */
static int run_decide(struct run_vcpu *c, uint64_t seq, struct run_result *res)
{
	struct kvm_run *run = c->run;
	char detail[200];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
	case KVM_EXIT_MMIO:
		run_access(c, seq, &c->host);
		break;
	case KVM_EXIT_HLT:
		res->end = RUN_END_HLT;
		snprintf(res->msg, sizeof(res->msg), "guest halted (hlt with no interrupt source)");
		return 1;
	case KVM_EXIT_INTR:
		break;
	case KVM_EXIT_SHUTDOWN:
		run_info(c, seq, 0, "triple fault");
		res->end = RUN_END_SHUTDOWN;
		snprintf(res->msg, sizeof(res->msg), "guest triple-faulted (KVM_EXIT_SHUTDOWN)");
		return 1;
	case KVM_EXIT_SYSTEM_EVENT:
		snprintf(detail, sizeof(detail), "system event type %u", run->system_event.type);
		run_info(c, seq, run->system_event.type, detail);
		res->end = run->system_event.type == KVM_SYSTEM_EVENT_RESET ? RUN_END_RESET
									  : RUN_END_POWEROFF;
		snprintf(res->msg, sizeof(res->msg), "guest %s", detail);
		return 1;
	case KVM_EXIT_UNKNOWN:
		snprintf(detail, sizeof(detail), "hardware exit reason 0x%llx",
			 (unsigned long long)run->hw.hardware_exit_reason);
		run_info(c, seq, (int64_t)run->hw.hardware_exit_reason, detail);
		res->end = RUN_END_UNKNOWN;
		snprintf(res->msg, sizeof(res->msg), "KVM_EXIT_UNKNOWN: %s", detail);
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(detail, sizeof(detail), "hardware entry failure reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		run_info(c, seq, (int64_t)run->fail_entry.hardware_entry_failure_reason, detail);
		res->end = RUN_END_FAIL_ENTRY;
		snprintf(res->msg, sizeof(res->msg), "KVM_EXIT_FAIL_ENTRY: %s", detail);
		return 1;
	case KVM_EXIT_INTERNAL_ERROR: {
		int n = snprintf(detail, sizeof(detail), "suberror %u",
				 run->internal.suberror);
		for (uint32_t i = 0; i < run->internal.ndata && i < 4 && n < (int)sizeof(detail); i++)
			n += snprintf(detail + n, sizeof(detail) - (size_t)n, " 0x%llx",
				      (unsigned long long)run->internal.data[i]);
		run_info(c, seq, run->internal.suberror, detail);
		res->end = RUN_END_INTERNAL_ERROR;
		snprintf(res->msg, sizeof(res->msg), "KVM_EXIT_INTERNAL_ERROR: %s", detail);
		return 1;
	}
	default:
		snprintf(detail, sizeof(detail), "unhandled exit reason %u", run->exit_reason);
		run_info(c, seq, run->exit_reason, detail);
		res->end = RUN_END_UNHANDLED;
		snprintf(res->msg, sizeof(res->msg), "%s", detail);
		return 1;
	}
	if (c->hl && c->hl->event) {
		res->end = c->hl->event == HOST_EV_RESET ? RUN_END_RESET : RUN_END_POWEROFF;
		snprintf(res->msg, sizeof(res->msg), "guest asked for %s",
			 c->hl->event == HOST_EV_RESET ? "a reset" : "power-off");
		return 1;
	}
	if (c->stop && *c->stop) {
		res->end = RUN_END_SIGNAL;
		snprintf(res->msg, sizeof(res->msg), "stopped by a signal");
		return 1;
	}
	return 0;
}

/* run_step() under the dispatch lock: the seq, the device access and the
 * queued log rows of one exit form one critical section (dispatch.h). */
static int run_step_locked(struct run_vcpu *c, const struct run_stamp *t,
			   struct run_result *res)
{
	uint64_t seq;
	int done;

	/* another vCPU ended the session: this exit is not part of it */
	if (c->ending && atomic_load_explicit(c->ending, memory_order_relaxed))
		return RUN_STEP_GONE;
	seq = dispatch_seq_next(c->dispatch);
	c->last_seq = seq;
	if (c->hl) {
		/* the live host is shared: it logs into this vCPU's ring */
		c->hl->seq = seq;
		c->hl->t_ns = t->t_out - t->t0;
		c->hl->prod = c->prod;
	}
	done = run_decide(c, seq, res);
	if (c->hl && c->hl->log_err)
		run_keep(c, c->hl->log_err, c->hl->log_err_seq, c->hl->log_err_what);
	if (c->prod) {
		struct rec_exit e = {
			.seq = seq, .vcpu = c->id, .reason = c->run->exit_reason,
			.t_ns = t->t_out - t->t0, .guest_ns = t->t_out - t->t_in,
			.handle_ns = hostlive_clock() - t->t_out,
		};
		run_keep(c, store_prod_put_exit(c->prod, &e), seq, "exits row");
	}
	if (c->err) {
		res->end = RUN_END_ERROR;
		snprintf(res->msg, sizeof(res->msg), "%s", c->errmsg);
		done = c->err;
	}
	/* the last seq of the session: no other vCPU takes one after it */
	if (done && c->ending)
		atomic_store_explicit(c->ending, 1, memory_order_relaxed);
	return done;
}

int run_step(struct run_vcpu *c, const struct run_stamp *t, struct run_result *res)
{
	uint64_t asked, taken, released;
	int rc;

	asked = run_ticks();
	dispatch_lock(c->dispatch);
	taken = run_ticks();
	rc = run_step_locked(c, t, res);
	released = run_ticks();
	dispatch_unlock(c->dispatch);
	/* the writer's lag bound, waited for without the lock */
	if (c->prod)
		store_prod_settle(c->prod);
	c->lock_steps++;
	/* a thread moved to a CPU whose TSC is behind: drop that sample */
	if (taken >= asked && released >= taken) {
		c->lock_wait_ticks += taken - asked;
		c->lock_hold_ticks += released - taken;
		c->lock_wait_hist[run_hist_bucket(taken - asked)]++;
		c->lock_hold_hist[run_hist_bucket(released - taken)]++;
	}
	return rc;
}
