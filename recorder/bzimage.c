/*
 * bzimage.c - Linux x86 boot protocol, 64-bit entry (see bzimage.h), for a
 * bzImage and for an uncompressed ELF vmlinux (vmlinux.c places its segments;
 * the zero page then gets the setup header fields a bzImage would bring).
 *
 * Guest-physical layout:
 *   0x00500  GDT (null, null, __BOOT_CS 0x10 64-bit code, __BOOT_DS 0x18 data)
 *   0x07000  zero page (struct boot_params)
 *   0x09000  PML4, 0x0a000 PDPT, 0x0b000-0x0efff four page directories:
 *            the first 4 GiB identity-mapped with 2 MiB pages
 *   0x20000  kernel command line
 *   0xe0000  ACPI tables (recorder/acpi.c; RSDP first, also in the zero
 *            page's acpi_rsdp_addr), inside the reserved e820 range
 *   0x100000 protected-mode kernel (entered at +0x200, startup_64);
 *            a vmlinux: its segments at their p_paddr, entered at e_entry
 *   initrd   at the top of RAM below initrd_addr_max, 4 KiB aligned
 *   0xf0000  MP tables, with more than one vCPU (mptable.c)
 * e820: RAM [0, 0x9fc00), reserved [0x9fc00, 0x100000), RAM [1 MiB, end).
 * Not implemented: the 16-bit/32-bit entry points, EFI handover, setup_data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recorder/acpi.h"
#include "recorder/bzimage.h"
#include "recorder/mptable.h"
#include "recorder/vmlinux.h"

#define GDT_ADDR      0x500u
#define ZERO_PAGE     0x7000u
#define PML4_ADDR     0x9000u
#define PDPT_ADDR     0xa000u
#define PD_ADDR       0xb000u
#define CMDLINE_ADDR  0x20000u
#define CMDLINE_MAX   0x10000u
#define KERNEL_ADDR   0x100000u
#define ACPI_ADDR     0xe0000u

/* struct boot_params / setup_header offsets (arch/x86/include/uapi/asm/bootparam.h) */
#define BP_ACPI_RSDP    0x070
#define BP_E820_ENTRIES 0x1e8
#define BP_SETUP_SECTS  0x1f1
#define BP_HEADER       0x202
#define BP_VERSION      0x206
#define BP_LOADER_TYPE  0x210
#define BP_LOADFLAGS    0x211
#define BP_RAMDISK_IMG  0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_HEAP_END     0x224
#define BP_CMDLINE_PTR  0x228
#define BP_INITRD_MAX   0x22c
#define BP_XLOADFLAGS   0x236
#define BP_KERNEL_ALIGN 0x230
#define BP_CMDLINE_SIZE 0x238
#define BP_E820_TABLE   0x2d0

#define XLF_KERNEL_64   0x1
#define LOADED_HIGH     0x01
#define CAN_USE_HEAP    0x80

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

static void bz_e820(uint8_t *zp, uint64_t ram)
{
	static const struct { uint64_t start, end; uint32_t type; } fixed[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x100000, 2 },
	};
	uint8_t *e = zp + BP_E820_TABLE;
	int n = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++, n++) {
		put64(e + n * 20, fixed[i].start);
		put64(e + n * 20 + 8, fixed[i].end - fixed[i].start);
		put32(e + n * 20 + 16, fixed[i].type);
	}
	put64(e + n * 20, KERNEL_ADDR);
	put64(e + n * 20 + 8, ram - KERNEL_ADDR);
	put32(e + n * 20 + 16, 1);
	n++;
	zp[BP_E820_ENTRIES] = (uint8_t)n;
}

/* ACPI tables (S5 power-off, MADT) in the BIOS area, found by the RSDP
 * pointer of boot protocol 2.14 or by the kernel's scan of 0xe0000.. */
