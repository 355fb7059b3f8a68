/*
 * libevote — officials' statements: detached CMS signatures by several
 * officials over exact JSON bytes, checked against the manifest's policy.
 * See include/evote/statement.h and docs/PROTOCOL.md §12.3.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "box_internal.h"
#include "evote/cms.h"
#include "evote/statement.h"
#include "internal.h"

#define CA_FILE_MAX (1u << 20)
#define MAX_SIGS 64

struct evote_officials {
    const evote_manifest_t *m;
    uint8_t *ca;
    size_t ca_len;
};

evote_err_t evote_officials_new(evote_officials_t **out, const evote_manifest_t *m,
                                const char *ca_pem_path) {
    evote_err_t ret = EVOTE_OK;
    evote_officials_t *o = NULL;

    ENSURE(out != NULL && m != NULL, EVOTE_ERR_ARG, "officials: NULL argument");
    *out = NULL;
    ALLOC_GUARD(o = calloc(1, sizeof(*o)));
    o->m = m;
    if (ca_pem_path != NULL) {
        evote_cms_verifier_t *probe = NULL;
        GUARD(evote_read_file(ca_pem_path, CA_FILE_MAX, &o->ca, &o->ca_len));
        /* Parse once now so that a bad CA file fails here, not later. */
        GUARD(evote_cms_verifier_new(&probe));
        ret = evote_cms_verifier_add_ca(probe, o->ca, o->ca_len);
        evote_cms_verifier_free(probe);
        GUARD(ret);
    }
    *out = o;
    o = NULL;
out:
    evote_officials_free(o);
    return ret;
}

void evote_officials_free(evote_officials_t *o) {
    if (o == NULL)
        return;
    free(o->ca);
    free(o);
}

const evote_manifest_t *evote_officials_manifest(const evote_officials_t *o) {
    return o == NULL ? NULL : o->m;
}

static bool all_zero(const uint8_t *p, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* The single commonName of the certificate's subject, or "" if not exactly one. */
static void subject_cn(X509 *x, char *out, size_t cap) {
    X509_NAME *name = X509_get_subject_name(x);
    out[0] = '\0';
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, idx) >= 0)
        return;
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    int len = ASN1_STRING_length(s);
    const unsigned char *d = ASN1_STRING_get0_data(s);
    if (len <= 0 || (size_t)len >= cap || memchr(d, 0, (size_t)len) != NULL)
        return;
    memcpy(out, d, (size_t)len);
    out[len] = '\0';
}

evote_err_t evote_officials_identify(const evote_officials_t *o, const uint8_t *cert_der,
                                     size_t cert_len, char official[EVOTE_ID_MAX + 1]) {
    evote_err_t ret = EVOTE_OK;
    X509 *x = NULL;
    const unsigned char *p = cert_der;
    uint8_t h[EVOTE_HASH_LEN];
    char cn[EVOTE_ID_MAX + 2];
    size_t n;

    ENSURE(o != NULL && cert_der != NULL && official != NULL, EVOTE_ERR_ARG,
           "identify official: NULL argument");
    official[0] = '\0';
    ENSURE(cert_len > 0 && cert_len < (1u << 20), EVOTE_ERR_FORMAT, "certificate size");
    x = d2i_X509(NULL, &p, (long)cert_len);
    ENSURE(x != NULL && p == cert_der + cert_len, EVOTE_ERR_FORMAT,
           "signer certificate is not DER X.509");
    GUARD(evote_sha256(cert_der, cert_len, h));
    n = evote_manifest_person_count(o->m, "official");
    /* A pinned certificate identifies its official whatever its name says. */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *pin = evote_manifest_person_cert_sha256(o->m, "official", i);
        if (pin != NULL && !all_zero(pin, EVOTE_HASH_LEN) &&
            CRYPTO_memcmp(pin, h, EVOTE_HASH_LEN) == 0) {
            snprintf(official, EVOTE_ID_MAX + 1, "%s",
                     evote_manifest_person_id(o->m, "official", i));
            goto out;
        }
    }
    subject_cn(x, cn, sizeof(cn));
    for (size_t i = 0; i < n; i++) {
        const char *id = evote_manifest_person_id(o->m, "official", i);
        const uint8_t *pin = evote_manifest_person_cert_sha256(o->m, "official", i);
        if (strcmp(id, cn) != 0)
            continue;
        ENSURE(pin == NULL || all_zero(pin, EVOTE_HASH_LEN), EVOTE_ERR_POLICY,
               "certificate names official %s but is not the certificate the manifest "
               "pins for %s",
               id, id);
        ENSURE(o->ca != NULL, EVOTE_ERR_POLICY,
               "official %s: the manifest pins no certificate and no officials' CA is "
               "configured",
               id);
        snprintf(official, EVOTE_ID_MAX + 1, "%s", id);
        goto out;
    }
    ret = evote_fail(EVOTE_ERR_POLICY,
                     "signer certificate (CN \"%s\") belongs to no official of the manifest",
                     cn);
