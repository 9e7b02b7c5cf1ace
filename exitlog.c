/*
 * exitlog.c - main(): dispatch to a subcommand by name, like perf and
 * trace-cmd.  The subcommands live in cli/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{ "record",   cmd_record,   "run a guest under KVM and log every exit into a database" },
	{ "replay",   cmd_replay,   "re-drive the device models from a recording; report the first divergence" },
	{ "stat",     cmd_stat,     "perf-kvm-stat style reports: exits, ioport, mmio, blk, device" },
	{ "iopath",   cmd_iopath,   "the chain of exits behind every block request" },
	{ "timeline", cmd_timeline, "exits per time bucket per reason" },
	{ "sql",      cmd_sql,      "run a read-only SQL query on a recording" },
	{ "import",   cmd_import,   "import a trace-cmd trace.dat of kvm events into a database" },
	{ "report",   cmd_report,   "write a self-contained HTML report with charts" },
	{ "plot",     cmd_plot,     "draw one chart of the report as an SVG file" },
	{ "export",   cmd_export,   "export: Chrome trace-event JSON (--perfetto), fuzzer seeds (--fuzz-seed)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: exitlog [--version] [--help] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-9s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(f, "\n'exitlog COMMAND --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("exitlog %s\n", EXITLOG_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "exitlog: '%s' is not a command (see 'exitlog --help')\n", argv[1]);
	return 2;
}
