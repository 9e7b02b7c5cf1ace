/*
 * cmd_export_fuzz.c - the --fuzz-seed mode of `exitlog export`: a recorded
 * session becomes seed inputs for the fuzz targets (analyzer/fuzzseed.h,
 * tests/fuzz/README.md).
 */
#include <stdio.h>
#include <string.h>

#include "analyzer/fuzzseed.h"
#include "cli/cli.h"
#include "store/store.h"

/* PREFIX of the seed names: the DB's file name without directories and
 * extension, other characters than [A-Za-z0-9_-] as '_'. */
static void export_fuzz_prefix(const char *db, char *out, size_t len)
{
	const char *b = strrchr(db, '/');
	size_t n = 0;

	b = b ? b + 1 : db;
	for (; *b && *b != '.' && n + 1 < len; b++, n++) {
		char ch = *b;

		out[n] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			 (ch >= '0' && ch <= '9') || ch == '-' ? ch : '_';
	}
	if (!n)
		out[n++] = 's';
	out[n] = 0;
}

int cli_export_fuzz_seed(const char *db_path, const char *dir)
{
	char err[512] = "", prefix[64];
	sqlite3 *db = NULL;
	int rc;

	rc = store_open_ro(db_path, &db, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "exitlog: export: %s\n", err);
		return 2;
	}
	export_fuzz_prefix(db_path, prefix, sizeof(prefix));
	rc = fuzzseed_write(db, prefix, dir, err, sizeof(err));
	sqlite3_close(db);
	if (rc < 0) {
		fprintf(stderr, "exitlog: export: %s\n", err[0] ? err : strerror(-rc));
		return 2;
	}
	fprintf(stderr, "exitlog: export: %d fuzz seeds in %s\n", rc, dir);
	return 0;
}
