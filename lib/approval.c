/* libevote — officials' CMS approvals of a decryption authorisation. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "ceremony_internal.h"
#include "evote/approval.h"
#include "evote/signer.h"
#include "internal.h"

#define FMT_AUTH "libevote-decrypt-authorization/1"
#define AUTH_MAX 65536

evote_err_t evote_approval_write(const char *path, const evote_manifest_t *m,
                                 const char *contest_id, const uint8_t list_hash[32]) {
    evote_err_t ret = EVOTE_OK;
    json_t *o = NULL;
    size_t ci;
    ENSURE(path != NULL && m != NULL && list_hash != NULL, EVOTE_ERR_ARG,
           "authorization: bad argument");
    GUARD(evote_manifest_contest_index(m, contest_id, &ci));
    ALLOC_GUARD(o = json_object());
    json_object_set_new(o, "format", json_string(FMT_AUTH));
    json_object_set_new(o, "purpose", json_string("decrypt"));
    json_object_set_new(o, "election_id", json_string(evote_manifest_election_id(m)));
    json_object_set_new(o, "manifest_sha256", evote_json_hexstr(evote_manifest_hash(m), 32));
    json_object_set_new(o, "contest_id", json_string(contest_id));
    json_object_set_new(o, "input_sha256", evote_json_hexstr(list_hash, 32));
    GUARD(evote_json_write(path, o, true));
out:
    json_decref(o);
    return ret;
}

evote_err_t evote_approval_check_auth(const uint8_t *auth, size_t len,
                                      const evote_manifest_t *m, const char *contest_id,
                                      const uint8_t list_hash[32]) {
    evote_err_t ret = EVOTE_OK;
    json_t *o = NULL;
    json_error_t je;
    uint8_t h[32];
    ENSURE(auth != NULL && m != NULL && contest_id != NULL && list_hash != NULL,
           EVOTE_ERR_ARG, "authorization check: bad argument");
    ENSURE(len <= AUTH_MAX, EVOTE_ERR_TOO_LARGE, "authorization: %zu bytes", len);
    o = json_loadb((const char *)auth, len, JSON_REJECT_DUPLICATES, &je);
    ENSURE(json_is_object(o), EVOTE_ERR_FORMAT, "authorization: not JSON (%s)", je.text);
    const char *f = json_string_value(json_object_get(o, "format"));
    const char *pu = json_string_value(json_object_get(o, "purpose"));
    const char *el = json_string_value(json_object_get(o, "election_id"));
    const char *co = json_string_value(json_object_get(o, "contest_id"));
    ENSURE(f != NULL && strcmp(f, FMT_AUTH) == 0, EVOTE_ERR_FORMAT,
           "authorization: format is not %s", FMT_AUTH);
    ENSURE(pu != NULL && strcmp(pu, "decrypt") == 0, EVOTE_ERR_POLICY,
           "authorization is not for decryption");
    ENSURE(el != NULL && strcmp(el, evote_manifest_election_id(m)) == 0, EVOTE_ERR_POLICY,
           "authorization names another election");
    GUARD(evote_json_hex(o, "manifest_sha256", h, 32, "authorization"));
    ENSURE(CRYPTO_memcmp(h, evote_manifest_hash(m), 32) == 0, EVOTE_ERR_POLICY,
           "authorization names another manifest");
    ENSURE(co != NULL && strcmp(co, contest_id) == 0, EVOTE_ERR_POLICY,
           "authorization names contest %s, not %s", co ? co : "(none)", contest_id);
    GUARD(evote_json_hex(o, "input_sha256", h, 32, "authorization"));
    ENSURE(CRYPTO_memcmp(h, list_hash, 32) == 0, EVOTE_ERR_POLICY,
           "authorization names another input list (SHA-256 differs)");
out:
    json_decref(o);
    return ret;
}

evote_err_t evote_approval_sign(uint8_t **der, size_t *der_len, const uint8_t *auth,
                                size_t len, EVP_PKEY *key, X509 *cert) {
    evote_err_t ret = EVOTE_OK;
    BIO *in = NULL;
    CMS_ContentInfo *cms = NULL;
    unsigned char *p = NULL;
    ENSURE(der != NULL && der_len != NULL && auth != NULL && key != NULL && cert != NULL,
           EVOTE_ERR_ARG, "approval sign: bad argument");
    *der = NULL;
    *der_len = 0;
    ENSURE(X509_check_private_key(cert, key) == 1, EVOTE_ERR_KEY_MISMATCH,
           "the signing key does not belong to the certificate");
    ALLOC_GUARD(in = BIO_new_mem_buf(auth, (int)len));
    cms = CMS_sign(cert, key, NULL, in, CMS_DETACHED | CMS_BINARY);
    if (cms == NULL) {
        ret = evote_fail_ossl(EVOTE_ERR_CRYPTO, "CMS_sign");
        goto out;
    }
    int n = i2d_CMS_ContentInfo(cms, &p);
    ENSURE(n > 0, EVOTE_ERR_CRYPTO, "CMS encoding failed");
    *der = p;
    *der_len = (size_t)n;
    p = NULL;
out:
    OPENSSL_free(p);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    return ret;
}

/* Verify one detached signature over auth; *who = index of the official. */
static evote_err_t verify_one(const evote_manifest_t *m, const uint8_t *auth, size_t len,
                              const uint8_t *sig, size_t slen, size_t k, size_t *who) {
    evote_err_t ret = EVOTE_OK;
    const unsigned char *p = sig;
    CMS_ContentInfo *cms = NULL;
    BIO *in = NULL;
    STACK_OF(X509) *signers = NULL;
    unsigned char *cder = NULL;
    uint8_t ch[32];
    cms = d2i_CMS_ContentInfo(NULL, &p, (long)slen);
    ENSURE(cms != NULL && p == sig + slen, EVOTE_ERR_CMS_FORMAT,
           "signature %zu is not one DER CMS object", k);
    ALLOC_GUARD(in = BIO_new_mem_buf(auth, (int)len));
    /* The signer is pinned by certificate hash in the manifest, so the
     * certificate itself is not chained to a CA here. */
    ENSURE(CMS_verify(cms, NULL, NULL, in, NULL,
                      CMS_DETACHED | CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) == 1,
           EVOTE_ERR_SIGNATURE, "signature %zu does not verify over the authorization", k);
    signers = CMS_get0_signers(cms);
    ENSURE(signers != NULL && sk_X509_num(signers) == 1, EVOTE_ERR_POLICY,
           "signature %zu must have exactly one signer", k);
    int n = i2d_X509(sk_X509_value(signers, 0), &cder);
    ENSURE(n > 0, EVOTE_ERR_CRYPTO, "certificate encoding");
    GUARD(evote_sha256(cder, (size_t)n, ch));
    size_t no = evote_manifest_person_count(m, "official");
    for (*who = 0; *who < no; (*who)++)
        if (CRYPTO_memcmp(evote_manifest_person_cert_sha256(m, "official", *who), ch, 32) == 0)
            break;
    ENSURE(*who < no, EVOTE_ERR_POLICY,
           "signature %zu is by a certificate that belongs to no official of the manifest", k);
out:
    OPENSSL_free(cder);
    sk_X509_free(signers);
    BIO_free(in);
    CMS_ContentInfo_free(cms);
    return ret;
}

