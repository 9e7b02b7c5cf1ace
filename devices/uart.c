/*
 * uart.c - 16550A UART model (see uart.h), after the NS16550A data sheet and
 * what Linux's 8250 driver probes (scratch register, IER low nibble, FCR ->
 * IIR bits 7:6 = 11, MCR loopback -> MSR 0x90, THRE re-assertion when
 * IER.ETBEI is set again).
 *
 * Transmission is instant: a THR write goes to host_console_out() (or, in
 * loopback, into the receive FIFO) and LSR.THRE|TEMT are set again at once.
 * Receive: a 16-byte FIFO (1 byte with FCR.FIFOE clear) fed by
 * uart_receive(); a byte that does not fit sets LSR.OE and is lost (without
 * the FIFO it overwrites the holding register, as on a 16450).
 * RDA is reported as soon as one byte is present (as with trigger level 1;
 * character timeouts are not modelled).  The modem inputs outside loopback
 * are fixed at DCD|DSR|CTS and never change, so MSR interrupts only come
 * from loopback.
 * The IRQ line is (interrupt pending) && MCR.OUT2 && !MCR.LOOP: as on a PC,
 * OUT2 gates the line and loopback disconnects the OUT pins from it.
 * Power-on: every register 0 (divisor included) except LSR 0x60, IIR 0x01,
 * MSR 0xb0; uart_reset() forgets the line level without calling the host.
 * Not implemented: parity/framing/break errors, baud-rate timing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/uart.h"

#define UART_FIFO 16

/* IER */
#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define IER_ELSI 0x04
#define IER_EDSSI 0x08
/* IIR */
#define IIR_NONE 0x01
#define IIR_RLS 0x06
#define IIR_RDA 0x04
#define IIR_THRE 0x02
#define IIR_MSR 0x00
#define IIR_FIFO 0xc0
/* FCR */
#define FCR_FIFOE 0x01
#define FCR_RXCLR 0x02
/* LCR */
#define LCR_DLAB 0x80
/* MCR */
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
/* LSR */
#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_ERRS 0x1e /* OE PE FE BI */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
/* MSR: lines in the high nibble, deltas in the low one */
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
#define MSR_TERI 0x04
#define MSR_EXTERNAL (MSR_DCD | MSR_DSR | MSR_CTS)

struct uart {
	const char *name;
	int irq;
	/* registers */
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	uint8_t lsr_err;   /* sticky LSR error bits, cleared by reading LSR */
	uint8_t msr_delta; /* MSR low nibble, cleared by reading MSR */
	bool thre_pending; /* THRE interrupt condition (cleared by IIR read) */
	/* receive FIFO */
	uint8_t rx[UART_FIFO];
	unsigned rx_head, rx_count;
	uint8_t rbr_last;
	int irq_level;     /* last level driven with host_irq_set */
};

static const char *const uart_rnames[8] = {
	"rbr", "ier", "iir", "lcr", "mcr", "lsr", "msr", "scr",
};
static const char *const uart_wnames[8] = {
	"thr", "ier", "fcr", "lcr", "mcr", "lsr", "msr", "scr",
};

struct uart *uart_create(const char *name, int irq)
{
	struct uart *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->name = name;
	u->irq = irq;
	uart_reset(u);
	return u;
}

void uart_reset(struct uart *u)
{
	const char *name = u->name;
	int irq = u->irq;

	memset(u, 0, sizeof(*u));
	u->name = name;
	u->irq = irq;
}

void uart_destroy(struct uart *u)
{
	free(u);
}

const char *uart_regname(uint64_t off, bool is_write)
{
	if (off >= 8)
		return NULL;
	return is_write ? uart_wnames[off] : uart_rnames[off];
}

/* Modem status lines as the guest sees them (high nibble of MSR). */
static uint8_t uart_msr_lines(const struct uart *u)
{
	uint8_t m = u->mcr, v = 0;

	if (!(m & MCR_LOOP))
		return MSR_EXTERNAL;
	if (m & MCR_DTR)
		v |= MSR_DSR;
	if (m & MCR_RTS)
		v |= MSR_CTS;
	if (m & MCR_OUT1)
		v |= MSR_RI;
	if (m & MCR_OUT2)
		v |= MSR_DCD;
	return v;
}

/* Record the delta bits for a change of the modem lines from old to new. */
static void uart_msr_change(struct uart *u, uint8_t old, uint8_t new)
{
	uint8_t x = old ^ new;

	if (x & MSR_CTS)
		u->msr_delta |= 0x01;
	if (x & MSR_DSR)
		u->msr_delta |= 0x02;
	if ((old & MSR_RI) && !(new & MSR_RI))
		u->msr_delta |= MSR_TERI;
	if (x & MSR_DCD)
		u->msr_delta |= 0x08;
}

