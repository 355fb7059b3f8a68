/*
 * libevote — CMS SignedData verification against configured CAs and CRLs.
 *
 * The signature is checked first (CMS_verify without certificate
 * verification), then the signer's chain with an X509_STORE_CTX at the
 * caller's time, so that every failure maps to one precise code.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "evote/cms.h"
#include "cms_internal.h"
#include "internal.h"

#define PEM_FILE_MAX (8u * 1024u * 1024u)

struct evote_cms_verifier {
    X509_STORE *store;
    STACK_OF(X509) *cas;
    int ncrls;
};

evote_err_t evote_cms_verifier_new(evote_cms_verifier_t **out) {
    evote_err_t ret = EVOTE_OK;
    evote_cms_verifier_t *v = NULL;

    ENSURE(out != NULL, EVOTE_ERR_ARG, "verifier: bad argument");
    *out = NULL;
    ALLOC_GUARD(v = calloc(1, sizeof(*v)));
    ALLOC_GUARD(v->store = X509_STORE_new());
    ALLOC_GUARD(v->cas = sk_X509_new_null());
    *out = v;
    v = NULL;
out:
    evote_cms_verifier_free(v);
    return ret;
}

void evote_cms_verifier_free(evote_cms_verifier_t *v) {
    if (v == NULL)
        return;
    X509_STORE_free(v->store);
    sk_X509_pop_free(v->cas, X509_free);
    free(v);
}

/*
 * Certificates and CRLs load the same way: every PEM object of the kind in
 * the buffer, or else the whole buffer as one DER object. One loader serves
 * both, driven by a small table of the type's functions.
 */
struct pki_kind {
    const char *noun; /* in "no PEM or DER <noun>" */
    void *(*read_pem)(BIO *bio);
    void *(*read_der)(const unsigned char **p, long len);
    /* Puts obj into the verifier; takes ownership of obj whatever happens. */
    evote_err_t (*keep)(evote_cms_verifier_t *v, void *obj);
    void (*free_obj)(void *obj);
};

static void *cert_pem(BIO *bio) { return PEM_read_bio_X509(bio, NULL, NULL, NULL); }
static void *cert_der(const unsigned char **p, long len) { return d2i_X509(NULL, p, len); }
static void cert_free(void *x) { X509_free(x); }
static evote_err_t cert_keep(evote_cms_verifier_t *v, void *obj) {
    evote_err_t ret = EVOTE_OK;
    X509 *x = obj;
    OSSL_GUARD(X509_STORE_add_cert(v->store, x));
    ENSURE(sk_X509_push(v->cas, x) > 0, EVOTE_ERR_NOMEM, "out of memory");
    x = NULL; /* v->cas owns it now */
out:
    X509_free(x);
    return ret;
}

static void *crl_pem(BIO *bio) { return PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL); }
static void *crl_der(const unsigned char **p, long len) { return d2i_X509_CRL(NULL, p, len); }
static void crl_free(void *c) { X509_CRL_free(c); }
static evote_err_t crl_keep(evote_cms_verifier_t *v, void *obj) {
    evote_err_t ret = EVOTE_OK;
    OSSL_GUARD(X509_STORE_add_crl(v->store, obj)); /* the store takes its own reference */
    v->ncrls++;
out:
    X509_CRL_free(obj);
    return ret;
}

static const struct pki_kind kind_cert = {"certificate", cert_pem, cert_der, cert_keep,
                                          cert_free};
static const struct pki_kind kind_crl = {"CRL", crl_pem, crl_der, crl_keep, crl_free};

static evote_err_t add_pki(evote_cms_verifier_t *v, const struct pki_kind *k,
                           const uint8_t *data, size_t len, const char *what) {
    evote_err_t ret = EVOTE_OK;
    BIO *bio = NULL;
    void *obj = NULL;
    int added = 0;

    ENSURE(len <= PEM_FILE_MAX && len <= INT32_MAX, EVOTE_ERR_TOO_LARGE, "%s: too large",
           what);
    ALLOC_GUARD(bio = BIO_new_mem_buf(data, (int)len));
    while ((obj = k->read_pem(bio)) != NULL) {
        GUARD(k->keep(v, obj));
        added++;
    }
    ERR_clear_error();
    if (added == 0) {
        const unsigned char *p = data;
        obj = k->read_der(&p, (long)len);
        if (obj == NULL || p != data + len) {
            k->free_obj(obj);
            ret = evote_fail(EVOTE_ERR_FORMAT, "%s: no PEM or DER %s", what, k->noun);
            goto out;
        }
        GUARD(k->keep(v, obj));
    }
out:
    ERR_clear_error();
    BIO_free(bio);
    return ret;
}

evote_err_t evote_cms_verifier_add_ca(evote_cms_verifier_t *v, const uint8_t *data,
                                      size_t len) {
    if (v == NULL || data == NULL)
        return evote_fail(EVOTE_ERR_ARG, "add CA: bad argument");
    return add_pki(v, &kind_cert, data, len, "CA certificate");
}

