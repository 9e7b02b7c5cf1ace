/*
 * bzimage.h - load a Linux bzImage by the x86 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst): zero page with the setup header, e820
 * map, command line and initrd; identity-mapped page tables; the vCPU in
 * 64-bit mode at the kernel's startup_64 with %rsi = the zero page.
 */
#ifndef EXITLOG_BZIMAGE_H
#define EXITLOG_BZIMAGE_H

#include <stddef.h>

#include "devices/board.h"
#include "recorder/loader.h"
#include "recorder/vm.h"

/*
 * Load `g` (a bzImage) into `vm`, with the optional initrd file and command
 * line.  Also sets every vCPU's CPUID from KVM_GET_SUPPORTED_CPUID (with
 * its APIC id), and with more than one vCPU writes the MP tables of board
 * `b` (mptable.h); only vCPU 0 gets registers for the 64-bit entry.  Returns
 * 0 or -errno with one line in err (-ENOEXEC: not a usable 64-bit bzImage;
 * -E2BIG: kernel or initrd do not fit in guest RAM).
 */
int bzimage_load(struct vm *vm, const struct guest_image *g, const char *initrd,
		 const char *cmdline, const struct board *b, char *err, size_t errlen);

#endif
