/*
 * libevote — verifying CMS SignedData (ballots, statements, audit entries)
 * against configured CA certificates and CRLs at a given time.
 *
 * A verifier is built once (add CAs and CRLs), then used read-only:
 * evote_cms_verify() is thread-safe on a shared verifier.
 */
#ifndef EVOTE_CMS_H
#define EVOTE_CMS_H

#include <stdbool.h>

#include "common.h"
#include "group.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest CMS message any libevote verifier accepts (EVOTE_ERR_TOO_LARGE). */
#define EVOTE_CMS_MAX (64u * 1024u)

typedef struct evote_cms_verifier evote_cms_verifier_t;

EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_cms_verifier_new(evote_cms_verifier_t **out);
EVOTE_API void evote_cms_verifier_free(evote_cms_verifier_t *v);

/* Trust every certificate in a PEM file (one or more) as a CA. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_cms_verifier_add_ca_file(evote_cms_verifier_t *v, const char *pem_path);
/* Same from PEM or DER bytes. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_cms_verifier_add_ca(evote_cms_verifier_t *v, const uint8_t *data, size_t len);
/*
 * Add the CRLs in a PEM file. Once any CRL is configured, every certificate
 * in a chain must be covered by a CRL of its issuer (X509_V_FLAG_CRL_CHECK
 * for the leaf), so a missing CRL is a chain failure, never a silent pass.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_cms_verifier_add_crl_file(evote_cms_verifier_t *v, const char *pem_path);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_cms_verifier_add_crl(evote_cms_verifier_t *v, const uint8_t *data, size_t len);

/* What a successful verification yields; release with evote_cms_result_clear. */
typedef struct {
    uint8_t *content;        /* signed content (malloc'd; for detached: a copy) */
    size_t content_len;
    uint8_t *cert_der;       /* the signer's certificate, DER (malloc'd) */
    size_t cert_der_len;
    uint8_t cert_sha256[EVOTE_HASH_LEN]; /* SHA-256 of cert_der */
    char issuer[512];        /* issuer name, RFC 2253 (XN_FLAG_RFC2253) */
    char serial_hex[130];    /* serial number, lower-case hex, no leading zeros */
} evote_cms_result_t;

EVOTE_API void evote_cms_result_clear(evote_cms_result_t *r);

/*
 * Verify a DER SignedData with exactly one signer: structure, signature over
 * the signed attributes and content, and the signer's chain to a configured
 * CA at time at (Unix seconds) with CRLs if any are configured.
 * detached/detached_len: the content when the message is detached (NULL
 * otherwise; a detached message without content is EVOTE_ERR_CMS_FORMAT).
 * Errors, in the order checked: EVOTE_ERR_TOO_LARGE, EVOTE_ERR_CMS_FORMAT,
 * EVOTE_ERR_SIGNATURE, EVOTE_ERR_CERT_CHAIN, EVOTE_ERR_CERT_EXPIRED,
 * EVOTE_ERR_CERT_NOT_YET_VALID, EVOTE_ERR_CERT_REVOKED. On failure *res is
 * zeroed. res may be NULL when only the verdict matters.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_cms_verify(const evote_cms_verifier_t *v, const uint8_t *der, size_t der_len,
                 const uint8_t *detached, size_t detached_len, int64_t at,
                 evote_cms_result_t *res);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_CMS_H */
