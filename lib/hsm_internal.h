/*
 * libevote — internals of the PKCS#11 module (lib/hsm*.c), for the other
 * hsm files, the tests and the benchmark. Not installed.
 *
 * lib/hsm*.c owns every PKCS#11 call in the library; code elsewhere in lib/
 * goes through include/evote/hsm.h. Tests and bench may use the raw function
 * list below to check the token independently of evote's own wrappers.
 */
#ifndef EVOTE_HSM_INTERNAL_H
#define EVOTE_HSM_INTERNAL_H

#include <p11-kit/pkcs11.h>

#include "evote/hsm.h"
#include "internal.h"

/* DER of the OID prime256v1 (1.2.840.10045.3.1.7): CKA_EC_PARAMS. */
extern const uint8_t evote_hsm_p256_oid_der[10];

/* Symbolic name of a CK_RV ("CKR_PIN_INCORRECT"); "CKR_?" when unknown. */
const char *evote_hsm_ckr_name(CK_RV rv);

/*
 * Map a CK_RV to an evote error, with "what: CKR_NAME (0x..)" as detail:
 * CKR_PIN_INCORRECT → EVOTE_ERR_PIN_INCORRECT, CKR_PIN_LOCKED →
 * EVOTE_ERR_PIN_LOCKED, CKR_DEVICE_REMOVED / CKR_TOKEN_NOT_PRESENT /
 * CKR_SESSION_HANDLE_INVALID / CKR_SESSION_CLOSED → EVOTE_ERR_TOKEN_REMOVED,
 * CKR_USER_NOT_LOGGED_IN → EVOTE_ERR_NOT_LOGGED_IN, anything else →
 * EVOTE_ERR_PKCS11. rv must not be CKR_OK.
 */
evote_err_t evote_hsm_ckr(CK_RV rv, const char *what);

/* PKCS#11 call that must return CKR_OK (needs `ret` and label `out`). */
#define P11_GUARD(call)                                                        \
    do {                                                                       \
        CK_RV p11_rv_ = (call);                                                \
        if (p11_rv_ != CKR_OK) {                                               \
            ret = evote_hsm_ckr(p11_rv_, #call);                               \
            goto out;                                                          \
        }                                                                      \
    } while (0)

/* Raw access for tests and the benchmark (borrowed; valid until free). */
CK_FUNCTION_LIST *evote_hsm_functions(evote_hsm_t *hsm);
/* Handle of the selected private key (CK_INVALID_HANDLE if none). */
CK_OBJECT_HANDLE evote_hsm_key_handle(const evote_hsm_t *hsm);

/* Number of C_DeriveKey calls the handle has made (to show in tests that
 * an invalid point never reached the token). */
unsigned long evote_hsm_derive_count(evote_hsm_t *hsm);

/*
 * Borrow one of the handle's sessions (blocks while all are in use) and give
 * it back. Thread-safe. The session is logged in as user.
 */
CK_SESSION_HANDLE evote_hsm_session_get(evote_hsm_t *hsm);
void evote_hsm_session_put(evote_hsm_t *hsm, CK_SESSION_HANDLE s);

/*
 * One CKM_ECDH1_DERIVE on an already validated uncompressed point
 * (65 bytes) with the selected key; x_out receives the 32-byte
 * x-coordinate. The derived object is destroyed before return.
 */
evote_err_t evote_hsm_derive_raw(evote_hsm_t *hsm, const uint8_t point65[65],
                                 uint8_t x_out[32]);

#endif /* EVOTE_HSM_INTERNAL_H */
