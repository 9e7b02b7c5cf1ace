/*
 * fuzz_host.h - the glue between libFuzzer bytes and the device models: a
 * `struct host` whose answers (block results and data, DMA faults, console
 * input, time, the completion of asynchronous block requests) come from
 * the fuzz input, a guest RAM the input fills, and an op interpreter that
 * turns the rest of the input into port-IO and MMIO accesses dispatched
 * through devices/dispatch.c (dispatch_access(), the call recorder/run.c
 * makes for every KVM_EXIT_IO and KVM_EXIT_MMIO) and into the asynchronous
 * events recorder/iothread.c delivers (board_blk_complete()).  This is the
 * one file to re-point when the dispatch moves.
 *
 * Input layout (also analyzer/fuzzseed.h): a u16 LE header A, then ops
 * read from the front, then A bytes of host answers read from the back (last
 * byte first; A is clamped to what is there), so an access sequence and the
 * answers mutate independently.  Both streams read as zeros once exhausted,
 * and zero answers mean "success, zero data": a seed with A = 0 runs on a
 * host where everything works.
 *
 *   op 0 IO     sel u8, flags u8 [, port u16 when sel == 0xff] [, count u8
 *               when flags & FUZZ_IO_REP] [, data for writes]
 *               flags: bits 0-1 size (1, 2, 4, 4), bit 2 write, bit 3 rep
 *               (count+1 accesses, the data pointer advancing like rep
 *               ins/outs); sel picks a port from the target's list
 *   op 1 POKE   gpa u32 (modulo FUZZ_RAM), len u8 (+1), bytes: the guest
 *               writes its memory (virtqueues, buffers)
 *   op 2 RESET  board_reset(): the devices not in their power-on state
 *               (reached by an access or event since their last reset) get
 *               the reset board_reset() gives them
 *   op 3 TIME   advance virtual time by u16 * 1000 ns
 *   op 4 RX     byte u8: console input arrives at the UART (uart_receive)
 * Targets with MMIO addresses or an asynchronous host also have
 *   op 5 MMIO   sel u8, flags u8 [, gpa u32 when sel == 0xff] [, data for
 *               writes]: one KVM_EXIT_MMIO access; flags bits 0-1 size (1,
 *               2, 4, 8), bit 2 write; sel picks an address from the
 *               target's list
 *   op 6 DONE   sel u8: the (sel % n)-th of the n block requests in flight
 *               (oldest first) completes now, as a blk_done event; sel ==
 *               0xff: dev u8 and a completion nobody asked for (the tag of
 *               the last completed request again, to the board's disk dev %
 *               (ndisks + 1), the last one being "com1"), as a corrupt log
 *               could make the replayer deliver
 * Other op bytes are taken modulo the number of ops the target has (5, or
 * 7), so the corpora of targets without MMIO keep their meaning.
 *
 * Answers, each taken when a device or the host asks: blk_read status u8 (<
 * 0xf0 ok; 0xf0.. -EIO, -EINVAL, -ENOSPC in turn) then up to 16 data bytes
 * repeated over the buffer; blk_write/blk_flush status u8; blk_submit u8
 * (0xff: refused with -ENOMEM, no completion); a completion: status u8 as
 * for blk_read (then its 16 data bytes for a read); dma_read/dma_write fault
 * u8 (0xff: -EFAULT even inside RAM); console_in u8 (odd: a byte follows).
 *
 * Guest RAM is the board's cfg.ram_bytes (FUZZ_RAM when 0) from gpa 0,
 * backed by FUZZ_RAM bytes that repeat over it (gpa and gpa + FUZZ_RAM are
 * the same byte): DMA past ram_bytes is -EFAULT as on the live host, and a
 * recording's rings at high addresses still land in the fuzz host's RAM.
 */
#ifndef EXITLOG_FUZZ_HOST_H
#define EXITLOG_FUZZ_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/board.h"

#define FUZZ_RAM (1u << 20)

enum fuzz_op {
	FUZZ_OP_IO = 0,
	FUZZ_OP_POKE = 1,
	FUZZ_OP_RESET = 2,
	FUZZ_OP_TIME = 3,
	FUZZ_OP_RX = 4,
	FUZZ_NOPS_PIO = 5,      /* ops of a port-IO-only, synchronous target */
	FUZZ_OP_MMIO = 5,
	FUZZ_OP_DONE = 6,
	FUZZ_NOPS_ALL = 7,
};

#define FUZZ_IO_WRITE 0x04u
#define FUZZ_IO_REP 0x08u
#define FUZZ_SEL_RAW 0xffu

/* A fuzz target: the board it builds and the addresses its ops aim at. */
struct fuzz_target {
	const char *name;            /* "uart", "ata", ... (tests/fuzz/regress/NAME) */
	struct board_config cfg;     /* disks of the board, its RAM size */
	const uint16_t *ports;       /* the target device's ports */
	size_t nports;
	const uint64_t *mmio;        /* its MMIO addresses (gpa) */
	size_t nmmio;
	bool async;                  /* the host has blk_submit (recorder/iothread.c) */
};

/*
 * Run one input against the board of `t`: built on the first call, and put
 * back into its power-on state before every other input: each device that
 * an access or event reached since its last reset is reset (the reset
 * board_reset() gives it), the others are still in that state (so a
 * finding that needs the state of an earlier input is a reset bug).  Every
 * op in order; then the block requests still in flight complete, oldest
 * first (as the recorder delivers them after the last exit); guest RAM
 * pages the input touched are zeroed afterwards.  Returns 0; aborts (a
 * fuzzer finding) when the board cannot be built or a device breaks a
 * host-interface rule: an IRQ line out of 0..63 or a level not 0/1, a block
 * request of a disk the board lacks, a buffer of the wrong size, a system
 * event other than reset/power-off, a device that does not know a request
 * it submitted when its completion comes.
 */
int fuzz_run(const struct fuzz_target *t, const uint8_t *data, size_t size);

#endif
