/*
 * libevote — PKCS#11 tokens: the election key lives here and never leaves.
 *
 * This module owns every PKCS#11 call in the library (raw API through
 * p11-kit's header; libp11 where a key must become an EVP_PKEY for CMS).
 * The module path comes from the caller, else $EVOTE_PKCS11_MODULE, else the
 * build's default (SoftHSM2).
 *
 * Thread safety: an evote_hsm_t may be used from several threads at once
 * for evote_hsm_derive_x() and evote_hsm_derive_lift() (and so for
 * evote_decrypt_*); each call borrows one of the handle's sessions. Open,
 * key generation, key selection and free are not concurrent with anything
 * else on the same handle. One process holds at most one open handle per
 * token (PKCS#11 login state is shared by all sessions of a process).
 * The module is initialised once per process and finalised when its last
 * evote_hsm_t goes; code that loads the same module another way (libp11's
 * PKCS11_CTX_load/unload) finalises it for everyone on unload, so free
 * such contexts only after the evote_hsm_t handles on that module.
 */
#ifndef EVOTE_HSM_H
#define EVOTE_HSM_H

#include "common.h"
#include "group.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct evote_hsm evote_hsm_t;

/* Path of the module that evote_hsm_open(NULL, ...) would load (static). */
EVOTE_API const char *evote_hsm_default_module(void);

/*
 * Load the module, find the token whose label is token_label and log in as
 * user with pin (pin_len bytes; the library copies nothing it keeps beyond
 * login and wipes its copies). nsessions sessions are opened (0 = one per
 * online CPU, at least 1) so that a multi-core HSM can be kept busy.
 * Errors: EVOTE_ERR_MODULE_LOAD, EVOTE_ERR_TOKEN_NOT_FOUND,
 * EVOTE_ERR_PIN_INCORRECT, EVOTE_ERR_PIN_LOCKED, EVOTE_ERR_PKCS11.
 * On success *out is owned by the caller (evote_hsm_free).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_open(evote_hsm_t **out, const char *module_path,
               const char *token_label, const char *pin, size_t pin_len,
               unsigned nsessions);

/* Log out, close sessions, finalize and unload. Accepts NULL. */
EVOTE_API void evote_hsm_free(evote_hsm_t *hsm);

/*
 * Initialise a token in the first free slot (for SoftHSM2: the spare slot)
 * with label, SO PIN and user PIN. Used by pkcs11-config/init-token.sh and
 * the test fixtures. Errors: EVOTE_ERR_MODULE_LOAD, EVOTE_ERR_EXISTS (a
 * token with that label exists), EVOTE_ERR_PKCS11.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_token_init(const char *module_path, const char *token_label,
                     const char *so_pin, size_t so_pin_len,
                     const char *user_pin, size_t user_pin_len);

/*
 * Generate a P-256 key pair inside the token (CKM_EC_KEY_PAIR_GEN) under
 * key_label: private key token, private, sensitive, non-extractable,
 * derive only (see docs/PROTOCOL.md, "Election key"). Writes the public key
 * as 33 bytes. EVOTE_ERR_KEY_EXISTS if the label is taken.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_keygen(evote_hsm_t *hsm, const char *key_label,
                 uint8_t pub[EVOTE_POINT_LEN]);

/*
 * Select the key pair under key_label for derive/decrypt and return its
 * public key. Checks the key policy (sensitive, never extractable, derive
 * allowed): EVOTE_ERR_KEY_POLICY otherwise; EVOTE_ERR_KEY_NOT_FOUND.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_select_key(evote_hsm_t *hsm, const char *key_label,
                     uint8_t pub[EVOTE_POINT_LEN]);

/*
 * Key attributes as the token reports them (for tests and `evote keygen`'s
 * ceremony record). value_readable is true if C_GetAttributeValue(CKA_VALUE)
 * returned a value — it must never be.
 */
typedef struct {
    int sensitive, extractable, never_extractable, always_sensitive;
    int derive, sign, decrypt, token, private_;
    int value_readable;
    /* Appended: 1 true, 0 false, -1 if the token did not report it. */
    int unwrap, sign_recover;
} evote_hsm_key_attrs_t;

/* Attributes of the selected key (after evote_hsm_keygen/select_key). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_key_attrs(evote_hsm_t *hsm, evote_hsm_key_attrs_t *out);

/*
 * CKA_ID of the selected key pair (keygen sets 16 random bytes). *len
 * receives its length; EVOTE_ERR_TOO_LARGE if cap is smaller.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_key_id(evote_hsm_t *hsm, uint8_t *out, size_t cap, size_t *len);

/* Public key (33 bytes) of the selected key pair. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_key_public(evote_hsm_t *hsm, uint8_t pub[EVOTE_POINT_LEN]);

/* Number of sessions the handle holds (the useful number of threads). */
EVOTE_API unsigned evote_hsm_session_count(const evote_hsm_t *hsm);

/* What the token says about itself (blank padding removed, NUL-terminated). */
typedef struct {
    char label[33];
    char manufacturer[33];
    char model[17];
    char serial[17];
    char module_path[4096];
    unsigned long slot_id;
} evote_hsm_token_info_t;

EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_token_info(evote_hsm_t *hsm, evote_hsm_token_info_t *out);

/*
 * Key-generation ceremony record (JSON, written atomically, refuses to
 * overwrite): manifest hash and election id, token label/serial/model/
 * manufacturer, key label and CKA_ID, public key (hex), the key attributes
 * as read back from the token, and the time in UTC and JST. Layout:
 * docs/PROTOCOL.md §7.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_keygen_record_write(evote_hsm_t *hsm, const char *path,
                              const char *key_label,
                              const uint8_t manifest_hash[EVOTE_HASH_LEN],
                              const char *election_id);

/*
 * The same record read back (docs/PROTOCOL.md §7.1): format
 * "libevote-keygen-record/1", the fields below; an attribute the token did
 * not report (null or absent) reads as -1. EVOTE_ERR_FORMAT for anything
 * malformed, EVOTE_ERR_NOT_FOUND / EVOTE_ERR_IO from reading.
 */
typedef struct {
    char election_id[65];
    uint8_t manifest_hash[EVOTE_HASH_LEN];
    char token_label[33];
    char token_serial[17];
    char key_label[129];
    uint8_t pk[EVOTE_POINT_LEN];
    evote_hsm_key_attrs_t attrs;
} evote_keygen_record_t;

EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_keygen_record_read(const char *path, evote_keygen_record_t *out);

/*
 * Check a record read back: it names manifest_hash (EVOTE_ERR_MANIFEST_MISMATCH)
 * and pk (EVOTE_ERR_KEY_MISMATCH) (either may be NULL: not checked), and the
 * private key's attributes satisfy the key policy: CKA_TOKEN, CKA_PRIVATE,
 * CKA_SENSITIVE, CKA_ALWAYS_SENSITIVE, CKA_NEVER_EXTRACTABLE, CKA_DERIVE
 * true; CKA_EXTRACTABLE, CKA_SIGN, CKA_DECRYPT, CKA_VALUE_readable false
 * (EVOTE_ERR_KEY_POLICY naming the first attribute that is not).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_keygen_record_check(const evote_keygen_record_t *r,
                              const uint8_t manifest_hash[EVOTE_HASH_LEN],
                              const uint8_t pk[EVOTE_POINT_LEN]);

/*
 * One CKM_ECDH1_DERIVE with the selected key: x_out = x-coordinate of
 * key·P, where P (33 bytes) is validated (on curve, not infinity) before the
 * token sees it.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_derive_x(evote_hsm_t *hsm, const uint8_t point[EVOTE_POINT_LEN],
                   uint8_t x_out[32]);

/*
 * The full point key·P recovered from a derive, both candidates: the derive
 * yields only x, so out_even/out_odd are the two lifts ±S (33 bytes each:
 * 0x02 ‖ x and 0x03 ‖ x, x checked to be on the curve). Which of them is
 * key·P is decided by the caller (evote_decrypt_resolve). Used by
 * decryption and by observer confirmation.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_derive_lift(evote_hsm_t *hsm, const uint8_t point[EVOTE_POINT_LEN],
                      uint8_t out_even[EVOTE_POINT_LEN],
                      uint8_t out_odd[EVOTE_POINT_LEN]);

/*
 * Stand-in voter cards (tests, demo): store the private key of key_pem_path
 * (RSA or P-256, PEM) and the certificate of cert_pem_path on the token
 * labelled token_label, both under key_label and a CKA_ID derived from the
 * public key. The private key is token, private, sensitive, not
 * extractable, sign only. A real ID card generates its key on the card;
 * this exists so that throwaway SoftHSM2 tokens can play that part.
 * Errors: EVOTE_ERR_MODULE_LOAD, EVOTE_ERR_TOKEN_NOT_FOUND,
 * EVOTE_ERR_PIN_INCORRECT, EVOTE_ERR_KEY_EXISTS, EVOTE_ERR_KEY_MISMATCH
 * (certificate of another key), EVOTE_ERR_FORMAT, EVOTE_ERR_PKCS11.
 * Not concurrent with other users of the module in the same process.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_import_key_cert(const char *module_path, const char *token_label,
                          const char *pin, size_t pin_len, const char *key_label,
                          const char *key_pem_path, const char *cert_pem_path);

/* The same for n keys in one session (a token holding many stand-in keys,
 * e.g. the demo's voters). Every label must be non-empty
 * (EVOTE_ERR_ARG); a label repeated in the batch or already on a private
 * key of the token is refused (EVOTE_ERR_KEY_EXISTS) before anything is
 * written, from one listing of the token's keys. Each key's objects are
 * made as session objects and copied onto the token (far fewer writes on
 * SoftHSM2's file store; made on the token directly if it refuses the
 * copy). Other failures stop at that key, which leaves nothing behind;
 * keys imported before it stay. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_hsm_import_key_certs(const char *module_path, const char *token_label,
                           const char *pin, size_t pin_len, size_t n,
                           const char *const *key_labels,
                           const char *const *key_pem_paths,
                           const char *const *cert_pem_paths);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_HSM_H */
