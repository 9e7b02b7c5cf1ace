/*
 * test_ktrace.c - the kvm tracepoint decoder of recorder/ktrace.c on the
 * kernel's own saved format files (tests/unit/data/ktrace/, from the
 * sandbox's Debian 6.1 kernel with kvm-amd):
 *  - hand-built kvm_exit records, laid out at test time from the parsed
 *    format's offsets, for SVM codes io/hlt/npf/msr/cpuid, VMX codes with
 *    the flag bits set, and an unknown code;
 *  - a saved raw ring-buffer page (svm-probe.raw: tests/unit/data/ktrace_probe.c
 *    run under real KVM) decoded with kbuffer, checked against
 *    libtraceevent's own rendering of each record;
 *  - the event log written to a database: side tables, kernel_entries and
 *    the user_seq correlation with exits rows.
 * The data directory is found next to this source (__FILE__), or in
 * $EXITLOG_TEST_DATA.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event-parse.h>
#include <kbuffer.h>
#include <sqlite3.h>
#include <trace-seq.h>

#include "ktrace/ktrace.h"
#include "store/store.h"
#include "store/embedded.h"

static const char *const test_events[] = {
	"kvm_exit", "kvm_entry", "kvm_pio", "kvm_mmio", "kvm_msr", "kvm_cpuid",
	"kvm_userspace_exit",
};

static void data_path(char *buf, size_t len, const char *name)
{
	const char *env = getenv("EXITLOG_TEST_DATA");
	const char *slash = strrchr(__FILE__, '/');

	if (env && *env)
		snprintf(buf, len, "%s/ktrace/%s", env, name);
	else if (slash)
		snprintf(buf, len, "%.*s/data/ktrace/%s", (int)(slash - __FILE__), __FILE__, name);
	else
		snprintf(buf, len, "data/ktrace/%s", name);
}

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	char *buf;
	FILE *f;
	long n;

	data_path(path, sizeof(path), name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "test_ktrace: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

/* A tep that knows the saved header page and kvm formats (x86-64, LE). */
static int setup_tep(void **state)
{
	struct tep_handle *tep = tep_alloc();
	size_t len;
	char *buf;

	if (!tep)
		return -1;
	tep_set_long_size(tep, 8);
	tep_set_page_size(tep, 4096);
	tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, TEP_LITTLE_ENDIAN);
	buf = slurp("header_page", &len);
	if (!buf || tep_parse_header_page(tep, buf, len, 8)) {
		free(buf);
		tep_free(tep);
		return -1;
	}
	free(buf);
	for (size_t i = 0; i < sizeof(test_events) / sizeof(test_events[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s.format", test_events[i]);
		buf = slurp(name, &len);
		if (!buf || tep_parse_event(tep, buf, len, "kvm")) {
			free(buf);
			tep_free(tep);
			return -1;
		}
		free(buf);
	}
	*state = tep;
	return 0;
}

static int teardown_tep(void **state)
{
	tep_free(*state);
	return 0;
}

/* Store `v` in the field `name` of a record of `ev`, at the format's offset. */
static void put_field(struct tep_event *ev, uint8_t *data, const char *name, uint64_t v)
{
	struct tep_format_field *f = tep_find_any_field(ev, name);

	assert_non_null(f);
	assert_true(f->size >= 1 && f->size <= 8);
	for (int i = 0; i < f->size; i++)      /* little-endian, as the page */
		data[f->offset + i] = (uint8_t)(v >> (8 * i));
}

static size_t record_size(struct tep_event *ev)
{
	size_t end = 0;

	for (struct tep_format_field *f = ev->format.fields; f; f = f->next)
		if ((size_t)(f->offset + f->size) > end)
			end = (size_t)(f->offset + f->size);
	return end;
}

/* A kvm_exit record built from the parsed format. */
static void build_exit(struct tep_event *ev, uint8_t *data, size_t size, uint32_t isa,
		       uint32_t reason, uint64_t rip, uint64_t info1, uint64_t info2)
{
	memset(data, 0, size);
	put_field(ev, data, "common_type", (uint64_t)ev->id);
	put_field(ev, data, "common_pid", 4242);
	put_field(ev, data, "exit_reason", reason);
	put_field(ev, data, "guest_rip", rip);
	put_field(ev, data, "isa", isa);
	put_field(ev, data, "info1", info1);
	put_field(ev, data, "info2", info2);
	put_field(ev, data, "vcpu_id", 3);
}

/* The "reason <name>" libtraceevent itself prints for the record. */
static void printed_reason(struct tep_handle *tep, struct tep_record *rec, char *out, size_t len)
{
	struct trace_seq s;
	const char *p;

	trace_seq_init(&s);
	tep_print_event(tep, &s, rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&s);
	p = strstr(s.buffer, "reason ");
	assert_non_null(p);
	p += strlen("reason ");
	snprintf(out, len, "%.*s", (int)(strstr(p, " rip ") - p), p);
	trace_seq_destroy(&s);
}

static void test_ktrace_svm_codes(void **state)
{
	static const struct { uint32_t code; const char *name; } cases[] = {
		{ 0x7b, "io" }, { 0x78, "hlt" }, { 0x400, "npf" }, { 0x7c, "msr" },
		{ 0x72, "cpuid" }, { 0x60, "interrupt" }, { 0x40 + 14, "PF excp" },
	};
	struct tep_handle *tep = *state;
	struct tep_event *ev = tep_find_event_by_name(tep, "kvm", "kvm_exit");
	uint8_t data[256];
	size_t size;

	assert_non_null(ev);
	size = record_size(ev);
	assert_true(size <= sizeof(data));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tep_record rec = { .ts = 1000 + i, .data = data, .size = (int)size };
		struct kexit_row row;
		char printed[64];

		build_exit(ev, data, size, 2, cases[i].code, 0x7c00 + i, 0x3f80010, 0xabcd000 + i);
		assert_int_equal(ktrace_parse_record(tep, &rec, &row), 0);
		assert_int_equal(row.reason, cases[i].code);
		assert_string_equal(row.reason_name, cases[i].name);
		assert_string_equal(row.isa, "svm");
		assert_int_equal(row.rip, 0x7c00 + i);
		assert_int_equal(row.info1, 0x3f80010);
		assert_int_equal(row.info2, 0xabcd000 + i);
		assert_int_equal(row.vcpu, 3);
		assert_int_equal(row.pid, 4242);
		assert_int_equal(row.ts, 1000 + i);
		/* the same name libtraceevent's own printing gives */
		printed_reason(tep, &rec, printed, sizeof(printed));
		assert_string_equal(row.reason_name, printed);
	}
}

