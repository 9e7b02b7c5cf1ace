/*
 * cmd_stat.c - `exitlog stat DB [--event exit|ioport|mmio|blk|device]
 * [--vcpu N] [--key count|time] [--format table|csv|json] [--top N]
 * [--skip-zero] [--source auto|summary|raw]`: the perf-kvm-stat style
 * reports of analyzer/stat.c.  Exit 0, or 2 with one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyzer/analyzer.h"
#include "cli/cli.h"

static const char usage_text[] =
	"usage: exitlog stat DB [--event exit|ioport|mmio|blk|device|kernel] [--vcpu N]\n"
	"                       [--key count|time] [--format table|csv|json] [--top N]\n"
	"                       [--skip-zero] [--source auto|summary|raw]\n"
	"  --event      exit (default; alias vmexit): per exit reason; ioport: per port and\n"
	"               direction; mmio: per address and direction; blk: block requests per\n"
	"               device and op; device: per device model; kernel: kernel-handled\n"
	"               exits by hardware reason (record --ktrace or import)\n"
	"  --vcpu N     only exits of vCPU N\n"
	"  --key        sort by sample count (default) or by time\n"
	"  --top N      only the first N rows\n"
	"  --skip-zero  drop rows without samples\n"
	"  --source     summary tables (schema/summary.sql) or raw tables; auto (default)\n"
	"               uses the summary when it covers every exit\n"
	"\nExit status: 0 if OK, 2 on bad usage or an unreadable recording.\n";

static int parse_long(const char *s, long min, long *out)
{
	int64_t v;
	int rc = cli_parse_int(s, 10, min, LONG_MAX, &v);

	if (!rc)
		*out = (long)v;
	return rc;
}

static int stat_option(int c, const char *arg, void *ctx)
{
	struct analyzer_stat_opts *o = ctx;
	long v;

	switch (c) {
	case 'e':
		if (analyzer_parse_event(arg, &o->event)) {
			fprintf(stderr, "exitlog stat: unknown --event '%s' (exit, ioport, mmio, blk, device, kernel)\n", arg);
			return 2;
		}
		return 0;
	case 'v':
		if (parse_long(arg, 0, &v) || v > INT_MAX) {
			fprintf(stderr, "exitlog stat: bad --vcpu '%s'\n", arg);
			return 2;
		}
		o->vcpu = (int)v;
		return 0;
	case 'k':
		if (analyzer_parse_key(arg, &o->key)) {
			fprintf(stderr, "exitlog stat: unknown --key '%s' (count, time)\n", arg);
			return 2;
		}
		return 0;
	case 't':
		if (parse_long(arg, 1, &o->top)) {
			fprintf(stderr, "exitlog stat: bad --top '%s'\n", arg);
			return 2;
		}
		return 0;
	case 'z':
		o->skip_zero = true;
		return 0;
	case 's':
		if (analyzer_parse_source(arg, &o->source)) {
			fprintf(stderr, "exitlog stat: unknown --source '%s' (auto, summary, raw)\n", arg);
			return 2;
		}
		return 0;
	default:
		return -ENOENT;
	}
}

static int stat_run(store_rdb *db, void *ctx, FILE *out, char *err, size_t errlen)
{
	return analyzer_stat(db, ctx, out, err, errlen);
}

int cmd_stat(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "event", required_argument, NULL, 'e' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "key", required_argument, NULL, 'k' },
		{ "format", required_argument, NULL, 'f' },
		{ "top", required_argument, NULL, 't' },
		{ "skip-zero", no_argument, NULL, 'z' },
		{ "source", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct analyzer_stat_opts o = { .vcpu = -1 };
	const struct cli_report r = {
		.name = "stat", .usage = usage_text,
		.shortopts = "e:v:k:f:t:zs:h", .longopts = opts,
		.format = &o.format, .option = stat_option, .run = stat_run, .ctx = &o,
	};

	return cli_run_report(&r, argc, argv);
}
