/*
 * test_mptable.c - the MP tables of an SMP guest (recorder/mptable.c), read
 * back the way Linux's mpparse.c reads them: the floating pointer found on
 * a 16-byte boundary in 0xf0000-0xfffff with a zero checksum, the
 * configuration table with a zero checksum and its entry count; one
 * enabled processor per vCPU with APIC ids 0..n-1 and only vCPU 0 the BSP;
 * the I/O APIC after them; ISA IRQs on their own pins; the virtio-blk
 * function's INTA# on its interrupt line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/board.h"
#include "recorder/mptable.h"

#define RAM (2u << 20)

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* Scan like smp_scan_config(): the floating pointer, or NULL. */
static const uint8_t *find_fp(const uint8_t *ram)
{
	for (uint32_t a = 0xf0000; a < 0x100000; a += 16)
		if (!memcmp(ram + a, "_MP_", 4) && ram[a + 8] == 1 && sum(ram + a, 16) == 0)
			return ram + a;
	return NULL;
}

static void test_mptable_two_cpus_and_routing(void **state)
{
	struct board_config cfg = { .ndisks = 2, .ram_bytes = RAM };
	uint8_t *ram = calloc(1, RAM);
	const uint8_t *fp, *t, *e, *end;
	int cpus = 0, bsp = 0, ioapics = 0, isa_bus = -1, pci_bus = -1;
	int irq4 = -1, vblk = -1, lint = 0, ioapic_id = -1;
	struct board b;

	(void)state;
	cfg.disks[0].kind = DISK_IDE;
	cfg.disks[0].sectors = 64;
	cfg.disks[1].kind = DISK_VIRTIO;
	cfg.disks[1].sectors = 64;
	assert_non_null(ram);
	assert_int_equal(board_create(&b, &cfg), 0);
	assert_int_equal(mptable_write(ram, RAM, 2, 0x00a00f11, 0x178bfbff, &b), 0);
	fp = find_fp(ram);
	assert_non_null(fp);
	assert_int_equal(fp[9], 4);               /* spec 1.4 */
	assert_int_equal(fp[11], 0);              /* a configuration table follows */
	t = ram + get32(fp + 4);
	assert_memory_equal(t, "PCMP", 4);
	assert_int_equal(sum(t, get16(t + 4)), 0);
	assert_int_equal(get32(t + 36), 0xfee00000);
	e = t + 44;
	end = t + get16(t + 4);
	for (int i = 0; i < get16(t + 34); i++) {
		assert_true(e < end);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], cpus);
			assert_true(e[3] & 1);
			bsp += (e[3] & 2) ? (e[1] == 0 ? 1 : 100) : 0;
			assert_int_equal(get32(e + 4), 0x00a00f11);
			cpus++;
			e += 20;
			continue;
		case 1:
			if (!memcmp(e + 2, "ISA   ", 6))
				isa_bus = e[1];
			if (!memcmp(e + 2, "PCI   ", 6))
				pci_bus = e[1];
			break;
		case 2:
			ioapics++;
			ioapic_id = e[1];
			assert_int_equal(get32(e + 4), 0xfec00000);
			break;
		case 3:
			assert_int_equal(e[6], ioapic_id);
			if (e[4] == isa_bus && e[5] == 4)
				irq4 = e[7];
			if (e[4] == pci_bus && e[5] == (1 << 2)) /* device 1, INTA# */
				vblk = e[7];
			if (e[4] == isa_bus)
				assert_int_not_equal(e[5], 2);  /* the cascade is not routed */
			break;
		case 4:
			lint++;
			break;
		default:
			fail_msg("entry type %d", e[0]);
		}
		e += 8;
	}
	assert_ptr_equal(e, end);
	assert_int_equal(cpus, 2);
	assert_int_equal(bsp, 1);
	assert_int_equal(ioapics, 1);
	assert_int_equal(ioapic_id, 2);
	assert_int_equal(irq4, 4);
	assert_int_equal(vblk, board_find(&b, "vblk0")->irq);
	assert_int_equal(lint, 2);
	board_destroy(&b);
	free(ram);
}

static void test_mptable_bad_input(void **state)
{
	struct board_config cfg = { .ram_bytes = RAM };
	uint8_t *ram = calloc(1, RAM);
	struct board b;

	(void)state;
	assert_int_equal(board_create(&b, &cfg), 0);
	assert_int_equal(mptable_write(ram, RAM, 0, 0, 0, &b), -EINVAL);
	assert_int_equal(mptable_write(ram, 0x80000, 2, 0, 0, &b), -EINVAL);
	assert_int_equal(mptable_write(ram, RAM, 8, 0, 0, &b), 0);
	board_destroy(&b);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mptable_two_cpus_and_routing),
		cmocka_unit_test(test_mptable_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
