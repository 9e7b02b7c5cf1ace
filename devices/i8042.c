/*
 * i8042.c - PS/2 controller without keyboard or mouse (see i8042.h), after
 * the IBM AT technical reference and what Linux's i8042 driver probes.
 *
 * Status (0x64 read): bit 0 OBF, bit 1 IBF (always 0: commands complete at
 * once), bit 2 SYS (mirrors the command byte's system flag, set at power-on
 * as after a BIOS POST), bit 3 last write was a command, bit 4 keyboard not
 * inhibited (always 1, else Linux warns "Keylock active"), bit 5 AUX data in
 * the output buffer.  Power-on: command byte 0x45 (keyboard interrupt, SYS,
 * translation), output port 0xcf.  The output buffer holds one byte; a read
 * of 0x60 with OBF clear returns the last byte again.
 * Controller commands: 0x20-0x3f/0x60-0x7f read/write internal RAM (byte 0 is
 * the command byte), 0xaa self test (-> 0x55), 0xab/0xa9 interface tests
 * (-> 0x00), 0xad/0xae and 0xa7/0xa8 set/clear the disable bits of the
 * command byte, 0xc0 input port, 0xd0/0xd1 output port, 0xd2/0xd3 echo a
 * byte as keyboard/AUX data, 0xd4 send to AUX (no device: dropped), 0xe0
 * test inputs, 0xf0-0xff pulse output lines (bit 0 clear pulses reset).
 * Output port writes with bit 0 clear also reset.  Unknown commands are
 * ignored.  Bytes written to 0x60 outside a command go to the (absent)
 * keyboard and get no answer.
 * No interrupts: IRQ 1/12 are never raised, even when the command byte
 * enables them.  Linux copes: its AUX IRQ test times out (250 ms) and the
 * AUX port is skipped; the keyboard probe times out the same way.
 * Not implemented: A20 gating (bit 1 of the output port is stored only),
 * scancode translation, password and keyboard lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/i8042.h"

#define STR_OBF 0x01
#define STR_SYS 0x04
#define STR_CMD 0x08
#define STR_UNLOCKED 0x10
#define STR_AUXDATA 0x20

#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20

/* Power-on command byte: keyboard interrupt, system flag, translation. */
#define CTR_POWERON 0x45
/* Output port: reset line high (not in reset), A20 on, unused bits high. */
#define OUTPORT_POWERON 0xcf

struct i8042 {
	const char *name;
	uint8_t ram[32];   /* ram[0] is the command byte (CTR) */
	uint8_t outport;
	uint8_t obuf;      /* output buffer (last byte, kept after a read) */
	bool obf;          /* output buffer full */
	bool obuf_aux;     /* the byte came from the AUX side */
	bool last_cmd;     /* last write went to 0x64 */
	uint8_t pending;   /* command waiting for its data byte, or 0 */
};

struct i8042 *i8042_create(const char *name)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->name = name;
	i8042_reset(k);
	return k;
}

void i8042_reset(struct i8042 *k)
{
	const char *name = k->name;

	memset(k, 0, sizeof(*k));
	k->name = name;
	k->ram[0] = CTR_POWERON;
	k->outport = OUTPORT_POWERON;
}

void i8042_destroy(struct i8042 *k)
{
	free(k);
}

const char *i8042_regname_data(uint64_t off, bool is_write)
{
	(void)is_write;
	return off == 0 ? "data" : NULL;
}

const char *i8042_regname_cmd(uint64_t off, bool is_write)
{
	if (off != 0)
		return NULL;
	return is_write ? "command" : "status";
}

static void i8042_output(struct i8042 *k, uint8_t byte, bool aux)
{
	k->obuf = byte;
	k->obf = true;
	k->obuf_aux = aux;
}

static uint8_t i8042_status(const struct i8042 *k)
{
	uint8_t s = STR_UNLOCKED;

	if (k->obf)
		s |= STR_OBF;
	if (k->obf && k->obuf_aux)
		s |= STR_AUXDATA;
	if (k->ram[0] & CTR_SYS)
		s |= STR_SYS;
	if (k->last_cmd)
		s |= STR_CMD;
	return s;
}

