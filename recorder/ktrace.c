/*
 * ktrace.c - kernel-handled exits from the kvm tracepoints (see ktrace.h):
 * decoding kvm records with libtraceevent, the in-memory event log and its
 * database writer, and the live capture (private tracefs instance, reader
 * thread on the per-CPU raw buffers).
 *
 * Decoding never assumes a layout: fields are read by name through the
 * event's parsed format (tep_find_field + tep_read_number_field), and names
 * come from the print format's __print_symbolic() tables, choosing the
 * branch of `cond ? a : b` the format itself chooses for the record.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <kbuffer.h>
#include <trace-seq.h>
#include <tracefs.h>

#include "recorder/ktrace.h"
#include "store/embedded.h"
#include "store/store.h"

#define KTRACE_TRACEFS_MAGIC 0x74726163u    /* "trac", linux/magic.h */
#define KTRACE_BUFFER_KB     16384u         /* per CPU, first try */
#define KTRACE_POLL_NS       10000000L      /* reader idle sleep: 10 ms */

/* ------------------------------------------------------------------------ */
/* Print-format evaluation                                                  */

static struct tep_format_field *kt_arg_field(struct tep_event *ev, struct tep_print_arg *a)
{
	if (!a->field.field)
		a->field.field = tep_find_any_field(ev, a->field.name);
	return a->field.field;
}

static int kt_read_field(struct tep_format_field *f, const void *data, int size,
			 unsigned long long *v)
{
	if (!f || f->offset < 0 || f->offset + f->size > size)
		return -EINVAL;
	if (tep_read_number_field(f, data, v))
		return -EINVAL;
	if ((f->flags & TEP_FIELD_IS_SIGNED) && f->size > 0 && f->size < 8) {
		unsigned long long sign = 1ull << (f->size * 8 - 1);
		if (*v & sign)
			*v |= ~((sign << 1) - 1);
	}
	return 0;
}

/* Evaluate a numeric print argument against one record. */
static int kt_eval(struct tep_event *ev, struct tep_print_arg *a, const void *data,
		   int size, unsigned long long *v)
{
	unsigned long long l = 0, r = 0;
	const char *op;
	char *end;

	if (!a)
		return -EINVAL;
	switch (a->type) {
	case TEP_PRINT_ATOM:
		errno = 0;
		if (a->atom.atom[0] == '-')
			*v = (unsigned long long)strtoll(a->atom.atom, &end, 0);
		else
			*v = strtoull(a->atom.atom, &end, 0);
		return errno || end == a->atom.atom || *end ? -EINVAL : 0;
	case TEP_PRINT_FIELD:
		return kt_read_field(kt_arg_field(ev, a), data, size, v);
	case TEP_PRINT_TYPE:
		return kt_eval(ev, a->typecast.item, data, size, v);
	case TEP_PRINT_OP:
		break;
	default:
		return -EINVAL;
	}
	op = a->op.op;
	if (!strcmp(op, "?")) {
		struct tep_print_arg *alt = a->op.right;
		if (!alt || alt->type != TEP_PRINT_OP || strcmp(alt->op.op, ":"))
			return -EINVAL;
		if (kt_eval(ev, a->op.left, data, size, &l))
			return -EINVAL;
		return kt_eval(ev, l ? alt->op.left : alt->op.right, data, size, v);
	}
	if (a->op.left && kt_eval(ev, a->op.left, data, size, &l))
		return -EINVAL;
	if (kt_eval(ev, a->op.right, data, size, &r))
		return -EINVAL;
	if (!a->op.left) {                      /* unary */
		if (!strcmp(op, "!"))
			*v = !r;
		else if (!strcmp(op, "~"))
			*v = ~r;
		else if (!strcmp(op, "-"))
			*v = -r;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(op, "+")) *v = l + r;
	else if (!strcmp(op, "-")) *v = l - r;
	else if (!strcmp(op, "*")) *v = l * r;
	else if (!strcmp(op, "/")) { if (!r) return -EINVAL; *v = l / r; }
	else if (!strcmp(op, "%")) { if (!r) return -EINVAL; *v = l % r; }
	else if (!strcmp(op, "&")) *v = l & r;
	else if (!strcmp(op, "|")) *v = l | r;
	else if (!strcmp(op, "^")) *v = l ^ r;
	else if (!strcmp(op, "<<")) *v = r < 64 ? l << r : 0;
	else if (!strcmp(op, ">>")) *v = r < 64 ? l >> r : 0;
	else if (!strcmp(op, "==")) *v = l == r;
	else if (!strcmp(op, "!=")) *v = l != r;
	else if (!strcmp(op, "<")) *v = (long long)l < (long long)r;
	else if (!strcmp(op, ">")) *v = (long long)l > (long long)r;
	else if (!strcmp(op, "<=")) *v = (long long)l <= (long long)r;
	else if (!strcmp(op, ">=")) *v = (long long)l >= (long long)r;
	else if (!strcmp(op, "&&")) *v = l && r;
	else if (!strcmp(op, "||")) *v = l || r;
	else return -EINVAL;
	return 0;
}

static bool kt_reads_field(struct tep_print_arg *a, const char *field)
{
	if (!a)
		return false;
	switch (a->type) {
	case TEP_PRINT_FIELD:
		return !strcmp(a->field.name, field);
	case TEP_PRINT_TYPE:
		return kt_reads_field(a->typecast.item, field);
	case TEP_PRINT_OP:
		return kt_reads_field(a->op.left, field) || kt_reads_field(a->op.right, field);
	default:
		return false;
	}
}

/* The __print_symbolic() reading `field` that this record's print selects. */
static struct tep_print_arg *kt_find_symbol(struct tep_event *ev, struct tep_print_arg *a,
					    const void *data, int size, const char *field)
{
	unsigned long long c;

	if (!a)
		return NULL;
	if (a->type == TEP_PRINT_SYMBOL)
		return kt_reads_field(a->symbol.field, field) ? a : NULL;
	if (a->type == TEP_PRINT_OP && !strcmp(a->op.op, "?")) {
		struct tep_print_arg *alt = a->op.right;
		if (!alt || alt->type != TEP_PRINT_OP || strcmp(alt->op.op, ":"))
			return NULL;
		if (kt_eval(ev, a->op.left, data, size, &c))
			return NULL;
		return kt_find_symbol(ev, c ? alt->op.left : alt->op.right, data, size, field);
	}
	return NULL;
}

