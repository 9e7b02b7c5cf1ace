/*
 * test_i8042.c - devices/i8042.c: the controller commands a BIOS-less boot
 * and Linux's i8042 probe issue, the reset paths, and the status bits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "devices/i8042.h"
#include "tests/unit/fakehost.h"

#define ST_OBF 0x01
#define ST_SYS 0x04
#define ST_CMD 0x08
#define ST_UNLOCKED 0x10
#define ST_AUX 0x20

struct fixture {
	struct i8042 *k;
	struct fakehost *fh;
	const struct host *h;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	f->k = i8042_create("i8042");
	f->fh = fakehost_create(0, 0);
	assert_non_null(f->k);
	assert_non_null(f->fh);
	f->h = fakehost_host(f->fh);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	/* The controller never drives an interrupt line. */
	assert_int_equal(fakehost_nirqs(f->fh), 0);
	i8042_destroy(f->k);
	fakehost_destroy(f->fh);
	test_free(f);
	return 0;
}

static void cmd(struct fixture *f, uint8_t v)
{
	assert_int_equal(i8042_io_cmd(f->k, f->h, 0, &v, 1, true), 0);
}

static void data_w(struct fixture *f, uint8_t v)
{
	assert_int_equal(i8042_io_data(f->k, f->h, 0, &v, 1, true), 0);
}

static uint8_t status(struct fixture *f)
{
	uint8_t v = 0;

	assert_int_equal(i8042_io_cmd(f->k, f->h, 0, &v, 1, false), 0);
	return v;
}

static uint8_t data_r(struct fixture *f)
{
	uint8_t v = 0;

	assert_int_equal(i8042_io_data(f->k, f->h, 0, &v, 1, false), 0);
	return v;
}

static void test_i8042_power_on_status(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(status(f), ST_SYS | ST_UNLOCKED);
	/* Empty output buffer: the last value (none yet: 0) and no OBF. */
	assert_int_equal(data_r(f), 0x00);
	assert_int_equal(status(f), ST_SYS | ST_UNLOCKED);
}

static void test_i8042_pulse_reset_raises_event(void **state)
{
	struct fixture *f = *state;

	cmd(f, 0xfe);
	assert_int_equal(fakehost_nevents(f->fh), 1);
	assert_int_equal(fakehost_event(f->fh, 0), HOST_EV_RESET);
	assert_int_equal(status(f), ST_SYS | ST_UNLOCKED | ST_CMD);
	/* Pulsing other lines (bit 0 set) does not reset. */
	cmd(f, 0xff);
	assert_int_equal(fakehost_nevents(f->fh), 1);
}

static void test_i8042_self_test_answers_55(void **state)
{
	struct fixture *f = *state;

	cmd(f, 0xaa);
	assert_int_equal(status(f), ST_OBF | ST_SYS | ST_CMD | ST_UNLOCKED);
	assert_int_equal(data_r(f), 0x55);
	assert_int_equal(status(f) & ST_OBF, 0);
	/* Reading again with OBF clear returns the same byte. */
	assert_int_equal(data_r(f), 0x55);
	assert_int_equal(fakehost_nevents(f->fh), 0);
}

static void test_i8042_ctr_round_trip(void **state)
{
	struct fixture *f = *state;

	cmd(f, 0x20);
	assert_int_equal(status(f) & ST_OBF, ST_OBF);
	assert_int_equal(data_r(f), 0x45);
	cmd(f, 0x60);
	data_w(f, 0x65);
	assert_int_equal(status(f), ST_SYS | ST_UNLOCKED);   /* last write: data */
	cmd(f, 0x20);
	assert_int_equal(data_r(f), 0x65);
	/* The status SYS flag follows the command byte. */
	cmd(f, 0x60);
	data_w(f, 0x41);
	assert_int_equal(status(f) & ST_SYS, 0);
	cmd(f, 0x20);
	assert_int_equal(data_r(f), 0x41);
	/* The rest of the internal RAM is plain storage. */
	cmd(f, 0x7f);
	data_w(f, 0x99);
	cmd(f, 0x3f);
	assert_int_equal(data_r(f), 0x99);
}

