/*
 * fuzzseed.h - `exitlog export --fuzz-seed`: turn a recorded session into
 * seed inputs for the device fuzz targets (tests/fuzz/README.md).
 *
 * Seed format (read by tests/fuzz/fuzz_host.c): a u16 LE count A of answer
 * bytes at the end of the input, then a sequence of ops, then the A answer
 * bytes.  A seed has A = 0 and no answers (the fuzz host then answers
 * "success, zero data").
 *   IO    FUZZSEED_OP_IO, FUZZSEED_SEL_RAW, flags, port u16 LE,
 *         [count-1 u8 when flags & FUZZSEED_IO_REP], [size*count data bytes
 *         for a write].  flags: bits 0-1 log2(size), FUZZSEED_IO_WRITE,
 *         FUZZSEED_IO_REP.
 *   MMIO  FUZZSEED_OP_MMIO, FUZZSEED_SEL_RAW, flags, gpa u32 LE, [size data
 *         bytes for a write].  flags: bits 0-1 log2(size) (1..8),
 *         FUZZSEED_IO_WRITE.
 *   POKE  FUZZSEED_OP_POKE, gpa u32 LE, len-1 u8, len bytes: guest memory
 *         the device read (dma rows of at most FUZZSEED_POKE_MAX bytes:
 *         rings, descriptors, request headers; longer ones are a write's
 *         data, whose bytes never steer the device) is written before the
 *         exit or event that read it.
 *   DONE  FUZZSEED_OP_DONE, index u8: the recorded blk_done event of the
 *         request that is index-th (oldest first) among those the seed
 *         submitted and has not completed yet (targets with an
 *         asynchronous host only).
 *
 * Devices map to targets by name (fuzzseed_target), virtio-blk by the
 * disk's kind too: a modern one ('virtio-modern') goes to "vblk_modern".
 * The accesses of virtio-blk k are moved to the fuzz board's device (the
 * legacy IO BAR at 0xc000, the modern MMIO BAR at 0xfe000000), and each
 * device of a recording gets seeds of its own.
 */
#ifndef EXITLOG_FUZZSEED_H
#define EXITLOG_FUZZSEED_H

#include <stddef.h>

#include <sqlite3.h>

#define FUZZSEED_OP_IO 0
#define FUZZSEED_OP_POKE 1
#define FUZZSEED_OP_MMIO 5
#define FUZZSEED_OP_DONE 6
#define FUZZSEED_SEL_RAW 0xff
#define FUZZSEED_IO_WRITE 0x04
#define FUZZSEED_IO_REP 0x08
#define FUZZSEED_RAM (1u << 20)    /* guest RAM of the fuzz host (the vblk target's) */
#define FUZZSEED_MODERN_RAM (256u << 20) /* the vblk_modern target's guest RAM */
#define FUZZSEED_POKE_MAX 256      /* longer dma reads are data: no POKE */
#define FUZZSEED_MAX_BYTES 4096    /* one seed file at most (libFuzzer's default -max_len) */
#define FUZZSEED_MAX_FILES 64      /* seeds per device and recording */

/*
 * The fuzz target that drives device `device` ("com1" -> "uart", "ata0" ->
 * "ata", "i8042", "rtc" -> "cmos", "pci", "vblk0" -> "vblk" (the legacy
 * transport's target; see above for modern ones), "acpi" -> "acpi_pm"), or
 * NULL.
 */
const char *fuzzseed_target(const char *device);

/*
 * Write the port-IO and MMIO accesses of every device of the recording `db`
 * (and, for virtio-blk, the guest memory its exits and events read, and
 * for a modern one the order of its completions) as seeds into
 * DIR/TARGET/PREFIX-N (N from 1; existing files are never overwritten: the
 * next free N is taken).  DIR and its target directories are created.
 * Returns the number of seed files written (>= 0), or -errno with one line
 * in err.
 */
int fuzzseed_write(sqlite3 *db, const char *prefix, const char *dir,
		   char *err, size_t errlen);

#endif
