/*
 * test_pci.c - devices/pci.c: configuration mechanism #1 as Linux's
 * pci_check_type1 / pci_sanity_check and the PCI core's header scan and
 * BAR sizing use it, through the two bus_io_fn handlers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/pci.h"
#include "devices/virtio_blk.h"
#include "tests/unit/fakehost.h"

struct fixture {
	struct pci *p;
	struct fakehost *fh;
	const struct host *h;
};

static const struct pci_function_desc test_fn = {
	.name = "testdev",
	.vendor = 0x1234,
	.device = 0x5678,
	.subsys_vendor = 0x1af4,
	.subsys_device = 0x0002,
	.class_code = 0x018000,
	.revision = 0x07,
	.bars = {
		{ .addr = 0xc000, .size = 0x40, .io = true },
		{ .addr = 0xfebf0000, .size = 0x1000, .io = false },
	},
	.irq = 11,
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	f->p = pci_create("pci");
	f->fh = fakehost_create(0, 0);
	assert_non_null(f->p);
	assert_non_null(f->fh);
	f->h = fakehost_host(f->fh);
	assert_int_equal(pci_add_function(f->p, 1, &test_fn), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pci_destroy(f->p);
	fakehost_destroy(f->fh);
	test_free(f);
	return 0;
}

static uint32_t le(const uint8_t *b, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)b[i] << (8 * i);
	return v;
}

/* Port access at 0xcf8 + off (off 0-3) or 0xcfc + off (off 4-7). */
static uint32_t in(struct fixture *f, unsigned port, unsigned len)
{
	uint8_t b[4] = { 0 };
	int rc;

	if (port >= 0xcfc)
		rc = pci_io_data(f->p, f->h, port - 0xcfc, b, len, false);
	else
		rc = pci_io_addr(f->p, f->h, port - 0xcf8, b, len, false);
	assert_int_equal(rc, 0);
	return le(b, len);
}

