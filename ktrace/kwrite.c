/*
 * kwrite.c - writing the event log into a recording (see ktrace.h): sort by
 * time, number the kernel exits, give each its vcpu and its user_seq, link
 * every side event to the exit it belongs to, and insert the rows through
 * the store's kernel-table API (store/kernel.h), one table per kind.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "ktrace/ktrace_int.h"

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
	struct store_kernel *k;
	struct kt_thread *thr;
	size_t nthr;
	struct kt_vcpu *vc;
	size_t nvc;
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

/* The correlation's state: kernel exits sorted by (vcpu, t_ns). */
struct kt_corr {
	struct kt_kx *kx;
	size_t nexits;
	int64_t *user_seq;
};

/* One exits row: the last kernel exit of its vcpu at or before its t_ns
 * that no earlier row claimed. */
static int kt_corr_row(void *arg, int64_t seq, int64_t vcpu, int64_t t)
{
	struct kt_corr *c = arg;
	size_t lo = 0, hi = c->nexits;

	/* first element > (vcpu, t) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->kx[mid].vcpu < vcpu || (c->kx[mid].vcpu == vcpu && c->kx[mid].t_ns <= t))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && c->kx[lo - 1].vcpu == vcpu && !c->user_seq[c->kx[lo - 1].idx])
		c->user_seq[c->kx[lo - 1].idx] = seq;
	return 0;
}

/* user_seq for every kernel exit (indexed by time-order number). */
static int kt_correlate(struct kt_write *w, const struct kt_ev *ev, size_t n,
			const int64_t *exit_vcpu, int64_t t0, size_t nexits,
			int64_t *user_seq)
{
	struct kt_corr c = { .nexits = nexits, .user_seq = user_seq };
	size_t k = 0;
	int rc;

	if (!nexits)
		return 0;
	c.kx = malloc(nexits * sizeof(*c.kx));
	if (!c.kx)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kind != KT_EXIT)
			continue;
		c.kx[k].t_ns = (int64_t)ev[i].ts - t0;
		c.kx[k].vcpu = exit_vcpu[k];
		c.kx[k].idx = k;
		k++;
	}
	qsort(c.kx, nexits, sizeof(*c.kx), kt_kx_cmp);
	rc = store_kernel_exits(w->k, kt_corr_row, &c);
	free(c.kx);
	return rc;
}

/* Insert one event; exits get ids next_id.. in time order. */
static int kt_insert(struct kt_write *w, const struct kt_ev *e, int64_t t0, int64_t *next_id,
		     const int64_t *user_seq, size_t *nexit)
{
	struct kt_thread *th = kt_thread_of(w, e->pid);
	int64_t t = (int64_t)e->ts - t0, vcpu;
	struct store_kval v[STORE_K_MAXCOLS];
	struct kt_vcpu *vc;

	if (!th)
		return -ENOMEM;
	if (e->vcpu >= 0)
		th->vcpu = e->vcpu;
	vcpu = e->vcpu >= 0 ? e->vcpu : th->vcpu;
	/* the columns every side table starts with */
	v[0] = KV_OPT(th->last_exit, th->last_exit != 0);
	v[1] = KV_INT(t);
	v[2] = KV_OPT(vcpu, vcpu >= 0);
	switch (e->kind) {
	case KT_EXIT: {
		int64_t id = (*next_id)++;

		if (vcpu < 0) {         /* a kernel without vcpu_id: number threads */
			vcpu = (int64_t)(th - w->thr);
			th->vcpu = vcpu;
		}
		v[0] = KV_INT(id);
		v[2] = KV_INT(vcpu);
		v[3] = KV_TEXT(e->x.isa);
		v[4] = KV_INT(e->x.reason);
		v[5] = KV_TEXT(e->x.name);
		v[6] = KV_INT(e->x.rip);
		v[7] = KV_INT(e->x.info1);
		v[8] = KV_INT(e->x.info2);
		v[9] = KV_OPT(user_seq[*nexit], user_seq[*nexit] != 0);
		(*nexit)++;
		th->last_exit = id;
		th->returned = false;
		vc = kt_vcpu_of(w, vcpu);
		if (!vc)
			return -ENOMEM;
		vc->pending = id;
		break;
	}
	case KT_ENTRY:
		if (vcpu < 0)
			return 0;
		vc = kt_vcpu_of(w, vcpu);
		if (!vc)
			return -ENOMEM;
		if (!vc->pending)
			return 0;
		v[0] = KV_INT(vc->pending);
		v[2] = KV_OPT(e->e.rip, e->e.has_rip);
		v[3] = KV_OPT(e->e.imm, e->e.imm >= 0);
		vc->pending = 0;
		break;
	case KT_PIO:
		v[3] = KV_INT(e->p.port);
		v[4] = KV_INT(e->p.size);
		v[5] = KV_INT(e->p.write);
		v[6] = KV_INT(e->p.count);
		v[7] = KV_INT(e->p.val);
		break;
	case KT_MMIO:
		v[3] = KV_TEXT(e->m.type);
		v[4] = KV_INT(e->m.len);
		v[5] = KV_INT(e->m.gpa);
		v[6] = KV_INT(e->m.val);
		break;
	case KT_MSR:
		v[3] = KV_INT(e->r.msr);
		v[4] = KV_INT(e->r.write);
		v[5] = KV_INT(e->r.data);
		v[6] = KV_INT(e->r.fault);
		break;
	case KT_CPUID:
		v[3] = KV_INT(e->c.fn);
		v[4] = KV_INT(e->c.idx);
		v[5] = KV_INT(e->c.rax);
		v[6] = KV_INT(e->c.rbx);
		v[7] = KV_INT(e->c.rcx);
		v[8] = KV_INT(e->c.rdx);
		v[9] = KV_OPT(e->c.found, e->c.found >= 0);
		break;
	case KT_USER:
		/* the kvm_exit it ended: the thread's last one, if no return claimed it */
		v[0] = KV_OPT(th->last_exit, th->last_exit && !th->returned);
		v[3] = KV_INT(e->u.reason);
		v[4] = KV_INT(e->u.err);
		th->returned = true;
		break;
	default:
		v[3] = KV_TEXT(e->o.event);
		v[4] = KV_TEXT(e->o.info);
		break;
	}
	/* the kind is the table (enum kt_kind == enum store_ktab) */
	return store_kernel_put(w->k, (enum store_ktab)(e->kind <= KT_OTHER ? e->kind : KT_OTHER), v);
}

