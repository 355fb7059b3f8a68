/* Signing through PKCS#11 (libp11) and CMS verification with CAs and CRLs. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "internal.h"
#include "pki.h"
#include "testutil.h"

static char dir[256];
static const uint8_t msg[] = "ballot bytes \x00\x01\x02 stand-in";

static void setup(void) {
    evt_tmpdir(dir, sizeof(dir));
    evt_pki_make(dir, 1);
}
static void teardown(void) { evt_rmrf(dir); }

static evote_cms_verifier_t *verifier(int with_crl) {
    evote_cms_verifier_t *v = NULL;
    ck_assert_int_eq(evote_cms_verifier_new(&v), EVOTE_OK);
    ck_assert_int_eq(evote_cms_verifier_add_ca_file(v, evt_pki_path(dir, "ca", ".pem")),
                     EVOTE_OK);
    if (with_crl)
        ck_assert_int_eq(
            evote_cms_verifier_add_crl_file(v, evt_pki_path(dir, "crl", ".pem")), EVOTE_OK);
    return v;
}

static void sign_pem(const char *name, bool detached, uint8_t **der, size_t *len) {
    evote_signer_t *s = NULL;
    ck_assert_int_eq(evote_signer_open_pem(&s, evt_pki_path(dir, name, ".key"),
                                           evt_pki_path(dir, name, ".pem")),
                     EVOTE_OK);
    ck_assert_int_eq(evote_signer_sign_cms(s, msg, sizeof(msg), detached, der, len),
                     EVOTE_OK);
    evote_signer_free(s);
}

/* Sign on a token, check with our verifier and with `openssl cms -verify`. */
static void token_sign_and_check(const char *name, bool cert_from_token) {
    evt_voter_token(dir, "card", name);
    evote_signer_t *s = NULL;
    ck_assert_int_eq(evote_signer_open(&s, evt_module(), "card", EVT_PIN, strlen(EVT_PIN),
                                       "sign",
                                       cert_from_token ? NULL
                                                       : evt_pki_path(dir, name, ".pem")),
                     EVOTE_OK);
    uint8_t *der = NULL;
    size_t len = 0;
    ck_assert_int_eq(evote_signer_sign_cms(s, msg, sizeof(msg), false, &der, &len),
                     EVOTE_OK);
    size_t clen = 0;
    const uint8_t *cder = evote_signer_cert_der(s, &clen);
    ck_assert_ptr_nonnull(cder);

    evote_cms_verifier_t *v = verifier(1);
    evote_cms_result_t r;
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, &r), EVOTE_OK);
    ck_assert_uint_eq(r.content_len, sizeof(msg));
    ck_assert_mem_eq(r.content, msg, sizeof(msg));
    ck_assert_uint_eq(r.cert_der_len, clen);
    ck_assert_mem_eq(r.cert_der, cder, clen);
    uint8_t h[32];
    ck_assert_int_eq(evote_sha256(cder, clen, h), EVOTE_OK);
    ck_assert_mem_eq(r.cert_sha256, h, 32);
    ck_assert_str_eq(r.issuer, "CN=Test National ID CA,O=libevote test,C=JP");
    ck_assert_int_gt(strlen(r.serial_hex), 0);
    evote_cms_result_clear(&r);

    char p7[4096], in[4096], outp[4096];
    snprintf(p7, sizeof(p7), "%s/msg.p7", dir);
    snprintf(in, sizeof(in), "%s/msg", dir);
    snprintf(outp, sizeof(outp), "%s/msg.out", dir);
    evt_write(p7, der, len);
    evt_write(in, msg, sizeof(msg));
    ck_assert_int_eq(evt_sh("openssl cms -verify -inform DER -binary -in '%s' -CAfile '%s' "
                            "-out '%s' 2>/dev/null",
                            p7, evt_pki_path(dir, "ca", ".pem"), outp),
                     0);
    ck_assert_int_eq(evt_sh("cmp -s '%s' '%s'", in, outp), 0);
    /* RSA: PKCS#1 v1.5 (rsaEncryption), ECDSA: ecdsa-with-SHA256; SHA-256. */
    ck_assert_int_eq(evt_sh("openssl cms -cmsout -print -inform DER -in '%s' | grep -q %s",
                            p7, strncmp(name, "rsa", 3) == 0 ? "rsaEncryption"
                                                             : "ecdsa-with-SHA256"),
                     0);
    ck_assert_int_eq(evt_sh("openssl cms -cmsout -print -inform DER -in '%s' | grep -q sha256",
                            p7),
                     0);
    /* detached */
    free(der);
    ck_assert_int_eq(evote_signer_sign_cms(s, msg, sizeof(msg), true, &der, &len),
                     EVOTE_OK);
    evt_write(p7, der, len);
    ck_assert_int_eq(evt_sh("openssl cms -verify -inform DER -binary -in '%s' -content '%s' "
                            "-CAfile '%s' -out /dev/null 2>/dev/null",
                            p7, in, evt_pki_path(dir, "ca", ".pem")),
                     0);
    ck_assert_int_eq(evote_cms_verify(v, der, len, msg, sizeof(msg), EVT_PKI_NOW, &r),
                     EVOTE_OK);
    evote_cms_result_clear(&r);
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, &r),
                     EVOTE_ERR_CMS_FORMAT);
    ck_assert_ptr_null(r.content);
    free(der);
    evote_cms_verifier_free(v);
    evote_signer_free(s);
}

