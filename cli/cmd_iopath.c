/*
 * cmd_iopath.c - `exitlog iopath DB [--request ID] [--summary]
 * [--format table|csv|json]`: the exits behind every block request
 * (analyzer/iopath.c).  Exit 0, or 2 with one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "analyzer/analyzer.h"
#include "cli/cli.h"

static const char usage_text[] =
	"usage: exitlog iopath DB [--request ID] [--summary] [--format table|csv|json]\n"
	"  Per block request: the exits attributed to it (setup, command, data,\n"
	"  status, ...), IRQs, and the time in guest, exit handling, device model\n"
	"  and block backend; then per device exits per request and per KiB.\n"
	"  --request ID  the whole chain of one request, exit by exit\n"
	"  --summary     only the per-device summary (csv/json print requests\n"
	"                unless --summary is given)\n"
	"\nExit status: 0 if OK, 2 on bad usage or an unreadable recording.\n";

static int iopath_option(int c, const char *arg, void *ctx)
{
	struct analyzer_iopath_opts *o = ctx;
	int64_t v;

	switch (c) {
	case 'r':
		if (cli_parse_int(arg, 10, 1, INT64_MAX, &v)) {
			fprintf(stderr, "exitlog iopath: bad --request '%s'\n", arg);
			return 2;
		}
		o->request = v;
		return 0;
	case 's':
		o->summary = true;
		return 0;
	default:
		return -ENOENT;
	}
}

static int iopath_run(store_rdb *db, void *ctx, FILE *out, char *err, size_t errlen)
{
	return analyzer_iopath(db, ctx, out, err, errlen);
}

int cmd_iopath(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "request", required_argument, NULL, 'r' },
		{ "summary", no_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct analyzer_iopath_opts o = { 0 };
	const struct cli_report r = {
		.name = "iopath", .usage = usage_text,
		.shortopts = "r:sf:h", .longopts = opts,
		.format = &o.format, .option = iopath_option, .run = iopath_run, .ctx = &o,
	};

	return cli_run_report(&r, argc, argv);
}
