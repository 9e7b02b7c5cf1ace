/*
 * ktrace.h - the exits KVM handles in the kernel, from the kvm tracepoints:
 * what the live capture (`exitlog record --ktrace`, recorder/ktrace.c) and
 * `exitlog import trace.dat` share -- decoding kvm records with
 * libtraceevent from the kernel's own format files (format.c), the
 * in-memory event log (events.c) and writing it into a recording through
 * the store (kwrite.c).
 *
 * Every function returns 0 or -errno; errors come with one line in err.
 */
#ifndef EXITLOG_KTRACE_KTRACE_H
#define EXITLOG_KTRACE_KTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Whether the log's tep has kvm:kvm_exit with an exit_reason field (the
 * one event a capture cannot do without). */
bool ktrace_log_can_decode(const struct ktrace_log *log);

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
	uint64_t vcpus;         /* distinct kernel_exits.vcpu; set by ktrace_log_write() */
};
void ktrace_log_stats(const struct ktrace_log *log, struct ktrace_log_stats *st);

/*
 * Write the log into the recording `st` (flushed: its exits rows are in)
 * through the store's kernel-table API (store/kernel.h): executes the embedded schema/ktrace.sql (which
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
int ktrace_log_write(struct ktrace_log *log, struct store *st, uint64_t t0,
		     char *err, size_t errlen);

/*
 * The meta keys the live capture and import share: ktrace.events,
 * ktrace.exits, ktrace.entries (from ls) and ktrace.lost_events (`lost`).
 * 0 or -EIO.
 */
int ktrace_log_meta(struct store *st, const struct ktrace_log_stats *ls, uint64_t lost);

#endif
