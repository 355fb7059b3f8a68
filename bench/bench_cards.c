/*
 * bench "cards": stand-in voter cards on a throwaway SoftHSM2 token.
 * Import: evote_hsm_import_key_certs (one label listing for the batch,
 * objects made in the session and copied onto the token) against the raw
 * baseline of the same three objects per key made directly on the token
 * with C_CreateObject, on a fresh token of the same module each. Signing:
 * evote's token signer switching to each key (one libp11 listing) and
 * signing a ballot-sized CMS SignedData, against the raw C_SignInit +
 * C_Sign (CKM_ECDSA on a SHA-256 digest) with the same key handles.
 * Wall and CPU time both (the token's file store writes wait on the disk).
 */
#define _GNU_SOURCE /* nftw's FTW_DEPTH/FTW_PHYS */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "bench.h"
#include "evote/signer.h"
#include "hsm_internal.h"

#define SO_PIN "bench-so-pin-1234"
#define PIN "bench-user-pin-5678"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(path);
}

struct card {
    EVP_PKEY *key;
    X509 *cert;
    char label[32], key_path[600], cert_path[600];
};

static X509 *self_cert(EVP_PKEY *k, long serial) {
    X509 *x = X509_new();
    if (x == NULL || X509_set_version(x, 2) != 1 ||
        ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
        X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                   (const unsigned char *)"bench voter", -1, -1, 0) != 1 ||
        X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL || X509_set_pubkey(x, k) != 1 ||
        X509_sign(x, k, EVP_sha256()) <= 0) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int write_pem(const char *path, EVP_PKEY *k, X509 *x) {
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    int ok = k ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, x);
    return fclose(f) == 0 && ok == 1 ? 0 : -1;
}

/* The three objects of one card made directly on the token (the baseline). */
static int raw_create(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, const struct card *c) {
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS pc = CKO_PRIVATE_KEY, uc = CKO_PUBLIC_KEY, cc = CKO_CERTIFICATE;
    CK_KEY_TYPE kt = CKK_EC;
    CK_CERTIFICATE_TYPE ct = CKC_X_509;
    CK_OBJECT_HANDLE h;
    uint8_t d[32], pt[67], id[20];
    BIGNUM *bn = NULL;
    size_t plen = 0;
    unsigned char *der = NULL, *subj = NULL;
    int dl = i2d_X509(c->cert, &der), sl = i2d_X509_NAME(X509_get_subject_name(c->cert), &subj),
        rc = -1;
    memset(id, 0, sizeof(id));
    memcpy(id, c->label, strlen(c->label) < 20 ? strlen(c->label) : 20);
    pt[0] = 0x04;
    pt[1] = 65;
    if (dl <= 0 || sl <= 0 || EVP_PKEY_get_bn_param(c->key, OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1 ||
        BN_bn2binpad(bn, d, 32) != 32 ||
        EVP_PKEY_get_octet_string_param(c->key, OSSL_PKEY_PARAM_PUB_KEY, pt + 2, 65, &plen) != 1)
        goto out;
    {
    CK_ATTRIBUTE priv[] = {
        {CKA_CLASS, &pc, sizeof(pc)},     {CKA_KEY_TYPE, &kt, sizeof(kt)},
        {CKA_TOKEN, &yes, 1},             {CKA_PRIVATE, &yes, 1},
        {CKA_SENSITIVE, &yes, 1},         {CKA_EXTRACTABLE, &no, 1},
        {CKA_SIGN, &yes, 1},              {CKA_LABEL, (void *)c->label, strlen(c->label)},
        {CKA_ID, id, sizeof(id)},         {CKA_EC_PARAMS, (void *)evote_hsm_p256_oid_der, 10},
        {CKA_VALUE, d, sizeof(d)}};
    CK_ATTRIBUTE pub[] = {
        {CKA_CLASS, &uc, sizeof(uc)}, {CKA_KEY_TYPE, &kt, sizeof(kt)},
        {CKA_TOKEN, &yes, 1},         {CKA_VERIFY, &yes, 1},
        {CKA_LABEL, (void *)c->label, strlen(c->label)},
        {CKA_ID, id, sizeof(id)},     {CKA_EC_PARAMS, (void *)evote_hsm_p256_oid_der, 10},
        {CKA_EC_POINT, pt, sizeof(pt)}};
    CK_ATTRIBUTE cert[] = {{CKA_CLASS, &cc, sizeof(cc)},
                           {CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)},
                           {CKA_TOKEN, &yes, 1},
                           {CKA_LABEL, (void *)c->label, strlen(c->label)},
                           {CKA_ID, id, sizeof(id)},
                           {CKA_SUBJECT, subj, (CK_ULONG)sl},
                           {CKA_VALUE, der, (CK_ULONG)dl}};
    CK_RV rv = f->C_CreateObject(s, priv, sizeof(priv) / sizeof(priv[0]), &h);
    if (rv == CKR_OK)
        rv = f->C_CreateObject(s, pub, sizeof(pub) / sizeof(pub[0]), &h);
    if (rv == CKR_OK)
        rv = f->C_CreateObject(s, cert, sizeof(cert) / sizeof(cert[0]), &h);
    if (rv != CKR_OK) {
        fprintf(stderr, "bench cards: C_CreateObject: %s\n", evote_hsm_ckr_name(rv));
        goto out;
    }
    }
    rc = 0;
out:
    OPENSSL_cleanse(d, sizeof(d));
    BN_clear_free(bn);
    OPENSSL_free(der);
    OPENSSL_free(subj);
    return rc;
}