int ktrace_symbol(struct tep_event *ev, const void *data, int size,
		  const char *field, uint64_t *code, char *name, size_t namelen)
{
	struct tep_print_arg *sym = NULL;
	struct tep_print_flag_sym *s;
	unsigned long long v;

	for (struct tep_print_arg *a = ev->print_fmt.args; a && !sym; a = a->next)
		sym = kt_find_symbol(ev, a, data, size, field);
	if (!sym || kt_eval(ev, sym->symbol.field, data, size, &v))
		return -ENOENT;
	*code = v;
	for (s = sym->symbol.symbols; s; s = s->next) {
		char *end;
		unsigned long long sv;

		errno = 0;
		sv = s->value[0] == '-' ? (unsigned long long)strtoll(s->value, &end, 0)
					: strtoull(s->value, &end, 0);
		if (!errno && end != s->value && !*end && sv == v) {
			snprintf(name, namelen, "%s", s->str);
			return 0;
		}
	}
	snprintf(name, namelen, "0x%llx", v);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Event formats of one tep                                                 */

enum kt_kind { KT_EXIT, KT_ENTRY, KT_PIO, KT_MMIO, KT_MSR, KT_CPUID, KT_USER, KT_OTHER };

#define KT_NINSERT 8            /* prepared INSERTs: one per table written */

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

static void kt_formats_init(struct kt_formats *f, struct tep_handle *tep)
{
	memset(f, 0, sizeof(*f));
	f->exit = tep_find_event_by_name(tep, "kvm", "kvm_exit");
	f->entry = tep_find_event_by_name(tep, "kvm", "kvm_entry");
	f->pio = tep_find_event_by_name(tep, "kvm", "kvm_pio");
	f->mmio = tep_find_event_by_name(tep, "kvm", "kvm_mmio");
	f->msr = tep_find_event_by_name(tep, "kvm", "kvm_msr");
	f->cpuid = tep_find_event_by_name(tep, "kvm", "kvm_cpuid");
	f->user = tep_find_event_by_name(tep, "kvm", "kvm_userspace_exit");
	if (f->exit) {
		f->x.reason = tep_find_field(f->exit, "exit_reason");
		f->x.isa = tep_find_field(f->exit, "isa");
		f->x.rip = tep_find_field(f->exit, "guest_rip");
		f->x.info1 = tep_find_field(f->exit, "info1");
		f->x.info2 = tep_find_field(f->exit, "info2");
		f->x.vcpu = tep_find_field(f->exit, "vcpu_id");
	}
	if (f->entry) {
		f->e.vcpu = tep_find_field(f->entry, "vcpu_id");
		f->e.rip = tep_find_field(f->entry, "rip");
		f->e.imm = tep_find_field(f->entry, "immediate_exit");
	}
	if (f->pio) {
		f->p.rw = tep_find_field(f->pio, "rw");
		f->p.port = tep_find_field(f->pio, "port");
		f->p.size = tep_find_field(f->pio, "size");
		f->p.count = tep_find_field(f->pio, "count");
		f->p.val = tep_find_field(f->pio, "val");
	}
	if (f->mmio) {
		f->m.type = tep_find_field(f->mmio, "type");
		f->m.len = tep_find_field(f->mmio, "len");
		f->m.gpa = tep_find_field(f->mmio, "gpa");
		f->m.val = tep_find_field(f->mmio, "val");
	}
	if (f->msr) {
		f->r.write = tep_find_field(f->msr, "write");
		f->r.ecx = tep_find_field(f->msr, "ecx");
		f->r.data = tep_find_field(f->msr, "data");
		f->r.exc = tep_find_field(f->msr, "exception");
	}
	if (f->cpuid) {
		f->c.fn = tep_find_field(f->cpuid, "function");
		f->c.idx = tep_find_field(f->cpuid, "index");
		f->c.rax = tep_find_field(f->cpuid, "rax");
		f->c.rbx = tep_find_field(f->cpuid, "rbx");
		f->c.rcx = tep_find_field(f->cpuid, "rcx");
		f->c.rdx = tep_find_field(f->cpuid, "rdx");
		f->c.found = tep_find_field(f->cpuid, "found");
	}
	if (f->user) {
		f->u.reason = tep_find_field(f->user, "reason");
		f->u.err = tep_find_field(f->user, "errno");
	}
}

/* A field's value, or `dflt` when the kernel's format has no such field. */
static uint64_t kt_get(struct tep_format_field *f, struct tep_record *rec, uint64_t dflt)
{
	unsigned long long v;

	if (!f || kt_read_field(f, rec->data, rec->size, &v))
		return dflt;
	return v;
}

static const char *kt_isa_name(uint64_t isa)
{
	return isa == 1 ? "vmx" : isa == 2 ? "svm" : "unknown";
}

/* Decode the kvm_exit record; name resolved through ktrace_symbol(). */
static int kt_parse_exit(struct tep_handle *tep, const struct kt_formats *f,
			 struct tep_record *rec, struct kexit_row *row)
{
	uint64_t code;

	if (!f->exit || !f->x.reason)
		return -EINVAL;
	memset(row, 0, sizeof(*row));
	row->ts = rec->ts;
	row->pid = tep_data_pid(tep, rec);
	row->vcpu = f->x.vcpu ? (int64_t)kt_get(f->x.vcpu, rec, 0) : -1;
	row->isa = kt_isa_name(kt_get(f->x.isa, rec, 0));
	row->rip = kt_get(f->x.rip, rec, 0);
	row->info1 = kt_get(f->x.info1, rec, 0);
	row->info2 = kt_get(f->x.info2, rec, 0);
	if (ktrace_symbol(f->exit, rec->data, rec->size, "exit_reason", &code,
			  row->reason_name, sizeof(row->reason_name))) {
		code = kt_get(f->x.reason, rec, 0);
		snprintf(row->reason_name, sizeof(row->reason_name), "0x%" PRIx64, code);
	}
	row->reason = (uint32_t)code;
	return 0;
}

int ktrace_parse_record(struct tep_handle *tep, struct tep_record *rec,
			struct kexit_row *row)
{
	struct kt_formats f;

	kt_formats_init(&f, tep);
	if (!f.exit || tep_data_type(tep, rec) != f.exit->id)
		return -ENOENT;
	return kt_parse_exit(tep, &f, rec, row);
}

/* ------------------------------------------------------------------------ */
/* The event log                                                            */

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

int ktrace_log_new(struct ktrace_log **out, struct tep_handle *tep)
{
	struct ktrace_log *log = calloc(1, sizeof(*log));

	if (!log)
		return -ENOMEM;
	log->tep = tep;
	kt_formats_init(&log->f, tep);
	log->capnames = 256;
	log->names = calloc(log->capnames, sizeof(*log->names));
	if (!log->names) {
		free(log);
		return -ENOMEM;
	}
	trace_seq_init(&log->seq);
	*out = log;
	return 0;
}

void ktrace_log_free(struct ktrace_log *log)
{
	if (!log)
		return;
	for (size_t i = 0; i < log->n; i++)
		if (log->ev[i].kind == KT_OTHER)
			free(log->ev[i].o.info);
	for (size_t i = 0; i < log->npool; i++)
		free(log->pool[i]);
	free(log->pool);
	free(log->names);
	free(log->ev);
	trace_seq_destroy(&log->seq);
	free(log);
}

static const char *kt_intern(struct ktrace_log *log, const char *s)
{
	for (size_t i = 0; i < log->npool; i++)
		if (!strcmp(log->pool[i], s))
			return log->pool[i];
	if (log->npool == log->cappool) {
		size_t cap = log->cappool ? log->cappool * 2 : 64;
		char **p = realloc(log->pool, cap * sizeof(*p));
		if (!p)
			return NULL;
		log->pool = p;
		log->cappool = cap;
	}
	log->pool[log->npool] = strdup(s);
	return log->pool[log->npool] ? log->pool[log->npool++] : NULL;
}

static struct kt_name *kt_name_slot(struct kt_name *t, size_t cap, uint64_t key)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);

	while (t[i].name && t[i].key != key)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* Name of the symbol the print format gives `field` in this record, cached
 * per (kind, isa, raw field value). */
