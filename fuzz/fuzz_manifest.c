/* Fuzz the manifest parser (evote_manifest_parse) and its accessors. */
#include <string.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    evote_manifest_t *m = NULL;
    if (evote_manifest_parse(&m, data, size) != EVOTE_OK) {
        FUZZ_CHECK(m == NULL);
        return 0;
    }
    /* Everything a parsed manifest promises. */
    uint8_t h[EVOTE_HASH_LEN];
    FUZZ_CHECK(evote_sha256(data, size, h) == EVOTE_OK);
    FUZZ_CHECK(memcmp(h, evote_manifest_hash(m), sizeof(h)) == 0);
    FUZZ_CHECK(evote_manifest_id_valid(evote_manifest_election_id(m)));
    FUZZ_CHECK(evote_manifest_title(m) != NULL);
    int64_t opens, closes;
    evote_manifest_window(m, &opens, &closes);
    size_t nc = evote_manifest_contest_count(m);
    for (size_t i = 0; i < nc; i++) {
        const char *id = evote_manifest_contest_id(m, i);
        FUZZ_CHECK(evote_manifest_id_valid(id));
        size_t idx = (size_t)-1;
        FUZZ_CHECK(evote_manifest_contest_index(m, id, &idx) == EVOTE_OK && idx == i);
        FUZZ_CHECK(evote_manifest_contest_title(m, i) != NULL);
        FUZZ_CHECK(evote_manifest_contest_kind(m, i) != NULL);
        size_t no = evote_manifest_option_count(m, i);
        for (size_t j = 0; j < no; j++) {
            FUZZ_CHECK(evote_manifest_id_valid(evote_manifest_option_id(m, i, j)));
            FUZZ_CHECK(evote_manifest_option_name(m, i, j) != NULL);
        }
    }
    static const char *const roles[] = {"official", "trustee"};
    for (size_t r = 0; r < 2; r++) {
        size_t np = evote_manifest_person_count(m, roles[r]);
        for (size_t i = 0; i < np; i++) {
            FUZZ_CHECK(evote_manifest_id_valid(evote_manifest_person_id(m, roles[r], i)));
            FUZZ_CHECK(evote_manifest_person_name(m, roles[r], i) != NULL);
            FUZZ_CHECK(evote_manifest_person_cert_sha256(m, roles[r], i) != NULL);
        }
    }
    static const char *const steps[] = {"open", "close", "export", "decrypt"};
    for (size_t s = 0; s < 4; s++)
        FUZZ_IGNORE(evote_manifest_required_approvals(m, steps[s]));
    FUZZ_CHECK(evote_manifest_required_approvals(m, "no-such-step") == (unsigned)-1);
    evote_manifest_free(m);
    return 0;
}
