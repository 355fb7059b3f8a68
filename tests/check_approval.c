/* Officials' approvals of a decryption: k of n CMS signatures, exact list. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/pem.h>

#include "ceremony_testutil.h"
#include "internal.h"
#include "testutil.h"

static char D[256];

/* Officials o1..o3 with EC keys and self-signed certificates; a manifest
 * naming o1..o3 (o4 exists but is not an official) and requiring `need`. */
static evote_manifest_t *setup(unsigned need) {
    evt_tmpdir(D, sizeof(D));
    for (int i = 1; i <= 4; i++)
        ck_assert_int_eq(
            evt_sh("cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                   "-nodes -keyout o%d.key -out o%d.pem -subj /CN=official-%d -days 30 "
                   ">/dev/null 2>&1 && openssl x509 -in o%d.pem -outform DER -out o%d.der",
                   D, i, i, i, i, i),
            0);
    char p[512];
    snprintf(p, sizeof(p), "%s/manifest.json", D);
    FILE *f = fopen(p, "w");
    fprintf(f, "{\"format\":\"libevote-manifest/1\",\"election_id\":\"e1\",\"title\":\"t\","
               "\"voting_window\":{\"opens\":\"2026-01-01T08:30:00+09:00\","
               "\"closes\":\"2036-12-31T20:00:00+09:00\"},"
               "\"contests\":[{\"id\":\"c1\",\"title\":\"C\",\"kind\":\"district\","
               "\"options\":[{\"id\":\"a\",\"name\":\"A\"},{\"id\":\"b\",\"name\":\"B\"}]},"
               "{\"id\":\"c2\",\"title\":\"C2\",\"kind\":\"district\","
               "\"options\":[{\"id\":\"a\",\"name\":\"A\"}]}],"
               "\"officials\":[");
    for (int i = 1; i <= 3; i++) {
        char der[512];
        uint8_t h[32];
        char hex[65];
        snprintf(der, sizeof(der), "%s/o%d.der", D, i);
        ck_assert_int_eq(evote_sha256_file(der, h), EVOTE_OK);
        evote_hex(hex, h, 32);
        fprintf(f, "%s{\"id\":\"o%d\",\"name\":\"役員 %d\",\"cert_sha256\":\"%s\"}",
                i > 1 ? "," : "", i, i, hex);
    }
    if (need > 0)
        fprintf(f, "],\"policy\":{\"decrypt\":%u}}", need);
    else
        fprintf(f, "]}");
    fclose(f);
    evote_manifest_t *m = NULL;
    ck_assert_int_eq(evote_manifest_load(&m, p), EVOTE_OK);
    return m;
}

static uint8_t *sign_as(int i, const uint8_t *auth, size_t alen, size_t *len) {
    char p[512];
    snprintf(p, sizeof(p), "%s/o%d.key", D, i);
    FILE *kf = fopen(p, "r");
    EVP_PKEY *k = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
    fclose(kf);
    snprintf(p, sizeof(p), "%s/o%d.pem", D, i);
    FILE *cf = fopen(p, "r");
    X509 *c = PEM_read_X509(cf, NULL, NULL, NULL);
    fclose(cf);
    uint8_t *der = NULL;
    ck_assert_int_eq(evote_approval_sign(&der, len, auth, alen, k, c), EVOTE_OK);
    EVP_PKEY_free(k);
    X509_free(c);
    return der;
}

static uint8_t LH[32] = {0x11, 0x22};

static uint8_t *make_auth(const evote_manifest_t *m, const char *contest, const uint8_t *lh,
                          size_t *len) {
    char p[512];
    snprintf(p, sizeof(p), "%s/auth-%s-%02x.json", D, contest, lh[0]);
    ck_assert_int_eq(evote_approval_write(p, m, contest, lh), EVOTE_OK);
    ck_assert_int_eq(evote_approval_write(p, m, contest, lh), EVOTE_ERR_EXISTS);
    return evt_read(p, len);
}