static void test_ktrace_vmx_codes(void **state)
{
	struct tep_handle *tep = *state;
	struct tep_event *ev = tep_find_event_by_name(tep, "kvm", "kvm_exit");
	struct kexit_row row;
	uint8_t data[256];
	size_t size = record_size(ev);
	struct tep_record rec = { .data = data, .size = (int)size };

	/* VMX: the table is indexed by exit_reason & 0xffff; flag bits are not the code */
	build_exit(ev, data, size, 1, 30, 0xfff0, 0, 0);
	assert_int_equal(ktrace_parse_record(tep, &rec, &row), 0);
	assert_string_equal(row.isa, "vmx");
	assert_int_equal(row.reason, 30);
	assert_string_equal(row.reason_name, "IO_INSTRUCTION");
	build_exit(ev, data, size, 1, 0x80000000u | 48, 0, 0, 0);
	assert_int_equal(ktrace_parse_record(tep, &rec, &row), 0);
	assert_int_equal(row.reason, 48);
	assert_string_equal(row.reason_name, "EPT_VIOLATION");
	build_exit(ev, data, size, 1, 12, 0, 0, 0);
	assert_int_equal(ktrace_parse_record(tep, &rec, &row), 0);
	assert_string_equal(row.reason_name, "HLT");
	/* SVM code 0x7b under VMX is a different reason entirely (123: none) */
	build_exit(ev, data, size, 1, 0x7b, 0, 0, 0);
	assert_int_equal(ktrace_parse_record(tep, &rec, &row), 0);
	assert_string_equal(row.reason_name, "0x7b");
	/* an SVM code the table lacks */
	build_exit(ev, data, size, 2, 0x999, 0, 0, 0);
	assert_int_equal(ktrace_parse_record(tep, &rec, &row), 0);
	assert_string_equal(row.reason_name, "0x999");
	assert_int_equal(row.reason, 0x999);
}

