/*
 * log_bench.c - how fast exits go into SQLite through the real store writer
 * (store/writer.c), next to a naive SQLite insert loop and raw fwrite() of
 * the same records, all measured in one run.  No KVM.
 *
 *   log_bench [-n EXITS] [-r REPS] [-d DIR]     the figures (below)
 *   log_bench --put-only N [-d DIR]     N storm exits through the store, no
 *                                       timing (for callgrind / strace: the
 *                                       put loop is bracketed by
 *                                       prctl(PR_SET_NAME, "lb-put-begin"/
 *                                       "lb-put-end") markers)
 *   log_bench --put-only N --device NAME   the same with the storm's port
 *                                       claimed by device NAME, a disk of the
 *                                       board (so the writer also packs each
 *                                       access into sum_devacc: its cost)
 *
 * The synthetic stream is the storm guest's (samples/guests/storm.asm):
 * per exit one pio row (OUT to the unclaimed port 0x404, size 1, count 1,
 * data = low byte of the remaining count, device NULL), put first, then
 * the exit row (reason KVM_EXIT_IO), in the order recorder/run.c puts them.
 * Times imitate a native recording (an exit every ~1.2 us, guest_ns
 * ~1 us, handle_ns ~0.2 us), so the integers have realistic widths.
 *
 * Printed (stdout, `name value`), each the median of REPS runs (default 3)
 * interleaved store / naive / fwrite:
 *   log_rate             exits/s, wall clock from the first store_put_*()
 *                        to the return of store_flush() (every row
 *                        committed), through store_create()'s writer
 *   log_cpu_rate         exits per second of the process's CPU time over
 *                        the same interval (producer + writer thread)
 *   log_writer_cpu_rate  exits per second of the writer thread's CPU time
 *                        (process CPU minus the producing thread's)
 *   log_put_ns_per_exit  CPU ns per exit of the producing (vCPU) thread,
 *                        for its two store_put_*() calls
 *   log_close_seconds    store_close() after that: the summary tables are
 *                        already written (the writer keeps them), so the
 *                        freshness check and the WAL folded back
 *   sqlite_naive_rate    exits/s of a plain loop on one connection: the
 *                        same schema and rows, one prepared single-row
 *                        INSERT per table, bound per row, stepped per row,
 *                        one transaction, measured to the end of COMMIT.
 *                        Same journal settings as the store (WAL,
 *                        synchronous=NORMAL, no checkpoint inside the
 *                        measured interval), SQLite's default page and
 *                        cache sizes
 *   sqlite_naive_cpu_rate  the same per second of CPU
 *   fwrite_rate          exits/s of fwrite() of the same records as raw
 *                        bytes (struct rec_exit + the pio fields and its
 *                        data byte, 57 bytes an exit) to a file, through
 *                        fclose() (no fsync, as neither SQLite path syncs
 *                        in its measured interval): the ceiling
 *   log_vs_naive         log_rate / sqlite_naive_rate
 *   log_vs_fwrite        log_rate / fwrite_rate
 *   bytes_per_exit_noio  file size / exits of a closed recording of EXITS
 *                        HLT-like exits (exit rows only, no payload rows)
 *                        written through the store
 *   bytes_per_exit_synth the same for the storm stream (exit + pio rows)
 *
 * BENCH_QUICK=1: 100000 exits, one repetition (a smoke run).
 * Files go to DIR (default build/bench/tmp), on the same file system a
 * recording would use, and are removed afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <sqlite3.h>

#include "store/embedded.h"
#include "store/store.h"
#include "store/writer.h"

#define STORM_PORT 0x404

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
static double proc_cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }
static double thread_cpu_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

/* The k-th exit of the stream (seq = k + 1). */
static inline void mk_exit(uint64_t seq, uint32_t reason, struct rec_exit *e)
{
	e->seq = seq;
	e->vcpu = 0;
	e->reason = reason;
	e->t_ns = seq * 1200 + (seq * 7919) % 300;
	e->guest_ns = 900 + (seq * 31) % 200;
	e->handle_ns = 150 + (seq * 17) % 100;
}