START_TEST(test_k_of_n) {
    evote_manifest_t *m = setup(2);
    size_t alen, l[4], n = 0;
    uint8_t *auth = make_auth(m, "c1", LH, &alen);
    uint8_t *s[4];
    s[0] = sign_as(1, auth, alen, &l[0]);
    s[1] = sign_as(3, auth, alen, &l[1]);
    s[2] = sign_as(1, auth, alen, &l[2]);
    s[3] = sign_as(4, auth, alen, &l[3]);
    const uint8_t *const *ss = (const uint8_t *const *)s;
    ck_assert_int_eq(evote_approval_verify(m, "c1", LH, auth, alen, ss, l, 2, &n), EVOTE_OK);
    ck_assert_uint_eq(n, 2);
    /* too few */
    ck_assert_int_eq(evote_approval_verify(m, "c1", LH, auth, alen, ss, l, 1, &n),
                     EVOTE_ERR_POLICY);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "too few"));
    ck_assert_int_eq(evote_approval_verify(m, "c1", LH, NULL, 0, NULL, NULL, 0, &n),
                     EVOTE_ERR_POLICY);
    /* the same official twice does not count twice */
    const uint8_t *dup[2] = {s[0], s[2]};
    size_t duplen[2] = {l[0], l[2]};
    ck_assert_int_eq(evote_approval_verify(m, "c1", LH, auth, alen, dup, duplen, 2, &n),
                     EVOTE_ERR_POLICY);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "twice"));
    /* someone who is not an official */
    const uint8_t *unk[2] = {s[0], s[3]};
    size_t unklen[2] = {l[0], l[3]};
    ck_assert_int_eq(evote_approval_verify(m, "c1", LH, auth, alen, unk, unklen, 2, &n),
                     EVOTE_ERR_POLICY);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "no official"));
    /* the authorisation names another list / another contest */
    uint8_t other[32] = {0x99};
    ck_assert_int_eq(evote_approval_verify(m, "c1", other, auth, alen, ss, l, 2, &n),
                     EVOTE_ERR_POLICY);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "another input list"));
    ck_assert_int_eq(evote_approval_verify(m, "c2", LH, auth, alen, ss, l, 2, &n),
                     EVOTE_ERR_POLICY);
    /* a byte changed in the signed authorisation */
    uint8_t *auth2 = malloc(alen + 1);
    memcpy(auth2, auth, alen + 1); /* evt_read NUL-terminates */
    char *sp = strstr((char *)auth2, "\n ");
    ck_assert_ptr_nonnull(sp);
    sp[1] = '\t'; /* still the same JSON, different bytes */
    ck_assert_int_eq(evote_approval_verify(m, "c1", LH, auth2, alen, ss, l, 2, &n),
                     EVOTE_ERR_SIGNATURE);
    /* a signature that is not CMS */
    s[1][0] ^= 0xff;
    ck_assert_int_eq(evote_approval_verify(m, "c1", LH, auth, alen, ss, l, 2, &n),
                     EVOTE_ERR_CMS_FORMAT);
    free(auth2);
    for (int i = 0; i < 4; i++)
        OPENSSL_free(s[i]);
    free(auth);
    evote_manifest_free(m);
    evt_rmrf(D);
}
END_TEST

START_TEST(test_default_policy_is_one) {
    evote_manifest_t *m = setup(0); /* "policy" names no decrypt step: 1 required */
    size_t alen, l, n;
    uint8_t *auth = make_auth(m, "c1", LH, &alen);
    ck_assert_int_eq(evote_approval_verify(m, "c1", LH, auth, alen, NULL, NULL, 0, &n),
                     EVOTE_ERR_POLICY);
    uint8_t *s = sign_as(2, auth, alen, &l);
    const uint8_t *ss[1] = {s};
    ck_assert_int_eq(evote_approval_verify(m, "c1", LH, auth, alen, ss, &l, 1, &n), EVOTE_OK);
    ck_assert_uint_eq(n, 1);
    OPENSSL_free(s);
    free(auth);
    evote_manifest_free(m);
    evt_rmrf(D);
}
END_TEST

/* The library's token path (the signer API): an official's key on a SoftHSM2
 * token signs an approval that counts like a software one; the token's
 * errors come back precisely and leave no signature. */
START_TEST(test_sign_token) {
    evote_manifest_t *m = setup(1);
    size_t alen, l = 0, n = 0;
    uint8_t *auth = make_auth(m, "c1", LH, &alen);
    evt_token_setup(D, "off1");
    char k[512], c[512];
    snprintf(k, sizeof(k), "%s/o1.key", D);
    snprintf(c, sizeof(c), "%s/o1.pem", D);
    const char *labels[] = {"evote-official"}, *keys[] = {k}, *certs[] = {c};
    ck_assert_int_eq(evote_hsm_import_key_certs(evt_module(), "off1", EVT_PIN, strlen(EVT_PIN),
                                                1, labels, keys, certs),
                     EVOTE_OK);
    uint8_t *der = NULL;
    ck_assert_int_eq(evote_approval_sign_token(&der, &l, auth, alen, evt_module(), "off1",
                                               "evote-official", EVT_PIN, strlen(EVT_PIN)),
                     EVOTE_OK);
    const uint8_t *ss[1] = {der};
    ck_assert_int_eq(evote_approval_verify(m, "c1", LH, auth, alen, ss, &l, 1, &n), EVOTE_OK);
    ck_assert_uint_eq(n, 1);
    /* detached: the authorisation's bytes are not inside the signature */
    for (size_t i = 0; i + alen <= l; i++)
        ck_assert(memcmp(der + i, auth, alen) != 0);
    OPENSSL_free(der);
    static const struct {
        const char *token, *label, *pin;
        evote_err_t want;
    } bad[] = {
        {"off1", "evote-official", "999999", EVOTE_ERR_PIN_INCORRECT},
        {"nope", "evote-official", EVT_PIN, EVOTE_ERR_TOKEN_NOT_FOUND},
        {"off1", "someone-else", EVT_PIN, EVOTE_ERR_KEY_NOT_FOUND},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        der = (uint8_t *)"x";
        l = 7;
        evote_err_t e = evote_approval_sign_token(&der, &l, auth, alen, evt_module(),
                                                  bad[i].token, bad[i].label, bad[i].pin,
                                                  strlen(bad[i].pin));
        ck_assert_msg(e == bad[i].want, "case %zu: %s (%s)", i, evote_err_name(e),
                      evote_err_detail());
        ck_assert_ptr_null(der);
        ck_assert_uint_eq(l, 0);
    }
    ck_assert_int_eq(evote_approval_sign_token(&der, &l, auth, alen, "/nonexistent.so", "off1",
                                               "evote-official", EVT_PIN, strlen(EVT_PIN)),
                     EVOTE_ERR_MODULE_LOAD);
    free(auth);
    evote_manifest_free(m);
    evt_rmrf(D);
}
END_TEST

