/*
 * embedded.c - look up files compiled into the binary (see embedded.h).
 */
#include <string.h>

#include "store/embedded.h"

const char *embedded_get(const char *path)
{
	for (const struct embedded_file *f = embedded_files; f->path; f++)
		if (strcmp(f->path, path) == 0)
			return f->text;
	return NULL;
}
