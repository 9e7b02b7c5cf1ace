/*
 * gen_synth.c - write a synthetic exitlog database for benchmarks.
 *
 *   gen_synth [-n EXITS] [-s SEED] [--no-summary] OUT.db
 *
 * The database is created from the embedded schema/exitlog.sql (so it has
 * the views), then filled by a handful of INSERT ... SELECT statements over
 * a recursive CTE, all inside SQLite: 10M exits take seconds, not minutes.
 * The mix imitates a guest doing serial output and IDE PIO disk IO:
 *   40% OUT 0x3f8 (com1 thr)   10% IN 0x3fd (com1 lsr)
 *   15% IN 0x1f7 (ata0 status)  4% OUT 0x1f2-0x1f6 (ata0 setup)
 *    1% OUT 0x1f7 (command)     2% rep insw 0x1f0 (512 bytes)
 *    1% rep outsw 0x1f0         1% IN 0x3f6 (altstatus)
 *    2% OUT 0x80 (unclaimed)    8% MMIO (4 addresses, reads and writes)
 *   14% HLT                     2% IRQ_WINDOW_OPEN / INTR
 * on 2 vCPUs, plus one blk_request per command write and IRQ raise/lower
 * pairs.  Everything is a deterministic function of seq and SEED.
 * The file is written to OUT.db.tmp and renamed, so a cached database is
 * always complete.  Unless --no-summary, schema/summary.sql is executed at
 * the end and sum_devacc rebuilt (store_rebuild_devacc()), which gives the
 * summary tables the writer keeps; their time is printed on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/embedded.h"
#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* k = the exit's kind, 0..99, a hash of seq; the same expression everywhere. */
#define KIND "((seq * 2654435761 + :seed * 40503) % 1000003 % 100)"
#define HASH "((seq * 40503 + :seed) % 65521)"

static const char *const fill_sql[] = {
	"INSERT INTO meta(key, value) VALUES ('schema_version', '1'),"
	" ('tool_version', 'gen_synth'), ('guest', 'synthetic'), ('vcpus', '2'),"
	" ('exit_count', :n)",
	"INSERT INTO devices(name, kind, irq, disk) VALUES ('com1', 'uart16550', 4, NULL),"
	" ('ata0', 'ata', 14, 0), ('apic', 'mmio-stub', NULL, NULL)",
	"INSERT INTO regions(space, base, len, device) VALUES ('pio', 1016, 8, 'com1'),"
	" ('pio', 496, 8, 'ata0'), ('pio', 1014, 1, 'ata0'), ('mmio', 4276092928, 4096, 'apic')",
	"INSERT INTO registers(space, addr, is_write, device, name) VALUES"
	" ('pio', 1016, 1, 'com1', 'thr'), ('pio', 1016, 0, 'com1', 'rbr'),"
	" ('pio', 1021, 0, 'com1', 'lsr'),"
	" ('pio', 496, 0, 'ata0', 'data'), ('pio', 496, 1, 'ata0', 'data'),"
	" ('pio', 498, 1, 'ata0', 'nsect'), ('pio', 499, 1, 'ata0', 'lbal'),"
	" ('pio', 500, 1, 'ata0', 'lbam'), ('pio', 501, 1, 'ata0', 'lbah'),"
	" ('pio', 502, 1, 'ata0', 'device'), ('pio', 503, 0, 'ata0', 'status'),"
	" ('pio', 503, 1, 'ata0', 'command'), ('pio', 1014, 0, 'ata0', 'altstatus'),"
	" ('mmio', 4276093104, 1, 'apic', 'eoi')",
	"INSERT INTO disks(idx, device, kind, path, sectors, initial_sha256)"
	" VALUES (0, 'ata0', 'ide', 'synthetic.img', 204800, '')",
	/* exits: reason from the kind; HLT handling is long. */
	"WITH RECURSIVE c(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM c WHERE seq < :n)"
	" INSERT INTO exits(seq, vcpu, reason, t_ns, guest_ns, handle_ns)"
	" SELECT seq, " HASH " % 2,"
	"  CASE WHEN " KIND " < 76 THEN 2 WHEN " KIND " < 84 THEN 6"
	"       WHEN " KIND " < 98 THEN 5 WHEN " KIND " < 99 THEN 7 ELSE 10 END,"
	"  seq * 3000 + " HASH " % 1000, 200 + " HASH " % 2000,"
	"  CASE WHEN " KIND " BETWEEN 84 AND 97 THEN 20000 + " HASH " * 7"
	"       ELSE 300 + " HASH " % 1500 END"
	" FROM c",
	/* pio rows for the IO exits: the port etc. from the same kind. */
	"INSERT INTO pio(seq, port, size, is_write, count, data, device)"
	" SELECT seq, port, size, is_write, count, CASE WHEN count > 1"
	"   THEN zeroblob(size * count) ELSE x'00' END, device FROM ("
	" SELECT seq, k,"
	"  CASE WHEN k < 40 THEN 1016 WHEN k < 50 THEN 1021 WHEN k < 65 THEN 503"
	"       WHEN k < 69 THEN 498 + (seq % 5) WHEN k < 70 THEN 503"
	"       WHEN k < 73 THEN 496 WHEN k < 74 THEN 1014 ELSE 128 END AS port,"
	"  CASE WHEN k BETWEEN 70 AND 72 THEN 2 ELSE 1 END AS size,"
	"  CASE WHEN k < 40 OR k BETWEEN 65 AND 69 OR k = 72 OR k >= 74 THEN 1"
	"       ELSE 0 END AS is_write,"
	"  CASE WHEN k BETWEEN 70 AND 72 THEN 256 ELSE 1 END AS count,"
	"  CASE WHEN k < 50 THEN 'com1' WHEN k < 74 THEN 'ata0' END AS device"
	" FROM (SELECT seq, " KIND " AS k FROM exits WHERE reason = 2))",
	"INSERT INTO mmio(seq, gpa, len, is_write, data, device)"
	" SELECT seq, 4276092928 + (seq % 4) * 16 + 160 * (seq % 2), 4, seq % 2,"
	"  x'00000000', 'apic' FROM exits WHERE reason = 6",
	/* one read or write request per command write, IRQ up and down */
	"INSERT INTO blk_requests(seq, device, op, sector, nsectors, data_hash,"
	" status, latency_ns, disk)"
	" SELECT seq, 'ata0', CASE WHEN seq % 3 = 0 THEN 'write' ELSE 'read' END,"
	"  seq % 204800, 1 + seq % 8, NULL, 0, 5000 + (seq * 7919) % 90000, 0"
	" FROM pio WHERE port = 503 AND is_write = 1",
	"INSERT INTO irqs(seq, line, level, device)"
	" SELECT seq, 14, 1, 'ata0' FROM blk_requests UNION ALL"
	" SELECT seq + 1, 14, 0, 'ata0' FROM blk_requests ORDER BY 1",
};