static int kt_lookup(struct ktrace_log *log, struct tep_event *ev, struct tep_record *rec,
		     unsigned kind, uint64_t isa, struct tep_format_field *fld,
		     const char *field, uint32_t *code, const char **name)
{
	uint64_t raw = kt_get(fld, rec, 0), c;
	uint64_t key = (uint64_t)kind << 56 ^ (isa & 0xff) << 48 ^ raw;
	struct kt_name *slot = kt_name_slot(log->names, log->capnames, key);
	char buf[KTRACE_NAME_MAX];

	if (slot->name) {
		*code = slot->code;
		*name = slot->name;
		return 0;
	}
	if (ktrace_symbol(ev, rec->data, rec->size, field, &c, buf, sizeof(buf))) {
		c = raw;
		snprintf(buf, sizeof(buf), "0x%" PRIx64, raw);
	}
	if (2 * (log->nnames + 1) > log->capnames) {
		size_t cap = log->capnames * 2;
		struct kt_name *t = calloc(cap, sizeof(*t));
		if (!t)
			return -ENOMEM;
		for (size_t i = 0; i < log->capnames; i++)
			if (log->names[i].name)
				*kt_name_slot(t, cap, log->names[i].key) = log->names[i];
		free(log->names);
		log->names = t;
		log->capnames = cap;
		slot = kt_name_slot(t, cap, key);
	}
	slot->key = key;
	slot->code = (uint32_t)c;
	slot->name = kt_intern(log, buf);
	if (!slot->name)
		return -ENOMEM;
	log->nnames++;
	*code = slot->code;
	*name = slot->name;
	return 0;
}

