/*
 * replay.c - the replay walk (see replay.h): every exit of the log, in seq
 * order, fed to the bus exactly as recorder/run.c dispatched it -- OUT and
 * MMIO-write bytes go in, IN and MMIO-read answers are compared with the
 * logged bytes, a rep string is `count` accesses with the data pointer
 * advancing (devices/dispatch.c, the recorder's own dispatch), the
 * device's error is compared with the exit_info code -- while the replay
 * host interface answers and checks the models' host calls.  Then the end-of-log checks: nothing left unconsumed,
 * the board's reset/power-off request, the final disk hashes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "analyzer/progress.h"
#include "replayer/replay_int.h"

__attribute__((noinline)) void replay_exit_hook(uint64_t seq)
{
	/* keeps the call (and seq in a register) under any optimisation */
	__asm__ volatile("" : : "r"(seq) : "memory");
}

static bool dev_eq(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

static int walk_damaged(struct replay *r, const char *what, uint64_t seq)
{
	replay_error(r, "%s: damaged recording: %s (seq %" PRIu64 ")", r->o->db, what, seq);
	return -EBADMSG;
}

/* replay -o: the output store refused a row (the output is deleted). */
static int walk_out_failed(struct replay *r, int rc, uint64_t seq, const char *what)
{
	replay_error(r, "%s: writing seq %" PRIu64 ": %s: %s", r->o->out_db, seq, what,
		     strerror(-rc));
	return rc;
}

static int walk_buf(struct replay *r, size_t n)
{
	if (n <= r->bufcap)
		return 0;
	free(r->buf);
	r->bufcap = n < 4096 ? 4096 : n;
	r->buf = malloc(r->bufcap);
	return r->buf ? 0 : -ENOMEM;
}

/* An IN/MMIO-read answer that differs from the logged one. */
static void walk_in_diff(struct replay *r, uint64_t seq, const char *device, int space,
			 uint64_t addr, uint32_t size, uint32_t count,
			 const uint8_t *want, const uint8_t *got, size_t n)
{
	const struct bus_region *reg = bus_find(&r->board.bus, space, addr);
	const char *rn = reg ? bus_regname(reg, addr, false) : "";
	char where[96], e[80], g[80], msg[400];
	size_t i = 0, from;

	while (i < n && want[i] == got[i])
		i++;
	snprintf(where, sizeof(where), "%s 0x%" PRIx64 "%s%s%s %s", space == BUS_PIO ? "port" : "gpa",
		 addr, rn && *rn ? " (" : "", rn ? rn : "", rn && *rn ? ")" : "",
		 space == BUS_PIO ? "IN" : "read");
	if (n <= 8) {
		replay_hex(e, sizeof(e), want, n, 8);
		replay_hex(g, sizeof(g), got, n, 8);
		snprintf(msg, sizeof(msg), "%s: expected %s got %s", where, e, g);
	} else {
		from = i & ~(size_t)7;
		replay_hex(e, sizeof(e), want + from, n - from < 16 ? n - from : 16, 16);
		replay_hex(g, sizeof(g), got + from, n - from < 16 ? n - from : 16, 16);
		snprintf(msg, sizeof(msg), "%s x%u size %u: byte %zu of %zu differs; from byte %zu "
			 "expected %s got %s", where, count, size, i, n, from, e, g);
	}
	replay_report_access(r, seq, device, msg);
}

static void walk_claim_diff(struct replay *r, uint64_t seq, int space, uint64_t addr,
			    bool is_write, const char *got, const char *want)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "%s 0x%" PRIx64 " %s: claimed by %s in the replay, by %s "
		 "in the recording", space == BUS_PIO ? "port" : "gpa", addr,
		 is_write ? (space == BUS_PIO ? "OUT" : "write") : (space == BUS_PIO ? "IN" : "read"),
		 got ? got : "no device", want ? want : "no device");
	replay_report_access(r, seq, got ? got : want, msg);
}

/*
 * The device's error for this exit against the recording's exit_info code
 * (0 when the recording has no row: the access was accepted).  A model
 * that starts refusing an access, or stops refusing one, diverges here.
 */
static void walk_err_diff(struct replay *r, uint64_t seq, const char *device,
			  const struct dispatch_access *a, const struct dispatch_result *res)
{
	char got[160], msg[480];

	if ((int64_t)res->err == r->info_code)
		return;
	if (res->err)
		dispatch_describe(a, res->region, res->err, got, sizeof(got));
	if (!r->info_code)
		snprintf(msg, sizeof(msg), "the model refused the access (%s), the recording "
			 "accepted it", got);
	else if (!res->err)
		snprintf(msg, sizeof(msg), "the model accepted the access, the recording refused "
			 "it (%s)", r->info_detail);
	else
		snprintf(msg, sizeof(msg), "the model refused the access (%s), the recording "
			 "refused it otherwise (%s)", got, r->info_detail);
	replay_report_access(r, seq, device, msg);
}