START_TEST(test_token_rsa) { token_sign_and_check("rsa-1", true); }
END_TEST
START_TEST(test_token_ec) { token_sign_and_check("ec-1", true); }
END_TEST
START_TEST(test_token_cert_file) { token_sign_and_check("rsa-1", false); }
END_TEST

START_TEST(test_open_errors) {
    evt_voter_token(dir, "card", "ec-1");
    evote_signer_t *s = (evote_signer_t *)1;
    ck_assert_int_eq(evote_signer_open(&s, "/nonexistent/module.so", "card", EVT_PIN,
                                       strlen(EVT_PIN), "sign", NULL),
                     EVOTE_ERR_MODULE_LOAD);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(evote_signer_open(&s, evt_module(), "nocard", EVT_PIN,
                                       strlen(EVT_PIN), "sign", NULL),
                     EVOTE_ERR_TOKEN_NOT_FOUND);
    ck_assert_int_eq(
        evote_signer_open(&s, evt_module(), "card", "wrong", 5, "sign", NULL),
        EVOTE_ERR_PIN_INCORRECT);
    ck_assert_int_eq(evote_signer_open(&s, evt_module(), "card", EVT_PIN,
                                       strlen(EVT_PIN), "nokey", NULL),
                     EVOTE_ERR_KEY_NOT_FOUND);
    /* a certificate of another key */
    ck_assert_int_eq(evote_signer_open(&s, evt_module(), "card", EVT_PIN,
                                       strlen(EVT_PIN), "sign",
                                       evt_pki_path(dir, "rsa-1", ".pem")),
                     EVOTE_ERR_KEY_MISMATCH);
    ck_assert_ptr_null(s);
    /* importing the same label twice is refused */
    ck_assert_int_eq(evote_hsm_import_key_cert(evt_module(), "card", EVT_PIN,
                                               strlen(EVT_PIN), "sign",
                                               evt_pki_path(dir, "ec-1", ".key"),
                                               evt_pki_path(dir, "ec-1", ".pem")),
                     EVOTE_ERR_KEY_EXISTS);
    ck_assert_int_eq(evote_hsm_import_key_cert(evt_module(), "card", EVT_PIN,
                                               strlen(EVT_PIN), "other",
                                               evt_pki_path(dir, "ec-1", ".key"),
                                               evt_pki_path(dir, "rsa-1", ".pem")),
                     EVOTE_ERR_KEY_MISMATCH);
}
END_TEST

START_TEST(test_token_key_not_extractable) {
    evt_voter_token(dir, "card", "ec-1");
    /* The imported key is sensitive and may only sign. */
    ck_assert_int_eq(evt_sh("pkcs11-tool --module '%s' --token-label card --login "
                            "--pin '%s' -O --type privkey 2>/dev/null | tr -s ' ' "
                            "| grep -qx ' Usage: sign'",
                            evt_module(), EVT_PIN),
                     0);
    ck_assert_int_eq(evt_sh("pkcs11-tool --module '%s' --token-label card --login "
                            "--pin '%s' -O --type privkey 2>/dev/null | tr -s ' ' "
                            "| grep -qx ' Access: sensitive'",
                            evt_module(), EVT_PIN),
                     0);
}
END_TEST