static void test_i8042_interface_tests_pass(void **state)
{
	struct fixture *f = *state;

	cmd(f, 0xab);
	assert_int_equal(data_r(f), 0x00);
	cmd(f, 0xa9);
	assert_int_equal(status(f) & (ST_OBF | ST_AUX), ST_OBF);
	assert_int_equal(data_r(f), 0x00);
}

static void test_i8042_aux_loop_echoes_as_aux_data(void **state)
{
	struct fixture *f = *state;

	cmd(f, 0xd3);
	data_w(f, 0x5a);
	assert_int_equal(status(f) & (ST_OBF | ST_AUX), ST_OBF | ST_AUX);
	assert_int_equal(data_r(f), 0x5a);
	assert_int_equal(status(f) & (ST_OBF | ST_AUX), 0);
	/* 0xd2 echoes as keyboard data. */
	cmd(f, 0xd2);
	data_w(f, 0xa5);
	assert_int_equal(status(f) & (ST_OBF | ST_AUX), ST_OBF);
	assert_int_equal(data_r(f), 0xa5);
}

static void test_i8042_port_disable_bits(void **state)
{
	struct fixture *f = *state;

	cmd(f, 0xad);
	cmd(f, 0xa7);
	cmd(f, 0x20);
	assert_int_equal(data_r(f), 0x45 | 0x10 | 0x20);
	cmd(f, 0xae);
	cmd(f, 0x20);
	assert_int_equal(data_r(f), 0x45 | 0x20);
	cmd(f, 0xa8);
	cmd(f, 0x20);
	assert_int_equal(data_r(f), 0x45);
}

static void test_i8042_output_port_reset(void **state)
{
	struct fixture *f = *state;

	cmd(f, 0xd0);
	assert_int_equal(data_r(f), 0xcf);
	cmd(f, 0xd1);
	data_w(f, 0xdf);               /* bit 0 set: no reset */
	assert_int_equal(fakehost_nevents(f->fh), 0);
	cmd(f, 0xd0);
	assert_int_equal(data_r(f), 0xcf);   /* OBF bits 4/5 are live */
	cmd(f, 0xd1);
	data_w(f, 0xfe);               /* bit 0 clear: reset */
	assert_int_equal(fakehost_nevents(f->fh), 1);
	assert_int_equal(fakehost_event(f->fh, 0), HOST_EV_RESET);
}

static void test_i8042_device_bytes_get_no_answer(void **state)
{
	struct fixture *f = *state;

	data_w(f, 0xff);               /* keyboard reset: no keyboard */
	assert_int_equal(status(f) & ST_OBF, 0);
	cmd(f, 0xd4);
	data_w(f, 0xf2);               /* mouse get-id: no mouse */
	assert_int_equal(status(f) & ST_OBF, 0);
	/* The data byte of 0xd4 did not become a keyboard command either. */
	data_w(f, 0x12);
	assert_int_equal(status(f) & ST_OBF, 0);
	assert_int_equal(fakehost_nevents(f->fh), 0);
}

static void test_i8042_reset_and_regnames(void **state)
{
	struct fixture *f = *state;

	cmd(f, 0x60);
	data_w(f, 0x00);
	cmd(f, 0xaa);
	i8042_reset(f->k);
	assert_int_equal(status(f), ST_SYS | ST_UNLOCKED);
	cmd(f, 0x20);
	assert_int_equal(data_r(f), 0x45);
	assert_string_equal(i8042_regname_data(0, false), "data");
	assert_string_equal(i8042_regname_data(0, true), "data");
	assert_string_equal(i8042_regname_cmd(0, false), "status");
	assert_string_equal(i8042_regname_cmd(0, true), "command");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_i8042_power_on_status),
		T(test_i8042_pulse_reset_raises_event),
		T(test_i8042_self_test_answers_55),
		T(test_i8042_ctr_round_trip),
		T(test_i8042_interface_tests_pass),
		T(test_i8042_aux_loop_echoes_as_aux_data),
		T(test_i8042_port_disable_bits),
		T(test_i8042_output_port_reset),
		T(test_i8042_device_bytes_get_no_answer),
		T(test_i8042_reset_and_regnames),
	};

	return cmocka_run_group_tests_name("i8042", tests, NULL, NULL);
}
