/*
 * cmd_timeline.c - `exitlog timeline DB [--bucket-ms N] [--vcpu N]
 * [--by-vcpu] [--format table|csv|json]`: exits per time bucket per exit reason
 * (analyzer/timeline.c).  Exit 0, or 2 with one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyzer/analyzer.h"
#include "cli/cli.h"

static const char usage_text[] =
	"usage: exitlog timeline DB [--bucket-ms N] [--vcpu N] [--by-vcpu]\n"
	"                           [--format table|csv|json]\n"
	"  --bucket-ms N  bucket width in milliseconds (decimals allowed, >= 0.001);\n"
	"                 default: a 1-2-5 step giving at most 50 buckets\n"
	"  --vcpu N       only exits of vCPU N\n"
	"  --by-vcpu      a column per vCPU instead of per exit reason\n"
	"\nExit status: 0 if OK, 2 on bad usage or an unreadable recording.\n";

static int timeline_option(int c, const char *arg, void *ctx)
{
	struct analyzer_timeline_opts *o = ctx;
	char *end;
	double ms;
	int64_t v;

	switch (c) {
	case 'b':
		errno = 0;
		ms = strtod(arg, &end);
		if (errno || end == arg || *end || !(ms >= 0.001) || ms > 1e9) {
			fprintf(stderr, "exitlog timeline: bad --bucket-ms '%s' (>= 0.001)\n", arg);
			return 2;
		}
		o->bucket_ns = (uint64_t)(ms * 1e6 + 0.5);
		return 0;
	case 'V':
		o->by_vcpu = true;
		return 0;
	case 'v':
		if (cli_parse_int(arg, 10, 0, INT_MAX, &v)) {
			fprintf(stderr, "exitlog timeline: bad --vcpu '%s'\n", arg);
			return 2;
		}
		o->vcpu = (int)v;
		return 0;
	default:
		return -ENOENT;
	}
}

static int timeline_run(store_rdb *db, void *ctx, FILE *out, char *err, size_t errlen)
{
	return analyzer_timeline(db, ctx, out, err, errlen);
}

int cmd_timeline(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bucket-ms", required_argument, NULL, 'b' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "by-vcpu", no_argument, NULL, 'V' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct analyzer_timeline_opts o = { .vcpu = -1 };
	const struct cli_report r = {
		.name = "timeline", .usage = usage_text,
		.shortopts = "b:v:Vf:h", .longopts = opts,
		.format = &o.format, .option = timeline_option, .run = timeline_run, .ctx = &o,
	};

	return cli_run_report(&r, argc, argv);
}