/*
 * Feed one access of `count` x `size` bytes (data: the logged bytes)
 * through the dispatch and compare.  Returns the claiming device name.
 */
static const char *walk_feed(struct replay *r, uint64_t seq, int space, uint64_t addr,
			     uint32_t size, uint32_t count, bool is_write,
			     const uint8_t *data, size_t n, const char *device)
{
	struct dispatch_access a = {
		.space = space, .addr = addr, .size = size, .count = count,
		.is_write = is_write, .data = r->buf,
	};
	struct dispatch_result res;
	const char *name;

	if (is_write)
		memcpy(r->buf, data, n);
	else
		memset(r->buf, 0, n);
	dispatch_access(&r->disp, &r->host, &a, &res);
	hostreplay_end(&r->hr);
	name = res.region ? res.region->name : NULL;
	if (!dev_eq(name, device))
		walk_claim_diff(r, seq, space, addr, is_write, name, device);
	if (!is_write && memcmp(r->buf, data, n))
		walk_in_diff(r, seq, device ? device : name, space, addr, size, count, data,
			     r->buf, n);
	walk_err_diff(r, seq, device ? device : name, &a, &res);
	if (r->o->verbose)
		replay_report_exit(r, seq, r->vcpu, space == BUS_PIO ? KVM_EXIT_IO : KVM_EXIT_MMIO,
				   space, addr, size, count, is_write, r->buf, n, name);
	return name;
}

static int walk_pio(struct replay *r, uint64_t seq, uint64_t t_ns)
{
	struct log_cur *c = &r->log.c[LT_PIO];
	const struct log_cur *st = c;
	uint32_t port, size, count;
	const uint8_t *data;
	const char *device, *name;
	bool is_write;
	size_t n;

	if (c->seq != seq)
		return walk_damaged(r, c->seq < seq ? "a pio row whose exit is not an IO exit"
						    : "an IO exit without its pio row",
				    c->seq < seq ? c->seq : seq);
	port = (uint32_t)logread_int(st, PIO_PORT);
	size = (uint32_t)logread_int(st, PIO_SIZE);
	is_write = (int)logread_int(st, PIO_IS_WRITE);
	count = (uint32_t)logread_int(st, PIO_COUNT);
	data = logread_blob(st, PIO_DATA);
	n = logread_bytes(st, PIO_DATA);
	device = logread_text(st, PIO_DEVICE);
	if ((size != 1 && size != 2 && size != 4) || count < 1 || n != (size_t)size * count)
		return walk_damaged(r, "a pio row whose data is not size*count bytes", seq);
	if (r->o->device && !dev_eq(device, r->o->device)) {
		hostreplay_skip(&r->hr, seq);
	} else {
		if (walk_buf(r, n))
			return -ENOMEM;
		r->fed++;
		hostreplay_begin(&r->hr, seq, t_ns);
		name = walk_feed(r, seq, BUS_PIO, port, size, count, is_write, data, n, device);
		if (r->st) {
			struct rec_pio p = {
				.seq = seq, .port = (uint16_t)port, .size = (uint8_t)size,
				.is_write = is_write, .count = count, .data = r->buf,
				.device = name,
			};
			int prc = store_put_pio(r->st, &p);

			if (prc)
				return walk_out_failed(r, prc, seq, "pio row");
		}
	}
	return logread_next(c) < 0 ? walk_damaged(r, logread_errmsg(&r->log), seq) : 0;
}