START_TEST(test_verify_certificates) {
    evote_cms_verifier_t *v = verifier(1);
    uint8_t *der = NULL;
    size_t len = 0;
    static const struct {
        const char *name;
        evote_err_t want;
    } cases[] = {
        {"rsa-1", EVOTE_OK},
        {"ec-1", EVOTE_OK},
        {"expired", EVOTE_ERR_CERT_EXPIRED},
        {"notyet", EVOTE_ERR_CERT_NOT_YET_VALID},
        {"revoked", EVOTE_ERR_CERT_REVOKED},
        {"unknown", EVOTE_ERR_CERT_CHAIN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sign_pem(cases[i].name, false, &der, &len);
        evote_cms_result_t r;
        memset(&r, 0xAA, sizeof(r));
        evote_err_t got = evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, &r);
        ck_assert_msg(got == cases[i].want, "%s: got %s (%s)", cases[i].name,
                      evote_err_name(got), evote_err_detail());
        if (got != EVOTE_OK) {
            ck_assert_ptr_null(r.content);
            ck_assert_ptr_null(r.cert_der);
        }
        evote_cms_result_clear(&r);
        free(der);
    }
    /* Without the CRL, the revoked certificate passes: revocation comes
     * only from configured CRLs. */
    evote_cms_verifier_t *nocrl = verifier(0);
    sign_pem("revoked", false, &der, &len);
    ck_assert_int_eq(evote_cms_verify(nocrl, der, len, NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_OK);
    /* The time of receipt decides: in 2037 rsa-1's certificate has expired. */
    free(der);
    sign_pem("rsa-1", false, &der, &len);
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, (int64_t)2124000000, NULL),
                     EVOTE_ERR_CERT_EXPIRED);
    ck_assert_int_eq(evote_cms_verify(nocrl, der, len, NULL, 0, (int64_t)1700000000, NULL),
                     EVOTE_ERR_CERT_NOT_YET_VALID);
    /* with the CRL, that moment precedes the CRL itself: no valid CRL */
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, (int64_t)1700000000, NULL),
                     EVOTE_ERR_CERT_CHAIN);
    free(der);
    evote_cms_verifier_free(nocrl);
    evote_cms_verifier_free(v);
}
END_TEST

START_TEST(test_verify_tamper) {
    evote_cms_verifier_t *v = verifier(1);
    uint8_t *der = NULL;
    size_t len = 0;
    sign_pem("ec-1", false, &der, &len);
    /* The content sits in eContent: find it and flip a byte. */
    uint8_t *hit = NULL;
    for (size_t i = 0; i + 8 <= len; i++)
        if (memcmp(der + i, msg, 8) == 0)
            hit = der + i;
    ck_assert_ptr_nonnull(hit);
    hit[3] ^= 1;
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_ERR_SIGNATURE);
    hit[3] ^= 1;
    /* The signature value is the last bytes of the message. */
    der[len - 2] ^= 0x40;
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_ERR_SIGNATURE);
    der[len - 2] ^= 0x40;
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, NULL), EVOTE_OK);
    /* Structure */
    ck_assert_int_eq(evote_cms_verify(v, der, len - 1, NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_ERR_CMS_FORMAT);
    uint8_t *longer = malloc(len + 1);
    memcpy(longer, der, len);
    longer[len] = 0;
    ck_assert_int_eq(evote_cms_verify(v, longer, len + 1, NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_ERR_CMS_FORMAT);
    free(longer);
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    ck_assert_int_eq(evote_cms_verify(v, junk, sizeof(junk), NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_ERR_CMS_FORMAT);
    uint8_t *big = calloc(1, EVOTE_CMS_MAX + 1);
    ck_assert_int_eq(evote_cms_verify(v, big, EVOTE_CMS_MAX + 1, NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_ERR_TOO_LARGE);
    free(big);
    /* content given for an attached message */
    ck_assert_int_eq(evote_cms_verify(v, der, len, msg, sizeof(msg), EVT_PKI_NOW, NULL),
                     EVOTE_ERR_CMS_FORMAT);
    free(der);
    /* detached with other content */
    sign_pem("ec-1", true, &der, &len);
    uint8_t other[sizeof(msg)];
    memcpy(other, msg, sizeof(msg));
    other[0] ^= 1;
    ck_assert_int_eq(evote_cms_verify(v, der, len, other, sizeof(other), EVT_PKI_NOW, NULL),
                     EVOTE_ERR_SIGNATURE);
    free(der);
    evote_cms_verifier_free(v);
}
END_TEST

START_TEST(test_verifier_inputs) {
    evote_cms_verifier_t *v = NULL;
    ck_assert_int_eq(evote_cms_verifier_new(&v), EVOTE_OK);
    ck_assert_int_eq(evote_cms_verifier_add_ca(v, (const uint8_t *)"nope", 4),
                     EVOTE_ERR_FORMAT);
    ck_assert_int_eq(evote_cms_verifier_add_crl(v, (const uint8_t *)"nope", 4),
                     EVOTE_ERR_FORMAT);
    ck_assert_int_eq(evote_cms_verifier_add_ca_file(v, "/nonexistent"), EVOTE_ERR_NOT_FOUND);
    /* No CA at all: nothing chains. */
    uint8_t *der = NULL;
    size_t len = 0;
    sign_pem("ec-1", false, &der, &len);
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_ERR_CERT_CHAIN);
    /* A CRL configured but none from the voter's CA: refused, never a pass. */
    ck_assert_int_eq(evote_cms_verifier_add_ca_file(v, evt_pki_path(dir, "ca", ".pem")),
                     EVOTE_OK);
    ck_assert_int_eq(evote_cms_verifier_add_ca_file(v, evt_pki_path(dir, "other-ca", ".pem")),
                     EVOTE_OK);
    ck_assert_int_eq(evote_cms_verifier_add_crl_file(v, evt_pki_path(dir, "crl", ".pem")),
                     EVOTE_OK);
    free(der);
    sign_pem("unknown", false, &der, &len);
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_ERR_CERT_CHAIN);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "CRL"));
    free(der);
    evote_cms_verifier_free(v);
}
END_TEST

