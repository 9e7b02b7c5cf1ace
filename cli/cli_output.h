/*
 * cli_output.h - `-o FILE` for the commands that write files (report,
 * plot, export): write into FILE.tmp.PID next to FILE and rename it over
 * FILE only when everything was written, so a failed run never leaves a
 * half file or clobbers the old one.  "-" or no -o means stdout.
 */
#ifndef EXITLOG_CLI_OUTPUT_H
#define EXITLOG_CLI_OUTPUT_H

#include <stdio.h>

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

#endif
