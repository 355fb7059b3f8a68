/* libevote — PKCS#11 (placeholder until the HSM module lands). */
#include "evote/hsm.h"
#include "internal.h"

evote_err_t evote_hsm_token_init(const char *module_path, const char *token_label,
                                 const char *so_pin, size_t so_pin_len,
                                 const char *user_pin, size_t user_pin_len) {
    return evote_fail(EVOTE_ERR_INTERNAL, "not implemented yet");
}
