/*
 * Fuzz the decryption authorisation checks: evote_approval_check_auth (the
 * authorisation JSON against the fixed manifest) and evote_approval_verify
 * with one signature taken from the input.
 *
 * Input: u16be(auth length) ‖ auth ‖ signature (DER CMS).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    size_t alen = ((size_t)data[0] << 8) | data[1];
    if (alen > size - 2)
        alen = size - 2;
    const uint8_t *auth = data + 2, *sig = data + 2 + alen;
    size_t slen = size - 2 - alen;
    const evote_manifest_t *m = fuzz_manifest();
    static const uint8_t list_hash[32] = {1};
    evote_err_t e1 = evote_approval_check_auth(auth, alen, m, "district-tokyo-1", list_hash);
    size_t napproved = 0;
    const uint8_t *sigs[1] = {sig};
    size_t lens[1] = {slen};
    evote_err_t e2 = evote_approval_verify(m, "district-tokyo-1", list_hash, auth, alen, sigs,
                                           lens, 1, &napproved);
    /* The full check includes the authorisation check; and the manifest
     * asks for 2 approvals, which one signature cannot give. */
    if (e1 != EVOTE_OK)
        FUZZ_CHECK(e2 != EVOTE_OK);
    FUZZ_CHECK(e2 != EVOTE_OK);
    return 0;
}
