/*
 * libevote — signers for audit entries: the operator's token key through
 * libp11 (detached CMS SignedData over the entry body), or a callback.
 *
 * When the reception module's general token signer (evote/signer.h) is in
 * the tree, evote_audit_signer_open_token() should become a thin wrapper
 * around it so that one place talks to libp11 for signing.
 */
#include <stdlib.h>
#include <string.h>

#include <libp11.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "evote/audit.h"
#include "audit_internal.h"
#include "internal.h"

struct evote_audit_signer {
    /* token signer */
    PKCS11_CTX *ctx;
    PKCS11_SLOT *slots;
    unsigned int nslots;
    int loaded;    /* PKCS11_CTX_load succeeded: unload on free */
    EVP_PKEY *key; /* from libp11 */
    X509 *cert;    /* our own copy */
    /* callback signer */
    evote_audit_sign_fn fn;
    void *fn_ctx;
    /* operator certificate, DER */
    uint8_t *cert_der;
    size_t cert_len;
};

static evote_err_t set_cert_der(evote_audit_signer_t *s, X509 *cert) {
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    if (n <= 0)
        return evote_fail_ossl(EVOTE_ERR_CRYPTO, "i2d_X509");
    s->cert_der = malloc((size_t)n);
    if (s->cert_der == NULL) {
        OPENSSL_free(der);
        return evote_fail(EVOTE_ERR_NOMEM, "out of memory");
    }
    memcpy(s->cert_der, der, (size_t)n);
    s->cert_len = (size_t)n;
    OPENSSL_free(der);
    return EVOTE_OK;
}

evote_err_t evote_audit_signer_open_token(evote_audit_signer_t **out,
                                          const char *module_path,
                                          const char *token_label,
                                          const char *key_label, const char *pin,
                                          size_t pin_len) {
    evote_err_t ret = EVOTE_OK;
    evote_audit_signer_t *s = NULL;
    char *pin_copy = NULL;
    PKCS11_SLOT *slot = NULL;
    PKCS11_KEY *keys = NULL, *key = NULL;
    PKCS11_CERT *certs = NULL, *cert = NULL;
    unsigned int nkeys = 0, ncerts = 0;

    ENSURE(out != NULL && token_label != NULL && pin != NULL, EVOTE_ERR_ARG,
           "audit signer: bad argument");
    *out = NULL;
    if (module_path == NULL)
        module_path = getenv("EVOTE_PKCS11_MODULE");
    if (module_path == NULL || module_path[0] == '\0')
        module_path = EVOTE_DEFAULT_PKCS11_MODULE;

    ALLOC_GUARD(s = calloc(1, sizeof(*s)));
    ALLOC_GUARD(s->ctx = PKCS11_CTX_new());
    if (PKCS11_CTX_load(s->ctx, module_path) != 0) {
        ERR_clear_error();
        ret = evote_fail(EVOTE_ERR_MODULE_LOAD, "cannot load PKCS#11 module %s",
                         module_path);
        goto out;
    }
    s->loaded = 1;
    ENSURE(PKCS11_enumerate_slots(s->ctx, &s->slots, &s->nslots) == 0,
           EVOTE_ERR_PKCS11, "cannot enumerate slots of %s", module_path);
    for (unsigned int i = 0; i < s->nslots; i++) {
        PKCS11_SLOT *sl = &s->slots[i];
        if (sl->token != NULL && sl->token->initialized &&
            strcmp(sl->token->label, token_label) == 0) {
            slot = sl;
            break;
        }
    }
    ENSURE(slot != NULL, EVOTE_ERR_TOKEN_NOT_FOUND,
           "no operator token labelled '%s'", token_label);

    ALLOC_GUARD(pin_copy = calloc(1, pin_len + 1));
    memcpy(pin_copy, pin, pin_len);
    if (PKCS11_open_session(slot, 0) != 0) {
        ret = evote_fail(EVOTE_ERR_PKCS11, "cannot open a session on token '%s'",
                         token_label);
        goto out;
    }
    if (PKCS11_login(slot, 0, pin_copy) != 0) {
        unsigned long e = ERR_peek_last_error();
        ERR_clear_error();
        /* libp11 reports the CK_RV as the reason code. */
        unsigned long reason = ERR_GET_REASON(e);
        if (reason == 0xa4 /* CKR_PIN_LOCKED */)
            ret = evote_fail(EVOTE_ERR_PIN_LOCKED, "operator token '%s'",
                             token_label);
        else
            ret = evote_fail(EVOTE_ERR_PIN_INCORRECT,
                             "login to operator token '%s' failed", token_label);
        goto out;
    }

    ENSURE(PKCS11_enumerate_keys(slot->token, &keys, &nkeys) == 0,
           EVOTE_ERR_PKCS11, "cannot list keys on token '%s'", token_label);
    for (unsigned int i = 0; i < nkeys; i++) {
        if (key_label == NULL || (keys[i].label != NULL &&
                                  strcmp(keys[i].label, key_label) == 0)) {
            ENSURE(key == NULL, EVOTE_ERR_KEY_NOT_FOUND,
                   "token '%s' holds several private keys: name one with "
                   "--operator-key-label",
                   token_label);
            key = &keys[i];
        }
    }
    ENSURE(key != NULL, EVOTE_ERR_KEY_NOT_FOUND,
           "no private key%s%s on operator token '%s'", key_label ? " labelled " : "",
           key_label ? key_label : "", token_label);

    ENSURE(PKCS11_enumerate_certs(slot->token, &certs, &ncerts) == 0,
           EVOTE_ERR_PKCS11, "cannot list certificates on token '%s'",
           token_label);
    for (unsigned int i = 0; i < ncerts; i++) {
        if (certs[i].id_len == key->id_len && certs[i].x509 != NULL &&
            memcmp(certs[i].id, key->id, key->id_len) == 0) {
            cert = &certs[i];
            break;
        }
    }
    ENSURE(cert != NULL, EVOTE_ERR_KEY_NOT_FOUND,
           "operator token '%s' has no certificate with the key's CKA_ID",
           token_label);
    ALLOC_GUARD(s->cert = X509_dup(cert->x509));
    ALLOC_GUARD(s->key = PKCS11_get_private_key(key));
    GUARD(set_cert_der(s, s->cert));
    if (X509_check_private_key(s->cert, s->key) != 1) {
        ERR_clear_error();
        ret = evote_fail(EVOTE_ERR_KEY_NOT_FOUND,
                         "certificate on operator token '%s' does not match "
                         "the private key",
                         token_label);
        goto out;
    }
    *out = s;
    s = NULL;
out:
    if (pin_copy != NULL) {
        evote_wipe(pin_copy, pin_len);
        free(pin_copy);
    }
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
    GUARD(set_cert_der(s, x));
    *out = s;
    s = NULL;
out:
    X509_free(x);
    ERR_clear_error();
    evote_audit_signer_free(s);
    return ret;
}

