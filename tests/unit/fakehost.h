/*
 * fakehost.h - a fake `struct host` for device-model unit tests.
 *
 * It behaves like the recorder's live host where a device can tell the
 * difference, and records everything a device asks of it:
 *  - disks: in-memory, zero-filled (disk 0 made by fakehost_create, more with
 *    fakehost_add_disk).  blk_read/blk_write/blk_flush check the range like
 *    the real host (-EINVAL past the end, -ENODEV for an unknown disk) and
 *    every call is appended to the request log with its result;
 *  - fault injection: fakehost_fail_next(fh, -EIO) makes the next block call
 *    (read, write or flush) return -EIO without touching the disk;
 *  - guest RAM: dma_read/dma_write on a zero-filled buffer, -EFAULT when
 *    [gpa, gpa+len) is not inside it; every call is logged;
 *  - irq_set: every call is logged in order (line, level), and the current
 *    level per line is kept;
 *  - console: bytes from console_out are appended to a buffer; console_in
 *    serves bytes queued with fakehost_console_feed;
 *  - system events (HOST_EV_*) are logged in order;
 *  - now_ns returns a settable virtual time (0 initially).
 *
 * Typical use (cmocka):
 *     struct fakehost *fh = fakehost_create(2048, 1 << 20);
 *     const struct host *h = fakehost_host(fh);
 *     ... drive a device with h ...
 *     assert_int_equal(fakehost_nreqs(fh), 1);
 *     assert_int_equal(fakehost_req(fh, 0)->sector, 7);
 *     fakehost_destroy(fh);
 * All accessors take indices in call order, starting at 0; fakehost_reset_log
 * forgets the logs (requests, DMA, irq history, console output, events) but
 * keeps disk and RAM contents and the current irq levels.
 */
#ifndef EXITLOG_TESTS_FAKEHOST_H
#define EXITLOG_TESTS_FAKEHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/hostif.h"

#define FAKEHOST_MAX_DISKS 8
#define FAKEHOST_MAX_LINES 64 /* irq lines 0..63 have a current level */

struct fakehost;

/* One block call as the device made it, and what the fake answered. */
struct fakehost_req {
	enum blk_op op;
	int disk;
	const char *device; /* as passed by the device (static string) */
	uint64_t sector;
	uint32_t nsectors;
	int rc;             /* 0 or -errno returned to the device */
};

struct fakehost_irq {
	int line;
	int level;
};

struct fakehost_dma {
	const char *device;
	uint64_t gpa;
	size_t len;
	bool is_write;      /* true: device wrote guest memory */
	int rc;
};

/* A host with disk 0 of `disk_sectors` sectors (may be 0: no disk) and
 * `ram_bytes` of guest RAM (may be 0).  NULL on ENOMEM. */
struct fakehost *fakehost_create(uint64_t disk_sectors, size_t ram_bytes);
void fakehost_destroy(struct fakehost *fh);
/* The struct host to hand to devices (valid until destroy). */
const struct host *fakehost_host(struct fakehost *fh);

/* Add another disk; returns its index or -errno. */
int fakehost_add_disk(struct fakehost *fh, uint64_t sectors);
/* A disk's bytes (sectors*512 of them), to fill or check; NULL if none. */
uint8_t *fakehost_disk(struct fakehost *fh, int disk);
uint64_t fakehost_disk_sectors(const struct fakehost *fh, int disk);
/* Fill disk `disk` with a pattern: byte i = (i * 7 + i / 512) & 0xff. */
void fakehost_disk_pattern(struct fakehost *fh, int disk);

/* The next block call returns `err` (negative errno) and does nothing. */
void fakehost_fail_next(struct fakehost *fh, int err);

size_t fakehost_nreqs(const struct fakehost *fh);
const struct fakehost_req *fakehost_req(const struct fakehost *fh, size_t i);
/* Number of logged block calls of one kind. */
size_t fakehost_count_op(const struct fakehost *fh, enum blk_op op);

uint8_t *fakehost_ram(struct fakehost *fh);
size_t fakehost_ram_size(const struct fakehost *fh);
size_t fakehost_ndma(const struct fakehost *fh);
const struct fakehost_dma *fakehost_dma(const struct fakehost *fh, size_t i);

/* irq_set history, in call order. */
size_t fakehost_nirqs(const struct fakehost *fh);
const struct fakehost_irq *fakehost_irq(const struct fakehost *fh, size_t i);
/* Current level of `line` (0 if never set or out of range). */
int fakehost_irq_level(const struct fakehost *fh, int line);

/* Bytes written with console_out (not NUL terminated; *len gets the count). */
const uint8_t *fakehost_console(const struct fakehost *fh, size_t *len);
/* Queue console input for console_in. */
void fakehost_console_feed(struct fakehost *fh, const void *bytes, size_t n);

size_t fakehost_nevents(const struct fakehost *fh);
int fakehost_event(const struct fakehost *fh, size_t i);

void fakehost_set_now(struct fakehost *fh, uint64_t ns);

/* Forget the logs (see above). */
void fakehost_reset_log(struct fakehost *fh);

#endif
