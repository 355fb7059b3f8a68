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

enum { OBJ_PRIV, OBJ_PUB, OBJ_CERT, NOBJ };

struct staged {
    CK_OBJECT_HANDLE session[NOBJ], token[NOBJ];
};

/* Make one object: a session object to copy (stage != NULL and copying
 * works), else directly on the token. tmpl[token_at] is CKA_TOKEN. */
static CK_RV make_object(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE sess, CK_ATTRIBUTE *tmpl,
                         CK_ULONG n, size_t token_at, bool copy, CK_OBJECT_HANDLE *session_obj,
                         CK_OBJECT_HANDLE *token_obj) {
    static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    if (token_at >= n || tmpl[token_at].type != CKA_TOKEN)
        return CKR_GENERAL_ERROR;
    tmpl[token_at].pValue = copy ? &no : &yes;
    return f->C_CreateObject(sess, tmpl, n, copy ? session_obj : token_obj);
}

/* Copy the staged session objects onto the token. *unsupported: the token
 * refused copying as such (the caller may create on the token instead). */
static CK_RV copy_staged(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE sess, struct staged *st,
                         bool *unsupported) {
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE tmpl[] = {{CKA_TOKEN, &yes, sizeof(yes)}};
    *unsupported = false;
    for (size_t i = 0; i < NOBJ; i++) {
        CK_RV rv = f->C_CopyObject(sess, st->session[i], tmpl, 1, &st->token[i]);
        if (rv != CKR_OK) {
            st->token[i] = CK_INVALID_HANDLE;
            *unsupported = i == 0 && (rv == CKR_FUNCTION_NOT_SUPPORTED ||
                                      rv == CKR_ATTRIBUTE_READ_ONLY ||
                                      rv == CKR_TEMPLATE_INCONSISTENT ||
                                      rv == CKR_ACTION_PROHIBITED);
            return rv;
        }
    }
    return CKR_OK;
}

/* Destroy what is left: the session objects always, the token objects of
 * this key too unless keep_token. */
static void unstage(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE sess, struct staged *st,
                    bool keep_token) {
    for (size_t i = 0; i < NOBJ; i++) {
        if (st->session[i] != CK_INVALID_HANDLE)
            f->C_DestroyObject(sess, st->session[i]);
        if (!keep_token && st->token[i] != CK_INVALID_HANDLE)
            f->C_DestroyObject(sess, st->token[i]);
        st->session[i] = st->token[i] = CK_INVALID_HANDLE;
    }
}

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

/*
 * Import one key and certificate through an open, logged-in session. The
 * three objects are first made as session objects, in memory, then copied
 * onto the token each in one piece (C_CopyObject with CKA_TOKEN true) and
 * the session objects destroyed. SoftHSM2's file store rewrites a token
 * object's file once per attribute that C_CreateObject fills in (about 30
 * writes, each an ftruncate, per object) but writes a copy once; a token
 * whose C_CopyObject refuses (CKR_FUNCTION_NOT_SUPPORTED, read-only or
 * inconsistent template) gets the objects made on the token directly.
 * On failure nothing of this key stays on the token.
 */