static void test_ktrace_not_exit(void **state)
{
	struct tep_handle *tep = *state;
	struct tep_event *ev = tep_find_event_by_name(tep, "kvm", "kvm_pio");
	uint8_t data[64] = { 0 };
	struct tep_record rec = { .data = data, .size = (int)record_size(ev) };
	struct kexit_row row;

	put_field(ev, data, "common_type", (uint64_t)ev->id);
	assert_int_equal(ktrace_parse_record(tep, &rec, &row), -ENOENT);
}

/* Nested ?: in kvm_userspace_exit's print; kvm_mmio's plain symbol table. */
static void test_ktrace_symbol_branches(void **state)
{
	struct tep_handle *tep = *state;
	struct tep_event *ue = tep_find_event_by_name(tep, "kvm", "kvm_userspace_exit");
	struct tep_event *me = tep_find_event_by_name(tep, "kvm", "kvm_mmio");
	uint8_t data[64] = { 0 };
	char name[KTRACE_NAME_MAX];
	uint64_t code;
	int size = (int)record_size(ue);

	put_field(ue, data, "reason", 2);
	put_field(ue, data, "errno", 0);
	assert_int_equal(ktrace_symbol(ue, data, size, "reason", &code, name, sizeof(name)), 0);
	assert_string_equal(name, "KVM_EXIT_IO");
	assert_int_equal(code, 2);
	put_field(ue, data, "errno", (uint64_t)-4);   /* the "restart" string branch */
	assert_int_equal(ktrace_symbol(ue, data, size, "reason", &code, name, sizeof(name)),
			 -ENOENT);
	memset(data, 0, sizeof(data));
	put_field(me, data, "type", 2);
	assert_int_equal(ktrace_symbol(me, data, (int)record_size(me), "type", &code, name,
				       sizeof(name)), 0);
	assert_string_equal(name, "write");
	put_field(me, data, "type", 0);
	assert_int_equal(ktrace_symbol(me, data, (int)record_size(me), "type", &code, name,
				       sizeof(name)), 0);
	assert_string_equal(name, "unsatisfied-read");
}

/* Each record of the saved page, as a tep_record, to `fn`. */
static int for_page(struct tep_handle *tep, int (*fn)(struct tep_handle *, struct tep_record *,
						       void *), void *ctx)
{
	struct kbuffer *kb = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);
	unsigned long long ts;
	size_t len;
	char *page = slurp("svm-probe.raw", &len);
	int n = 0;

	assert_non_null(kb);
	assert_non_null(page);
	assert_int_equal(len, 4096);
	assert_true(kbuffer_load_subbuffer(kb, page) >= 0);
	for (void *d = kbuffer_read_event(kb, &ts); d; d = kbuffer_next_event(kb, &ts)) {
		struct tep_record rec = { .ts = ts, .data = d, .size = kbuffer_event_size(kb) };
		if (fn(tep, &rec, ctx))
			break;
		n++;
	}
	kbuffer_free(kb);
	free(page);
	return n;
}

struct page_counts {
	int exits, io, npf, cpuid, msr, hlt, printed_mismatch;
	uint64_t io_rip, io_info1, io_info2, npf_gpa;
};