/* Through the CLI: officials sign with their own SoftHSM2 tokens, and the
 * partial decryption refuses to start without enough approvals. */
START_TEST(test_cli_tokens_gate_decryption) {
    evote_manifest_t *m = setup(2);
    char conf[512], tok[512];
    snprintf(tok, sizeof(tok), "%s/tokens", D);
    mkdir(tok, 0700);
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", D);
    FILE *f = fopen(conf, "w");
    fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n",
            tok);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
    setenv("EVOTE_PIN", EVT_PIN, 1);
    const char *labels[] = {"off1", "off2", "trustee"};
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(evt_sh("softhsm2-util --init-token --free --label %s --so-pin %s "
                                "--pin %s >/dev/null",
                                labels[i], EVT_SO_PIN, EVT_PIN),
                         0);
    for (int i = 1; i <= 2; i++)
        ck_assert_int_eq(
            evt_sh("cd %s && openssl pkcs8 -topk8 -nocrypt -in o%d.key -out o%d.p8 && "
                   "softhsm2-util --import o%d.p8 --token off%d --label evote-official "
                   "--id 0%d --pin %s >/dev/null && pkcs11-tool --module %s --token-label "
                   "off%d --login --pin %s --write-object o%d.der --type cert --label "
                   "evote-official --id 0%d >/dev/null 2>&1",
                   D, i, i, i, i, i, EVT_PIN, evt_module(), i, EVT_PIN, i, i),
            0);
    ck_assert_int_eq(evt_sh("cd %s && %s trustee keygen --manifest manifest.json --trustee T1 "
                            "--token trustee --commitment-out c.json --key-out k.json "
                            ">/dev/null && %s trustee combine-keys --manifest manifest.json "
                            "--commitment c.json --key k.json --out pk.pem --record rec.json "
                            ">/dev/null",
                            D, evt_cli(), evt_cli()),
                     0);
    char p[512];
    uint8_t pk[33];
    snprintf(p, sizeof(p), "%s/pk.pem", D);
    ck_assert_int_eq(evote_pubkey_read_pem(p, pk), EVOTE_OK);
    evote_ct_t cts[3];
    for (int j = 0; j < 3; j++)
        evt_encrypt(&cts[j], pk, (uint32_t)(j % 2));
    snprintf(p, sizeof(p), "%s/list.bt", D);
    ck_assert_int_eq(evote_ctlist_write(p, cts, 3), EVOTE_OK);
    for (int i = 1; i <= 2; i++)
        ck_assert_int_eq(evt_sh("cd %s && %s decrypt authorize --manifest manifest.json "
                                "--contest c1 --input list.bt --authorization auth.json "
                                "--token off%d --signature-out s%d.p7s >/dev/null",
                                D, evt_cli(), i, i),
                         0);
    /* anyone can check a signature by hand */
    ck_assert_int_eq(evt_sh("cd %s && openssl cms -verify -inform DER -in s1.p7s -content "
                            "auth.json -binary -noverify -out /dev/null 2>/dev/null",
                            D),
                     0);
    const char *base = "decrypt partial --manifest manifest.json --record rec.json "
                       "--contest c1 --input list.bt --unmixed --trustee T1 --token trustee --out p.bin";
    ck_assert_int_eq(evt_sh("cd %s && %s %s --authorization auth.json --signature s1.p7s "
                            "2>err.txt >/dev/null",
                            D, evt_cli(), base),
                     1);
    ck_assert_int_eq(evt_sh("grep -q 'EVOTE_ERR_POLICY.*too few' %s/err.txt", D), 0);
    ck_assert_int_ne(evt_sh("test -e %s/p.bin", D), 0);
    ck_assert_int_eq(evt_sh("cd %s && %s %s --authorization auth.json --signature s1.p7s "
                            "--signature s2.p7s >out.txt 2>&1",
                            D, evt_cli(), base),
                     0);
    ck_assert_int_eq(evt_sh("grep -q 'approved by 2 official' %s/out.txt", D), 0);
    evote_manifest_free(m);
    evt_rmrf(D);
}
END_TEST

int main(void) {
    Suite *s = suite_create("approval");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_k_of_n);
    tcase_add_test(tc, test_default_policy_is_one);
    tcase_add_test(tc, test_sign_token);
    tcase_add_test(tc, test_cli_tokens_gate_decryption);
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? 0 : 1;
}
