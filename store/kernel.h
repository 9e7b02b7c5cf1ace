/*
 * kernel.h - writing the kernel-side tables of a recording (kernel_exits
 * and the side tables of schema/ktrace.sql) through the store: the one
 * named table of insert statements, indexed by the row kind, and the read
 * of exits the user_seq correlation needs.  ktrace/ decides the rows
 * (ids, vcpus, correlation); this file only binds and inserts them, so no
 * sqlite3 handle leaves store/.
 */
#ifndef EXITLOG_STORE_KERNEL_H
#define EXITLOG_STORE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The kernel tables, one insert statement each.  ktrace's event kinds are
 * these values (ktrace/ktrace_int.h). */
enum store_ktab {
	STORE_K_EXITS,       /* kernel_exits(id,t_ns,vcpu,isa,reason,reason_name,rip,info1,
			      *              info2,user_seq) */
	STORE_K_ENTRIES,     /* kernel_entries(kexit_id,t_ns,rip,immediate_exit) */
	STORE_K_PIO,         /* kernel_pio(kexit_id,t_ns,vcpu,port,size,is_write,count,val) */
	STORE_K_MMIO,        /* kernel_mmio(kexit_id,t_ns,vcpu,type,len,gpa,val) */
	STORE_K_MSR,         /* kernel_msr(kexit_id,t_ns,vcpu,msr,is_write,data,fault) */
	STORE_K_CPUID,       /* kernel_cpuid(kexit_id,t_ns,vcpu,function,idx,rax,rbx,rcx,
			      *              rdx,found) */
	STORE_K_USERSPACE,   /* kernel_userspace(kexit_id,t_ns,vcpu,reason,errno) */
	STORE_K_EVENTS,      /* kernel_events(kexit_id,t_ns,vcpu,event,info) */
	STORE_K_N
};

#define STORE_K_MAXCOLS 10

/* One column value: text when s is set, else NULL when null, else i. */
struct store_kval {
	int64_t i;
	const char *s;
	bool null;
};

#define KV_INT(v)        ((struct store_kval){ .i = (int64_t)(v) })
#define KV_TEXT(v)       ((struct store_kval){ .s = (v), .null = !(v) })
#define KV_OPT(v, there) ((struct store_kval){ .i = (int64_t)(v), .null = !(there) })

struct store_kernel;

/*
 * Start writing: executes the embedded schema/ktrace.sql (the side tables,
 * if absent), BEGIN, prepares the statements.  Synchronous, like
 * store_exec(): only after store_flush() (the exits rows must be in) or
 * before the first put.  0 or -errno with one line in err.
 */
int store_kernel_begin(struct store *s, struct store_kernel **out, char *err, size_t errlen);

/* The first free kernel_exits.id (1 for an empty table). */
int64_t store_kernel_next_id(const struct store_kernel *k);

/* Call fn(arg, seq, vcpu, t_ns) for every exits row in seq order.  Returns
 * 0, fn's non-zero return, or -EIO (k's error set). */
int store_kernel_exits(struct store_kernel *k,
		       int (*fn)(void *arg, int64_t seq, int64_t vcpu, int64_t t_ns),
		       void *arg);

/* Insert one row of table t; v holds its columns in the order above.
 * The first error wins: later calls return it and insert nothing. */
int store_kernel_put(struct store_kernel *k, enum store_ktab t, const struct store_kval *v)
	__attribute__((warn_unused_result));

/* COMMIT (commit and no error so far) or ROLLBACK, then free k.  Returns 0
 * or the first error, with one line in err. */
int store_kernel_end(struct store_kernel *k, bool commit, char *err, size_t errlen);

#endif
