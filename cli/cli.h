/*
 * cli.h - the subcommands of the exitlog binary.  Each takes the arguments
 * after the subcommand name (argv[0] is the subcommand) and returns the
 * process exit status: 0 success, 1 a negative answer (divergence, failed
 * guest), 2 bad input or usage.  Only main() calls exit().
 */
#ifndef EXITLOG_CLI_H
#define EXITLOG_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "analyzer/analyzer.h"
#include "store/store.h"

struct option;

int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_iopath(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_export(int argc, char **argv);

/*
 * `exitlog export --fuzz-seed DB -o DIR` (cmd_export_fuzz.c): the seeds of
 * recording `db` into `dir`.  Returns the exit status: 0, or 2 with one line
 * on stderr.
 */
int cli_export_fuzz_seed(const char *db, const char *dir);

/* A report subcommand (stat, timeline, iopath) for cli_run_report(). */
struct cli_report {
	const char *name;                /* subcommand, for messages */
	const char *usage;               /* --help text (stdout) */
	const char *shortopts;           /* getopt_long() option strings; */
	const struct option *longopts;   /* 'f' is --format, 'h' is --help */
	enum analyzer_format *format;    /* set by --format */
	/*
	 * Any other option c with its argument arg: 0 taken, -ENOENT not an
	 * option of this subcommand, else the exit status to return (the
	 * message is printed).
	 */
	int (*option)(int c, const char *arg, void *ctx);
	/* The report on the opened DB; 0 or -errno with err set (or empty). */
	int (*run)(store_rdb *db, void *ctx, FILE *out, char *err, size_t errlen);
	void *ctx;                       /* the subcommand's options */
};

/*
 * Parse the options of argv (argv[0] is the subcommand; --format and
 * --help are handled here, the others by r->option), require exactly one DB
 * argument, open it read-only and run r->run to stdout.  Returns the exit
 * status: 0 (also after --help), or 2 with one line on stderr.
 */
int cli_run_report(const struct cli_report *r, int argc, char **argv);

/*
 * Print "exitlog CMD: warning: recording is incomplete ...; using the N
 * exits it holds" on stderr when db's recorder never closed it
 * (store_incomplete()); nothing for a complete recording.
 */
void cli_warn_incomplete(const char *cmd, store_rdb *db);

/*
 * The one number parser of the command line: all of `s` is an integer in
 * `base` (10, or 0 for 0x.. hex too) within [min, max].  0 with *out set,
 * -EINVAL for something that is not a number (empty, junk after it,
 * overflow), -ERANGE for a number outside [min, max].  The caller prints
 * its one-line error naming the option.
 */
int cli_parse_int(const char *s, int base, int64_t min, int64_t max, int64_t *out);

#endif
