/*
 * uart.h - 16550A UART model (COM1 at 0x3f8, IRQ 4 on the PC board).
 *
 * Registers (offset from base): 0 RBR/THR (DLL with DLAB), 1 IER (DLM with
 * DLAB), 2 IIR (read) / FCR (write), 3 LCR, 4 MCR, 5 LSR, 6 MSR, 7 SCR.
 * Transmitted bytes go to host_console_out(); the interrupt line follows the
 * 16550 priority rules (RLS > RDA > THRE > MSR) gated by IER and MCR.OUT2 and
 * is driven with host_irq_set() only when its level changes.
 * Not implemented: modem-line loopback timing, FIFO trigger-level timeouts.
 */
#ifndef EXITLOG_UART_H
#define EXITLOG_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/hostif.h"

struct uart;

/* Allocate a UART in its power-on state.  `name` is kept by pointer. NULL on ENOMEM. */
struct uart *uart_create(const char *name, int irq);
/* Back to the power-on state (no host calls). */
void uart_reset(struct uart *u);
void uart_destroy(struct uart *u);

/* bus_io_fn for the 8-port register block; accesses must be 1 byte wide
 * (wider accesses act on the low byte, and read back ff in the upper ones). */
int uart_io(void *dev, const struct host *h, uint64_t off, void *data,
	    uint32_t len, bool is_write);
/* bus_regname_fn: "thr", "rbr", "ier", "iir", "fcr", "lcr", "mcr", "lsr", "msr", "scr" (DLAB-independent names). */
const char *uart_regname(uint64_t off, bool is_write);
/* Queue one received byte (console input): sets LSR.DR, may raise the IRQ. */
void uart_receive(struct uart *u, const struct host *h, uint8_t byte);
/* Bytes the receiver takes now without an overrun (FIFO room; 1 or 0 in
 * 16450 mode).  Console input is offered only up to this. */
unsigned uart_rx_room(const struct uart *u);

#endif
