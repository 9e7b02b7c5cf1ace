/*
 * target_reader.c - fuzz target: the recording reader and the replayer on a
 * corrupt database.  Once per process a valid synthetic recording is made
 * (tests/unit/synthrec.h: an ATA session and a UART "hello" on one IDE
 * disk).  Each input is a list of row mutations applied to a copy of it --
 * any column of any row set to a hostile value (huge, negative, NULL, a blob
 * of the wrong size, text), rows deleted, rows duplicated under another
 * seq, meta keys rewritten -- after which `replay`, `stat` and `iopath` run
 * on the copy.  Errors and divergences are fine; a crash, a sanitizer
 * report or a hang is a finding.
 *
 * Input: repeated [kind u8][sel u8][row u8][value...]; see fz_mutate().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "analyzer/analyzer.h"
#include "replayer/replay.h"
#include "tests/unit/synthrec.h"

#define FZ_MAXCOLS 160

static char fz_dir[256], fz_base[300], fz_db[300], fz_img[300];
static FILE *fz_null;
static int fz_ncols;
static char fz_tab[FZ_MAXCOLS][32], fz_col[FZ_MAXCOLS][32];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_cleanup(void)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char p[400];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", fz_base, sfx[i]);
		unlink(p);
		snprintf(p, sizeof(p), "%s%s", fz_db, sfx[i]);
		unlink(p);
	}
	unlink(fz_img);
	rmdir(fz_dir);
}

/* The valid recording every input starts from, and its (table, column)s. */
static int fz_make_base(void)
{
	struct synth_access a[64];
	uint8_t wbuf[3 * 512];
	const char *disks[1] = { fz_img };
	struct synthrec *s;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char err[256] = "";
	int rc;

	rc = synthrec_make_image(fz_img, 64, 3);
	if (!rc)
		rc = synthrec_open(&s, fz_base, disks, 1, err, sizeof(err));
	if (rc)
		return rc;
	rc = synthrec_script(s, a, synthrec_ata_script(a, wbuf));
	if (!rc)
		rc = synthrec_script(s, a, synthrec_hello_script(a, "hi\n"));
	rc |= synthrec_close(s, "hlt");
	if (rc || sqlite3_open_v2(fz_base, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return -EIO;
	/* one file, no WAL: a plain copy is a complete recording */
	sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "SELECT m.name, p.name FROM sqlite_master m, "
			       "pragma_table_info(m.name) p WHERE m.type = 'table' "
			       "ORDER BY m.name, p.cid", -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW && fz_ncols < FZ_MAXCOLS) {
			snprintf(fz_tab[fz_ncols], 32, "%s", sqlite3_column_text(st, 0));
			snprintf(fz_col[fz_ncols], 32, "%s", sqlite3_column_text(st, 1));
			fz_ncols++;
		}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return fz_ncols ? 0 : -EIO;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	snprintf(fz_dir, sizeof(fz_dir), "%s/exitlog-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fz_dir))
		abort();
	snprintf(fz_base, sizeof(fz_base), "%s/base.db", fz_dir);
	snprintf(fz_db, sizeof(fz_db), "%s/fuzz.db", fz_dir);
	snprintf(fz_img, sizeof(fz_img), "%s/disk0.img", fz_dir);
	atexit(fz_cleanup);
	fz_null = fopen("/dev/null", "w");
	if (!fz_null || fz_make_base()) {
		fprintf(stderr, "fuzz reader: cannot make the base recording in %s\n", fz_dir);
		abort();
	}
	return 0;
}

struct fz_in {
	const uint8_t *p;
	size_t n;
};

static uint8_t fz_u8(struct fz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* Bind a hostile value chosen by the input to parameter 1. */
static void fz_bind(sqlite3_stmt *st, struct fz_in *in)
{
	static const int64_t ints[] = {
		0, 1, -1, 2, 255, 256, 65535, 65536, INT32_MAX, (int64_t)INT32_MAX + 1,
		UINT32_MAX, (int64_t)1 << 40, INT64_MAX, INT64_MIN, -4096, 512,
	};
	uint8_t kind = fz_u8(in), len;
	uint8_t buf[256];

	switch (kind % 6) {
	case 0:
		sqlite3_bind_int64(st, 1, ints[fz_u8(in) % 16]);
		break;
	case 1:
		sqlite3_bind_int64(st, 1, (int8_t)fz_u8(in));
		break;
	case 2:
		sqlite3_bind_null(st, 1);
		break;
	case 3: /* a blob of the input's bytes (wrong sizes) */
		len = fz_u8(in);
		for (unsigned i = 0; i < len; i++)
			buf[i] = fz_u8(in);
		sqlite3_bind_blob(st, 1, buf, len, SQLITE_TRANSIENT);
		break;
	case 4: /* text, maybe a number in disguise */
		len = fz_u8(in) % 24;
		for (unsigned i = 0; i < len; i++)
			buf[i] = (uint8_t)(fz_u8(in) | 0x20);
		if (len && buf[0] == '/')
			buf[0] = 'x'; /* no absolute paths: stay inside the work dir */
		sqlite3_bind_text(st, 1, (const char *)buf, len, SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_bind_double(st, 1, (double)(int8_t)fz_u8(in) * 1e18);
		break;
	}
}

/* One mutation: 0-2 set a column, 3 delete a row, 4 duplicate a row under
 * seq + k, 5 reorder: swap two rows' seq. */
static void fz_mutate(sqlite3 *db, struct fz_in *in)
{
	uint8_t kind = fz_u8(in) % 6, sel = fz_u8(in), row = fz_u8(in);
	const char *t = fz_tab[sel % fz_ncols], *c = fz_col[sel % fz_ncols];
	sqlite3_stmt *st = NULL;
	char sql[512];

	switch (kind) {
	case 0: case 1: case 2:
		snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET \"%s\" = ?1 WHERE rowid IN "
			 "(SELECT rowid FROM \"%s\" LIMIT 1 OFFSET %u)", t, c, t, row);
		break;
	case 3:
		snprintf(sql, sizeof(sql), "DELETE FROM \"%s\" WHERE rowid IN "
			 "(SELECT rowid FROM \"%s\" LIMIT 1 OFFSET %u)", t, t, row);
		break;
	case 4:
		snprintf(sql, sizeof(sql), "INSERT INTO \"%s\" SELECT * FROM \"%s\" "
			 "LIMIT 1 OFFSET %u", t, t, row);
		break;
	default:
		snprintf(sql, sizeof(sql), "UPDATE \"%s\" SET \"%s\" = \"%s\" + %d WHERE rowid IN "
			 "(SELECT rowid FROM \"%s\" LIMIT 1 OFFSET %u)", t, c, c,
			 (int8_t)fz_u8(in), t, row);
		break;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (kind <= 2)
		fz_bind(st, in);
	sqlite3_step(st); /* constraint errors are fine: the mutation is skipped */
	sqlite3_finalize(st);
}

static void fz_reports(void)
{
	struct analyzer_stat_opts so;
	struct analyzer_iopath_opts io;
	sqlite3 *db = NULL;
	char err[256];

	if (analyzer_open(fz_db, &db, err, sizeof(err)))
		return;
	for (int ev = 0; ev < 2; ev++) {
		memset(&so, 0, sizeof(so));
		so.vcpu = -1;
		so.event = (enum analyzer_event)ev;
		analyzer_stat(db, &so, fz_null, err, sizeof(err));
	}
	memset(&io, 0, sizeof(io));
	analyzer_iopath(db, &io, fz_null, err, sizeof(err));
	sqlite3_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct replay_opts o;
	sqlite3 *db = NULL;

	if (!fz_ncols)
		LLVMFuzzerInitialize(NULL, NULL);
	if (synthrec_copy(fz_base, fz_db))
		abort();
	if (sqlite3_open_v2(fz_db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		abort();
	/* a scratch copy: no fsync, no journal file */
	sqlite3_exec(db, "PRAGMA synchronous=OFF; PRAGMA journal_mode=MEMORY; BEGIN",
		     NULL, NULL, NULL);
	for (int k = 0; in.n && k < 64; k++)
		fz_mutate(db, &in);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);

	memset(&o, 0, sizeof(o));
	o.db = fz_db;
	o.disks[0] = fz_img;
	o.ndisks = 1;
	o.err = fz_null;
	o.keep_going = true;
	replay_run(&o, fz_null);
	fz_reports();
	return 0;
}
