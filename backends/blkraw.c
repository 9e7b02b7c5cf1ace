/*
 * blkraw.c - raw-image block backend (see blkraw.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "backends/blkraw.h"
#include "devices/hostif.h"

int blkraw_open(struct blkraw *d, const char *path, bool writable,
		char *err, size_t errlen)
{
	struct stat st;
	uint64_t size = 0;
	int fd, rc;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
	} else {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: not a regular file or block device", path);
		goto fail;
	}
	if (size == 0 || size % SECTOR_SIZE) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: size %llu is not a non-zero multiple of 512 bytes",
			 path, (unsigned long long)size);
		goto fail;
	}
	d->fd = fd;
	d->sectors = size / SECTOR_SIZE;
	d->path = path;
	return 0;
fail:
	close(fd);
	return rc;
}

static int blkraw_check(const struct blkraw *d, uint64_t sector, uint32_t n)
{
	if (d->fd < 0)
		return -EBADF;
	if (sector > d->sectors || n > d->sectors - sector)
		return -EINVAL;
	return 0;
}

int blkraw_read(struct blkraw *d, uint64_t sector, uint32_t n, void *buf)
{
	size_t len = (size_t)n * SECTOR_SIZE, done = 0;
	off_t off = (off_t)(sector * SECTOR_SIZE);
	int rc = blkraw_check(d, sector, n);

	if (rc)
		return rc;
	while (done < len) {
		ssize_t r = pread(d->fd, (char *)buf + done, len - done, off + (off_t)done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO; /* the file shrank under us */
		done += (size_t)r;
	}
	return 0;
}

int blkraw_write(struct blkraw *d, uint64_t sector, uint32_t n, const void *buf)
{
	size_t len = (size_t)n * SECTOR_SIZE, done = 0;
	off_t off = (off_t)(sector * SECTOR_SIZE);
	int rc = blkraw_check(d, sector, n);

	if (rc)
		return rc;
	while (done < len) {
		ssize_t r = pwrite(d->fd, (const char *)buf + done, len - done, off + (off_t)done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)r;
	}
	return 0;
}

int blkraw_flush(struct blkraw *d)
{
	if (d->fd < 0)
		return -EBADF;
	return fdatasync(d->fd) < 0 ? -errno : 0;
}

void blkraw_close(struct blkraw *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}
