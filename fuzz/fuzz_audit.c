/*
 * Fuzz the audit-log reader: evote_audit_load (file path only, so the input
 * goes through a memfd), every accessor, evote_audit_verify with and
 * without the test CA, and evote_audit_find_output. Verification of a
 * mutated log must report at least one problem whenever it fails.
 */
#include <string.h>

#include "fuzz_common.h"

#ifndef EVOTE_FUZZ_CA
#error "EVOTE_FUZZ_CA must name a PEM CA file"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    int fd = fuzz_file_open(data, size, path);
    evote_audit_log_t *log = NULL;
    evote_err_t e = evote_audit_load(&log, path);
    fuzz_file_close(fd);
    if (e != EVOTE_OK) {
        FUZZ_CHECK(log == NULL);
        return 0;
    }
    size_t n = evote_audit_count(log);
    for (size_t i = 0; i < n; i++) {
        const char *body = evote_audit_entry_body(log, i);
        if (body)
            FUZZ_CHECK(strlen(body) <= size);
    }
    FUZZ_CHECK(evote_audit_entry_body(log, n) == NULL);
    FUZZ_IGNORE(evote_audit_election(log));
    static const char *const cas[] = {NULL, EVOTE_FUZZ_CA};
    for (int k = 0; k < 2; k++) {
        e = evote_audit_verify(log, cas[k], NULL);
        size_t np = evote_audit_problem_count(log);
        if (e != EVOTE_OK)
            FUZZ_CHECK(np >= 1);
        for (size_t i = 0; i < np; i++)
            FUZZ_CHECK(evote_audit_problem(log, i) != NULL);
    }
    uint8_t h[EVOTE_HASH_LEN] = {0};
    const char *step = NULL;
    FUZZ_IGNORE(evote_audit_find_output(log, h, &step));
    evote_audit_log_free(log);
    return 0;
}