static int count_exit(struct tep_handle *tep, struct tep_record *rec, void *ctx)
{
	struct page_counts *c = ctx;
	struct kexit_row row;
	char printed[64];

	if (ktrace_parse_record(tep, rec, &row))
		return 0;
	c->exits++;
	assert_string_equal(row.isa, "svm");
	assert_int_equal(row.vcpu, 0);
	printed_reason(tep, rec, printed, sizeof(printed));
	if (strcmp(printed, row.reason_name))
		c->printed_mismatch++;
	if (!strcmp(row.reason_name, "io")) {
		c->io++;
		assert_int_equal(row.reason, 0x7b);
		c->io_rip = row.rip;
		c->io_info1 = row.info1;
		c->io_info2 = row.info2;
	} else if (!strcmp(row.reason_name, "npf")) {
		assert_int_equal(row.reason, 0x400);
		if (row.info2 == 0x20000)
			c->npf_gpa++;
		c->npf++;
	} else if (!strcmp(row.reason_name, "cpuid")) {
		assert_int_equal(row.reason, 0x72);
		assert_int_equal(row.rip, 0x100c);
		c->cpuid++;
	} else if (!strcmp(row.reason_name, "msr")) {
		assert_int_equal(row.reason, 0x7c);
		assert_int_equal(row.rip, 0x1014);
		assert_int_equal(row.info1, 0);     /* 0 = RDMSR */
		c->msr++;
	} else if (!strcmp(row.reason_name, "hlt")) {
		assert_int_equal(row.reason, 0x78);
		assert_int_equal(row.rip, 0x1027);
		c->hlt++;
	}
	return 0;
}

/* The probe guest, 3 rounds of OUT 0x3f8 / CPUID / RDMSR 0x1b / store to
 * 0x20000, then HLT; one more NPF maps the code page at the start. */
static void test_ktrace_saved_page(void **state)
{
	struct page_counts c = { 0 };
	int n = for_page(*state, count_exit, &c);

	assert_int_equal(n, 47);
	assert_int_equal(c.exits, 14);
	assert_int_equal(c.io, 3);
	assert_int_equal(c.npf, 4);
	assert_int_equal(c.npf_gpa, 3);
	assert_int_equal(c.cpuid, 3);
	assert_int_equal(c.msr, 3);
	assert_int_equal(c.hlt, 1);
	assert_int_equal(c.printed_mismatch, 0);
	assert_int_equal(c.io_rip, 0x1008);
	assert_int_equal(c.io_info1, 0x3f80010);    /* port 0x3f8, SZ8, OUT */
	assert_int_equal(c.io_info2, 0x1009);       /* next RIP */
}

struct page_log {
	struct ktrace_log *log;
	struct store *st;       /* exits rows from kvm_userspace_exit */
	int seq;
	uint64_t t0;
};

static int log_rec(struct tep_handle *tep, struct tep_record *rec, void *ctx)
{
	struct page_log *pl = ctx;
	struct tep_event *ev = tep_find_event(tep, tep_data_type(tep, rec));

	assert_int_equal(ktrace_log_add(pl->log, rec), 0);
	if (!strcmp(ev->name, "kvm_userspace_exit")) {
		unsigned long long reason;
		assert_int_equal(tep_get_field_val(NULL, ev, "reason", rec, &reason, 0), 0);
		/* the VMM stamps its exit just after KVM_RUN returned */
		struct rec_exit e = {
			.seq = (uint64_t)++pl->seq, .vcpu = 0, .reason = (uint32_t)reason,
			.t_ns = rec->ts - pl->t0 + 500,
		};

		assert_int_equal(store_put_exit(pl->st, &e), 0);
	}
	return 0;
}

