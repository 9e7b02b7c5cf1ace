/*
 * cmd_export.c - `exitlog export DB --perfetto [-o trace.json] [--from P]
 * [--to P]`: the recording as Chrome trace-event JSON for ui.perfetto.dev
 * (analyzer/perfetto.c); `exitlog export --fuzz-seed DB -o DIR`: its device
 * accesses as fuzzer seed inputs (cmd_export_fuzz.c).  Exit 0, or 2 with
 * one line on stderr.
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
	"Usage: exitlog export --perfetto [OPTION]... DB\n"
	"  or:  exitlog export --fuzz-seed DB -o DIR\n"
	"Export the recording DB as Chrome trace-event JSON, the format that\n"
	"ui.perfetto.dev and chrome://tracing open: a track per vCPU with a slice per\n"
	"exit, a track per disk with its block requests, IRQs as instant events.\n"
	"\n"
	"      --perfetto      the trace-event JSON format\n"
	"      --fuzz-seed     the port-IO accesses of every device of DB (and the guest\n"
	"                      memory virtio-blk read) as seed inputs for the fuzz\n"
	"                      targets: DIR/TARGET/NAME-N (tests/fuzz/README.md); -o DIR\n"
	"                      is required, existing files are kept\n"
	"  -o, --output=FILE   write to FILE (default: standard output)\n"
	"      --from=POINT    start at POINT: an exit seq (1200) or a time since the\n"
	"                      start of the recording with a unit (250us, 1.5ms, 2s)\n"
	"      --to=POINT      end at POINT (inclusive), same syntax\n"
	"  -h, --help          display this help and exit\n"
	"\n"
	"Exit status: 0 if OK, 2 on bad usage or an unreadable recording.\n";

static int perfetto_write(store_rdb *db, void *ctx, FILE *f, char *err, size_t errlen)
{
	return analyzer_export_perfetto(db, ctx, f, NULL, err, errlen);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "perfetto", no_argument, NULL, 'p' },
		{ "fuzz-seed", no_argument, NULL, 'z' },
		{ "output", required_argument, NULL, 'o' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct analyzer_window w = { -1, -1, -1, -1 };
	const char *path = NULL;
	int c, perfetto = 0, fuzz = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			perfetto = 1;
			break;
		case 'z':
			fuzz = 1;
			break;
		case 'o':
			path = optarg;
			break;
		case 'F':
		case 'T':
			if (analyzer_parse_point(optarg, c == 'F' ? &w.from_seq : &w.to_seq,
						 c == 'F' ? &w.from_ns : &w.to_ns)) {
				fprintf(stderr, "exitlog export: bad --%s '%s' (a seq, or a time such as "
					"250us, 1.5ms, 2s)\n", c == 'F' ? "from" : "to", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "exitlog export: bad option '%s' (see 'exitlog export --help')\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (perfetto + fuzz != 1) {
		fprintf(stderr, "exitlog export: say which format: --perfetto or --fuzz-seed (see 'exitlog export --help')\n");
		return 2;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "exitlog export: expected one DB argument (see 'exitlog export --help')\n");
		return 2;
	}
	if (fuzz) {
		if (!path) {
			fprintf(stderr, "exitlog export: --fuzz-seed needs -o DIR (see 'exitlog export --help')\n");
			return 2;
		}
		return cli_export_fuzz_seed(argv[optind], path);
	}
	return cli_write_from_db("export", argv[optind], path, perfetto_write, &w);
}