int ktrace_log_add(struct ktrace_log *log, struct tep_record *rec)
{
	const struct kt_formats *f = &log->f;
	struct tep_event *ev;
	struct kt_ev *e;
	uint32_t code;
	int type, rc;

	if (rec->missed_events > 0)
		log->st.missed += (uint64_t)rec->missed_events;
	else if (rec->missed_events < 0)
		log->missed_unknown++;
	type = tep_data_type(log->tep, rec);
	ev = tep_find_event(log->tep, type);
	if (!ev || strcmp(ev->system, "kvm")) {
		log->st.skipped++;
		return 0;
	}
	if (log->n == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 4096;
		struct kt_ev *p = realloc(log->ev, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		log->ev = p;
		log->cap = cap;
	}
	e = &log->ev[log->n];
	memset(e, 0, sizeof(*e));
	e->ts = rec->ts;
	e->ord = (uint32_t)log->n;
	e->pid = tep_data_pid(log->tep, rec);
	e->vcpu = -1;
	if (ev == f->exit && f->x.reason) {
		uint64_t isa = kt_get(f->x.isa, rec, 0);
		e->kind = KT_EXIT;
		if (f->x.vcpu)
			e->vcpu = (int32_t)kt_get(f->x.vcpu, rec, 0);
		e->x.isa = kt_isa_name(isa);
		e->x.rip = kt_get(f->x.rip, rec, 0);
		e->x.info1 = kt_get(f->x.info1, rec, 0);
		e->x.info2 = kt_get(f->x.info2, rec, 0);
		rc = kt_lookup(log, ev, rec, KT_EXIT, isa, f->x.reason, "exit_reason",
			       &e->x.reason, &e->x.name);
		if (rc)
			return rc;
		log->st.exits++;
	} else if (ev == f->entry) {
		e->kind = KT_ENTRY;
		if (f->e.vcpu)
			e->vcpu = (int32_t)kt_get(f->e.vcpu, rec, 0);
		e->e.has_rip = f->e.rip != NULL;
		e->e.rip = kt_get(f->e.rip, rec, 0);
		e->e.imm = f->e.imm ? (int8_t)kt_get(f->e.imm, rec, 0) : -1;
		log->st.entries++;
	} else if (ev == f->pio && f->p.port) {
		e->kind = KT_PIO;
		e->p.write = kt_get(f->p.rw, rec, 0) != 0;
		e->p.port = (uint32_t)kt_get(f->p.port, rec, 0);
		e->p.size = (uint32_t)kt_get(f->p.size, rec, 0);
		e->p.count = (uint32_t)kt_get(f->p.count, rec, 1);
		e->p.val = (uint32_t)kt_get(f->p.val, rec, 0);
	} else if (ev == f->mmio && f->m.gpa) {
		e->kind = KT_MMIO;
		rc = kt_lookup(log, ev, rec, KT_MMIO, 0, f->m.type, "type", &code, &e->m.type);
		if (rc)
			return rc;
		e->m.len = (uint32_t)kt_get(f->m.len, rec, 0);
		e->m.gpa = kt_get(f->m.gpa, rec, 0);
		e->m.val = kt_get(f->m.val, rec, 0);
	} else if (ev == f->msr && f->r.ecx) {
		e->kind = KT_MSR;
		e->r.write = kt_get(f->r.write, rec, 0) != 0;
		e->r.msr = (uint32_t)kt_get(f->r.ecx, rec, 0);
		e->r.data = kt_get(f->r.data, rec, 0);
		e->r.fault = kt_get(f->r.exc, rec, 0) != 0;
	} else if (ev == f->cpuid && f->c.fn) {
		e->kind = KT_CPUID;
		e->c.fn = (uint32_t)kt_get(f->c.fn, rec, 0);
		e->c.idx = (uint32_t)kt_get(f->c.idx, rec, 0);
		e->c.rax = kt_get(f->c.rax, rec, 0);
		e->c.rbx = kt_get(f->c.rbx, rec, 0);
		e->c.rcx = kt_get(f->c.rcx, rec, 0);
		e->c.rdx = kt_get(f->c.rdx, rec, 0);
		e->c.found = f->c.found ? (int8_t)kt_get(f->c.found, rec, 0) : -1;
	} else if (ev == f->user && f->u.reason) {
		e->kind = KT_USER;
		e->u.reason = (uint32_t)kt_get(f->u.reason, rec, 0);
		e->u.err = (int32_t)kt_get(f->u.err, rec, 0);
	} else {
		e->kind = KT_OTHER;
		e->o.event = kt_intern(log, ev->name);
		trace_seq_reset(&log->seq);
		tep_print_event(log->tep, &log->seq, rec, "%s", TEP_PRINT_INFO);
		trace_seq_terminate(&log->seq);
		e->o.info = strdup(log->seq.buffer ? log->seq.buffer : "");
		if (!e->o.event || !e->o.info) {
			free(e->o.info);
			return -ENOMEM;
		}
	}
	if (!log->st.events || rec->ts < log->st.first_ts)
		log->st.first_ts = rec->ts;
	log->st.events++;
	log->n++;
	return 0;
}

void ktrace_log_missed(struct ktrace_log *log, long long n)
{
	if (n > 0)
		log->st.missed += (uint64_t)n;
	else if (n < 0)
		log->missed_unknown++;
}

void ktrace_log_stats(const struct ktrace_log *log, struct ktrace_log_stats *st)
{
	*st = log->st;
	st->missed_unknown = log->missed_unknown;
}

/* ------------------------------------------------------------------------ */
/* Writing the log                                                          */

static int kt_ev_cmp(const void *a, const void *b)
{
	const struct kt_ev *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* A kernel exit for the user_seq correlation. */
struct kt_kx {
	int64_t t_ns;
	int64_t vcpu;
	size_t idx;             /* 0-based exit number in time order */
};

static int kt_kx_cmp(const void *a, const void *b)
{
	const struct kt_kx *x = a, *y = b;

	if (x->vcpu != y->vcpu)
		return x->vcpu < y->vcpu ? -1 : 1;
	if (x->t_ns != y->t_ns)
		return x->t_ns < y->t_ns ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Per-thread state while assigning vcpu and kexit_id in time order. */
struct kt_thread {
	int32_t pid;
	int64_t vcpu;           /* -1 unknown */
	int64_t last_exit;      /* kernel_exits.id, 0 none */
	bool returned;          /* a kvm_userspace_exit already followed it */
};

struct kt_vcpu {
	int64_t vcpu;
	int64_t pending;        /* kernel_exits.id awaiting its kvm_entry, 0 none */
};

struct kt_write {
	sqlite3 *db;
	sqlite3_stmt *ins[KT_NINSERT];
	struct kt_thread *thr;
	size_t nthr;
	struct kt_vcpu *vc;
	size_t nvc;
	char *err;
	size_t errlen;
};

static struct kt_thread *kt_thread_of(struct kt_write *w, int32_t pid)
{
	struct kt_thread *t;

	for (size_t i = 0; i < w->nthr; i++)
		if (w->thr[i].pid == pid)
			return &w->thr[i];
	t = realloc(w->thr, (w->nthr + 1) * sizeof(*t));
	if (!t)
		return NULL;
	w->thr = t;
	t = &w->thr[w->nthr++];
	t->pid = pid;
	t->vcpu = -1;
	t->last_exit = 0;
	t->returned = false;
	return t;
}

static struct kt_vcpu *kt_vcpu_of(struct kt_write *w, int64_t vcpu)
{
	struct kt_vcpu *v;

	for (size_t i = 0; i < w->nvc; i++)
		if (w->vc[i].vcpu == vcpu)
			return &w->vc[i];
	v = realloc(w->vc, (w->nvc + 1) * sizeof(*v));
	if (!v)
		return NULL;
	w->vc = v;
	v = &w->vc[w->nvc++];
	v->vcpu = vcpu;
	v->pending = 0;
	return v;
}

static int kt_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		store_seterr(err, errlen, "ktrace: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static const char *const kt_insert_sql[KT_NINSERT] = {
	"INSERT INTO kernel_exits(id,t_ns,vcpu,isa,reason,reason_name,rip,info1,info2,user_seq)"
	" VALUES(?,?,?,?,?,?,?,?,?,?)",
	"INSERT INTO kernel_entries(kexit_id,t_ns,rip,immediate_exit) VALUES(?,?,?,?)",
	"INSERT INTO kernel_pio(kexit_id,t_ns,vcpu,port,size,is_write,count,val)"
	" VALUES(?,?,?,?,?,?,?,?)",
	"INSERT INTO kernel_mmio(kexit_id,t_ns,vcpu,type,len,gpa,val) VALUES(?,?,?,?,?,?,?)",
	"INSERT INTO kernel_msr(kexit_id,t_ns,vcpu,msr,is_write,data,fault) VALUES(?,?,?,?,?,?,?)",
	"INSERT INTO kernel_cpuid(kexit_id,t_ns,vcpu,function,idx,rax,rbx,rcx,rdx,found)"
	" VALUES(?,?,?,?,?,?,?,?,?,?)",
	"INSERT INTO kernel_events(kexit_id,t_ns,vcpu,event,info) VALUES(?,?,?,?,?)",
	"INSERT INTO kernel_userspace(kexit_id,t_ns,vcpu,reason,errno) VALUES(?,?,?,?,?)",
};

static void kt_bind_opt(sqlite3_stmt *s, int i, int64_t v, bool present)
{
	if (present)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

/*
 * user_seq for every kernel exit (indexed by time-order number): for each
 * exits row in seq order, the last kernel exit of its vcpu at or before
 * exits.t_ns that no earlier row claimed.
 */
static int kt_correlate(struct kt_write *w, const struct kt_ev *ev, size_t n,
			const int64_t *exit_vcpu, int64_t t0, size_t nexits,
			int64_t *user_seq)
{
	struct kt_kx *kx;
	sqlite3_stmt *q = NULL;
	size_t k = 0;
	int rc = 0, src;

	if (!nexits)
		return 0;
	kx = malloc(nexits * sizeof(*kx));
	if (!kx)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kind != KT_EXIT)
			continue;
		kx[k].t_ns = (int64_t)ev[i].ts - t0;
		kx[k].vcpu = exit_vcpu[k];
		kx[k].idx = k;
		k++;
	}
	qsort(kx, nexits, sizeof(*kx), kt_kx_cmp);
	if (sqlite3_prepare_v2(w->db, "SELECT seq, vcpu, t_ns FROM exits ORDER BY seq",
			       -1, &q, NULL) != SQLITE_OK) {
		store_seterr(w->err, w->errlen, "ktrace: %s", sqlite3_errmsg(w->db));
		free(kx);
		return -EIO;
	}
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(q, 0);
		int64_t vcpu = sqlite3_column_int64(q, 1);
		int64_t t = sqlite3_column_int64(q, 2);
		size_t lo = 0, hi = nexits;

		/* first element > (vcpu, t) */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (kx[mid].vcpu < vcpu || (kx[mid].vcpu == vcpu && kx[mid].t_ns <= t))
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0 && kx[lo - 1].vcpu == vcpu && !user_seq[kx[lo - 1].idx])
			user_seq[kx[lo - 1].idx] = seq;
	}
	if (src != SQLITE_DONE) {
		store_seterr(w->err, w->errlen, "ktrace: reading exits: %s", sqlite3_errmsg(w->db));
		rc = -EIO;
	}
	sqlite3_finalize(q);
	free(kx);
	return rc;
}

