/*
 * err.h - the project's error convention in one place.
 *
 * Functions return 0 or -errno.  When a caller makes several calls and
 * reports once, the first error wins: `rc = err_first(rc, call())` keeps
 * the first -errno (OR-ing -errno values would mix them into a number that
 * means nothing).  The caller adds its context ("<file>: cannot write the
 * recording's header") when it turns the error into its one line.
 */
#ifndef EXITLOG_UTIL_ERR_H
#define EXITLOG_UTIL_ERR_H

#include <stdarg.h>
#include <stddef.h>

/* Format one line into err[errlen] (newlines folded to spaces); nothing
 * when err is NULL or errlen 0.  The one formatter behind store_seterr()
 * and analyzer_err(). */
void err_vformat(char *err, size_t errlen, const char *fmt, va_list ap);

/* `rc` if it already holds an error, else `next`. */
static inline int err_first(int rc, int next)
{
	return rc ? rc : next;
}

#endif
