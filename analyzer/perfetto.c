/*
 * perfetto.c - `exitlog export --perfetto`: a recording as Chrome
 * trace-event JSON ({"traceEvents": [...]}), the format ui.perfetto.dev and
 * chrome://tracing open.  Tracks:
 *   pid 1 "exitlog guest": one thread per vCPU (tid = vcpu + 1) with one
 *     complete event (ph X, cat "exit") per exit: ts = exits.t_ns, dur =
 *     handle_ns (cut at the next exit of the vCPU so slices never overlap;
 *     vCPU indexes outside 0..4094 share tid 4096),
 *     named by register ("ata0.data") or reason ("HLT"); and tid 1000
 *     "IRQ lines" with an instant event (ph i) per IRQ level change.
 *   pid 100 + n "disk DEV": per block request an async slice (ph b/e, cat
 *     "blk", id = blk_requests.id) from the issuing exit to the end of the
 *     request's IO path, and on thread 1 "backend" an X slice for the
 *     backend's latency_ns; a flow (ph s/f, id = request id) goes from the
 *     issuing exit to that backend slice.
 * ts and dur are µs with ns precision (three decimals), as the format says.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"
#include "analyzer/iopath.h"
#include "analyzer/progress.h"
#include "analyzer/report.h"
#include "analyzer/svg.h"

#define PID_GUEST 1
#define PID_DISK0 100
#define TID_IRQ 1000

struct pending {            /* the last exit of a vCPU, written when the next one is known */
	int used, named;
	int64_t seq, t, dur, guest, reason;
	char name[80];
};

struct req {
	int64_t id, seq, t, sector, nsectors, status, latency, t_end;
	int64_t vcpu;
	int disk;
	char op[16];
};

struct exporter {
	FILE *f;
	int first;
	struct pending *pend;
	size_t npend;
	char (*disks)[64];
	int ndisks;
};

static void us(FILE *f, int64_t ns)
{
	if (ns < 0) {
		fputc('-', f);
		ns = -ns;
	}
	fprintf(f, "%lld.%03lld", (long long)(ns / 1000), (long long)(ns % 1000));
}

static void ev_start(struct exporter *x)
{
	fputs(x->first ? "\n" : ",\n", x->f);
	x->first = 0;
}

static void meta_name(struct exporter *x, const char *what, int pid, int tid, const char *name)
{
	ev_start(x);
	fprintf(x->f, "{\"ph\":\"M\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":",
		what, pid, tid);
	svg_json_string(x->f, name);
	fputs("}}", x->f);
}

static void flush_exit(struct exporter *x, int64_t vcpu)
{
	struct pending *p = &x->pend[vcpu];

	if (!p->used)
		return;
	ev_start(x);
	fputs("{\"ph\":\"X\",\"cat\":\"exit\",\"name\":", x->f);
	svg_json_string(x->f, p->name);
	fprintf(x->f, ",\"pid\":%d,\"tid\":%lld,\"ts\":", PID_GUEST, (long long)vcpu + 1);
	us(x->f, p->t);
	fputs(",\"dur\":", x->f);
	us(x->f, p->dur);
	fprintf(x->f, ",\"args\":{\"seq\":%lld,\"reason\":%lld,\"guest_ns\":%lld}}",
		(long long)p->seq, (long long)p->reason, (long long)p->guest);
	p->used = 0;
}

static int add_exit(struct exporter *x, int64_t vcpu, struct pending *e)
{
	if (vcpu < 0 || vcpu > 4095)
		vcpu = 4095;
	if ((size_t)vcpu >= x->npend) {
		size_t n = vcpu + 1;
		struct pending *m = realloc(x->pend, n * sizeof(*m));

		if (!m)
			return -ENOMEM;
		memset(m + x->npend, 0, (n - x->npend) * sizeof(*m));
		x->pend = m;
		x->npend = n;
	}
	if (!x->pend[vcpu].named) {
		char name[32];

		snprintf(name, sizeof(name), vcpu == 4095 ? "vCPU ?" : "vCPU %d", (int)vcpu);
		meta_name(x, "thread_name", PID_GUEST, (int)vcpu + 1, name);
	}
	e->named = 1;
	/* A vCPU's exits follow one another: cut the previous slice at this
	 * one, and never let time run backwards on a track (a damaged clock). */
	if (x->pend[vcpu].used && e->t < x->pend[vcpu].t)
		e->t = x->pend[vcpu].t;
	if (x->pend[vcpu].used && x->pend[vcpu].t + x->pend[vcpu].dur > e->t)
		x->pend[vcpu].dur = e->t - x->pend[vcpu].t;
	flush_exit(x, vcpu);
	x->pend[vcpu] = *e;
	x->pend[vcpu].used = 1;
	return 0;
}

