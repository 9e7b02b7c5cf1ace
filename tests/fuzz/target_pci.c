/*
 * target_pci.c - fuzz target: PCI type-1 configuration (0xcf8-0xcff) of a board with a virtio-blk and an IDE disk
 * through the board's bus, with host answers from the input
 * (tests/fuzz/fuzz_host.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_host.h"

static const uint16_t ports[] = { 0xcf8, 0xcf9, 0xcfa, 0xcfb, 0xcfc, 0xcfd, 0xcfe, 0xcff };

static const struct fuzz_target target = {
	.name = "pci",
	.cfg = { .ndisks = 2, .disks = { { DISK_VIRTIO, 2048 }, { DISK_IDE, 64 } }, .ram_bytes = 1 << 20 },
	.ports = ports,
	.nports = sizeof(ports) / sizeof(ports[0]),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer's entry: one input, one fresh board. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(&target, data, size);
}
