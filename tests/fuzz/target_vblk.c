/*
 * target_vblk.c - fuzz target: legacy virtio-blk (IO BAR 0xc000-0xc03f, 2048 sectors), virtqueues in the input's guest RAM
 * through the board's bus, with host answers from the input
 * (tests/fuzz/fuzz_host.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_host.h"

static const uint16_t ports[] = { 0xc000, 0xc004, 0xc008, 0xc00c, 0xc00e, 0xc010, 0xc012, 0xc013,
				0xc014, 0xc018, 0xc01c, 0xc020, 0xc024, 0xc028, 0xc02c, 0xc030,
				0xc001, 0xc002, 0xc003, 0xc011, 0xc015, 0xc016, 0xc017, 0xc019 };

static const struct fuzz_target target = {
	.name = "vblk",
	.cfg = { .ndisks = 1, .disks = { { DISK_VIRTIO, 2048 } }, .ram_bytes = 1 << 20 },
	.ports = ports,
	.nports = sizeof(ports) / sizeof(ports[0]),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer's entry: one input, one fresh board. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(&target, data, size);
}
