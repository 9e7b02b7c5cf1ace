/*
 * svg.h - the small drawing vocabulary of the report and `exitlog plot`:
 * escaped text for HTML/SVG/JSON, SVG elements with tooltips, a colour per
 * series, 1-2-5 axis steps and human-readable times.  Everything writes to
 * a FILE *; nothing here knows about recordings.
 */
#ifndef EXITLOG_ANALYZER_SVG_H
#define EXITLOG_ANALYZER_SVG_H

#include <stdint.h>
#include <stdio.h>

/* Write s with &, <, >, " and ' escaped (HTML text and attributes, SVG/XML);
 * control bytes other than \n and \t become U+FFFD.  NULL writes nothing. */
void svg_escape(FILE *f, const char *s);
/* printf, then svg_escape() the result (at most 1023 bytes). */
void svg_escapef(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Write s as a JSON string literal, quotes included; NULL writes null. */
void svg_json_string(FILE *f, const char *s);

/* Open an <svg> of w x h user units (standalone: with the XML prolog and
 * xmlns:xlink, for a .svg file) whose accessible title is `title`. */
void svg_open(FILE *f, int w, int h, const char *title, int standalone);
void svg_close(FILE *f);
/* A rectangle; `tip` (may be NULL) becomes its <title> tooltip.
 * Widths/heights below 0 are drawn as 0. */
void svg_rect(FILE *f, double x, double y, double w, double h, const char *fill,
	      const char *tip);
void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
	      double width);
/* Text at (x, y); anchor "start", "middle" or "end"; size in px. */
void svg_text(FILE *f, double x, double y, const char *anchor, int size, const char *s);
void svg_textf(FILE *f, double x, double y, const char *anchor, int size,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The colour of series i (a fixed 10-colour palette, then repeated). */
const char *svg_color(int i);
/* The smallest 1-2-5 step s such that max / s <= n (max > 0, n >= 1). */
double svg_step(double max, int n);
/* A duration in ns as "850 ns", "12.3 µs", "4.56 ms", "1.20 s" into buf. */
const char *svg_ns(char *buf, size_t len, double ns);
/* A count as "950", "12.3k", "4.56M" into buf. */
const char *svg_count(char *buf, size_t len, double n);

#endif
