/*
 * i8042.h - the PS/2 controller, just far enough for a PC guest to boot and
 * reset: status/command port 0x64, data port 0x60.  Command 0xfe (pulse
 * reset line) raises HOST_EV_RESET through the host interface.  Also answers
 * the self-test (0xaa -> 0x55), interface test (0xab -> 0x00), read/write of
 * the command byte (0x20/0x60) and output port (0xd0/0xd1; writing with bit 0
 * clear resets), and port disable/enable (0xad/0xae/0xa7/0xa8).
 * No keyboard or mouse devices are attached: bytes written to 0x60 as a
 * device command get no answer.
 */
#ifndef EXITLOG_I8042_H
#define EXITLOG_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/hostif.h"

struct i8042;

struct i8042 *i8042_create(const char *name);
void i8042_reset(struct i8042 *k);
void i8042_destroy(struct i8042 *k);

/* bus_io_fn for port 0x60 (region of length 1). */
int i8042_io_data(void *dev, const struct host *h, uint64_t off, void *data,
		  uint32_t len, bool is_write);
/* bus_io_fn for port 0x64 (region of length 1). */
int i8042_io_cmd(void *dev, const struct host *h, uint64_t off, void *data,
		 uint32_t len, bool is_write);
const char *i8042_regname_data(uint64_t off, bool is_write); /* "data" */
const char *i8042_regname_cmd(uint64_t off, bool is_write);  /* "status" / "command" */

#endif