static void out(struct fixture *f, unsigned port, uint32_t v, unsigned len)
{
	uint8_t b[4];
	int rc;

	for (unsigned i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	if (port >= 0xcfc)
		rc = pci_io_data(f->p, f->h, port - 0xcfc, b, len, true);
	else
		rc = pci_io_addr(f->p, f->h, port - 0xcf8, b, len, true);
	assert_int_equal(rc, 0);
}

static uint32_t cfg_addr(unsigned bus, unsigned slot, unsigned fn, unsigned reg)
{
	return 0x80000000u | bus << 16 | slot << 11 | fn << 8 | (reg & 0xfc);
}

/* A config read the way Linux's pci_conf1_read does it. */
static uint32_t conf1_read(struct fixture *f, unsigned slot, unsigned reg, unsigned len)
{
	out(f, 0xcf8, cfg_addr(0, slot, 0, reg), 4);
	return in(f, 0xcfc + (reg & 3), len);
}

static void conf1_write(struct fixture *f, unsigned slot, unsigned reg, uint32_t v, unsigned len)
{
	out(f, 0xcf8, cfg_addr(0, slot, 0, reg), 4);
	out(f, 0xcfc + (reg & 3), v, len);
}

static void test_pci_type1_probe_sequence(void **state)
{
	struct fixture *f = *state;
	uint32_t saved;

	/* pci_check_type1: outb(0x01, 0xcfb); tmp = inl(0xcf8); outl(0x80000000, 0xcf8) */
	out(f, 0xcfb, 0x01, 1);
	saved = in(f, 0xcf8, 4);
	assert_int_equal(saved, 0);
	out(f, 0xcf8, 0x80000000u, 4);
	assert_int_equal(in(f, 0xcf8, 4), 0x80000000u);
	/* pci_sanity_check: class word of bus 0 devfn 0 is PCI_CLASS_BRIDGE_HOST */
	assert_int_equal(conf1_read(f, 0, 0x0a, 2), 0x0600);
	out(f, 0xcf8, saved, 4);
	assert_int_equal(in(f, 0xcf8, 4), 0);
}

static void test_pci_narrow_config_address_not_latched(void **state)
{
	struct fixture *f = *state;

	out(f, 0xcf8, 0x80000000u, 4);
	out(f, 0xcf8, 0x1234, 2);
	out(f, 0xcfa, 0x55, 1);
	assert_int_equal(in(f, 0xcf8, 4), 0x80000000u);
	assert_int_equal(in(f, 0xcf8, 1), 0xff);
	assert_int_equal(in(f, 0xcfa, 2), 0xffff);
	assert_int_equal(in(f, 0xcfb, 1), 0xff);
	/* low two bits of CONFIG_ADDRESS are reserved, read 0 */
	out(f, 0xcf8, 0x80000803u, 4);
	assert_int_equal(in(f, 0xcf8, 4), 0x80000800u);
}

static void test_pci_host_bridge_ids(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(conf1_read(f, 0, 0x00, 4), 0x12378086u);
	assert_int_equal(conf1_read(f, 0, 0x08, 4), 0x06000002u);
	assert_int_equal(conf1_read(f, 0, 0x0e, 1), 0x00);
	assert_int_equal(conf1_read(f, 0, 0x3d, 1), 0x00);
}

static void test_pci_absent_reads_all_ones(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(conf1_read(f, 5, 0x00, 4), 0xffffffffu);
	assert_int_equal(conf1_read(f, 31, 0x00, 2), 0xffff);
	assert_int_equal(conf1_read(f, 5, 0x0e, 1), 0xff);
	/* function 1 of a present slot, another bus */
	out(f, 0xcf8, cfg_addr(0, 1, 1, 0), 4);
	assert_int_equal(in(f, 0xcfc, 4), 0xffffffffu);
	out(f, 0xcf8, cfg_addr(1, 0, 0, 0), 4);
	assert_int_equal(in(f, 0xcfc, 4), 0xffffffffu);
	/* enable bit clear: not a configuration cycle */
	out(f, 0xcf8, 0x00000000u, 4);
	assert_int_equal(in(f, 0xcfc, 4), 0xffffffffu);
	/* extended-register bits (24-27) set: nobody answers */
	out(f, 0xcf8, 0x81000000u, 4);
	assert_int_equal(in(f, 0xcfc, 4), 0xffffffffu);
	/* writes to absent functions are dropped without error */
	conf1_write(f, 5, 0x04, 0xffff, 2);
	assert_int_equal(conf1_read(f, 5, 0x04, 2), 0xffff);
}

static void test_pci_function_header(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(conf1_read(f, 1, 0x00, 4), 0x56781234u);
	assert_int_equal(conf1_read(f, 1, 0x08, 4), 0x01800007u);
	assert_int_equal(conf1_read(f, 1, 0x2c, 4), 0x00021af4u);
	assert_int_equal(conf1_read(f, 1, 0x10, 4), 0xc001u);
	assert_int_equal(conf1_read(f, 1, 0x14, 4), 0xfebf0000u);
	assert_int_equal(conf1_read(f, 1, 0x18, 4), 0);
	assert_int_equal(conf1_read(f, 1, 0x06, 2), 0); /* status: no capability list */
	assert_int_equal(conf1_read(f, 1, 0x34, 1), 0);
}

static void test_pci_byte_word_reads_at_offsets(void **state)
{
	struct fixture *f = *state;

	out(f, 0xcf8, cfg_addr(0, 1, 0, 0x00), 4);
	assert_int_equal(in(f, 0xcfc, 1), 0x34);
	assert_int_equal(in(f, 0xcfd, 1), 0x12);
	assert_int_equal(in(f, 0xcfe, 1), 0x78);
	assert_int_equal(in(f, 0xcff, 1), 0x56);
	assert_int_equal(in(f, 0xcfc, 2), 0x1234);
	assert_int_equal(in(f, 0xcfe, 2), 0x5678);
	assert_int_equal(in(f, 0xcfd, 2), 0x7812);
	out(f, 0xcf8, cfg_addr(0, 1, 0, 0x08), 4);
	assert_int_equal(in(f, 0xcfc, 1), 0x07);       /* revision */
	assert_int_equal(in(f, 0xcfd, 1), 0x00);       /* prog-if */
	assert_int_equal(in(f, 0xcfe, 2), 0x0180);     /* class word */
	out(f, 0xcf8, cfg_addr(0, 1, 0, 0x10), 4);
	assert_int_equal(in(f, 0xcfc, 2), 0xc001);
	assert_int_equal(in(f, 0xcfd, 1), 0xc0);
}

static void test_pci_bar_sizing(void **state)
{
	struct fixture *f = *state;

	/* IO BAR, as __pci_read_base does it */
	conf1_write(f, 1, 0x10, 0xffffffffu, 4);
	assert_int_equal(conf1_read(f, 1, 0x10, 4), 0xffffffc1u);
	conf1_write(f, 1, 0x10, 0xc001, 4);
	assert_int_equal(conf1_read(f, 1, 0x10, 4), 0xc001u);
	/* memory BAR */
	conf1_write(f, 1, 0x14, 0xffffffffu, 4);
	assert_int_equal(conf1_read(f, 1, 0x14, 4), 0xfffff000u);
	conf1_write(f, 1, 0x14, 0xfebf0000u, 4);
	assert_int_equal(conf1_read(f, 1, 0x14, 4), 0xfebf0000u);
	/* unimplemented BAR: sizing reads 0 */
	conf1_write(f, 1, 0x18, 0xffffffffu, 4);
	assert_int_equal(conf1_read(f, 1, 0x18, 4), 0);
	/* sizing with byte writes works too */
	for (unsigned i = 0; i < 4; i++)
		conf1_write(f, 1, 0x10 + i, 0xff, 1);
	assert_int_equal(conf1_read(f, 1, 0x10, 4), 0xffffffc1u);
	conf1_write(f, 1, 0x10, 0, 4);
	assert_int_equal(conf1_read(f, 1, 0x10, 4), 0xc001u);
}

static void test_pci_bar_relocation_ignored(void **state)
{
	struct fixture *f = *state;

	conf1_write(f, 1, 0x10, 0xd001, 4);
	assert_int_equal(conf1_read(f, 1, 0x10, 4), 0xc001u);
	conf1_write(f, 1, 0x14, 0xe0000000u, 4);
	assert_int_equal(conf1_read(f, 1, 0x14, 4), 0xfebf0000u);
}

static void test_pci_interrupt_line_and_pin(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(conf1_read(f, 1, 0x3c, 1), 11);
	assert_int_equal(conf1_read(f, 1, 0x3d, 1), 1);
	assert_int_equal(conf1_read(f, 1, 0x3c, 2), 0x010b);
	/* the line register is writable scratch; the pin is not */
	conf1_write(f, 1, 0x3c, 0x0205, 2);
	assert_int_equal(conf1_read(f, 1, 0x3c, 2), 0x0105);
	pci_reset(f->p);
	assert_int_equal(conf1_read(f, 1, 0x3c, 1), 11);
	assert_int_equal(in(f, 0xcf8, 4), 0x8000083cu);
}

static void test_pci_command_register_writable_bits(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(conf1_read(f, 1, 0x04, 2), 0);
	conf1_write(f, 1, 0x04, 0xffff, 2);
	assert_int_equal(conf1_read(f, 1, 0x04, 2), 0x0547);
	conf1_write(f, 1, 0x04, 0x0007, 2);
	assert_int_equal(conf1_read(f, 1, 0x04, 4), 0x00000007u);
	/* ids and class are read-only */
	conf1_write(f, 1, 0x00, 0xdeadbeefu, 4);
	conf1_write(f, 1, 0x08, 0xdeadbeefu, 4);
	assert_int_equal(conf1_read(f, 1, 0x00, 4), 0x56781234u);
	assert_int_equal(conf1_read(f, 1, 0x08, 4), 0x01800007u);
	pci_reset(f->p);
	assert_int_equal(conf1_read(f, 1, 0x04, 2), 0);
}

static void test_pci_add_function_errors(void **state)
{
	struct fixture *f = *state;
	struct pci_function_desc d = test_fn;

	assert_int_equal(pci_add_function(f->p, 0, &d), -EINVAL);
	assert_int_equal(pci_add_function(f->p, 32, &d), -EINVAL);
	assert_int_equal(pci_add_function(f->p, 1, &d), -EBUSY);
	d.bars[0].size = 0x30;
	assert_int_equal(pci_add_function(f->p, 2, &d), -EINVAL);
	d.bars[0].size = 0x40;
	d.bars[0].addr = 0xc020;
	assert_int_equal(pci_add_function(f->p, 2, &d), -EINVAL);
	d.bars[0].addr = 0xc040;
	assert_int_equal(pci_add_function(f->p, 2, &d), 0);
	assert_int_equal(conf1_read(f, 2, 0x10, 4), 0xc041u);
}

static void test_pci_config_api_and_bad_access(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0;
	uint8_t b[4];

	assert_int_equal(pci_config_read(f->p, 1, 0x02, &v, 2), 0);
	assert_int_equal(v, 0x5678);
	assert_int_equal(pci_config_read(f->p, 1, 0x03, &v, 2), -EINVAL);
	assert_int_equal(pci_config_read(f->p, 1, 0xfe, &v, 4), -EINVAL);
	assert_int_equal(pci_config_read(f->p, 1, 0x00, &v, 3), -EINVAL);
	assert_int_equal(pci_config_write(f->p, 1, 0x3c, 9, 1), 0);
	assert_int_equal(pci_config_read(f->p, 1, 0x3c, &v, 1), 0);
	assert_int_equal(v, 9);
	/* a data access that runs past 0xcff */
	out(f, 0xcf8, cfg_addr(0, 1, 0, 0), 4);
	assert_int_equal(pci_io_data(f->p, f->h, 2, b, 4, false), -EINVAL);
	assert_int_equal(le(b, 4), 0xffffffffu);
}

static void test_pci_virtio_blk_function(void **state)
{
	struct fixture *f = *state;
	struct virtio_blk *vb = virtio_blk_create("vblk0", 0, 2048, 11);
	struct pci_function_desc d;

	assert_non_null(vb);
	virtio_blk_pci_desc(vb, 0xc040, &d);
	assert_int_equal(pci_add_function(f->p, 3, &d), 0);
	assert_int_equal(conf1_read(f, 3, 0x00, 4), 0x10011af4u);
	assert_int_equal(conf1_read(f, 3, 0x08, 4), 0x01800000u);
	assert_int_equal(conf1_read(f, 3, 0x2c, 4), 0x00021af4u);
	assert_int_equal(conf1_read(f, 3, 0x10, 4), 0xc041u);
	conf1_write(f, 3, 0x10, 0xffffffffu, 4);
	assert_int_equal(conf1_read(f, 3, 0x10, 4), 0xffffffc1u);
	assert_int_equal(conf1_read(f, 3, 0x3c, 2), 0x010b);
	virtio_blk_destroy(vb);
}

static void test_pci_regnames(void **state)
{
	(void)state;
	assert_string_equal(pci_regname_addr(0, true), "config_address");
	assert_string_equal(pci_regname_data(3, false), "config_data");
}

static void test_pci_no_host_calls(void **state)
{
	struct fixture *f = *state;

	conf1_read(f, 1, 0, 4);
	conf1_write(f, 1, 0x10, 0xffffffffu, 4);
	assert_int_equal(fakehost_nirqs(f->fh), 0);
	assert_int_equal(fakehost_ndma(f->fh), 0);
	assert_int_equal(fakehost_nreqs(f->fh), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pci_type1_probe_sequence),
		T(test_pci_narrow_config_address_not_latched),
		T(test_pci_host_bridge_ids),
		T(test_pci_absent_reads_all_ones),
		T(test_pci_function_header),
		T(test_pci_byte_word_reads_at_offsets),
		T(test_pci_bar_sizing),
		T(test_pci_bar_relocation_ignored),
		T(test_pci_interrupt_line_and_pin),
		T(test_pci_command_register_writable_bits),
		T(test_pci_add_function_errors),
		T(test_pci_config_api_and_bad_access),
		T(test_pci_virtio_blk_function),
		T(test_pci_regnames),
		T(test_pci_no_host_calls),
	};

	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