static void i8042_write_outport(struct i8042 *k, const struct host *h,
				uint8_t v)
{
	k->outport = v;
	if (!(v & 0x01))
		host_system_event(h, HOST_EV_RESET);
}

static void i8042_command(struct i8042 *k, const struct host *h, uint8_t cmd)
{
	uint8_t v;

	k->pending = 0;
	if (cmd >= 0x20 && cmd <= 0x3f) {
		i8042_output(k, k->ram[cmd & 0x1f], false);
		return;
	}
	if ((cmd >= 0x60 && cmd <= 0x7f) || cmd == 0xd1 || cmd == 0xd2 ||
	    cmd == 0xd3 || cmd == 0xd4) {
		k->pending = cmd;
		return;
	}
	if (cmd >= 0xf0) {
		/* Pulse output lines: a 0 in bit 0 pulses the reset line. */
		if (!(cmd & 0x01))
			host_system_event(h, HOST_EV_RESET);
		return;
	}
	switch (cmd) {
	case 0xa7:
		k->ram[0] |= CTR_AUXDIS;
		break;
	case 0xa8:
		k->ram[0] &= (uint8_t)~CTR_AUXDIS;
		break;
	case 0xa9: /* AUX interface test: 0 = no error */
	case 0xab: /* keyboard interface test */
		i8042_output(k, 0x00, false);
		break;
	case 0xaa: /* controller self test */
		k->ram[0] |= CTR_SYS;
		i8042_output(k, 0x55, false);
		break;
	case 0xad:
		k->ram[0] |= CTR_KBDDIS;
		break;
	case 0xae:
		k->ram[0] &= (uint8_t)~CTR_KBDDIS;
		break;
	case 0xc0: /* input port: nothing asserted */
		i8042_output(k, 0x00, false);
		break;
	case 0xd0:
		v = k->outport & 0xcf;
		if (k->obf)
			v |= k->obuf_aux ? 0x20 : 0x10;
		i8042_output(k, v, false);
		break;
	case 0xe0: /* test inputs: clock and data low */
		i8042_output(k, 0x00, false);
		break;
	default: /* unknown or no-op (e.g. 0xa1 version, 0xc1/0xc2 polls) */
		break;
	}
}

static void i8042_data(struct i8042 *k, const struct host *h, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	if (cmd >= 0x60 && cmd <= 0x7f) {
		k->ram[cmd & 0x1f] = v;
		return;
	}
	switch (cmd) {
	case 0xd1:
		i8042_write_outport(k, h, v);
		break;
	case 0xd2:
		i8042_output(k, v, false);
		break;
	case 0xd3:
		i8042_output(k, v, true);
		break;
	default:
		/* 0xd4 (to the mouse) or a keyboard command: no device. */
		break;
	}
}

int i8042_io_data(void *dev, const struct host *h, uint64_t off, void *data,
		  uint32_t len, bool is_write)
{
	struct i8042 *k = dev;
	uint8_t *p = data;

	if (len == 0)
		return -EINVAL;
	if (is_write) {
		k->last_cmd = false;
		i8042_data(k, h, p[0]);
	} else {
		memset(p, 0xff, len);
		p[0] = k->obuf;
		k->obf = false;
		k->obuf_aux = false;
	}
	return off == 0 ? 0 : -EINVAL;
}

int i8042_io_cmd(void *dev, const struct host *h, uint64_t off, void *data,
		 uint32_t len, bool is_write)
{
	struct i8042 *k = dev;
	uint8_t *p = data;

	if (len == 0)
		return -EINVAL;
	if (is_write) {
		k->last_cmd = true;
		i8042_command(k, h, p[0]);
	} else {
		memset(p, 0xff, len);
		p[0] = i8042_status(k);
	}
	return off == 0 ? 0 : -EINVAL;
}
