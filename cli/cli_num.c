/*
 * cli_num.c - the one number parser of the command line (see cli.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "cli/cli.h"

int cli_parse_int(const char *s, int base, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, base);
	if (errno || end == s || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
