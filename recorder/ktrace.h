/*
 * ktrace.h - live capture of the exits KVM handles in the kernel, from the
 * kvm tracepoints (decoding, the event log and its writer: ktrace/ktrace.h).
 *
 * Live capture (`exitlog record --ktrace`): ktrace_start() creates a private
 * tracefs instance (the global trace state is never touched), sets its clock
 * to "mono" (CLOCK_MONOTONIC, the clock of exits.t_ns), filters it to the
 * recorder's threads (the vCPU threads, by event-fork) and enables
 * kvm:kvm_exit, kvm_entry, kvm_pio, kvm_mmio, kvm_msr, kvm_cpuid, kvm_userspace_exit, kvm_hypercall and
 * kvm_inj_virq.  A reader thread drains the per-CPU raw buffers
 * (trace_pipe_raw) continuously and parses every record with libtraceevent
 * from the kernel's own format files -- no hand-written offsets -- into an
 * in-memory log.  It never calls store_put_*() (each of the store's rings
 * has one producer, a vCPU thread).  ktrace_stop(), after the run and after
 * store_flush(), stops tracing, drains the rest, destroys the instance and
 * writes (ktrace_log_write) kernel_exits plus the side tables of schema/ktrace.sql in one
 * transaction, with kernel_exits.user_seq correlated to exits.
 *
 * Import (`exitlog import trace.dat`): the same parser and log, fed with the
 * records of a trace-cmd file (ktrace_log_*()).
 *
 * Every function returns 0 or -errno; errors come with one line in err.
 */
#ifndef EXITLOG_KTRACE_H
#define EXITLOG_KTRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ktrace/ktrace.h"

struct store;

/* ------------------------------------------------------------------------ */
/* Live capture.                                                            */

struct ktrace;

/*
 * Check, without changing anything, that live capture can work: tracefs
 * mounted at /sys/kernel/tracing, writable (root), kvm tracepoints present,
 * and a KVM that fires kvm:kvm_exit (not kvm_pvm).
 * Call it with the other input checks, before anything is created.
 * Returns 0, or -ENOENT/-EACCES/-ENODEV with one line in err, e.g.
 * "--ktrace: tracefs not available at /sys/kernel/tracing (mount -t tracefs
 * nodev /sys/kernel/tracing)".
 */
int ktrace_probe(char *err, size_t errlen);

/*
 * Start capturing the kvm events of thread `tid` (0 = the calling thread)
 * and of every thread it starts afterwards (options/event-fork: the vCPU
 * threads of run_loop(); kernel_exits.vcpu comes from kvm_exit's vcpu_id)
 * into a
 * private tracefs instance "exitlog-<pid>", on the "mono" trace clock;
 * `t0_mono_ns` is the CLOCK_MONOTONIC origin of exits.t_ns (the value given
 * to run_loop).  Instances "exitlog-<pid>" left behind by dead processes
 * are removed first.  Starts the reader thread (with every signal blocked,
 * so SIGINT/SIGTERM reach the recorder's own threads).  On failure nothing is
 * left behind.
 */
int ktrace_start(struct ktrace **out, pid_t tid, uint64_t t0_mono_ns,
		 char *err, size_t errlen);

/*
 * Stop: tracing off, drain the buffers to the end, read the lost-event
 * counts (per_cpu/cpuN/stats "overrun:" + "dropped events:"), destroy the
 * instance (all tracefs state as before ktrace_start), then -- with a
 * store, which must be flushed (store_flush) -- write everything
 * (ktrace_log_write) and the meta keys ktrace.events,
 * ktrace.exits, ktrace.entries, ktrace.lost_events, ktrace.clock,
 * ktrace.buffer_kb.  st NULL (--no-log) just discards the events.  Frees kt
 * in every case.  Returns 0 or -errno (err set).  When events were lost it
 * also prints one warning line on stderr.
 */
int ktrace_stop(struct ktrace *kt, struct store *st, char *err, size_t errlen);

/*
 * Only the tracefs half of ktrace_stop(), at once: tracing off, drain, read
 * the lost counts, destroy the instance; idempotent.  Call it right after
 * the run loop returns, while SIGINT/SIGTERM are still caught, so a second
 * Ctrl-C during the (long) database writing cannot leave the instance
 * behind; ktrace_stop() later writes what was captured.
 */
void ktrace_halt(struct ktrace *kt);

/* Error paths: stop tracing, destroy the instance, free kt; writes nothing. */
void ktrace_abort(struct ktrace *kt);

#endif
