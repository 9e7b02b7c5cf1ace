/*
 * cli_output.h - `-o FILE` for the commands that write files (report,
 * plot, export): write into FILE.tmp.PID next to FILE and rename it over
 * FILE only when everything was written, so a failed run never leaves a
 * half file or clobbers the old one.  "-" or no -o means stdout.
 */
#ifndef EXITLOG_CLI_OUTPUT_H
#define EXITLOG_CLI_OUTPUT_H

#include <stdio.h>

#include "store/store.h"

struct cli_output {
	const char *path;   /* NULL or "-": stdout */
	char tmp[4096];
	FILE *f;
};

/* Open the output.  0, or -errno with a line on stderr (prefixed by cmd). */
int cli_output_open(struct cli_output *o, const char *cmd, const char *path);
/* ok: flush, close and rename into place (0 or -errno, message printed);
 * !ok: remove the temporary file.  Returns 0 when !ok. */
int cli_output_close(struct cli_output *o, const char *cmd, int ok);

/* What a writing command draws from an open recording into f: 0, or -errno
 * with a line in err. */
typedef int (*cli_write_fn)(store_rdb *db, void *ctx, FILE *f, char *err, size_t errlen);

/*
 * The whole life of a writing command (report, plot, export): open the
 * recording DB read-only, open the output (`path`, or stdout when NULL),
 * call fn, close both; a failed write leaves no partial file.  Returns the
 * exit status: 0, or 2 with one line on stderr prefixed "exitlog <cmd>: ".
 */
int cli_write_from_db(const char *cmd, const char *db_path, const char *path,
		      cli_write_fn fn, void *ctx);

#endif
