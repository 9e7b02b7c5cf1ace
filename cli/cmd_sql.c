/*
 * cmd_sql.c - `exitlog sql DB "SELECT ..." [--format table|csv|json]`:
 * run read-only SQL on a recording (analyzer/sql.c).  The schema's views
 * (v_exits, v_pio, v_iopath, ...) are available.  Exit 0, or 2 with one
 * line on stderr (bad database, SQL error, a statement that writes).
 */
#include <errno.h>
#include <stdbool.h>
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
	"  A query may start with a -- comment; use -- to end the options.\n"
	"\nExit status: 0 if OK, 2 on bad usage or an unreadable recording.\n";

/*
 * Options are parsed by hand, not with getopt: a query often starts with
 * "-- comment", which getopt would take for an option.  An argument is an
 * option only if it is one of ours or looks like one (a single word
 * starting with '-'); "--" ends the options.
 */
int cmd_sql(int argc, char **argv)
{
	enum analyzer_format fmt = ANALYZER_TABLE;
	const char *pos[2] = { NULL, NULL };
	char err[512] = "";
	store_rdb *db = NULL;
	bool opts = true;
	int npos = 0, rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (opts && !strcmp(a, "--")) {
			opts = false;
			continue;
		}
		if (opts && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (opts && (!strcmp(a, "--format") || !strcmp(a, "-f"))) {
			if (++i == argc) {
				fprintf(stderr, "exitlog sql: %s needs a value\n", a);
				return 2;
			}
			v = argv[i];
		} else if (opts && !strncmp(a, "--format=", 9)) {
			v = a + 9;
		} else if (opts && a[0] == '-' && a[1] && !strpbrk(a, " \t\n")) {
			fprintf(stderr, "exitlog sql: bad option '%s' (see 'exitlog sql --help')\n", a);
			return 2;
		} else {
			if (npos == 2) {
				fprintf(stderr, "exitlog sql: expected DB and one SQL argument "
					"(see 'exitlog sql --help')\n");
				return 2;
			}
			pos[npos++] = a;
			continue;
		}
		if (analyzer_parse_format(v, &fmt)) {
			fprintf(stderr, "exitlog sql: unknown --format '%s' (table, csv, json)\n", v);
			return 2;
		}
	}
	if (npos != 2) {
		fprintf(stderr, "exitlog sql: expected DB and one SQL argument (see 'exitlog sql --help')\n");
		return 2;
	}
	rc = analyzer_open(pos[0], &db, err, sizeof(err));
	if (!rc)
		rc = analyzer_sql(db, pos[1], fmt, stdout, err, sizeof(err));
	store_close_ro(db);
	if (rc) {
		fprintf(stderr, "exitlog sql: %s\n", err[0] ? err : strerror(-rc));
		return 2;
	}
	return 0;
}
