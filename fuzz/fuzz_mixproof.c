/*
 * Fuzz the byte-tree readers the shuffle-proof verifier runs on every file
 * of a mix chain: ciphertext lists (mix_ctl_parse), permutation
 * commitments (mix_points_parse), PoS commitments (mix_commit_parse) and
 * PoS replies (mix_reply_parse). Whatever a reader accepts must serialise
 * back to exactly the input.
 *
 * Input: byte 0 selects the reader (and, for the fixed-width ones, the
 * width n = 1 + byte 1 % 8); the rest is the file.
 */
#include <string.h>

#include "fuzz_common.h"
#include "mix_internal.h"
#include "mix_pos.h"

static void same(const evote_buf_t *b, const uint8_t *d, size_t n) {
    FUZZ_CHECK(b->len == n && memcmp(b->data, d, n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    unsigned mode = data[0] % 4;
    size_t n = 1 + data[1] % 8;
    const uint8_t *d = data + 2;
    size_t len = size - 2;
    mix_out o = {{0}, NULL}; /* buffer only: no file */
    evote_buf_t *b = &o.b;

    switch (mode) {
    case 0: {
        mix_ctl c;
        if (mix_ctl_parse(d, len, &c) == EVOTE_OK) {
            FUZZ_CHECK(c.n >= 1);
            FUZZ_CHECK(mix_ctl_serialize(&c, &o) == EVOTE_OK);
            same(b, d, len);
            mix_ctl_free(&c);
        }
        break;
    }
    case 1: {
        mix_pt pts[8];
        if (mix_points_parse(d, len, n, pts) == EVOTE_OK) {
            FUZZ_CHECK(mix_points_serialize(pts, n, &o) == EVOTE_OK);
            same(b, d, len);
            for (size_t i = 0; i < n; i++) {
                uint8_t c[EVOTE_POINT_LEN];
                FUZZ_CHECK(mix_pt_to_compressed(c, &pts[i]) == EVOTE_OK);
                FUZZ_CHECK(evote_point_check(c) == EVOTE_OK);
            }
        }
        break;
    }
    case 2: {
        mix_commit c;
        FUZZ_CHECK(mix_commit_alloc(&c, n) == EVOTE_OK);
        if (mix_commit_parse(d, len, n, &c) == EVOTE_OK) {
            FUZZ_CHECK(mix_commit_serialize(&c, n, &o) == EVOTE_OK);
            same(b, d, len);
        }
        mix_commit_free(&c);
        break;
    }
    default: {
        mix_reply r;
        FUZZ_CHECK(mix_reply_alloc(&r, n) == EVOTE_OK);
        if (mix_reply_parse(d, len, n, &r) == EVOTE_OK) {
            FUZZ_CHECK(mix_reply_serialize(&r, n, &o) == EVOTE_OK);
            same(b, d, len);
        }
        mix_reply_free(&r);
        break;
    }
    }
    evote_buf_free(b);
    return 0;
}