/* Raw C_Sign with every private key of the token (one listing). */
static int raw_sign_all(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s, size_t n, size_t *signed_n) {
    CK_OBJECT_CLASS pc = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE q[] = {{CKA_CLASS, &pc, sizeof(pc)}};
    CK_OBJECT_HANDLE *h = calloc(n + 1, sizeof(*h));
    CK_ULONG got = 0;
    CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
    uint8_t digest[32], sig[72];
    int rc = -1;
    memset(digest, 0x5a, sizeof(digest));
    *signed_n = 0;
    if (h == NULL || f->C_FindObjectsInit(s, q, 1) != CKR_OK)
        goto out;
    CK_RV rv = f->C_FindObjects(s, h, (CK_ULONG)n + 1, &got);
    f->C_FindObjectsFinal(s);
    if (rv != CKR_OK)
        goto out;
    for (CK_ULONG i = 0; i < got; i++) {
        CK_ULONG sl = sizeof(sig);
        if (f->C_SignInit(s, &mech, h[i]) != CKR_OK ||
            f->C_Sign(s, digest, sizeof(digest), sig, &sl) != CKR_OK)
            goto out;
    }
    *signed_n = got;
    rc = 0;
out:
    free(h);
    return rc;
}

static int make_token(const char *dir, const char *label) {
    (void)dir;
    if (evote_hsm_token_init(NULL, label, SO_PIN, strlen(SO_PIN), PIN, strlen(PIN)) != EVOTE_OK) {
        fprintf(stderr, "bench cards: token init: %s\n", evote_err_detail());
        return -1;
    }
    return 0;
}

