/*
 * cmd_sql.c - `exitlog sql DB "SELECT ..." [--format table|csv|json]`:
 * run read-only SQL on a recording (analyzer/sql.c).  The schema's views
 * (v_exits, v_pio, v_iopath, ...) are available.  Exit 0, or 2 with one
 * line on stderr (bad database, SQL error, a statement that writes).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "cli/cli.h"

static const char usage_text[] =
	"usage: exitlog sql DB \"SELECT ...\" [--format table|csv|json]\n"
	"  Runs one or more read-only statements; anything that would write\n"
	"  (INSERT, DELETE, CREATE, ATTACH, PRAGMA x=y, ...) is refused before\n"
	"  anything runs.  Views: v_exits, v_pio, v_mmio, v_blk, v_irqs,\n"
	"  v_dev_access, v_iopath, v_iopath_exits, v_iopath_spans.\n"
	"  Use -- before a query that starts with '-'.\n";

int cmd_sql(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum analyzer_format fmt = ANALYZER_TABLE;
	char err[512] = "";
	sqlite3 *db = NULL;
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (analyzer_parse_format(optarg, &fmt)) {
				fprintf(stderr, "exitlog sql: unknown --format '%s' (table, csv, json)\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "exitlog sql: bad option '%s' (see 'exitlog sql --help')\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "exitlog sql: expected DB and one SQL argument (see 'exitlog sql --help')\n");
		return 2;
	}
	rc = analyzer_open(argv[optind], &db, err, sizeof(err));
	if (!rc)
		rc = analyzer_sql(db, argv[optind + 1], fmt, stdout, err, sizeof(err));
	sqlite3_close(db);
	if (rc) {
		fprintf(stderr, "exitlog sql: %s\n", err[0] ? err : strerror(-rc));
		return 2;
	}
	return 0;
}
