/*
 * events.c - the in-memory log of parsed kvm events (see ktrace.h): the
 * live capture (recorder/ktrace.c) and `exitlog import` feed it records,
 * ktrace_log_write() (kwrite.c) stores it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktrace/ktrace_int.h"

/* ------------------------------------------------------------------------ */
/* The event log                                                            */

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

bool ktrace_log_can_decode(const struct ktrace_log *log)
{
	return log->f.exit && log->f.x.reason;
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
