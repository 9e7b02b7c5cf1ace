/*
 * embedded.h - files compiled into the binary by scripts/embed.sh:
 * schema/exitlog.sql and the named queries in schema/queries/.
 */
#ifndef EXITLOG_EMBEDDED_H
#define EXITLOG_EMBEDDED_H

struct embedded_file {
	const char *path; /* as given to embed.sh, e.g. "schema/exitlog.sql" */
	const char *text;
};

/* Terminated by an entry with path == NULL. */
extern const struct embedded_file embedded_files[];

/* The text of the embedded file `path`, or NULL. */
const char *embedded_get(const char *path);

#endif
