/*
 * cmd_import.c - `exitlog import TRACE.dat [-o DB] [--force]`: read a
 * trace-cmd file of kvm events (`trace-cmd record -e kvm ...`, from any
 * host and any VMM: QEMU, Firecracker, ...) with libtracecmd and write a
 * database of the exitlog schema holding the kernel side only:
 * kernel_exits and the side tables of schema/ktrace.sql (the same decoder
 * as `record --ktrace`, recorder/ktrace.c), t_ns measured from the first
 * kvm event.  exits/pio/... stay empty.  Only the trace's top-level buffer
 * is read.  Every input check (file present, a trace.dat, kvm events in
 * it) comes before the database is created.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "analyzer/progress.h"
#include "cli/cli.h"
#include "ktrace/ktrace.h"
#include "util/sha256.h"
#include "store/store.h"

static const char import_usage[] =
	"usage: exitlog import TRACE.dat [-o DB] [--force]\n"
	"\n"
	"Import a trace-cmd recording of kvm events (trace-cmd record -e kvm ...)\n"
	"into the database DB: kernel_exits (with the kernel's reason names),\n"
	"kernel_entries, kernel_pio, kernel_mmio, kernel_msr, kernel_cpuid and\n"
	"kernel_events, so the kernel-side reports work for any VMM.\n"
	"\n"
	"  -o, --output DB      database to create (default exitlog.db)\n"
	"  -f, --force          replace DB if it exists\n"
	"\n"
	"Exit status: 0 imported; 2 bad input (missing file, not a trace.dat,\n"
	"no kvm events) or a failure writing DB.\n";

static const struct option import_longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct import_ctx {
	struct ktrace_log *log;
	int rc;
	struct progress pg;     /* analyzer/progress.h: on a terminal only */
	uint64_t n;
};

static int import_record(struct tracecmd_input *h, struct tep_record *rec, int cpu, void *data)
{
	struct import_ctx *c = data;

	(void)h;
	(void)cpu;
	c->rc = ktrace_log_add(c->log, rec);
	progress_update(&c->pg, ++c->n);
	return c->rc ? -1 : 0;
}

/* trace-cmd files start with 0x17 0x08 0x44 "tracing". */
static int import_check_magic(const char *path)
{
	static const char magic[10] = { 0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g' };
	char buf[10];
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f)
		return -errno;
	rc = fread(buf, 1, sizeof(buf), f) == sizeof(buf) && !memcmp(buf, magic, sizeof(buf))
		? 0 : -EINVAL;
	fclose(f);
	return rc;
}

static int import_meta(struct store *st, const char *path, const struct ktrace_log_stats *ls)
{
	char when[32], hex[65];
	struct stat sb;
	struct tm tm;
	int rc;

	rc = store_meta_set(st, "tool_version", EXITLOG_VERSION);
	if (!rc)
		rc = store_meta_set(st, "source", "trace-cmd");
	if (!rc)
		rc = store_meta_set(st, "import_path", path);
	if (!rc)
		rc = store_meta_set(st, "guest", path);
	if (!rc)
		rc = store_meta_set(st, "guest_kind", "trace-cmd");
	if (!rc && sha256_file(path, hex) == 0)
		rc = store_meta_set(st, "guest_sha256", hex);
	if (!rc && stat(path, &sb) == 0 && gmtime_r(&sb.st_mtime, &tm)) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		rc = store_meta_set(st, "started_at", when);
	}
	if (!rc)
		rc = store_meta_setf(st, "vcpus", "%" PRIu64, ls->vcpus);
	if (!rc)
		rc = store_meta_set(st, "exit_count", "0");
	if (!rc)
		rc = ktrace_log_meta(st, ls, ls->missed);
	if (!rc)
		rc = store_meta_setf(st, "ktrace.missed_unknown", "%" PRIu64, ls->missed_unknown);
	if (!rc)
		rc = store_meta_setf(st, "ktrace.skipped_events", "%" PRIu64, ls->skipped);
	return rc;
}

