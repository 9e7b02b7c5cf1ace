/*
 * blkraw.h - the raw-image block backend: a disk image file accessed with
 * pread/pwrite in 512-byte sectors.  It is host-side code (it makes
 * syscalls): the recorder's live host interface calls it on behalf of device
 * models; device models never see it.
 */
#ifndef EXITLOG_BLKRAW_H
#define EXITLOG_BLKRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blkraw {
	int fd;
	uint64_t sectors;
	const char *path; /* kept by pointer */
};

/*
 * Open `path` (read-write when `writable`).  It must be a regular file or a
 * block device whose size is a non-zero multiple of 512.  Returns 0, or
 * -errno with one line in err (-EINVAL for a bad size).
 */
int blkraw_open(struct blkraw *d, const char *path, bool writable,
		char *err, size_t errlen);
/* Sector IO.  A range past the end is refused with -EINVAL before any
 * syscall; short reads/writes are retried; returns 0 or -errno. */
int blkraw_read(struct blkraw *d, uint64_t sector, uint32_t n, void *buf);
int blkraw_write(struct blkraw *d, uint64_t sector, uint32_t n, const void *buf);
int blkraw_flush(struct blkraw *d);
void blkraw_close(struct blkraw *d);

#endif