static int kt_step(struct kt_write *w, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		store_seterr(w->err, w->errlen, "ktrace: insert: %s", sqlite3_errmsg(w->db));
		return -EIO;
	}
	return 0;
}

/* Insert one event; exits get ids base+1.. in time order. */
static int kt_insert(struct kt_write *w, const struct kt_ev *e, int64_t t0, int64_t *next_id,
		     const int64_t *user_seq, size_t *nexit)
{
	struct kt_thread *th = kt_thread_of(w, e->pid);
	int64_t t = (int64_t)e->ts - t0, vcpu;
	struct kt_vcpu *vc;
	sqlite3_stmt *s;

	if (!th)
		return -ENOMEM;
	if (e->vcpu >= 0)
		th->vcpu = e->vcpu;
	vcpu = e->vcpu >= 0 ? e->vcpu : th->vcpu;
	switch (e->kind) {
	case KT_EXIT: {
		int64_t id = (*next_id)++;
		s = w->ins[0];
		if (vcpu < 0) {         /* a kernel without vcpu_id: number threads */
			vcpu = (int64_t)(th - w->thr);
			th->vcpu = vcpu;
		}
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, t);
		sqlite3_bind_int64(s, 3, vcpu);
		sqlite3_bind_text(s, 4, e->x.isa, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, e->x.reason);
		sqlite3_bind_text(s, 6, e->x.name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, (int64_t)e->x.rip);
		sqlite3_bind_int64(s, 8, (int64_t)e->x.info1);
		sqlite3_bind_int64(s, 9, (int64_t)e->x.info2);
		kt_bind_opt(s, 10, user_seq[*nexit], user_seq[*nexit] != 0);
		(*nexit)++;
		th->last_exit = id;
		th->returned = false;
		vc = kt_vcpu_of(w, vcpu);
		if (!vc)
			return -ENOMEM;
		vc->pending = id;
		return kt_step(w, s);
	}
	case KT_ENTRY:
		if (vcpu < 0)
			return 0;
		vc = kt_vcpu_of(w, vcpu);
		if (!vc)
			return -ENOMEM;
		if (!vc->pending)
			return 0;
		s = w->ins[1];
		sqlite3_bind_int64(s, 1, vc->pending);
		sqlite3_bind_int64(s, 2, t);
		kt_bind_opt(s, 3, (int64_t)e->e.rip, e->e.has_rip);
		kt_bind_opt(s, 4, e->e.imm, e->e.imm >= 0);
		vc->pending = 0;
		return kt_step(w, s);
	case KT_PIO:
		s = w->ins[2];
		sqlite3_bind_int64(s, 4, e->p.port);
		sqlite3_bind_int64(s, 5, e->p.size);
		sqlite3_bind_int64(s, 6, e->p.write);
		sqlite3_bind_int64(s, 7, e->p.count);
		sqlite3_bind_int64(s, 8, e->p.val);
		break;
	case KT_MMIO:
		s = w->ins[3];
		sqlite3_bind_text(s, 4, e->m.type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, e->m.len);
		sqlite3_bind_int64(s, 6, (int64_t)e->m.gpa);
		sqlite3_bind_int64(s, 7, (int64_t)e->m.val);
		break;
	case KT_MSR:
		s = w->ins[4];
		sqlite3_bind_int64(s, 4, e->r.msr);
		sqlite3_bind_int64(s, 5, e->r.write);
		sqlite3_bind_int64(s, 6, (int64_t)e->r.data);
		sqlite3_bind_int64(s, 7, e->r.fault);
		break;
	case KT_CPUID:
		s = w->ins[5];
		sqlite3_bind_int64(s, 4, e->c.fn);
		sqlite3_bind_int64(s, 5, e->c.idx);
		sqlite3_bind_int64(s, 6, (int64_t)e->c.rax);
		sqlite3_bind_int64(s, 7, (int64_t)e->c.rbx);
		sqlite3_bind_int64(s, 8, (int64_t)e->c.rcx);
		sqlite3_bind_int64(s, 9, (int64_t)e->c.rdx);
		kt_bind_opt(s, 10, e->c.found, e->c.found >= 0);
		break;
	case KT_USER:
		/* the kvm_exit it ended: the thread's last one, if no return claimed it */
		s = w->ins[7];
		kt_bind_opt(s, 1, th->last_exit, th->last_exit && !th->returned);
		sqlite3_bind_int64(s, 2, t);
		kt_bind_opt(s, 3, vcpu, vcpu >= 0);
		sqlite3_bind_int64(s, 4, e->u.reason);
		sqlite3_bind_int64(s, 5, e->u.err);
		th->returned = true;
		return kt_step(w, s);
	default:
		s = w->ins[6];
		sqlite3_bind_text(s, 4, e->o.event, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, e->o.info, -1, SQLITE_STATIC);
		break;
	}
	kt_bind_opt(s, 1, th->last_exit, th->last_exit != 0);
	sqlite3_bind_int64(s, 2, t);
	kt_bind_opt(s, 3, vcpu, vcpu >= 0);
	return kt_step(w, s);
}

