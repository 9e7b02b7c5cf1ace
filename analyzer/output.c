/*
 * output.c - the analyzer's one writer for result sets: an aligned table
 * (buffered until the set ends, numbers right-aligned), CSV (RFC 4180
 * quoting, header row, numbers unformatted, NULL as NULL) or JSON (an array
 * of objects, one per line, numbers as numbers, null).  Blobs are
 * lowercase hex everywhere.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/internal.h"

struct cell {
	char *text;   /* the table's rendering; NULL for SQL NULL */
	bool numeric; /* int or real: right-aligned */
};

struct analyzer_out {
	FILE *f;
	enum analyzer_format fmt;
	bool rule;
	const char *null_text;  /* table rendering of NULL */
	int err;
	struct analyzer_col *cols;
	int ncols, col;        /* columns; next cell's column */
	int nshown;            /* cells of this row written (csv/json) */
	int64_t nrows;
	struct cell *cells;    /* table: nrows * ncols */
	size_t cap;
	bool sets;             /* a result set was printed before (json, csv) */
};

int analyzer_out_new(struct analyzer_out **out, FILE *f, enum analyzer_format fmt,
		     bool rule)
{
	struct analyzer_out *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	o->f = f;
	o->fmt = fmt;
	o->rule = rule;
	o->null_text = "NULL";
	*out = o;
	return 0;
}

static bool shown(const struct analyzer_out *o, int col)
{
	unsigned fl = o->cols[col].flags;

	if (o->fmt == ANALYZER_TABLE)
		return !(fl & ANALYZER_COL_MACHINE);
	return !(fl & ANALYZER_COL_TABLE);
}

static void free_cells(struct analyzer_out *o)
{
	for (size_t i = 0; i < o->cap; i++)
		free(o->cells[i].text);
	free(o->cells);
	o->cells = NULL;
	o->cap = 0;
}

static void free_cols(struct analyzer_out *o)
{
	for (int i = 0; i < o->ncols; i++) {
		free((char *)o->cols[i].key);
		free((char *)o->cols[i].head);
	}
	free(o->cols);
	o->cols = NULL;
	o->ncols = 0;
}

int analyzer_out_columns(struct analyzer_out *o, const struct analyzer_col *cols,
			 int ncols)
{
	free_cells(o);
	free_cols(o);
	o->nrows = 0;
	o->col = 0;
	o->nshown = 0;
	o->cols = calloc(ncols ? ncols : 1, sizeof(*o->cols));
	if (!o->cols)
		return o->err = -ENOMEM;
	o->ncols = ncols;
	for (int i = 0; i < ncols; i++) {
		o->cols[i].key = strdup(cols[i].key);
		o->cols[i].head = strdup(cols[i].head ? cols[i].head : cols[i].key);
		o->cols[i].flags = cols[i].flags;
		if (!o->cols[i].key || !o->cols[i].head)
			return o->err = -ENOMEM;
	}
	if (o->fmt == ANALYZER_CSV) {
		int n = 0;

		if (o->sets)
			fputc('\n', o->f);
		for (int i = 0; i < ncols; i++) {
			if (!shown(o, i))
				continue;
			fprintf(o->f, "%s%s", n++ ? "," : "", o->cols[i].key);
		}
		fputc('\n', o->f);
	} else if (o->fmt == ANALYZER_JSON) {
		fputs("[", o->f);
	}
	return o->err;
}

static void csv_text(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void json_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/*
 * Emit one cell.  `raw` is the csv/json rendering of a number (NULL for
 * text); `text` is the table rendering (and the text value).
 */
static void put(struct analyzer_out *o, const char *raw, const char *text, bool is_null)
{
	int c = o->col++;

	if (o->err || c >= o->ncols) {
		if (!o->err)
			o->err = -EINVAL;
		return;
	}
	if (!shown(o, c))
		return;
	if (o->fmt == ANALYZER_TABLE) {
		size_t need = (size_t)(o->nrows + 1) * o->ncols;

		if (need > o->cap) {
			size_t cap = o->cap ? o->cap * 2 : 64 * (size_t)o->ncols;
			struct cell *n;

			while (cap < need)
				cap *= 2;
			n = realloc(o->cells, cap * sizeof(*n));
			if (!n) {
				o->err = -ENOMEM;
				return;
			}
			memset(n + o->cap, 0, (cap - o->cap) * sizeof(*n));
			o->cells = n;
			o->cap = cap;
		}
		struct cell *cl = &o->cells[(size_t)o->nrows * o->ncols + c];
		cl->numeric = raw != NULL;
		cl->text = is_null ? NULL : strdup(text);
		if (!is_null && !cl->text)
			o->err = -ENOMEM;
		return;
	}
	if (o->fmt == ANALYZER_CSV) {
		if (o->nshown++)
			fputc(',', o->f);
		if (is_null)
			fputs("NULL", o->f);
		else if (raw)
			fputs(raw, o->f);
		else
			csv_text(o->f, text);
		return;
	}
	fputs(o->nshown++ ? ", " : (o->nrows ? ",\n{" : "\n{"), o->f);
	json_text(o->f, o->cols[c].key);
	fputs(": ", o->f);
	if (is_null)
		fputs("null", o->f);
	else if (raw)
		fputs(raw, o->f);
	else
		json_text(o->f, text);
}

void analyzer_out_int(struct analyzer_out *o, int64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRId64, v);
	put(o, b, b, false);
}

