/*
 * loader.h - guest image loaders: a flat real-mode binary at 0x7c00, or a
 * Linux bzImage (x86 boot protocol, recognised by "HdrS" at 0x202).
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
};

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
