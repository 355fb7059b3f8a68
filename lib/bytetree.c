/* libevote — Verificatum byte trees and ciphertext lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "evote/bytetree.h"
#include "internal.h"

#define BT_MAX_DEPTH 32

evote_err_t evote_bt_read_node(evote_bt_reader_t *r, uint32_t *nchildren) {
    if (r == NULL || nchildren == NULL)
        return evote_fail(EVOTE_ERR_ARG, "byte tree: bad argument");
    if (r->left < 5)
        return evote_fail(EVOTE_ERR_BYTETREE, "byte tree: truncated node header");
    if (r->p[0] != 0x00)
        return evote_fail(EVOTE_ERR_BYTETREE, "byte tree: expected node, found tag 0x%02x",
                          r->p[0]);
    uint32_t n = evote_get_u32be(r->p + 1);
    /* Every child takes at least 5 bytes: a cheap bound against huge counts. */
    if ((uint64_t)n * 5 > r->left - 5)
        return evote_fail(EVOTE_ERR_BYTETREE,
                          "byte tree: node claims %u children, too many for %zu bytes",
                          n, r->left - 5);
    r->p += 5;
    r->left -= 5;
    *nchildren = n;
    return EVOTE_OK;
}

evote_err_t evote_bt_read_leaf(evote_bt_reader_t *r, const uint8_t **data,
                               uint32_t *len) {
    if (r == NULL || data == NULL || len == NULL)
        return evote_fail(EVOTE_ERR_ARG, "byte tree: bad argument");
    if (r->left < 5)
        return evote_fail(EVOTE_ERR_BYTETREE, "byte tree: truncated leaf header");
    if (r->p[0] != 0x01)
        return evote_fail(EVOTE_ERR_BYTETREE, "byte tree: expected leaf, found tag 0x%02x",
                          r->p[0]);
    uint32_t n = evote_get_u32be(r->p + 1);
    if (n > r->left - 5)
        return evote_fail(EVOTE_ERR_BYTETREE,
                          "byte tree: leaf of %u bytes, only %zu left", n, r->left - 5);
    *data = r->p + 5;
    *len = n;
    r->p += 5 + (size_t)n;
    r->left -= 5 + (size_t)n;
    return EVOTE_OK;
}

evote_err_t evote_bt_read_leaf_fixed(evote_bt_reader_t *r, uint8_t *out,
                                     uint32_t len) {
    const uint8_t *d;
    uint32_t n;
    evote_err_t ret = evote_bt_read_leaf(r, &d, &n);
    if (ret != EVOTE_OK)
        return ret;
    if (n != len)
        return evote_fail(EVOTE_ERR_BYTETREE, "byte tree: leaf of %u bytes, expected %u",
                          n, len);
    memcpy(out, d, len);
    return EVOTE_OK;
}

static evote_err_t skip_depth(evote_bt_reader_t *r, int depth) {
    if (depth > BT_MAX_DEPTH)
        return evote_fail(EVOTE_ERR_BYTETREE, "byte tree: nested deeper than %d",
                          BT_MAX_DEPTH);
    if (r->left >= 1 && r->p[0] == 0x01) {
        const uint8_t *d;
        uint32_t n;
        return evote_bt_read_leaf(r, &d, &n);
    }
    uint32_t n;
    evote_err_t ret = evote_bt_read_node(r, &n);
    for (uint32_t i = 0; ret == EVOTE_OK && i < n; i++)
        ret = skip_depth(r, depth + 1);
    return ret;
}

evote_err_t evote_bt_skip(evote_bt_reader_t *r) {
    if (r == NULL)
        return evote_fail(EVOTE_ERR_ARG, "byte tree: bad argument");
    return skip_depth(r, 0);
}

evote_err_t evote_bt_read_end(const evote_bt_reader_t *r) {
    if (r == NULL)
        return evote_fail(EVOTE_ERR_ARG, "byte tree: bad argument");
    if (r->left != 0)
        return evote_fail(EVOTE_ERR_BYTETREE, "byte tree: %zu trailing bytes", r->left);
    return EVOTE_OK;
}

