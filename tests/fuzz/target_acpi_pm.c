/*
 * target_acpi_pm.c - fuzz target: the ACPI PM1a event and control
 * registers (0x600-0x605, devices/acpi_pm.c: the S5 write is a power-off,
 * which the fuzz host checks and lets the input go on past) and the ports
 * either side of the block, through the board's bus, with host answers
 * from the input (tests/fuzz/fuzz_host.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_host.h"

static const uint16_t ports[] = { 0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x5ff, 0x606 };

static const struct fuzz_target target = {
	.name = "acpi_pm",
	.cfg = { .ram_bytes = 1 << 20 },
	.ports = ports,
	.nports = sizeof(ports) / sizeof(ports[0]),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer's entry: one input on the board in its power-on state. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(&target, data, size);
}
