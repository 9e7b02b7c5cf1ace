/*
 * vmlinux.h - place an uncompressed Linux kernel (the ELF `vmlinux`, as
 * scripts/extract-vmlinux makes it from a bzImage) in guest RAM, the way
 * Firecracker and cloud-hypervisor boot one: each PT_LOAD segment at its
 * physical address, entered at e_entry (startup_64) by the 64-bit boot
 * protocol.  The guest skips the bzImage's decompressor (seconds of
 * exit-free computation under nested virtualization).  bzimage.c builds
 * the zero page, page tables and CPU state around it.
 */
#ifndef EXITLOG_VMLINUX_H
#define EXITLOG_VMLINUX_H

#include <stddef.h>
#include <stdint.h>

/* The lowest physical address a segment may use: below 1 MiB lie the
 * zero page, page tables, command line and ACPI tables (bzimage.c). */
#define VMLINUX_MIN_PADDR 0x100000u

/* Does `img` look like an x86-64 ELF executable (the magic, class, machine)? */
int vmlinux_is_elf(const uint8_t *img, size_t size);

/*
 * Check what vmlinux_place() checks, without RAM: for refusing a bad
 * image before KVM is touched.  Same results and messages.
 */
int vmlinux_check(uint64_t ram_size, const uint8_t *img, size_t size, uint64_t min_addr,
		  uint64_t *entry, uint64_t *end, char *err, size_t errlen);

/*
 * Copy the PT_LOAD segments of the ELF image `img` to `ram` (guest-physical
 * 0 .. ram_size) at their p_paddr, zero-filling each up to p_memsz.  On
 * success *entry is e_entry and *end the first byte after the highest
 * segment.  Segments below `min_addr` are refused (they would overwrite the
 * zero page, page tables and ACPI tables).  Returns 0, or -ENOEXEC (not a
 * loadable x86-64 ELF, or a segment outside the file or overlapping
 * min_addr; one line in err) or -E2BIG (a segment past the end of RAM).
 * `ram` is the caller's; nothing is kept.
 */
int vmlinux_place(uint8_t *ram, uint64_t ram_size, const uint8_t *img, size_t size,
		  uint64_t min_addr, uint64_t *entry, uint64_t *end, char *err, size_t errlen);

#endif
