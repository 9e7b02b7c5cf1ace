/*
 * writer.h - tuning knobs of the store's writer, beyond store.h: ring sizes
 * (small rings for tests, big ones for benchmarks) and the multi-row
 * INSERT width of the kinds that go through bound statements (exits, pio
 * and mmio rows go through the ring tables of writer.c instead).
 * store_create() is store_create_opts() with defaults.
 */
#ifndef EXITLOG_STORE_WRITER_H
#define EXITLOG_STORE_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

#define STORE_RING_RECORDS   (1u << 20)   /* 64 MiB of 64-byte records */
#define STORE_SIDE_BYTES     (64u << 20)  /* payload bytes in flight */
#define STORE_BATCH_ROWS     64u          /* rows per multi-row INSERT (rare kinds) */
#define STORE_COMMIT_MS      100u         /* longest a transaction stays open */

struct store_opts {
	size_t ring_records;   /* 0: STORE_RING_RECORDS; rounded up to a power of 2 */
	size_t side_bytes;     /* 0: STORE_SIDE_BYTES; rounded up to a power of 2 */
	unsigned batch_rows;   /* 0: STORE_BATCH_ROWS; 1 = single-row INSERTs only */
	bool producers_only;   /* the caller logs through store_prod_open() rings
				* (the recorder): the store's own ring, which only
				* store_put_*() use, gets STORE_MAIN_MIN_* instead of
				* ring_records/side_bytes, so it is not allocated and
				* faulted in for nothing (its puts still work, and
				* wait for the writer sooner) */
};

#define STORE_MAIN_MIN_RECORDS 4096u        /* 256 KiB of records */
#define STORE_MAIN_MIN_SIDE    (1u << 20)   /* 1 MiB of payload */

/* store_create() with explicit sizes; o may be NULL (defaults). */
int store_create_opts(struct store **out, const char *path, bool force,
		      const struct store_opts *o, char *err, size_t errlen);

#endif