static int bind_and_run(sqlite3 *db, const char *sql, long long n, int seed)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	int i = sqlite3_bind_parameter_index(st, ":n");
	if (i)
		sqlite3_bind_int64(st, i, n);
	i = sqlite3_bind_parameter_index(st, ":seed");
	if (i)
		sqlite3_bind_int(st, i, seed);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int generate(const char *tmp, long long n, int seed, int summary)
{
	sqlite3 *db = NULL;
	int rc = -EIO;

	unlink(tmp);
	if (sqlite3_open(tmp, &db) != SQLITE_OK)
		goto out;
	if (sqlite3_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
			 "PRAGMA cache_size=-262144; BEGIN;", NULL, NULL, NULL) ||
	    sqlite3_exec(db, embedded_get("schema/exitlog.sql"), NULL, NULL, NULL))
		goto out;
	for (size_t i = 0; i < sizeof(fill_sql) / sizeof(fill_sql[0]); i++)
		if (bind_and_run(db, fill_sql[i], n, seed) != SQLITE_OK)
			goto out;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL))
		goto out;
	if (summary) {
		const char *sum = embedded_get("schema/summary.sql");
		double t0 = now_s();

		if (!sum || sqlite3_exec(db, sum, NULL, NULL, NULL))
			goto out;
		fprintf(stderr, "gen_synth: summary.sql took %.3f s\n", now_s() - t0);
	}
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "gen_synth: %s\n", db ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_close(db);
	if (!rc && summary) {
		char err[256];
		double t0 = now_s();

		if (store_rebuild_devacc(tmp, err, sizeof(err))) {
			fprintf(stderr, "gen_synth: %s\n", err);
			return -EIO;
		}
		fprintf(stderr, "gen_synth: sum_devacc took %.3f s\n", now_s() - t0);
	}
	return rc;
}

int main(int argc, char **argv)
{
	long long n = 100000;
	int seed = 1, summary = 1;
	const char *out = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = strtoll(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			seed = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--no-summary"))
			summary = 0;
		else if (argv[i][0] != '-' && !out)
			out = argv[i];
		else {
			fprintf(stderr, "usage: gen_synth [-n EXITS] [-s SEED] [--no-summary] OUT.db\n");
			return 2;
		}
	}
	if (!out || n < 1) {
		fprintf(stderr, "usage: gen_synth [-n EXITS] [-s SEED] [--no-summary] OUT.db\n");
		return 2;
	}
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	double t0 = now_s();
	if (generate(tmp, n, seed, summary))
		return 1;
	if (rename(tmp, out)) {
		perror("gen_synth: rename");
		return 1;
	}
	fprintf(stderr, "gen_synth: %lld exits in %.1f s -> %s\n", n, now_s() - t0, out);
	return 0;
}