/* The vcpu each kernel exit will be stored with (same rules as kt_insert);
 * *nvcpus gets the number of distinct ones. */
static int kt_exit_vcpus(const struct kt_ev *ev, size_t n, int64_t *out, uint64_t *nvcpus)
{
	struct kt_write w = { 0 };
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct kt_thread *th = kt_thread_of(&w, ev[i].pid);

		if (!th) {
			free(w.thr);
			free(w.vc);
			return -ENOMEM;
		}
		if (ev[i].vcpu >= 0)
			th->vcpu = ev[i].vcpu;
		if (ev[i].kind != KT_EXIT)
			continue;
		if (th->vcpu < 0)
			th->vcpu = (int64_t)(th - w.thr);
		out[k++] = th->vcpu;
		if (!kt_vcpu_of(&w, th->vcpu)) {
			free(w.thr);
			free(w.vc);
			return -ENOMEM;
		}
	}
	*nvcpus = w.nvc;
	free(w.thr);
	free(w.vc);
	return 0;
}

int ktrace_log_write(struct ktrace_log *log, struct store *st, uint64_t t0,
		     char *err, size_t errlen)
{
	struct kt_write w = { 0 };
	int64_t *user_seq = NULL, *exit_vcpu = NULL, next_id;
	size_t nexits = log->st.exits, nexit = 0;
	int rc;

	qsort(log->ev, log->n, sizeof(*log->ev), kt_ev_cmp);
	user_seq = calloc(nexits + 1, sizeof(*user_seq));
	exit_vcpu = calloc(nexits + 1, sizeof(*exit_vcpu));
	rc = user_seq && exit_vcpu ? kt_exit_vcpus(log->ev, log->n, exit_vcpu, &log->st.vcpus)
				   : -ENOMEM;
	if (rc) {
		store_seterr(err, errlen, "ktrace: out of memory");
		goto out;
	}
	rc = store_kernel_begin(st, &w.k, err, errlen);
	if (rc)
		goto out;
	next_id = store_kernel_next_id(w.k);
	rc = kt_correlate(&w, log->ev, log->n, exit_vcpu, (int64_t)t0, nexits, user_seq);
	for (size_t i = 0; i < log->n && !rc; i++)
		rc = kt_insert(&w, &log->ev[i], (int64_t)t0, &next_id, user_seq, &nexit);
	if (rc == -ENOMEM) {
		store_kernel_end(w.k, false, NULL, 0);
		store_seterr(err, errlen, "ktrace: out of memory");
	} else {
		rc = store_kernel_end(w.k, rc == 0, err, errlen);
	}
out:
	free(w.thr);
	free(w.vc);
	free(user_seq);
	free(exit_vcpu);
	return rc;
}

int ktrace_log_meta(struct store *st, const struct ktrace_log_stats *ls, uint64_t lost)
{
	int rc = 0;

	if (!rc)
		rc = store_meta_setf(st, "ktrace.events", "%" PRIu64, ls->events);
	if (!rc)
		rc = store_meta_setf(st, "ktrace.exits", "%" PRIu64, ls->exits);
	if (!rc)
		rc = store_meta_setf(st, "ktrace.entries", "%" PRIu64, ls->entries);
	if (!rc)
		rc = store_meta_setf(st, "ktrace.lost_events", "%" PRIu64, lost);
	return rc;
}
