/*
 * test_uart.c - devices/uart.c: register-level scripts in the order the
 * Linux 8250 driver and polling guests use them; IRQ histories are exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/uart.h"
#include "tests/unit/fakehost.h"

#define IRQ 4

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
       LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

struct fixture {
	struct uart *u;
	struct fakehost *fh;
	const struct host *h;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	f->u = uart_create("com1", IRQ);
	f->fh = fakehost_create(0, 0);
	assert_non_null(f->u);
	assert_non_null(f->fh);
	f->h = fakehost_host(f->fh);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uart_destroy(f->u);
	fakehost_destroy(f->fh);
	test_free(f);
	return 0;
}

static void wr(struct fixture *f, unsigned off, uint8_t v)
{
	assert_int_equal(uart_io(f->u, f->h, off, &v, 1, true), 0);
}

static uint8_t rd(struct fixture *f, unsigned off)
{
	uint8_t v = 0;

	assert_int_equal(uart_io(f->u, f->h, off, &v, 1, false), 0);
	return v;
}

/* Assert the whole irq_set history: pairs of (line, level). */
static void assert_irqs(struct fixture *f, const int *levels, size_t n)
{
	assert_int_equal(fakehost_nirqs(f->fh), n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(fakehost_irq(f->fh, i)->line, IRQ);
		assert_int_equal(fakehost_irq(f->fh, i)->level, levels[i]);
	}
}

static void test_uart_reset_state(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, LSR), 0x60);
	assert_int_equal(rd(f, IIR), 0x01);
	assert_int_equal(rd(f, IER), 0x00);
	assert_int_equal(rd(f, LCR), 0x00);
	assert_int_equal(rd(f, MCR), 0x00);
	assert_int_equal(rd(f, MSR), 0xb0);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
}

static void test_uart_hello_reaches_console(void **state)
{
	struct fixture *f = *state;
	const char *msg = "hello\n";
	const uint8_t *out;
	size_t n;

	wr(f, LCR, 0x03);
	for (const char *p = msg; *p; p++) {
		/* A polling guest waits for THRE before each byte. */
		assert_int_equal(rd(f, LSR) & 0x20, 0x20);
		wr(f, THR, (uint8_t)*p);
		assert_int_equal(rd(f, LSR), 0x60);
	}
	out = fakehost_console(f->fh, &n);
	assert_int_equal(n, strlen(msg));
	assert_memory_equal(out, msg, n);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
}

static void test_uart_scratch_register(void **state)
{
	struct fixture *f = *state;

	wr(f, SCR, 0xa5);
	assert_int_equal(rd(f, SCR), 0xa5);
	wr(f, SCR, 0x5a);
	assert_int_equal(rd(f, SCR), 0x5a);
}

static void test_uart_ier_keeps_low_nibble(void **state)
{
	struct fixture *f = *state;

	wr(f, IER, 0x00);
	assert_int_equal(rd(f, IER), 0x00);
	wr(f, IER, 0xff);
	assert_int_equal(rd(f, IER), 0x0f);
}

static void test_uart_dlab_divisor_round_trip(void **state)
{
	struct fixture *f = *state;
	size_t n;

	wr(f, LCR, 0x83);
	wr(f, DLL, 0x01);
	wr(f, DLM, 0x02);
	assert_int_equal(rd(f, DLL), 0x01);
	assert_int_equal(rd(f, DLM), 0x02);
	wr(f, LCR, 0x03);
	assert_int_equal(rd(f, LCR), 0x03);
	/* Without DLAB, offsets 0/1 are THR/RBR and IER again. */
	assert_int_equal(rd(f, IER), 0x00);
	wr(f, THR, 'x');
	fakehost_console(f->fh, &n);
	assert_int_equal(n, 1);
	wr(f, LCR, 0x83);
	assert_int_equal(rd(f, DLL), 0x01);
	assert_int_equal(rd(f, DLM), 0x02);
	/* A divisor write is not a transmitted byte. */
	fakehost_console(f->fh, &n);
	assert_int_equal(n, 1);
}

