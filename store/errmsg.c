/*
 * errmsg.c - the one-line error messages of the store and recorder: format
 * into the caller's err buffer and fold the newlines an SQLite or libtrace
 * message may carry.
 */
#include <stdarg.h>
#include <stdio.h>

#include "util/err.h"

#include "store/store.h"

void store_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vformat(err, errlen, fmt, ap); /* one line, even for SQLite's messages */
	va_end(ap);
}
