/*
 * errmsg.c - the one-line error messages of the store and recorder: format
 * into the caller's err buffer and fold the newlines an SQLite or libtrace
 * message may carry.
 */
#include <stdarg.h>
#include <stdio.h>

#include "store/store.h"

void store_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* one line: fold any newline an SQLite message might carry */
	for (char *p = err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}