/* The vcpu each kernel exit will be stored with (same rules as kt_insert). */
static int kt_exit_vcpus(const struct kt_ev *ev, size_t n, int64_t *out)
{
	struct kt_write w = { 0 };
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct kt_thread *th = kt_thread_of(&w, ev[i].pid);
		if (!th) {
			free(w.thr);
			return -ENOMEM;
		}
		if (ev[i].vcpu >= 0)
			th->vcpu = ev[i].vcpu;
		if (ev[i].kind != KT_EXIT)
			continue;
		if (th->vcpu < 0)
			th->vcpu = (int64_t)(th - w.thr);
		out[k++] = th->vcpu;
	}
	free(w.thr);
	return 0;
}

int ktrace_log_write(struct ktrace_log *log, sqlite3 *db, uint64_t t0,
		     char *err, size_t errlen)
{
	const char *schema = embedded_get("schema/ktrace.sql");
	struct kt_write w = { .db = db, .err = err, .errlen = errlen };
	int64_t *user_seq = NULL, *exit_vcpu = NULL, next_id = 1;
	size_t nexits = log->st.exits, nexit = 0;
	sqlite3_stmt *q;
	int rc;

	if (!schema) {
		store_seterr(err, errlen, "ktrace: schema/ktrace.sql is not embedded");
		return -EIO;
	}
	rc = kt_exec(db, schema, err, errlen);
	if (rc)
		return rc;
	qsort(log->ev, log->n, sizeof(*log->ev), kt_ev_cmp);
	user_seq = calloc(nexits + 1, sizeof(*user_seq));
	exit_vcpu = calloc(nexits + 1, sizeof(*exit_vcpu));
	if (!user_seq || !exit_vcpu) {
		rc = -ENOMEM;
		store_seterr(err, errlen, "ktrace: out of memory");
		goto out;
	}
	rc = kt_exit_vcpus(log->ev, log->n, exit_vcpu);
	if (rc)
		goto out;
	rc = kt_exec(db, "BEGIN", err, errlen);
	if (rc)
		goto out;
	rc = kt_correlate(&w, log->ev, log->n, exit_vcpu, (int64_t)t0, nexits, user_seq);
	if (rc)
		goto rollback;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) + 1 FROM kernel_exits",
			       -1, &q, NULL) != SQLITE_OK) {
		store_seterr(err, errlen, "ktrace: %s", sqlite3_errmsg(db));
		rc = -EIO;
		goto rollback;
	}
	if (sqlite3_step(q) == SQLITE_ROW)
		next_id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	for (int i = 0; i < KT_NINSERT; i++) {
		if (sqlite3_prepare_v2(db, kt_insert_sql[i], -1, &w.ins[i], NULL) != SQLITE_OK) {
			store_seterr(err, errlen, "ktrace: %s", sqlite3_errmsg(db));
			rc = -EIO;
			goto rollback;
		}
	}
	for (size_t i = 0; i < log->n; i++) {
		rc = kt_insert(&w, &log->ev[i], (int64_t)t0, &next_id, user_seq, &nexit);
		if (rc) {
			if (rc == -ENOMEM)
				store_seterr(err, errlen, "ktrace: out of memory");
			goto rollback;
		}
	}
	for (int i = 0; i < KT_NINSERT; i++) {
		sqlite3_finalize(w.ins[i]);
		w.ins[i] = NULL;
	}
	rc = kt_exec(db, "COMMIT", err, errlen);
	if (rc)
		goto rollback;
	goto out;

rollback:
	for (int i = 0; i < KT_NINSERT; i++)
		sqlite3_finalize(w.ins[i]);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
	free(w.thr);
	free(w.vc);
	free(user_seq);
	free(exit_vcpu);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Live capture                                                             */

/* The events enabled; kvm_exit is required, the others are taken if present. */
static const char *const kt_events[] = {
	"kvm_exit", "kvm_entry", "kvm_pio", "kvm_mmio", "kvm_msr", "kvm_cpuid",
	"kvm_userspace_exit", "kvm_hypercall", "kvm_inj_virq",
};

struct ktrace {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	struct ktrace_log *log;
	struct kbuffer *kbuf;
	void *page;
	size_t psize;
	int *fds;
	int ncpu;
	pthread_t thr;
	bool thr_started;
	atomic_int stop;
	int rerr;               /* reader: first error (-errno), 0 */
	uint64_t t0;
	pid_t tid;
	uint64_t buffer_kb;
	uint64_t lost;          /* stats: overrun + dropped + unread */
};

int ktrace_probe(char *err, size_t errlen)
{
	struct statfs sfs;

	if (statfs(KTRACE_TRACEFS, &sfs) || (uint32_t)sfs.f_type != KTRACE_TRACEFS_MAGIC) {
		store_seterr(err, errlen, "--ktrace: tracefs not available at " KTRACE_TRACEFS
			     " (mount -t tracefs nodev " KTRACE_TRACEFS ")");
		return -ENOENT;
	}
	if (access(KTRACE_TRACEFS "/instances", W_OK)) {
		if (errno == ENOENT) {
			store_seterr(err, errlen, "--ktrace: the tracefs at " KTRACE_TRACEFS
				     " has no instances directory (kernel too old)");
			return -ENOENT;
		}
		store_seterr(err, errlen, "--ktrace: tracefs at " KTRACE_TRACEFS
			     " is not writable (needs root)");
		return -EACCES;
	}
	if (access(KTRACE_TRACEFS "/events/kvm/kvm_exit/format", R_OK)) {
		store_seterr(err, errlen, "--ktrace: no kvm tracepoints in " KTRACE_TRACEFS
			     "/events/kvm (is the kvm module loaded?)");
		return -ENODEV;
	}
	return 0;
}