static const char exit_sql[] =
	"SELECT e.seq, e.vcpu, e.reason, e.t_ns, coalesce(e.handle_ns, 0), coalesce(e.guest_ns, 0),"
	" coalesce(xr.name, 'reason_' || e.reason), p.port, p.is_write, p.device, pr.name,"
	" m.gpa, m.is_write, m.device, mr.name"
	" FROM exits e LEFT JOIN exit_reasons xr ON xr.reason = e.reason"
	" LEFT JOIN pio p ON p.seq = e.seq"
	" LEFT JOIN registers pr ON pr.space = 'pio' AND pr.addr = p.port AND pr.is_write = p.is_write"
	" LEFT JOIN mmio m ON m.seq = e.seq"
	" LEFT JOIN registers mr ON mr.space = 'mmio' AND mr.addr = m.gpa AND mr.is_write = m.is_write"
	" WHERE e.seq BETWEEN ?1 AND ?2 AND e.t_ns BETWEEN ?3 AND ?4 ORDER BY e.seq";

static void exit_name(sqlite3_stmt *st, char *b, size_t len)
{
	const char *dev, *reg;

	if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
		dev = (const char *)sqlite3_column_text(st, 9);
		reg = (const char *)sqlite3_column_text(st, 10);
		if (dev && reg)
			snprintf(b, len, "%s.%s", dev, reg);
		else
			snprintf(b, len, "IO 0x%llx %s", (long long)sqlite3_column_int64(st, 7),
				 sqlite3_column_int(st, 8) ? "OUT" : "IN");
	} else if (sqlite3_column_type(st, 11) != SQLITE_NULL) {
		dev = (const char *)sqlite3_column_text(st, 13);
		reg = (const char *)sqlite3_column_text(st, 14);
		if (dev && reg)
			snprintf(b, len, "%s.%s", dev, reg);
		else
			snprintf(b, len, "MMIO 0x%llx %s", (long long)sqlite3_column_int64(st, 11),
				 sqlite3_column_int(st, 12) ? "W" : "R");
	} else {
		snprintf(b, len, "%s", (const char *)sqlite3_column_text(st, 6));
	}
}

static void bind_window(sqlite3_stmt *st, const struct analyzer_window *w)
{
	sqlite3_bind_int64(st, 1, w->from_seq >= 0 ? w->from_seq : INT64_MIN);
	sqlite3_bind_int64(st, 2, w->to_seq >= 0 ? w->to_seq : INT64_MAX);
	sqlite3_bind_int64(st, 3, w->from_ns >= 0 ? w->from_ns : INT64_MIN);
	sqlite3_bind_int64(st, 4, w->to_ns >= 0 ? w->to_ns : INT64_MAX);
}

static int write_exits(sqlite3 *db, struct exporter *x, const struct analyzer_window *w,
		       int64_t *count, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL, *mx = NULL;
	struct progress p;
	int64_t total = 0, n = 0;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(db, "SELECT max(seq) FROM exits", -1, &mx, NULL) == SQLITE_OK &&
	    sqlite3_step(mx) == SQLITE_ROW)
		total = sqlite3_column_int64(mx, 0);
	sqlite3_finalize(mx);
	if (w->to_seq >= 0 && w->to_seq < total)
		total = w->to_seq;
	if (w->from_seq > 0)
		total -= w->from_seq - 1;
	if (sqlite3_prepare_v2(db, exit_sql, -1, &st, NULL) != SQLITE_OK)
		return analyzer_step_err(db, err, errlen);
	bind_window(st, w);
	progress_start(&p, "exitlog export", "exits", total > 0 ? (uint64_t)total : 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pending e = { 0 };

		e.seq = sqlite3_column_int64(st, 0);
		e.reason = sqlite3_column_int64(st, 2);
		e.t = sqlite3_column_int64(st, 3);
		e.dur = sqlite3_column_int64(st, 4);
		e.guest = sqlite3_column_int64(st, 5);
		if (e.dur < 0)
			e.dur = 0;
		exit_name(st, e.name, sizeof(e.name));
		ret = add_exit(x, sqlite3_column_int64(st, 1), &e);
		if (ret)
			break;
		progress_update(&p, (uint64_t)++n);
	}
	progress_end(&p);
	if (!ret && rc != SQLITE_DONE)
		ret = analyzer_step_err(db, err, errlen);
	sqlite3_finalize(st);
	for (size_t v = 0; v < x->npend; v++)
		flush_exit(x, (int64_t)v);
	*count = n;
	return ret;
}

