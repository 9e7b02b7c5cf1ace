/*
 * cmd_replay.c - `exitlog replay`: parse the command line into replay_opts
 * and run the replayer (replayer/replay.h).  The report goes to stdout,
 * errors to stderr; exit 0 clean, 1 divergence, 2 bad input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "replayer/replay.h"

static void replay_usage(FILE *f)
{
	fprintf(f,
		"usage: exitlog replay DB [--disk IMG]... [--until SEQ] [--device NAME]\n"
		"                         [--verbose] [--vcpu N] [--keep-going] [-o OUT.db]\n"
		"\n"
		"Re-drive the device models from the recording DB and compare every answer,\n"
		"block request, DMA and IRQ with the log.  Disk images are opened read-only;\n"
		"writes go to a copy-on-write overlay.\n"
		"\n"
		"  --disk IMG      image of disk 0, 1, ... in order (default: disks.path);\n"
		"                  must hash to the recording's initial image hash\n"
		"  --until SEQ     stop after exit SEQ (break in replay_exit_hook for gdb)\n"
		"  --device NAME   feed only the exits of device NAME (e.g. ata0)\n"
		"  --verbose       one line per exit, and the guest's console output\n"
		"  --vcpu N        --verbose with the lines of vCPU N's exits only (all\n"
		"                  exits are still fed, in seq order)\n"
		"  --keep-going    report every divergence, not only the first\n"
		"  -o OUT.db       write the replayed session as a new recording\n"
		"\n"
		"Exit status: 0 clean, 1 divergence, 2 bad input.\n");
}

static int replay_parse_seq(const char *s, uint64_t *out)
{
	int64_t v;
	int rc = cli_parse_int(s, 0, 1, INT64_MAX, &v);

	if (!rc)
		*out = (uint64_t)v;
	return rc;
}

int cmd_replay(int argc, char **argv)
{
	struct replay_opts o;

	memset(&o, 0, sizeof(o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			replay_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			o.verbose = true;
		} else if (!strcmp(a, "--keep-going") || !strcmp(a, "-k")) {
			o.keep_going = true;
		} else if (!strcmp(a, "--disk") || !strcmp(a, "--until") ||
			   !strcmp(a, "--device") || !strcmp(a, "--vcpu") || !strcmp(a, "-o")) {
			if (!v) {
				fprintf(stderr, "exitlog: replay: %s needs a value\n", a);
				return 2;
			}
			i++;
			if (!strcmp(a, "--disk")) {
				if (o.ndisks >= BOARD_MAX_DISKS) {
					fprintf(stderr, "exitlog: replay: at most %d --disk\n",
						BOARD_MAX_DISKS);
					return 2;
				}
				o.disks[o.ndisks++] = v;
			} else if (!strcmp(a, "--until")) {
				if (replay_parse_seq(v, &o.until)) {
					fprintf(stderr, "exitlog: replay: --until %s: not a seq (1..)\n", v);
					return 2;
				}
			} else if (!strcmp(a, "--device")) {
				o.device = v;
			} else if (!strcmp(a, "--vcpu")) {
				int64_t n;

				if (cli_parse_int(v, 10, 0, 7, &n)) {
					fprintf(stderr, "exitlog: replay: --vcpu %s: not a vCPU index (0..7)\n", v);
					return 2;
				}
				o.one_vcpu = o.verbose = true;
				o.vcpu = (uint32_t)n;
			} else {
				o.out_db = v;
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "exitlog: replay: unknown option %s (see --help)\n", a);
			return 2;
		} else if (!o.db) {
			o.db = a;
		} else {
			fprintf(stderr, "exitlog: replay: one recording at a time (%s)\n", a);
			return 2;
		}
	}
	if (!o.db) {
		replay_usage(stderr);
		return 2;
	}
	return replay_run(&o, stdout);
}