/* The loader takes PEM bundles (every object in them) and single DER
 * objects, for certificates and CRLs alike; DER with trailing bytes is
 * refused. */
START_TEST(test_verifier_der_and_bundles) {
    char bundle[600], cader[600], crlder[600];
    snprintf(bundle, sizeof(bundle), "%s/bundle.pem", dir);
    snprintf(cader, sizeof(cader), "%s/ca.der", dir);
    snprintf(crlder, sizeof(crlder), "%s/crl.der", dir);
    ck_assert_int_eq(evt_sh("cat '%s' '%s' > '%s'", evt_pki_path(dir, "other-ca", ".pem"),
                            evt_pki_path(dir, "ca", ".pem"), bundle),
                     0);
    ck_assert_int_eq(evt_sh("openssl x509 -in '%s' -outform DER -out '%s'",
                            evt_pki_path(dir, "ca", ".pem"), cader),
                     0);
    ck_assert_int_eq(evt_sh("openssl crl -in '%s' -outform DER -out '%s'",
                            evt_pki_path(dir, "crl", ".pem"), crlder),
                     0);
    uint8_t *rsa = NULL, *unknown = NULL, *revoked = NULL;
    size_t rsa_len = 0, unknown_len = 0, revoked_len = 0;
    sign_pem("rsa-1", false, &rsa, &rsa_len);
    sign_pem("unknown", false, &unknown, &unknown_len);
    sign_pem("revoked", false, &revoked, &revoked_len);

    /* a PEM bundle of two CAs: both are trusted, not just the first */
    evote_cms_verifier_t *v = NULL;
    ck_assert_int_eq(evote_cms_verifier_new(&v), EVOTE_OK);
    ck_assert_int_eq(evote_cms_verifier_add_ca_file(v, bundle), EVOTE_OK);
    ck_assert_int_eq(evote_cms_verify(v, rsa, rsa_len, NULL, 0, EVT_PKI_NOW, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_cms_verify(v, unknown, unknown_len, NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_OK);
    evote_cms_verifier_free(v);

    /* a DER CA and a DER CRL, from files and from memory */
    for (int mem = 0; mem < 2; mem++) {
        ck_assert_int_eq(evote_cms_verifier_new(&v), EVOTE_OK);
        if (mem) {
            size_t n = 0;
            uint8_t *d = evt_read(cader, &n);
            ck_assert_int_eq(evote_cms_verifier_add_ca(v, d, n), EVOTE_OK);
            free(d);
        } else {
            ck_assert_int_eq(evote_cms_verifier_add_ca_file(v, cader), EVOTE_OK);
        }
        ck_assert_int_eq(evote_cms_verify(v, revoked, revoked_len, NULL, 0, EVT_PKI_NOW, NULL),
                         EVOTE_OK);
        if (mem) {
            size_t n = 0;
            uint8_t *d = evt_read(crlder, &n);
            ck_assert_int_eq(evote_cms_verifier_add_crl(v, d, n), EVOTE_OK);
            free(d);
        } else {
            ck_assert_int_eq(evote_cms_verifier_add_crl_file(v, crlder), EVOTE_OK);
        }
        /* the DER CRL is in force: revoked refused, the others pass */
        ck_assert_int_eq(evote_cms_verify(v, revoked, revoked_len, NULL, 0, EVT_PKI_NOW, NULL),
                         EVOTE_ERR_CERT_REVOKED);
        ck_assert_int_eq(evote_cms_verify(v, rsa, rsa_len, NULL, 0, EVT_PKI_NOW, NULL),
                         EVOTE_OK);
        ck_assert_int_eq(evote_cms_verify(v, unknown, unknown_len, NULL, 0, EVT_PKI_NOW, NULL),
                         EVOTE_ERR_CERT_CHAIN);
        evote_cms_verifier_free(v);
    }

    /* DER with one trailing byte, or cut short: refused with the kind named */
    ck_assert_int_eq(evote_cms_verifier_new(&v), EVOTE_OK);
    const char *paths[] = {cader, crlder};
    for (int i = 0; i < 2; i++) {
        size_t n = 0;
        uint8_t *d = evt_read(paths[i], &n);
        uint8_t *longer = malloc(n + 1);
        memcpy(longer, d, n);
        longer[n] = 0;
        evote_err_t (*add)(evote_cms_verifier_t *, const uint8_t *, size_t) =
            i == 0 ? evote_cms_verifier_add_ca : evote_cms_verifier_add_crl;
        ck_assert_int_eq(add(v, longer, n + 1), EVOTE_ERR_FORMAT);
        ck_assert_ptr_nonnull(strstr(evote_err_detail(), i == 0 ? "certificate" : "CRL"));
        ck_assert_int_eq(add(v, d, n - 1), EVOTE_ERR_FORMAT);
        /* a certificate is not a CRL, nor the other way round */
        ck_assert_int_eq((i == 0 ? evote_cms_verifier_add_crl : evote_cms_verifier_add_ca)(
                             v, d, n),
                         EVOTE_ERR_FORMAT);
        free(longer);
        free(d);
    }
    /* nothing was loaded by the refusals: nothing chains */
    ck_assert_int_eq(evote_cms_verify(v, rsa, rsa_len, NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_ERR_CERT_CHAIN);
    evote_cms_verifier_free(v);
    free(rsa);
    free(unknown);
    free(revoked);
}
END_TEST

START_TEST(test_cli_sign) {
    evt_voter_token(dir, "card", "rsa-1");
    char in[4096], p7[4096], pinf[4096];
    snprintf(in, sizeof(in), "%s/ballot", dir);
    snprintf(p7, sizeof(p7), "%s/ballot.p7", dir);
    snprintf(pinf, sizeof(pinf), "%s/pin", dir);
    evt_write(in, msg, sizeof(msg));
    evt_write(pinf, EVT_PIN "\n", strlen(EVT_PIN) + 1);
    ck_assert_int_eq(evt_sh("'%s' ballot sign --token card --key-label sign --pin-file '%s' "
                            "--in '%s' --out '%s'",
                            evt_cli(), pinf, in, p7),
                     0);
    ck_assert_int_eq(evt_sh("openssl cms -verify -inform DER -binary -in '%s' -CAfile '%s' "
                            "-out /dev/null 2>/dev/null",
                            p7, evt_pki_path(dir, "ca", ".pem")),
                     0);
    /* wrong PIN: exit 1, nothing written */
    unlink(p7);
    ck_assert_int_eq(evt_sh("EVOTE_PIN=bad '%s' ballot sign --token card --key-label sign "
                            "--in '%s' --out '%s' 2>/dev/null",
                            evt_cli(), in, p7),
                     1);
    ck_assert_int_ne(access(p7, F_OK), 0);
    ck_assert_int_eq(evt_sh("'%s' ballot sign --help >/dev/null", evt_cli()), 0);
    ck_assert_int_eq(evt_sh("'%s' ballot sign --token card 2>/dev/null", evt_cli()), 2);
}
END_TEST

START_TEST(test_many_keys_one_token) {
    evt_voter_token(dir, "cards", "rsa-1");
    const char *labels[] = {"voter-a", "voter-b"};
    char k0[600], k1[600], c0[600], cc1[600];
    snprintf(k0, sizeof(k0), "%s", evt_pki_path(dir, "ec-1", ".key"));
    snprintf(k1, sizeof(k1), "%s", evt_pki_path(dir, "expired", ".key"));
    snprintf(c0, sizeof(c0), "%s", evt_pki_path(dir, "ec-1", ".pem"));
    snprintf(cc1, sizeof(cc1), "%s", evt_pki_path(dir, "expired", ".pem"));
    const char *keys[] = {k0, k1};
    const char *certs[] = {c0, cc1};
    ck_assert_int_eq(evote_hsm_import_key_certs(evt_module(), "cards", EVT_PIN, strlen(EVT_PIN),
                                                2, labels, keys, certs),
                     EVOTE_OK);
    evote_signer_t *s = NULL;
    ck_assert_int_eq(evote_signer_open(&s, evt_module(), "cards", EVT_PIN, strlen(EVT_PIN),
                                       "voter-a", NULL),
                     EVOTE_OK);
    evote_cms_verifier_t *v = verifier(0);
    uint8_t *der = NULL;
    size_t len = 0, c1 = 0, c2 = 0;
    ck_assert_int_eq(evote_signer_sign_cms(s, msg, sizeof(msg), false, &der, &len), EVOTE_OK);
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, NULL), EVOTE_OK);
    free(der);
    const uint8_t *a = evote_signer_cert_der(s, &c1);
    uint8_t first[4096];
    memcpy(first, a, c1);
    /* an unknown label leaves the signer as it was */
    ck_assert_int_eq(evote_signer_select_key(s, "voter-x", NULL), EVOTE_ERR_KEY_NOT_FOUND);
    ck_assert_mem_eq(evote_signer_cert_der(s, &c2), first, c1);
    ck_assert_int_eq(evote_signer_select_key(s, "voter-b", NULL), EVOTE_OK);
    ck_assert_int_eq(evote_signer_sign_cms(s, msg, sizeof(msg), false, &der, &len), EVOTE_OK);
    /* signed by the expired voter's key now */
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, NULL),
                     EVOTE_ERR_CERT_EXPIRED);
    free(der);
    ck_assert_int_eq(evote_signer_select_key(s, "sign", NULL), EVOTE_OK);
    evote_signer_free(s);
    /* a software signer has no token keys to switch to */
    ck_assert_int_eq(evote_signer_open_pem(&s, keys[0], certs[0]), EVOTE_OK);
    ck_assert_int_eq(evote_signer_select_key(s, "sign", NULL), EVOTE_ERR_ARG);
    evote_signer_free(s);
    evote_cms_verifier_free(v);
}
END_TEST


