/*
 * Fuzz the receipt verifier (evote_receipt_verify): JSON receipt parsing,
 * the embedded tree-head statement, hex/base64 fields and the inclusion
 * proof. Signatures are skipped (officials NULL) so mutations reach the
 * proof check; then the same with the fixed manifest's officials (no CA:
 * nothing can be approved) and with a ballot. Also the statement helpers
 * the box and bundle import share: box_json_parse and box_stmt_time.
 */
#include <string.h>

#include "box_internal.h"
#include "fuzz_common.h"

static evote_officials_t *g_o;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (evote_officials_new(&g_o, fuzz_manifest(), NULL) != EVOTE_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FUZZ_IGNORE(evote_receipt_verify(NULL, data, size, NULL, 0));
    FUZZ_CHECK(evote_receipt_verify(g_o, data, size, NULL, 0) != EVOTE_OK);
    static const uint8_t ballot[] = "not a ballot";
    FUZZ_IGNORE(evote_receipt_verify(NULL, data, size, ballot, sizeof(ballot) - 1));

    json_t *j = NULL;
    if (box_json_parse(data, size, "fuzz", &j) == EVOTE_OK) {
        FUZZ_CHECK(json_is_object(j));
        uint8_t h[32], proof[8][32];
        uint64_t u;
        const char *s;
        size_t n;
        FUZZ_IGNORE(box_json_str(j, "contest", "fuzz", &s));
        FUZZ_IGNORE(box_json_u64(j, "tree_size", "fuzz", &u));
        FUZZ_IGNORE(box_json_hash(j, "root", "fuzz", h));
        FUZZ_IGNORE(box_json_hashes(j, "inclusion_proof", "fuzz", proof, 8, &n));
        FUZZ_IGNORE(box_check_sth(j, fuzz_manifest(), "district-tokyo-1", "fuzz", &u, h));
        FUZZ_IGNORE(box_check_opening(j, fuzz_manifest(), fuzz_pubkey(), "fuzz"));
        json_decref(j);
    }
    int64_t at;
    FUZZ_IGNORE(box_stmt_time(data, size, &at));
    return 0;
}
