/*
 * loader.c - read a guest image, tell its kind, load a flat binary
 * (see loader.h).  The bzImage path lives in bzimage.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recorder/loader.h"
#include "recorder/vmlinux.h"

#define MAX_GUEST_SIZE (256u << 20)

int loader_read(const char *path, struct guest_image *g, char *err, size_t errlen)
{
	struct stat st;
	size_t done = 0;
	int fd, rc;

	memset(g, 0, sizeof(*g));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > MAX_GUEST_SIZE) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: guest image size %lld is out of range (1 byte .. 256 MiB)",
			 path, (long long)st.st_size);
		goto out;
	}
	g->size = (size_t)st.st_size;
	g->data = malloc(g->size);
	if (!g->data) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (done < g->size) {
		ssize_t n = read(fd, g->data + done, g->size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			snprintf(err, errlen, "%s: read failed", path);
			loader_free(g);
			goto out;
		}
		done += (size_t)n;
	}
	if (vmlinux_is_elf(g->data, g->size))
		g->kind = GUEST_VMLINUX;
	else if (g->size > 0x206 && !memcmp(g->data + 0x202, "HdrS", 4))
		g->kind = GUEST_BZIMAGE;
	else
		g->kind = GUEST_FLAT;
	rc = 0;
out:
	close(fd);
	return rc;
}

void loader_free(struct guest_image *g)
{
	free(g->data);
	g->data = NULL;
	g->size = 0;
}

int loader_load_flat(struct vm *vm, const struct guest_image *g, char *err, size_t errlen)
{
	int rc;

	/* Real mode reaches 1 MiB + 64 KiB; keep the image inside RAM and below that. */
	if (g->size > 0x100000 - FLAT_LOAD_ADDR || FLAT_LOAD_ADDR + g->size > vm->ram_size) {
		snprintf(err, errlen, "flat guest of %zu bytes does not fit between 0x7c00 and 1 MiB",
			 g->size);
		return -E2BIG;
	}
	memcpy(vm->ram + FLAT_LOAD_ADDR, g->data, g->size);
	rc = vm_setup_realmode(vm, FLAT_LOAD_ADDR, FLAT_LOAD_ADDR);
	if (rc)
		snprintf(err, errlen, "setting up real mode: %s", strerror(-rc));
	return rc;
}
