/*
 * acpi_pm.h - the ACPI PM1a fixed-hardware registers (ACPI 6.x 4.8.3.1
 * PM1 event grouping, 4.8.3.2 PM1 control), enough for a guest OS's S5
 * power-off: PM1a_EVT_BLK at ACPI_PM_BASE (PM1_STS le16, PM1_EN le16) and
 * PM1a_CNT_BLK at ACPI_PM_BASE + 4 (PM1_CNT le16).  recorder/acpi.c's FADT
 * points at them and its DSDT's \_S5 package gives SLP_TYP ACPI_PM_S5_TYP.
 *
 * PM1_STS: bits are write-1-to-clear; nothing ever sets them (no fixed
 * events: no PM timer, power button or RTC alarm), so it reads 0.
 * PM1_EN: stored and read back.  PM1_CNT: SCI_EN (bit 0) reads 1 (the
 * machine is always in ACPI mode: the FADT has no SMI_CMD); SLP_TYP (bits
 * 10-12) is stored; a write with SLP_EN (bit 13) and SLP_TYP ==
 * ACPI_PM_S5_TYP asks the host for a power-off (HOST_EV_POWEROFF: the
 * session ends as "poweroff"); SLP_EN with another type is ignored (no
 * other sleep state is offered).  Accesses must be 2 bytes at 0, 2 or 4
 * (1-byte reads are answered too); anything else is -EINVAL.
 */
#ifndef EXITLOG_ACPI_PM_H
#define EXITLOG_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/hostif.h"

#define ACPI_PM_BASE 0x600u
#define ACPI_PM_LEN 6u        /* PM1_STS, PM1_EN, PM1_CNT */
#define ACPI_PM_EVT_LEN 4u    /* FADT PM1_EVT_LEN */
#define ACPI_PM_CNT_LEN 2u    /* FADT PM1_CNT_LEN */
#define ACPI_PM_S5_TYP 5u     /* SLP_TYP of \_S5 */
#define ACPI_PM_SCI_IRQ 9     /* FADT SCI_INT (never raised) */

#define ACPI_PM1_SCI_EN 0x0001u
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_EN 0x2000u

struct acpi_pm;

/* A PM1a block in its power-on state.  NULL on ENOMEM. */
struct acpi_pm *acpi_pm_create(const char *name);
void acpi_pm_destroy(struct acpi_pm *pm);
/* Power-on state (enable 0, SLP_TYP 0).  No host calls. */
void acpi_pm_reset(struct acpi_pm *pm);

/* bus_io_fn for the region [ACPI_PM_BASE, + ACPI_PM_LEN). */
int acpi_pm_io(void *dev, const struct host *h, uint64_t off, void *data,
	       uint32_t len, bool is_write);
/* bus_regname_fn: "pm1_sts", "pm1_en", "pm1_cnt". */
const char *acpi_pm_regname(uint64_t off, bool is_write);

#endif
