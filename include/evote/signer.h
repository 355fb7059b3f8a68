/*
 * libevote — signing with a key on a PKCS#11 token (a voter's ID card, an
 * official's token): CMS SignedData (RFC 5652, DER) through libp11, so the
 * private key never leaves the token.
 *
 * Supported keys: RSA-2048 (PKCS#1 v1.5, SHA-256, as on national ID cards)
 * and ECDSA P-256 (SHA-256). The signer's certificate is always included in
 * the SignedData; the signed attributes are the RFC 5652 defaults
 * (content-type, message-digest, signing-time).
 *
 * Thread safety: one evote_signer_t must not be used from two threads at
 * once; distinct signers may.
 */
#ifndef EVOTE_SIGNER_H
#define EVOTE_SIGNER_H

#include <stdbool.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest content evote_signer_sign_cms() signs (EVOTE_ERR_TOO_LARGE). */
#define EVOTE_SIGN_MAX (16u * 1024u * 1024u)

typedef struct evote_signer evote_signer_t;

/*
 * Load the PKCS#11 module (NULL: $EVOTE_PKCS11_MODULE, else the build's
 * default), find the token labelled token_label, log in with pin (pin_len
 * bytes, copied only for the login and wiped), and select the private key
 * labelled key_label. The certificate comes from cert_pem_path if not NULL,
 * else from the token's certificate object with the key's CKA_ID (or, if
 * there is none, the same label). The certificate's public key must match
 * the token key (EVOTE_ERR_KEY_MISMATCH).
 * Errors: EVOTE_ERR_MODULE_LOAD, EVOTE_ERR_TOKEN_NOT_FOUND,
 * EVOTE_ERR_PIN_INCORRECT, EVOTE_ERR_PIN_LOCKED, EVOTE_ERR_KEY_NOT_FOUND,
 * EVOTE_ERR_NOT_FOUND (no certificate), EVOTE_ERR_FORMAT, EVOTE_ERR_PKCS11.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_signer_open(evote_signer_t **out, const char *module_path,
                  const char *token_label, const char *pin, size_t pin_len,
                  const char *key_label, const char *cert_pem_path);

/*
 * Switch an open token signer to another private key of the same token
 * (a token holding several keys, e.g. the demo's stand-in voter cards),
 * with its certificate as for evote_signer_open. Unchanged on failure.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_signer_select_key(evote_signer_t *s, const char *key_label,
                        const char *cert_pem_path);

/*
 * Switch an open token signer to another token of the same module (listed
 * when the signer opened): log in there with pin and select key_label as
 * for evote_signer_open, then log out of the previous token. Several
 * stand-in cards on one module (the demo's voters) share one libp11
 * context this way. Errors as evote_signer_open; unchanged on failure.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_signer_select_token(evote_signer_t *s, const char *token_label, const char *pin,
                          size_t pin_len, const char *key_label, const char *cert_pem_path);

/*
 * A signer with a software key (PEM private key + PEM certificate). For
 * test harnesses, benchmarks and simulations of many voters only: a real
 * voter's key lives on a card.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_signer_open_pem(evote_signer_t **out, const char *key_pem_path,
                      const char *cert_pem_path);

/* Log out, release the key and unload the module. Accepts NULL. */
EVOTE_API void evote_signer_free(evote_signer_t *s);

/*
 * Sign data as CMS SignedData, DER. detached: the content is left out
 * (eContent absent) and must be supplied to the verifier. *der is a fresh
 * buffer the caller releases with free(); *der = NULL, *der_len = 0 on
 * failure. Errors: EVOTE_ERR_ARG, EVOTE_ERR_CRYPTO (detail: OpenSSL),
 * EVOTE_ERR_TOKEN_REMOVED.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_signer_sign_cms(evote_signer_t *s, const uint8_t *data, size_t len,
                      bool detached, uint8_t **der, size_t *der_len);

/* The signer's certificate, DER (borrowed; valid until evote_signer_free). */
EVOTE_API const uint8_t *evote_signer_cert_der(const evote_signer_t *s,
                                               size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_SIGNER_H */
