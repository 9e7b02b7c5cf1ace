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

static uint32_t dsdt_put(uint8_t *t)
{
	/* Name (\_S5, Package (4) { 5, 5, 0, 0 }) */
	static const uint8_t aml[] = {
		0x08, '_', 'S', '5', '_',     /* NameOp, NameSeg */
		0x12, 0x08, 0x04,             /* PackageOp, PkgLength 8, 4 elements */
		0x0a, ACPI_PM_S5_TYP,         /* BytePrefix 5: SLP_TYPa */
		0x0a, ACPI_PM_S5_TYP,         /* SLP_TYPb */
		0x00, 0x00,                   /* ZeroOp x 2 (reserved) */
	};
	uint32_t len = HDR_LEN + (uint32_t)sizeof(aml);

	hdr_put(t, "DSDT", len, 2);
	memcpy(t + HDR_LEN, aml, sizeof(aml));
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