static int64_t q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void test_ktrace_log_write(void **state)
{
	struct tep_handle *tep = *state;
	struct page_log pl = { 0 };
	struct ktrace_log_stats st;
	char err[256] = "", dir[64], path[128];
	sqlite3 *db;

	snprintf(dir, sizeof(dir), "/tmp/test_ktrace_XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k.db", dir);
	assert_int_equal(store_create(&pl.st, path, false, err, sizeof(err)), 0);
	assert_int_equal(ktrace_log_new(&pl.log, tep), 0);
	pl.t0 = 10218000000ull;             /* just before the page's first record */
	for_page(tep, log_rec, &pl);
	assert_int_equal(store_flush(pl.st), 0);
	ktrace_log_stats(pl.log, &st);
	assert_int_equal(st.events, 47);
	assert_int_equal(st.exits, 14);
	assert_int_equal(st.entries, 14);
	assert_int_equal(st.first_ts, 10218622470ull);
	assert_int_equal(ktrace_log_write(pl.log, pl.st, pl.t0, err, sizeof(err)), 0);
	ktrace_log_stats(pl.log, &st);
	assert_int_equal(st.vcpus, 1);
	ktrace_log_free(pl.log);
	assert_int_equal(store_close(pl.st), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);

	assert_int_equal(q1(db, "SELECT count(*) FROM exits"), 7);
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_exits"), 14);
	/* every userspace exit has its kernel exit, of the matching kind */
	assert_int_equal(q1(db, "SELECT count(*) FROM exits e JOIN kernel_exits k ON k.user_seq = e.seq"
			    " WHERE (e.reason = 2 AND k.reason_name = 'io')"
			    " OR (e.reason = 6 AND k.reason_name = 'npf')"
			    " OR (e.reason = 5 AND k.reason_name = 'hlt')"), 7);
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_exits WHERE user_seq IS NULL"), 7);
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_exits WHERE user_seq IS NULL"
			    " AND reason_name IN ('cpuid', 'msr')"), 6);
	assert_int_equal(q1(db, "SELECT t_ns FROM kernel_exits WHERE id = 1"),
			 10228619030ll - 10218000000ll);
	/* every exit but the last is re-entered; exit -> entry times positive */
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_entries"), 13);
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_entries n JOIN kernel_exits k"
			    " ON k.id = n.kexit_id WHERE n.t_ns <= k.t_ns"), 0);
	/* side tables link to the exit they belong to */
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_pio p JOIN kernel_exits k"
			    " ON k.id = p.kexit_id WHERE k.reason_name = 'io' AND p.port = 1016"
			    " AND p.is_write = 1 AND p.val = 107 AND p.size = 1"), 3);
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_msr m JOIN kernel_exits k"
			    " ON k.id = m.kexit_id WHERE k.reason_name = 'msr' AND m.msr = 27"
			    " AND m.data = 4276095232 AND m.is_write = 0"), 3);
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_cpuid c JOIN kernel_exits k"
			    " ON k.id = c.kexit_id WHERE k.reason_name = 'cpuid' AND c.found = 0"), 3);
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_mmio m JOIN kernel_exits k"
			    " ON k.id = m.kexit_id WHERE k.reason_name = 'npf' AND m.type = 'write'"
			    " AND m.gpa = 131072 AND m.len = 1"), 3);
	/* each KVM_RUN return ended the kernel exit that the exits row claims */
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_userspace u JOIN kernel_exits k"
			    " ON k.id = u.kexit_id JOIN exits e ON e.seq = k.user_seq"
			    " WHERE u.reason = e.reason AND u.errno = 0"), 7);
	assert_int_equal(q1(db, "SELECT count(*) FROM kernel_events"), 0);
	sqlite3_close(db);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ktrace_svm_codes),
		cmocka_unit_test(test_ktrace_vmx_codes),
		cmocka_unit_test(test_ktrace_not_exit),
		cmocka_unit_test(test_ktrace_symbol_branches),
		cmocka_unit_test(test_ktrace_saved_page),
		cmocka_unit_test(test_ktrace_log_write),
	};

	return cmocka_run_group_tests(tests, setup_tep, teardown_tep);
}