static int bz_acpi(struct vm *vm, uint8_t *zp, char *err, size_t errlen)
{
	/* every vCPU: with ACPI on, Linux takes its CPUs from the MADT, not
	 * from the MP table (which stays for guests booted with acpi=off) */
	const struct acpi_config ac = { .ncpus = vm->nvcpus, .ioapic = true };
	int rc;

	if (vm->ram_size < ACPI_ADDR + ACPI_AREA_SIZE) {
		snprintf(err, errlen, "guest RAM too small for the ACPI tables");
		return -E2BIG;
	}
	rc = acpi_build(vm->ram + ACPI_ADDR, ACPI_AREA_SIZE, ACPI_ADDR, &ac);
	if (rc) {
		snprintf(err, errlen, "building the ACPI tables: %s", strerror(-rc));
		return rc;
	}
	put64(zp + BP_ACPI_RSDP, ACPI_ADDR + ACPI_OFF_RSDP);
	return 0;
}

static void bz_page_tables(uint8_t *ram)
{
	uint64_t *pml4 = (uint64_t *)(ram + PML4_ADDR);
	uint64_t *pdpt = (uint64_t *)(ram + PDPT_ADDR);
	uint64_t *pd = (uint64_t *)(ram + PD_ADDR);

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PDPT_ADDR | 0x3; /* present, writable */
	for (int i = 0; i < 4; i++)
		pdpt[i] = (PD_ADDR + 0x1000u * (unsigned)i) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83; /* present, writable, 2 MiB page */
}

static void bz_gdt(uint8_t *ram)
{
	uint64_t gdt[4] = {
		0,
		0,
		0x00af9b000000ffffULL, /* 0x10: 64-bit code, DPL 0 */
		0x00cf93000000ffffULL, /* 0x18: flat data */
	};

	memcpy(ram + GDT_ADDR, gdt, sizeof(gdt));
}

static void bz_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int l)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->l = (uint8_t)l;
	s->db = (uint8_t)!l;
	s->g = 1;
}

/*
 * CPUID of vCPU `id`: what KVM supports, with the hypervisor bit
 * (CPUID.1:ECX[31], so Linux looks at the KVM leaves and uses kvm-clock)
 * and the vCPU's APIC id where CPUID reports it (leaf 1 EBX[31:24], the
 * x2APIC id of leaves 0xb and 0x1f in EDX, AMD's extended APIC id in
 * 0x8000001e EAX), matching the MP table (mptable.c).
 */
static void bz_cpuid_patch(struct kvm_cpuid2 *cpuid, const struct kvm_cpuid2 *base,
			   uint32_t id)
{
	memcpy(cpuid->entries, base->entries, base->nent * sizeof(base->entries[0]));
	cpuid->nent = base->nent;
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			e->ecx |= 1u << 31;
			e->ebx = (e->ebx & 0x00ffffffu) | id << 24;
			break;
		case 0xb:
		case 0x1f:
			e->edx = id;
			break;
		case 0x8000001e:
			e->eax = id;
			break;
		}
	}
}

/* Every vCPU's CPUID; leaf 1's signature and features for the MP table. */
static int bz_cpuids(struct vm *vm, uint32_t *sig, uint32_t *features)
{
	struct kvm_cpuid2 *base, *cpuid;
	const int nent = 128;
	size_t size = sizeof(*base) + (size_t)nent * sizeof(base->entries[0]);
	int rc = 0;

	base = calloc(1, size);
	cpuid = calloc(1, size);
	if (!base || !cpuid) {
		rc = -ENOMEM;
		goto out;
	}
	base->nent = (uint32_t)nent;
	if (ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, base) < 0) {
		rc = -errno;
		goto out;
	}
	*sig = *features = 0;
	for (uint32_t i = 0; i < base->nent; i++)
		if (base->entries[i].function == 1) {
			*sig = base->entries[i].eax;
			*features = base->entries[i].edx;
		}
	for (int id = 0; id < vm->nvcpus && !rc; id++) {
		bz_cpuid_patch(cpuid, base, (uint32_t)id);
		if (ioctl(vm->vcpu_fds[id], KVM_SET_CPUID2, cpuid) < 0)
			rc = -errno;
	}
out:
	free(base);
	free(cpuid);
	return rc;
}

