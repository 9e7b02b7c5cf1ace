/*
 * db.c - the analyzer's database plumbing: open a recording read-only with
 * the schema's views available (as TEMP views when the file predates
 * them), decide whether the summary tables can be trusted, prepare the
 * named queries of schema/queries/, read result columns by name, and
 * parse the option values the commands share.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"
#include "util/err.h"
#include "store/embedded.h"
#include "store/store.h"

int analyzer_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vformat(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

static int parse(const char *s, const char *const *names, int n, int *out)
{
	for (int i = 0; i < n; i++)
		if (names[i] && !strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

int analyzer_parse_format(const char *s, enum analyzer_format *out)
{
	static const char *const n[] = { "table", "csv", "json" };
	int v, rc = parse(s, n, 3, &v);

	if (!rc)
		*out = (enum analyzer_format)v;
	return rc;
}

int analyzer_parse_event(const char *s, enum analyzer_event *out)
{
	static const char *const n[] = { "exit", "ioport", "mmio", "blk", "device", "kernel" };
	int v, rc = parse(s, n, 6, &v);

	if (rc && !strcmp(s, "vmexit")) {
		v = ANALYZER_EV_EXIT;
		rc = 0;
	}
	if (!rc)
		*out = (enum analyzer_event)v;
	return rc;
}

int analyzer_parse_key(const char *s, enum analyzer_key *out)
{
	if (!strcmp(s, "count") || !strcmp(s, "sample")) {
		*out = ANALYZER_KEY_COUNT;
		return 0;
	}
	if (!strcmp(s, "time")) {
		*out = ANALYZER_KEY_TIME;
		return 0;
	}
	return -EINVAL;
}

int analyzer_parse_source(const char *s, enum analyzer_source *out)
{
	static const char *const n[] = { "auto", "summary", "raw" };
	int v, rc = parse(s, n, 3, &v);

	if (!rc)
		*out = (enum analyzer_source)v;
	return rc;
}

/* 1 if `name` is a view or table in main or temp, 0 if not, -EIO. */
static int have_object(sqlite3 *db, const char *name, size_t len)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db,
			       "SELECT 1 FROM sqlite_schema WHERE name = ?1 UNION ALL "
			       "SELECT 1 FROM sqlite_temp_schema WHERE name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

int analyzer_views_ensure(sqlite3 *db, char *err, size_t errlen)
{
	static const char kw[] = "CREATE VIEW ";
	const char *schema = embedded_get("schema/exitlog.sql");
	const char *p;
	char *sql = NULL;
	int ret = 0;

	if (!schema)
		return analyzer_err(err, errlen, -ENOENT, "schema/exitlog.sql is not embedded");
	for (p = schema; (p = strstr(p, kw)); p += sizeof(kw) - 1) {
		const char *name = p + sizeof(kw) - 1;
		size_t nlen = strcspn(name, " \t\n(");
		sqlite3_stmt *st = NULL;
		int rc;

		if (p != schema && p[-1] != '\n')
			continue;
		rc = have_object(db, name, nlen);
		if (rc < 0) {
			ret = analyzer_err(err, errlen, -EIO, "%s", sqlite3_errmsg(db));
			goto out;
		}
		if (rc)
			continue;
		free(sql);
		sql = malloc(strlen(name) + 32);
		if (!sql) {
			ret = -ENOMEM;
			goto out;
		}
		strcpy(sql, "CREATE TEMP VIEW ");
		strcat(sql, name);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_DONE) {
			ret = analyzer_err(err, errlen, -EIO, "creating view %.*s: %s",
					   (int)nlen, name, sqlite3_errmsg(db));
			sqlite3_finalize(st);
			goto out;
		}
		sqlite3_finalize(st);
	}
out:
	free(sql);
	return ret;
}

int analyzer_open(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	int rc = store_open_ro(path, db, err, errlen);

	if (rc)
		return rc;
	rc = analyzer_views_ensure(*db, err, errlen);
	if (rc) {
		sqlite3_close(*db);
		*db = NULL;
	}
	return rc;
}

int analyzer_summary_fresh(sqlite3 *db)
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN"
		"        ('sum_exits', 'sum_pio', 'sum_mmio', 'sum_info')) = 4";
	static const char fresh[] =
		"SELECT (SELECT count(*) FROM sum_info WHERE key = 'exits_max_seq') = 1"
		" AND (SELECT value FROM sum_info WHERE key = 'exits_max_seq') IS (SELECT max(seq) FROM exits)"
		" AND (SELECT value FROM sum_info WHERE key = 'pio_max_seq') IS (SELECT max(seq) FROM pio)"
		" AND (SELECT value FROM sum_info WHERE key = 'mmio_max_seq') IS (SELECT max(seq) FROM mmio)";
	sqlite3_stmt *st = NULL;
	int ret = -EIO;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto out;
	if (!sqlite3_column_int(st, 0)) {
		ret = 0;
		goto out;
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, fresh, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto out;
	ret = sqlite3_column_int(st, 0) ? 1 : 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int analyzer_query(sqlite3 *db, const char *name, sqlite3_stmt **st,
		   char *err, size_t errlen)
{
	char path[128];
	const char *sql, *tail = NULL;

	snprintf(path, sizeof(path), "schema/queries/%s.sql", name);
	sql = embedded_get(path);
	if (!sql)
		return analyzer_err(err, errlen, -ENOENT, "%s is not embedded", path);
	if (sqlite3_prepare_v2(db, sql, -1, st, &tail) != SQLITE_OK) {
		*st = NULL;
		return analyzer_err(err, errlen, -EINVAL, "%s: %s", path, sqlite3_errmsg(db));
	}
	return 0;
}

void analyzer_bind(sqlite3_stmt *st, const char *param, int64_t v, bool is_null)
{
	int i = sqlite3_bind_parameter_index(st, param);

	if (!i)
		return;
	if (is_null)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

int analyzer_column(sqlite3_stmt *st, const char *name)
{
	int n = sqlite3_column_count(st);

	for (int i = 0; i < n; i++)
		if (!strcmp(sqlite3_column_name(st, i), name))
			return i;
	return -1;
}

int64_t analyzer_col_int(sqlite3_stmt *st, const char *name)
{
	int i = analyzer_column(st, name);

	return i < 0 ? 0 : sqlite3_column_int64(st, i);
}

double analyzer_col_real(sqlite3_stmt *st, const char *name)
{
	int i = analyzer_column(st, name);

	return i < 0 ? 0 : sqlite3_column_double(st, i);
}

const char *analyzer_col_text(sqlite3_stmt *st, const char *name)
{
	int i = analyzer_column(st, name);

	return i < 0 ? NULL : (const char *)sqlite3_column_text(st, i);
}

int analyzer_step_err(sqlite3 *db, char *err, size_t errlen)
{
	int code = sqlite3_errcode(db);

	return analyzer_err(err, errlen, code == SQLITE_NOMEM ? -ENOMEM : -EIO,
			    "%s", sqlite3_errmsg(db));
}

void analyzer_perf_header(FILE *f, const char *what, int vcpu)
{
	if (vcpu < 0)
		fprintf(f, "Analyze %s for all VMs, all VCPUs:\n\n", what);
	else
		fprintf(f, "Analyze %s for all VMs, VCPU %d:\n\n", what, vcpu);
}
