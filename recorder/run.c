/*
 * run.c - the vCPU run loop (see run.h).
 *
 * Per exit: KVM_RUN returns -> stamp (seq, t_ns, guest_ns) -> dispatch on
 * the bus (IO, MMIO) or decide the end of the session -> log the access row
 * and the exit row (handle_ns covers dispatch and logging of the access).
 * `rep ins/outs`: the port stays fixed and the data pointer advances by the
 * access size for each of the `count` repetitions.  Unclaimed accesses are
 * logged with device NULL.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "recorder/run.h"

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

static void run_info(struct store *st, uint64_t seq, int64_t code, const char *detail)
{
	struct rec_info r = { .seq = seq, .code = code, .detail = detail };

	if (st)
		store_put_info(st, &r);
}

/*
 * A device handler refused an access (-errno): count it and log it in
 * exit_info as "<device>.<register> <IN|OUT>: <error>" (first error per exit).
 */
static void run_dev_error(struct hostlive *hl, struct store *st, uint64_t seq,
			  const struct bus_region *r, uint64_t addr, bool is_write, int err)
{
	char detail[160];

	hl->dev_errors++;
	snprintf(detail, sizeof(detail), "%s.%s %s 0x%llx: %s", r ? r->name : "?",
		 r ? bus_regname(r, addr, is_write) : "", is_write ? "write" : "read",
		 (unsigned long long)addr, strerror(-err));
	run_info(st, seq, err, detail);
}

static void run_io(struct board *board, struct hostlive *hl, const struct host *h,
		   struct kvm_run *run, struct store *st, uint64_t seq)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	const struct bus_region *r = NULL;
	struct rec_pio p;
	int err, first = 0;

	for (uint32_t i = 0; i < run->io.count; i++) {
		r = bus_access(&board->bus, BUS_PIO, h, run->io.port,
			       data + (size_t)i * run->io.size, run->io.size,
			       is_write, &err);
		if (err && !first)
			first = err;
	}
	if (first)
		run_dev_error(hl, st, seq, r, run->io.port, is_write, first);
	if (!st)
		return;
	p.seq = seq;
	p.port = run->io.port;
	p.size = run->io.size;
	p.is_write = is_write;
	p.count = run->io.count;
	p.data = data;
	p.device = r ? r->name : NULL;
	store_put_pio(st, &p);
}

static void run_mmio(struct board *board, struct hostlive *hl, const struct host *h,
		     struct kvm_run *run, struct store *st, uint64_t seq)
{
	const struct bus_region *r;
	struct rec_mmio m;
	int err;

	r = bus_access(&board->bus, BUS_MMIO, h, run->mmio.phys_addr,
		       run->mmio.data, run->mmio.len, run->mmio.is_write, &err);
	if (err)
		run_dev_error(hl, st, seq, r, run->mmio.phys_addr, run->mmio.is_write, err);
	if (!st)
		return;
	m.seq = seq;
	m.gpa = run->mmio.phys_addr;
	m.len = run->mmio.len;
	m.is_write = run->mmio.is_write;
	m.data = run->mmio.data;
	m.device = r ? r->name : NULL;
	store_put_mmio(st, &m);
}