int bench_cards(const struct bench_opts *o) {
    size_t n = o->n ? o->n : o->big ? 1000 : 100;
    char dir[512], path[700];
    const char *base = getenv("TMPDIR");
    struct card *cards = calloc(n, sizeof(*cards));
    const char **labels = calloc(n, sizeof(char *)), **keys = calloc(n, sizeof(char *)),
               **certs = calloc(n, sizeof(char *));
    evote_hsm_t *hsm = NULL;
    evote_signer_t *signer = NULL;
    int rc = -1;

    snprintf(dir, sizeof(dir), "%s/evote-bench-XXXXXX", base && base[0] ? base : "/tmp");
    if (cards == NULL || labels == NULL || keys == NULL || certs == NULL || mkdtemp(dir) == NULL)
        goto out;
    snprintf(path, sizeof(path), "%s/tokens", dir);
    if (mkdir(path, 0700) != 0)
        goto out;
    snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
    FILE *cf = fopen(path, "w");
    if (cf == NULL)
        goto out;
    fprintf(cf, "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
                "log.level = ERROR\nslots.removable = false\n", dir);
    fclose(cf);
    setenv("SOFTHSM2_CONF", path, 1);
    for (size_t i = 0; i < n; i++) {
        struct card *c = &cards[i];
        snprintf(c->label, sizeof(c->label), "voter-%05zu", i + 1);
        snprintf(c->key_path, sizeof(c->key_path), "%s/%s.key", dir, c->label);
        snprintf(c->cert_path, sizeof(c->cert_path), "%s/%s.pem", dir, c->label);
        c->key = EVP_EC_gen("P-256");
        c->cert = c->key ? self_cert(c->key, (long)i + 1) : NULL;
        if (c->cert == NULL || write_pem(c->key_path, c->key, NULL) != 0 ||
            write_pem(c->cert_path, NULL, c->cert) != 0)
            goto out;
        labels[i] = c->label;
        keys[i] = c->key_path;
        certs[i] = c->cert_path;
    }
    if (make_token(dir, "cards-raw") != 0 || make_token(dir, "cards") != 0)
        goto out;

    /* import: raw C_CreateObject on the token, then evote's batch import */
    double w0 = bench_now(), c0 = cpu_now();
    if (evote_hsm_open(&hsm, NULL, "cards-raw", PIN, strlen(PIN), 1) != EVOTE_OK)
        goto out;
    CK_SESSION_HANDLE s = evote_hsm_session_get(hsm);
    for (size_t i = 0; i < n; i++)
        if (raw_create(evote_hsm_functions(hsm), s, &cards[i]) != 0) {
            fprintf(stderr, "bench cards: raw C_CreateObject failed\n");
            evote_hsm_session_put(hsm, s);
            goto out;
        }
    double raw_w = bench_now() - w0, raw_c = cpu_now() - c0;
    /* raw signing with every key, one listing */
    size_t nsig = 0;
    w0 = bench_now();
    c0 = cpu_now();
    int sr = raw_sign_all(evote_hsm_functions(hsm), s, n, &nsig);
    double rs_w = bench_now() - w0, rs_c = cpu_now() - c0;
    evote_hsm_session_put(hsm, s);
    evote_hsm_free(hsm);
    hsm = NULL;
    if (sr != 0 || nsig != n) {
        fprintf(stderr, "bench cards: raw C_Sign failed\n");
        goto out;
    }
    w0 = bench_now();
    c0 = cpu_now();
    if (evote_hsm_import_key_certs(NULL, "cards", PIN, strlen(PIN), n, labels, keys, certs) !=
        EVOTE_OK) {
        fprintf(stderr, "bench cards: import: %s\n", evote_err_detail());
        goto out;
    }
    double ev_w = bench_now() - w0, ev_c = cpu_now() - c0;

    /* evote's signer: switch to each key (certificate from its PEM file), sign */
    static const uint8_t ballot[250] = {1};
    w0 = bench_now();
    c0 = cpu_now();
    for (size_t i = 0; i < n; i++) {
        evote_err_t rv =
            i == 0 ? evote_signer_open(&signer, NULL, "cards", PIN, strlen(PIN), labels[0], certs[0])
                   : evote_signer_select_key(signer, labels[i], certs[i]);
        uint8_t *der = NULL;
        size_t len = 0;
        if (rv == EVOTE_OK)
            rv = evote_signer_sign_cms(signer, ballot, sizeof(ballot), false, &der, &len);
        free(der);
        if (rv != EVOTE_OK) {
            fprintf(stderr, "bench cards: sign: %s\n", evote_err_detail());
            goto out;
        }
    }
    double es_w = bench_now() - w0, es_c = cpu_now() - c0;

    printf("cards: %zu P-256 voter keys + certificates on one SoftHSM2 token\n", n);
    printf("  import  raw C_CreateObject x3 on the token %7.1f keys/s (%.2f ms CPU/key)\n",
           n / raw_w, 1e3 * raw_c / n);
    printf("          evote_hsm_import_key_certs          %7.1f keys/s (%.2f ms CPU/key)\n",
           n / ev_w, 1e3 * ev_c / n);
    printf("          ratio evote/raw: %.2f wall, %.2f CPU\n", raw_w / ev_w, raw_c / ev_c);
    printf("  sign    raw C_SignInit+C_Sign, one listing   %7.1f keys/s (%.2f ms CPU/key)\n",
           n / rs_w, 1e3 * rs_c / n);
    printf("          evote select key + CMS sign          %7.1f keys/s (%.2f ms CPU/key)\n",
           n / es_w, 1e3 * es_c / n);
    printf("          ratio evote/raw: %.2f wall, %.2f CPU (libp11 searches the token for\n"
           "          an EC key's public half on each key load)\n",
           rs_w / es_w, rs_c / es_c);
    rc = 0;
out:
    evote_hsm_free(hsm);
    evote_signer_free(signer);
    for (size_t i = 0; cards != NULL && i < n; i++) {
        EVP_PKEY_free(cards[i].key);
        X509_free(cards[i].cert);
    }
    free(cards);
    free(labels);
    free(keys);
    free(certs);
    if (strstr(dir, "evote-bench-") != NULL)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
