/*
 * libevote — statements signed by election officials (opening, tree heads,
 * closing, bundle index): JSON bytes, each official's detached CMS
 * signature over exactly those bytes, and the manifest's approval policy.
 *
 * A statement NAME.json is accompanied by one file NAME.<official-id>.p7s
 * per official who signed it, in the same directory (docs/PROTOCOL.md
 * §12.3). An official is recognised by the certificate in the signature:
 *  - if the manifest pins the official's certificate (cert_sha256), the
 *    certificate must be exactly that one (it is then its own trust anchor
 *    unless an officials' CA is configured as well);
 *  - otherwise an officials' CA must be configured, the certificate must
 *    chain to it, and its subject commonName must equal the official's id.
 * An official that is neither pinned nor covered by a CA cannot approve
 * anything (fail closed).
 *
 * An evote_officials_t is immutable once built and may be shared between
 * threads.
 */
#ifndef EVOTE_STATEMENT_H
#define EVOTE_STATEMENT_H

#include <stdbool.h>

#include "common.h"
#include "group.h"
#include "manifest.h"
#include "signer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest statement libevote signs or reads (bytes of JSON). */
#define EVOTE_STATEMENT_MAX (64u * 1024u)

typedef struct evote_officials evote_officials_t;

/*
 * Officials of manifest m (borrowed: m must outlive the result), with the
 * certificates of ca_pem_path (NULL: none) as officials' CA.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_officials_new(evote_officials_t **out, const evote_manifest_t *m,
                    const char *ca_pem_path);
EVOTE_API void evote_officials_free(evote_officials_t *o);
/* The manifest the officials were built from (borrowed). */
EVOTE_API const evote_manifest_t *evote_officials_manifest(const evote_officials_t *o);

/* One verified approval. */
typedef struct {
    char official[EVOTE_ID_MAX + 1];
    uint8_t cert_sha256[EVOTE_HASH_LEN];
} evote_approval_t;

/*
 * Which official does a DER certificate belong to? EVOTE_ERR_POLICY if none
 * (detail says why). Checks pin / commonName only, not the chain.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_officials_identify(const evote_officials_t *o, const uint8_t *cert_der,
                         size_t cert_len, char official[EVOTE_ID_MAX + 1]);

/*
 * Sign the statement dir/NAME.json with signer (detached CMS over the exact
 * file bytes) and write dir/NAME.<official>.p7s atomically; refuses to
 * overwrite (EVOTE_ERR_EXISTS). The signature is verified before it is
 * written. official (may be NULL) receives the id of the signing official.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_statement_sign_file(const evote_officials_t *o, evote_signer_t *signer,
                          const char *dir, const char *name,
                          char official[EVOTE_ID_MAX + 1]);

/*
 * Verify signatures over statement bytes: every signature must verify at
 * the statement's own "time_utc" and belong to a distinct official, and at
 * least evote_manifest_required_approvals(m, step) officials must have
 * signed. sig_names (may be NULL) name the signatures in error details.
 * approvals (room for nsigs, may be NULL) receives who signed.
 * Errors: EVOTE_ERR_FORMAT (statement), EVOTE_ERR_CMS_FORMAT,
 * EVOTE_ERR_SIGNATURE, EVOTE_ERR_CERT_* (chain), EVOTE_ERR_POLICY
 * (unknown official, duplicate, too few).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_statement_verify(const evote_officials_t *o, const char *step,
                       const uint8_t *stmt, size_t stmt_len,
                       const uint8_t *const *sigs, const size_t *sig_lens,
                       const char *const *sig_names, size_t nsigs,
                       evote_approval_t *approvals);

/*
 * The same for dir/NAME.json and every dir/NAME.*.p7s; each file's
 * official part must name the official who signed it. *napprovals (may be
 * NULL) receives how many officials signed.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_statement_verify_files(const evote_officials_t *o, const char *step,
                             const char *dir, const char *name, size_t *napprovals);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_STATEMENT_H */
