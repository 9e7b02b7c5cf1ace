/*
 * target_vblk_modern.c - fuzz target: modern virtio-blk (virtio 1.x
 * virtio-pci, registers in the MMIO BAR at 0xfe000000, 2048 sectors) with
 * asynchronous completion: the host has blk_submit, as the recorder with
 * modern disks does (recorder/iothread.c), and the input decides when and in
 * which order requests in flight complete (DONE ops), also after a device
 * reset.  A legacy virtio-blk (IO BAR 0xc040, 64 sectors) shares the board
 * and the asynchronous host, as with `record --virtio-disk A --virtio-disk
 * B,legacy`; the PCI config ports reach the modern function's capability
 * list.  Virtqueues in the input's guest RAM (256 MiB, backed by 1 MiB that
 * repeats: tests/fuzz/fuzz_host.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_host.h"

#define BAR0 0xfe000000ull

static const uint16_t ports[] = { 0xcf8, 0xcfc, 0xcfd, 0xcfe,
				0xc040, 0xc044, 0xc048, 0xc04c, 0xc04e, 0xc050, 0xc052, 0xc053,
				0xc054, 0xc058 };

/* common cfg fields (and both halves of the 64-bit ones), ISR, notify,
 * device cfg, odd offsets, past the BAR */
static const uint64_t mmio[] = {
	BAR0 + 0x00, BAR0 + 0x04, BAR0 + 0x08, BAR0 + 0x0c, BAR0 + 0x10, BAR0 + 0x12,
	BAR0 + 0x14, BAR0 + 0x15, BAR0 + 0x16, BAR0 + 0x18, BAR0 + 0x1a, BAR0 + 0x1c,
	BAR0 + 0x1e, BAR0 + 0x20, BAR0 + 0x24, BAR0 + 0x28, BAR0 + 0x2c, BAR0 + 0x30,
	BAR0 + 0x34, BAR0 + 0x38, BAR0 + 0x3a, BAR0 + 0x3c, BAR0 + 0x40, BAR0 + 0x50,
	BAR0 + 0x80, BAR0 + 0x88, BAR0 + 0x8c, BAR0 + 0x94, BAR0 + 0x01, BAR0 + 0x13,
	BAR0 + 0x41, BAR0 + 0x52, BAR0 + 0xbc, BAR0 + 0xfc, BAR0 + 0xff, BAR0 + 0x100,
	/* the notify and status of the modern function again: the ops that drive it */
	BAR0 + 0x50, BAR0 + 0x14, BAR0 + 0x1c, BAR0 + 0x40,
};

static const struct fuzz_target target = {
	.name = "vblk_modern",
	.cfg = { .ndisks = 2, .disks = { { DISK_VIRTIO_MODERN, 2048 }, { DISK_VIRTIO, 64 } },
		 .ram_bytes = 256u << 20 },
	.ports = ports,
	.nports = sizeof(ports) / sizeof(ports[0]),
	.mmio = mmio,
	.nmmio = sizeof(mmio) / sizeof(mmio[0]),
	.async = true,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer's entry: one input on the board in its power-on state. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(&target, data, size);
}
