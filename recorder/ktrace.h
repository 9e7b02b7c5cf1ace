/*
 * ktrace.h - the exits KVM handles in the kernel, from the kvm tracepoints.
 *
 * Live capture (`exitlog record --ktrace`): ktrace_start() creates a private
 * tracefs instance (the global trace state is never touched), sets its clock
 * to "mono" (CLOCK_MONOTONIC, the clock of exits.t_ns), filters it to the
 * recorder's vCPU thread and enables kvm:kvm_exit, kvm_entry, kvm_pio,
 * kvm_mmio, kvm_msr, kvm_cpuid, kvm_userspace_exit, kvm_hypercall and
 * kvm_inj_virq.  A reader thread drains the per-CPU raw buffers
 * (trace_pipe_raw) continuously and parses every record with libtraceevent
 * from the kernel's own format files -- no hand-written offsets -- into an
 * in-memory log.  It never calls store_put_*() (the store's ring has one
 * producer, the vCPU thread).  ktrace_stop(), after the run and after
 * store_flush(), stops tracing, drains the rest, destroys the instance and
 * writes kernel_exits plus the side tables of schema/ktrace.sql in one
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

#include <sqlite3.h>

struct tep_event;
struct tep_handle;
struct tep_record;
struct store;

#define KTRACE_TRACEFS      "/sys/kernel/tracing"
#define KTRACE_NAME_MAX     48

/* One kvm:kvm_exit record, decoded. */
struct kexit_row {
	uint64_t ts;                        /* record timestamp (trace clock) */
	int pid;                            /* common_pid: the vCPU thread */
	int64_t vcpu;                       /* vcpu_id field; -1 if the kernel has none */
	const char *isa;                    /* "vmx", "svm", or "unknown" (static) */
	uint32_t reason;                    /* the code the kernel's symbol table is
					     * indexed by (VMX: exit_reason & 0xffff) */
	char reason_name[KTRACE_NAME_MAX];  /* the kernel's own name, or "0x<code>" */
	uint64_t rip, info1, info2;
};

/*
 * Decode `rec` if it is a kvm:kvm_exit record of `tep`: fields are read by
 * name through the event's parsed format; reason_name comes from the
 * __print_symbolic() table of the event's print format, taking the branch
 * the format's own conditions choose for this record (e.g. `isa == 1`).
 * Returns 0, -ENOENT when rec is another event, -EINVAL when the format
 * lacks exit_reason.
 */
int ktrace_parse_record(struct tep_handle *tep, struct tep_record *rec,
			struct kexit_row *row);

/*
 * Resolve the symbolic name the print format of the event `ev` gives to the
 * field `field` in the raw record `data`: walks print_fmt.args, evaluating
 * `?:` conditions against the record, to the first __print_symbolic() whose
 * value expression reads `field`; evaluates that expression (so *code is,
 * e.g., exit_reason & 0xffff) and looks it up.  Returns 0 with name filled
 * (the symbol, or "0x<code>" when the table has none), -ENOENT when no
 * symbol table reads the field.
 */
int ktrace_symbol(struct tep_event *ev, const void *data, int size,
		  const char *field, uint64_t *code, char *name, size_t namelen);

/* ------------------------------------------------------------------------ */
/* The in-memory log of parsed kvm events, and writing it to a database.    */

struct ktrace_log;

/*
 * A new, empty log for records of `tep` (borrowed; it must outlive the
 * log).  It keeps every kvm:* event: kvm_exit, kvm_entry, kvm_pio, kvm_mmio,
 * kvm_msr, kvm_cpuid and kvm_userspace_exit decoded, any other as its
 * printed text (for kernel_events); records of other systems are only
 * counted.
 */
int ktrace_log_new(struct ktrace_log **out, struct tep_handle *tep);
void ktrace_log_free(struct ktrace_log *log);

/* Parse and keep one record (not kept: events of other systems, counted).
 * Returns 0 or -ENOMEM. */
int ktrace_log_add(struct ktrace_log *log, struct tep_record *rec);

/* Count events the kernel reported lost (a buffer page's missed-events
 * count; -1: lost, number unknown).  ktrace_log_add() already counts
 * rec->missed_events itself. */
void ktrace_log_missed(struct ktrace_log *log, long long n);

struct ktrace_log_stats {
	uint64_t events;        /* records kept */
	uint64_t exits;         /* kvm_exit records */
	uint64_t entries;       /* kvm_entry records */
	uint64_t skipped;       /* records of other systems, not kept */
	uint64_t missed;        /* lost events the buffer headers reported */
	uint64_t missed_unknown;/* pages that flagged lost events without a count */
	uint64_t first_ts;      /* timestamp of the earliest record kept */
};
void ktrace_log_stats(const struct ktrace_log *log, struct ktrace_log_stats *st);

/*
 * Write the log into `db`: executes the embedded schema/ktrace.sql (which
 * creates the side tables if absent), then in one transaction inserts
 * kernel_exits (t_ns = ts - t0, as a signed difference), kernel_entries,
 * kernel_pio, kernel_mmio, kernel_msr, kernel_cpuid, kernel_userspace and
 * kernel_events, and
 * sets kernel_exits.user_seq: for each exits row, in seq order, the last
 * kvm_exit of the same vCPU with t_ns <= exits.t_ns, unless an earlier exits
 * row already claimed it.  The log is sorted by timestamp first (records of
 * different CPUs arrive per CPU).  Returns 0 or -EIO with err set; on error
 * the transaction is rolled back.
 */
int ktrace_log_write(struct ktrace_log *log, sqlite3 *db, uint64_t t0,
		     char *err, size_t errlen);

/* ------------------------------------------------------------------------ */
/* Live capture.                                                            */

struct ktrace;

/*
 * Check, without changing anything, that live capture can work: tracefs
 * mounted at /sys/kernel/tracing, writable (root), kvm tracepoints present.
 * Call it with the other input checks, before anything is created.
 * Returns 0, or -ENOENT/-EACCES/-ENODEV with one line in err, e.g.
 * "--ktrace: tracefs not available at /sys/kernel/tracing (mount -t tracefs
 * nodev /sys/kernel/tracing)".
 */
int ktrace_probe(char *err, size_t errlen);

/*
 * Start capturing the kvm events of thread `tid` (the vCPU thread; 0 = the
 * calling thread) into a
 * private tracefs instance "exitlog-<pid>", on the "mono" trace clock;
 * `t0_mono_ns` is the CLOCK_MONOTONIC origin of exits.t_ns (the value given
 * to run_loop).  Instances "exitlog-<pid>" left behind by dead processes
 * are removed first.  Starts the reader thread (with every signal blocked,
 * so SIGINT/SIGTERM still reach the vCPU thread).  On failure nothing is
 * left behind.
 */
int ktrace_start(struct ktrace **out, pid_t tid, uint64_t t0_mono_ns,
		 char *err, size_t errlen);

/*
 * Stop: tracing off, drain the buffers to the end, read the lost-event
 * counts (per_cpu/cpuN/stats "overrun:" + "dropped events:"), destroy the
 * instance (all tracefs state as before ktrace_start), then -- with a
 * store, which must be flushed (store_flush) -- write everything through
 * store_db(st) (ktrace_log_write) and the meta keys ktrace.events,
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

/* The same with a plain SQLite connection (tests, tools): db NULL discards. */
int ktrace_stop_db(struct ktrace *kt, sqlite3 *db, char *err, size_t errlen);

/* Error paths: stop tracing, destroy the instance, free kt; writes nothing. */
void ktrace_abort(struct ktrace *kt);

#endif
