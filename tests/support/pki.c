#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pki.h"
#include "testutil.h"

void evt_pki_make(const char *dir, int nrsa) {
    ck_assert_int_eq(evt_sh("bash '%s/tests/pki.sh' '%s/pki' %d 2>/dev/null",
                            EVOTE_SOURCE_DIR, dir, nrsa),
                     0);
}

const char *evt_pki_path(const char *dir, const char *name, const char *suffix) {
    static char slots[4][4096];
    static int next;
    char *p = slots[next++ % 4];
    snprintf(p, sizeof(slots[0]), "%s/pki/%s%s", dir, name, suffix);
    return p;
}

static void ensure_conf(const char *dir) {
    char conf[4096], tokens[4096];
    snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
    const char *cur = getenv("SOFTHSM2_CONF");
    if (cur != NULL && strcmp(cur, conf) == 0)
        return;
    if (mkdir(tokens, 0700) != 0 && errno != EEXIST)
        ck_abort_msg("mkdir %s: %s", tokens, strerror(errno));
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\n"
               "log.level = ERROR\nslots.removable = false\n",
            tokens);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
}

void evt_voter_token(const char *dir, const char *label, const char *name) {
    ensure_conf(dir);
    char key[4096], cert[4096];
    snprintf(key, sizeof(key), "%s/pki/%s.key", dir, name);
    snprintf(cert, sizeof(cert), "%s/pki/%s.pem", dir, name);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        evote_err_t rv = evote_hsm_token_init(evt_module(), label, EVT_SO_PIN,
                                              strlen(EVT_SO_PIN), EVT_PIN, strlen(EVT_PIN));
        if (rv == EVOTE_OK)
            rv = evote_hsm_import_key_cert(evt_module(), label, EVT_PIN,
                                                   strlen(EVT_PIN), "sign", key, cert);
        if (rv != EVOTE_OK)
            fprintf(stderr, "import: %s (%s)\n", evote_strerror(rv), evote_err_detail());
        _exit(rv == EVOTE_OK ? 0 : 1);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "voter token %s failed", label);
}

/* ---- many voters ------------------------------------------------------ */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "internal.h"
#include "cms_internal.h"

static EVP_PKEY *read_key(const char *path) {
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(k);
    return k;
}

static X509 *read_cert(const char *path) {
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(x);
    return x;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ck_assert_ptr_nonnull(ex);
    ck_assert_int_eq(X509_add_ext(cert, ex, -1), 1);
    X509_EXTENSION_free(ex);
}

evt_voter_t *evt_voters_make(const char *dir, size_t n, bool rsa, unsigned first_serial) {
    EVP_PKEY *cakey = read_key(evt_pki_path(dir, "ca", ".key"));
    X509 *ca = read_cert(evt_pki_path(dir, "ca", ".pem"));
    evt_voter_t *v = calloc(n, sizeof(*v));
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < n; i++) {
        v[i].key = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
        ck_assert_ptr_nonnull(v[i].key);
        X509 *x = X509_new();
        ck_assert_ptr_nonnull(x);
        X509_set_version(x, 2);
        ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), (uint64_t)first_serial + i);
        X509_set_issuer_name(x, X509_get_subject_name(ca));
        X509_NAME *name = X509_NAME_new();
        char sn[32], cn[64];
        snprintf(v[i].voter_id, sizeof(v[i].voter_id), "jp-voter-%08u",
                 first_serial + (unsigned)i);
        snprintf(sn, sizeof(sn), "JP%010u", first_serial + (unsigned)i);
        snprintf(cn, sizeof(cn), "Voter %s", v[i].voter_id);
        X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1,
                                   -1, 0);
        X509_NAME_add_entry_by_txt(name, "serialNumber", MBSTRING_ASC,
                                   (const unsigned char *)sn, -1, -1, 0);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
                                   -1, 0);
        X509_set_subject_name(x, name);
        X509_NAME_free(name);
        ASN1_TIME_set_string(X509_getm_notBefore(x), "20250101000000Z");
        ASN1_TIME_set_string(X509_getm_notAfter(x), "20360101000000Z");
        X509_set_pubkey(x, v[i].key);
        add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(x, ca, NID_key_usage, "critical,digitalSignature,nonRepudiation");
        add_ext(x, ca, NID_subject_key_identifier, "hash");
        add_ext(x, ca, NID_authority_key_identifier, "keyid");
        ck_assert_int_gt(X509_sign(x, cakey, EVP_sha256()), 0);
        v[i].cert = x;
        v[i].cert_der = NULL;
        int dl = i2d_X509(x, &v[i].cert_der);
        ck_assert_int_gt(dl, 0);
        v[i].cert_der_len = (size_t)dl;
        ck_assert_int_eq(evote_sha256(v[i].cert_der, v[i].cert_der_len, v[i].cert_sha256),
                         EVOTE_OK);
        ck_assert_int_eq(evote_cms_cert_names(x, v[i].issuer, sizeof(v[i].issuer),
                                              v[i].serial_hex, sizeof(v[i].serial_hex)),
                         EVOTE_OK);
    }
    EVP_PKEY_free(cakey);
    X509_free(ca);
    return v;
}

void evt_voters_free(evt_voter_t *v, size_t n) {
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        EVP_PKEY_free(v[i].key);
        X509_free(v[i].cert);
        OPENSSL_free(v[i].cert_der);
    }
    free(v);
}

uint8_t *evt_voter_sign(const evt_voter_t *v, const uint8_t *data, size_t len,
                        size_t *der_len) {
    BIO *in = BIO_new_mem_buf(data, (int)len);
    unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    ck_assert_ptr_nonnull(cms);
    ck_assert_ptr_nonnull(CMS_add1_signer(cms, v->cert, v->key, EVP_sha256(), flags));
    ck_assert_int_eq(CMS_final(cms, in, NULL, flags), 1);
    uint8_t *der = NULL;
    int n = i2d_CMS_ContentInfo(cms, &der);
    ck_assert_int_gt(n, 0);
    uint8_t *out = malloc((size_t)n);
    memcpy(out, der, (size_t)n);
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    *der_len = (size_t)n;
    return out;
}

const uint8_t *evt_cms_signature(const uint8_t *der, size_t len, size_t *sig_len) {
    const unsigned char *p = der;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
    ck_assert_ptr_nonnull(cms);
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
    ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
    const uint8_t *sd = ASN1_STRING_get0_data(sig);
    *sig_len = (size_t)ASN1_STRING_length(sig);
    /* locate the same bytes inside der so the pointer outlives cms */
    const uint8_t *hit = NULL;
    for (size_t i = 0; i + *sig_len <= len; i++)
        if (memcmp(der + i, sd, *sig_len) == 0) {
            hit = der + i;
            break;
        }
    CMS_ContentInfo_free(cms);
    ck_assert_ptr_nonnull(hit);
    return hit;
}

void evt_voter_roll_line(const evt_voter_t *v, bool by_hash, const char *contests,
                         char *out, size_t cap) {
    if (by_hash) {
        char hex[65];
        evote_hex(hex, v->cert_sha256, 32);
        snprintf(out, cap, "%s,sha256:%s,%s\n", v->voter_id, hex, contests);
    } else {
        /* the issuer contains commas: quote it */
        snprintf(out, cap, "%s,\"issuer-serial:%s:%s\",%s\n", v->voter_id, v->serial_hex,
                 v->issuer, contests);
    }
}
