/*
 * Fuzz the ballot decoder: decode, and when it succeeds the re-encoding
 * must be the input byte for byte; then run the proof check with a fixed
 * key and manifest hash (it must refuse cleanly, never crash), and the
 * receiver-side check against the fixed manifest.
 */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    evote_ballot_t b;
    if (evote_ballot_decode(&b, data, size) != EVOTE_OK)
        return 0;
    FUZZ_CHECK(size <= EVOTE_BALLOT_MAX);
    uint8_t enc[EVOTE_BALLOT_MAX];
    size_t len = 0;
    FUZZ_CHECK(evote_ballot_encode(&b, enc, sizeof(enc), &len) == EVOTE_OK);
    FUZZ_CHECK(len == size && memcmp(enc, data, size) == 0);
    FUZZ_CHECK(evote_point_check(b.c1) == EVOTE_OK);
    FUZZ_CHECK(evote_point_check(b.c2) == EVOTE_OK);
    FUZZ_CHECK(evote_manifest_id_valid(b.contest_id));

    const evote_manifest_t *m = fuzz_manifest();
    /* The seed ballots are made for the fixed key and manifest, so the
     * mutations reach every step of the proof check. */
    evote_err_t e1 = evote_ballot_verify(&b, evote_manifest_hash(m), fuzz_pubkey());
    evote_err_t e2 = evote_ballot_check(&b, m, fuzz_pubkey());
    /* check = manifest hash + contest + verify: it cannot accept more. */
    if (e2 == EVOTE_OK)
        FUZZ_CHECK(e1 == EVOTE_OK);
    if (e1 == EVOTE_OK) {
        /* A proof binds C1, C2 and the contest: flipping a bit of C2's x
         * coordinate (if still a point) must break it. */
        evote_ballot_t t = b;
        t.c2[EVOTE_POINT_LEN - 1] ^= 1;
        if (evote_point_check(t.c2) == EVOTE_OK)
            FUZZ_CHECK(evote_ballot_verify(&t, evote_manifest_hash(m), fuzz_pubkey()) != EVOTE_OK);
    }
    return 0;
}
