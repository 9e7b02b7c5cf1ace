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
#include <string.h>
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
	"               uses the summary when it covers every exit\n";

static int parse_long(const char *s, long min, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min)
		return -EINVAL;
	*out = v;
	return 0;
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
	char err[512] = "";
	sqlite3 *db = NULL;
	long v;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "e:v:k:f:t:zs:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (analyzer_parse_event(optarg, &o.event)) {
				fprintf(stderr, "exitlog stat: unknown --event '%s' (exit, ioport, mmio, blk, device, kernel)\n", optarg);
				return 2;
			}
			break;
		case 'v':
			if (parse_long(optarg, 0, &v) || v > INT_MAX) {
				fprintf(stderr, "exitlog stat: bad --vcpu '%s'\n", optarg);
				return 2;
			}
			o.vcpu = (int)v;
			break;
		case 'k':
			if (analyzer_parse_key(optarg, &o.key)) {
				fprintf(stderr, "exitlog stat: unknown --key '%s' (count, time)\n", optarg);
				return 2;
			}
			break;
		case 'f':
			if (analyzer_parse_format(optarg, &o.format)) {
				fprintf(stderr, "exitlog stat: unknown --format '%s' (table, csv, json)\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (parse_long(optarg, 1, &o.top)) {
				fprintf(stderr, "exitlog stat: bad --top '%s'\n", optarg);
				return 2;
			}
			break;
		case 'z':
			o.skip_zero = true;
			break;
		case 's':
			if (analyzer_parse_source(optarg, &o.source)) {
				fprintf(stderr, "exitlog stat: unknown --source '%s' (auto, summary, raw)\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "exitlog stat: bad option '%s' (see 'exitlog stat --help')\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "exitlog stat: expected one DB argument (see 'exitlog stat --help')\n");
		return 2;
	}
	rc = analyzer_open(argv[optind], &db, err, sizeof(err));
	if (!rc)
		rc = analyzer_stat(db, &o, stdout, err, sizeof(err));
	sqlite3_close(db);
	if (rc) {
		fprintf(stderr, "exitlog stat: %s\n", err[0] ? err : strerror(-rc));
		return 2;
	}
	return 0;
}