/* Remove exitlog-<pid> instances whose process is gone (a killed recorder). */
static void kt_reap_stale(void)
{
	char **list = tracefs_instances("^exitlog-[0-9]+$");

	if (!list)
		return;
	for (char **p = list; *p; p++) {
		long pid = strtol(*p + strlen("exitlog-"), NULL, 10);
		struct tracefs_instance *in;

		if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		in = tracefs_instance_alloc(NULL, *p);
		if (in) {
			tracefs_instance_destroy(in);
			tracefs_instance_free(in);
		}
	}
	tracefs_list_free(list);
}

/* Read one CPU's raw buffer until it is empty; returns records read or -errno. */
static long kt_drain_cpu(struct ktrace *kt, int cpu)
{
	long total = 0;

	for (;;) {
		ssize_t n = read(kt->fds[cpu], kt->page, kt->psize);
		unsigned long long ts;
		void *data;
		int missed;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		if (kbuffer_load_subbuffer(kt->kbuf, kt->page) < 0)
			return -EINVAL;
		missed = kbuffer_missed_events(kt->kbuf);
		if (missed)
			ktrace_log_missed(kt->log, missed);
		for (data = kbuffer_read_event(kt->kbuf, &ts); data;
		     data = kbuffer_next_event(kt->kbuf, &ts)) {
			struct tep_record rec;
			int rc;

			memset(&rec, 0, sizeof(rec));
			rec.ts = ts;
			rec.cpu = cpu;
			rec.data = data;
			rec.size = kbuffer_event_size(kt->kbuf);
			rec.record_size = kbuffer_curr_size(kt->kbuf);
			rec.ref_count = 1;
			rc = ktrace_log_add(kt->log, &rec);
			if (rc)
				return rc;
			total++;
		}
	}
	return total;
}

static long kt_drain(struct ktrace *kt)
{
	long total = 0;

	for (int cpu = 0; cpu < kt->ncpu; cpu++) {
		long n;

		if (kt->fds[cpu] < 0)
			continue;
		n = kt_drain_cpu(kt, cpu);
		if (n < 0) {
			if (!kt->rerr)
				kt->rerr = (int)n;
			continue;
		}
		total += n;
	}
	return total;
}

static void *kt_reader(void *arg)
{
	struct ktrace *kt = arg;
	struct timespec idle = { 0, KTRACE_POLL_NS };

	for (;;) {
		int stopping = atomic_load(&kt->stop);
		long n = kt_drain(kt);

		if (stopping || kt->rerr)
			break;
		if (n == 0)
			nanosleep(&idle, NULL);
	}
	return NULL;
}

static int kt_write_file(struct ktrace *kt, const char *file, const char *val)
{
	return tracefs_instance_file_write(kt->inst, file, val) < 0 ? -EIO : 0;
}

/* Sum "overrun:", "dropped events:" and "entries:" (unread) over all CPUs. */
static uint64_t kt_lost(struct ktrace *kt)
{
	uint64_t lost = 0;

	for (int cpu = 0; cpu < kt->ncpu; cpu++) {
		char path[64], *text, *line, *save = NULL;

		snprintf(path, sizeof(path), "per_cpu/cpu%d/stats", cpu);
		text = tracefs_instance_file_read(kt->inst, path, NULL);
		if (!text)
			continue;
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			unsigned long long v;
			if (sscanf(line, "overrun: %llu", &v) == 1 ||
			    sscanf(line, "dropped events: %llu", &v) == 1 ||
			    sscanf(line, "entries: %llu", &v) == 1)
				lost += v;
		}
		free(text);
	}
	return lost;
}

/* Tracing off, reader joined (after its last drain), files closed, instance
 * removed.  Safe on a partly set-up kt, and idempotent (ktrace_halt() and
 * then ktrace_stop()). */
static void kt_teardown(struct ktrace *kt)
{
	if (kt->inst)
		tracefs_trace_off(kt->inst);
	if (kt->thr_started) {
		atomic_store(&kt->stop, 1);
		pthread_join(kt->thr, NULL);
		kt->thr_started = false;
	}
	if (kt->inst)
		kt->lost = kt_lost(kt);
	for (int cpu = 0; kt->fds && cpu < kt->ncpu; cpu++)
		if (kt->fds[cpu] >= 0)
			close(kt->fds[cpu]);
	free(kt->fds);
	kt->fds = NULL;
	if (kt->inst) {
		tracefs_instance_destroy(kt->inst);
		tracefs_instance_free(kt->inst);
		kt->inst = NULL;
	}
}

static void kt_free(struct ktrace *kt)
{
	ktrace_log_free(kt->log);
	if (kt->kbuf)
		kbuffer_free(kt->kbuf);
	if (kt->tep)
		tep_free(kt->tep);
	free(kt->page);
	free(kt);
}

void ktrace_halt(struct ktrace *kt)
{
	if (kt)
		kt_teardown(kt);
}

void ktrace_abort(struct ktrace *kt)
{
	if (!kt)
		return;
	kt_teardown(kt);
	kt_free(kt);
}

