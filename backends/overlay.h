/*
 * overlay.h - the copy-on-write overlay block backend: a disk image opened
 * read-only (O_RDONLY, never written) plus a sector-granular map of the
 * sectors written since, so a replay can let a device model write its disk
 * without touching the user's file.
 *
 * Written sectors live in memory until `spill_bytes` of them are held; the
 * sectors written after that go to an unlinked temporary file (mkstemp in
 * $TMPDIR, default /tmp), so a long session on a big disk does not grow the
 * replayer's memory without bound.  The map is an open-addressing hash table
 * sector -> slot.  Like blkraw, this is host-side code: device models never
 * see it, the replay host interface (replayer/hostreplay.c) calls it.
 */
#ifndef EXITLOG_OVERLAY_H
#define EXITLOG_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OVERLAY_DEFAULT_SPILL (64ull << 20) /* 64 MiB of sectors in memory */

struct overlay;

struct overlay_stats {
	uint64_t dirty_sectors;   /* distinct sectors written */
	uint64_t mem_sectors;     /* of which held in memory */
	uint64_t file_sectors;    /* of which held in the temp file */
};

/*
 * Open `base_path` read-only as the base of a new, empty overlay.  Sectors
 * beyond `spill_bytes` of written data (0: OVERLAY_DEFAULT_SPILL) go to a
 * temp file.  Returns 0 and *out, or -errno with one line in err (the
 * base's size must be a non-zero multiple of 512, as for blkraw).
 * `base_path` is copied.
 */
int overlay_open(struct overlay **out, const char *base_path,
		 uint64_t spill_bytes, char *err, size_t errlen);

/* Size of the image in 512-byte sectors. */
uint64_t overlay_sectors(const struct overlay *o);

/*
 * Read / write `n` sectors at `sector` of the image as the guest sees it
 * (base + overlay).  A range past the end is refused with -EINVAL before
 * anything is read or changed.  Returns 0 or -errno (-ENOMEM, or the
 * temp file's / base's IO error).  The base file is never written.
 */
int overlay_read(struct overlay *o, uint64_t sector, uint32_t n, void *buf);
int overlay_write(struct overlay *o, uint64_t sector, uint32_t n,
		  const void *buf);

/* SHA-256 (lowercase hex) of the whole image as the guest sees it.
 * Returns 0 or -errno. */
int overlay_sha256(struct overlay *o, char hex[65]);

void overlay_stats(const struct overlay *o, struct overlay_stats *s);

/* Free the map, close (and so delete) the temp file, close the base. */
void overlay_close(struct overlay *o);

#endif
