/*
 * vmlinux.c - load the PT_LOAD segments of an x86-64 ELF kernel (see
 * vmlinux.h).  Follows the System V ELF-64 object format: the file header
 * (e_phoff, e_phentsize, e_phnum, e_entry) and program headers (p_type,
 * p_offset, p_paddr, p_filesz, p_memsz).  Not implemented: section headers,
 * relocation (the kernel runs at its link-time physical address, no KASLR),
 * the PVH entry note.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "recorder/vmlinux.h"

int vmlinux_is_elf(const uint8_t *img, size_t size)
{
	Elf64_Ehdr eh;

	if (size < sizeof(eh))
		return 0;
	memcpy(&eh, img, sizeof(eh));
	return !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh.e_ident[EI_DATA] == ELFDATA2LSB && eh.e_machine == EM_X86_64;
}

/* Check one PT_LOAD header against the file and RAM; 0 or -errno. */
static int vml_check(const Elf64_Phdr *ph, int i, size_t size, uint64_t ram_size,
		     uint64_t min_addr, char *err, size_t errlen)
{
	if (ph->p_filesz > ph->p_memsz || ph->p_offset > size || ph->p_filesz > size - ph->p_offset) {
		snprintf(err, errlen, "vmlinux: segment %d (offset %#llx, %llu bytes) lies outside the file",
			 i, (unsigned long long)ph->p_offset, (unsigned long long)ph->p_filesz);
		return -ENOEXEC;
	}
	if (ph->p_paddr < min_addr) {
		snprintf(err, errlen, "vmlinux: segment %d at %#llx overlaps the boot area below %#llx",
			 i, (unsigned long long)ph->p_paddr, (unsigned long long)min_addr);
		return -ENOEXEC;
	}
	if (ph->p_paddr > ram_size || ph->p_memsz > ram_size - ph->p_paddr) {
		snprintf(err, errlen, "vmlinux: segment %d [%#llx, +%#llx) is past the end of guest RAM (%llu MiB; try --mem 512)",
			 i, (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
			 (unsigned long long)(ram_size >> 20));
		return -E2BIG;
	}
	return 0;
}

int vmlinux_check(uint64_t ram_size, const uint8_t *img, size_t size, uint64_t min_addr,
		  uint64_t *entry, uint64_t *end, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	uint64_t top = 0;
	int loads = 0, rc;

	if (!vmlinux_is_elf(img, size)) {
		snprintf(err, errlen, "vmlinux: not an x86-64 little-endian ELF file");
		return -ENOEXEC;
	}
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_type != ET_EXEC || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phoff > size || (size - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum) {
		snprintf(err, errlen, "vmlinux: not an executable with a readable program header table");
		return -ENOEXEC;
	}
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, img + eh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		rc = vml_check(&ph, i, size, ram_size, min_addr, err, errlen);
		if (rc)
			return rc;
		if (ph.p_paddr + ph.p_memsz > top)
			top = ph.p_paddr + ph.p_memsz;
		loads++;
	}
	if (!loads) {
		snprintf(err, errlen, "vmlinux: no PT_LOAD segment");
		return -ENOEXEC;
	}
	if (eh.e_entry < min_addr || eh.e_entry >= top) {
		snprintf(err, errlen, "vmlinux: entry point %#llx is outside the loaded kernel",
			 (unsigned long long)eh.e_entry);
		return -ENOEXEC;
	}
	*entry = eh.e_entry;
	*end = top;
	return 0;
}

int vmlinux_place(uint8_t *ram, uint64_t ram_size, const uint8_t *img, size_t size,
		  uint64_t min_addr, uint64_t *entry, uint64_t *end, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	/* all headers first: nothing is copied from a file that fails later */
	int rc = vmlinux_check(ram_size, img, size, min_addr, entry, end, err, errlen);

	if (rc)
		return rc;
	memcpy(&eh, img, sizeof(eh));
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, img + eh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		memcpy(ram + ph.p_paddr, img + ph.p_offset, ph.p_filesz);
		memset(ram + ph.p_paddr + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	return 0;
}
