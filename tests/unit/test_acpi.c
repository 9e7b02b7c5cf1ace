/*
 * test_acpi.c - recorder/acpi.c (the tables: layout, pointers, checksums,
 * the \_S5 AML, the MADT's CPUs) and devices/acpi_pm.c (the PM1a block:
 * the S5 write powers off, nothing else does); fresh buffers and devices
 * per test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/acpi_pm.h"
#include "recorder/acpi.h"
#include "tests/unit/fakehost.h"

#define GPA 0xe0000u

static uint64_t ld(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t area[ACPI_AREA_SIZE];

/* The table at guest address `gpa`, checked: signature, checksum. */
static const uint8_t *table_at(uint64_t gpa, const char *sig)
{
	const uint8_t *t;

	assert_true(gpa >= GPA && gpa < GPA + ACPI_AREA_SIZE);
	t = area + (gpa - GPA);
	assert_memory_equal(t, sig, 4);
	assert_true(ld(t + 4, 4) >= 36 && gpa - GPA + ld(t + 4, 4) <= ACPI_AREA_SIZE);
	assert_int_equal(acpi_sum(t, ld(t + 4, 4)), 0);
	return t;
}

static void test_acpi_tables_checksums_and_pointers(void **state)
{
	const struct acpi_config c = { .ncpus = 1, .ioapic = true };
	const uint8_t *rsdp = area, *xsdt, *fadt, *dsdt, *facs;

	(void)state;
	memset(area, 0xaa, sizeof(area));
	assert_int_equal(acpi_build(area, sizeof(area), GPA, &c), 0);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(acpi_sum(rsdp, 20), 0);
	assert_int_equal(acpi_sum(rsdp, 36), 0);
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(ld(rsdp + 20, 4), 36);
	xsdt = table_at(ld(rsdp + 24, 8), "XSDT");
	assert_int_equal(ld(xsdt + 4, 4), 36 + 16);
	fadt = table_at(ld(xsdt + 36, 8), "FACP");
	table_at(ld(xsdt + 44, 8), "APIC");
	assert_int_equal(ld(fadt + 4, 4), 276);
	assert_int_equal(ld(fadt + 40, 4), ld(fadt + 140, 8)); /* DSDT == X_DSDT */
	dsdt = table_at(ld(fadt + 140, 8), "DSDT");
	facs = area + (ld(fadt + 36, 4) - GPA);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(ld(facs + 4, 4), 64);
	assert_int_equal((ld(fadt + 36, 4) & 63), 0);          /* FACS 64-byte aligned */
	/* the PM1a blocks are where devices/acpi_pm.c decodes them */
	assert_int_equal(ld(fadt + 56, 4), ACPI_PM_BASE);
	assert_int_equal(ld(fadt + 64, 4), ACPI_PM_BASE + 4);
	assert_int_equal(fadt[88], 4);
	assert_int_equal(fadt[89], 2);
	assert_int_equal(fadt[91], 0);                          /* no PM timer */
	assert_int_equal(ld(fadt + 48, 4), 0);                  /* no SMI_CMD */
	assert_int_equal(ld(fadt + 46, 2), ACPI_PM_SCI_IRQ);
	assert_int_equal(ld(fadt + 109, 2) & 3, 3);             /* legacy devices, 8042 */
	assert_int_equal(ld(fadt + 172 + 4, 8), ACPI_PM_BASE + 4); /* X_PM1a_CNT_BLK */
	/* \_S5 = Package (4) { 5, 5, 0, 0 } */
	{
		static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
					      0x0a, 5, 0x0a, 5, 0x00, 0x00 };

		static const uint8_t scope[] = { 0x10 };
		const uint8_t *p = dsdt + 36 + sizeof(s5);
		unsigned body;

		assert_memory_equal(dsdt + 36, s5, sizeof(s5));
		/* then Scope (\_SB) { Device (PCI0) {...} } filling the rest */
		assert_memory_equal(p, scope, 1);
		assert_int_equal(p[1] >> 6, 1);                  /* two-byte PkgLength */
		body = (p[1] & 0x0f) | p[2] << 4;
		assert_int_equal(36 + sizeof(s5) + 1 + body, ld(dsdt + 4, 4));
		assert_memory_equal(p + 3, "_SB_\x5b\x82", 6);
		assert_memory_equal(p + 11, "PCI0\x08_HID\x0c\x41\xd0\x0a\x03", 14);
		assert_true(ld(dsdt + 4, 4) <= ACPI_OFF_MADT - ACPI_OFF_DSDT);
	}
}

static void test_acpi_madt_lists_cpus(void **state)
{
	struct acpi_config c = { .ncpus = 4, .ioapic = false };
	const uint8_t *madt, *e, *end;
	int lapics = 0, ioapics = 0;

	(void)state;
	assert_int_equal(acpi_build(area, sizeof(area), GPA, &c), 0);
	madt = table_at(GPA + ACPI_OFF_MADT, "APIC");
	assert_int_equal(ld(madt + 36, 4), 0xfee00000u);
	assert_int_equal(ld(madt + 40, 4), 1);                  /* PCAT_COMPAT */
	end = madt + ld(madt + 4, 4);
	for (e = madt + 44; e < end; e += e[1]) {
		assert_true(e[1] >= 2);
		if (e[0] == 0) {
			assert_int_equal(e[2], lapics);         /* UID */
			assert_int_equal(e[3], lapics);         /* APIC id */
			assert_int_equal(ld(e + 4, 4), 1);      /* enabled */
			lapics++;
		} else if (e[0] == 1) {
			ioapics++;
		}
	}
	assert_ptr_equal(e, end);
	assert_int_equal(lapics, 4);
	assert_int_equal(ioapics, 0);

	c.ncpus = 2;
	c.ioapic = true;
	assert_int_equal(acpi_build(area, sizeof(area), GPA, &c), 0);
	madt = table_at(GPA + ACPI_OFF_MADT, "APIC");
	assert_int_equal(ld(madt + 4, 4), 44 + 2 * 8 + 12 + 10);
	e = madt + 44 + 16;
	assert_int_equal(e[0], 1);
	assert_int_equal(e[2], 2);                              /* IOAPIC id after the CPUs */
	assert_int_equal(ld(e + 4, 4), 0xfec00000u);
}

