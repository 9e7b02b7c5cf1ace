/*
 * cli.h - the subcommands of the exitlog binary.  Each takes the arguments
 * after the subcommand name (argv[0] is the subcommand) and returns the
 * process exit status: 0 success, 1 a negative answer (divergence, failed
 * guest), 2 bad input or usage.  Only main() calls exit().
 */
#ifndef EXITLOG_CLI_H
#define EXITLOG_CLI_H

int cmd_record(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_iopath(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_import(int argc, char **argv);

#endif