static int disk_index(struct exporter *x, const char *dev)
{
	for (int i = 0; i < x->ndisks; i++)
		if (!strcmp(x->disks[i], dev))
			return i;
	char (*m)[64] = realloc(x->disks, (x->ndisks + 1) * sizeof(*m));
	char name[80];

	if (!m)
		return -1;
	x->disks = m;
	snprintf(m[x->ndisks], sizeof(m[0]), "%s", dev);
	snprintf(name, sizeof(name), "disk %s", dev);
	meta_name(x, "process_name", PID_DISK0 + x->ndisks, 0, name);
	meta_name(x, "thread_name", PID_DISK0 + x->ndisks, 1, "backend");
	return x->ndisks++;
}

/* The end of each request's IO path (its span's last exit), by request id. */
static int64_t span_end(const struct iopath_data *io, int64_t id)
{
	size_t lo = 0, hi = io->nreqs;

	while (lo < hi) {       /* reqs are in (seq, id) order, ids ascending with seq */
		size_t mid = (lo + hi) / 2;

		if (io->reqs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo < io->nreqs ? lo : 0; i < io->nreqs; i++)
		if (io->reqs[i].id == id) {
			const struct iopath_req *r = &io->reqs[i];

			return r->span ? io->devs[r->dev].spans[r->span].t_end : 0;
		}
	return 0;
}

static const char req_sql[] =
	"SELECT b.id, b.seq, e.t_ns, e.vcpu, b.device, b.op, b.sector, b.nsectors, b.status,"
	" coalesce(b.latency_ns, 0), e.t_ns + coalesce(e.handle_ns, 0)"
	" FROM blk_requests b JOIN exits e ON e.seq = b.seq"
	" WHERE b.seq BETWEEN ?1 AND ?2 AND e.t_ns BETWEEN ?3 AND ?4 ORDER BY b.seq, b.id";

static int write_requests(sqlite3 *db, struct exporter *x, const struct analyzer_window *w,
			  char *err, size_t errlen)
{
	struct iopath_data io = { 0 };
	sqlite3_stmt *st = NULL;
	int64_t *cursor = NULL;
	int ncursor = 0;
	int rc, ret = analyzer_iopath_build(db, &io, err, errlen);

	if (ret)
		goto out;
	if (sqlite3_prepare_v2(db, req_sql, -1, &st, NULL) != SQLITE_OK) {
		ret = analyzer_step_err(db, err, errlen);
		goto out;
	}
	bind_window(st, w);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct req r;
		int64_t bt, end;
		int pid;

		r.id = sqlite3_column_int64(st, 0);
		r.seq = sqlite3_column_int64(st, 1);
		r.t = sqlite3_column_int64(st, 2);
		r.vcpu = sqlite3_column_int64(st, 3);
		r.disk = disk_index(x, (const char *)sqlite3_column_text(st, 4));
		snprintf(r.op, sizeof(r.op), "%s", (const char *)sqlite3_column_text(st, 5));
		r.sector = sqlite3_column_int64(st, 6);
		r.nsectors = sqlite3_column_int64(st, 7);
		r.status = sqlite3_column_int64(st, 8);
		r.latency = sqlite3_column_int64(st, 9);
		r.t_end = sqlite3_column_int64(st, 10);
		if (r.disk < 0) {
			ret = -ENOMEM;
			break;
		}
		if (x->ndisks > ncursor) {
			int64_t *m = realloc(cursor, x->ndisks * sizeof(*m));

			if (!m) {
				ret = -ENOMEM;
				break;
			}
			cursor = m;
			while (ncursor < x->ndisks)
				cursor[ncursor++] = INT64_MIN;
		}
		pid = PID_DISK0 + r.disk;
		/* backend calls of one disk run one after the other */
		bt = r.t > cursor[r.disk] ? r.t : cursor[r.disk];
		cursor[r.disk] = bt + (r.latency > 0 ? r.latency : 0);
		end = span_end(&io, r.id);
		if (end < r.t_end)
			end = r.t_end;
		if (end < cursor[r.disk])
			end = cursor[r.disk];
		ev_start(x);
		fprintf(x->f, "{\"ph\":\"b\",\"cat\":\"blk\",\"name\":\"%s\",\"id\":%lld,\"pid\":%d,"
			"\"tid\":0,\"ts\":", r.op, (long long)r.id, pid);
		us(x->f, r.t);
		fprintf(x->f, ",\"args\":{\"id\":%lld,\"seq\":%lld,\"sector\":%lld,\"nsectors\":%lld,"
			"\"status\":%lld,\"latency_ns\":%lld}}", (long long)r.id, (long long)r.seq,
			(long long)r.sector, (long long)r.nsectors, (long long)r.status,
			(long long)r.latency);
		ev_start(x);
		fprintf(x->f, "{\"ph\":\"e\",\"cat\":\"blk\",\"name\":\"%s\",\"id\":%lld,\"pid\":%d,"
			"\"tid\":0,\"ts\":", r.op, (long long)r.id, pid);
		us(x->f, end);
		fputs("}", x->f);
		ev_start(x);
		fprintf(x->f, "{\"ph\":\"X\",\"cat\":\"backend\",\"name\":\"%s %lld+%lld\",\"pid\":%d,"
			"\"tid\":1,\"ts\":", r.op, (long long)r.sector, (long long)r.nsectors, pid);
		us(x->f, bt);
		fputs(",\"dur\":", x->f);
		us(x->f, r.latency > 0 ? r.latency : 0);
		fprintf(x->f, ",\"args\":{\"id\":%lld}}", (long long)r.id);
		ev_start(x);
		fprintf(x->f, "{\"ph\":\"s\",\"cat\":\"blk\",\"name\":\"request\",\"id\":%lld,\"pid\":%d,"
			"\"tid\":%lld,\"ts\":", (long long)r.id, PID_GUEST, (long long)r.vcpu + 1);
		us(x->f, r.t);
		fputs("}", x->f);
		ev_start(x);
		fprintf(x->f, "{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"blk\",\"name\":\"request\",\"id\":%lld,"
			"\"pid\":%d,\"tid\":1,\"ts\":", (long long)r.id, pid);
		us(x->f, bt);
		fputs("}", x->f);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = analyzer_step_err(db, err, errlen);
	sqlite3_finalize(st);
out:
	free(cursor);
	analyzer_iopath_free(&io);
	return ret;
}

static const char irq_sql[] =
	"SELECT i.seq, i.line, i.level, i.device, e.t_ns + coalesce(e.handle_ns, 0)"
	" FROM irqs i JOIN exits e ON e.seq = i.seq"
	" WHERE i.seq BETWEEN ?1 AND ?2 AND e.t_ns BETWEEN ?3 AND ?4 ORDER BY i.id";

static int write_irqs(sqlite3 *db, struct exporter *x, const struct analyzer_window *w,
		      char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, irq_sql, -1, &st, NULL) != SQLITE_OK)
		return analyzer_step_err(db, err, errlen);
	bind_window(st, w);
	meta_name(x, "thread_name", PID_GUEST, TID_IRQ, "IRQ lines");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int level = sqlite3_column_int(st, 2);

		ev_start(x);
		fprintf(x->f, "{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"irq\",\"name\":\"IRQ %d %s\",\"pid\":%d,"
			"\"tid\":%d,\"ts\":", sqlite3_column_int(st, 1), level ? "raise" : "lower",
			PID_GUEST, TID_IRQ);
		us(x->f, sqlite3_column_int64(st, 4));
		fprintf(x->f, ",\"args\":{\"seq\":%lld,\"line\":%d,\"level\":%d,\"device\":",
			(long long)sqlite3_column_int64(st, 0), sqlite3_column_int(st, 1), level);
		svg_json_string(x->f, (const char *)sqlite3_column_text(st, 3));
		fputs("}}", x->f);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : analyzer_step_err(db, err, errlen);
}

