/*
 * Fuzz the byte-tree reader: walk the input as a generic tree with
 * read_node/read_leaf (depth-limited here), compare with evote_bt_skip,
 * and try the typed readers (point, fixed leaf) at the start. Every read
 * must stay inside the buffer and consume exactly what it reports.
 */
#include <string.h>

#include "fuzz_common.h"

/* Returns 1 if one whole subtree was read, 0 on a reader error. */
static int walk(evote_bt_reader_t *r, int depth, evote_buf_t *copy) {
    if (depth > 40)
        return 0;
    evote_bt_reader_t save = *r;
    uint32_t n;
    if (evote_bt_read_node(r, &n) == EVOTE_OK) {
        FUZZ_CHECK(r->left + 5 == save.left && r->p == save.p + 5);
        if (evote_bt_put_node(copy, n) != EVOTE_OK)
            return 0;
        for (uint32_t i = 0; i < n; i++)
            if (!walk(r, depth + 1, copy))
                return 0;
        return 1;
    }
    FUZZ_CHECK(r->p == save.p && r->left == save.left);
    const uint8_t *d;
    uint32_t len;
    if (evote_bt_read_leaf(r, &d, &len) == EVOTE_OK) {
        FUZZ_CHECK(d == save.p + 5 && r->left + 5 + len == save.left);
        return evote_bt_put_leaf(copy, d, len) == EVOTE_OK;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    evote_bt_reader_t r, s;
    evote_buf_t copy = {0};

    evote_bt_reader_init(&r, data, size);
    evote_bt_reader_init(&s, data, size);
    int ok = walk(&r, 0, &copy);
    evote_err_t e = evote_bt_skip(&s);
    if (ok && e == EVOTE_OK) {
        /* Both consumed the same subtree, and rewriting it gives the bytes. */
        FUZZ_CHECK(r.p == s.p && r.left == s.left);
        FUZZ_CHECK(copy.len == size - r.left && memcmp(copy.data, data, copy.len) == 0);
        FUZZ_CHECK((evote_bt_read_end(&r) == EVOTE_OK) == (r.left == 0));
    }
    /* skip is depth-limited (32) and walk allows more; otherwise agree. */
    if (e == EVOTE_OK)
        FUZZ_CHECK(ok);
    evote_buf_free(&copy);

    uint8_t pt[EVOTE_POINT_LEN];
    evote_bt_reader_init(&r, data, size);
    if (evote_bt_read_point(&r, pt) == EVOTE_OK) {
        FUZZ_CHECK(evote_point_check(pt) == EVOTE_OK);
        evote_buf_t b = {0};
        FUZZ_CHECK(evote_bt_put_point(&b, pt) == EVOTE_OK);
        FUZZ_CHECK(b.len == size - r.left && memcmp(b.data, data, b.len) == 0);
        evote_buf_free(&b);
    }
    uint8_t fixed[64];
    evote_bt_reader_init(&r, data, size);
    FUZZ_IGNORE(evote_bt_read_leaf_fixed(&r, fixed, size ? data[0] % 65 : 0));
    return 0;
}
