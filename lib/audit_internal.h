/* libevote — internals of the audit module shared by lib/audit*.c and tests. */
#ifndef EVOTE_AUDIT_INTERNAL_H
#define EVOTE_AUDIT_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "evote/audit.h"

/* Detached CMS SignedData (DER, OPENSSL_malloc'd) over data. */
evote_err_t evote_cms_sign_detached(EVP_PKEY *key, X509 *cert, const uint8_t *data,
                                    size_t len, uint8_t **out, size_t *out_len);

/* Sign with whatever the signer holds (token key or callback). */
evote_err_t evote_audit_signer_sign(evote_audit_signer_t *s, const uint8_t *data,
                                    size_t len, uint8_t **cms, size_t *cms_len);


#endif
