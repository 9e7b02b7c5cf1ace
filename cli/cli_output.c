/*
 * cli_output.c - the atomic `-o FILE` of report, plot and export (see
 * cli_output.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/analyzer.h"
#include "cli/cli.h"
#include "cli/cli_output.h"

int cli_output_open(struct cli_output *o, const char *cmd, const char *path)
{
	o->path = path && strcmp(path, "-") ? path : NULL;
	o->f = stdout;
	if (!o->path)
		return 0;
	if ((size_t)snprintf(o->tmp, sizeof(o->tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(o->tmp)) {
		fprintf(stderr, "exitlog %s: output path too long\n", cmd);
		return -ENAMETOOLONG;
	}
	o->f = fopen(o->tmp, "w");
	if (!o->f) {
		int e = errno;

		fprintf(stderr, "exitlog %s: cannot write '%s': %s\n", cmd, path, strerror(e));
		return -e;
	}
	return 0;
}

int cli_output_close(struct cli_output *o, const char *cmd, int ok)
{
	int e = 0;

	if (!o->path) {
		if (ok && (fflush(stdout) || ferror(stdout))) {
			fprintf(stderr, "exitlog %s: cannot write to stdout\n", cmd);
			return -EIO;
		}
		return 0;
	}
	if (fflush(o->f) || ferror(o->f))
		e = errno ? errno : EIO;
	if (fclose(o->f) && !e)
		e = errno ? errno : EIO;
	if (ok && !e && rename(o->tmp, o->path))
		e = errno;
	if (!ok || e)
		unlink(o->tmp);
	if (ok && e) {
		fprintf(stderr, "exitlog %s: cannot write '%s': %s\n", cmd, o->path, strerror(e));
		return -e;
	}
	return 0;
}

int cli_write_from_db(const char *cmd, const char *db_path, const char *path,
		      cli_write_fn fn, void *ctx)
{
	struct cli_output out;
	char err[512] = "";
	store_rdb *db = NULL;
	int rc;

	rc = analyzer_open(db_path, &db, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "exitlog %s: %s\n", cmd, err);
		return 2;
	}
	cli_warn_incomplete(cmd, db);
	if (cli_output_open(&out, cmd, path)) {
		store_close_ro(db);
		return 2;
	}
	rc = fn(db, ctx, out.f, err, sizeof(err));
	store_close_ro(db);
	if (rc)
		fprintf(stderr, "exitlog %s: %s\n", cmd, err[0] ? err : strerror(-rc));
	if (cli_output_close(&out, cmd, !rc) || rc)
		return 2;
	return 0;
}