evote_err_t evote_cms_verifier_add_ca_file(evote_cms_verifier_t *v, const char *path) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    ENSURE(v != NULL && path != NULL, EVOTE_ERR_ARG, "add CA: bad argument");
    GUARD(evote_read_file(path, PEM_FILE_MAX, &data, &len));
    GUARD(add_pki(v, &kind_cert, data, len, path));
out:
    free(data);
    return ret;
}

evote_err_t evote_cms_verifier_add_crl(evote_cms_verifier_t *v, const uint8_t *data,
                                       size_t len) {
    if (v == NULL || data == NULL)
        return evote_fail(EVOTE_ERR_ARG, "add CRL: bad argument");
    return add_pki(v, &kind_crl, data, len, "CRL");
}

evote_err_t evote_cms_verifier_add_crl_file(evote_cms_verifier_t *v, const char *path) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    ENSURE(v != NULL && path != NULL, EVOTE_ERR_ARG, "add CRL: bad argument");
    GUARD(evote_read_file(path, PEM_FILE_MAX, &data, &len));
    GUARD(add_pki(v, &kind_crl, data, len, path));
out:
    free(data);
    return ret;
}

void evote_cms_result_clear(evote_cms_result_t *r) {
    if (r == NULL)
        return;
    free(r->content);
    free(r->cert_der);
    memset(r, 0, sizeof(*r));
}

static evote_err_t map_verify_error(int err, int depth) {
    const char *why = X509_verify_cert_error_string(err);
    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return evote_fail(EVOTE_ERR_CERT_EXPIRED, "certificate at depth %d: %s", depth,
                          why);
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return evote_fail(EVOTE_ERR_CERT_NOT_YET_VALID, "certificate at depth %d: %s",
                          depth, why);
    case X509_V_ERR_CERT_REVOKED:
        return evote_fail(EVOTE_ERR_CERT_REVOKED, "certificate at depth %d: %s", depth,
                          why);
    default:
        return evote_fail(EVOTE_ERR_CERT_CHAIN, "certificate at depth %d: %s", depth,
                          why);
    }
}

/* Chain of the signer certificate to a configured CA at time at. */
static evote_err_t verify_chain(const evote_cms_verifier_t *v, X509 *signer,
                                STACK_OF(X509) *untrusted, int64_t at) {
    evote_err_t ret = EVOTE_OK;
    X509_STORE_CTX *ctx = NULL;

    ALLOC_GUARD(ctx = X509_STORE_CTX_new());
    OSSL_GUARD(X509_STORE_CTX_init(ctx, v->store, signer, untrusted));
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)at);
    unsigned long flags = X509_V_FLAG_X509_STRICT;
    if (v->ncrls > 0)
        flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
    X509_VERIFY_PARAM_set_flags(param, flags);
    if (X509_verify_cert(ctx) != 1) {
        ret = map_verify_error(X509_STORE_CTX_get_error(ctx),
                               X509_STORE_CTX_get_error_depth(ctx));
        goto out;
    }
out:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    return ret;
}

