/*
 * progress.c - the rate-and-ETA line on stderr (see progress.h).  Only the
 * caller's loop calls it; it reads the monotonic clock every 4096 units.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/progress.h"

static double since(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

static const char *human(char *b, size_t len, double v)
{
	if (v < 1e4)
		snprintf(b, len, "%.0f", v);
	else if (v < 1e6)
		snprintf(b, len, "%.1fk", v / 1e3);
	else if (v < 1e9)
		snprintf(b, len, "%.2fM", v / 1e6);
	else
		snprintf(b, len, "%.2fG", v / 1e9);
	return b;
}

void progress_start(struct progress *p, const char *what, const char *unit, uint64_t total)
{
	const char *env = getenv("EXITLOG_PROGRESS");

	memset(p, 0, sizeof(*p));
	p->what = what;
	p->unit = unit;
	p->total = total;
	p->f = stderr;
	p->on = env && *env ? strcmp(env, "0") != 0 : isatty(STDERR_FILENO);
	p->next_check = 4096;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

const char *progress_format(char *buf, size_t len, const struct progress *p,
			    uint64_t done, double secs)
{
	char a[16], b[16], r[16], eta[32] = "";
	double rate = secs > 0 ? done / secs : 0;

	if (p->total && rate > 0 && done <= p->total) {
		double left = (p->total - done) / rate;

		if (left < 60)
			snprintf(eta, sizeof(eta), "  ETA %.0fs", left);
		else
			snprintf(eta, sizeof(eta), "  ETA %.0fm%02.0fs", (double)(int)(left / 60),
				 left - 60 * (int)(left / 60));
	}
	if (p->total)
		snprintf(buf, len, "%s: %s/%s %s  %s/s%s", p->what, human(a, sizeof(a), done),
			 human(b, sizeof(b), p->total), p->unit, human(r, sizeof(r), rate), eta);
	else
		snprintf(buf, len, "%s: %s %s  %s/s", p->what, human(a, sizeof(a), done),
			 p->unit, human(r, sizeof(r), rate));
	return buf;
}

void progress_update(struct progress *p, uint64_t done)
{
	struct timespec now;
	char line[160];

	if (!p->on || done < p->next_check)
		return;
	p->next_check = done + 4096;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&p->start, &now) < 0.5 || (p->shown && since(&p->last, &now) < 0.2))
		return;
	p->last = now;
	p->shown = 1;
	fprintf(p->f, "\r%s\033[K", progress_format(line, sizeof(line), p, done,
						    since(&p->start, &now)));
	fflush(p->f);
}

void progress_end(struct progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", p->f);
		fflush(p->f);
	}
	p->shown = 0;
	p->on = 0;
}