static void test_uart_thre_irq_sequence(void **state)
{
	struct fixture *f = *state;
	static const int levels[] = { 1, 0, 1, 0, 1, 0 };
	const uint8_t *out;
	size_t n;

	wr(f, MCR, 0x08);             /* OUT2: the PC's IRQ gate */
	assert_int_equal(fakehost_nirqs(f->fh), 0);
	wr(f, IER, 0x02);             /* ETBEI with THR empty -> THRE */
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, IIR), 0x02);   /* reading IIR clears THRE */
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 0);
	assert_int_equal(rd(f, IIR), 0x01);
	wr(f, THR, 'A');              /* byte leaves at once: THRE again */
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	wr(f, THR, 'B');              /* already raised: no call */
	assert_int_equal(fakehost_nirqs(f->fh), 3);
	assert_int_equal(rd(f, IIR), 0x02);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 0);
	wr(f, MCR, 0x00);             /* OUT2 off gates the line */
	wr(f, THR, 'C');
	assert_int_equal(fakehost_nirqs(f->fh), 4);
	wr(f, MCR, 0x08);             /* pending THRE shows up now */
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	wr(f, IER, 0x00);             /* masked: line drops */
	assert_irqs(f, levels, 6);
	out = fakehost_console(f->fh, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "ABC", 3);
}

static void test_uart_thre_reasserted_by_ier_toggle(void **state)
{
	struct fixture *f = *state;

	/* Linux's UART_BUG_THRE test: THRE must come back when ETBEI is
	 * cleared and set again, even though IIR was read in between. */
	wr(f, IER, 0x02);
	assert_int_equal(rd(f, IIR), 0x02);
	wr(f, IER, 0x00);
	wr(f, IER, 0x02);
	assert_int_equal(rd(f, IIR), 0x02);
	assert_int_equal(rd(f, IIR), 0x01);
	/* Setting ETBEI when it is already set does not re-arm. */
	wr(f, IER, 0x03);
	assert_int_equal(rd(f, IIR), 0x01);
	/* No OUT2: nothing reached the interrupt controller. */
	assert_int_equal(fakehost_nirqs(f->fh), 0);
}

static void test_uart_loopback_msr(void **state)
{
	struct fixture *f = *state;
	size_t n;

	wr(f, MCR, 0x1a);             /* LOOP | OUT2 | RTS, as Linux probes */
	assert_int_equal(rd(f, MSR) & 0xf0, 0x90);
	wr(f, MCR, 0x1f);
	assert_int_equal(rd(f, MSR) & 0xf0, 0xf0);
	wr(f, MCR, 0x11);             /* DTR -> DSR */
	assert_int_equal(rd(f, MSR) & 0xf0, 0x20);
	/* A byte sent in loopback comes back and is not on the console. */
	wr(f, THR, 0x55);
	assert_int_equal(rd(f, LSR), 0x61);
	assert_int_equal(rd(f, RBR), 0x55);
	assert_int_equal(rd(f, LSR), 0x60);
	fakehost_console(f->fh, &n);
	assert_int_equal(n, 0);
	wr(f, MCR, 0x00);
	assert_int_equal(rd(f, MSR) & 0xf0, 0xb0);
}

static void test_uart_loopback_msr_interrupt(void **state)
{
	struct fixture *f = *state;

	wr(f, IER, 0x08);
	wr(f, MCR, 0x1a);             /* lines b0 -> 90: DSR dropped */
	assert_int_equal(rd(f, IIR), 0x00);
	assert_int_equal(rd(f, MSR), 0x90 | 0x02);   /* DDSR */
	assert_int_equal(rd(f, IIR), 0x01);
	wr(f, MCR, 0x1e);             /* OUT1 -> RI rises: no TERI */
	assert_int_equal(rd(f, IIR), 0x01);
	wr(f, MCR, 0x1a);             /* RI falls: TERI */
	assert_int_equal(rd(f, MSR), 0x90 | 0x04);
	assert_int_equal(rd(f, IIR), 0x01);
	/* Loopback disconnects OUT2 from the line: no IRQ even with OUT2. */
	assert_int_equal(fakehost_nirqs(f->fh), 0);
}

static void test_uart_fifo_iir_bits(void **state)
{
	struct fixture *f = *state;

	wr(f, FCR, 0x01);
	assert_int_equal(rd(f, IIR), 0xc1);
	wr(f, FCR, 0x00);
	assert_int_equal(rd(f, IIR), 0x01);
	wr(f, FCR, 0xc7);
	assert_int_equal(rd(f, IIR), 0xc1);
	/* Not a 16750: bit 5 stays clear even when 64-byte mode is asked. */
	wr(f, FCR, 0x21);
	assert_int_equal(rd(f, IIR) >> 5, 6);
	/* IIR keeps its FIFO bits with DLAB set. */
	wr(f, LCR, 0x80);
	assert_int_equal(rd(f, IIR), 0xc1);
}

static void test_uart_receive_sets_dr_and_rda(void **state)
{
	struct fixture *f = *state;
	static const int levels[] = { 1, 0 };

	wr(f, MCR, 0x08);
	wr(f, IER, 0x01);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
	uart_receive(f->u, f->h, 'x');
	assert_int_equal(rd(f, LSR), 0x61);
	assert_int_equal(rd(f, IIR), 0x04);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, RBR), 'x');
	assert_int_equal(rd(f, LSR), 0x60);
	assert_int_equal(rd(f, IIR), 0x01);
	assert_irqs(f, levels, 2);
}

