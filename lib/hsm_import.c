/*
 * libevote — put an existing key and its certificate on a PKCS#11 token.
 *
 * Test fixtures and the demo need voter "cards": a SoftHSM2 token holding
 * the voter's private key and certificate, as a real ID card would. A real
 * card's key is generated on the card; importing is only for stand-ins.
 * Raw PKCS#11 (p11-kit's header) because libp11 cannot store EC keys.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hsm_internal.h"

#define IMPORT_PEM_MAX (64 * 1024)
#define BN_MAX 512
#define ID_LEN 20

#define IMP_GUARD(call, what)                                                  \
    do {                                                                       \
        CK_RV p11_rv_ = (call);                                                \
        if (p11_rv_ != CKR_OK) {                                               \
            ret = evote_hsm_ckr(p11_rv_, what);                                    \
            goto out;                                                          \
        }                                                                      \
    } while (0)


struct bnattr {
    const char *param;
    CK_ATTRIBUTE_TYPE type;
};

/* Big-endian bytes of an RSA parameter into buf; *len receives the size. */
static evote_err_t rsa_param(EVP_PKEY *k, const char *name, uint8_t *buf, size_t cap,
                             size_t *len) {
    evote_err_t ret = EVOTE_OK;
    BIGNUM *bn = NULL;
    ENSURE(EVP_PKEY_get_bn_param(k, name, &bn) == 1, EVOTE_ERR_FORMAT,
           "RSA key lacks %s", name);
    int n = BN_num_bytes(bn);
    ENSURE(n > 0 && (size_t)n <= cap, EVOTE_ERR_FORMAT, "RSA %s too large", name);
    ENSURE(BN_bn2bin(bn, buf) == n, EVOTE_ERR_CRYPTO, "BN_bn2bin");
    *len = (size_t)n;
out:
    BN_clear_free(bn);
    ERR_clear_error();
    return ret;
}

static evote_err_t read_pem(const char *path, EVP_PKEY **key, X509 **cert) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    BIO *bio = NULL;
    GUARD(evote_read_file(path, IMPORT_PEM_MAX, &data, &len));
    ALLOC_GUARD(bio = BIO_new_mem_buf(data, (int)len));
    if (key != NULL) {
        *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        ENSURE(*key != NULL, EVOTE_ERR_FORMAT, "%s: not a PEM private key", path);
    } else {
        *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        ENSURE(*cert != NULL, EVOTE_ERR_FORMAT, "%s: not a PEM certificate", path);
    }
out:
    ERR_clear_error();
    BIO_free(bio);
    if (data != NULL) {
        evote_wipe(data, len);
        free(data);
    }
    return ret;
}

