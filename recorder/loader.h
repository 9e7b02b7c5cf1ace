/*
 * loader.h - guest image loaders: a flat real-mode binary at 0x7c00, a
 * Linux bzImage (x86 boot protocol, recognised by "HdrS" at 0x202) or an
 * uncompressed Linux vmlinux (an x86-64 ELF executable; vmlinux.h).
 */
#ifndef EXITLOG_LOADER_H
#define EXITLOG_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "recorder/vm.h"

#define FLAT_LOAD_ADDR 0x7c00u

enum guest_kind {
	GUEST_FLAT = 0,
	GUEST_BZIMAGE = 1,
	GUEST_VMLINUX = 2,
};

/* A Linux kernel (bzImage or vmlinux): --initrd, --append, --cpus apply. */
static inline int loader_is_linux(enum guest_kind k)
{
	return k == GUEST_BZIMAGE || k == GUEST_VMLINUX;
}

/* The kind's name in meta.guest_kind: 'flat', 'bzimage' or 'vmlinux'. */
static inline const char *loader_kind_name(enum guest_kind k)
{
	return k == GUEST_BZIMAGE ? "bzimage" : k == GUEST_VMLINUX ? "vmlinux" : "flat";
}

struct guest_image {
	uint8_t *data;
	size_t size;
	enum guest_kind kind;
};

/* Read the whole guest file.  Returns 0 or -errno with one line in err. */
int loader_read(const char *path, struct guest_image *g, char *err, size_t errlen);
void loader_free(struct guest_image *g);

/* Copy a flat binary to 0x7c00 and set the vCPU to real mode at 0000:7c00. */
int loader_load_flat(struct vm *vm, const struct guest_image *g, char *err, size_t errlen);

#endif