/* Handle one exit; returns 1 when the session ends (res filled), else 0. */
static int run_exit(struct vm *vm, struct board *board, struct hostlive *hl,
		    struct store *st, uint64_t seq, volatile sig_atomic_t *stop,
		    struct run_result *res)
{
	struct kvm_run *run = vm->run;
	struct host h = hostlive_host(hl);
	char detail[200];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		run_io(board, hl, &h, run, st, seq);
		break;
	case KVM_EXIT_MMIO:
		run_mmio(board, hl, &h, run, st, seq);
		break;
	case KVM_EXIT_HLT:
		res->end = RUN_END_HLT;
		snprintf(res->msg, sizeof(res->msg), "guest halted (hlt with no interrupt source)");
		return 1;
	case KVM_EXIT_INTR:
		if (*stop) {
			res->end = RUN_END_SIGNAL;
			snprintf(res->msg, sizeof(res->msg), "stopped by a signal");
			return 1;
		}
		break;
	case KVM_EXIT_SHUTDOWN:
		run_info(st, seq, 0, "triple fault");
		res->end = RUN_END_SHUTDOWN;
		snprintf(res->msg, sizeof(res->msg), "guest triple-faulted (KVM_EXIT_SHUTDOWN)");
		return 1;
	case KVM_EXIT_SYSTEM_EVENT:
		snprintf(detail, sizeof(detail), "system event type %u", run->system_event.type);
		run_info(st, seq, run->system_event.type, detail);
		res->end = run->system_event.type == KVM_SYSTEM_EVENT_RESET ? RUN_END_RESET
									  : RUN_END_POWEROFF;
		snprintf(res->msg, sizeof(res->msg), "guest %s", detail);
		return 1;
	case KVM_EXIT_UNKNOWN:
		snprintf(detail, sizeof(detail), "hardware exit reason 0x%llx",
			 (unsigned long long)run->hw.hardware_exit_reason);
		run_info(st, seq, (int64_t)run->hw.hardware_exit_reason, detail);
		res->end = RUN_END_UNKNOWN;
		snprintf(res->msg, sizeof(res->msg), "KVM_EXIT_UNKNOWN: %s", detail);
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(detail, sizeof(detail), "hardware entry failure reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		run_info(st, seq, (int64_t)run->fail_entry.hardware_entry_failure_reason, detail);
		res->end = RUN_END_FAIL_ENTRY;
		snprintf(res->msg, sizeof(res->msg), "KVM_EXIT_FAIL_ENTRY: %s", detail);
		return 1;
	case KVM_EXIT_INTERNAL_ERROR: {
		int n = snprintf(detail, sizeof(detail), "suberror %u",
				 run->internal.suberror);
		for (uint32_t i = 0; i < run->internal.ndata && i < 4 && n < (int)sizeof(detail); i++)
			n += snprintf(detail + n, sizeof(detail) - (size_t)n, " 0x%llx",
				      (unsigned long long)run->internal.data[i]);
		run_info(st, seq, run->internal.suberror, detail);
		res->end = RUN_END_INTERNAL_ERROR;
		snprintf(res->msg, sizeof(res->msg), "KVM_EXIT_INTERNAL_ERROR: %s", detail);
		return 1;
	}
	default:
		snprintf(detail, sizeof(detail), "unhandled exit reason %u", run->exit_reason);
		run_info(st, seq, run->exit_reason, detail);
		res->end = RUN_END_UNHANDLED;
		snprintf(res->msg, sizeof(res->msg), "%s", detail);
		return 1;
	}
	if (hl->event) {
		res->end = hl->event == HOST_EV_RESET ? RUN_END_RESET : RUN_END_POWEROFF;
		snprintf(res->msg, sizeof(res->msg), "guest asked for %s",
			 hl->event == HOST_EV_RESET ? "a reset" : "power-off");
		return 1;
	}
	return 0;
}

int run_loop(struct vm *vm, struct board *board, struct hostlive *hl,
	     struct store *st, uint64_t t0, volatile sig_atomic_t *stop,
	     struct run_result *res)
{
	uint64_t seq = 0;
	int done = 0;

	memset(res, 0, sizeof(*res));
	while (!done) {
		uint64_t t_in = hostlive_clock(), t_out, t_end;
		int rc = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		int err = errno;

		t_out = hostlive_clock();
		if (rc < 0 && err != EINTR && err != EAGAIN) {
			res->end = RUN_END_ERROR;
			snprintf(res->msg, sizeof(res->msg), "KVM_RUN: %s", strerror(err));
			break;
		}
		if (rc < 0)
			vm->run->exit_reason = KVM_EXIT_INTR;
		vm->run->immediate_exit = 0;
		seq++;
		hl->seq = seq;
		hl->t_ns = t_out - t0;
		done = run_exit(vm, board, hl, st, seq, stop, res);
		if (!done && *stop) {
			res->end = RUN_END_SIGNAL;
			snprintf(res->msg, sizeof(res->msg), "stopped by a signal");
			done = 1;
		}
		t_end = hostlive_clock();
		if (st) {
			struct rec_exit e = {
				.seq = seq, .vcpu = 0, .reason = vm->run->exit_reason,
				.t_ns = t_out - t0, .guest_ns = t_out - t_in,
				.handle_ns = t_end - t_out,
			};
			store_put_exit(st, &e);
		}
	}
	res->exits = seq;
	hostlive_console_flush(hl);
	return 0;
}