evote_err_t evote_cms_verify(const evote_cms_verifier_t *v, const uint8_t *der,
                             size_t der_len, const uint8_t *detached, size_t detached_len,
                             int64_t at, evote_cms_result_t *res) {
    evote_err_t ret = EVOTE_OK;
    CMS_ContentInfo *cms = NULL;
    BIO *dcont = NULL, *out = NULL;
    STACK_OF(X509) *signers = NULL;
    STACK_OF(X509) *certs = NULL;
    STACK_OF(CMS_SignerInfo) *sis = NULL;
    X509 *signer = NULL;
    evote_cms_result_t r;
    const unsigned char *p = der;
    char *mem = NULL;
    long mlen;

    memset(&r, 0, sizeof(r));
    if (res != NULL)
        memset(res, 0, sizeof(*res));
    ENSURE(v != NULL && der != NULL && (detached != NULL || detached_len == 0),
           EVOTE_ERR_ARG, "cms verify: bad argument");
    ENSURE(der_len <= EVOTE_CMS_MAX, EVOTE_ERR_TOO_LARGE,
           "signed message of %zu bytes exceeds %u", der_len, EVOTE_CMS_MAX);
    ENSURE(detached_len <= EVOTE_CMS_MAX, EVOTE_ERR_TOO_LARGE,
           "detached content of %zu bytes exceeds %u", detached_len, EVOTE_CMS_MAX);

    /* ---- structure ---- */
    cms = d2i_CMS_ContentInfo(NULL, &p, (long)der_len);
    ENSURE(cms != NULL, EVOTE_ERR_CMS_FORMAT, "not DER CMS");
    ENSURE(p == der + der_len, EVOTE_ERR_CMS_FORMAT, "%zu trailing bytes after the CMS",
           (size_t)(der + der_len - p));
    ENSURE(OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed, EVOTE_ERR_CMS_FORMAT,
           "CMS content type is not SignedData");
    sis = CMS_get0_SignerInfos(cms);
    ENSURE(sis != NULL && sk_CMS_SignerInfo_num(sis) == 1, EVOTE_ERR_CMS_FORMAT,
           "SignedData must have exactly one signer");
    ENSURE(OBJ_obj2nid(CMS_get0_eContentType(cms)) == NID_pkcs7_data,
           EVOTE_ERR_CMS_FORMAT, "signed content type is not id-data");
    int is_detached = CMS_is_detached(cms);
    ENSURE(!(is_detached && detached == NULL), EVOTE_ERR_CMS_FORMAT,
           "detached signature but no content given");
    ENSURE(!(!is_detached && detached != NULL), EVOTE_ERR_CMS_FORMAT,
           "content given but the signature is not detached");
    certs = CMS_get1_certs(cms);
    ENSURE(certs != NULL, EVOTE_ERR_CMS_FORMAT, "SignedData carries no certificate");
    /* The signer's certificate must be in the message itself. */
    if (CMS_set1_signers_certs(cms, certs, CMS_NOINTERN) < 0) {
        ERR_clear_error();
        ret = evote_fail(EVOTE_ERR_CMS_FORMAT, "signer certificate missing");
        goto out;
    }
    signers = CMS_get0_signers(cms);
    ENSURE(signers != NULL && sk_X509_num(signers) == 1 && sk_X509_value(signers, 0),
           EVOTE_ERR_CMS_FORMAT, "signer certificate missing");
    signer = sk_X509_value(signers, 0);

    /* ---- signature ---- */
    if (is_detached)
        ALLOC_GUARD(dcont = BIO_new_mem_buf(detached, (int)detached_len));
    ALLOC_GUARD(out = BIO_new(BIO_s_mem()));
    if (CMS_verify(cms, certs, NULL, dcont, out,
                   CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | CMS_NOINTERN) != 1) {
        ret = evote_fail_ossl(EVOTE_ERR_SIGNATURE, "CMS signature");
        goto out;
    }

    /* ---- chain, validity, revocation ---- */
    GUARD(verify_chain(v, signer, certs, at));

    if (res == NULL)
        goto out;
    mlen = BIO_get_mem_data(out, &mem);
    ENSURE(mlen >= 0, EVOTE_ERR_CRYPTO, "CMS content");
    ALLOC_GUARD(r.content = malloc((size_t)mlen + 1));
    if (mlen > 0)
        memcpy(r.content, mem, (size_t)mlen);
    r.content_len = (size_t)mlen;
    int n = i2d_X509(signer, NULL);
    ENSURE(n > 0, EVOTE_ERR_CRYPTO, "certificate encoding");
    ALLOC_GUARD(r.cert_der = malloc((size_t)n));
    unsigned char *q = r.cert_der;
    ENSURE(i2d_X509(signer, &q) == n, EVOTE_ERR_CRYPTO, "certificate encoding");
    r.cert_der_len = (size_t)n;
    GUARD(evote_sha256(r.cert_der, r.cert_der_len, r.cert_sha256));
    GUARD(evote_cms_cert_names(signer, r.issuer, sizeof(r.issuer), r.serial_hex,
                               sizeof(r.serial_hex)));
    *res = r;
    memset(&r, 0, sizeof(r));
out:
    ERR_clear_error();
    evote_cms_result_clear(&r);
    sk_X509_free(signers);
    sk_X509_pop_free(certs, X509_free);
    BIO_free(dcont);
    BIO_free(out);
    CMS_ContentInfo_free(cms);
    return ret;
}

evote_err_t evote_cms_cert_names(const X509 *cert, char *issuer, size_t issuer_cap,
                                 char *serial_hex, size_t serial_cap) {
    evote_err_t ret = EVOTE_OK;
    BIO *mem = NULL;
    BIGNUM *bn = NULL;
    char *hex = NULL, *data = NULL;

    ALLOC_GUARD(mem = BIO_new(BIO_s_mem()));
    ENSURE(X509_NAME_print_ex(mem, X509_get_issuer_name(cert), 0, XN_FLAG_RFC2253) >= 0,
           EVOTE_ERR_CRYPTO, "issuer name");
    long n = BIO_get_mem_data(mem, &data);
    ENSURE(n >= 0 && (size_t)n < issuer_cap, EVOTE_ERR_FORMAT, "issuer name too long");
    memcpy(issuer, data, (size_t)n);
    issuer[n] = '\0';
    ALLOC_GUARD(bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL));
    ENSURE(!BN_is_negative(bn), EVOTE_ERR_FORMAT, "negative certificate serial");
    ALLOC_GUARD(hex = BN_bn2hex(bn));
    const char *h = hex;
    while (h[0] == '0' && h[1] != '\0')
        h++;
    ENSURE(strlen(h) < serial_cap, EVOTE_ERR_FORMAT, "serial number too long");
    for (size_t i = 0; h[i]; i++)
        serial_hex[i] = (char)((h[i] >= 'A' && h[i] <= 'F') ? h[i] - 'A' + 'a' : h[i]);
    serial_hex[strlen(h)] = '\0';
out:
    ERR_clear_error();
    OPENSSL_free(hex);
    BN_free(bn);
    BIO_free(mem);
    return ret;
}
