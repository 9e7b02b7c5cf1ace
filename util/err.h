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

/* `rc` if it already holds an error, else `next`. */
static inline int err_first(int rc, int next)
{
	return rc ? rc : next;
}

#endif
