/*
 * cmos.h - MC146818 real-time clock + CMOS RAM (index port 0x70, data port
 * 0x71 on the PC board), following the Motorola MC146818A data sheet
 * (address map, registers A-D, BCD/binary and 12/24-hour formats) and the
 * IBM PC/AT CMOS RAM map for the memory-size bytes.
 *
 * Time: registers 0x00 (seconds), 0x02 (minutes), 0x04 (hours), 0x06 (day
 * of week, 1 = Sunday), 0x07 (day of month), 0x08 (month), 0x09 (year
 * 0-99) and 0x32 (century) show UTC at epoch_seconds + offset +
 * host_now_ns()/1e9, where epoch_seconds is given at create (the recorder
 * passes the recording's start time, the replayer the same logged value)
 * and offset starts at 0 and changes when the guest sets the clock.
 * host_now_ns() is called once per access to a time register and never
 * otherwise.  Format per register B: DM (bit 2) binary, else BCD; 24/12
 * (bit 1) 24-hour, else 12-hour with bit 7 = PM.
 * Setting the clock: while B.SET (bit 7) is 1 the time registers are a
 * frozen copy the guest may write; clearing SET makes the written time the
 * current time.  A write to a time register while SET is 0 takes effect
 * at once.  Writes outside the register's range are dropped (-EINVAL).
 *
 * Register A: rate/divider bits stored; UIP (bit 7) always reads 0: the
 * model's time changes only between exits, so a read never races an
 * update.  Register B: stored (default 0x02, 24-hour BCD).  Register C:
 * reads 0 (no interrupt flags are ever set) and clears.  Register D: 0x80
 * (valid RAM and time), read-only.  Alarm registers 1/3/5 are plain storage.
 * Not implemented: periodic, alarm and update-ended interrupts (IRQ 8 is
 * never raised), the square-wave output, daylight-saving (B bit 0).
 *
 * CMOS RAM 0x0e-0x7f (except 0x32) is 114 plain bytes, preset with: 0x10
 * floppy types 0, 0x12 hard disk types 0, 0x14 equipment 0x02 (FPU, no
 * floppy, VGA), 0x15-0x16 base memory 640 KiB, 0x17-0x18 and 0x30-0x31
 * extended memory above 1 MiB in KiB (max 65535), 0x34-0x35 memory above
 * 16 MiB in 64 KiB units (max 65535), 0x5b-0x5d memory above 4 GiB in
 * 64 KiB units, 0x2e-0x2f the checksum of 0x10-0x2d.
 * Index port: bit 7 is the NMI-disable latch (stored, no effect); reading
 * port 0x70 returns 0xff (write-only on the PC).
 */
#ifndef EXITLOG_CMOS_H
#define EXITLOG_CMOS_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/hostif.h"

#define CMOS_IO_BASE 0x70
#define CMOS_IO_LEN 2

struct cmos;

/*
 * An RTC whose clock reads `epoch_seconds` (Unix time, UTC) when
 * host_now_ns() is 0, with `mem_below_4g` bytes of RAM from address 0 and
 * `mem_above_4g` bytes from 4 GiB reported in the memory-size bytes.
 * `name` is kept by pointer.  NULL on ENOMEM.
 */
struct cmos *cmos_create(const char *name, uint64_t epoch_seconds,
			 uint64_t mem_below_4g, uint64_t mem_above_4g);
/* Power-on state: RAM preset again, clock offset 0, index 0.  No host calls. */
void cmos_reset(struct cmos *c);
void cmos_destroy(struct cmos *c);

/* bus_io_fn for ports 0x70-0x71 (region of length 2).  A wider access is
 * split into byte accesses to consecutive ports, as the ISA bus does; bytes
 * beyond 0x71 read 0xff. */
int cmos_io(void *dev, const struct host *h, uint64_t off, void *data,
	    uint32_t len, bool is_write);
/* bus_regname_fn: "index" (0x70) / "data" (0x71). */
const char *cmos_regname(uint64_t off, bool is_write);

#endif
