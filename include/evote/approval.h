/*
 * libevote — officials' approval of a decryption.
 *
 * The manifest can require k of its n officials to approve a decryption.
 * They sign (CMS SignedData, detached, DER, each with their own token key)
 * the exact bytes of one authorisation JSON that names the election, the
 * manifest, the contest and the SHA-256 of the exact input list. An
 * official is recognised by the SHA-256 of their certificate (DER), which
 * the manifest lists; no CA is involved. Layout: docs/PROTOCOL.md §15.3.
 * All functions are thread-safe.
 */
#ifndef EVOTE_APPROVAL_H
#define EVOTE_APPROVAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common.h"
#include "manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Write the authorisation JSON ("libevote-decrypt-authorization/1") for
 * decrypting the list with SHA-256 list_hash in contest_id. Exclusive
 * (EVOTE_ERR_EXISTS): every official must sign the same bytes.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_approval_write(const char *path, const evote_manifest_t *m, const char *contest_id,
                     const uint8_t list_hash[32]);

/*
 * Check that auth (the exact file bytes) authorises decrypting exactly the
 * list list_hash of contest_id under manifest m. EVOTE_ERR_POLICY (names
 * another list, contest, election or manifest), EVOTE_ERR_FORMAT.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_approval_check_auth(const uint8_t *auth, size_t auth_len, const evote_manifest_t *m,
                          const char *contest_id, const uint8_t list_hash[32]);

/*
 * Sign auth bytes with key/cert: CMS SignedData, detached, binary, signer
 * certificate included; *der is allocated (free with OPENSSL_free).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_approval_sign(uint8_t **der, size_t *der_len, const uint8_t *auth, size_t auth_len,
                    EVP_PKEY *key, X509 *cert);

/*
 * The same with the official's own token, through the signer API
 * (evote/signer.h): the private key labelled key_label on the token
 * token_label, with its certificate from the token (same CKA_ID, else same
 * label), logged in with pin; module_path NULL as for evote_signer_open.
 * Errors as evote_signer_open / evote_signer_sign_cms:
 * EVOTE_ERR_MODULE_LOAD, EVOTE_ERR_TOKEN_NOT_FOUND, EVOTE_ERR_PIN_INCORRECT,
 * EVOTE_ERR_PIN_LOCKED, EVOTE_ERR_KEY_NOT_FOUND, EVOTE_ERR_NOT_FOUND (no
 * certificate), EVOTE_ERR_KEY_MISMATCH; EVOTE_ERR_TOO_LARGE past 64 KiB.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_approval_sign_token(uint8_t **der, size_t *der_len, const uint8_t *auth,
                          size_t auth_len, const char *module_path,
                          const char *token_label, const char *key_label, const char *pin,
                          size_t pin_len);

/*
 * Full check before any decryption: the authorisation names this list
 * (evote_approval_check_auth), every signature verifies over its exact
 * bytes (EVOTE_ERR_SIGNATURE / EVOTE_ERR_CMS_FORMAT naming the index), each
 * signer is an official of the manifest (EVOTE_ERR_POLICY: unknown), no
 * official counts twice (EVOTE_ERR_POLICY: duplicate) and at least
 * evote_manifest_required_approvals(m, "decrypt") officials signed
 * (EVOTE_ERR_POLICY: too few). *napproved (may be NULL) gets the count.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_approval_verify(const evote_manifest_t *m, const char *contest_id,
                      const uint8_t list_hash[32], const uint8_t *auth, size_t auth_len,
                      const uint8_t *const *sigs, const size_t *sig_lens, size_t nsig,
                      size_t *napproved);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_APPROVAL_H */