static inline uint8_t storm_byte(uint64_t seq, uint64_t n)
{
	return (uint8_t)((n - (seq - 1)) & 0xff);
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "log_bench: %s: %s\n", what, msg);
	exit(1);
}

static void rm_db(const char *path)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[4200];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

static double file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (double)st.st_size;
}

struct store_result {
	double wall, cpu, writer_cpu, put_cpu, close_s, bytes;
	uint64_t waits;
};

/* n exits through the store; storm stream (pio + exit) or HLT-like exits. */
/* --rate: exits per second the put loop paces itself to (0: flat out) */
static double pace_rate;
/* --device: the device claiming the storm's port (NULL: unclaimed) */
static const char *storm_dev;

static void run_store(const char *path, uint64_t n, bool storm, bool markers,
		      struct store_result *res)
{
	struct store *s;
	char err[512];
	double t0, c0, m0, t1, c1, m1;
	int rc;

	rm_db(path);
	rc = store_create(&s, path, true, err, sizeof(err));
	if (rc)
		die("store_create", err);
	if (storm && storm_dev) {
		struct store_board *b;

		rc = store_board_begin(s, &b);
		if (!rc) {
			store_board_disk(b, 0, storm_dev, "ide", "none", 0, "");
			rc = store_board_end(b, err, sizeof(err));
		}
		if (rc)
			die("store_board", err);
	}
	t0 = now_s();
	c0 = proc_cpu_s();
	m0 = thread_cpu_s();
	/* the markers bracket nothing but the puts (the CPU clocks above are
	 * syscalls of their own) */
	if (markers)
		prctl(PR_SET_NAME, "lb-put-begin", 0, 0, 0);
	for (uint64_t seq = 1; seq <= n; seq++) {
		struct rec_exit e;

		if (storm) {
			uint8_t b = storm_byte(seq, n);
			struct rec_pio p = { .seq = seq, .port = STORM_PORT, .size = 1,
					     .is_write = 1, .count = 1, .data = &b,
					     .device = storm_dev };

			if (store_put_pio(s, &p))
				die("store_put_pio", "refused");
		}
		mk_exit(seq, storm ? KVM_EXIT_IO : KVM_EXIT_HLT, &e);
		if (store_put_exit(s, &e))
			die("store_put_exit", "refused");
		if (pace_rate > 0)
			while (now_s() - t0 < (double)seq / pace_rate)
				;
	}
	if (markers)
		prctl(PR_SET_NAME, "lb-put-end", 0, 0, 0);
	m1 = thread_cpu_s();
	if (store_flush(s))
		die("store_flush", "write error");
	t1 = now_s();
	c1 = proc_cpu_s();
	res->wall = t1 - t0;
	res->cpu = c1 - c0;
	res->put_cpu = m1 - m0;
	/* the main thread sleeps in store_flush(): its CPU is the put loop's */
	res->writer_cpu = (c1 - c0) - (thread_cpu_s() - m0);
	res->waits = store_ring_waits(s);
	t0 = now_s();
	if (store_close(s))
		die("store_close", "failed");
	res->close_s = now_s() - t0;
	res->bytes = file_size(path);
	rm_db(path);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die(sql, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
}

static void step(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die("insert", sqlite3_errmsg(db));
	sqlite3_reset(st);
}

/* The naive loop; returns wall seconds, *cpu the CPU seconds. */
static double run_naive(const char *path, uint64_t n, double *cpu)
{
	const char *schema = embedded_get("schema/exitlog.sql");
	sqlite3_stmt *ie, *ip;
	sqlite3 *db;
	double t0, c0, t;

	rm_db(path);
	if (!schema)
		die("schema", "schema/exitlog.sql not embedded");
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	exec_sql(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		     " PRAGMA wal_autocheckpoint=0");
	exec_sql(db, schema);
	if (sqlite3_prepare_v2(db, "INSERT INTO exits(seq, vcpu, reason, t_ns, guest_ns,"
			       " handle_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &ie, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO pio(seq, port, size, is_write, count, data,"
			       " device) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &ip, NULL))
		die("prepare", sqlite3_errmsg(db));
	t0 = now_s();
	c0 = proc_cpu_s();
	exec_sql(db, "BEGIN");
	for (uint64_t seq = 1; seq <= n; seq++) {
		uint8_t b = storm_byte(seq, n);
		struct rec_exit e;

		sqlite3_bind_int64(ip, 1, (sqlite3_int64)seq);
		sqlite3_bind_int(ip, 2, STORM_PORT);
		sqlite3_bind_int(ip, 3, 1);
		sqlite3_bind_int(ip, 4, 1);
		sqlite3_bind_int(ip, 5, 1);
		sqlite3_bind_blob(ip, 6, &b, 1, SQLITE_TRANSIENT);
		sqlite3_bind_null(ip, 7);
		step(db, ip);
		mk_exit(seq, KVM_EXIT_IO, &e);
		sqlite3_bind_int64(ie, 1, (sqlite3_int64)e.seq);
		sqlite3_bind_int64(ie, 2, e.vcpu);
		sqlite3_bind_int64(ie, 3, e.reason);
		sqlite3_bind_int64(ie, 4, (sqlite3_int64)e.t_ns);
		sqlite3_bind_int64(ie, 5, (sqlite3_int64)e.guest_ns);
		sqlite3_bind_int64(ie, 6, (sqlite3_int64)e.handle_ns);
		step(db, ie);
	}
	exec_sql(db, "COMMIT");
	t = now_s() - t0;
	*cpu = proc_cpu_s() - c0;
	sqlite3_finalize(ie);
	sqlite3_finalize(ip);
	sqlite3_close(db);
	rm_db(path);
	return t;
}

/* The same records as raw bytes; returns wall seconds. */
static double run_fwrite(const char *path, uint64_t n)
{
	struct __attribute__((packed)) {
		struct rec_exit e;
		uint64_t seq;
		uint16_t port;
		uint8_t size, is_write;
		uint32_t count;
		uint8_t data;
	} r;
	static char buf[1 << 16];
	FILE *f;
	double t0;

	_Static_assert(sizeof(r) == 57, "57 bytes an exit");
	unlink(path);
	t0 = now_s();
	f = fopen(path, "w");
	if (!f)
		die(path, strerror(errno));
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	for (uint64_t seq = 1; seq <= n; seq++) {
		struct rec_exit e;

		mk_exit(seq, KVM_EXIT_IO, &e);
		memcpy(&r.e, &e, sizeof(e));
		r.seq = seq;
		r.port = STORM_PORT;
		r.size = 1;
		r.is_write = 1;
		r.count = 1;
		r.data = storm_byte(seq, n);
		if (fwrite(&r, sizeof(r), 1, f) != 1)
			die(path, strerror(errno));
	}
	if (fclose(f))
		die(path, strerror(errno));
	t0 = now_s() - t0;
	unlink(path);
	return t0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAXREP 15

int main(int argc, char **argv)
{
	const char *dir = "build/bench/tmp";
	bool quick = getenv("BENCH_QUICK") && strcmp(getenv("BENCH_QUICK"), "0");
	uint64_t n = quick ? 100000 : 2000000, put_only = 0;
	int reps = quick ? 1 : 3;
	double lr[MAXREP], lc[MAXREP], lw[MAXREP], lp[MAXREP], lcl[MAXREP];
	double nr[MAXREP], nc[MAXREP], fr[MAXREP];
	char pstore[4096], pnaive[4096], praw[4096];
	struct store_result res;
	uint64_t waits = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-d") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--put-only") && i + 1 < argc)
			put_only = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			pace_rate = atof(argv[++i]);
		else if (!strcmp(argv[i], "--device") && i + 1 < argc)
			storm_dev = argv[++i];
		else {
			fprintf(stderr, "usage: log_bench [-n EXITS] [-r REPS] [-d DIR]"
				" | --put-only N [-d DIR] [--rate EXITS_PER_S] [--device NAME]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAXREP || (!put_only && n < 1000)) {
		fprintf(stderr, "log_bench: bad -n or -r\n");
		return 2;
	}
	mkdir(dir, 0755);
	snprintf(pstore, sizeof(pstore), "%s/log_bench-%d-store.db", dir, (int)getpid());
	snprintf(pnaive, sizeof(pnaive), "%s/log_bench-%d-naive.db", dir, (int)getpid());
	snprintf(praw, sizeof(praw), "%s/log_bench-%d.raw", dir, (int)getpid());

	if (put_only) {
		run_store(pstore, put_only, true, true, &res);
		fprintf(stderr, "log_bench: %llu exits: %.0f/s wall, %.0f/s cpu, %.0f/s writer cpu,"
			" put %.1f ns/exit, ring waits %llu, close %.2f s, %.1f bytes/exit\n",
			(unsigned long long)put_only, (double)put_only / res.wall,
			(double)put_only / res.cpu, (double)put_only / res.writer_cpu,
			res.put_cpu * 1e9 / (double)put_only, (unsigned long long)res.waits,
			res.close_s, res.bytes / (double)put_only);
		return 0;
	}

	for (int r = 0; r < reps; r++) {
		double cpu;

		run_store(pstore, n, true, false, &res);
		lr[r] = (double)n / res.wall;
		lc[r] = (double)n / res.cpu;
		lw[r] = res.writer_cpu > 0 ? (double)n / res.writer_cpu : 0;
		lp[r] = res.put_cpu * 1e9 / (double)n;
		lcl[r] = res.close_s;
		waits += res.waits;
		nr[r] = (double)n / run_naive(pnaive, n, &cpu);
		nc[r] = (double)n / cpu;
		fr[r] = (double)n / run_fwrite(praw, n);
		fprintf(stderr, "log_bench: rep %d: store %.0f/s (cpu %.0f/s, writer cpu %.0f/s,"
			" waits %llu), naive %.0f/s, fwrite %.0f/s\n", r + 1, lr[r], lc[r], lw[r],
			(unsigned long long)res.waits, nr[r], fr[r]);
	}
	double log_rate = median(lr, reps), naive = median(nr, reps), fw = median(fr, reps);

	printf("log_exits %llu\n", (unsigned long long)n);
	printf("log_rate %.0f\n", log_rate);
	printf("log_cpu_rate %.0f\n", median(lc, reps));
	printf("log_writer_cpu_rate %.0f\n", median(lw, reps));
	printf("log_put_ns_per_exit %.1f\n", median(lp, reps));
	printf("log_close_seconds %.3f\n", median(lcl, reps));
	printf("log_ring_waits %llu\n", (unsigned long long)waits);
	printf("sqlite_naive_rate %.0f\n", naive);
	printf("sqlite_naive_cpu_rate %.0f\n", median(nc, reps));
	printf("fwrite_rate %.0f\n", fw);
	printf("log_vs_naive %.2f\n", log_rate / naive);
	printf("log_vs_fwrite %.3f\n", log_rate / fw);
	printf("bytes_per_exit_synth %.1f\n", res.bytes / (double)n);

	/* exits without payload rows: at least 1M, so the schema's fixed
	 * pages do not dominate */
	run_store(pstore, n < 1000000 && !quick ? 1000000 : n, false, false, &res);
	printf("bytes_per_exit_noio %.1f\n",
	       res.bytes / (double)(n < 1000000 && !quick ? 1000000 : n));
	rmdir(dir);
	return 0;
}
