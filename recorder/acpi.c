/*
 * acpi.c - builds the ACPI tables a Linux guest needs to power off by S5
 * and to find its CPUs (see acpi.h).  Field offsets follow ACPI 6.4:
 * 5.2.5.3 RSDP, 5.2.6 header, 5.2.8 XSDT, 5.2.9 FADT, 5.2.10 FACS, 5.2.11.1
 * DSDT, 5.2.12 MADT (5.2.12.2 local APIC, 5.2.12.3 I/O APIC, 5.2.12.5
 * interrupt source override); 20.2 AML encoding for the \_S5 package.
 */
#include <errno.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "recorder/acpi.h"

#define HDR_LEN 36u
#define FADT_LEN 276u
#define FACS_LEN 64u
#define OEM_ID "EXITLG"
#define OEM_TABLE "EXITLOG "

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint8_t acpi_sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* The common table header (36 bytes); the checksum is set by hdr_seal. */
static void hdr_put(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memset(t, 0, HDR_LEN);
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE, 8);
	put32(t + 24, 1);           /* OEM revision */
	memcpy(t + 28, "EXLG", 4);  /* creator id */
	put32(t + 32, 1);           /* creator revision */
}

static void hdr_seal(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = (uint8_t)(0x100 - acpi_sum(t, len));
}

/* Generic Address Structure, system IO space. */
static void gas_io(uint8_t *p, uint32_t port, uint8_t bits)
{
	memset(p, 0, 12);
	p[0] = 1;          /* system I/O */
	p[1] = bits;       /* register bit width */
	p[2] = 0;          /* bit offset */
	p[3] = bits == 16 ? 2 : bits == 32 ? 3 : 1; /* access size */
	put64(p + 4, port);
}

/* AML PkgLength (20.2.4) of a body of `n` bytes, written at p; returns its size. */
static unsigned pkglen_put(uint8_t *p, unsigned n)
{
	if (n + 1 <= 0x3f) {
		p[0] = (uint8_t)(n + 1);
		return 1;
	}
	n += 2; /* two-byte form, up to 4095 */
	p[0] = (uint8_t)(0x40 | (n & 0x0f));
	p[1] = (uint8_t)(n >> 4);
	return 2;
}

/* Word address space descriptor (6.4.3.5.3): bus numbers or IO ports. */
static uint8_t *res_word(uint8_t *p, uint8_t type, uint8_t tflags, uint16_t min,
			 uint16_t max)
{
	p[0] = 0x88;
	p[1] = 13;
	p[2] = 0;
	p[3] = type;       /* 1 IO, 2 bus number */
	p[4] = 0x0c;       /* producer, positive decode, min and max fixed */
	p[5] = tflags;
	put16(p + 6, 0);   /* granularity */
	put16(p + 8, min);
	put16(p + 10, max);
	put16(p + 12, 0);  /* translation */
	put16(p + 14, (uint16_t)(max - min + 1));
	return p + 16;
}

/* DWord memory descriptor (6.4.3.5.2), read-write, non-cacheable. */
static uint8_t *res_dword_mem(uint8_t *p, uint32_t min, uint32_t max)
{
	p[0] = 0x87;
	p[1] = 23;
	p[2] = 0;
	p[3] = 0;          /* memory */
	p[4] = 0x0c;
	p[5] = 0x01;       /* read-write */
	put32(p + 6, 0);
	put32(p + 10, min);
	put32(p + 14, max);
	put32(p + 18, 0);
	put32(p + 22, max - min + 1);
	return p + 26;
}

/*
 * Scope (\_SB) { Device (PCI0) { Name (_HID, EisaId ("PNP0A03")),
 * Name (_UID, 0), Name (_CRS, <bus 0-255, IO 0-0xcf7 and 0xd00-0xffff, memory
 * ACPI_PCI_HOLE_START-0xfebfffff>) } }: the root bridge Linux scans PCI
 * from when ACPI is on (it does no legacy scan then).  No _PRT: Linux
 * takes each function's Interrupt Line ("no GSI - using ISA IRQ").
 */