static int walk_mmio(struct replay *r, uint64_t seq, uint64_t t_ns)
{
	struct log_cur *c = &r->log.c[LT_MMIO];
	const struct log_cur *st = c;
	uint64_t gpa;
	uint32_t len;
	const uint8_t *data;
	const char *device, *name;
	bool is_write;
	size_t n;

	if (c->seq != seq)
		return walk_damaged(r, c->seq < seq ? "an mmio row whose exit is not an MMIO exit"
						    : "an MMIO exit without its mmio row",
				    c->seq < seq ? c->seq : seq);
	gpa = (uint64_t)logread_int(st, MMIO_GPA);
	len = (uint32_t)logread_int(st, MMIO_LEN);
	is_write = (int)logread_int(st, MMIO_IS_WRITE);
	data = logread_blob(st, MMIO_DATA);
	n = logread_bytes(st, MMIO_DATA);
	device = logread_text(st, MMIO_DEVICE);
	if (len < 1 || len > 8 || n != len)
		return walk_damaged(r, "an mmio row whose data is not len (1..8) bytes", seq);
	if (r->o->device && !dev_eq(device, r->o->device)) {
		hostreplay_skip(&r->hr, seq);
	} else {
		if (walk_buf(r, n))
			return -ENOMEM;
		r->fed++;
		hostreplay_begin(&r->hr, seq, t_ns);
		name = walk_feed(r, seq, BUS_MMIO, gpa, len, 1, is_write, data, n, device);
		if (r->st) {
			struct rec_mmio m = {
				.seq = seq, .gpa = gpa, .len = len, .is_write = is_write,
				.data = r->buf, .device = name,
			};
			int prc = store_put_mmio(r->st, &m);

			if (prc)
				return walk_out_failed(r, prc, seq, "mmio row");
		}
	}
	return logread_next(c) < 0 ? walk_damaged(r, logread_errmsg(&r->log), seq) : 0;
}

/* An exit without a device access (HLT, SHUTDOWN, INTR, ...). */
static void walk_other(struct replay *r, uint64_t seq, uint64_t t_ns, uint32_t reason)
{
	if (r->o->device) {
		hostreplay_skip(&r->hr, seq);
		return;
	}
	r->fed++;
	hostreplay_begin(&r->hr, seq, t_ns);
	hostreplay_end(&r->hr);
	if (r->o->verbose)
		replay_report_exit(r, seq, r->vcpu, reason, -1, 0, 0, 0, false, NULL, 0, NULL);
}

static int walk_put_exit(struct replay *r, const struct log_cur *st, uint64_t seq,
			 uint32_t reason, uint64_t t_ns)
{
	struct rec_exit e = {
		.seq = seq, .vcpu = r->vcpu, .reason = reason, .t_ns = t_ns,
		.guest_ns = (uint64_t)logread_int(st, EX_GUEST_NS),
		.handle_ns = (uint64_t)logread_int(st, EX_HANDLE_NS),
	};

	int rc = store_put_exit(r->st, &e);

	if (!rc && r->hr.out_err)
		return walk_out_failed(r, r->hr.out_err, seq, "host call row");
	return rc ? walk_out_failed(r, rc, seq, "exits row") : 0;
}

/* The recording's exit_info for `seq` into r->info_code/info_detail (0 and
 * "" when it has none); rows of earlier seqs are passed over. */
static int walk_info(struct replay *r, uint64_t seq)
{
	struct log_cur *c = &r->log.c[LT_INFO];

	r->info_code = 0;
	r->info_detail[0] = 0;
	while (c->seq <= seq) {
		if (c->seq == seq) {
			const char *d = logread_text(c, INFO_DETAIL);

			r->info_code = logread_int(c, INFO_CODE);
			snprintf(r->info_detail, sizeof(r->info_detail), "%s", d ? d : "");
		}
		if (logread_next(c) < 0)
			return -EIO;
	}
	return 0;
}

/* Walk the log.  0 (divergences are counted, not errors) or -errno after
 * an error line (damaged recording). */
static int walk_exits(struct replay *r, struct progress *pg)
{
	struct log_cur *ex = &r->log.c[LT_EXITS];
	bool event_told = false;
	uint64_t prev = 0;
	int rc = 0;

	r->host = hostreplay_host(&r->hr);
	dispatch_init(&r->disp, &r->board.bus);
	while (!r->stopped && !rc) {
		uint64_t seq, t_ns;
		uint32_t reason;

		rc = logread_next(ex);
		if (rc < 0)
			return walk_damaged(r, logread_errmsg(&r->log), prev + 1);
		/* the events before this exit (or all that are left), in seq order */
		rc = replay_events(r, rc ? LOG_SEQ_END : ex->seq, &prev);
		if (rc || ex->seq == LOG_SEQ_END || r->stopped)
			return rc;
		seq = ex->seq;
		if (seq != prev + 1)
			return walk_damaged(r, "exits and events are not gapless: a seq is missing",
					    prev + 1);
		prev = seq;
		reason = (uint32_t)logread_int(ex, EX_REASON);
		t_ns = (uint64_t)logread_int(ex, EX_T_NS);
		r->seq = seq;
		r->vcpu = (uint32_t)logread_int(ex, EX_VCPU);
		r->walked++;
		progress_update(pg, r->walked);
		if (r->hr.event && !event_told && r->hr.event_seq < seq && !r->o->device) {
			event_told = true;
			replay_report_access(r, r->hr.event_seq, NULL,
					     r->hr.event == HOST_EV_RESET
					     ? "the model asked for a board reset here, but the recording goes on"
					     : "the model asked for power-off here, but the recording goes on");
		}
		replay_exit_hook(seq);
		if (walk_info(r, seq) < 0)
			return walk_damaged(r, logread_errmsg(&r->log), seq);
		if (reason == KVM_EXIT_IO)
			rc = walk_pio(r, seq, t_ns);
		else if (reason == KVM_EXIT_MMIO)
			rc = walk_mmio(r, seq, t_ns);
		else
			walk_other(r, seq, t_ns, reason);
		if (!rc && r->hr.fatal)
			rc = walk_damaged(r, logread_errmsg(&r->log), seq);
		if (!rc && r->st)
			rc = walk_put_exit(r, ex, seq, reason, t_ns);
		r->last_seq = seq;
		r->last_reason = reason;
	}
	return rc;
}