/* (x, y) as 33-byte big-endian coordinates → validated compressed point. */
static evote_err_t point_from_xy(uint8_t out[EVOTE_POINT_LEN], const uint8_t x[33],
                                 const uint8_t y[33], BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *pt = NULL;
    BIGNUM *bx = NULL, *by = NULL;
    static const uint8_t ff[33] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

    ENSURE(g != NULL, EVOTE_ERR_CRYPTO, "no P-256 group");
    ENSURE(!(memcmp(x, ff, 33) == 0 && memcmp(y, ff, 33) == 0),
           EVOTE_ERR_POINT_INFINITY, "byte tree: point at infinity");
    ENSURE(x[0] == 0 && y[0] == 0, EVOTE_ERR_POINT_INVALID,
           "byte tree: coordinate does not fit 32 bytes");
    ALLOC_GUARD(bx = BN_bin2bn(x, 33, NULL));
    ALLOC_GUARD(by = BN_bin2bn(y, 33, NULL));
    ALLOC_GUARD(pt = EC_POINT_new(g));
    if (EC_POINT_set_affine_coordinates(g, pt, bx, by, bn) != 1) {
        ERR_clear_error();
        ret = evote_fail(EVOTE_ERR_POINT_NOT_ON_CURVE, "byte tree: point not on P-256");
        goto out;
    }
    /* set_affine_coordinates reduces nothing: coordinates ≥ p fail the
     * curve check only by luck, so refuse them explicitly via round trip. */
    GUARD(evote_ec_encode(out, pt, bn));
    ENSURE(memcmp(out + 1, x + 1, 32) == 0 && (out[0] & 1) == (y[32] & 1),
           EVOTE_ERR_POINT_INVALID, "byte tree: non-canonical coordinates");
out:
    BN_free(bx);
    BN_free(by);
    EC_POINT_free(pt);
    return ret;
}