/* The highest-priority pending interrupt, as IIR bits 3:0. */
static uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr_err & LSR_ERRS))
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && u->rx_count)
		return IIR_RDA;
	if ((u->ier & IER_ETBEI) && u->thre_pending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && u->msr_delta)
		return IIR_MSR;
	return IIR_NONE;
}

static void uart_update_irq(struct uart *u, const struct host *h)
{
	int level = uart_iir_id(u) != IIR_NONE &&
		    (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;

	if (level != u->irq_level) {
		u->irq_level = level;
		host_irq_set(h, u->irq, level);
	}
}

static void uart_rx_push(struct uart *u, uint8_t byte)
{
	unsigned cap = (u->fcr & FCR_FIFOE) ? UART_FIFO : 1;

	if (u->rx_count >= cap) {
		u->lsr_err |= LSR_OE;
		/* 16450 mode: the new byte overwrites RBR; FIFO mode: it is lost. */
		if (cap == 1)
			u->rx[u->rx_head] = byte;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO] = byte;
	u->rx_count++;
}

static uint8_t uart_rx_pop(struct uart *u)
{
	if (u->rx_count) {
		u->rbr_last = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO;
		u->rx_count--;
	}
	return u->rbr_last;
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

unsigned uart_rx_room(const struct uart *u)
{
	unsigned cap = (u->fcr & FCR_FIFOE) ? UART_FIFO : 1;

	return u->rx_count < cap ? cap - u->rx_count : 0;
}

void uart_receive(struct uart *u, const struct host *h, uint8_t byte)
{
	uart_rx_push(u, byte);
	uart_update_irq(u, h);
}

static void uart_write(struct uart *u, const struct host *h, unsigned reg,
		       uint8_t v)
{
	uint8_t old;

	switch (reg) {
	case 0:
		if (u->lcr & LCR_DLAB) {
			u->dll = v;
			break;
		}
		if (u->mcr & MCR_LOOP)
			uart_rx_push(u, v);
		else
			host_console_out(h, v);
		/* Writing THR clears THRE; the byte leaves at once and the
		 * empty holding register asserts THRE again. */
		u->thre_pending = true;
		break;
	case 1:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		old = u->ier;
		u->ier = v & 0x0f;
		/* Rising ETBEI with an empty THR asserts THRE (the 16550
		 * re-samples it; Linux's THRE test relies on this). */
		if ((u->ier & IER_ETBEI) && !(old & IER_ETBEI))
			u->thre_pending = true;
		break;
	case 2:
		if ((v ^ u->fcr) & FCR_FIFOE)
			uart_rx_clear(u);
		if (v & FCR_RXCLR)
			uart_rx_clear(u);
		/* TX FIFO clear: nothing to do, transmission is instant. */
		u->fcr = v & 0xc9; /* FIFOE, DMA mode, trigger level */
		if (!(u->fcr & FCR_FIFOE))
			u->fcr = 0;
		break;
	case 3:
		u->lcr = v;
		break;
	case 4:
		old = uart_msr_lines(u);
		u->mcr = v & 0x1f;
		uart_msr_change(u, old, uart_msr_lines(u));
		break;
	case 7:
		u->scr = v;
		break;
	default: /* LSR, MSR: read-only, writes dropped */
		break;
	}
	uart_update_irq(u, h);
}

static uint8_t uart_read(struct uart *u, const struct host *h, unsigned reg)
{
	uint8_t v = 0xff, id;

	switch (reg) {
	case 0:
		v = (u->lcr & LCR_DLAB) ? u->dll : uart_rx_pop(u);
		break;
	case 1:
		v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
		break;
	case 2:
		id = uart_iir_id(u);
		v = id | ((u->fcr & FCR_FIFOE) ? IIR_FIFO : 0);
		if (id == IIR_THRE)
			u->thre_pending = false;
		break;
	case 3:
		v = u->lcr;
		break;
	case 4:
		v = u->mcr;
		break;
	case 5:
		v = LSR_THRE | LSR_TEMT | (u->lsr_err & LSR_ERRS);
		if (u->rx_count)
			v |= LSR_DR;
		u->lsr_err = 0;
		break;
	case 6:
		v = uart_msr_lines(u) | u->msr_delta;
		u->msr_delta = 0;
		break;
	case 7:
		v = u->scr;
		break;
	}
	uart_update_irq(u, h);
	return v;
}

int uart_io(void *dev, const struct host *h, uint64_t off, void *data,
	    uint32_t len, bool is_write)
{
	struct uart *u = dev;
	uint8_t *p = data;

	if (len == 0)
		return -EINVAL;
	if (off >= 8) {
		if (!is_write)
			memset(p, 0xff, len);
		return -EINVAL;
	}
	if (is_write) {
		uart_write(u, h, (unsigned)off, p[0]);
	} else {
		memset(p, 0xff, len);
		p[0] = uart_read(u, h, (unsigned)off);
	}
	return 0;
}
