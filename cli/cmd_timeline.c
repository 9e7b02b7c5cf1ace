/*
 * cmd_timeline.c - `exitlog timeline DB [--bucket-ms N] [--vcpu N]
 * [--format table|csv|json]`: exits per time bucket per exit reason
 * (analyzer/timeline.c).  Exit 0, or 2 with one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "analyzer/analyzer.h"
#include "cli/cli.h"

static const char usage_text[] =
	"usage: exitlog timeline DB [--bucket-ms N] [--vcpu N] [--format table|csv|json]\n"
	"  --bucket-ms N  bucket width in milliseconds (decimals allowed, >= 0.001);\n"
	"                 default: a 1-2-5 step giving at most 50 buckets\n"
	"  --vcpu N       only exits of vCPU N\n";

int cmd_timeline(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bucket-ms", required_argument, NULL, 'b' },
		{ "vcpu", required_argument, NULL, 'v' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct analyzer_timeline_opts o = { .vcpu = -1 };
	char err[512] = "", *end;
	sqlite3 *db = NULL;
	double ms;
	long v;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:v:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			errno = 0;
			ms = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(ms >= 0.001) || ms > 1e9) {
				fprintf(stderr, "exitlog timeline: bad --bucket-ms '%s' (>= 0.001)\n", optarg);
				return 2;
			}
			o.bucket_ns = (uint64_t)(ms * 1e6 + 0.5);
			break;
		case 'v':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0 || v > INT_MAX) {
				fprintf(stderr, "exitlog timeline: bad --vcpu '%s'\n", optarg);
				return 2;
			}
			o.vcpu = (int)v;
			break;
		case 'f':
			if (analyzer_parse_format(optarg, &o.format)) {
				fprintf(stderr, "exitlog timeline: unknown --format '%s' (table, csv, json)\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "exitlog timeline: bad option '%s' (see 'exitlog timeline --help')\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "exitlog timeline: expected one DB argument (see 'exitlog timeline --help')\n");
		return 2;
	}
	rc = analyzer_open(argv[optind], &db, err, sizeof(err));
	if (!rc)
		rc = analyzer_timeline(db, &o, stdout, err, sizeof(err));
	sqlite3_close(db);
	if (rc) {
		fprintf(stderr, "exitlog timeline: %s\n", err[0] ? err : strerror(-rc));
		return 2;
	}
	return 0;
}
