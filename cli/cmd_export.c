/*
 * cmd_export.c - `exitlog export`: a recording in another form.  This
 * branch has only the --fuzz-seed form (cmd_export_fuzz.c); other forms
 * (--perfetto) are added next to it.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void export_usage(FILE *f)
{
	fprintf(f,
		"usage: exitlog export --fuzz-seed DB -o DIR\n"
		"\n"
		"  --fuzz-seed DB  write the port-IO accesses of every device of recording DB\n"
		"                  (and the guest memory virtio-blk read) as seed inputs for the\n"
		"                  fuzz targets: DIR/TARGET/NAME-N (tests/fuzz/README.md)\n"
		"  -o DIR          output directory (created; existing files are kept)\n"
		"\n"
		"Exit status: 0 done, 2 bad input.\n");
}

int cmd_export(int argc, char **argv)
{
	const char *seed_db = NULL, *out = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			export_usage(stdout);
			return 0;
		}
		if (strcmp(a, "--fuzz-seed") && strcmp(a, "-o")) {
			fprintf(stderr, "exitlog: export: unknown argument '%s' (see --help)\n", a);
			return 2;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "exitlog: export: %s needs a value\n", a);
			return 2;
		}
		if (!strcmp(a, "-o"))
			out = argv[++i];
		else
			seed_db = argv[++i];
	}
	if (!seed_db || !out) {
		fprintf(stderr, "exitlog: export: needs --fuzz-seed DB and -o DIR (see --help)\n");
		return 2;
	}
	return cli_export_fuzz_seed(seed_db, out);
}