/* Write voter i's key and certificate as PEM files dir/card-i.key/.pem. */
static void write_voter_pems(const evt_voter_t *v, size_t n, char **keys, char **certs,
                             char **labels) {
    for (size_t i = 0; i < n; i++) {
        keys[i] = malloc(600);
        certs[i] = malloc(600);
        labels[i] = malloc(32);
        snprintf(keys[i], 600, "%s/card-%03zu.key", dir, i);
        snprintf(certs[i], 600, "%s/card-%03zu.pem", dir, i);
        snprintf(labels[i], 32, "voter-%03zu", i);
        FILE *f = fopen(keys[i], "w");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(PEM_write_PrivateKey(f, v[i].key, NULL, NULL, 0, NULL, NULL), 1);
        fclose(f);
        f = fopen(certs[i], "w");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(PEM_write_X509(f, v[i].cert), 1);
        fclose(f);
    }
}

/* Sign with the signer's current key; the message verifies and names the
 * certificate of voter want (so the right key among many signed). */
static void sign_as(evote_signer_t *s, evote_cms_verifier_t *v, const evt_voter_t *want) {
    uint8_t *der = NULL;
    size_t len = 0;
    evote_cms_result_t r;
    ck_assert_int_eq(evote_signer_sign_cms(s, msg, sizeof(msg), false, &der, &len), EVOTE_OK);
    ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, &r), EVOTE_OK);
    ck_assert_mem_eq(r.cert_sha256, want->cert_sha256, 32);
    evote_cms_result_clear(&r);
    free(der);
}

