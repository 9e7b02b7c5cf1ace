/*
 * test_ata_identify.c - devices/ata_identify.c via the ATA data port: the
 * IDENTIFY DEVICE block's words, strings and size caps for large disks.
 */
#include "tests/unit/ata_fixture.h"

/* ---- IDENTIFY ---- */

static void test_ata_identify_words(void **state)
{
	struct fixture *f = *state;
	const uint8_t *p = f->buf;
	uint8_t sum = 0;

	wr(f, DEVICE, 0xa0);
	wr(f, COMMAND, 0xec);
	assert_int_equal(altstatus(f), 0x58);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 1);
	assert_int_equal(rd(f, STATUS), 0x58);
	assert_int_equal(fakehost_irq_level(f->fh, IRQ), 0);
	read_data(f, 512, 2);
	assert_int_equal(rd(f, STATUS), 0x50);
	/* One IRQ for the one data block; none when it has been read. */
	assert_int_equal(irq_raises(f), 1);
	assert_int_equal(fakehost_nreqs(f->fh), 0);

	assert_int_equal(word(p, 0), 0x0040);
	assert_int_equal(word(p, 1), DISK_SECTORS / 1008);
	assert_int_equal(word(p, 3), 16);
	assert_int_equal(word(p, 6), 63);
	assert_int_equal(word(p, 47), 0x8010);
	assert_int_equal(word(p, 49), 0x0a00);
	assert_int_equal(word(p, 50), 0x4000);
	assert_int_equal(word(p, 53), 0x0007);
	assert_int_equal(word(p, 54), DISK_SECTORS / 1008);
	assert_int_equal(word(p, 57) | word(p, 58) << 16, (DISK_SECTORS / 1008) * 1008);
	assert_int_equal(word(p, 59), 0x0110);
	assert_int_equal(word(p, 60), DISK_SECTORS & 0xffff);
	assert_int_equal(word(p, 61), DISK_SECTORS >> 16);
	assert_int_equal(word(p, 64), 0x0003);
	assert_int_equal(word(p, 80), 0x00f0);
	assert_int_equal(word(p, 82), 0x4020);
	assert_int_equal(word(p, 83), 0x7400);
	assert_true(word(p, 83) & (1 << 10));
	assert_int_equal(word(p, 85), 0x4020);
	assert_int_equal(word(p, 86), 0x3400);
	assert_int_equal(word(p, 100), DISK_SECTORS);
	assert_int_equal(word(p, 101), 0);
	assert_int_equal(word(p, 102), 0);
	assert_int_equal(word(p, 103), 0);
	assert_int_equal(word(p, 255) & 0xff, 0xa5);
	for (int i = 0; i < 512; i++)
		sum += p[i];
	assert_int_equal(sum, 0);
}

static void test_ata_identify_strings(void **state)
{
	struct fixture *f = *state;
	char model[41], serial[21], fw[9];
	uint16_t w;

	wr(f, COMMAND, 0xec);
	for (unsigned i = 0; i < 256; i++) {
		w = rdata16(f);
		/* ATA strings: first character in the high byte. */
		if (i >= 10 && i < 20) {
			serial[2 * (i - 10)] = (char)(w >> 8);
			serial[2 * (i - 10) + 1] = (char)w;
		} else if (i >= 23 && i < 27) {
			fw[2 * (i - 23)] = (char)(w >> 8);
			fw[2 * (i - 23) + 1] = (char)w;
		} else if (i >= 27 && i < 47) {
			model[2 * (i - 27)] = (char)(w >> 8);
			model[2 * (i - 27) + 1] = (char)w;
		}
	}
	model[40] = serial[20] = fw[8] = '\0';
	assert_string_equal(model, "EXITLOG HARDDISK                        ");
	assert_string_equal(serial, "EXITLOG0001         ");
	assert_string_equal(fw, "0.1     ");
}

static void test_ata_identify_caps_large_disk(void **state)
{
	struct fixture *f = *state;
	struct ata *big = ata_create("ata1", 0, (1ull << 32) + 7, 15);
	uint8_t v = 0xec, b[2];
	uint8_t id[512];

	assert_non_null(big);
	assert_int_equal(ata_io_cmd(big, f->h, COMMAND, &v, 1, true), 0);
	for (int i = 0; i < 512; i += 2) {
		assert_int_equal(ata_io_cmd(big, f->h, DATA, b, 2, false), 0);
		memcpy(id + i, b, 2);
	}
	assert_int_equal(word(id, 1), 16383);
	assert_int_equal(word(id, 60), 0xffff);
	assert_int_equal(word(id, 61), 0x0fff);
	assert_int_equal(word(id, 100), 7);
	assert_int_equal(word(id, 101), 0);
	assert_int_equal(word(id, 102), 1);
	assert_int_equal(word(id, 103), 0);
	ata_destroy(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ata_identify_words),
		T(test_ata_identify_strings),
		T(test_ata_identify_caps_large_disk),
	};

	return cmocka_run_group_tests_name("ata_identify", tests, NULL, NULL);
}
