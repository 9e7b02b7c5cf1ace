/*
 * test_report.c - `exitlog report`, `plot` and `export --perfetto` on a
 * real (synthetic-recorder) recording of an ATA session: the HTML is
 * self-contained and has every section, strings from the database are
 * escaped in HTML and JSON, each chart is a standalone SVG, the trace has
 * one exit slice per exit and one async slice + flow per block request,
 * --from/--to windows, the point parser, the progress line, and stat's
 * exit table listing only the reasons that occur.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/analyzer.h"
#include "analyzer/progress.h"
#include "analyzer/report.h"
#include "analyzer/svg.h"
#include "store/embedded.h"
#include "synthrec.h"

static char dir[64], db[128], img[128];
static int64_t nexits;

static int setup(void **state)
{
	struct synth_access a[64];
	static uint8_t wbuf[3 * 512];
	const char *disks[1];
	struct synthrec *s;
	char e[256] = "", sql[512];
	sqlite3 *h;
	size_t n;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_report_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(db, sizeof(db), "%s/ata.db", dir);
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	if (synthrec_make_image(img, 64, 3))
		return -1;
	disks[0] = img;
	if (synthrec_open(&s, db, disks, 1, e, sizeof(e)))
		return -1;
	n = synthrec_ata_script(a, wbuf);
	if (synthrec_script(s, a, n))
		return -1;
	nexits = (int64_t)synthrec_seq(s);
	if (synthrec_close(s, "hlt"))
		return -1;
	/* A hostile string where the report and the trace print meta values. */
	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	snprintf(sql, sizeof(sql), "UPDATE meta SET value = '<script>alert(\"x\")</script>&amp;\n'"
		 " WHERE key = 'guest'; INSERT OR REPLACE INTO meta VALUES ('note', 'a<b>c');");
	if (sqlite3_exec(h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	sqlite3_close(h);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static sqlite3 *open_db(void)
{
	char err[256];
	sqlite3 *h = NULL;

	assert_int_equal(analyzer_open(db, &h, err, sizeof(err)), 0);
	return h;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static char *report_html(void)
{
	char *buf = NULL, err[256] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	sqlite3 *h = open_db();

	assert_non_null(f);
	assert_int_equal(analyzer_report(h, "a<b>.db", f, err, sizeof(err)), 0);
	fclose(f);
	sqlite3_close(h);
	return buf;
}

static void test_report_html_self_contained_with_every_section(void **state)
{
	char *html = report_html();

	(void)state;
	assert_true(!strncmp(html, "<!DOCTYPE html>", 15));
	assert_non_null(strstr(html, "</html>\n"));
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "src="));
	assert_non_null(strstr(html, "Content-Security-Policy\" content=\"default-src 'none'"));
	for (const char *const *id = (const char *const[]){ "meta", "reasons", "ports", "latency",
							     "timeline", "blk", NULL }; *id; id++) {
		char h2[64];

		snprintf(h2, sizeof(h2), "<h2 id=\"%s\">", *id);
		assert_int_equal(count(html, h2), 1);
	}
	/* one vCPU: reasons, ports, latency, timeline, waterfall, disks */
	assert_int_equal(count(html, "<svg "), 6);
	assert_int_equal(count(html, "</svg>"), 6);
	assert_null(strstr(html, "in this recording)"));
	assert_non_null(strstr(html, "ata0.data"));          /* register names */
	assert_non_null(strstr(html, "ata0.command"));
	assert_non_null(strstr(html, "#1 ata0 write"));      /* the waterfall's rows */
	assert_non_null(strstr(html, "<td>end reason</td><td>hlt</td>"));
	free(html);
}

static void test_report_escapes_database_strings(void **state)
{
	char *html = report_html();

	(void)state;
	assert_non_null(strstr(html, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;"));
	assert_non_null(strstr(html, "a&lt;b&gt;c"));
	assert_non_null(strstr(html, "<title>exitlog report: a&lt;b&gt;.db</title>"));
	assert_null(strstr(html, "<b>"));
	free(html);
}

static void test_report_plot_each_chart_is_standalone_svg(void **state)
{
	static const char *const names[] = { "latency", "timeline", "ports", "blk", "disks",
					     "reasons", "vcpus" };
	enum analyzer_plot w;
	sqlite3 *h = open_db();

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *buf = NULL, err[256] = "";
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_int_equal(analyzer_parse_plot(names[i], &w), 0);
		assert_int_equal(analyzer_plot(h, w, f, err, sizeof(err)), 0);
		fclose(f);
		static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=";

		assert_true(!strncmp(buf, head, strlen(head)));
		assert_int_equal(count(buf, "</svg>\n"), 1);
		assert_true(count(buf, "<rect ") >= 2);
		assert_null(strstr(buf, "in this recording)"));
		free(buf);
	}
	assert_int_equal(analyzer_parse_plot("pie", &w), -EINVAL);
	assert_int_equal(analyzer_parse_plot(NULL, &w), -EINVAL);
	sqlite3_close(h);
}

static int64_t q(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *export(sqlite3 *h, struct analyzer_window w, int64_t *n)
{
	char *buf = NULL, err[256] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(analyzer_export_perfetto(h, &w, f, n, err, sizeof(err)), 0);
	fclose(f);
	return buf;
}

static void test_report_export_one_slice_per_exit_and_request(void **state)
{
	struct analyzer_window all = { -1, -1, -1, -1 };
	sqlite3 *h = open_db();
	int64_t n = -1, nreq = q(h, "SELECT count(*) FROM blk_requests");
	char *js = export(h, all, &n);

	(void)state;
	assert_true(nreq >= 3);
	assert_int_equal(n, nexits);
	assert_int_equal((int64_t)count(js, "\"cat\":\"exit\""), nexits);
	assert_int_equal((int64_t)count(js, "{\"ph\":\"b\",\"cat\":\"blk\""), nreq);
	assert_int_equal((int64_t)count(js, "{\"ph\":\"e\",\"cat\":\"blk\""), nreq);
	assert_int_equal((int64_t)count(js, "{\"ph\":\"s\","), nreq);
	assert_int_equal((int64_t)count(js, "{\"ph\":\"f\",\"bp\":\"e\","), nreq);
	assert_int_equal((int64_t)count(js, "\"cat\":\"irq\""), q(h, "SELECT count(*) FROM irqs"));
	assert_non_null(strstr(js, "\"name\":\"ata0.command\""));
	assert_non_null(strstr(js, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":1,"
				   "\"args\":{\"name\":\"vCPU 0\"}}"));
	assert_non_null(strstr(js, "\"args\":{\"name\":\"disk ata0\"}"));
	/* the guest string, escaped for JSON */
	assert_non_null(strstr(js, "\"guest\":\"\\u003cscript>alert(\\\"x\\\")\\u003c/script>&amp;\\n\""));
	assert_true(!strncmp(js, "{\"displayTimeUnit\":\"ns\"", 23));
	assert_non_null(strstr(js, "\n]}\n"));
	free(js);
	sqlite3_close(h);
}

static void test_report_export_window_by_seq_and_time(void **state)
{
	sqlite3 *h = open_db();
	struct analyzer_window w = { 3, 7, -1, -1 };
	int64_t n = -1, t3 = q(h, "SELECT t_ns FROM exits WHERE seq = 3");
	int64_t t7 = q(h, "SELECT t_ns FROM exits WHERE seq = 7");
	char *js = export(h, w, &n);

	(void)state;
	assert_int_equal(n, 5);
	assert_int_equal(count(js, "\"cat\":\"exit\""), 5);
	assert_non_null(strstr(js, "\"seq\":3,"));
	assert_null(strstr(js, "\"seq\":8,"));
	free(js);
	w = (struct analyzer_window){ -1, -1, t3, t7 };
	js = export(h, w, &n);
	assert_int_equal(n, q(h, "SELECT count(*) FROM exits WHERE t_ns BETWEEN "
			      "(SELECT t_ns FROM exits WHERE seq = 3) AND (SELECT t_ns FROM exits WHERE seq = 7)"));
	assert_true(n >= 5);
	free(js);
	sqlite3_close(h);
}

static void test_report_parse_point(void **state)
{
	int64_t seq = -1, ns = -1;

	(void)state;
	assert_int_equal(analyzer_parse_point("1200", &seq, &ns), 0);
	assert_int_equal(seq, 1200);
	assert_int_equal(ns, -1);
	assert_int_equal(analyzer_parse_point("1.5ms", &seq, &ns), 0);
	assert_int_equal(ns, 1500000);
	assert_int_equal(analyzer_parse_point("250us", &seq, &ns), 0);
	assert_int_equal(ns, 250000);
	assert_int_equal(analyzer_parse_point("2s", &seq, &ns), 0);
	assert_int_equal(ns, 2000000000);
	assert_int_equal(analyzer_parse_point("100ns", &seq, &ns), 0);
	assert_int_equal(ns, 100);
	for (const char *const *s = (const char *const[]){ "", "-1", "1.5", "abc", "5 ms", "5m",
							    "0x10", "1e3", "+3", NULL }; *s; s++)
		assert_int_equal(analyzer_parse_point(*s, &seq, &ns), -EINVAL);
}

static void test_report_svg_escape_and_json_string(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	svg_escape(f, "<a href=\"x\">'&'</a>\x01");
	fputc('|', f);
	svg_json_string(f, "q\"b\\s\n\x02<");
	fputc('|', f);
	svg_json_string(f, NULL);
	fclose(f);
	assert_string_equal(buf, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\xef\xbf\xbd"
			    "|\"q\\\"b\\\\s\\n\\u0002\\u003c\"|null");
	free(buf);
}

static void test_report_progress_line_rate_and_eta(void **state)
{
	struct progress p;
	char line[160];

	(void)state;
	setenv("EXITLOG_PROGRESS", "0", 1);
	progress_start(&p, "exitlog replay", "exits", 10000000);
	assert_int_equal(p.on, 0);
	assert_string_equal(progress_format(line, sizeof(line), &p, 1200000, 2.0),
			    "exitlog replay: 1.20M/10.00M exits  600.0k/s  ETA 15s");
	p.total = 0;
	assert_string_equal(progress_format(line, sizeof(line), &p, 5000, 1.0),
			    "exitlog replay: 5000 exits  5000/s");
	setenv("EXITLOG_PROGRESS", "1", 1);
	progress_start(&p, "x", "rows", 100);
	assert_int_equal(p.on, 1);
	unsetenv("EXITLOG_PROGRESS");
}

static void test_report_stat_exit_table_lists_only_reasons_that_occur(void **state)
{
	struct analyzer_stat_opts o = { .vcpu = -1 };
	sqlite3 *h = open_db();
	char err[256];

	(void)state;
	for (int fmt = ANALYZER_TABLE; fmt <= ANALYZER_CSV; fmt++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		o.format = (enum analyzer_format)fmt;
		assert_int_equal(analyzer_stat(h, &o, f, err, sizeof(err)), 0);
		fclose(f);
		if (fmt == ANALYZER_TABLE) {
			assert_non_null(strstr(buf, "\nIO "));
			assert_null(strstr(buf, "SHUTDOWN"));   /* never occurred */
			assert_null(strstr(buf, "UNKNOWN"));
		} else {                /* csv keeps every reason (documented) */
			assert_non_null(strstr(buf, "\n8,SHUTDOWN,0,"));
		}
		free(buf);
	}
	sqlite3_close(h);
}

static void test_report_kernel_section_and_per_vcpu_timeline(void **state)
{
	char db2[160], err[256] = "", *buf = NULL;
	sqlite3 *h = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	snprintf(db2, sizeof(db2), "%s/two.db", dir);
	assert_int_equal(synthrec_copy(db, db2), 0);
	assert_int_equal(sqlite3_open(db2, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "UPDATE exits SET vcpu = 1 WHERE seq % 2 = 0;"
				      "DROP TABLE IF EXISTS sum_info;"
				      "INSERT INTO kernel_exits(t_ns, vcpu, isa, reason, reason_name) VALUES"
				      " (1000, 0, 'svm', 123, 'io'), (2000, 1, 'svm', 120, 'hlt<x>');",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, embedded_get("schema/ktrace.sql"), NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(analyzer_open(db2, &h, err, sizeof(err)), 0);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(analyzer_report(h, "two.db", f, err, sizeof(err)), 0);
	fclose(f);
	sqlite3_close(h);
	assert_int_equal(count(buf, "<svg "), 7);      /* + exits over time per vCPU */
	assert_non_null(strstr(buf, "<title>Exits over time, per vCPU</title>"));
	assert_non_null(strstr(buf, ">vCPU 1</text>"));
	assert_non_null(strstr(buf, "<h2 id=\"kernel\">Kernel-handled exits</h2>"));
	assert_non_null(strstr(buf, "hlt&lt;x&gt;"));
	assert_null(strstr(buf, "cannot show them"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_html_self_contained_with_every_section),
		cmocka_unit_test(test_report_escapes_database_strings),
		cmocka_unit_test(test_report_plot_each_chart_is_standalone_svg),
		cmocka_unit_test(test_report_export_one_slice_per_exit_and_request),
		cmocka_unit_test(test_report_export_window_by_seq_and_time),
		cmocka_unit_test(test_report_parse_point),
		cmocka_unit_test(test_report_svg_escape_and_json_string),
		cmocka_unit_test(test_report_progress_line_rate_and_eta),
		cmocka_unit_test(test_report_stat_exit_table_lists_only_reasons_that_occur),
		cmocka_unit_test(test_report_kernel_section_and_per_vcpu_timeline),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
