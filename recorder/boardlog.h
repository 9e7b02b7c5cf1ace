/*
 * boardlog.h - write the board description (devices, regions, registers,
 * disks) into a recording, so the replayer and the analyzer know what the
 * recorder ran.
 */
#ifndef EXITLOG_BOARDLOG_H
#define EXITLOG_BOARDLOG_H

#include "backends/blkraw.h"
#include "devices/board.h"
#include "store/store.h"

/*
 * Insert one row per device, bus region, named register and disk (with
 * `initial_sha256[i]` for disk i).  Synchronous; call before the run.
 * Returns 0 or -EIO.
 */
int boardlog_write(struct store *st, const struct board *b,
		   const struct board_config *cfg, const char *const *paths,
		   char (*initial_sha256)[65]);

#endif
