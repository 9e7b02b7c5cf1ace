/*
 * progress.h - a progress line on stderr for long loops (replay, import,
 * report, export): "exitlog report: 1.20M/10.0M exits  3.10M/s  ETA 3s".
 * Shown only when stderr is a terminal (EXITLOG_PROGRESS=1 forces it on,
 * =0 off), only after the work has run for half a second, refreshed at
 * most 5 times a second, and erased at the end.  Silent otherwise.
 */
#ifndef EXITLOG_PROGRESS_H
#define EXITLOG_PROGRESS_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct progress {
	const char *what;        /* "exitlog report" */
	const char *unit;        /* "exits" */
	uint64_t total;          /* 0: unknown (no ETA) */
	uint64_t next_check;     /* done count at which to look at the clock again */
	int on, shown;
	FILE *f;
	struct timespec start, last;
};

/* Start: decides whether to show anything (see above). */
void progress_start(struct progress *p, const char *what, const char *unit, uint64_t total);
/* `done` units so far; cheap enough to call once per row. */
void progress_update(struct progress *p, uint64_t done);
/* Erase the line if one was shown. */
void progress_end(struct progress *p);
/* Format the line for done/total after `secs` seconds into buf (for tests). */
const char *progress_format(char *buf, size_t len, const struct progress *p,
			    uint64_t done, double secs);

#endif