/* The boot CPU in 64-bit mode at startup_64; the others wait for SIPI. */
static int bz_cpu(struct vm *vm, uint64_t entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	bz_seg(&sregs.cs, 0x10, 0xb, 1);
	bz_seg(&sregs.ds, 0x18, 0x3, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = GDT_ADDR;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.cr3 = PML4_ADDR;
	sregs.cr4 = 0x20;               /* PAE */
	sregs.cr0 = 0x80000011;         /* PG | ET | PE */
	sregs.efer = 0x500;             /* LME | LMA */
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;

	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rsi = ZERO_PAGE;
	regs.rflags = 0x2;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

/* The initrd at the top of RAM, above the kernel's end `kend`. */
static int bz_initrd(struct vm *vm, uint8_t *zp, const char *path, uint64_t kend,
		     char *err, size_t errlen)
{
	uint32_t max = get32(zp + BP_INITRD_MAX);
	uint64_t top = vm->ram_size < (uint64_t)max + 1 ? vm->ram_size : (uint64_t)max + 1;
	struct stat st;
	uint64_t addr;
	size_t done = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((uint64_t)st.st_size + 0x800000 > top ||
	    ((top - (uint64_t)st.st_size) & ~0xfffULL) < kend) {
		rc = -E2BIG;
		snprintf(err, errlen, "%s: initrd of %lld bytes does not fit in guest RAM",
			 path, (long long)st.st_size);
		goto out;
	}
	addr = (top - (uint64_t)st.st_size) & ~0xfffULL;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, vm->ram + addr + done, (size_t)st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = -EIO;
			snprintf(err, errlen, "%s: read failed", path);
			goto out;
		}
		done += (size_t)n;
	}
	put32(zp + BP_RAMDISK_IMG, (uint32_t)addr);
	put32(zp + BP_RAMDISK_SIZE, (uint32_t)st.st_size);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* A bzImage's protected-mode kernel at 1 MiB and its setup header in the
 * zero page; *entry its startup_64, *kend the end of what was copied. */
static int bz_place_bzimage(struct vm *vm, const struct guest_image *g, uint8_t *zp,
			    uint64_t *entry, uint64_t *kend, char *err, size_t errlen)
{
	const uint8_t *k = g->data;
	size_t setup_size, hdr_end, kernel_size;
	unsigned setup_sects;

	if (g->size < 0x300 || get16(k + 0x1fe) != 0xaa55 || memcmp(k + BP_HEADER, "HdrS", 4)) {
		snprintf(err, errlen, "%s: not a bzImage", "guest");
		return -ENOEXEC;
	}
	if (get16(k + BP_VERSION) < 0x20c || !(get16(k + BP_XLOADFLAGS) & XLF_KERNEL_64) ||
	    !(k[BP_LOADFLAGS] & LOADED_HIGH)) {
		snprintf(err, errlen, "bzImage: boot protocol %x.%02x without a 64-bit entry point (need >= 2.12 and XLF_KERNEL_64)",
			 get16(k + BP_VERSION) >> 8, get16(k + BP_VERSION) & 0xff);
		return -ENOEXEC;
	}
	setup_sects = k[BP_SETUP_SECTS] ? k[BP_SETUP_SECTS] : 4;
	setup_size = (size_t)(setup_sects + 1) * 512;
	if (setup_size >= g->size) {
		snprintf(err, errlen, "bzImage: truncated (setup of %zu bytes)", setup_size);
		return -ENOEXEC;
	}
	kernel_size = g->size - setup_size;
	if (KERNEL_ADDR + kernel_size + (64u << 20) > vm->ram_size) {
		snprintf(err, errlen, "bzImage of %zu bytes needs more guest RAM than %llu MiB (try --mem 512)",
			 g->size, (unsigned long long)(vm->ram_size >> 20));
		return -E2BIG;
	}
	memcpy(vm->ram + KERNEL_ADDR, k + setup_size, kernel_size);

	hdr_end = 0x202 + k[0x201];
	if (hdr_end > 0x300)
		hdr_end = 0x300;
	memcpy(zp + BP_SETUP_SECTS, k + BP_SETUP_SECTS, hdr_end - BP_SETUP_SECTS);
	*entry = KERNEL_ADDR + 0x200;
	*kend = KERNEL_ADDR + kernel_size;
	return 0;
}

/* A vmlinux's segments (vmlinux.c) and the setup header a bzImage of boot
 * protocol 2.15 would bring: what Linux reads of it at startup_64. */
static int bz_place_vmlinux(struct vm *vm, const struct guest_image *g, uint8_t *zp,
			    uint64_t *entry, uint64_t *kend, char *err, size_t errlen)
{
	int rc = vmlinux_place(vm->ram, vm->ram_size, g->data, g->size, VMLINUX_MIN_PADDR, entry,
			       kend, err, errlen);

	if (rc)
		return rc;
	put16(zp + 0x1fe, 0xaa55);
	memcpy(zp + BP_HEADER, "HdrS", 4);
	put16(zp + BP_VERSION, 0x20f);
	zp[BP_LOADFLAGS] = LOADED_HIGH;
	put32(zp + BP_INITRD_MAX, 0x7fffffff);
	put32(zp + BP_KERNEL_ALIGN, 0x200000);
	put16(zp + BP_XLOADFLAGS, XLF_KERNEL_64);
	put32(zp + BP_CMDLINE_SIZE, CMDLINE_MAX - 1);
	return 0;
}

int bzimage_load(struct vm *vm, const struct guest_image *g, const char *initrd,
		 const char *cmdline, const struct board *b, char *err, size_t errlen)
{
	uint32_t sig = 0, features = 0;
	uint8_t *zp = vm->ram + ZERO_PAGE;
	uint64_t entry = 0, kend = 0;
	size_t cmax;
	int rc;

	memset(zp, 0, 4096);
	if (g->kind == GUEST_VMLINUX)
		rc = bz_place_vmlinux(vm, g, zp, &entry, &kend, err, errlen);
	else
		rc = bz_place_bzimage(vm, g, zp, &entry, &kend, err, errlen);
	if (rc)
		return rc;
	zp[BP_LOADER_TYPE] = 0xff;
	zp[BP_LOADFLAGS] |= CAN_USE_HEAP;
	put16(zp + BP_HEAP_END, 0xfe00);

	cmax = get32(zp + BP_CMDLINE_SIZE);
	if (cmax == 0 || cmax >= CMDLINE_MAX)
		cmax = CMDLINE_MAX - 1;
	if (!cmdline)
		cmdline = "console=ttyS0";
	if (strlen(cmdline) > cmax) {
		snprintf(err, errlen, "--append: command line longer than the kernel's %zu bytes", cmax);
		return -E2BIG;
	}
	memset(vm->ram + CMDLINE_ADDR, 0, strlen(cmdline) + 1);
	memcpy(vm->ram + CMDLINE_ADDR, cmdline, strlen(cmdline));
	put32(zp + BP_CMDLINE_PTR, CMDLINE_ADDR);

	if (initrd) {
		rc = bz_initrd(vm, zp, initrd, kend, err, errlen);
		if (rc)
			return rc;
	}
	bz_e820(zp, vm->ram_size);
	rc = bz_acpi(vm, zp, err, errlen);
	if (rc)
		return rc;
	bz_page_tables(vm->ram);
	bz_gdt(vm->ram);
	rc = bz_cpuids(vm, &sig, &features);
	if (rc) {
		snprintf(err, errlen, "setting the vCPUs' CPUID: %s", strerror(-rc));
		return rc;
	}
	/* one vCPU: no MP table (the MADT describes the CPU and the IOAPIC) */
	if (vm->nvcpus > 1) {
		rc = mptable_write(vm->ram, vm->ram_size, vm->nvcpus, sig, features, b);
		if (rc) {
			snprintf(err, errlen, "writing the MP table: %s", strerror(-rc));
			return rc;
		}
	}
	rc = bz_cpu(vm, entry);
	if (rc)
		snprintf(err, errlen, "setting up the vCPU for 64-bit entry: %s", strerror(-rc));
	return rc;
}
