/*
 * replay_bench.c - replay throughput next to the raw SQLite scan rate of
 * the same rows, measured in one run.
 *
 *   replay_bench            5M-exit synthetic log (cached under build/bench/)
 *   BENCH_QUICK=1 replay_bench      200k exits, a smoke run
 *   REPLAY_BENCH_EXITS=N replay_bench   any size
 *
 * The log is made by running the real device models (the board of a
 * recording with one IDE disk) over a storm-like script -- OUT to the
 * unclaimed port 0x80, COM1 THR writes and LSR polls, and every 1000 exits
 * an ATA READ SECTORS of one sector (task file, command, status, rep insw,
 * with its blk_requests and irqs rows) -- and inserting the rows with
 * prepared statements in one transaction, so it replays clean.  It is
 * written to a .tmp file and renamed: a cached log is always complete.
 *
 * Printed (stdout): scan_rate N (exits/s of logread_scan(): the replay's own
 * six ordered cursors merged by seq, every column read, no device work),
 * replay_rate N (exits/s of replay_run() on the same file, including its
 * setup and final disk hash), replay_vs_scan R; then scan_cpu_rate and
 * replay_cpu_rate, the same on process CPU time (steadier when the machine
 * is busy).  Best of 3 runs each, after one warm-up scan.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>
#include <sqlite3.h>

#include "backends/blkraw.h"
#include "devices/board.h"
#include "replayer/replay.h"
#include "store/logread.h"
#include "store/embedded.h"
#include "util/sha256.h"
#include "store/store.h"

#define IMG_SECTORS 2048

/* The generator: the models' host calls become rows. */
struct gen {
	sqlite3 *db;
	sqlite3_stmt *ins_exit, *ins_pio, *ins_blk, *ins_irq;
	struct blkraw disk;
	struct board board;
	uint64_t seq;
	int failed;
};

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static double cpu_s(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static void gen_step(struct gen *g, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		g->failed = 1;
	sqlite3_reset(st);
}

static uint64_t gen_now(void *ctx)
{
	return ((struct gen *)ctx)->seq * 1000;
}

static int gen_blk_read(void *ctx, const struct blk_req *r, void *buf)
{
	struct gen *g = ctx;
	int rc = blkraw_read(&g->disk, r->sector, r->nsectors, buf);
	uint8_t d[32];
	char hex[65];

	sqlite3_bind_int64(g->ins_blk, 1, (sqlite3_int64)g->seq);
	sqlite3_bind_text(g->ins_blk, 2, r->device, -1, SQLITE_STATIC);
	sqlite3_bind_text(g->ins_blk, 3, "read", -1, SQLITE_STATIC);
	sqlite3_bind_int64(g->ins_blk, 4, (sqlite3_int64)r->sector);
	sqlite3_bind_int64(g->ins_blk, 5, r->nsectors);
	if (rc == 0) {
		sha256(buf, (size_t)r->nsectors * SECTOR_SIZE, d);
		sha256_hex(d, hex);
		sqlite3_bind_text(g->ins_blk, 6, hex, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_null(g->ins_blk, 6);
	}
	sqlite3_bind_int(g->ins_blk, 7, rc);
	sqlite3_bind_int(g->ins_blk, 8, r->disk);
	gen_step(g, g->ins_blk);
	return rc;
}

static int gen_blk_refuse(void *ctx, const struct blk_req *r, const void *buf)
{
	(void)r;
	(void)buf;
	((struct gen *)ctx)->failed = 1; /* the script never writes */
	return -EIO;
}

static int gen_dma(void *ctx, const char *dev, uint64_t gpa, void *buf, size_t len)
{
	(void)dev;
	(void)gpa;
	(void)buf;
	(void)len;
	((struct gen *)ctx)->failed = 1; /* no DMA device on this board */
	return -EFAULT;
}

static void gen_irq(void *ctx, int line, int level)
{
	struct gen *g = ctx;

	sqlite3_bind_int64(g->ins_irq, 1, (sqlite3_int64)g->seq);
	sqlite3_bind_int(g->ins_irq, 2, line);
	sqlite3_bind_int(g->ins_irq, 3, level);
	gen_step(g, g->ins_irq);
}

static const struct host_ops gen_ops = {
	.now_ns = gen_now,
	.blk_read = gen_blk_read,
	.blk_write = gen_blk_refuse,
	.dma_read = gen_dma,
	.irq_set = gen_irq,
};

/* One exit like recorder/run.c: the bus `count` times, then the rows. */
static void gen_exit(struct gen *g, uint32_t reason, uint16_t port, uint8_t size,
		     bool is_write, uint32_t count, uint8_t val)
{
	struct host h = { .ops = &gen_ops, .ctx = g };
	uint8_t buf[1024];
	const struct bus_region *r = NULL;
	size_t n = (size_t)size * count;

	g->seq++;
	if (reason == KVM_EXIT_IO) {
		memset(buf, is_write ? val : 0, n);
		for (uint32_t i = 0; i < count; i++)
			r = bus_access(&g->board.bus, BUS_PIO, &h, port, buf + (size_t)i * size,
				       size, is_write, NULL);
		sqlite3_bind_int64(g->ins_pio, 1, (sqlite3_int64)g->seq);
		sqlite3_bind_int(g->ins_pio, 2, port);
		sqlite3_bind_int(g->ins_pio, 3, size);
		sqlite3_bind_int(g->ins_pio, 4, is_write);
		sqlite3_bind_int(g->ins_pio, 5, (int)count);
		sqlite3_bind_blob(g->ins_pio, 6, buf, (int)n, SQLITE_TRANSIENT);
		if (r)
			sqlite3_bind_text(g->ins_pio, 7, r->name, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(g->ins_pio, 7);
		gen_step(g, g->ins_pio);
	}
	sqlite3_bind_int64(g->ins_exit, 1, (sqlite3_int64)g->seq);
	sqlite3_bind_int(g->ins_exit, 2, (int)reason);
	sqlite3_bind_int64(g->ins_exit, 3, (sqlite3_int64)g->seq * 1000);
	sqlite3_bind_int64(g->ins_exit, 4, 400 + (sqlite3_int64)(g->seq % 97));
	sqlite3_bind_int64(g->ins_exit, 5, 150 + (sqlite3_int64)(g->seq % 31));
	gen_step(g, g->ins_exit);
}

/* ATA READ SECTORS of one sector at `lba`: 9 exits. */
static void gen_ata_read(struct gen *g, uint32_t lba)
{
	gen_exit(g, KVM_EXIT_IO, 0x1f2, 1, true, 1, 1);
	gen_exit(g, KVM_EXIT_IO, 0x1f3, 1, true, 1, (uint8_t)lba);
	gen_exit(g, KVM_EXIT_IO, 0x1f4, 1, true, 1, (uint8_t)(lba >> 8));
	gen_exit(g, KVM_EXIT_IO, 0x1f5, 1, true, 1, 0);
	gen_exit(g, KVM_EXIT_IO, 0x1f6, 1, true, 1, 0xe0);
	gen_exit(g, KVM_EXIT_IO, 0x1f7, 1, true, 1, 0x20);
	gen_exit(g, KVM_EXIT_IO, 0x1f7, 1, false, 1, 0);
	gen_exit(g, KVM_EXIT_IO, 0x1f0, 2, false, 256, 0);
	gen_exit(g, KVM_EXIT_IO, 0x1f7, 1, false, 1, 0);
}

static int gen_board_rows(struct gen *g, const char *img, const char *hash)
{
	char *sql;
	int rc = 0;

	for (int i = 0; i < g->board.ndevs && !rc; i++) {
		const struct board_dev *d = &g->board.devs[i];

		sql = sqlite3_mprintf("INSERT INTO devices(name, kind, irq, disk) VALUES"
				      " (%Q, %Q, %d, %d)", d->name, d->kind, d->irq, d->disk);
		rc = sqlite3_exec(g->db, sql, NULL, NULL, NULL);
		sqlite3_free(sql);
	}
	sqlite3_exec(g->db, "UPDATE devices SET irq = NULL WHERE irq < 0;"
		     " UPDATE devices SET disk = NULL WHERE disk < 0", NULL, NULL, NULL);
	sql = sqlite3_mprintf("INSERT INTO disks(idx, device, kind, path, sectors, initial_sha256,"
			      " final_sha256) VALUES (0, 'ata0', 'ide', %Q, %d, %Q, %Q);"
			      " INSERT INTO meta(key, value) VALUES ('schema_version', '1'),"
			      " ('tool_version', 'replay_bench'), ('end_reason', 'hlt')",
			      img, IMG_SECTORS, hash, hash);
	rc |= sqlite3_exec(g->db, sql, NULL, NULL, NULL);
	sqlite3_free(sql);
	return rc ? -EIO : 0;
}

static int gen_image(const char *img, char hash[65])
{
	static uint8_t buf[IMG_SECTORS * 512];
	FILE *f = fopen(img, "wb");

	if (!f)
		return -errno;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + i / 512);
	if (fwrite(buf, 1, sizeof(buf), f) != sizeof(buf) || fclose(f))
		return -EIO;
	return sha256_file(img, hash);
}

/* Write the log of `n` exits to `db` (via db.tmp), image `img`. */
static int gen_log(const char *db, const char *img, uint64_t n)
{
	struct board_config cfg = { .ndisks = 1, .disks = { { DISK_IDE, IMG_SECTORS } } };
	char tmp[4200], hash[65], err[256];
	struct gen g;
	int rc;

	memset(&g, 0, sizeof(g));
	snprintf(tmp, sizeof(tmp), "%s.tmp", db);
	unlink(tmp);
	rc = gen_image(img, hash);
	if (rc)
		return rc;
	rc = blkraw_open(&g.disk, img, false, err, sizeof(err));
	if (rc)
		return rc;
	rc = board_create(&g.board, &cfg);
	if (rc)
		goto out_disk;
	rc = -EIO;
	if (sqlite3_open(tmp, &g.db) != SQLITE_OK ||
	    sqlite3_exec(g.db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
			 " PRAGMA page_size=4096; PRAGMA cache_size=-262144; BEGIN", NULL, NULL, NULL) ||
	    sqlite3_exec(g.db, embedded_get("schema/exitlog.sql"), NULL, NULL, NULL) ||
	    gen_board_rows(&g, img, hash) ||
	    sqlite3_prepare_v2(g.db, "INSERT INTO exits(seq, vcpu, reason, t_ns, guest_ns, handle_ns)"
			       " VALUES (?1, 0, ?2, ?3, ?4, ?5)", -1, &g.ins_exit, NULL) ||
	    sqlite3_prepare_v2(g.db, "INSERT INTO pio(seq, port, size, is_write, count, data, device)"
			       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &g.ins_pio, NULL) ||
	    sqlite3_prepare_v2(g.db, "INSERT INTO blk_requests(seq, device, op, sector, nsectors,"
			       " data_hash, status, disk) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			       -1, &g.ins_blk, NULL) ||
	    sqlite3_prepare_v2(g.db, "INSERT INTO irqs(seq, line, level, device)"
			       " VALUES (?1, ?2, ?3, 'ata0')", -1, &g.ins_irq, NULL))
		goto out;
	while (g.seq + 10 < n && !g.failed) {
		uint64_t k = g.seq % 1000;

		if (k == 0)
			gen_ata_read(&g, (uint32_t)(g.seq / 1000 * 13 % IMG_SECTORS));
		else if (k % 10 < 5)
			gen_exit(&g, KVM_EXIT_IO, 0x80, 1, true, 1, (uint8_t)g.seq);
		else if (k % 10 < 8)
			gen_exit(&g, KVM_EXIT_IO, 0x3f8, 1, true, 1, (uint8_t)('A' + g.seq % 26));
		else
			gen_exit(&g, KVM_EXIT_IO, 0x3fd, 1, false, 1, 0);
	}
	while (g.seq + 1 < n && !g.failed)
		gen_exit(&g, KVM_EXIT_IO, 0x80, 1, true, 1, 0);
	gen_exit(&g, KVM_EXIT_HLT, 0, 0, false, 0, 0);
	if (g.failed)
		goto out;
	{
		char *sql = sqlite3_mprintf("INSERT INTO meta(key, value) VALUES ('exit_count', '%llu');"
					    " COMMIT", (unsigned long long)g.seq);
		rc = sqlite3_exec(g.db, sql, NULL, NULL, NULL) ? -EIO : 0;
		sqlite3_free(sql);
	}
out:
	if (rc)
		fprintf(stderr, "replay_bench: generating %s: %s\n", tmp,
			g.db ? sqlite3_errmsg(g.db) : "cannot open");
	sqlite3_finalize(g.ins_exit);
	sqlite3_finalize(g.ins_pio);
	sqlite3_finalize(g.ins_blk);
	sqlite3_finalize(g.ins_irq);
	sqlite3_close(g.db);
	board_destroy(&g.board);
out_disk:
	blkraw_close(&g.disk);
	if (!rc && rename(tmp, db))
		rc = -errno;
	return rc;
}

static double bench_scan(const char *db, uint64_t *exits, double *cpu)
{
	struct logread_counts n;
	struct logread l;
	char err[256];
	double t0 = now_s(), c0 = cpu_s(), t;

	if (logread_open(&l, db, err, sizeof(err))) {
		fprintf(stderr, "replay_bench: %s\n", err);
		return -1;
	}
	if (logread_scan(&l, &n)) {
		fprintf(stderr, "replay_bench: scan: %s\n", logread_errmsg(&l));
		logread_close(&l);
		return -1;
	}
	t = now_s() - t0;
	*cpu = cpu_s() - c0;
	logread_close(&l);
	*exits = n.exits;
	return t;
}

static double bench_replay(const char *db, const char *img, double *cpu)
{
	struct replay_opts o;
	FILE *out = fopen("/dev/null", "w");
	double t0, c0, t;
	int st;

	memset(&o, 0, sizeof(o));
	o.db = db;
	o.disks[0] = img;
	o.ndisks = 1;
	if (!out)
		return -1;
	t0 = now_s();
	c0 = cpu_s();
	st = replay_run(&o, out);
	t = now_s() - t0;
	*cpu = cpu_s() - c0;
	fclose(out);
	if (st != 0) {
		fprintf(stderr, "replay_bench: the replay of %s was not clean (status %d); run "
			"`exitlog replay %s --disk %s`\n", db, st, db, img);
		return -1;
	}
	return t;
}

/*
 * A tag for the cache file names: the board's devices (name, kind) and the
 * generator's version, so a cached log made for another board is not used.
 */
#define GEN_VERSION "1"

static void board_tag(char tag[9])
{
	struct board_config cfg = { .ndisks = 1, .disks = { { DISK_IDE, IMG_SECTORS } } };
	struct board b;
	struct sha256 c;
	uint8_t d[32];
	char hex[65];

	sha256_init(&c);
	sha256_update(&c, GEN_VERSION, strlen(GEN_VERSION));
	if (board_create(&b, &cfg) == 0) {
		for (int i = 0; i < b.ndevs; i++) {
			sha256_update(&c, b.devs[i].name, strlen(b.devs[i].name) + 1);
			sha256_update(&c, b.devs[i].kind, strlen(b.devs[i].kind) + 1);
		}
		board_destroy(&b);
	}
	sha256_final(&c, d);
	sha256_hex(d, hex);
	memcpy(tag, hex, 8);
	tag[8] = 0;
}

/* Remove cached logs made for other boards or generator versions. */
static void drop_stale(const char *tag)
{
	char mark[16];
	glob_t g;

	snprintf(mark, sizeof(mark), "-%s-", tag);
	if (glob("build/bench/replay_bench-*", 0, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (!strstr(g.gl_pathv[i], mark))
			unlink(g.gl_pathv[i]);
	globfree(&g);
}

int main(void)
{
	const char *quick = getenv("BENCH_QUICK"), *env = getenv("REPLAY_BENCH_EXITS");
	uint64_t n = quick && *quick && strcmp(quick, "0") ? 200000 : 5000000, exits = 0;
	char db[256], img[256], tag[9];
	double best_scan = 1e9, best_replay = 1e9, cpu_scan = 1e9, cpu_replay = 1e9, c;
	struct stat sb;

	if (env && *env)
		n = strtoull(env, NULL, 0);
	if (n < 100)
		n = 100;
	mkdir("build", 0755);
	mkdir("build/bench", 0755);
	board_tag(tag);
	snprintf(db, sizeof(db), "build/bench/replay_bench-%s-%llu.db", tag, (unsigned long long)n);
	snprintf(img, sizeof(img), "build/bench/replay_bench-%s-%llu.img", tag, (unsigned long long)n);
	drop_stale(tag);
	if (stat(db, &sb) || stat(img, &sb)) {
		double t0 = now_s();

		if (gen_log(db, img, n))
			return 1;
		fprintf(stderr, "replay_bench: generated %llu exits in %.1f s -> %s\n",
			(unsigned long long)n, now_s() - t0, db);
	}
	if (bench_scan(db, &exits, &c) < 0) /* warm-up */
		return 1;
	for (int i = 0; i < 3; i++) {
		double s = bench_scan(db, &exits, &c), r;

		cpu_scan = c < cpu_scan ? c : cpu_scan;
		r = bench_replay(db, img, &c);
		cpu_replay = c < cpu_replay ? c : cpu_replay;
		if (s < 0 || r < 0)
			return 1;
		best_scan = s < best_scan ? s : best_scan;
		best_replay = r < best_replay ? r : best_replay;
	}
	printf("exits %llu\n", (unsigned long long)exits);
	printf("scan_rate %.0f\n", (double)exits / best_scan);
	printf("replay_rate %.0f\n", (double)exits / best_replay);
	printf("replay_vs_scan %.2f\n", best_scan / best_replay);
	/* the same on CPU time: steadier on a loaded machine */
	printf("scan_cpu_rate %.0f\n", (double)exits / cpu_scan);
	printf("replay_cpu_rate %.0f\n", (double)exits / cpu_replay);
	return 0;
}