out:
    X509_free(x);
    ERR_clear_error();
    return ret;
}

/* The signer's certificate as carried in the SignedData (DER, malloc'd). */
static evote_err_t signer_cert(const uint8_t *der, size_t len, uint8_t **cert,
                               size_t *cert_len) {
    evote_err_t ret = EVOTE_OK;
    CMS_ContentInfo *cms = NULL;
    STACK_OF(X509) *certs = NULL;
    STACK_OF(CMS_SignerInfo) *sis;
    const unsigned char *p = der;
    unsigned char *buf = NULL;
    int n;

    *cert = NULL;
    *cert_len = 0;
    ENSURE(len <= EVOTE_CMS_MAX, EVOTE_ERR_TOO_LARGE, "signature of %zu bytes", len);
    cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
    ENSURE(cms != NULL && p == der + len, EVOTE_ERR_CMS_FORMAT, "not DER CMS");
    ENSURE(OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed, EVOTE_ERR_CMS_FORMAT,
           "not SignedData");
    sis = CMS_get0_SignerInfos(cms);
    ENSURE(sis != NULL && sk_CMS_SignerInfo_num(sis) == 1, EVOTE_ERR_CMS_FORMAT,
           "SignedData must have exactly one signer");
    certs = CMS_get1_certs(cms);
    ENSURE(certs != NULL, EVOTE_ERR_CMS_FORMAT, "signature carries no certificate");
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *x = sk_X509_value(certs, i);
        if (CMS_SignerInfo_cert_cmp(si, x) == 0) {
            n = i2d_X509(x, &buf);
            ENSURE(n > 0, EVOTE_ERR_CRYPTO, "i2d_X509 failed");
            *cert = buf;
            *cert_len = (size_t)n;
            buf = NULL;
            goto out;
        }
    }
    ret = evote_fail(EVOTE_ERR_CMS_FORMAT, "signature does not carry its signer's certificate");
out:
    OPENSSL_free(buf);
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    ERR_clear_error();
    return ret;
}

/* Verify one signature over stmt at time at; *approval says who signed. */
static evote_err_t verify_one(const evote_officials_t *o, const uint8_t *stmt,
                              size_t stmt_len, const uint8_t *sig, size_t sig_len,
                              int64_t at, evote_approval_t *approval) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *cert = NULL;
    size_t cert_len = 0;
    evote_cms_verifier_t *v = NULL;
    evote_cms_result_t res;

    memset(&res, 0, sizeof(res));
    memset(approval, 0, sizeof(*approval));
    GUARD(signer_cert(sig, sig_len, &cert, &cert_len));
    GUARD(evote_officials_identify(o, cert, cert_len, approval->official));
    GUARD(evote_cms_verifier_new(&v));
    if (o->ca != NULL)
        GUARD(evote_cms_verifier_add_ca(v, o->ca, o->ca_len));
    else /* pinned (identify refused otherwise): the certificate is its own anchor */
        GUARD(evote_cms_verifier_add_ca(v, cert, cert_len));
    GUARD(evote_cms_verify(v, sig, sig_len, stmt, stmt_len, at, &res));
    ENSURE(res.cert_der_len == cert_len && memcmp(res.cert_der, cert, cert_len) == 0,
           EVOTE_ERR_SIGNATURE, "verified signer is not the certificate identified");
    memcpy(approval->cert_sha256, res.cert_sha256, EVOTE_HASH_LEN);
out:
    evote_cms_result_clear(&res);
    evote_cms_verifier_free(v);
    free(cert);
    return ret;
}

evote_err_t evote_statement_verify(const evote_officials_t *o, const char *step,
                                   const uint8_t *stmt, size_t stmt_len,
                                   const uint8_t *const *sigs, const size_t *sig_lens,
                                   const char *const *sig_names, size_t nsigs,
                                   evote_approval_t *approvals) {
    evote_err_t ret = EVOTE_OK;
    evote_approval_t *got = NULL;
    int64_t at = 0;
    unsigned need;

    ENSURE(o != NULL && step != NULL && stmt != NULL && (sigs != NULL || nsigs == 0) &&
               (sig_lens != NULL || nsigs == 0),
           EVOTE_ERR_ARG, "verify statement: NULL argument");
    ENSURE(nsigs <= MAX_SIGS, EVOTE_ERR_POLICY, "%zu signatures is too many", nsigs);
    GUARD(box_stmt_time(stmt, stmt_len, &at));
    need = evote_manifest_required_approvals(o->m, step);
    ALLOC_GUARD(got = calloc(nsigs ? nsigs : 1, sizeof(*got)));
    for (size_t i = 0; i < nsigs; i++) {
        const char *what = sig_names != NULL ? sig_names[i] : NULL;
        ret = verify_one(o, stmt, stmt_len, sigs[i], sig_lens[i], at, &got[i]);
        if (ret != EVOTE_OK) {
            char d[400];
            snprintf(d, sizeof(d), "%s", evote_err_detail());
            if (what != NULL)
                ret = evote_fail(ret, "%s: %s", what, d);
            else
                ret = evote_fail(ret, "signature %zu: %s", i + 1, d);
            goto out;
        }
        for (size_t j = 0; j < i; j++)
            ENSURE(strcmp(got[j].official, got[i].official) != 0, EVOTE_ERR_POLICY,
                   "official %s signed twice", got[i].official);
    }
    ENSURE(need != UINT_MAX && nsigs >= need, EVOTE_ERR_POLICY,
           "step \"%s\" needs %u officials' signatures, %zu given", step, need, nsigs);
    if (approvals != NULL)
        memcpy(approvals, got, nsigs * sizeof(*got));
out:
    free(got);
    return ret;
}

