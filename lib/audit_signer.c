/*
 * libevote — signers for audit entries: the operator's token key (detached
 * CMS SignedData over the entry body), or a callback.
 * The token part is a thin wrapper around evote/signer.h, so that one
 * place in the library talks to libp11 for signing.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "audit_internal.h"
#include "evote/signer.h"
#include "internal.h"

#define DEFAULT_KEY_LABEL "operator"

struct evote_audit_signer {
    evote_signer_t *token;  /* the operator's token key (evote/signer.h) */
    evote_audit_sign_fn fn; /* or a callback */
    void *fn_ctx;
    uint8_t *cert_der;      /* operator certificate, DER (own copy) */
    size_t cert_len;
};

static evote_err_t copy_cert(evote_audit_signer_t *s, const uint8_t *der,
                             size_t len) {
    s->cert_der = malloc(len);
    if (s->cert_der == NULL)
        return evote_fail(EVOTE_ERR_NOMEM, "out of memory");
    memcpy(s->cert_der, der, len);
    s->cert_len = len;
    return EVOTE_OK;
}

evote_err_t evote_audit_signer_open_token(evote_audit_signer_t **out,
                                          const char *module_path,
                                          const char *token_label,
                                          const char *key_label, const char *pin,
                                          size_t pin_len) {
    evote_err_t ret = EVOTE_OK;
    evote_audit_signer_t *s = NULL;
    const uint8_t *der;
    size_t der_len = 0;

    ENSURE(out != NULL && token_label != NULL && pin != NULL, EVOTE_ERR_ARG,
           "audit signer: bad argument");
    *out = NULL;
    ALLOC_GUARD(s = calloc(1, sizeof(*s)));
    /* The certificate comes from the token, next to the key. */
    GUARD(evote_signer_open(&s->token, module_path, token_label, pin, pin_len,
                            key_label != NULL ? key_label : DEFAULT_KEY_LABEL,
                            NULL));
    der = evote_signer_cert_der(s->token, &der_len);
    ENSURE(der != NULL && der_len > 0, EVOTE_ERR_NOT_FOUND,
           "operator token '%s' gave no certificate", token_label);
    GUARD(copy_cert(s, der, der_len));
    *out = s;
    s = NULL;
out:
    evote_audit_signer_free(s);
    return ret;
}

evote_err_t evote_audit_signer_from_callback(evote_audit_signer_t **out,
                                             evote_audit_sign_fn fn, void *ctx,
                                             const uint8_t *cert_der,
                                             size_t cert_len) {
    evote_err_t ret = EVOTE_OK;
    evote_audit_signer_t *s = NULL;
    X509 *x = NULL;
    const unsigned char *p = cert_der;

    ENSURE(out != NULL && fn != NULL && cert_der != NULL && cert_len > 0,
           EVOTE_ERR_ARG, "audit signer: bad argument");
    *out = NULL;
    x = d2i_X509(NULL, &p, (long)cert_len);
    ENSURE(x != NULL && p == cert_der + cert_len, EVOTE_ERR_FORMAT,
           "operator certificate is not one DER X.509 certificate");
    ALLOC_GUARD(s = calloc(1, sizeof(*s)));
    s->fn = fn;
    s->fn_ctx = ctx;
    GUARD(copy_cert(s, cert_der, cert_len));
    *out = s;
    s = NULL;
out:
    X509_free(x);
    ERR_clear_error();
    evote_audit_signer_free(s);
    return ret;
}

const uint8_t *evote_audit_signer_cert(const evote_audit_signer_t *s, size_t *len) {
    if (len != NULL)
        *len = s != NULL ? s->cert_len : 0;
    return s != NULL ? s->cert_der : NULL;
}

void evote_audit_signer_free(evote_audit_signer_t *s) {
    if (s == NULL)
        return;
    evote_signer_free(s->token);
    free(s->cert_der);
    evote_wipe(s, sizeof(*s));
    free(s);
}

evote_err_t evote_audit_signer_sign(evote_audit_signer_t *s, const uint8_t *data,
                                    size_t len, uint8_t **cms, size_t *cms_len) {
    *cms = NULL;
    *cms_len = 0;
    if (s->fn != NULL)
        return s->fn(s->fn_ctx, data, len, cms, cms_len);
    return evote_signer_sign_cms(s->token, data, len, true, cms, cms_len);
}
