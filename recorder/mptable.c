/*
 * mptable.c - the Intel MultiProcessor Specification 1.4 tables that tell
 * a Linux guest about its CPUs and interrupt routing (see mptable.h).
 *
 * Layout (in the BIOS area, which bzimage.c's e820 marks reserved):
 *   MPTABLE_ADDR       the floating pointer structure ("_MP_", 16 bytes)
 *   MPTABLE_ADDR + 16  the configuration table ("PCMP"): header, then
 *     one processor entry per vCPU (APIC id = vCPU index, vCPU 0 the BSP),
 *     bus 0 "PCI", bus 1 "ISA",
 *     one I/O APIC (id = number of vCPUs, at 0xfec00000),
 *     I/O interrupt entries: ISA IRQ n -> I/O APIC pin n (n = 0..15 but the
 *       cascade, 2), edge/active-high; each virtio-blk function's INTA# ->
 *       its pin (the function's interrupt line), level/active-high,
 *     local interrupts: ExtINT on LINT0 and NMI on LINT1 of every LAPIC.
 * Pin n for GSI n is KVM's default routing of the in-kernel irqchip
 * (KVM_CREATE_IRQCHIP), which KVM_IRQ_LINE drives; no KVM_SET_GSI_ROUTING
 * is needed.  Linux finds the floating pointer by scanning 0xf0000-0xfffff
 * (arch/x86/kernel/mpparse.c, smp_scan_config) when there is no ACPI.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "recorder/mptable.h"

#define MPTABLE_ADDR   0xf0000u
#define LAPIC_ADDR     0xfee00000u
#define IOAPIC_ADDR    0xfec00000u
#define APIC_VERSION   0x14
#define IOAPIC_VERSION 0x11

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

#define CPU_ENABLED 1
#define CPU_BSP     2
/* irqflag: polarity bits 1:0 (01 high), trigger bits 3:2 (01 edge, 11 level) */
#define IRQ_EDGE_HIGH  0x5
#define IRQ_LEVEL_HIGH 0xd

#define BUS_PCI 0
#define BUS_ISA 1

struct mp_writer {
	uint8_t *base;   /* the configuration table */
	size_t len;      /* bytes written so far */
	size_t cap;
	uint16_t count;  /* entries */
};

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static uint8_t mp_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0x100 - sum);
}

/* Room for one entry of `len` bytes, zeroed; NULL when the area is full. */
static uint8_t *mp_entry(struct mp_writer *w, size_t len, uint8_t type)
{
	uint8_t *e;

	if (w->len + len > w->cap)
		return NULL;
	e = w->base + w->len;
	memset(e, 0, len);
	e[0] = type;
	w->len += len;
	w->count++;
	return e;
}

static int mp_intsrc(struct mp_writer *w, uint8_t type, uint8_t irqtype, uint16_t flags,
		     uint8_t bus, uint8_t busirq, uint8_t apic, uint8_t pin)
{
	uint8_t *e = mp_entry(w, 8, type);

	if (!e)
		return -ENOSPC;
	e[1] = irqtype;
	put16(e + 2, flags);
	e[4] = bus;
	e[5] = busirq;
	e[6] = apic;
	e[7] = pin;
	return 0;
}

/* The virtio-blk functions sit at PCI device 1 + N for "vblkN" (board.c). */
static int mp_pci_irqs(struct mp_writer *w, const struct board *b, uint8_t ioapic)
{
	int rc = 0, n;

	for (int i = 0; i < b->ndevs && !rc; i++) {
		const struct board_dev *d = &b->devs[i];

		if (d->irq < 0 || strcmp(d->kind, "virtio-blk") || sscanf(d->name, "vblk%d", &n) != 1)
			continue;
		rc = mp_intsrc(w, MP_INTSRC, MP_INT, IRQ_LEVEL_HIGH, BUS_PCI,
			       (uint8_t)((1 + n) << 2 | 0 /* INTA# */), ioapic, (uint8_t)d->irq);
	}
	return rc;
}

int mptable_write(uint8_t *ram, uint64_t ram_size, int ncpus, uint32_t cpu_signature,
		  uint32_t cpu_features, const struct board *b)
{
	struct mp_writer w;
	uint8_t *fp = ram + MPTABLE_ADDR, *e, *hdr;
	const uint8_t ioapic = (uint8_t)ncpus;
	int rc = 0;

	if (ncpus < 1 || ncpus > 254 || ram_size < MPTABLE_ADDR + 0x1000)
		return -EINVAL;
	w = (struct mp_writer){ .base = fp + 16, .cap = 0x1000 - 16 };
	/* header, filled in at the end */
	hdr = mp_entry(&w, 44, 0);
	w.count = 0;
	for (int i = 0; i < ncpus; i++) {
		e = mp_entry(&w, 20, MP_PROCESSOR);
		if (!e)
			return -ENOSPC;
		e[1] = (uint8_t)i;                     /* APIC id */
		e[2] = APIC_VERSION;
		e[3] = CPU_ENABLED | (i == 0 ? CPU_BSP : 0);
		put32(e + 4, cpu_signature);
		put32(e + 8, cpu_features);
	}
	e = mp_entry(&w, 8, MP_BUS);
	if (!e)
		return -ENOSPC;
	e[1] = BUS_PCI;
	memcpy(e + 2, "PCI   ", 6);
	e = mp_entry(&w, 8, MP_BUS);
	if (!e)
		return -ENOSPC;
	e[1] = BUS_ISA;
	memcpy(e + 2, "ISA   ", 6);
	e = mp_entry(&w, 8, MP_IOAPIC);
	if (!e)
		return -ENOSPC;
	e[1] = ioapic;
	e[2] = IOAPIC_VERSION;
	e[3] = 1;                                      /* enabled */
	put32(e + 4, IOAPIC_ADDR);
	for (int irq = 0; irq < 16 && !rc; irq++)
		if (irq != 2)
			rc = mp_intsrc(&w, MP_INTSRC, MP_INT, IRQ_EDGE_HIGH, BUS_ISA,
				       (uint8_t)irq, ioapic, (uint8_t)irq);
	rc = rc ? rc : mp_pci_irqs(&w, b, ioapic);
	rc = rc ? rc : mp_intsrc(&w, MP_LINTSRC, MP_EXTINT, 0, BUS_ISA, 0, 0xff, 0);
	rc = rc ? rc : mp_intsrc(&w, MP_LINTSRC, MP_NMI, 0, BUS_ISA, 0, 0xff, 1);
	if (rc)
		return rc;

	memcpy(hdr, "PCMP", 4);
	put16(hdr + 4, (uint16_t)w.len);
	hdr[6] = 4;                                    /* spec 1.4 */
	memcpy(hdr + 8, "EXITLOG ", 8);                /* OEM id */
	memcpy(hdr + 16, "KVM SMP     ", 12);          /* product id */
	put16(hdr + 34, w.count);
	put32(hdr + 36, LAPIC_ADDR);
	hdr[7] = mp_checksum(hdr, w.len);

	memset(fp, 0, 16);
	memcpy(fp, "_MP_", 4);
	put32(fp + 4, MPTABLE_ADDR + 16);              /* the configuration table */
	fp[8] = 1;                                     /* length in 16-byte units */
	fp[9] = 4;                                     /* spec 1.4 */
	fp[10] = mp_checksum(fp, 16);
	return 0;
}