static void test_uart_receive_fifo_order_and_overrun(void **state)
{
	struct fixture *f = *state;

	wr(f, FCR, 0x07);
	for (int i = 0; i < 17; i++)
		uart_receive(f->u, f->h, (uint8_t)('a' + i));
	assert_int_equal(rd(f, LSR), 0x63);   /* DR | OE */
	assert_int_equal(rd(f, LSR), 0x61);   /* OE is cleared by reading */
	for (int i = 0; i < 16; i++)
		assert_int_equal(rd(f, RBR), 'a' + i);
	assert_int_equal(rd(f, LSR), 0x60);
	/* An empty RBR reads the last byte again. */
	assert_int_equal(rd(f, RBR), 'p');
	/* Without the FIFO the holding register keeps one byte. */
	wr(f, FCR, 0x00);
	uart_receive(f->u, f->h, '1');
	uart_receive(f->u, f->h, '2');
	assert_int_equal(rd(f, LSR), 0x63);
	assert_int_equal(rd(f, RBR), '2');
}

static void test_uart_rls_interrupt_priority(void **state)
{
	struct fixture *f = *state;

	wr(f, MCR, 0x08);
	wr(f, IER, 0x07);             /* RLS, RDA, THRE */
	assert_int_equal(rd(f, IIR), 0x02);
	uart_receive(f->u, f->h, 'a');
	uart_receive(f->u, f->h, 'b'); /* no FIFO: overrun */
	assert_int_equal(rd(f, IIR), 0x06);
	assert_int_equal(rd(f, LSR), 0x63);
	assert_int_equal(rd(f, IIR), 0x04);
	assert_int_equal(rd(f, RBR), 'b');
	assert_int_equal(rd(f, IIR), 0x01);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 0);
}

static void test_uart_polling_without_irq(void **state)
{
	struct fixture *f = *state;

	wr(f, MCR, 0x0b);             /* DTR RTS OUT2, but IER = 0 */
	wr(f, THR, 'p');
	uart_receive(f->u, f->h, 'q');
	assert_int_equal(rd(f, LSR), 0x61);
	assert_int_equal(rd(f, IIR), 0x01);
	assert_int_equal(rd(f, RBR), 'q');
	assert_int_equal(fakehost_nirqs(f->fh), 0);
}

static void test_uart_wide_access_and_regname(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[2] = { 0, 0 };

	assert_int_equal(uart_io(f->u, f->h, LSR, buf, 2, false), 0);
	assert_int_equal(buf[0], 0x60);
	assert_int_equal(buf[1], 0xff);
	assert_string_equal(uart_regname(0, false), "rbr");
	assert_string_equal(uart_regname(0, true), "thr");
	assert_string_equal(uart_regname(2, false), "iir");
	assert_string_equal(uart_regname(2, true), "fcr");
	assert_string_equal(uart_regname(5, false), "lsr");
	assert_string_equal(uart_regname(7, true), "scr");
	assert_null(uart_regname(8, false));
}

static void test_uart_reset_restores_power_on(void **state)
{
	struct fixture *f = *state;

	wr(f, LCR, 0x83);
	wr(f, SCR, 0x12);
	wr(f, FCR, 0x01);
	uart_receive(f->u, f->h, 'z');
	uart_reset(f->u);
	assert_int_equal(rd(f, LCR), 0x00);
	assert_int_equal(rd(f, SCR), 0x00);
	assert_int_equal(rd(f, IIR), 0x01);
	assert_int_equal(rd(f, LSR), 0x60);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_uart_reset_state),
		T(test_uart_hello_reaches_console),
		T(test_uart_scratch_register),
		T(test_uart_ier_keeps_low_nibble),
		T(test_uart_dlab_divisor_round_trip),
		T(test_uart_thre_irq_sequence),
		T(test_uart_thre_reasserted_by_ier_toggle),
		T(test_uart_loopback_msr),
		T(test_uart_loopback_msr_interrupt),
		T(test_uart_fifo_iir_bits),
		T(test_uart_receive_sets_dr_and_rda),
		T(test_uart_receive_fifo_order_and_overrun),
		T(test_uart_rls_interrupt_priority),
		T(test_uart_polling_without_irq),
		T(test_uart_wide_access_and_regname),
		T(test_uart_reset_restores_power_on),
	};

	return cmocka_run_group_tests_name("uart", tests, NULL, NULL);
}