static void test_acpi_build_rejects_bad_config(void **state)
{
	struct acpi_config c = { .ncpus = 0 };

	(void)state;
	assert_int_equal(acpi_build(area, sizeof(area), GPA, &c), -EINVAL);
	c.ncpus = ACPI_MAX_CPUS + 1;
	assert_int_equal(acpi_build(area, sizeof(area), GPA, &c), -EINVAL);
	c.ncpus = 1;
	assert_int_equal(acpi_build(area, sizeof(area) - 1, GPA, &c), -EINVAL);
	assert_int_equal(acpi_build(area, sizeof(area), GPA + 8, &c), -EINVAL);
	assert_int_equal(acpi_build(area, sizeof(area), GPA, NULL), -EINVAL);
}

/* ---- the PM1a block ---- */

struct pmfix {
	struct acpi_pm *pm;
	struct fakehost *fh;
	const struct host *h;
};

static int pm_setup(void **state)
{
	struct pmfix *f = test_calloc(1, sizeof(*f));

	f->pm = acpi_pm_create("acpi");
	f->fh = fakehost_create(0, 0);
	assert_non_null(f->pm);
	assert_non_null(f->fh);
	f->h = fakehost_host(f->fh);
	*state = f;
	return 0;
}

static int pm_teardown(void **state)
{
	struct pmfix *f = *state;

	acpi_pm_destroy(f->pm);
	fakehost_destroy(f->fh);
	test_free(f);
	return 0;
}

static int pm_wr(struct pmfix *f, unsigned off, uint16_t v, unsigned len)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return acpi_pm_io(f->pm, f->h, off, b, len, true);
}

static uint16_t pm_rd(struct pmfix *f, unsigned off, unsigned len)
{
	uint8_t b[2] = { 0 };

	assert_int_equal(acpi_pm_io(f->pm, f->h, off, b, len, false), 0);
	return (uint16_t)ld(b, len);
}

static void test_acpi_pm_s5_powers_off(void **state)
{
	struct pmfix *f = *state;
	uint16_t typ = ACPI_PM_S5_TYP << ACPI_PM1_SLP_TYP_SHIFT;

	/* ACPICA: clear status, then SLP_TYP alone, then SLP_TYP | SLP_EN */
	assert_int_equal(pm_wr(f, 0, 0xffff, 2), 0);
	assert_int_equal(pm_rd(f, 0, 2), 0);
	assert_int_equal(pm_rd(f, 4, 2), ACPI_PM1_SCI_EN);
	assert_int_equal(pm_wr(f, 4, typ, 2), 0);
	assert_int_equal(fakehost_nevents(f->fh), 0);
	assert_int_equal(pm_rd(f, 4, 2), typ | ACPI_PM1_SCI_EN);
	assert_int_equal(pm_wr(f, 4, typ | ACPI_PM1_SLP_EN, 2), 0);
	assert_int_equal(fakehost_nevents(f->fh), 1);
	assert_int_equal(fakehost_event(f->fh, 0), HOST_EV_POWEROFF);
	assert_int_equal(pm_rd(f, 4, 2) & ACPI_PM1_SLP_EN, 0); /* SLP_EN reads 0 */
}

static void test_acpi_pm_other_writes_do_not_power_off(void **state)
{
	struct pmfix *f = *state;

	/* SLP_EN with another sleep type (S3 = 1 is not offered) */
	assert_int_equal(pm_wr(f, 4, (1u << ACPI_PM1_SLP_TYP_SHIFT) | ACPI_PM1_SLP_EN, 2), 0);
	assert_int_equal(pm_wr(f, 2, 0x0120, 2), 0);            /* PM1_EN */
	assert_int_equal(pm_rd(f, 2, 2), 0x0120);
	assert_int_equal(pm_rd(f, 3, 1), 0x01);
	/* bad widths and offsets are refused, reads answer all ones */
	assert_int_equal(pm_wr(f, 4, 0x3400, 1), -EINVAL);
	assert_int_equal(pm_wr(f, 5, 0x3400, 2), -EINVAL);
	assert_int_equal(pm_wr(f, 6, 0, 2), -EINVAL);
	assert_int_equal(fakehost_nevents(f->fh), 0);
	acpi_pm_reset(f->pm);
	assert_int_equal(pm_rd(f, 2, 2), 0);
	assert_string_equal(acpi_pm_regname(4, true), "pm1_cnt");
	assert_string_equal(acpi_pm_regname(1, false), "pm1_sts");
	assert_string_equal(acpi_pm_regname(2, true), "pm1_en");
}

#define P(fn) cmocka_unit_test_setup_teardown(fn, pm_setup, pm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acpi_tables_checksums_and_pointers),
		cmocka_unit_test(test_acpi_madt_lists_cpus),
		cmocka_unit_test(test_acpi_build_rejects_bad_config),
		P(test_acpi_pm_s5_powers_off),
		P(test_acpi_pm_other_writes_do_not_power_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
