/*
 * fuzz_host.h - the glue between libFuzzer bytes and the device models: a
 * `struct host` whose answers (block results and data, DMA faults, console
 * input, time) come from the fuzz input, a small guest RAM the input fills,
 * and an op interpreter that turns the rest of the input into port-IO
 * accesses dispatched through the board's bus (devices/board.h,
 * devices/bus.h), the way recorder/run.c hands KVM exits to bus_access().
 * This is the one file to re-point when the dispatch moves.
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
 *   op 2 RESET  board_reset()
 *   op 3 TIME   advance virtual time by u16 * 1000 ns
 *   op 4 RX     byte u8: console input arrives at the UART (uart_receive)
 *   other op bytes are taken modulo 5.
 *
 * Answers, each taken when a device asks: blk_read status u8 (< 0xf0 ok;
 * 0xf0.. -EIO, -EINVAL, -ENOSPC in turn) then up to 16 data bytes repeated
 * over the buffer; blk_write/blk_flush status u8; dma_read/dma_write fault
 * u8 (0xff: -EFAULT even inside RAM); console_in u8 (odd: a byte follows).
 */
#ifndef EXITLOG_FUZZ_HOST_H
#define EXITLOG_FUZZ_HOST_H

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
	FUZZ_NOPS = 5,
};

#define FUZZ_IO_WRITE 0x04u
#define FUZZ_IO_REP 0x08u
#define FUZZ_SEL_RAW 0xffu

/* A fuzz target: the board it builds and the ports its ops aim at. */
struct fuzz_target {
	const char *name;            /* "uart", "ata", ... (tests/fuzz/regress/NAME) */
	struct board_config cfg;     /* disks of the board */
	const uint16_t *ports;       /* the target device's ports */
	size_t nports;
};

/*
 * Run one input against the board of `t`: built on the first call, and put
 * back into its power-on state with board_reset() before every other input
 * (so a finding that needs the state of an earlier input is also a
 * board_reset() bug).  Every op in order; guest RAM pages the input touched
 * are zeroed afterwards.  Returns 0; aborts (a fuzzer finding) when the board
 * cannot be built or a device breaks a host-interface rule (an IRQ line out
 * of 0..63 or a level not 0/1, a block request of a disk the board lacks).
 */
int fuzz_run(const struct fuzz_target *t, const uint8_t *data, size_t size);

#endif