/* walk_exits() with a progress line on a terminal (analyzer/progress.h). */
static int walk(struct replay *r)
{
	struct progress pg;
	int rc;

	progress_start(&pg, "exitlog replay", "exits", r->exit_count > 0 ? (uint64_t)r->exit_count : 0);
	rc = walk_exits(r, &pg);
	progress_end(&pg);
	return rc;
}

/* Is the replay complete, i.e. did it walk the whole log? */
static bool end_complete(const struct replay *r)
{
	if (r->stopped || r->incomplete)
		return false;
	return !r->o->until || (r->exit_count >= 0 && r->o->until >= (uint64_t)r->exit_count);
}

/* The reset/power-off a device asked for must be where the recording ended. */
static void end_check_event(struct replay *r)
{
	bool dev_end = (!strcmp(r->end_reason, "reset") || !strcmp(r->end_reason, "poweroff")) &&
		       r->last_reason != KVM_EXIT_SYSTEM_EVENT;
	const char *want = r->hr.event == HOST_EV_RESET ? "reset" : "poweroff";
	char msg[200];

	if (r->o->device || !r->walked)
		return;
	if (r->hr.event && r->hr.event_seq == r->last_seq && strcmp(r->end_reason, want)) {
		snprintf(msg, sizeof(msg), "the model asked for %s at the last exit, the recording "
			 "ended with '%s'", want, r->end_reason[0] ? r->end_reason : "(no end_reason)");
		replay_report_access(r, r->last_seq, NULL, msg);
	} else if (!r->hr.event && dev_end) {
		snprintf(msg, sizeof(msg), "the recording ended with '%s' asked for by a device, "
			 "the model asked for nothing", r->end_reason);
		replay_report_access(r, r->last_seq, NULL, msg);
	}
}

/* Final disk hashes; appends "; disk N final sha256 matches" notes to sum. */
static void end_check_disks(struct replay *r, char *sum, size_t len)
{
	size_t o = strlen(sum);

	for (int i = 0; i < r->cfg.ndisks && o < len; i++) {
		struct replay_disk *d = &r->disks[i];
		char hex[65], msg[300];
		int rc;

		if (r->o->device && strcmp(d->device, r->o->device)) {
			o += (size_t)snprintf(sum + o, len - o, "; disk %d not compared (--device)", i);
			continue;
		}
		if (!d->final[0]) {
			o += (size_t)snprintf(sum + o, len - o, "; disk %d has no final hash in the "
					      "recording (not compared)", i);
			continue;
		}
		rc = overlay_sha256(d->ov, hex);
		if (rc) {
			snprintf(hex, sizeof(hex), "(error: %s)", strerror(-rc));
		} else if (!strcmp(hex, d->final)) {
			o += (size_t)snprintf(sum + o, len - o, "; disk %d final sha256 matches", i);
			continue;
		}
		snprintf(msg, sizeof(msg), "disk %d final sha256 %s, the recording's final image "
			 "hash is %s", i, hex, d->final);
		replay_report_access(r, r->last_seq, d->device, msg);
		o += (size_t)snprintf(sum + o, len - o, "; disk %d final sha256 differs", i);
	}
}