static uint8_t *pci0_put(uint8_t *p)
{
	uint8_t crs[96], dev[160], *c = crs, *d = dev;
	unsigned n;

	c = res_word(c, 2, 0x00, 0x00, 0xff);
	c = res_word(c, 1, 0x03, 0x0000, 0x0cf7);
	c = res_word(c, 1, 0x03, 0x0d00, 0xffff);
	c = res_dword_mem(c, ACPI_PCI_HOLE_START, 0xfebfffffu);
	*c++ = 0x79;       /* end tag, checksum 0 */
	*c++ = 0x00;

	memcpy(d, "PCI0", 4);
	d += 4;
	memcpy(d, "\x08_HID\x0c\x41\xd0\x0a\x03", 10);  /* EisaId PNP0A03 */
	d += 10;
	memcpy(d, "\x08_UID\x00", 6);
	d += 6;
	memcpy(d, "\x08_CRS\x11", 6);                        /* Name, BufferOp */
	d += 6;
	n = (unsigned)(c - crs) + 2;                         /* BufferSize + bytes */
	d += pkglen_put(d, n);
	*d++ = 0x0a;                                         /* BytePrefix */
	*d++ = (uint8_t)(c - crs);
	memcpy(d, crs, (size_t)(c - crs));
	d += c - crs;

	*p++ = 0x10;                                         /* ScopeOp */
	n = (unsigned)(d - dev);
	n = 4 + 2 + (n + 1 <= 0x3f ? 1 : 2) + n;            /* _SB_, DeviceOp, PkgLength, body */
	p += pkglen_put(p, n);
	memcpy(p, "_SB_", 4);
	p += 4;
	*p++ = 0x5b;                                         /* DeviceOp */
	*p++ = 0x82;
	p += pkglen_put(p, (unsigned)(d - dev));
	memcpy(p, dev, (size_t)(d - dev));
	return p + (d - dev);
}

static uint32_t dsdt_put(uint8_t *t)
{
	/* Name (\_S5, Package (4) { 5, 5, 0, 0 }) */
	static const uint8_t s5[] = {
		0x08, '_', 'S', '5', '_',     /* NameOp, NameSeg */
		0x12, 0x08, 0x04,             /* PackageOp, PkgLength 8, 4 elements */
		0x0a, ACPI_PM_S5_TYP,         /* BytePrefix 5: SLP_TYPa */
		0x0a, ACPI_PM_S5_TYP,         /* SLP_TYPb */
		0x00, 0x00,                   /* ZeroOp x 2 (reserved) */
	};
	uint8_t *p = t + HDR_LEN;
	uint32_t len;

	memcpy(p, s5, sizeof(s5));
	p = pci0_put(p + sizeof(s5));
	len = (uint32_t)(p - t);
	hdr_put(t, "DSDT", len, 2);
	hdr_seal(t, len);
	return len;
}

static void fadt_put(uint8_t *t, uint64_t gpa)
{
	hdr_put(t, "FACP", FADT_LEN, 6);
	put32(t + 36, (uint32_t)(gpa + ACPI_OFF_FACS));  /* FIRMWARE_CTRL */
	put32(t + 40, (uint32_t)(gpa + ACPI_OFF_DSDT));  /* DSDT */
	t[45] = 0;                                       /* PM profile: unspecified */
	put16(t + 46, ACPI_PM_SCI_IRQ);                  /* SCI_INT */
	put32(t + 48, 0);                                /* SMI_CMD: none */
	put32(t + 56, ACPI_PM_BASE);                     /* PM1a_EVT_BLK */
	put32(t + 64, ACPI_PM_BASE + ACPI_PM_EVT_LEN);   /* PM1a_CNT_BLK */
	t[88] = ACPI_PM_EVT_LEN;                         /* PM1_EVT_LEN */
	t[89] = ACPI_PM_CNT_LEN;                         /* PM1_CNT_LEN */
	put16(t + 96, 101);                              /* P_LVL2_LAT: no C2 */
	put16(t + 98, 1001);                             /* P_LVL3_LAT: no C3 */
	put16(t + 109, 0x0003);                          /* IAPC_BOOT_ARCH: legacy devices, 8042 */
	/* Flags: WBINVD, PWR_BUTTON and SLP_BUTTON (control-method / none) */
	put32(t + 112, (1u << 0) | (1u << 4) | (1u << 5));
	t[131] = 4;                                      /* FADT minor version (6.4) */
	put64(t + 132, gpa + ACPI_OFF_FACS);             /* X_FIRMWARE_CTRL */
	put64(t + 140, gpa + ACPI_OFF_DSDT);             /* X_DSDT */
	gas_io(t + 148, ACPI_PM_BASE, 8 * ACPI_PM_EVT_LEN);               /* X_PM1a_EVT_BLK */
	gas_io(t + 172, ACPI_PM_BASE + ACPI_PM_EVT_LEN, 8 * ACPI_PM_CNT_LEN); /* X_PM1a_CNT_BLK */
	hdr_seal(t, FADT_LEN);
}

