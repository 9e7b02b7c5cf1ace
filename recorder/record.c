/*
 * record.c - `exitlog record` from validated options to a closed recording
 * (see recorder.h).  Order matters for bad input: every input is checked
 * (guest readable, disks openable with a sane size, output absent) before
 * KVM is touched or the database is created, so a refusal leaves nothing
 * behind and modifies nothing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/err.h"
#include "recorder/boardlog.h"
#include "recorder/bzimage.h"
#include "recorder/heartbeat.h"
#include "recorder/hostlive.h"
#include "recorder/console.h"
#include "recorder/iothread.h"
#include "recorder/ktrace.h"
#include "recorder/loader.h"
#include "recorder/recorder.h"
#include "recorder/run.h"
#include "recorder/vm.h"
#include "store/writer.h"
#include "recorder/vmlinux.h"
#include "util/sha256.h"

static volatile sig_atomic_t record_stop;
static struct vm *record_vm;

/* meta keys of each vCPU's dispatch-lock figures (key.vcpuN) */
static const struct {
	const char *name;
	size_t off;
} lock_keys[] = {
	{ "lock_steps", offsetof(struct run_lockstat, steps) },
	{ "lock_wait_ns", offsetof(struct run_lockstat, wait_ns) },
	{ "lock_hold_ns", offsetof(struct run_lockstat, hold_ns) },
	{ "lock_wait_p50_ns", offsetof(struct run_lockstat, wait_p50_ns) },
	{ "lock_wait_p99_ns", offsetof(struct run_lockstat, wait_p99_ns) },
	{ "lock_hold_p50_ns", offsetof(struct run_lockstat, hold_p50_ns) },
	{ "lock_hold_p99_ns", offsetof(struct run_lockstat, hold_p99_ns) },
};
/* Ctrl-C / SIGTERM: every vCPU leaves KVM_RUN at its next entry; the
 * thread that gets the signal leaves it now, and run_loop() kicks the
 * others (the main thread looks at record_stop every few ms). */
static void record_on_signal(int sig)
{
	(void)sig;
	record_stop = 1;
	if (record_vm)
		run_kick_all(record_vm);
}