void analyzer_out_real(struct analyzer_out *o, double v, const char *tfmt)
{
	char raw[40], t[64];

	if (!isfinite(v)) {
		put(o, NULL, NULL, true);
		return;
	}
	snprintf(raw, sizeof(raw), "%.15g", v);
	snprintf(t, sizeof(t), tfmt ? tfmt : "%.2f", v);
	put(o, raw, t, false);
}

void analyzer_out_text(struct analyzer_out *o, const char *s)
{
	put(o, NULL, s, s == NULL);
}

void analyzer_out_textf(struct analyzer_out *o, const char *fmt, ...)
{
	char b[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	put(o, NULL, b, false);
}

void analyzer_out_null(struct analyzer_out *o)
{
	put(o, NULL, NULL, true);
}

void analyzer_out_blob(struct analyzer_out *o, const void *p, int n)
{
	char *h = malloc(2 * (size_t)(n > 0 ? n : 0) + 1);

	if (!h) {
		o->err = -ENOMEM;
		o->col++;
		return;
	}
	for (int i = 0; i < n; i++)
		sprintf(h + 2 * i, "%02x", ((const unsigned char *)p)[i]);
	h[2 * (n > 0 ? n : 0)] = 0;
	put(o, NULL, h, false);
	free(h);
}

void analyzer_out_value(struct analyzer_out *o, sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		analyzer_out_int(o, sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT:
		analyzer_out_real(o, sqlite3_column_double(st, i), "%g");
		break;
	case SQLITE_BLOB:
		analyzer_out_blob(o, sqlite3_column_blob(st, i), sqlite3_column_bytes(st, i));
		break;
	case SQLITE_NULL:
		analyzer_out_null(o);
		break;
	default:
		analyzer_out_text(o, (const char *)sqlite3_column_text(st, i));
	}
}

int analyzer_out_row(struct analyzer_out *o)
{
	if (!o->err && o->col != o->ncols)
		o->err = -EINVAL;
	if (o->fmt == ANALYZER_CSV)
		fputc('\n', o->f);
	else if (o->fmt == ANALYZER_JSON)
		fputc('}', o->f);
	o->nrows++;
	o->col = 0;
	o->nshown = 0;
	return o->err;
}

/* Print the buffered table: header, blank line or dashes, rows. */
static void print_table(struct analyzer_out *o)
{
	size_t *w = calloc(o->ncols, sizeof(*w));
	bool *right = calloc(o->ncols, sizeof(*right));
	int last = -1;

	if (!w || !right) {
		o->err = -ENOMEM;
		goto out;
	}
	for (int c = 0; c < o->ncols; c++) {
		bool any_text = false, any_num = false;

		if (!shown(o, c))
			continue;
		last = c;
		w[c] = strlen(o->cols[c].head);
		for (int64_t r = 0; r < o->nrows; r++) {
			struct cell *cl = &o->cells[r * o->ncols + c];
			size_t l = strlen(cl->text ? cl->text : o->null_text);

			if (l > w[c])
				w[c] = l;
			if (cl->text && cl->numeric)
				any_num = true;
			else if (cl->text)
				any_text = true;
		}
		right[c] = (any_num && !any_text) || (o->cols[c].flags & ANALYZER_COL_RIGHT);
	}
	for (int64_t r = -1; r < o->nrows; r++) {
		bool first = true;

		for (int c = 0; c < o->ncols; c++) {
			const char *s;

			if (!shown(o, c))
				continue;
			s = r < 0 ? o->cols[c].head : o->cells[r * o->ncols + c].text;
			if (!s)
				s = o->null_text;
			fputs(first ? "" : "  ", o->f);
			first = false;
			if (right[c])
				fprintf(o->f, "%*s", (int)w[c], s);
			else if (c == last)
				fputs(s, o->f);
			else
				fprintf(o->f, "%-*s", (int)w[c], s);
		}
		fputc('\n', o->f);
		if (r >= 0 || !o->rule) {
			if (r < 0)
				fputc('\n', o->f);
			continue;
		}
		first = true;
		for (int c = 0; c < o->ncols; c++) {
			if (!shown(o, c))
				continue;
			fputs(first ? "" : "  ", o->f);
			first = false;
			for (size_t i = 0; i < w[c]; i++)
				fputc('-', o->f);
		}
		fputc('\n', o->f);
	}
out:
	free(w);
	free(right);
}

int analyzer_out_end(struct analyzer_out *o)
{
	if (o->fmt == ANALYZER_TABLE) {
		if (!o->err)
			print_table(o);
	} else if (o->fmt == ANALYZER_JSON) {
		fputs(o->nrows ? "\n]\n" : "]\n", o->f);
	}
	o->sets = true;
	free_cells(o);
	o->nrows = 0;
	if (!o->err && (fflush(o->f) || ferror(o->f)))
		o->err = -EIO;
	return o->err;
}

void analyzer_out_null_text(struct analyzer_out *o, const char *s)
{
	o->null_text = s;
}

void analyzer_out_free(struct analyzer_out *o)
{
	if (!o)
		return;
	free_cells(o);
	free_cols(o);
	free(o);
}