static void import_unlink(const char *db)
{
	char p[4096];

	unlink(db);
	snprintf(p, sizeof(p), "%s-wal", db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", db);
	unlink(p);
}

int cmd_import(int argc, char **argv)
{
	struct ktrace_log_stats ls;
	struct tracecmd_input *h = NULL;
	struct import_ctx ctx = { 0 };
	struct store *st = NULL;
	const char *out = "exitlog.db", *path;
	char err[512] = "";
	bool force = false;
	int c, rc, status = 2;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:fh", import_longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			fputs(import_usage, stdout);
			return 0;
		default:
			fputs(import_usage, stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "exitlog import: expected one TRACE.dat (see 'exitlog import --help')\n");
		return 2;
	}
	path = argv[optind];

	rc = import_check_magic(path);
	if (rc == -EINVAL) {
		snprintf(err, sizeof(err), "%s: not a trace-cmd trace.dat file", path);
		goto out;
	} else if (rc) {
		snprintf(err, sizeof(err), "%s: %s", path, strerror(-rc));
		goto out;
	}
	if (!force) {
		struct stat sb;
		if (stat(out, &sb) == 0) {
			snprintf(err, sizeof(err), "%s: already exists (use --force to replace it)", out);
			goto out;
		}
	}
	tracecmd_set_loglevel(TEP_LOG_NONE);
	h = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!h) {
		snprintf(err, sizeof(err), "%s: cannot read this trace.dat (damaged or unsupported version)",
			 path);
		goto out;
	}
	rc = ktrace_log_new(&ctx.log, tracecmd_get_tep(h));
	if (rc) {
		snprintf(err, sizeof(err), "out of memory");
		goto out;
	}
	progress_start(&ctx.pg, "exitlog import", "events", 0);
	rc = tracecmd_iterate_events(h, NULL, 0, import_record, &ctx);
	progress_end(&ctx.pg);
	if (rc < 0 || ctx.rc) {
		snprintf(err, sizeof(err), "%s: %s", path,
			 ctx.rc ? strerror(-ctx.rc) : "cannot read the trace data");
		goto out;
	}
	ktrace_log_stats(ctx.log, &ls);
	if (!ls.exits) {
		snprintf(err, sizeof(err), "%s: no kvm:kvm_exit events (record with 'trace-cmd record -e kvm')",
			 path);
		goto out;
	}

	rc = store_create(&st, out, force, err, sizeof(err));
	if (rc)
		goto out;
	rc = ktrace_log_write(ctx.log, st, ls.first_ts, err, sizeof(err));
	ktrace_log_stats(ctx.log, &ls); /* now with vcpus */
	if (!rc && import_meta(st, path, &ls)) {
		snprintf(err, sizeof(err), "%s: cannot write meta", out);
		rc = -EIO;
	}
	if (store_close(st) && !rc) {
		snprintf(err, sizeof(err), "%s: closing the database failed", out);
		rc = -EIO;
	}
	st = NULL;
	if (rc) {
		import_unlink(out);     /* no half-written database left behind */
		goto out;
	}
	status = 0;
	fprintf(stderr, "exitlog: imported %" PRIu64 " kvm events (%" PRIu64 " exits) from %s into %s\n",
		ls.events, ls.exits, path, out);
	if (ls.missed || ls.missed_unknown)
		fprintf(stderr, "exitlog: the trace reports lost events (%" PRIu64 " counted, %" PRIu64
			" pages with an unknown count): see meta ktrace.lost_events\n",
			ls.missed, ls.missed_unknown);
out:
	if (st)
		store_close(st);
	ktrace_log_free(ctx.log);
	if (h)
		tracecmd_close(h);
	if (status == 2 && err[0])
		fprintf(stderr, "exitlog: import: %s\n", err);
	return status;
}
