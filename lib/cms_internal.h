/* libevote — internals of the signature/reception module (not installed). */
#ifndef EVOTE_CMS_INTERNAL_H
#define EVOTE_CMS_INTERNAL_H

#include <openssl/x509.h>

#include "evote/cms.h"

/* Issuer as RFC 2253 text and serial as lower-case hex without leading
 * zeros (how the voter roll names a certificate by issuer and serial). */
evote_err_t evote_cms_cert_names(const X509 *cert, char *issuer, size_t issuer_cap,
                                 char *serial_hex, size_t serial_cap);

#endif
