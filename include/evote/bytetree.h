/*
 * libevote — Verificatum byte trees (VERIFICATUM.md, docs/PROTOCOL.md
 * "Byte trees") and ciphertext lists in that format.
 *
 *   node = 0x00 ‖ u32be(number of children) ‖ children
 *   leaf = 0x01 ‖ u32be(length) ‖ bytes
 *   P-256 point = node(leaf x[33], leaf y[33]), 33-byte big-endian coords
 *   ciphertext list = node(node(a_1..a_N), node(b_1..b_N))
 *
 * The reader is a cursor over a caller-owned buffer: no allocation, every
 * length checked against what is left. Not thread-safe per object.
 */
#ifndef EVOTE_BYTETREE_H
#define EVOTE_BYTETREE_H

#include "ballot.h"
#include "common.h"
#include "group.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EVOTE_BT_COORD_LEN 33

typedef struct {
    const uint8_t *p;
    size_t left;
} evote_bt_reader_t;

static inline void evote_bt_reader_init(evote_bt_reader_t *r, const uint8_t *p,
                                        size_t len) {
    r->p = p;
    r->left = len;
}

/* Read a node header; *nchildren receives its child count. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_bt_read_node(evote_bt_reader_t *r, uint32_t *nchildren);
/* Read a leaf; *data borrows from the buffer. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_bt_read_leaf(evote_bt_reader_t *r, const uint8_t **data, uint32_t *len);
/* Read a leaf that must be exactly len bytes long, copying it to out. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_bt_read_leaf_fixed(evote_bt_reader_t *r, uint8_t *out, uint32_t len);
/* Skip one whole subtree (depth-limited). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t evote_bt_skip(evote_bt_reader_t *r);
/* Read a P-256 point node(x, y): on the curve, not infinity; out compressed. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_bt_read_point(evote_bt_reader_t *r, uint8_t out[EVOTE_POINT_LEN]);
/* EVOTE_OK if nothing is left, EVOTE_ERR_BYTETREE (trailing bytes) otherwise. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t evote_bt_read_end(const evote_bt_reader_t *r);

/* Growable output buffer. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
} evote_buf_t;

EVOTE_API void evote_buf_free(evote_buf_t *b); /* frees data, leaves {0} */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_buf_append(evote_buf_t *b, const void *data, size_t len);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t evote_bt_put_node(evote_buf_t *b, uint32_t n);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_bt_put_leaf(evote_buf_t *b, const void *data, uint32_t len);
/* Write a P-256 point (33-byte compressed in) as node(leaf x, leaf y). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_bt_put_point(evote_buf_t *b, const uint8_t p[EVOTE_POINT_LEN]);

/* Ciphertext lists (width 1). Counts up to EVOTE_CTLIST_MAX. */
#define EVOTE_CTLIST_MAX 100000000u
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_ctlist_parse(const uint8_t *data, size_t len, evote_ct_t **out, size_t *n);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_ctlist_read(const char *path, evote_ct_t **out, size_t *n);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_ctlist_serialize(const evote_ct_t *cts, size_t n, evote_buf_t *out);
/* Atomic write (temporary file + rename). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_ctlist_write(const char *path, const evote_ct_t *cts, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_BYTETREE_H */
