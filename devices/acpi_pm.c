/*
 * acpi_pm.c - ACPI PM1a event and control registers: the S5 write that
 * powers the machine off (see acpi_pm.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/acpi_pm.h"

#define REG_STS 0
#define REG_EN 2
#define REG_CNT 4
#define CNT_STORED (0x7u << ACPI_PM1_SLP_TYP_SHIFT) /* SLP_TYP */

struct acpi_pm {
	const char *name;
	uint16_t en;
	uint16_t cnt;
};

struct acpi_pm *acpi_pm_create(const char *name)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return NULL;
	pm->name = name;
	acpi_pm_reset(pm);
	return pm;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	free(pm);
}

void acpi_pm_reset(struct acpi_pm *pm)
{
	pm->en = 0;
	pm->cnt = 0;
}

static uint16_t pm_read(const struct acpi_pm *pm, uint64_t reg)
{
	switch (reg) {
	case REG_EN:
		return pm->en;
	case REG_CNT:
		return (uint16_t)(pm->cnt | ACPI_PM1_SCI_EN);
	default:
		return 0; /* PM1_STS: no event ever sets a bit */
	}
}

static void pm_write(struct acpi_pm *pm, const struct host *h, uint64_t reg, uint16_t v)
{
	switch (reg) {
	case REG_EN:
		pm->en = v;
		break;
	case REG_CNT:
		pm->cnt = v & CNT_STORED;
		if ((v & ACPI_PM1_SLP_EN) &&
		    ((v >> ACPI_PM1_SLP_TYP_SHIFT) & 7u) == ACPI_PM_S5_TYP)
			host_system_event(h, HOST_EV_POWEROFF);
		break;
	default:
		break; /* PM1_STS: write-1-to-clear of bits never set */
	}
}

int acpi_pm_io(void *dev, const struct host *h, uint64_t off, void *data,
	       uint32_t len, bool is_write)
{
	struct acpi_pm *pm = dev;
	uint8_t *b = data;
	uint64_t reg = off & ~1ull;

	if (off >= ACPI_PM_LEN || len > ACPI_PM_LEN - off ||
	    (!(len == 2 && !(off & 1)) && !(len == 1 && !is_write))) {
		if (!is_write)
			memset(data, 0xff, len);
		return -EINVAL;
	}
	if (is_write) {
		pm_write(pm, h, reg, (uint16_t)(b[0] | b[1] << 8));
	} else {
		uint16_t v = pm_read(pm, reg);

		if (len == 2) {
			b[0] = (uint8_t)v;
			b[1] = (uint8_t)(v >> 8);
		} else {
			b[0] = (uint8_t)(v >> (8 * (off & 1)));
		}
	}
	return 0;
}

const char *acpi_pm_regname(uint64_t off, bool is_write)
{
	(void)is_write;
	if (off < REG_EN)
		return "pm1_sts";
	if (off < REG_CNT)
		return "pm1_en";
	return "pm1_cnt";
}
