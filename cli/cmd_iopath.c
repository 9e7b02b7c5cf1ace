/*
 * cmd_iopath.c - `exitlog iopath DB [--request ID] [--summary]
 * [--format table|csv|json]`: the exits behind every block request
 * (analyzer/iopath.c).  Exit 0, or 2 with one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
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
	"                unless --summary is given)\n";

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
	char err[512] = "", *end;
	sqlite3 *db = NULL;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "r:sf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			errno = 0;
			o.request = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || o.request < 1) {
				fprintf(stderr, "exitlog iopath: bad --request '%s'\n", optarg);
				return 2;
			}
			break;
		case 's':
			o.summary = true;
			break;
		case 'f':
			if (analyzer_parse_format(optarg, &o.format)) {
				fprintf(stderr, "exitlog iopath: unknown --format '%s' (table, csv, json)\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "exitlog iopath: bad option '%s' (see 'exitlog iopath --help')\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "exitlog iopath: expected one DB argument (see 'exitlog iopath --help')\n");
		return 2;
	}
	rc = analyzer_open(argv[optind], &db, err, sizeof(err));
	if (!rc)
		rc = analyzer_iopath(db, &o, stdout, err, sizeof(err));
	sqlite3_close(db);
	if (rc) {
		fprintf(stderr, "exitlog iopath: %s\n", err[0] ? err : strerror(-rc));
		return 2;
	}
	return 0;
}
