/*
 * svg.c - escaping and SVG primitives for the report and the plots (see
 * svg.h).  Numbers are printed with at most two decimals so the files stay
 * small and diff well.
 */
#include <stdarg.h>
#include <string.h>

#include "analyzer/svg.h"

void svg_escape(FILE *f, const char *s)
{
	if (!s)
		return;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		case '\n': case '\t': fputc(*p, f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fputs("\xef\xbf\xbd", f);
			else
				fputc(*p, f);
		}
	}
}

void svg_escapef(FILE *f, const char *fmt, ...)
{
	char b[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	svg_escape(f, b);
}

void svg_json_string(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else if (*p == '<')     /* harmless in JSON, safe if ever inlined in HTML */
			fputs("\\u003c", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void svg_open(FILE *f, int w, int h, const char *title, int standalone)
{
	if (standalone)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" font-family=\"sans-serif\">\n", w, h, w, h);
	fputs("<title>", f);
	svg_escape(f, title);
	fputs("</title>\n", f);
	if (standalone)
		fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", w, h);
}

void svg_close(FILE *f)
{
	fputs("</svg>\n", f);
}

void svg_rect(FILE *f, double x, double y, double w, double h, const char *fill,
	      const char *tip)
{
	fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"",
		x, y, w > 0 ? w : 0, h > 0 ? h : 0, fill);
	if (!tip) {
		fputs("/>\n", f);
		return;
	}
	fputs("><title>", f);
	svg_escape(f, tip);
	fputs("</title></rect>\n", f);
}

void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
	      double width)
{
	fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
		"stroke-width=\"%.2f\"/>\n", x1, y1, x2, y2, stroke, width);
}

void svg_text(FILE *f, double x, double y, const char *anchor, int size, const char *s)
{
	fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" font-size=\"%d\" "
		"fill=\"#222\">", x, y, anchor, size);
	svg_escape(f, s);
	fputs("</text>\n", f);
}

void svg_textf(FILE *f, double x, double y, const char *anchor, int size,
	       const char *fmt, ...)
{
	char b[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	svg_text(f, x, y, anchor, size, b);
}

const char *svg_color(int i)
{
	static const char *const pal[] = {
		"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
		"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
	};

	if (i < 0)
		i = -i;
	return pal[i % 10];
}

double svg_step(double max, int n)
{
	static const double m[] = { 1, 2, 5 };
	double scale = 1e-9;

	if (!(max > 0) || n < 1)
		return 1;
	for (;;) {
		for (int i = 0; i < 3; i++)
			if (max / (scale * m[i]) <= n)
				return scale * m[i];
		scale *= 10;
	}
}

const char *svg_ns(char *buf, size_t len, double ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%.0f ns", ns);
	else if (ns < 1e6)
		snprintf(buf, len, "%.3g µs", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, len, "%.3g ms", ns / 1e6);
	else
		snprintf(buf, len, "%.3g s", ns / 1e9);
	return buf;
}

const char *svg_count(char *buf, size_t len, double n)
{
	if (n < 1000)
		snprintf(buf, len, "%.0f", n);
	else if (n < 1e6)
		snprintf(buf, len, "%.3gk", n / 1e3);
	else if (n < 1e9)
		snprintf(buf, len, "%.3gM", n / 1e6);
	else
		snprintf(buf, len, "%.3gG", n / 1e9);
	return buf;
}