static evote_err_t import_objects(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE sess,
                                  const char *key_label, const char *key_pem_path,
                                  const char *cert_pem_path, bool copy, bool *unsupported) {
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
    struct staged st;
    bool done = false;

    *unsupported = false;
    for (size_t i = 0; i < NOBJ; i++)
        st.session[i] = st.token[i] = CK_INVALID_HANDLE;
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

    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS priv_cls = CKO_PRIVATE_KEY, pub_cls = CKO_PUBLIC_KEY,
                    cert_cls = CKO_CERTIFICATE;
    CK_CERTIFICATE_TYPE ctype = CKC_X_509;
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
        IMP_GUARD(make_object(f, sess, priv, sizeof(priv) / sizeof(priv[0]), 2, copy,
                              &st.session[OBJ_PRIV], &st.token[OBJ_PRIV]),
                  "C_CreateObject(RSA private key)");
        CK_ATTRIBUTE pub[] = {
            {CKA_CLASS, &pub_cls, sizeof(pub_cls)}, {CKA_KEY_TYPE, &kt, sizeof(kt)},
            {CKA_TOKEN, &yes, sizeof(yes)},        {CKA_VERIFY, &yes, sizeof(yes)},
            {CKA_LABEL, (void *)key_label, strlen(key_label)},
            {CKA_ID, id, ID_LEN},                  {CKA_MODULUS, rn, ln},
            {CKA_PUBLIC_EXPONENT, re, le},
        };
        IMP_GUARD(make_object(f, sess, pub, sizeof(pub) / sizeof(pub[0]), 2, copy,
                              &st.session[OBJ_PUB], &st.token[OBJ_PUB]),
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
        IMP_GUARD(make_object(f, sess, priv, sizeof(priv) / sizeof(priv[0]), 2, copy,
                              &st.session[OBJ_PRIV], &st.token[OBJ_PRIV]),
                  "C_CreateObject(EC private key)");
        CK_ATTRIBUTE pub[] = {
            {CKA_CLASS, &pub_cls, sizeof(pub_cls)}, {CKA_KEY_TYPE, &kt, sizeof(kt)},
            {CKA_TOKEN, &yes, sizeof(yes)},        {CKA_VERIFY, &yes, sizeof(yes)},
            {CKA_LABEL, (void *)key_label, strlen(key_label)},
            {CKA_ID, id, ID_LEN},
            {CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid)},
            {CKA_EC_POINT, ec_point, sizeof(ec_point)},
        };
        IMP_GUARD(make_object(f, sess, pub, sizeof(pub) / sizeof(pub[0]), 2, copy,
                              &st.session[OBJ_PUB], &st.token[OBJ_PUB]),
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
    IMP_GUARD(make_object(f, sess, ca, sizeof(ca) / sizeof(ca[0]), 2, copy,
                          &st.session[OBJ_CERT], &st.token[OBJ_CERT]),
              "C_CreateObject(certificate)");
    if (copy)
        IMP_GUARD(copy_staged(f, sess, &st, unsupported), "C_CopyObject(onto the token)");
    done = true;
out:
    unstage(f, sess, &st, done);
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

/* Import by copy while the token allows it (*copy), else directly. */
static evote_err_t import_one(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE sess,
                              const char *key_label, const char *key_pem_path,
                              const char *cert_pem_path, bool *copy) {
    bool unsupported = false;
    evote_err_t ret =
        import_objects(f, sess, key_label, key_pem_path, cert_pem_path, *copy, &unsupported);
    if (ret != EVOTE_OK && unsupported) {
        *copy = false;
        ret = import_objects(f, sess, key_label, key_pem_path, cert_pem_path, false,
                             &unsupported);
    }
    return ret;
}

static int cmp_label(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void free_labels(char **v, size_t n) {
    for (size_t i = 0; i < n && v != NULL; i++)
        free(v[i]);
    free(v);
}

/*
 * The labels of every private key on the token, sorted: one search for
 * the whole batch (SoftHSM2 re-checks every object file of the token on
 * each C_FindObjectsInit, so a search per key grows with the token).
 * A label that holds a NUL byte cannot equal a C string and is skipped.
 */
static evote_err_t existing_labels(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE sess,
                                   char ***out, size_t *nout) {
    evote_err_t ret = EVOTE_OK;
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE q[] = {{CKA_CLASS, &cls, sizeof(cls)}};
    CK_OBJECT_HANDLE *h = NULL;
    size_t nh = 0, cap = 0, nl = 0;
    char **labels = NULL;
    bool finding = false;

    *out = NULL;
    *nout = 0;
    IMP_GUARD(f->C_FindObjectsInit(sess, q, 1), "C_FindObjectsInit(private keys)");
    finding = true;
    for (;;) {
        CK_ULONG got = 0;
        if (nh == cap) {
            CK_OBJECT_HANDLE *nhp;
            cap = cap ? cap * 2 : 256;
            ALLOC_GUARD(nhp = realloc(h, cap * sizeof(*h)));
            h = nhp;
        }
        IMP_GUARD(f->C_FindObjects(sess, h + nh, (CK_ULONG)(cap - nh), &got),
                  "C_FindObjects(private keys)");
        if (got == 0)
            break;
        nh += got;
    }
    finding = false;
    IMP_GUARD(f->C_FindObjectsFinal(sess), "C_FindObjectsFinal");
    if (nh > 0)
        ALLOC_GUARD(labels = calloc(nh, sizeof(*labels)));
    for (size_t i = 0; i < nh; i++) {
        CK_ATTRIBUTE a = {CKA_LABEL, NULL, 0};
        CK_RV rv = f->C_GetAttributeValue(sess, h[i], &a, 1);
        if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE)
            continue; /* no label: cannot clash */
        IMP_GUARD(rv, "C_GetAttributeValue(CKA_LABEL)");
        ENSURE(a.ulValueLen != CK_UNAVAILABLE_INFORMATION && a.ulValueLen < 65536,
               EVOTE_ERR_PKCS11, "a private key's label has no usable length");
        char *l = NULL;
        ALLOC_GUARD(l = calloc(1, (size_t)a.ulValueLen + 1));
        a.pValue = l;
        rv = f->C_GetAttributeValue(sess, h[i], &a, 1);
        if (rv != CKR_OK) {
            free(l);
            IMP_GUARD(rv, "C_GetAttributeValue(CKA_LABEL)");
        }
        if (memchr(l, 0, (size_t)a.ulValueLen) != NULL) {
            free(l);
            continue;
        }
        labels[nl++] = l;
    }
    if (nl > 1)
        qsort(labels, nl, sizeof(*labels), cmp_label);
    *out = labels;
    *nout = nl;
    labels = NULL;
out:
    if (finding)
        f->C_FindObjectsFinal(sess);
    free_labels(labels, nl);
    free(h);
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
    char **have = NULL;
    const char **batch = NULL;
    size_t nhave = 0;
    bool copy = true;

    ENSURE(token_label != NULL && key_labels != NULL && key_pem_paths != NULL &&
               cert_pem_paths != NULL && (pin != NULL || pin_len == 0),
           EVOTE_ERR_ARG, "import: bad argument");
    for (size_t i = 0; i < n; i++)
        ENSURE(key_labels[i] != NULL && key_labels[i][0] != '\0' && key_pem_paths[i] != NULL &&
                   cert_pem_paths[i] != NULL,
               EVOTE_ERR_ARG, "import: key %zu: missing label or file", i);
    /* Labels repeated within the batch are refused before the token opens. */
    if (n > 1) {
        ALLOC_GUARD(batch = malloc(n * sizeof(*batch)));
        memcpy(batch, key_labels, n * sizeof(*batch));
        qsort(batch, n, sizeof(*batch), cmp_label);
        for (size_t i = 1; i < n; i++)
            ENSURE(strcmp(batch[i - 1], batch[i]) != 0, EVOTE_ERR_KEY_EXISTS,
                   "the label '%s' appears twice in the batch", batch[i]);
    }
    /* Through lib/hsm.c's module registry: the module is initialised once
     * per process, whoever else in the process uses it. */
    GUARD(evote_hsm_open(&hsm, module_path, token_label, pin, pin_len, 1));
    sess = evote_hsm_session_get(hsm);
    /* Refuse to shadow an existing key: every label is checked against
     * one listing of the token before anything is written. */
    GUARD(existing_labels(evote_hsm_functions(hsm), sess, &have, &nhave));
    for (size_t i = 0; i < n; i++)
        ENSURE(nhave == 0 ||
                   bsearch(&key_labels[i], have, nhave, sizeof(*have), cmp_label) == NULL,
               EVOTE_ERR_KEY_EXISTS, "a key labelled '%s' exists on '%s'", key_labels[i],
               token_label);
    for (size_t i = 0; i < n; i++)
        GUARD(import_one(evote_hsm_functions(hsm), sess, key_labels[i], key_pem_paths[i],
                         cert_pem_paths[i], &copy));
out:
    free_labels(have, nhave);
    free(batch);
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