evote_err_t evote_approval_verify(const evote_manifest_t *m, const char *contest_id,
                                  const uint8_t list_hash[32], const uint8_t *auth,
                                  size_t len, const uint8_t *const *sigs,
                                  const size_t *sig_lens, size_t nsig, size_t *napproved) {
    evote_err_t ret = EVOTE_OK;
    bool *seen = NULL;
    size_t count = 0;
    if (napproved != NULL)
        *napproved = 0;
    ENSURE(m != NULL && (nsig == 0 || (sigs != NULL && sig_lens != NULL)), EVOTE_ERR_ARG,
           "approval verify: bad argument");
    unsigned need = evote_manifest_required_approvals(m, "decrypt");
    size_t no = evote_manifest_person_count(m, "official");
    if (no == 0)
        need = 0; /* a manifest that names no officials sets no approval policy */
    ENSURE(nsig == 0 || auth != NULL, EVOTE_ERR_ARG, "signatures without an authorization");
    ENSURE(need <= no, EVOTE_ERR_POLICY,
           "the manifest requires %u approvals but names %zu officials", need, no);
    ENSURE(auth != NULL || need == 0, EVOTE_ERR_POLICY,
           "decryption needs an authorization signed by %u official(s)", need);
    if (auth != NULL)
        GUARD(evote_approval_check_auth(auth, len, m, contest_id, list_hash));
    ALLOC_GUARD(seen = calloc(no + 1, sizeof(bool)));
    for (size_t k = 0; k < nsig; k++) {
        size_t who = 0;
        GUARD(verify_one(m, auth, len, sigs[k], sig_lens[k], k, &who));
        ENSURE(!seen[who], EVOTE_ERR_POLICY, "official %s signed twice",
               evote_manifest_person_id(m, "official", who));
        seen[who] = true;
        count++;
    }
    ENSURE(count >= need, EVOTE_ERR_POLICY,
           "too few approvals: %zu of the %u required officials signed", count, need);
    if (napproved != NULL)
        *napproved = count;
out:
    free(seen);
    return ret;
}

/* ---- signing with an official's token --------------------------------------- */

/*
 * Through the signer API (lib/hsm_signer.c), like every other token signer:
 * one place opens PKCS#11 contexts, logs in and maps token errors. The
 * signature is the signer's detached CMS SignedData over the exact bytes,
 * which evote_approval_verify checks like one from evote_approval_sign.
 */
evote_err_t evote_approval_sign_token(uint8_t **der, size_t *der_len, const uint8_t *auth,
                                      size_t auth_len, const char *module_path,
                                      const char *token_label, const char *key_label,
                                      const char *pin, size_t pin_len) {
    evote_err_t ret = EVOTE_OK;
    evote_signer_t *s = NULL;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    ENSURE(der != NULL && der_len != NULL && auth != NULL && token_label != NULL &&
               key_label != NULL && pin != NULL,
           EVOTE_ERR_ARG, "approval sign token: bad argument");
    *der = NULL;
    *der_len = 0;
    ENSURE(auth_len <= AUTH_MAX, EVOTE_ERR_TOO_LARGE, "authorization: %zu bytes", auth_len);
    GUARD(evote_signer_open(&s, module_path, token_label, pin, pin_len, key_label, NULL));
    GUARD(evote_signer_sign_cms(s, auth, auth_len, true, &sig, &sig_len));
    /* evote_approval_sign's contract: the caller frees with OPENSSL_free */
    ALLOC_GUARD(*der = OPENSSL_malloc(sig_len));
    memcpy(*der, sig, sig_len);
    *der_len = sig_len;
out:
    free(sig);
    evote_signer_free(s);
    return ret;
}
