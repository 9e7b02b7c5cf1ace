/*
 * target_cmos.c - fuzz target: the CMOS/RTC (0x70, 0x71)
 * through the board's bus, with host answers from the input
 * (tests/fuzz/fuzz_host.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_host.h"

static const uint16_t ports[] = { 0x70, 0x71 };

static const struct fuzz_target target = {
	.name = "cmos",
	.cfg = { .ram_bytes = 5ull << 30, .rtc_epoch = 1700000000 },
	.ports = ports,
	.nports = sizeof(ports) / sizeof(ports[0]),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer's entry: one input, one fresh board. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(&target, data, size);
}