evote_err_t evote_statement_sign_file(const evote_officials_t *o, evote_signer_t *signer,
                                      const char *dir, const char *name,
                                      char official[EVOTE_ID_MAX + 1]) {
    evote_err_t ret = EVOTE_OK;
    char path[4096], sigpath[4096];
    uint8_t *stmt = NULL, *der = NULL;
    size_t stmt_len = 0, der_len = 0, cert_len = 0;
    const uint8_t *cert;
    evote_approval_t who;
    int64_t at;

    if (official != NULL)
        official[0] = '\0';
    ENSURE(o != NULL && signer != NULL && dir != NULL && name != NULL, EVOTE_ERR_ARG,
           "sign statement: NULL argument");
    ENSURE(snprintf(path, sizeof(path), "%s/%s.json", dir, name) < (int)sizeof(path),
           EVOTE_ERR_ARG, "path too long");
    GUARD(evote_read_file(path, EVOTE_STATEMENT_MAX, &stmt, &stmt_len));
    GUARD(box_stmt_time(stmt, stmt_len, &at));
    cert = evote_signer_cert_der(signer, &cert_len);
    ENSURE(cert != NULL, EVOTE_ERR_ARG, "signer has no certificate");
    GUARD(evote_officials_identify(o, cert, cert_len, who.official));
    ENSURE(snprintf(sigpath, sizeof(sigpath), "%s/%s.%s.p7s", dir, name, who.official) <
               (int)sizeof(sigpath),
           EVOTE_ERR_ARG, "path too long");
    GUARD(evote_signer_sign_cms(signer, stmt, stmt_len, true, &der, &der_len));
    /* Never write a signature that the verifier would refuse. */
    GUARD(verify_one(o, stmt, stmt_len, der, der_len, at, &who));
    GUARD(evote_write_file_atomic(sigpath, der, der_len, true, false));
    if (official != NULL)
        snprintf(official, EVOTE_ID_MAX + 1, "%s", who.official);
out:
    free(stmt);
    free(der);
    return ret;
}

evote_err_t evote_statement_verify_files(const evote_officials_t *o, const char *step,
                                         const char *dir, const char *name,
                                         size_t *napprovals) {
    evote_err_t ret = EVOTE_OK;
    char path[4096];
    uint8_t *stmt = NULL;
    size_t stmt_len = 0;
    char *names[MAX_SIGS] = {0};
    uint8_t *sigs[MAX_SIGS] = {0};
    size_t lens[MAX_SIGS] = {0};
    evote_approval_t approvals[MAX_SIGS];
    size_t n = 0;

    if (napprovals != NULL)
        *napprovals = 0;
    ENSURE(o != NULL && step != NULL && dir != NULL && name != NULL, EVOTE_ERR_ARG,
           "verify statement files: NULL argument");
    ENSURE(snprintf(path, sizeof(path), "%s/%s.json", dir, name) < (int)sizeof(path),
           EVOTE_ERR_ARG, "path too long");
    GUARD(evote_read_file(path, EVOTE_STATEMENT_MAX, &stmt, &stmt_len));
    GUARD(box_list_signatures(dir, name, names, MAX_SIGS, &n));
    for (size_t i = 0; i < n; i++) {
        ENSURE(snprintf(path, sizeof(path), "%s/%s", dir, names[i]) < (int)sizeof(path),
               EVOTE_ERR_ARG, "path too long");
        GUARD(evote_read_file(path, EVOTE_CMS_MAX, &sigs[i], &lens[i]));
    }
    GUARD(evote_statement_verify(o, step, stmt, stmt_len, (const uint8_t *const *)sigs, lens,
                                 (const char *const *)names, n, approvals));
    /* The file name must say who signed: a signature copied under another
     * official's name is refused. */
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(name), ol = strlen(approvals[i].official);
        bool named = strlen(names[i]) == nl + ol + 5 &&
                     strncmp(names[i] + nl + 1, approvals[i].official, ol) == 0;
        ENSURE(named, EVOTE_ERR_POLICY,
               "%s: signed by official %s, file name says otherwise", names[i],
               approvals[i].official);
    }
    if (napprovals != NULL)
        *napprovals = n;
out:
    for (size_t i = 0; i < MAX_SIGS; i++) {
        free(names[i]);
        free(sigs[i]);
    }
    free(stmt);
    return ret;
}