const uint8_t *evote_audit_signer_cert(const evote_audit_signer_t *s, size_t *len) {
    if (s == NULL) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    if (len != NULL)
        *len = s->cert_len;
    return s->cert_der;
}

void evote_audit_signer_free(evote_audit_signer_t *s) {
    if (s == NULL)
        return;
    X509_free(s->cert);
    EVP_PKEY_free(s->key);
    if (s->slots != NULL)
        PKCS11_release_all_slots(s->ctx, s->slots, s->nslots);
    if (s->ctx != NULL) {
        if (s->loaded)
            PKCS11_CTX_unload(s->ctx);
        PKCS11_CTX_free(s->ctx);
    }
    free(s->cert_der);
    evote_wipe(s, sizeof(*s));
    free(s);
}

/*
 * Detached CMS over data with a key and certificate. The certificate is
 * not embedded: the entry body names it (and is what the signature
 * covers), and unsigned bytes in the CMS would be editable unnoticed.
 */
evote_err_t evote_cms_sign_detached(EVP_PKEY *key, X509 *cert, const uint8_t *data,
                                    size_t len, uint8_t **out, size_t *out_len) {
    evote_err_t ret = EVOTE_OK;
    BIO *in = NULL;
    CMS_ContentInfo *cms = NULL;
    unsigned char *der = NULL;
    int n;

    *out = NULL;
    *out_len = 0;
    ALLOC_GUARD(in = BIO_new_mem_buf(data, (int)len));
    cms = CMS_sign(cert, key, NULL, in,
                   CMS_DETACHED | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOCERTS);
    if (cms == NULL) {
        ret = evote_fail_ossl(EVOTE_ERR_CRYPTO, "CMS_sign (audit entry)");
        goto out;
    }
    n = i2d_CMS_ContentInfo(cms, &der);
    if (n <= 0) {
        ret = evote_fail_ossl(EVOTE_ERR_CRYPTO, "i2d_CMS_ContentInfo");
        goto out;
    }
    *out = der;
    *out_len = (size_t)n;
out:
    BIO_free(in);
    CMS_ContentInfo_free(cms);
    return ret;
}

evote_err_t evote_audit_signer_sign(evote_audit_signer_t *s, const uint8_t *data,
                                    size_t len, uint8_t **cms, size_t *cms_len) {
    *cms = NULL;
    *cms_len = 0;
    if (s->fn != NULL)
        return s->fn(s->fn_ctx, data, len, cms, cms_len);
    if (s->key == NULL || s->cert == NULL)
        return evote_fail(EVOTE_ERR_STATE, "audit signer has no key");
    return evote_cms_sign_detached(s->key, s->cert, data, len, cms, cms_len);
}
