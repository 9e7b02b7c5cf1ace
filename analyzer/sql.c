/*
 * sql.c - `exitlog sql DB "SELECT ..."`: run users' SQL on a recording,
 * read-only.  Three locks: the connection is opened read-only
 * (analyzer_open), an authorizer refuses ATTACH/DETACH and every write
 * action while the statements are prepared, and every statement must pass
 * sqlite3_stmt_readonly() before any of them runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"

struct auth {
	int denied;          /* the first refused action code, 0 if none */
};

/* Allow reads, functions, transactions and read-only pragmas. */
static int authorize(void *ctx, int action, const char *a, const char *b,
		     const char *c, const char *d)
{
	struct auth *au = ctx;

	(void)a;
	(void)c;
	(void)d;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_FUNCTION:
	case SQLITE_RECURSIVE:
	case SQLITE_TRANSACTION:
	case SQLITE_SAVEPOINT:
		return SQLITE_OK;
	case SQLITE_UPDATE:
		/*
		 * SQLite itself asks this while connecting an eponymous virtual
		 * table (pragma_table_info(...)); a user's UPDATE of the schema
		 * table is refused by SQLite, by sqlite3_stmt_readonly() and by
		 * the read-only connection.
		 */
		if (a && (!strcmp(a, "sqlite_master") || !strcmp(a, "sqlite_schema")))
			return SQLITE_OK;
		break;
	case SQLITE_PRAGMA:
		if (!b)            /* PRAGMA name; or PRAGMA name(arg) reads */
			return SQLITE_OK;
		/* table_info(x) and friends take an argument but only read */
		if (!strcmp(a, "table_info") || !strcmp(a, "table_xinfo") ||
		    !strcmp(a, "index_list") || !strcmp(a, "index_info") ||
		    !strcmp(a, "index_xinfo") || !strcmp(a, "foreign_key_list") ||
		    !strcmp(a, "pragma_list") || !strcmp(a, "function_list") ||
		    !strcmp(a, "table_list") || !strcmp(a, "integrity_check") ||
		    !strcmp(a, "quick_check"))
			return SQLITE_OK;
		break;
	default:
		break;
	}
	if (!au->denied)
		au->denied = action;
	return SQLITE_DENY;
}

static const char *action_name(int action)
{
	switch (action) {
	case SQLITE_ATTACH: return "ATTACH";
	case SQLITE_DETACH: return "DETACH";
	case SQLITE_PRAGMA: return "a PRAGMA that sets a value";
	case SQLITE_INSERT: return "INSERT";
	case SQLITE_UPDATE: return "UPDATE";
	case SQLITE_DELETE: return "DELETE";
	default: return "a statement that writes";
	}
}

/* The first line of a statement's text, shortened, for messages. */
static void snippet(const char *sql, char *buf, size_t len)
{
	size_t n = strcspn(sql, "\n");

	while (*sql == ' ' || *sql == '\t') {
		sql++;
		n--;
	}
	if (n > 48)
		snprintf(buf, len, "%.45s...", sql);
	else
		snprintf(buf, len, "%.*s", (int)n, sql);
}

static int print_result(sqlite3 *db, sqlite3_stmt *st, struct analyzer_out *w,
			char *err, size_t errlen)
{
	int n = sqlite3_column_count(st), rc = SQLITE_DONE, ret;
	struct analyzer_col *cols = calloc(n, sizeof(*cols));

	if (!cols)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		cols[i].key = sqlite3_column_name(st, i);
		cols[i].head = cols[i].key;
	}
	ret = analyzer_out_columns(w, cols, n);
	free(cols);
	while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			analyzer_out_value(w, st, i);
		ret = analyzer_out_row(w);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = analyzer_err(err, errlen, -EINVAL, "%s", sqlite3_errmsg(db));
	if (!ret)
		ret = analyzer_out_end(w);
	return ret;
}

int analyzer_sql(sqlite3 *db, const char *sql, enum analyzer_format fmt,
		 FILE *out, char *err, size_t errlen)
{
	struct auth au = { 0 };
	sqlite3_stmt **sts = NULL;
	struct analyzer_out *w = NULL;
	size_t n = 0, cap = 0;
	const char *p = sql;
	char what[64];
	int ret = 0, rc;

	sqlite3_set_authorizer(db, authorize, &au);
	while (p && *p) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;

		rc = sqlite3_prepare_v2(db, p, -1, &st, &tail);
		if (rc != SQLITE_OK) {
			snippet(p, what, sizeof(what));
			if (au.denied)
				ret = analyzer_err(err, errlen, -EPERM,
						   "statement %zu is not read-only (%s): %s",
						   n + 1, action_name(au.denied), what);
			else
				ret = analyzer_err(err, errlen, -EINVAL, "statement %zu: %s",
						   n + 1, sqlite3_errmsg(db));
			goto out;
		}
		if (st && !sqlite3_stmt_readonly(st)) {
			snippet(p, what, sizeof(what));
			sqlite3_finalize(st);
			ret = analyzer_err(err, errlen, -EPERM,
					   "statement %zu is not read-only: %s", n + 1, what);
			goto out;
		}
		p = tail;
		if (!st)                    /* whitespace or a comment */
			continue;
		if (n == cap) {
			size_t c = cap ? 2 * cap : 8;
			sqlite3_stmt **m = realloc(sts, c * sizeof(*m));

			if (!m) {
				sqlite3_finalize(st);
				ret = -ENOMEM;
				goto out;
			}
			sts = m;
			cap = c;
		}
		sts[n++] = st;
	}
	if (!n) {
		ret = analyzer_err(err, errlen, -EINVAL, "no SQL statement given");
		goto out;
	}
	ret = analyzer_out_new(&w, out, fmt, true);
	for (size_t i = 0; !ret && i < n; i++) {
		if (sqlite3_column_count(sts[i])) {
			ret = print_result(db, sts[i], w, err, errlen);
			continue;
		}
		rc = sqlite3_step(sts[i]);
		while (rc == SQLITE_ROW)
			rc = sqlite3_step(sts[i]);
		if (rc != SQLITE_DONE)
			ret = analyzer_err(err, errlen, -EINVAL, "statement %zu: %s", i + 1,
					   sqlite3_errmsg(db));
	}
out:
	for (size_t i = 0; i < n; i++)
		sqlite3_finalize(sts[i]);
	free(sts);
	analyzer_out_free(w);
	sqlite3_set_authorizer(db, NULL, NULL);
	return ret;
}