/* After a walk to the end: what is left in the log, events, disk hashes. */
static int end_checks(struct replay *r, char *sum, size_t len)
{
	if (r->incomplete && !r->prefix)
		return 0; /* no exit: any row is the unlogged exit 1's */
	if (r->log.c[LT_PIO].seq != LOG_SEQ_END)
		return walk_damaged(r, "a pio row after the last exit", r->log.c[LT_PIO].seq);
	if (r->log.c[LT_MMIO].seq != LOG_SEQ_END)
		return walk_damaged(r, "an mmio row after the last exit", r->log.c[LT_MMIO].seq);
	if (r->log.c[LT_INFO].seq != LOG_SEQ_END)
		return walk_damaged(r, "an exit_info row after the last exit",
				    r->log.c[LT_INFO].seq);
	if (r->log.c[LT_EVENTS].seq != LOG_SEQ_END)
		return walk_damaged(r, "an event the walk did not reach",
				    r->log.c[LT_EVENTS].seq);
	if (r->o->device)
		hostreplay_skip(&r->hr, LOG_SEQ_END - 1);
	else
		hostreplay_rest(&r->hr);
	if (r->hr.fatal)
		return walk_damaged(r, logread_errmsg(&r->log), r->last_seq);
	if (!end_complete(r))
		return 0;
	if (!r->o->until && r->exit_count >= 0 && (uint64_t)r->exit_count != r->walked) {
		char what[128];

		snprintf(what, sizeof(what), "meta.exit_count is %" PRId64 " but exits has %" PRIu64
			 " rows", r->exit_count, r->walked);
		return walk_damaged(r, what, r->walked);
	}
	end_check_event(r);
	end_check_disks(r, sum, len);
	return 0;
}

static void print_summary(struct replay *r, const char *notes)
{
	uint64_t ndiv = r->hr.ndiv;
	char head[96] = "", fed[64] = "";

	if (r->stopped)
		snprintf(head, sizeof(head), "stopped at the first divergence (--keep-going to go on): ");
	else if (r->incomplete && (!r->o->until || r->o->until >= r->prefix))
		snprintf(head, sizeof(head), "the incomplete recording's %" PRIu64 " exits: ",
			 r->prefix);
	else if (!end_complete(r))
		snprintf(head, sizeof(head), "stopped after seq %" PRIu64 " (--until): ", r->last_seq);
	if (r->o->device)
		snprintf(fed, sizeof(fed), " (%" PRIu64 " fed to %s)", r->fed, r->o->device);
	fprintf(r->out, "replay: %s%" PRIu64 " exits%s, ", head, r->walked, fed);
	if (r->events)
		fprintf(r->out, "%" PRIu64 " events, ", r->events);
	fprintf(r->out, "%" PRIu64 " blk requests, %" PRIu64 " irqs, %" PRIu64 " dma: ",
		r->hr.nblk, r->hr.nirq, r->hr.ndma);
	if (ndiv)
		fprintf(r->out, "%" PRIu64 " divergence%s%s\n", ndiv, ndiv == 1 ? "" : "s", notes);
	else
		fprintf(r->out, "%s%s\n", end_complete(r) ? "clean" : "clean so far", notes);
}

static void run_unlink_out(const char *path)
{
	char p[4200];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

int replay_run(const struct replay_opts *o, FILE *out)
{
	struct replay *r = calloc(1, sizeof(*r));
	char notes[1024] = "";
	int status = REPLAY_BAD_INPUT, rc;

	if (!r) {
		fprintf(o->err ? o->err : stderr, "exitlog: out of memory\n");
		return REPLAY_BAD_INPUT;
	}
	r->o = o;
	r->out = out;
	r->err = o->err ? o->err : stderr;
	if (o->out_db && o->device) {
		replay_error(r, "-o cannot be combined with --device (the output would not be a "
			     "complete recording)");
		goto out;
	}
	rc = replay_setup_open(r);
	if (rc > 0) {
		print_summary(r, o->out_db ? " (nothing to replay: -o not written)" : "");
		status = REPLAY_CLEAN;
		goto out;
	}
	if (rc)
		goto out;
	hostreplay_init(&r->hr, &r->log, &r->board, r->ovs, r->cfg.ndisks,
			replay_report_diverge, r);
	r->hr.async = r->blk_async;
	r->hr.console = o->verbose ? out : NULL;
	if (o->out_db && replay_output_open(r))
		goto out;
	r->hr.out = r->st;
	rc = walk(r);
	hostreplay_console_flush(&r->hr);
	if (!rc && !r->stopped)
		rc = end_checks(r, notes, sizeof(notes));
	if (rc) {
		if (r->st) {
			store_close(r->st);
			r->st = NULL;
			run_unlink_out(o->out_db);
		}
		goto out;
	}
	print_summary(r, notes);
	status = r->hr.ndiv ? REPLAY_DIVERGED : REPLAY_CLEAN;
	if (r->st && replay_output_close(r))
		status = REPLAY_BAD_INPUT;
out:
	if (r->st)
		store_close(r->st);
	fflush(out);
	hostreplay_free_pending(&r->hr);
	replay_setup_close(r);
	free(r->buf);
	free(r);
	return status;
}