static void record_signals(int install)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = install ? record_on_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void record_now_iso(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int record_meta_start(struct store *st, const struct record_opts *o,
			     const struct vm *vm, const struct guest_image *g,
			     const struct board *b, const struct board_config *cfg,
			     char (*hashes)[65])
{
	char when[32], hex[65];
	uint8_t d[32];
	const char *paths[BOARD_MAX_DISKS];
	int rc = 0;

	record_now_iso(when, sizeof(when));
	sha256(g->data, g->size, d);
	sha256_hex(d, hex);
	rc = err_first(rc, store_meta_set(st, "tool_version", EXITLOG_VERSION));
	rc = err_first(rc, store_meta_setf(st, "kvm_api_version", "%d", vm->api_version));
	rc = err_first(rc, store_meta_set(st, "guest", o->guest));
	rc = err_first(rc, store_meta_set(st, "guest_kind", loader_kind_name(g->kind)));
	rc = err_first(rc, store_meta_set(st, "guest_sha256", hex));
	rc = err_first(rc, store_meta_set(st, "started_at", when));
	rc = err_first(rc, store_meta_setf(st, "mem_mb", "%llu", (unsigned long long)o->mem_mb));
	rc = err_first(rc, store_meta_setf(st, "vcpus", "%d", vm->nvcpus));
	rc = err_first(rc, store_meta_setf(st, "rtc_epoch", "%llu", (unsigned long long)cfg->rtc_epoch));
	rc = err_first(rc, store_meta_set(st, "logging", "on"));
	if (o->initrd)
		rc = err_first(rc, store_meta_set(st, "initrd", o->initrd));
	if (o->append)
		rc = err_first(rc, store_meta_set(st, "append", o->append));
	for (int i = 0; i < cfg->ndisks; i++) {
		char k[64];
		paths[i] = o->disks[i].path;
		snprintf(k, sizeof(k), "disk%d.path", i);
		rc = err_first(rc, store_meta_set(st, k, o->disks[i].path));
		snprintf(k, sizeof(k), "disk%d.kind", i);
		rc = err_first(rc, store_meta_set(st, k, board_disk_kind_name(cfg->disks[i].kind)));
		snprintf(k, sizeof(k), "disk%d.device", i);
		rc = err_first(rc, store_meta_set(st, k, b->disk_dev[i] ? b->disk_dev[i] : ""));
		snprintf(k, sizeof(k), "disk%d.sectors", i);
		rc = err_first(rc, store_meta_setf(st, k, "%llu", (unsigned long long)cfg->disks[i].sectors));
		snprintf(k, sizeof(k), "disk%d.initial_sha256", i);
		rc = err_first(rc, store_meta_set(st, k, hashes[i]));
	}
	return rc ? rc : boardlog_write(st, b, cfg, paths, hashes);
}

static int record_meta_end(struct store *st, const struct record_opts *o,
			   const struct run_result *res, const struct hostlive *hl,
			   int ndisks)
{
	const char *paths[BOARD_MAX_DISKS];
	char hex[BOARD_MAX_DISKS][65];
	int rc = 0;

	memset(hex, 0, sizeof(hex));

	rc = err_first(rc, store_flush(st));
	rc = err_first(rc, store_meta_set(st, "end_reason", run_end_name(res->end)));
	rc = err_first(rc, store_meta_set(st, "end_message", res->msg));
	rc = err_first(rc, store_meta_setf(st, "exit_count", "%llu", (unsigned long long)res->exits));
	rc = err_first(rc, store_meta_setf(st, "event_count", "%llu",
					   (unsigned long long)hl->events));
	rc = err_first(rc, store_meta_setf(st, "device_errors", "%d", hl->dev_errors));
	for (int i = 0; i < res->nvcpus; i++)
		for (size_t j = 0; j < sizeof(lock_keys) / sizeof(lock_keys[0]); j++) {
			const uint64_t *v = (const uint64_t *)((const char *)&res->lock[i] +
							       lock_keys[j].off);
			char k[48];

			snprintf(k, sizeof(k), "%s.vcpu%d", lock_keys[j].name, i);
			rc = err_first(rc, store_meta_setf(st, k, "%llu", (unsigned long long)*v));
		}
	/* the disks' final hashes, all at once (one thread each) */
	for (int i = 0; i < ndisks; i++)
		paths[i] = o->disks[i].path;
	sha256_files(paths, ndisks, hex, NULL);
	for (int i = 0; i < ndisks; i++) {
		char k[64], sql[160];
		snprintf(k, sizeof(k), "disk%d.final_sha256", i);
		if (hex[i][0]) {
			rc = err_first(rc, store_meta_set(st, k, hex[i]));
			snprintf(sql, sizeof(sql), "UPDATE disks SET final_sha256='%.64s' WHERE idx=%d", hex[i], i);
			rc = err_first(rc, store_exec(st, sql, NULL, 0));
		}
	}
	return rc;
}

/* EXITLOG_LOCKSTAT=1: each vCPU's dispatch-lock figures on stderr, one line
 * each (the same as meta.lock_*.vcpuN; with --no-log the only place). */
static void record_print_lockstat(const struct run_result *res)
{
	const char *v = getenv("EXITLOG_LOCKSTAT");

	if (!v || !*v || !strcmp(v, "0"))
		return;
	for (int i = 0; i < res->nvcpus; i++) {
		const struct run_lockstat *l = &res->lock[i];
		uint64_t n = l->steps ? l->steps : 1;

		fprintf(stderr, "exitlog: lockstat vcpu%d steps=%llu wait_ns=%llu hold_ns=%llu"
			" wait_per_step=%.0f hold_per_step=%.0f wait_p50=%llu wait_p99=%llu"
			" hold_p50=%llu hold_p99=%llu\n", i,
			(unsigned long long)l->steps, (unsigned long long)l->wait_ns,
			(unsigned long long)l->hold_ns, (double)l->wait_ns / (double)n,
			(double)l->hold_ns / (double)n, (unsigned long long)l->wait_p50_ns,
			(unsigned long long)l->wait_p99_ns, (unsigned long long)l->hold_p50_ns,
			(unsigned long long)l->hold_p99_ns);
	}
}

/* EXITLOG_PHASES=1: where a session's wall time went, on stderr in one line
 * at the end (the bench's Linux side-by-side reads it). */
enum { PH_START, PH_INPUTS, PH_SETUP, PH_STORE, PH_RUN, PH_FINISH, PH_CLOSE, PH_N };
static uint64_t record_ph[PH_N];

static void record_phase(int k)
{
	record_ph[k] = hostlive_clock();
}

static void record_print_phases(void)
{
	static const char *const names[PH_N] = {
		"", "inputs", "setup", "store", "run", "finish", "close",
	};
	const char *v = getenv("EXITLOG_PHASES");
	uint64_t prev = record_ph[PH_START];

	if (!v || !*v || !strcmp(v, "0"))
		return;
	fprintf(stderr, "exitlog: phases");
	for (int k = PH_INPUTS; k < PH_N; k++) {
		if (!record_ph[k])
			continue;
		fprintf(stderr, " %s=%.3f", names[k], (double)(record_ph[k] - prev) / 1e9);
		prev = record_ph[k];
	}
	fprintf(stderr, "\n");
}

/*
 * The disks' initial hashes: a hash the caller gives (--image-sha256) is
 * taken as it is (a GiB costs minutes under nested TCG; a wrong one makes
 * every replay against the real image refuse it); the others are computed
 * all at once, one thread per disk.  0, or -errno with a line in err.
 */
static int record_hash_disks(const struct record_opts *o, const char *const *paths,
			     char (*hashes)[65], char *err, size_t errlen)
{
	const char *todo[BOARD_MAX_DISKS];
	char (*out)[65];
	int map[BOARD_MAX_DISKS], n = 0, bad = 0, rc;

	for (int i = 0; i < o->ndisks; i++) {
		hashes[i][0] = '\0';
		if (!o->disks[i].sha256) {
			map[n] = i;
			todo[n++] = paths[i];
		} else if (snprintf(hashes[i], 65, "%s", o->disks[i].sha256) != 64) {
			snprintf(err, errlen, "%s: %s", paths[i], strerror(EINVAL));
			return -EINVAL;
		}
	}
	if (!n)
		return 0;
	out = calloc((size_t)n, sizeof(*out));
	if (!out) {
		snprintf(err, errlen, "disk hashes: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	rc = sha256_files(todo, n, out, &bad);
	if (rc)
		snprintf(err, errlen, "%s: %s", todo[bad], strerror(-rc));
	for (int k = 0; k < n && !rc; k++)
		memcpy(hashes[map[k]], out[k], sizeof(out[k]));
	free(out);
	return rc;
}

/* Inputs first: nothing is created or opened for writing before they pass. */
static int record_check_inputs(const struct record_opts *o, struct guest_image *g,
			       struct blkraw *disks, struct board_config *cfg,
			       char (*hashes)[65], char *err, size_t errlen)
{
	const char *paths[BOARD_MAX_DISKS];
	struct stat st;
	int rc;

	rc = loader_read(o->guest, g, err, errlen);
	if (rc)
		return rc;
	if (!o->nolog && !o->force && stat(o->out, &st) == 0) {
		snprintf(err, errlen, "%s: already exists (use --force to replace it)", o->out);
		return -EEXIST;
	}
	if (o->mem_mb < 1 || o->mem_mb > 3072) {
		snprintf(err, errlen, "--mem %llu: must be 1..3072 MiB", (unsigned long long)o->mem_mb);
		return -EINVAL;
	}
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_bytes = o->mem_mb << 20;
	cfg->rtc_epoch = (uint64_t)time(NULL);
	for (int i = 0; i < o->ndisks; i++) {
		rc = blkraw_open(&disks[i], o->disks[i].path, true, err, errlen);
		if (rc)
			return rc;
		cfg->disks[i].kind = o->disks[i].kind;
		cfg->disks[i].sectors = disks[i].sectors;
		cfg->ndisks = i + 1;
		paths[i] = o->disks[i].path;
	}
	/* the initial hashes go in the recording only: --no-log skips them */
	return o->nolog ? 0 : record_hash_disks(o, paths, hashes, err, errlen);
}

/*
 * With virtio disks, block requests run on the IO threads (iothread.h) and
 * the recording says so (meta.blk_async = 1: the replay then expects their
 * completions as events).  0, or -errno with a line in err.
 */
static int record_async_start(struct hostlive *hl, struct board *board,
			      const struct board_config *cfg, struct store *st,
			      char *err, size_t errlen)
{
	bool virtio = false;
	int rc;

	/* the modern transport hands requests to the IO threads; a board with
	 * only legacy virtio disks completes them inside the notify, as before
	 * the IO threads existed (flat test guests written for that poll the
	 * status byte right after their notify: t_hostile) */
	for (int i = 0; i < cfg->ndisks; i++)
		virtio |= cfg->disks[i].kind == DISK_VIRTIO_MODERN;
	if (!virtio)
		return 0;
	rc = iothread_create(&hl->io, hl, board, IOTHREAD_WORKERS);
	if (rc) {
		snprintf(err, errlen, "starting the IO threads: %s", strerror(-rc));
		return rc;
	}
	if (st && store_meta_set(st, "blk_async", "1")) {
		snprintf(err, errlen, "cannot write meta.blk_async");
		iothread_destroy(hl->io);
		hl->io = NULL;
		return -EIO;
	}
	return 0;
}

int recorder_run(const struct record_opts *o)
{
	struct blkraw disks[BOARD_MAX_DISKS];
	char hashes[BOARD_MAX_DISKS][65];
	struct board_config cfg;
	struct guest_image g;
	struct run_result res;
	struct hostlive hl;
	struct heartbeat hb;
	struct store *st = NULL;
	struct ktrace *kt = NULL;
	struct board board;
	uint64_t t0;
	struct vm vm;
	char err[512] = "";
	int rc, status = 2, nopen;

	for (int i = 0; i < BOARD_MAX_DISKS; i++)
		disks[i].fd = -1;
	memset(&g, 0, sizeof(g));
	/* Ctrl-C/SIGTERM from now on end the session (at once when it runs,
	 * at its start when they come during the set-up) instead of killing
	 * the process with a half-made recording */
	record_stop = 0;
	record_signals(1);
	memset(&hb, 0, sizeof(hb));
	nopen = 0;
	memset(record_ph, 0, sizeof(record_ph));
	record_phase(PH_START);
	/* --ktrace needs root and tracefs: say so before anything else. */
	rc = o->ktrace ? ktrace_probe(err, sizeof(err)) : 0;
	if (rc)
		goto out_inputs;
	rc = record_check_inputs(o, &g, disks, &cfg, hashes, err, sizeof(err));
	nopen = o->ndisks;
	if (rc)
		goto out_inputs;
	record_phase(PH_INPUTS);  /* the guest read, the disks opened and hashed */
	if (!loader_is_linux(g.kind) && o->cpus > 1) {
		snprintf(err, sizeof(err), "--cpus %d needs a Linux guest (bzImage or vmlinux); %s is a flat real-mode binary (one CPU)",
			 o->cpus, o->guest);
		goto out_inputs;
	}
	if (!loader_is_linux(g.kind) && (o->initrd || o->append)) {
		snprintf(err, sizeof(err), "--initrd/--append need a Linux guest (bzImage or vmlinux); %s is a flat binary",
			 o->guest);
		goto out_inputs;
	}
	if (g.kind == GUEST_VMLINUX) {  /* a bad ELF is refused before KVM is touched */
		uint64_t entry, end;

		rc = vmlinux_check((uint64_t)o->mem_mb << 20, g.data, g.size, VMLINUX_MIN_PADDR,
				   &entry, &end, err, sizeof(err));
		if (rc)
			goto out_inputs;
	}
	/* a paravirtual kvm_pvm /dev/kvm runs flat real-mode guests, but a stock
	 * Linux kernel never gets past its decompressor there (QEMU too) */
	if (loader_is_linux(g.kind) && access("/sys/module/kvm_pvm", F_OK) == 0 &&
	    access("/sys/module/kvm_intel", F_OK) && access("/sys/module/kvm_amd", F_OK))
		fprintf(stderr, "exitlog: warning: /dev/kvm is kvm_pvm (no vmx/svm): a stock Linux "
			"guest hangs there; use a hardware KVM (scripts/with-kvm)\n");
	rc = vm_create(&vm, o->mem_mb << 20, loader_is_linux(g.kind), o->cpus > 0 ? o->cpus : 1,
		       err, sizeof(err));
	if (rc)
		goto out_inputs;
	rc = board_create(&board, &cfg);
	if (rc) {
		snprintf(err, sizeof(err), "building the board: %s", strerror(-rc));
		goto out_vm;
	}
	if (loader_is_linux(g.kind))
		rc = bzimage_load(&vm, &g, o->initrd, o->append, &board, err, sizeof(err));
	else
		rc = loader_load_flat(&vm, &g, err, sizeof(err));
	if (rc)
		goto out_board;
	record_phase(PH_SETUP);   /* VM, board, guest loaded */
	if (!o->nolog) {
		/* every row goes through the vCPUs' and the events' rings */
		const struct store_opts so = { .producers_only = true };

		rc = store_create_opts(&st, o->out, o->force, &so, err, sizeof(err));
		if (rc)
			goto out_board;
		rc = record_meta_start(st, o, &vm, &g, &board, &cfg, hashes);
		if (rc) {
			snprintf(err, sizeof(err), "%s: cannot write the recording's header", o->out);
			goto out_store;
		}
		rc = heartbeat_start(&hb, st);
		if (rc)
			goto out_store;
	}

	hostlive_init(&hl, st, &vm, &board, disks, cfg.ndisks);
	record_vm = &vm;
	rc = record_async_start(&hl, &board, &cfg, st, err, sizeof(err));
	if (rc)
		goto out_store;
	/* stdin is COM1's input (-serial stdio); a terminal goes raw here */
	rc = console_create(&hl.console, STDIN_FILENO, &hl, &board);
	if (rc) {
		snprintf(err, sizeof(err), "console input: %s", strerror(-rc));
		iothread_destroy(hl.io);
		goto out_store;
	}
	t0 = hostlive_clock();
	record_phase(PH_STORE);   /* the database created, its header written */
	if (o->ktrace) {
		/* 0: this thread, and the vCPU threads it starts */
		rc = ktrace_start(&kt, 0, t0, err, sizeof(err));
		if (rc) {
			iothread_destroy(hl.io);
			console_destroy(hl.console);
			record_signals(0);
			record_vm = NULL;
			goto out_store;
		}
	}
	rc = run_loop(&vm, &board, &hl, st, t0, &record_stop, &res);
	record_phase(PH_RUN);     /* the guest ran (and the IO threads drained) */
	record_print_lockstat(&res);
	iothread_destroy(hl.io); /* drained by run_loop */
	hl.io = NULL;
	console_destroy(hl.console); /* the terminal as it was */
	hl.console = NULL;
	heartbeat_stop(&hb);
	ktrace_halt(kt); /* tracefs restored while Ctrl-C is still caught */
	/* The handler stays until the recording is closed: a Ctrl-C during
	 * the finish (images flushed and hashed, end meta, the WAL folded in)
	 * comes after the session ended and is absorbed, instead of killing
	 * the process between its end meta and its close (t_smp_int saw a
	 * guest's reset with exit status 130). */
	record_vm = NULL;
	if (rc) {
		snprintf(err, sizeof(err), "%s: %s", o->out, res.msg);
		goto out_store;
	}
	for (int i = 0; i < cfg.ndisks; i++)
		blkraw_flush(&disks[i]);
	if (st && record_meta_end(st, o, &res, &hl, cfg.ndisks)) {
		snprintf(err, sizeof(err), "%s: cannot finish the recording", o->out);
		goto out_store;
	}
	record_phase(PH_FINISH);  /* images flushed, final hashes, meta */
	if (kt) {
		rc = ktrace_stop(kt, st, err, sizeof(err)); /* st NULL (--no-log): discards */
		kt = NULL;
		if (rc)
			goto out_store;
	}
	status = run_end_clean(res.end) ? 0 : 1;
	if (st) {
		int crc = store_close(st);
		st = NULL;
		if (crc) {
			snprintf(err, sizeof(err), "%s: closing the recording failed", o->out);
			status = 2;
			goto out_board;
		}
	}
	record_phase(PH_CLOSE);   /* the recording closed */
	record_print_phases();
	fprintf(stderr, "exitlog: %s; %llu exits%s%s\n", res.msg,
		(unsigned long long)res.exits, o->nolog ? "" : " recorded in ",
		o->nolog ? " (recording off)" : o->out);
	goto out_board;

out_store:
	heartbeat_stop(&hb);
	ktrace_abort(kt);
	if (st)
		store_close(st);
out_board:
	board_destroy(&board);
out_vm:
	vm_destroy(&vm);
out_inputs:
	record_signals(0);
	for (int i = 0; i < nopen; i++)
		blkraw_close(&disks[i]);
	loader_free(&g);
	if (status == 2 && err[0])
		fprintf(stderr, "exitlog: %s\n", err);
	return status;
}
