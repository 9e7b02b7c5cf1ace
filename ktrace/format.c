/*
 * format.c - decoding kvm trace records with libtraceevent (see ktrace.h):
 * evaluating the print format's expressions and __print_symbolic() tables,
 * the formats of one tep, and kvm_exit records.
 *
 * Decoding never assumes a layout: fields are read by name through the
 * event's parsed format (tep_find_field + tep_read_number_field), and names
 * come from the print format's __print_symbolic() tables, choosing the
 * branch of `cond ? a : b` the format itself chooses for the record.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktrace/ktrace_int.h"

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



void kt_formats_init(struct kt_formats *f, struct tep_handle *tep)
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
uint64_t kt_get(struct tep_format_field *f, struct tep_record *rec, uint64_t dflt)
{
	unsigned long long v;

	if (!f || kt_read_field(f, rec->data, rec->size, &v))
		return dflt;
	return v;
}

const char *kt_isa_name(uint64_t isa)
{
	return isa == 1 ? "vmx" : isa == 2 ? "svm" : "unknown";
}

/* Decode the kvm_exit record; name resolved through ktrace_symbol(). */
int kt_parse_exit(struct tep_handle *tep, const struct kt_formats *f,
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
