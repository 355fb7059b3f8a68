/* libevote — internals of the audit module shared by lib/audit*.c and tests. */
#ifndef EVOTE_AUDIT_INTERNAL_H
#define EVOTE_AUDIT_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "evote/audit.h"

/* Sign with whatever the signer holds (token key or callback); *cms is
 * released with free(). */
evote_err_t evote_audit_signer_sign(evote_audit_signer_t *s, const uint8_t *data,
                                    size_t len, uint8_t **cms, size_t *cms_len);


#endif