static int kt_setup(struct ktrace *kt, char *err, size_t errlen)
{
	static const char *const systems[] = { "kvm", NULL };
	char name[64], val[32], *clock;
	sigset_t all, old;
	int rc;

	snprintf(name, sizeof(name), "exitlog-%d", (int)getpid());
	kt->inst = tracefs_instance_create(name);
	if (!kt->inst) {
		store_seterr(err, errlen, "--ktrace: cannot create the tracefs instance %s: %s",
			     name, strerror(errno));
		return -EIO;
	}
	if (!tracefs_instance_is_new(kt->inst)) {
		tracefs_instance_free(kt->inst);   /* someone else's: leave it */
		kt->inst = NULL;
		store_seterr(err, errlen, "--ktrace: tracefs instance %s already exists", name);
		return -EEXIST;
	}
	tracefs_trace_off(kt->inst);
	clock = kt_write_file(kt, "trace_clock", "mono") ? NULL : tracefs_get_clock(kt->inst);
	rc = clock && !strcmp(clock, "mono");
	free(clock);
	if (!rc) {
		store_seterr(err, errlen, "--ktrace: the kernel has no \"mono\" trace clock");
		return -ENOTSUP;
	}
	snprintf(val, sizeof(val), "%d", (int)kt->tid);
	if (kt_write_file(kt, "set_event_pid", val)) {
		store_seterr(err, errlen, "--ktrace: cannot set the pid filter (set_event_pid)");
		return -EIO;
	}
	/*
	 * Events first: the first enable anywhere makes the kernel allocate the
	 * top-level buffer at its default size (its lazy "expanded" state, as any
	 * tracing use does).  Resizing our instance before that would mark the
	 * buffers expanded and leave the top-level one at its boot-time minimum.
	 */
	for (size_t i = 0; i < sizeof(kt_events) / sizeof(kt_events[0]); i++) {
		if (tracefs_event_file_write(kt->inst, "kvm", kt_events[i], "enable", "1") < 0 && i == 0) {
			store_seterr(err, errlen, "--ktrace: cannot enable kvm:kvm_exit (is kvm loaded?)");
			return -ENODEV;
		}
	}
	for (uint64_t kb = KTRACE_BUFFER_KB; kb >= 1024; kb /= 4)
		if (tracefs_instance_set_buffer_size(kt->inst, kb, -1) == 0)
			break;
	kt->buffer_kb = (uint64_t)tracefs_instance_get_buffer_size(kt->inst, 0);
	tracefs_option_disable(kt->inst, TRACEFS_OPTION_OVERWRITE);

	kt->tep = tracefs_local_events_system(NULL, systems);
	if (!kt->tep) {
		store_seterr(err, errlen, "--ktrace: cannot parse the kvm event formats in " KTRACE_TRACEFS);
		return -EIO;
	}
	if (!tep_get_long_size(kt->tep))
		tep_set_long_size(kt->tep, (int)sizeof(long));
	if (!tep_get_page_size(kt->tep))
		tep_set_page_size(kt->tep, getpagesize());
	kt->kbuf = tep_kbuffer(kt->tep);
	kt->psize = (size_t)getpagesize();
	kt->page = malloc(kt->psize);
	rc = ktrace_log_new(&kt->log, kt->tep);
	if (!kt->kbuf || !kt->page || rc) {
		store_seterr(err, errlen, "--ktrace: out of memory");
		return -ENOMEM;
	}
	if (!kt->log->f.exit || !kt->log->f.x.reason) {
		store_seterr(err, errlen, "--ktrace: kvm:kvm_exit has no exit_reason field");
		return -ENODEV;
	}

	kt->ncpu = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (kt->ncpu < 1)
		kt->ncpu = 1;
	kt->fds = malloc((size_t)kt->ncpu * sizeof(*kt->fds));
	if (!kt->fds) {
		store_seterr(err, errlen, "--ktrace: out of memory");
		return -ENOMEM;
	}
	for (int cpu = 0; cpu < kt->ncpu; cpu++) {
		char file[64], *path;

		snprintf(file, sizeof(file), "per_cpu/cpu%d/trace_pipe_raw", cpu);
		path = tracefs_instance_get_file(kt->inst, file);
		kt->fds[cpu] = path ? open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) : -1;
		if (kt->fds[cpu] < 0 && errno != ENOENT) {
			store_seterr(err, errlen, "--ktrace: %s: %s", path ? path : file, strerror(errno));
			tracefs_put_tracing_file(path);
			return -EIO;
		}
		tracefs_put_tracing_file(path);
	}

	/* The reader must never take the recorder's SIGINT/SIGTERM. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&kt->thr, NULL, kt_reader, kt);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		store_seterr(err, errlen, "--ktrace: cannot start the reader thread: %s", strerror(rc));
		return -rc;
	}
	kt->thr_started = true;
	if (tracefs_trace_on(kt->inst) < 0) {
		store_seterr(err, errlen, "--ktrace: cannot turn tracing on");
		return -EIO;
	}
	return 0;
}

int ktrace_start(struct ktrace **out, pid_t tid, uint64_t t0_mono_ns,
		 char *err, size_t errlen)
{
	struct ktrace *kt;
	int rc;

	rc = ktrace_probe(err, errlen);
	if (rc)
		return rc;
	kt = calloc(1, sizeof(*kt));
	if (!kt) {
		store_seterr(err, errlen, "--ktrace: out of memory");
		return -ENOMEM;
	}
	kt->tid = tid > 0 ? tid : gettid();
	kt->t0 = t0_mono_ns;
	kt_reap_stale();
	rc = kt_setup(kt, err, errlen);
	if (rc) {
		ktrace_abort(kt);
		return rc;
	}
	*out = kt;
	return 0;
}

static int kt_meta(sqlite3 *db, const char *key, const char *val)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)",
			       -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, val, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(s);
	return rc;
}

static int kt_metau(sqlite3 *db, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return kt_meta(db, key, buf);
}

int ktrace_stop_db(struct ktrace *kt, sqlite3 *db, char *err, size_t errlen)
{
	struct ktrace_log_stats st;
	uint64_t lost;
	int rc = 0;

	kt_teardown(kt);
	ktrace_log_stats(kt->log, &st);
	lost = kt->lost > st.missed ? kt->lost : st.missed;
	if (kt->rerr) {
		store_seterr(err, errlen, "--ktrace: reading the trace buffers: %s", strerror(-kt->rerr));
		rc = kt->rerr;
	}
	if (lost)
		fprintf(stderr, "exitlog: --ktrace: the kernel lost %" PRIu64
			" kvm events (ring buffer full; recorded in meta.ktrace.lost_events)\n", lost);
	if (db && !rc) {
		rc = ktrace_log_write(kt->log, db, kt->t0, err, errlen);
		if (!rc) {
			rc |= kt_metau(db, "ktrace.events", st.events);
			rc |= kt_metau(db, "ktrace.exits", st.exits);
			rc |= kt_metau(db, "ktrace.entries", st.entries);
			rc |= kt_metau(db, "ktrace.lost_events", lost);
			rc |= kt_meta(db, "ktrace.clock", "mono");
			rc |= kt_metau(db, "ktrace.buffer_kb", kt->buffer_kb);
			rc |= kt_metau(db, "ktrace.tid", (uint64_t)kt->tid);
			if (rc) {
				store_seterr(err, errlen, "--ktrace: cannot write meta: %s", sqlite3_errmsg(db));
				rc = -EIO;
			}
		}
	}
	kt_free(kt);
	return rc;
}

int ktrace_stop(struct ktrace *kt, struct store *st, char *err, size_t errlen)
{
	return ktrace_stop_db(kt, st ? store_db(st) : NULL, err, errlen);
}