static void facs_put(uint8_t *t)
{
	memset(t, 0, FACS_LEN);
	memcpy(t, "FACS", 4);
	put32(t + 4, FACS_LEN);
	t[32] = 2; /* version */
}

static uint32_t madt_put(uint8_t *t, const struct acpi_config *cfg)
{
	uint32_t len = HDR_LEN + 8;
	uint8_t *e;

	hdr_put(t, "APIC", 0, 5);
	put32(t + 36, 0xfee00000u);  /* local APIC address */
	put32(t + 40, 1);            /* PCAT_COMPAT */
	for (int i = 0; i < cfg->ncpus; i++) {
		e = t + len;
		e[0] = 0;               /* processor local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i;      /* ACPI processor UID */
		e[3] = (uint8_t)i;      /* APIC id */
		put32(e + 4, 1);        /* enabled */
		len += 8;
	}
	if (cfg->ioapic) {
		e = t + len;
		e[0] = 1;               /* I/O APIC */
		e[1] = 12;
		e[2] = (uint8_t)cfg->ncpus;
		e[3] = 0;
		put32(e + 4, 0xfec00000u);
		put32(e + 8, 0);        /* GSI base */
		len += 12;
		e = t + len;
		e[0] = 2;               /* interrupt source override: the SCI */
		e[1] = 10;
		e[2] = 0;               /* ISA */
		e[3] = ACPI_PM_SCI_IRQ;
		put32(e + 4, ACPI_PM_SCI_IRQ);
		put16(e + 8, 0x000d);   /* active high, level triggered */
		len += 10;
	}
	put32(t + 4, len);
	hdr_seal(t, len);
	return len;
}

int acpi_build(uint8_t *buf, size_t len, uint64_t gpa, const struct acpi_config *cfg)
{
	uint8_t *rsdp = buf + ACPI_OFF_RSDP, *xsdt = buf + ACPI_OFF_XSDT;
	uint32_t xlen = HDR_LEN + 2 * 8;

	if (!cfg || cfg->ncpus < 1 || cfg->ncpus > ACPI_MAX_CPUS || len < ACPI_AREA_SIZE ||
	    (gpa & 15) || gpa + ACPI_AREA_SIZE > 0x100000000ull)
		return -EINVAL;
	memset(buf, 0, ACPI_AREA_SIZE);

	dsdt_put(buf + ACPI_OFF_DSDT);
	facs_put(buf + ACPI_OFF_FACS);
	fadt_put(buf + ACPI_OFF_FADT, gpa);
	madt_put(buf + ACPI_OFF_MADT, cfg);

	hdr_put(xsdt, "XSDT", xlen, 1);
	put64(xsdt + HDR_LEN, gpa + ACPI_OFF_FADT);
	put64(xsdt + HDR_LEN + 8, gpa + ACPI_OFF_MADT);
	hdr_seal(xsdt, xlen);

	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, OEM_ID, 6);
	rsdp[15] = 2;                         /* revision: ACPI 2.0+ */
	put32(rsdp + 16, 0);                  /* no RSDT */
	put32(rsdp + 20, 36);                 /* length */
	put64(rsdp + 24, gpa + ACPI_OFF_XSDT);
	rsdp[8] = (uint8_t)(0x100 - acpi_sum(rsdp, 20));
	rsdp[32] = (uint8_t)(0x100 - acpi_sum(rsdp, 36));
	return 0;
}
