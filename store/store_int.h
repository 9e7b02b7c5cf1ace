/*
 * store_int.h - what the files of store/ share and nothing outside store/
 * may use: the writer's SQLite connection.
 */
#ifndef EXITLOG_STORE_INT_H
#define EXITLOG_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

/*
 * The writer's connection (opened SQLITE_OPEN_NOMUTEX: the writer thread
 * owns it while a run is logged).  Only for synchronous work before the
 * first store_put_*() or after store_flush(), like store_exec().
 */
sqlite3 *store_db(struct store *s);

#endif
