/*
 * test_vmlinux.c - placing an uncompressed ELF kernel (recorder/vmlinux.c):
 * PT_LOAD segments land at their p_paddr with the tail up to p_memsz zeroed,
 * other program headers are skipped, the entry and end are reported; a
 * foreign file, a segment outside the file, below the boot area or past the
 * end of RAM, and an entry outside the kernel are refused with a message
 * and nothing written to RAM.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "recorder/vmlinux.h"

#define RAM      (4u << 20)
#define MIN_ADDR 0x100000u
#define IMG_SIZE 0x3000u

struct img {
	uint8_t b[IMG_SIZE];
};

/* A two-segment kernel: 0x200 bytes of 0xaa at 1 MiB (memsz 0x1000: a bss
 * tail), 0x100 bytes of 0xbb at 2 MiB, and a PT_NOTE between them. */
static void img_make(struct img *m)
{
	Elf64_Ehdr eh = {
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_entry = 0x100000, .e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 3,
	};
	Elf64_Phdr ph[3] = {
		{ .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = 0x100000, .p_vaddr = 0xffffffff81000000,
		  .p_filesz = 0x200, .p_memsz = 0x1000 },
		{ .p_type = PT_NOTE, .p_offset = 0x1200, .p_paddr = 0x1000, .p_filesz = 0x10, .p_memsz = 0x10 },
		{ .p_type = PT_LOAD, .p_offset = 0x2000, .p_paddr = 0x200000, .p_vaddr = 0,
		  .p_filesz = 0x100, .p_memsz = 0x100 },
	};

	memset(m, 0, sizeof(*m));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(m->b, &eh, sizeof(eh));
	memcpy(m->b + sizeof(eh), ph, sizeof(ph));
	memset(m->b + 0x1000, 0xaa, 0x200);
	memset(m->b + 0x1200, 0xcc, 0x10);
	memset(m->b + 0x2000, 0xbb, 0x100);
}

static Elf64_Phdr *img_ph(struct img *m, int i)
{
	return (Elf64_Phdr *)(m->b + sizeof(Elf64_Ehdr) + (size_t)i * sizeof(Elf64_Phdr));
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* Run vmlinux_place on a RAM filled with 0x5a; returns its result. */
static int place(struct img *m, uint8_t *ram, uint64_t *entry, uint64_t *end, char *err)
{
	memset(ram, 0x5a, RAM);
	return vmlinux_place(ram, RAM, m->b, sizeof(m->b), MIN_ADDR, entry, end, err, 200);
}

static void test_vmlinux_places_segments(void **state)
{
	struct img m;
	uint8_t *ram = malloc(RAM);
	uint64_t entry = 0, end = 0;
	char err[200] = "";

	(void)state;
	img_make(&m);
	assert_true(vmlinux_is_elf(m.b, sizeof(m.b)));
	assert_int_equal(place(&m, ram, &entry, &end, err), 0);
	assert_int_equal(entry, 0x100000);
	assert_int_equal(end, 0x200100);
	assert_true(all_bytes(ram + 0x100000, 0x200, 0xaa));
	assert_true(all_bytes(ram + 0x100200, 0xe00, 0));      /* memsz tail zeroed */
	assert_true(all_bytes(ram + 0x101000, 0x100, 0x5a));   /* beyond it untouched */
	assert_true(all_bytes(ram + 0x200000, 0x100, 0xbb));
	assert_true(all_bytes(ram + 0x1000, 0x10, 0x5a));      /* the PT_NOTE is not loaded */
	free(ram);
}

/* Each bad header: the error, a message, and RAM left as it was. */
static void expect_refused(struct img *m, int want, const char *msg)
{
	uint8_t *ram = malloc(RAM);
	uint64_t entry = 0, end = 0;
	char err[200] = "";

	assert_int_equal(place(m, ram, &entry, &end, err), want);
	assert_non_null(strstr(err, msg));
	assert_true(all_bytes(ram, RAM, 0x5a));
	free(ram);
}

static void test_vmlinux_refuses_foreign_files(void **state)
{
	struct img m;

	(void)state;
	img_make(&m);
	m.b[EI_CLASS] = ELFCLASS32;
	assert_false(vmlinux_is_elf(m.b, sizeof(m.b)));
	expect_refused(&m, -ENOEXEC, "not an x86-64");
	img_make(&m);
	memcpy(m.b + 0x202, "HdrS", 4);
	m.b[0] = 'M';
	expect_refused(&m, -ENOEXEC, "not an x86-64");
	img_make(&m);
	((Elf64_Ehdr *)m.b)->e_type = ET_DYN;
	expect_refused(&m, -ENOEXEC, "not an executable");
	img_make(&m);
	((Elf64_Ehdr *)m.b)->e_phnum = 0xff00;  /* table past the file's end */
	expect_refused(&m, -ENOEXEC, "program header table");
}

static void test_vmlinux_refuses_bad_segments(void **state)
{
	struct img m;

	(void)state;
	img_make(&m);
	img_ph(&m, 2)->p_filesz = 0x2000;        /* beyond the file */
	img_ph(&m, 2)->p_memsz = 0x2000;
	expect_refused(&m, -ENOEXEC, "outside the file");
	img_make(&m);
	img_ph(&m, 0)->p_filesz = 0x2000;        /* filesz > memsz */
	expect_refused(&m, -ENOEXEC, "outside the file");
	img_make(&m);
	img_ph(&m, 2)->p_paddr = 0x7000;         /* over the zero page */
	expect_refused(&m, -ENOEXEC, "boot area");
	img_make(&m);
	img_ph(&m, 2)->p_paddr = RAM - 0x80;     /* runs past RAM */
	expect_refused(&m, -E2BIG, "past the end of guest RAM");
	img_make(&m);
	img_ph(&m, 2)->p_paddr = UINT64_MAX - 0x10; /* wraps */
	expect_refused(&m, -E2BIG, "past the end of guest RAM");
	img_make(&m);
	((Elf64_Ehdr *)m.b)->e_entry = 0x300000;  /* entry outside the segments */
	expect_refused(&m, -ENOEXEC, "entry point");
	img_make(&m);
	img_ph(&m, 0)->p_type = PT_NOTE;
	img_ph(&m, 2)->p_type = PT_NOTE;
	expect_refused(&m, -ENOEXEC, "no PT_LOAD");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmlinux_places_segments),
		cmocka_unit_test(test_vmlinux_refuses_foreign_files),
		cmocka_unit_test(test_vmlinux_refuses_bad_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