/* DER of an X509 part into a fresh buffer. */
#define I2D(fn, obj, ptr, n)                                                   \
    do {                                                                       \
        (n) = fn((obj), &(ptr));                                               \
        ENSURE((n) > 0, EVOTE_ERR_CRYPTO, #fn);                                \
    } while (0)

/* Import one key and certificate through an open, logged-in session. */
static evote_err_t import_one(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE sess,
                              const char *token_label, const char *key_label,
                              const char *key_pem_path, const char *cert_pem_path) {
    evote_err_t ret = EVOTE_OK;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    unsigned char *cert_der = NULL, *subj = NULL, *iss = NULL, *serial = NULL,
                  *spki = NULL;
    int cert_n = 0, subj_n = 0, iss_n = 0, serial_n = 0, spki_n = 0;
    uint8_t id[EVOTE_HASH_LEN];
    /* RSA parts */
    uint8_t rn[BN_MAX], re[BN_MAX], rd[BN_MAX], rp[BN_MAX], rq[BN_MAX], rdp[BN_MAX],
        rdq[BN_MAX], rqi[BN_MAX];
    size_t ln = 0, le = 0, ld = 0, lp = 0, lq = 0, ldp = 0, ldq = 0, lqi = 0;
    /* EC parts */
    static const uint8_t p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x03, 0x01, 0x07};
    uint8_t ec_priv[32], ec_point[67];
    BIGNUM *ecd = NULL;

    memset(ec_priv, 0, sizeof(ec_priv));
    ENSURE(key_label != NULL && key_pem_path != NULL && cert_pem_path != NULL,
           EVOTE_ERR_ARG, "import: bad argument");

    GUARD(read_pem(key_pem_path, &key, NULL));
    GUARD(read_pem(cert_pem_path, NULL, &cert));
    ENSURE(EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1, EVOTE_ERR_KEY_MISMATCH,
           "%s does not belong to %s", cert_pem_path, key_pem_path);
    I2D(i2d_X509, cert, cert_der, cert_n);
    I2D(i2d_X509_NAME, X509_get_subject_name(cert), subj, subj_n);
    I2D(i2d_X509_NAME, X509_get_issuer_name(cert), iss, iss_n);
    I2D(i2d_ASN1_INTEGER, X509_get0_serialNumber(cert), serial, serial_n);
    I2D(i2d_PUBKEY, key, spki, spki_n);
    /* CKA_ID: a digest of the public key, so key and certificate pair up. */
    GUARD(evote_sha256(spki, (size_t)spki_n, id));

    /* Refuse to shadow an existing key of the same label. */
    {
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        CK_ATTRIBUTE q[] = {{CKA_CLASS, &cls, sizeof(cls)},
                            {CKA_LABEL, (void *)key_label, strlen(key_label)}};
        CK_OBJECT_HANDLE h;
        CK_ULONG n = 0;
        IMP_GUARD(f->C_FindObjectsInit(sess, q, 2), "C_FindObjectsInit");
        CK_RV rv = f->C_FindObjects(sess, &h, 1, &n);
        f->C_FindObjectsFinal(sess);
        IMP_GUARD(rv, "C_FindObjects");
        ENSURE(n == 0, EVOTE_ERR_KEY_EXISTS, "a key labelled '%s' exists on '%s'",
               key_label, token_label);
    }

    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS priv_cls = CKO_PRIVATE_KEY, pub_cls = CKO_PUBLIC_KEY,
                    cert_cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ctype = CKC_X_509;
    CK_OBJECT_HANDLE obj;
    if (EVP_PKEY_is_a(key, "RSA")) {
        CK_KEY_TYPE kt = CKK_RSA;
        GUARD(rsa_param(key, OSSL_PKEY_PARAM_RSA_N, rn, sizeof(rn), &ln));
        GUARD(rsa_param(key, OSSL_PKEY_PARAM_RSA_E, re, sizeof(re), &le));
        GUARD(rsa_param(key, OSSL_PKEY_PARAM_RSA_D, rd, sizeof(rd), &ld));
        GUARD(rsa_param(key, OSSL_PKEY_PARAM_RSA_FACTOR1, rp, sizeof(rp), &lp));
        GUARD(rsa_param(key, OSSL_PKEY_PARAM_RSA_FACTOR2, rq, sizeof(rq), &lq));
        GUARD(rsa_param(key, OSSL_PKEY_PARAM_RSA_EXPONENT1, rdp, sizeof(rdp), &ldp));
        GUARD(rsa_param(key, OSSL_PKEY_PARAM_RSA_EXPONENT2, rdq, sizeof(rdq), &ldq));
        GUARD(rsa_param(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, rqi, sizeof(rqi), &lqi));
        CK_ATTRIBUTE priv[] = {
            {CKA_CLASS, &priv_cls, sizeof(priv_cls)}, {CKA_KEY_TYPE, &kt, sizeof(kt)},
            {CKA_TOKEN, &yes, sizeof(yes)},          {CKA_PRIVATE, &yes, sizeof(yes)},
            {CKA_SENSITIVE, &yes, sizeof(yes)},      {CKA_EXTRACTABLE, &no, sizeof(no)},
            {CKA_SIGN, &yes, sizeof(yes)},           {CKA_DECRYPT, &no, sizeof(no)},
            {CKA_UNWRAP, &no, sizeof(no)},
            {CKA_LABEL, (void *)key_label, strlen(key_label)},
            {CKA_ID, id, ID_LEN},                    {CKA_MODULUS, rn, ln},
            {CKA_PUBLIC_EXPONENT, re, le},           {CKA_PRIVATE_EXPONENT, rd, ld},
            {CKA_PRIME_1, rp, lp},                   {CKA_PRIME_2, rq, lq},
            {CKA_EXPONENT_1, rdp, ldp},              {CKA_EXPONENT_2, rdq, ldq},
            {CKA_COEFFICIENT, rqi, lqi},
        };
        IMP_GUARD(f->C_CreateObject(sess, priv, sizeof(priv) / sizeof(priv[0]), &obj),
                  "C_CreateObject(RSA private key)");
        CK_ATTRIBUTE pub[] = {
            {CKA_CLASS, &pub_cls, sizeof(pub_cls)}, {CKA_KEY_TYPE, &kt, sizeof(kt)},
            {CKA_TOKEN, &yes, sizeof(yes)},        {CKA_VERIFY, &yes, sizeof(yes)},
            {CKA_LABEL, (void *)key_label, strlen(key_label)},
            {CKA_ID, id, ID_LEN},                  {CKA_MODULUS, rn, ln},
            {CKA_PUBLIC_EXPONENT, re, le},
        };
        IMP_GUARD(f->C_CreateObject(sess, pub, sizeof(pub) / sizeof(pub[0]), &obj),
                  "C_CreateObject(RSA public key)");
    } else if (EVP_PKEY_is_a(key, "EC")) {
        CK_KEY_TYPE kt = CKK_EC;
        char group[32] = "";
        size_t plen = 0;
        ENSURE(EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                              sizeof(group), NULL) == 1 &&
                   strcmp(group, "prime256v1") == 0,
               EVOTE_ERR_FORMAT, "%s: only P-256 EC keys are supported", key_pem_path);
        ENSURE(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &ecd) == 1,
               EVOTE_ERR_FORMAT, "%s: no private scalar", key_pem_path);
        ENSURE(BN_bn2binpad(ecd, ec_priv, 32) == 32, EVOTE_ERR_FORMAT, "EC scalar");
        /* CKA_EC_POINT: DER OCTET STRING around the uncompressed point. */
        ec_point[0] = 0x04;
        ec_point[1] = 65;
        ENSURE(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, ec_point + 2,
                                               65, &plen) == 1 &&
                   plen == 65,
               EVOTE_ERR_FORMAT, "%s: public point", key_pem_path);
        CK_ATTRIBUTE priv[] = {
            {CKA_CLASS, &priv_cls, sizeof(priv_cls)}, {CKA_KEY_TYPE, &kt, sizeof(kt)},
            {CKA_TOKEN, &yes, sizeof(yes)},          {CKA_PRIVATE, &yes, sizeof(yes)},
            {CKA_SENSITIVE, &yes, sizeof(yes)},      {CKA_EXTRACTABLE, &no, sizeof(no)},
            {CKA_SIGN, &yes, sizeof(yes)},           {CKA_DERIVE, &no, sizeof(no)},
            {CKA_DECRYPT, &no, sizeof(no)},          {CKA_UNWRAP, &no, sizeof(no)},
            {CKA_LABEL, (void *)key_label, strlen(key_label)},
            {CKA_ID, id, ID_LEN},
            {CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid)},
            {CKA_VALUE, ec_priv, sizeof(ec_priv)},
        };
        IMP_GUARD(f->C_CreateObject(sess, priv, sizeof(priv) / sizeof(priv[0]), &obj),
                  "C_CreateObject(EC private key)");
        CK_ATTRIBUTE pub[] = {
            {CKA_CLASS, &pub_cls, sizeof(pub_cls)}, {CKA_KEY_TYPE, &kt, sizeof(kt)},
            {CKA_TOKEN, &yes, sizeof(yes)},        {CKA_VERIFY, &yes, sizeof(yes)},
            {CKA_LABEL, (void *)key_label, strlen(key_label)},
            {CKA_ID, id, ID_LEN},
            {CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid)},
            {CKA_EC_POINT, ec_point, sizeof(ec_point)},
        };
        IMP_GUARD(f->C_CreateObject(sess, pub, sizeof(pub) / sizeof(pub[0]), &obj),
                  "C_CreateObject(EC public key)");
    } else {
        ret = evote_fail(EVOTE_ERR_FORMAT, "%s: only RSA and P-256 keys are supported",
                         key_pem_path);
        goto out;
    }
    CK_ATTRIBUTE ca[] = {
        {CKA_CLASS, &cert_cls, sizeof(cert_cls)},
        {CKA_CERTIFICATE_TYPE, &ctype, sizeof(ctype)},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &no, sizeof(no)},
        {CKA_LABEL, (void *)key_label, strlen(key_label)},
        {CKA_ID, id, ID_LEN},
        {CKA_SUBJECT, subj, (CK_ULONG)subj_n},
        {CKA_ISSUER, iss, (CK_ULONG)iss_n},
        {CKA_SERIAL_NUMBER, serial, (CK_ULONG)serial_n},
        {CKA_VALUE, cert_der, (CK_ULONG)cert_n},
    };
    IMP_GUARD(f->C_CreateObject(sess, ca, sizeof(ca) / sizeof(ca[0]), &obj),
              "C_CreateObject(certificate)");
