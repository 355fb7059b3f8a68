/*
 * Fuzz the voter-roll parser (CSV and JSON, evote_roll_parse), with and
 * without the manifest's contest list. A roll accepted with the contest
 * list must also be accepted without it, with the same voter count.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const known[] = {"district-tokyo-1", "proportional-tokyo"};
    evote_roll_t *r1 = NULL, *r2 = NULL;
    evote_err_t e1 = evote_roll_parse(&r1, data, size, known, 2);
    evote_err_t e2 = evote_roll_parse(&r2, data, size, NULL, 0);
    if (e1 != EVOTE_OK)
        FUZZ_CHECK(r1 == NULL);
    if (e2 != EVOTE_OK)
        FUZZ_CHECK(r2 == NULL);
    if (e1 == EVOTE_OK) {
        FUZZ_CHECK(e2 == EVOTE_OK);
        FUZZ_CHECK(evote_roll_count(r1) == evote_roll_count(r2));
    }
    evote_roll_free(r1);
    evote_roll_free(r2);
    return 0;
}
