/*
 * cmd_report.c - `exitlog report DB [-o FILE.html]`: the self-contained
 * HTML report of analyzer/report.c.  Exit 0, or 2 with one line on stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "store/store.h"
#include "analyzer/report.h"
#include "cli/cli.h"
#include "cli/cli_output.h"

static const char usage_text[] =
	"Usage: exitlog report [OPTION]... DB\n"
	"Write a self-contained HTML report of the recording DB: exits by reason,\n"
	"the busiest ports and MMIO registers, latency histograms, timelines, the IO\n"
	"path of the slowest block requests, and the recording's meta.\n"
	"\n"
	"  -o, --output=FILE   write to FILE (default: standard output)\n"
	"  -h, --help          display this help and exit\n"
	"\n"
	"The page has inline SVG and CSS only: no script, no network access.\n"
	"Exit status: 0 if OK, 2 on bad usage or an unreadable recording.\n";

static int report_write(store_rdb *db, void *ctx, FILE *f, char *err, size_t errlen)
{
	const char *db_path = ctx, *name = strrchr(db_path, '/');

	return analyzer_report(db, name ? name + 1 : db_path, f, err, errlen);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			path = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "exitlog report: bad option '%s' (see 'exitlog report --help')\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "exitlog report: expected one DB argument (see 'exitlog report --help')\n");
		return 2;
	}
	return cli_write_from_db("report", argv[optind], path, report_write, argv[optind]);
}
