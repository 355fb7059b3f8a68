/* libevote — store internals shared by the backends (not installed). */
#ifndef EVOTE_STORE_INTERNAL_H
#define EVOTE_STORE_INTERNAL_H

#include "evote/store.h"

/* New frontier after appending leaf_hash as leaf number count_before
 * (MERKLE HOOK, see lib/store.c). *out is malloc'd or NULL. */
evote_err_t evote_store_frontier_append(const uint8_t *in, size_t in_len,
                                        const uint8_t leaf_hash[EVOTE_HASH_LEN],
                                        uint64_t count_before, uint8_t **out,
                                        size_t *out_len);

#endif
