/*
 * err.c - the one formatter of the project's one-line error messages (see
 * err.h): store_seterr(), analyzer_err() and the CLI's messages all go
 * through err_vformat(), so every message is a single line whatever the
 * text it quotes (an SQLite message, a file name) holds.
 */
#include <stdio.h>

#include "util/err.h"

void err_vformat(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (!err || !errlen)
		return;
	vsnprintf(err, errlen, fmt, ap);
	for (char *p = err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}
