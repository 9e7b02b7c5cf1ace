/*
 * cli_common.c - the frame shared by the report subcommands (stat,
 * timeline, iopath): option parsing with the common --format and --help,
 * the one-DB-argument check, opening the recording, running the report and
 * turning a failure into one line on stderr and exit status 2; the warning
 * line for a recording whose recorder was killed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "cli/cli.h"

void cli_warn_incomplete(const char *cmd, store_rdb *db)
{
	char note[256];

	if (store_incomplete_note(db, note, sizeof(note)) == 1)
		fprintf(stderr, "exitlog %s: %s\n", cmd, note);
}

int cli_run_report(const struct cli_report *r, int argc, char **argv)
{
	char err[512] = "";
	store_rdb *db = NULL;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, r->shortopts, r->longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (analyzer_parse_format(optarg, r->format)) {
				fprintf(stderr, "exitlog %s: unknown --format '%s' (table, csv, json)\n",
					r->name, optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(r->usage, stdout);
			return 0;
		default:
			rc = r->option(c, optarg, r->ctx);
			if (rc == -ENOENT) {
				fprintf(stderr, "exitlog %s: bad option '%s' (see 'exitlog %s --help')\n",
					r->name, argv[optind - 1], r->name);
				return 2;
			}
			if (rc)
				return rc;
			break;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "exitlog %s: expected one DB argument (see 'exitlog %s --help')\n",
			r->name, r->name);
		return 2;
	}
	rc = analyzer_open(argv[optind], &db, err, sizeof(err));
	if (!rc)
		cli_warn_incomplete(r->name, db);
	if (!rc)
		rc = r->run(db, r->ctx, stdout, err, sizeof(err));
	store_close_ro(db);
	if (rc) {
		fprintf(stderr, "exitlog %s: %s\n", r->name, err[0] ? err : strerror(-rc));
		return 2;
	}
	return 0;
}
