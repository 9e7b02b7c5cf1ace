/*
 * target_i8042.c - fuzz target: the i8042 keyboard controller (0x60, 0x64)
 * through the board's bus, with host answers from the input
 * (tests/fuzz/fuzz_host.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_host.h"

static const uint16_t ports[] = { 0x60, 0x64 };

static const struct fuzz_target target = {
	.name = "i8042",
	.cfg = { .ram_bytes = 1 << 20 },
	.ports = ports,
	.nports = sizeof(ports) / sizeof(ports[0]),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer's entry: one input, one fresh board. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(&target, data, size);
}
