/*
 * target_ata.c - fuzz target: both IDE channels (a 2048-sector and a 3-sector disk)
 * through the board's bus, with host answers from the input
 * (tests/fuzz/fuzz_host.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_host.h"

static const uint16_t ports[] = { 0x1f0, 0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6, 0x1f7, 0x3f6,
				0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177, 0x376 };

static const struct fuzz_target target = {
	.name = "ata",
	.cfg = { .ndisks = 2, .disks = { { DISK_IDE, 2048 }, { DISK_IDE, 3 } }, .ram_bytes = 1 << 20 },
	.ports = ports,
	.nports = sizeof(ports) / sizeof(ports[0]),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer's entry: one input, one fresh board. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(&target, data, size);
}
