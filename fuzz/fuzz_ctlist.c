/*
 * Fuzz the ciphertext-list parser (evote_ctlist_parse). When it accepts,
 * serialising the list must give back exactly the input (the format has
 * one encoding per list), and every component must be a valid point.
 */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    evote_ct_t *cts = NULL;
    size_t n = 0;
    if (evote_ctlist_parse(data, size, &cts, &n) != EVOTE_OK) {
        FUZZ_CHECK(cts == NULL && n == 0);
        return 0;
    }
    FUZZ_CHECK(n >= 1 && n <= EVOTE_CTLIST_MAX);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(evote_point_check(cts[i].c1) == EVOTE_OK);
        FUZZ_CHECK(evote_point_check(cts[i].c2) == EVOTE_OK);
    }
    evote_buf_t b = {0};
    FUZZ_CHECK(evote_ctlist_serialize(cts, n, &b) == EVOTE_OK);
    FUZZ_CHECK(b.len == size && memcmp(b.data, data, size) == 0);
    evote_buf_free(&b);
    free(cts);
    return 0;
}
