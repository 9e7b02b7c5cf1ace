/*
 * mptable.h - MP tables (Intel MultiProcessor Specification 1.4) for a
 * Linux guest with several vCPUs: how the guest learns its CPUs and its
 * interrupt routing (in-kernel LAPICs and I/O APIC, ISA IRQs through the
 * I/O APIC).  Chosen over an ACPI MADT because it needs no other ACPI
 * table (RSDP, RSDT, FADT, DSDT) and is what kvmtool does; see
 * docs/ARCHITECTURE.md.
 */
#ifndef EXITLOG_MPTABLE_H
#define EXITLOG_MPTABLE_H

#include <stdint.h>

#include "devices/board.h"

/*
 * Write the floating pointer and the configuration table into guest RAM
 * (`ram`, `ram_size` bytes at gpa 0) at 0xf0000: `ncpus` processors with
 * APIC ids 0..ncpus-1 (0 the BSP), the CPU signature and feature flags of
 * CPUID leaf 1, and the interrupt sources of board `b`.  Returns 0,
 * -EINVAL (ncpus out of range, RAM too small) or -ENOSPC.
 */
int mptable_write(uint8_t *ram, uint64_t ram_size, int ncpus, uint32_t cpu_signature,
		  uint32_t cpu_features, const struct board *b);

#endif
