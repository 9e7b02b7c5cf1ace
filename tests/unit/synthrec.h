/*
 * synthrec.h - the synthetic recorder: real recordings without KVM, for
 * tests.  It runs the recorder's own pieces -- board_create(), the live host
 * interface (recorder/hostlive.c) with a fake `struct vm` (calloc'd RAM, no
 * irqchip), blkraw disk images, boardlog_write() and the store writer --
 * and feeds them a script of accesses the way recorder/run.c feeds what
 * KVM_RUN returns.  The result is a recording the replayer must replay
 * clean.
 */
#ifndef EXITLOG_TESTS_SYNTHREC_H
#define EXITLOG_TESTS_SYNTHREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One exit of a script. */
struct synth_access {
	uint32_t reason;     /* KVM_EXIT_*; 0 means KVM_EXIT_IO */
	uint16_t port;
	uint8_t size;        /* 1, 2, 4 */
	bool is_write;       /* OUT */
	uint32_t count;      /* 0 means 1; > 1 for rep ins/outs */
	const void *data;    /* OUT: size*count bytes (NULL: zeros) */
};

#define SYNTH_OUT(p, sz, ptr) { 0, (p), (sz), true, 1, (ptr) }
#define SYNTH_IN(p, sz) { 0, (p), (sz), false, 1, NULL }

struct synthrec;

/*
 * Start a recording at `db` (must not exist) with IDE disks `disks[0..n)`
 * (existing raw images, opened read-write like `exitlog record --disk`).
 * Returns 0 and *out, or -errno with a line in err.
 */
int synthrec_open(struct synthrec **out, const char *db,
		  const char *const *disks, int ndisks, char *err, size_t errlen);

/*
 * The same with disks of board kind `kind` (DISK_IDE, DISK_VIRTIO).  With
 * virtio disks the recording is asynchronous (meta.blk_async): the
 * recorder's IO queue runs without workers, and each request waits until
 * synthrec_complete() (or synthrec_close()) delivers it as an event.
 */
int synthrec_open_kind(struct synthrec **out, const char *db,
		       const char *const *disks, int ndisks, int kind,
		       char *err, size_t errlen);
/* Carry out and deliver queued request number i (0: the oldest) as an
 * event with the next seq.  0, or -ENOENT / a logging error. */
int synthrec_complete(struct synthrec *s, unsigned i);
/* Requests submitted and not yet delivered. */
unsigned synthrec_pending(struct synthrec *s);
/* The synthetic guest's RAM (1 MiB at gpa 0). */
uint8_t *synthrec_ram(struct synthrec *s);

/*
 * One exit.  For IO, the bus is called `count` times with the data pointer
 * advancing, and the pio row holds all size*count bytes; `answer` (may be
 * NULL) receives them.  Other reasons have no device access.
 */
int synthrec_exit(struct synthrec *s, const struct synth_access *a, void *answer);
int synthrec_script(struct synthrec *s, const struct synth_access *a, size_t n);
/* The last seq handed out (exit or event). */
uint64_t synthrec_seq(const struct synthrec *s);

/* Finish like `exitlog record`: end_reason, exit_count, final disk hashes,
 * store_close().  Frees s.  Returns 0 or -EIO. */
int synthrec_close(struct synthrec *s, const char *end_reason);

/* Helpers: make an image of `sectors` sectors filled from `seed`
 * (byte i = (i * 7 + seed) & 0xff); copy a file; sha256 hex of a file. */
int synthrec_make_image(const char *path, uint64_t sectors, int seed);
int synthrec_copy(const char *from, const char *to);

/* Scripts: an ATA session on disk 0 (IDENTIFY, write 3 sectors at LBA 5,
 * read them back, status polls, a flush, HLT) and a UART "hello" (LSR poll
 * + THR per byte, HLT).  Return the number of exits written to *a (a must
 * hold 64 entries); `wbuf` must hold 3*512 bytes and stay valid. */
size_t synthrec_ata_script(struct synth_access *a, uint8_t *wbuf);
size_t synthrec_hello_script(struct synth_access *a, const char *text);

/*
 * Compare two recordings table by table, every column, ignoring the meta
 * keys replay_meta_is_volatile() names.  Returns 0 when identical, else 1
 * with the first difference described in why.
 */
int synthrec_db_diff(const char *a, const char *b, char *why, size_t whylen);

#endif
