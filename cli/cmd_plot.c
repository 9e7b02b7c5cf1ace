/*
 * cmd_plot.c - `exitlog plot DB --what CHART [-o FILE.svg]`: one chart of
 * the report as a standalone SVG file.  Exit 0, or 2 with one line on stderr.
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
	"Usage: exitlog plot [OPTION]... DB\n"
	"Draw one chart of the recording DB as an SVG file.\n"
	"\n"
	"  -w, --what=CHART    latency   exit handling time per reason (log2 buckets)\n"
	"                      timeline  exits over time, per reason\n"
	"                      vcpus     exits over time, per vCPU\n"
	"                      ports     the busiest IO ports and MMIO addresses\n"
	"                      reasons   exits and handling time per reason\n"
	"                      blk       IO path of the slowest block requests\n"
	"                      disks     exits per KiB of block IO, per disk\n"
	"  -o, --output=FILE   write to FILE (default: standard output)\n"
	"  -h, --help          display this help and exit\n"
	"\n"
	"Exit status: 0 if OK, 2 on bad usage or an unreadable recording.\n";

static int plot_write(store_rdb *db, void *ctx, FILE *f, char *err, size_t errlen)
{
	return analyzer_plot(db, *(enum analyzer_plot *)ctx, f, err, errlen);
}

int cmd_plot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "what", required_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum analyzer_plot what = ANALYZER_PLOT_LATENCY;
	const char *path = NULL;
	int c, have_what = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "w:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (analyzer_parse_plot(optarg, &what)) {
				fprintf(stderr, "exitlog plot: unknown --what '%s' (latency, timeline, vcpus, "
					"ports, reasons, blk, disks)\n", optarg);
				return 2;
			}
			have_what = 1;
			break;
		case 'o':
			path = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "exitlog plot: bad option '%s' (see 'exitlog plot --help')\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 1 || !have_what) {
		fprintf(stderr, "exitlog plot: expected --what CHART and one DB argument "
			"(see 'exitlog plot --help')\n");
		return 2;
	}
	return cli_write_from_db("plot", argv[optind], path, plot_write, &what);
}