evote_err_t evote_bt_read_point(evote_bt_reader_t *r, uint8_t out[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint32_t n;
    uint8_t x[33], y[33];
    GUARD(evote_bt_read_node(r, &n));
    ENSURE(n == 2, EVOTE_ERR_BYTETREE, "byte tree: point node has %u children", n);
    GUARD(evote_bt_read_leaf_fixed(r, x, 33));
    GUARD(evote_bt_read_leaf_fixed(r, y, 33));
    GUARD(point_from_xy(out, x, y, NULL));
out:
    return ret;
}

void evote_buf_free(evote_buf_t *b) {
    if (b == NULL)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

evote_err_t evote_buf_append(evote_buf_t *b, const void *data, size_t len) {
    if (b == NULL || (data == NULL && len > 0))
        return evote_fail(EVOTE_ERR_ARG, "buffer: bad argument");
    if (len > SIZE_MAX / 2 - b->len)
        return evote_fail(EVOTE_ERR_TOO_LARGE, "buffer would overflow");
    if (b->len + len > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap < b->len + len)
            ncap *= 2;
        uint8_t *nd = realloc(b->data, ncap);
        if (nd == NULL)
            return evote_fail(EVOTE_ERR_NOMEM, "out of memory");
        b->data = nd;
        b->cap = ncap;
    }
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    return EVOTE_OK;
}

evote_err_t evote_bt_put_node(evote_buf_t *b, uint32_t n) {
    uint8_t h[5] = {0x00};
    evote_put_u32be(h + 1, n);
    return evote_buf_append(b, h, 5);
}

evote_err_t evote_bt_put_leaf(evote_buf_t *b, const void *data, uint32_t len) {
    uint8_t h[5] = {0x01};
    evote_put_u32be(h + 1, len);
    evote_err_t ret = evote_buf_append(b, h, 5);
    return ret != EVOTE_OK ? ret : evote_buf_append(b, data, len);
}

evote_err_t evote_bt_put_point(evote_buf_t *b, const uint8_t p[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    EC_POINT *pt = NULL;
    BIGNUM *x = NULL, *y = NULL;
    uint8_t xb[33], yb[33];
    const EC_GROUP *g = evote_ec_group();

    ALLOC_GUARD(pt = EC_POINT_new(g));
    ALLOC_GUARD(x = BN_new());
    ALLOC_GUARD(y = BN_new());
    GUARD(evote_ec_decode(pt, p, NULL));
    OSSL_GUARD(EC_POINT_get_affine_coordinates(g, pt, x, y, NULL));
    ENSURE(BN_bn2binpad(x, xb, 33) == 33 && BN_bn2binpad(y, yb, 33) == 33,
           EVOTE_ERR_CRYPTO, "coordinate encoding");
    GUARD(evote_bt_put_node(b, 2));
    GUARD(evote_bt_put_leaf(b, xb, 33));
    GUARD(evote_bt_put_leaf(b, yb, 33));
out:
    EC_POINT_free(pt);
    BN_free(x);
    BN_free(y);
    return ret;
}

evote_err_t evote_ctlist_parse(const uint8_t *data, size_t len, evote_ct_t **out,
                               size_t *n) {
    evote_err_t ret = EVOTE_OK;
    evote_bt_reader_t r;
    evote_ct_t *cts = NULL;
    uint32_t top, na, nb;
    BN_CTX *bn = NULL;

    ENSURE(data != NULL && out != NULL && n != NULL, EVOTE_ERR_ARG,
           "ciphertext list: bad argument");
    *out = NULL;
    *n = 0;
    ALLOC_GUARD(bn = BN_CTX_new());
    evote_bt_reader_init(&r, data, len);
    GUARD(evote_bt_read_node(&r, &top));
    ENSURE(top == 2, EVOTE_ERR_BYTETREE,
           "ciphertext list: top node has %u children, expected 2", top);
    GUARD(evote_bt_read_node(&r, &na));
    ENSURE(na >= 1 && na <= EVOTE_CTLIST_MAX, EVOTE_ERR_BYTETREE,
           "ciphertext list: %u ciphertexts is out of range", na);
    ALLOC_GUARD(cts = calloc(na, sizeof(*cts)));
    for (uint32_t i = 0; i < na; i++) {
        ret = evote_bt_read_point(&r, cts[i].c1);
        if (ret != EVOTE_OK) {
            ret = evote_fail(ret, "ciphertext list: first component %u: %s", i,
                             evote_strerror(ret));
            goto out;
        }
    }
    GUARD(evote_bt_read_node(&r, &nb));
    ENSURE(nb == na, EVOTE_ERR_BYTETREE,
           "ciphertext list: %u first components but %u second", na, nb);
    for (uint32_t i = 0; i < nb; i++) {
        ret = evote_bt_read_point(&r, cts[i].c2);
        if (ret != EVOTE_OK) {
            ret = evote_fail(ret, "ciphertext list: second component %u: %s", i,
                             evote_strerror(ret));
            goto out;
        }
    }
    GUARD(evote_bt_read_end(&r));
    *out = cts;
    *n = na;
    cts = NULL;
out:
    free(cts);
    BN_CTX_free(bn);
    return ret;
}

evote_err_t evote_ctlist_read(const char *path, evote_ct_t **out, size_t *n) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    GUARD(evote_read_file(path, (size_t)EVOTE_CTLIST_MAX * 200, &data, &len));
    ret = evote_ctlist_parse(data, len, out, n);
    if (ret != EVOTE_OK) {
        char detail[512];
        snprintf(detail, sizeof(detail), "%s", evote_err_detail());
        ret = evote_fail(ret, "%s: %s", path, detail);
    }
out:
    free(data);
    return ret;
}

evote_err_t evote_ctlist_serialize(const evote_ct_t *cts, size_t n, evote_buf_t *out) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(cts != NULL && out != NULL && n >= 1 && n <= EVOTE_CTLIST_MAX,
           EVOTE_ERR_ARG, "ciphertext list: bad argument");
    GUARD(evote_bt_put_node(out, 2));
    GUARD(evote_bt_put_node(out, (uint32_t)n));
    for (size_t i = 0; i < n; i++)
        GUARD(evote_bt_put_point(out, cts[i].c1));
    GUARD(evote_bt_put_node(out, (uint32_t)n));
    for (size_t i = 0; i < n; i++)
        GUARD(evote_bt_put_point(out, cts[i].c2));
out:
    return ret;
}

evote_err_t evote_ctlist_write(const char *path, const evote_ct_t *cts, size_t n) {
    evote_err_t ret = EVOTE_OK;
    evote_buf_t b = {0};
    GUARD(evote_ctlist_serialize(cts, n, &b));
    GUARD(evote_write_file_atomic(path, b.data, b.len, false, false));
out:
    evote_buf_free(&b);
    return ret;
}