out:
    ERR_clear_error();
    evote_wipe(rd, sizeof(rd));
    evote_wipe(rp, sizeof(rp));
    evote_wipe(rq, sizeof(rq));
    evote_wipe(rdp, sizeof(rdp));
    evote_wipe(rdq, sizeof(rdq));
    evote_wipe(rqi, sizeof(rqi));
    evote_wipe(ec_priv, sizeof(ec_priv));
    BN_clear_free(ecd);
    OPENSSL_free(cert_der);
    OPENSSL_free(subj);
    OPENSSL_free(iss);
    OPENSSL_free(serial);
    OPENSSL_free(spki);
    EVP_PKEY_free(key);
    X509_free(cert);
    return ret;
}

evote_err_t evote_hsm_import_key_certs(const char *module_path, const char *token_label,
                                       const char *pin, size_t pin_len, size_t n,
                                       const char *const *key_labels,
                                       const char *const *key_pem_paths,
                                       const char *const *cert_pem_paths) {
    evote_err_t ret = EVOTE_OK;
    evote_hsm_t *hsm = NULL;
    CK_SESSION_HANDLE sess = CK_INVALID_HANDLE;

    ENSURE(token_label != NULL && key_labels != NULL && key_pem_paths != NULL &&
               cert_pem_paths != NULL && (pin != NULL || pin_len == 0),
           EVOTE_ERR_ARG, "import: bad argument");
    /* Through lib/hsm.c's module registry: the module is initialised once
     * per process, whoever else in the process uses it. */
    GUARD(evote_hsm_open(&hsm, module_path, token_label, pin, pin_len, 1));
    sess = evote_hsm_session_get(hsm);
    for (size_t i = 0; i < n; i++)
        GUARD(import_one(evote_hsm_functions(hsm), sess, token_label, key_labels[i],
                         key_pem_paths[i], cert_pem_paths[i]));
out:
    if (sess != CK_INVALID_HANDLE)
        evote_hsm_session_put(hsm, sess);
    evote_hsm_free(hsm);
    return ret;
}

evote_err_t evote_hsm_import_key_cert(const char *module_path, const char *token_label,
                                      const char *pin, size_t pin_len,
                                      const char *key_label, const char *key_pem_path,
                                      const char *cert_pem_path) {
    return evote_hsm_import_key_certs(module_path, token_label, pin, pin_len, 1, &key_label,
                                      &key_pem_path, &cert_pem_path);
}
