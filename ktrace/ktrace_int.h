/*
 * ktrace_int.h - what the files of ktrace/ share: the kinds of kvm events
 * kept, the event formats of one tep, the in-memory event log.  Not for
 * use outside ktrace/.
 */
#ifndef EXITLOG_KTRACE_INT_H
#define EXITLOG_KTRACE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <event-parse.h>
#include <trace-seq.h>

#include "ktrace/ktrace.h"
#include "store/kernel.h"

/* The kinds of event kept; each is written to its own table, so the kind
 * is the store's table index (store/kernel.h). */
enum kt_kind {
	KT_EXIT = STORE_K_EXITS,
	KT_ENTRY = STORE_K_ENTRIES,
	KT_PIO = STORE_K_PIO,
	KT_MMIO = STORE_K_MMIO,
	KT_MSR = STORE_K_MSR,
	KT_CPUID = STORE_K_CPUID,
	KT_USER = STORE_K_USERSPACE,
	KT_OTHER = STORE_K_EVENTS,
};

struct kt_formats {
	struct tep_event *exit, *entry, *pio, *mmio, *msr, *cpuid, *user;
	struct {
		struct tep_format_field *reason, *isa, *rip, *info1, *info2, *vcpu;
	} x;
	struct { struct tep_format_field *vcpu, *rip, *imm; } e;
	struct { struct tep_format_field *rw, *port, *size, *count, *val; } p;
	struct { struct tep_format_field *type, *len, *gpa, *val; } m;
	struct { struct tep_format_field *write, *ecx, *data, *exc; } r;
	struct { struct tep_format_field *fn, *idx, *rax, *rbx, *rcx, *rdx, *found; } c;
	struct { struct tep_format_field *reason, *err; } u;
};

/* The formats of `tep`'s kvm events (NULL fields where the kernel has none). */
void kt_formats_init(struct kt_formats *f, struct tep_handle *tep);
/* A field's value, or `dflt` when the kernel's format has no such field. */
uint64_t kt_get(struct tep_format_field *f, struct tep_record *rec, uint64_t dflt);
/* "vmx", "svm" or "unknown" for kvm_exit's isa field. */
const char *kt_isa_name(uint64_t isa);
/* Decode a kvm_exit record (its name through ktrace_symbol()); 0 or -EINVAL. */
int kt_parse_exit(struct tep_handle *tep, const struct kt_formats *f,
		  struct tep_record *rec, struct kexit_row *row);

struct kt_ev {
	uint64_t ts;
	uint32_t ord;           /* arrival order: a stable sort key */
	int32_t pid;
	int32_t vcpu;           /* from the record's vcpu_id; -1 none */
	uint8_t kind;           /* enum kt_kind */
	union {
		struct { uint32_t reason; const char *name; const char *isa;
			 uint64_t rip, info1, info2; } x;
		struct { uint64_t rip; int8_t imm; bool has_rip; } e;
		struct { uint32_t port, size, count, val; uint8_t write; } p;
		struct { const char *type; uint32_t len; uint64_t gpa, val; } m;
		struct { uint32_t msr; uint8_t write, fault; uint64_t data; } r;
		struct { uint32_t fn, idx; int8_t found; uint64_t rax, rbx, rcx, rdx; } c;
		struct { uint32_t reason; int32_t err; } u;
		struct { const char *event; char *info; } o;
	};
};

/* (kind, isa, raw value) -> (code, interned name): the symbol lookups. */
struct kt_name {
	uint64_t key;
	uint32_t code;
	const char *name;
};

struct ktrace_log {
	struct tep_handle *tep;
	struct kt_formats f;
	struct kt_ev *ev;
	size_t n, cap;
	struct kt_name *names;  /* open addressing, power-of-2 size */
	size_t nnames, capnames;
	char **pool;            /* interned strings */
	size_t npool, cappool;
	struct trace_seq seq;
	struct ktrace_log_stats st;
	uint64_t missed_unknown;
};

#endif
