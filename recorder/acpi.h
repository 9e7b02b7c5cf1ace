/*
 * acpi.h - minimal ACPI tables for a Linux guest (ACPI 6.x chapter 5):
 * RSDP (rev 2) -> XSDT -> FADT (rev 6, -> FACS, DSDT) and MADT.
 *
 * The DSDT holds \_S5 = Package {5, 5, 0, 0}: SLP_TYP 5 for the S5
 * (soft-off) state, which devices/acpi_pm.c turns into a power-off; and
 * the PCI root bridge \_SB.PCI0 (PNP0A03) with its windows in _CRS (bus
 * 0-255, IO 0-0xcf7 and 0xd00-0xffff, memory ACPI_PCI_HOLE_START to
 * 0xfebfffff), without which Linux, once ACPI is on, would not scan PCI.
 * The FADT describes a legacy PC (IAPC_BOOT_ARCH: legacy devices, 8042),
 * SCI on ISA IRQ 9, no SMI_CMD (always in ACPI mode), PM1a event block at
 * ACPI_PM_BASE (4 bytes) and control block at ACPI_PM_BASE + 4 (2 bytes),
 * no PM timer, no GPE blocks, no reset register, no fixed power/sleep
 * buttons.  The MADT lists `ncpus` enabled local APICs (processor UID and
 * APIC id 0..ncpus-1, LAPIC at 0xfee00000, PCAT_COMPAT: the 8259s are
 * there) and, when asked, the IOAPIC (id `ncpus`, 0xfec00000, GSI base 0)
 * with the usual ISA overrides (IRQ 0 -> GSI 2 is NOT used: KVM's PIT
 * drives GSI 0; only SCI 9 level, active high).  Without the IOAPIC entry
 * Linux keeps the 8259 PIC, as without ACPI.
 *
 * Layout from `gpa` (a 4 KiB area, 16-byte aligned, below 1 MiB so the
 * RSDP scan finds it too): RSDP +0x000, XSDT +0x040, FADT +0x080,
 * FACS +0x200, DSDT +0x240, MADT +0x400.
 */
#ifndef EXITLOG_ACPI_H
#define EXITLOG_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_AREA_SIZE 0x1000u
#define ACPI_PCI_HOLE_START 0xc0000000u /* guest RAM ends at or below it */
#define ACPI_MAX_CPUS 64
#define ACPI_OFF_RSDP 0x000u
#define ACPI_OFF_XSDT 0x040u
#define ACPI_OFF_FADT 0x080u
#define ACPI_OFF_FACS 0x200u
#define ACPI_OFF_DSDT 0x240u
#define ACPI_OFF_MADT 0x400u

struct acpi_config {
	int ncpus;      /* 1..ACPI_MAX_CPUS local APICs in the MADT */
	bool ioapic;    /* also list the IOAPIC (and the SCI override) */
};

/*
 * Write the tables into `buf`, which is guest memory at guest-physical
 * `gpa` (buf holds at least ACPI_AREA_SIZE bytes; `gpa` 16-byte aligned,
 * below 4 GiB).  Every checksum is filled in.  Returns 0, or -EINVAL for a
 * bad ncpus, size or alignment.  The RSDP is at gpa + ACPI_OFF_RSDP.
 */
int acpi_build(uint8_t *buf, size_t len, uint64_t gpa, const struct acpi_config *cfg);

/* 8-bit sum of `len` bytes (0 for a table whose checksum is right). */
uint8_t acpi_sum(const uint8_t *p, size_t len);

#endif
