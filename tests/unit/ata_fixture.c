/*
 * ata_fixture.c - setup/teardown of the ATA unit-test fixture (ata_fixture.h).
 * Linked into every unit-test program: defines no main and only ata_fixture_*
 * symbols.
 */
#include "tests/unit/ata_fixture.h"

int ata_fixture_setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	f->fh = fakehost_create(DISK_SECTORS, 0);
	f->a = ata_create("ata0", 0, DISK_SECTORS, IRQ);
	assert_non_null(f->fh);
	assert_non_null(f->a);
	f->h = fakehost_host(f->fh);
	fakehost_disk_pattern(f->fh, 0);
	*state = f;
	return 0;
}

int ata_fixture_teardown(void **state)
{
	struct fixture *f = *state;

	ata_destroy(f->a);
	fakehost_destroy(f->fh);
	test_free(f);
	return 0;
}
