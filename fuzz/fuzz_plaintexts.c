/*
 * Fuzz the plaintext-list reader (evote_plaintexts_parse): accessors on
 * what it accepts, serialise round trip, and the tally against the fixed
 * manifest (which must never fail because of an entry).
 */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    evote_plaintexts_t *p = NULL;
    if (evote_plaintexts_parse(&p, data, size) != EVOTE_OK) {
        FUZZ_CHECK(p == NULL);
        return 0;
    }
    size_t n = evote_plaintexts_count(p);
    FUZZ_CHECK(n >= 1 && n <= EVOTE_PLAINTEXTS_MAX);
    FUZZ_CHECK(evote_manifest_id_valid(evote_plaintexts_contest_id(p)));
    for (size_t i = 0; i < n; i++) {
        const uint8_t *pt = evote_plaintexts_get(p, i);
        if (pt)
            FUZZ_CHECK(evote_point_check(pt) == EVOTE_OK);
    }
    FUZZ_CHECK(evote_plaintexts_get(p, n) == NULL);
    uint8_t *ser = NULL;
    size_t len = 0;
    FUZZ_CHECK(evote_plaintexts_serialize(p, &ser, &len) == EVOTE_OK);
    FUZZ_CHECK(len == size && memcmp(ser, data, size) == 0);
    free(ser);

    evote_tally_t *t = NULL;
    const evote_manifest_t *m = fuzz_manifest();
    evote_err_t e = evote_tally_compute(&t, m, p);
    if (memcmp(evote_plaintexts_manifest_hash(p), evote_manifest_hash(m), EVOTE_HASH_LEN) == 0) {
        size_t ci;
        if (evote_manifest_contest_index(m, evote_plaintexts_contest_id(p), &ci) == EVOTE_OK)
            FUZZ_CHECK(e == EVOTE_OK);
    }
    if (e == EVOTE_OK) {
        uint64_t sum = evote_tally_invalid_count(t);
        size_t no = evote_manifest_option_count(m, evote_tally_contest_index(t));
        for (size_t j = 0; j < no; j++)
            sum += evote_tally_votes(t, j);
        FUZZ_CHECK(sum == evote_tally_total(t) && sum == n);
        char *json = NULL;
        FUZZ_CHECK(evote_tally_json(t, &json) == EVOTE_OK);
        free(json);
        evote_tally_free(t);
    }
    evote_plaintexts_free(p);
    return 0;
}