/* Batch import: labels already on the token or repeated in the batch are
 * refused before anything is written; the signer picks the right key among
 * many from one listing; switching tokens. */
START_TEST(test_batch_import_many_keys) {
    const size_t n = evt_quick() ? 10 : 30; /* both prime to 7 (below) */
    evt_voter_token(dir, "cards", "rsa-1");  /* holds "sign" already */
    evt_voter_token(dir, "cards2", "ec-1"); /* a second card */
    evt_voter_t *vs = evt_voters_make(dir, n, false, 7000);
    char **keys = calloc(n + 1, sizeof(char *)), **certs = calloc(n + 1, sizeof(char *)),
         **labels = calloc(n + 1, sizeof(char *));
    write_voter_pems(vs, n, keys, certs, labels);
    const char *const *K = (const char *const *)keys, *const *C = (const char *const *)certs,
                      *const *L = (const char *const *)labels;

    /* the last label of the batch exists on the token: nothing imported */
    char *saved = labels[n - 1];
    labels[n - 1] = (char *)"sign";
    ck_assert_int_eq(evote_hsm_import_key_certs(evt_module(), "cards", EVT_PIN, strlen(EVT_PIN),
                                                n, L, K, C),
                     EVOTE_ERR_KEY_EXISTS);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "'sign'"));
    /* a label twice in the batch: nothing imported */
    labels[n - 1] = labels[0];
    ck_assert_int_eq(evote_hsm_import_key_certs(evt_module(), "cards", EVT_PIN, strlen(EVT_PIN),
                                                n, L, K, C),
                     EVOTE_ERR_KEY_EXISTS);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "twice"));
    labels[n - 1] = NULL;
    ck_assert_int_eq(evote_hsm_import_key_certs(evt_module(), "cards", EVT_PIN, strlen(EVT_PIN),
                                                n, L, K, C),
                     EVOTE_ERR_ARG);
    labels[n - 1] = (char *)"";
    ck_assert_int_eq(evote_hsm_import_key_certs(evt_module(), "cards", EVT_PIN, strlen(EVT_PIN),
                                                n, L, K, C),
                     EVOTE_ERR_ARG);
    /* a certificate of another key in the middle: the keys before it stay,
     * that key leaves nothing behind */
    labels[n - 1] = saved;
    char *c3 = certs[3];
    certs[3] = certs[4];
    ck_assert_int_eq(evote_hsm_import_key_certs(evt_module(), "cards", EVT_PIN, strlen(EVT_PIN),
                                                n, L, K, C),
                     EVOTE_ERR_KEY_MISMATCH);
    certs[3] = c3;
    ck_assert_int_eq(evote_hsm_import_key_certs(evt_module(), "cards", EVT_PIN, strlen(EVT_PIN),
                                                3, L, K, C),
                     EVOTE_ERR_KEY_EXISTS); /* voter-000..002 went in */
    ck_assert_int_eq(evote_hsm_import_key_certs(evt_module(), "cards", EVT_PIN, strlen(EVT_PIN),
                                                n - 3, L + 3, K + 3, C + 3),
                     EVOTE_OK); /* voter-003 left no object behind */
    /* importing the same batch again is refused as a whole */
    ck_assert_int_eq(evote_hsm_import_key_certs(evt_module(), "cards", EVT_PIN, strlen(EVT_PIN),
                                                n, L, K, C),
                     EVOTE_ERR_KEY_EXISTS);

    /* the signer: keys in any order, certificates from the token (by CKA_ID) */
    evote_cms_verifier_t *v = verifier(0);
    evote_signer_t *s = NULL;
    ck_assert_int_eq(evote_signer_open(&s, evt_module(), "cards", EVT_PIN, strlen(EVT_PIN),
                                       labels[n / 2], NULL),
                     EVOTE_OK);
    sign_as(s, v, &vs[n / 2]);
    for (size_t k = 0; k < n; k++) {
        size_t i = (k * 7 + 3) % n; /* every voter once */
        ck_assert_int_eq(evote_signer_select_key(s, labels[i], k % 2 ? certs[i] : NULL),
                         EVOTE_OK);
        sign_as(s, v, &vs[i]);
    }
    /* misses leave the signer as it was */
    size_t before = 0, after = 0;
    const uint8_t *cd = evote_signer_cert_der(s, &before);
    uint8_t *copy = malloc(before);
    memcpy(copy, cd, before);
    ck_assert_int_eq(evote_signer_select_key(s, "voter-999", NULL), EVOTE_ERR_KEY_NOT_FOUND);
    ck_assert_int_eq(evote_signer_select_key(s, labels[1], certs[2]), EVOTE_ERR_KEY_MISMATCH);
    ck_assert_int_eq(evote_signer_select_token(s, "nocards", EVT_PIN, strlen(EVT_PIN), "sign",
                                               NULL),
                     EVOTE_ERR_TOKEN_NOT_FOUND);
    ck_assert_int_eq(evote_signer_select_token(s, "cards2", "wrong", 5, "sign", NULL),
                     EVOTE_ERR_PIN_INCORRECT);
    ck_assert_int_eq(evote_signer_select_token(s, "cards2", EVT_PIN, strlen(EVT_PIN),
                                               labels[0], NULL),
                     EVOTE_ERR_KEY_NOT_FOUND);
    ck_assert_int_eq(evote_signer_select_token(s, NULL, EVT_PIN, strlen(EVT_PIN), "sign", NULL),
                     EVOTE_ERR_ARG);
    cd = evote_signer_cert_der(s, &after);
    ck_assert_uint_eq(after, before);
    ck_assert_mem_eq(cd, copy, before);
    free(copy);
    sign_as(s, v, &vs[(((n - 1) * 7) + 3) % n]); /* still the last voter selected */
    /* the keys of the first token are still reachable after those refusals */
    ck_assert_int_eq(evote_signer_select_key(s, labels[0], NULL), EVOTE_OK);
    sign_as(s, v, &vs[0]);
    /* to the second card and back */
    ck_assert_int_eq(evote_signer_select_token(s, "cards2", EVT_PIN, strlen(EVT_PIN), "sign",
                                               NULL),
                     EVOTE_OK);
    {
        FILE *f = fopen(evt_pki_path(dir, "ec-1", ".pem"), "r");
        ck_assert_ptr_nonnull(f);
        X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        ck_assert_ptr_nonnull(x);
        unsigned char *xd = NULL;
        int xl = i2d_X509(x, &xd);
        size_t cl = 0;
        const uint8_t *cur = evote_signer_cert_der(s, &cl);
        ck_assert_int_gt(xl, 0);
        ck_assert_uint_eq(cl, (size_t)xl);
        ck_assert_mem_eq(cur, xd, cl);
        OPENSSL_free(xd);
        X509_free(x);
        uint8_t *der = NULL;
        size_t len = 0;
        ck_assert_int_eq(evote_signer_sign_cms(s, msg, sizeof(msg), false, &der, &len),
                         EVOTE_OK);
        ck_assert_int_eq(evote_cms_verify(v, der, len, NULL, 0, EVT_PKI_NOW, NULL), EVOTE_OK);
        free(der);
    }
    ck_assert_int_eq(evote_signer_select_key(s, labels[0], NULL), EVOTE_ERR_KEY_NOT_FOUND);
    ck_assert_int_eq(evote_signer_select_token(s, "cards", EVT_PIN, strlen(EVT_PIN),
                                               labels[n - 1], NULL),
                     EVOTE_OK);
    sign_as(s, v, &vs[n - 1]);
    evote_signer_free(s);
    /* a software signer cannot switch tokens */
    ck_assert_int_eq(evote_signer_open_pem(&s, keys[0], certs[0]), EVOTE_OK);
    ck_assert_int_eq(evote_signer_select_token(s, "cards", EVT_PIN, strlen(EVT_PIN), "sign",
                                               NULL),
                     EVOTE_ERR_ARG);
    evote_signer_free(s);
    evote_cms_verifier_free(v);
    for (size_t i = 0; i < n; i++) {
        free(keys[i]);
        free(certs[i]);
        if (labels[i] != saved)
            free(labels[i]);
    }
    free(saved);
    free(keys);
    free(certs);
    free(labels);
    evt_voters_free(vs, n);
}
END_TEST

int main(void) {
    Suite *s = suite_create("signer");
    TCase *tc = tcase_create("signer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_token_rsa);
    tcase_add_test(tc, test_token_ec);
    tcase_add_test(tc, test_token_cert_file);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_token_key_not_extractable);
    tcase_add_test(tc, test_verify_certificates);
    tcase_add_test(tc, test_verify_tamper);
    tcase_add_test(tc, test_verifier_inputs);
    tcase_add_test(tc, test_verifier_der_and_bundles);
    tcase_add_test(tc, test_cli_sign);
    tcase_add_test(tc, test_many_keys_one_token);
    tcase_add_test(tc, test_batch_import_many_keys);
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? 0 : 1;
}
