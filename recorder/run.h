/*
 * run.h - the vCPU run loop: one KVM_RUN, one switch on exit_reason (the
 * shape of QEMU's kvm_cpu_exec), every exit stamped and logged.
 */
#ifndef EXITLOG_RUN_H
#define EXITLOG_RUN_H

#include <signal.h>
#include <stdint.h>

#include "devices/board.h"
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

struct run_result {
	enum run_end end;
	uint64_t exits;         /* rows in exits, = the last seq */
	char msg[256];          /* one line describing the end */
};

/* Name stored in meta.end_reason ("hlt", "reset", ...). */
const char *run_end_name(enum run_end e);
/* True for the ends that make `exitlog record` exit 0. */
int run_end_clean(enum run_end e);

/*
 * Run the vCPU until the guest ends the session.  `t0` is the clock origin
 * of exits.t_ns.  `stop` is set by the signal handler (which also sets
 * kvm_run.immediate_exit).  Returns 0 with *res filled (whatever the end),
 * -errno only for a failure of the loop itself.
 */
int run_loop(struct vm *vm, struct board *board, struct hostlive *hl,
	     struct store *st, uint64_t t0, volatile sig_atomic_t *stop,
	     struct run_result *res);

#endif