int analyzer_export_perfetto(sqlite3 *db, const struct analyzer_window *w, FILE *out,
			     int64_t *nexits, char *err, size_t errlen)
{
	struct exporter x = { .f = out, .first = 1 };
	sqlite3_stmt *st = NULL;
	int64_t n = 0;
	int ret;

	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"exitlog " EXITLOG_VERSION
	      "\",\"guest\":", out);
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'guest'", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		svg_json_string(out, (const char *)sqlite3_column_text(st, 0));
	else
		fputs("null", out);
	sqlite3_finalize(st);
	fputs("},\"traceEvents\":[", out);
	meta_name(&x, "process_name", PID_GUEST, 0, "exitlog guest");
	ret = write_exits(db, &x, w, &n, err, errlen);
	if (!ret)
		ret = write_requests(db, &x, w, err, errlen);
	if (!ret)
		ret = write_irqs(db, &x, w, err, errlen);
	fputs("\n]}\n", out);
	free(x.pend);
	free(x.disks);
	if (!ret && (fflush(out) || ferror(out)))
		ret = analyzer_err(err, errlen, -EIO, "cannot write the trace: %s", strerror(errno));
	if (nexits)
		*nexits = n;
	return ret;
}

int analyzer_parse_point(const char *s, int64_t *seq, int64_t *ns)
{
	static const struct { const char *u; double mul; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};
	char *end;
	double v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0) || v > 9e18)
		return -EINVAL;
	if (!*end) {
		if (strchr(s, '.') || strchr(s, 'e') || strchr(s, 'E') || strchr(s, 'x'))
			return -EINVAL;
		*seq = (int64_t)v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].u) && v * units[i].mul <= 9e18) {
			*ns = (int64_t)(v * units[i].mul + 0.5);
			return 0;
		}
	return -EINVAL;
}
