/* evote CLI — file helpers for the reception subcommands (ballot sign,
 * receive, roll import): the library's own helpers are not exported. */
#ifndef EVOTE_CLI_RIO_H
#define EVOTE_CLI_RIO_H

#include <stddef.h>
#include <stdint.h>

#include "evote/common.h"

/* Whole file (at most max bytes) into a malloc'd buffer ("-" = stdin). */
evote_err_t rio_read_file(const char *path, size_t max, uint8_t **out, size_t *len);
/* Write to path.tmp, fsync, rename: no partial output on failure. */
evote_err_t rio_write_atomic(const char *path, const void *data, size_t len);

#endif
