/*
 * PKCS#11 module: token set-up, election key generation and its attributes,
 * ECDH derive against software, error codes. Every test runs in its own
 * process (CK_FORK) on a throwaway SoftHSM2 token in a temporary directory.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "hsm_internal.h"
#include "internal.h"
#include "testutil.h"

#define TOKEN "evote-test"
#define KEY "election-key"

static char g_dir[256];

static void setup(void) {
    evt_tmpdir(g_dir, sizeof(g_dir));
    evt_token_setup(g_dir, TOKEN);
}

static void teardown(void) { evt_rmrf(g_dir); }

static evote_hsm_t *open_token(unsigned nsessions) {
    evote_hsm_t *hsm = NULL;
    evote_err_t rv = evote_hsm_open(&hsm, NULL, TOKEN, EVT_PIN, strlen(EVT_PIN), nsessions);
    ck_assert_msg(rv == EVOTE_OK, "open: %s (%s)", evote_strerror(rv), evote_err_detail());
    return hsm;
}

static evote_hsm_t *open_with_key(unsigned nsessions, uint8_t pk[EVOTE_POINT_LEN]) {
    evote_hsm_t *hsm = open_token(nsessions);
    evote_err_t rv = evote_hsm_keygen(hsm, KEY, pk);
    ck_assert_msg(rv == EVOTE_OK, "keygen: %s (%s)", evote_strerror(rv), evote_err_detail());
    return hsm;
}

/* ---- raw PKCS#11, independent of evote's wrappers ----------------------- */

struct raw {
    CK_FUNCTION_LIST *f;
    CK_SESSION_HANDLE s;
};

static struct raw raw_open(const char *label) {
    struct raw r = {0};
    void *dl = dlopen(evt_module(), RTLD_NOW | RTLD_LOCAL);
    ck_assert_ptr_nonnull(dl);
    CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList");
    ck_assert_ptr_nonnull(gfl);
    ck_assert_int_eq(gfl(&r.f), CKR_OK);
    CK_C_INITIALIZE_ARGS args = {0};
    args.flags = CKF_OS_LOCKING_OK;
    ck_assert_int_eq(r.f->C_Initialize(&args), CKR_OK);
    CK_SLOT_ID slots[16];
    CK_ULONG n = 16;
    ck_assert_int_eq(r.f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    bool found = false;
    for (CK_ULONG i = 0; i < n && !found; i++) {
        CK_TOKEN_INFO ti;
        ck_assert_int_eq(r.f->C_GetTokenInfo(slots[i], &ti), CKR_OK);
        char l[33];
        memcpy(l, ti.label, 32);
        l[32] = 0;
        for (int j = 31; j >= 0 && l[j] == ' '; j--)
            l[j] = 0;
        if (strcmp(l, label) == 0) {
            ck_assert_int_eq(r.f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                                NULL, NULL, &r.s),
                             CKR_OK);
            found = true;
        }
    }
    ck_assert_msg(found, "raw: token %s not found", label);
    ck_assert_int_eq(r.f->C_Login(r.s, CKU_USER, (CK_UTF8CHAR_PTR)EVT_PIN, strlen(EVT_PIN)),
                     CKR_OK);
    return r;
}

static void raw_close(struct raw *r) {
    r->f->C_Logout(r->s);
    r->f->C_CloseSession(r->s);
    r->f->C_Finalize(NULL);
}

static CK_OBJECT_HANDLE raw_find(struct raw *r, CK_OBJECT_CLASS cls, const char *label) {
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
                        {CKA_LABEL, (void *)label, strlen(label)}};
    CK_OBJECT_HANDLE h[2];
    CK_ULONG n = 0;
    ck_assert_int_eq(r->f->C_FindObjectsInit(r->s, t, 2), CKR_OK);
    ck_assert_int_eq(r->f->C_FindObjects(r->s, h, 2, &n), CKR_OK);
    ck_assert_int_eq(r->f->C_FindObjectsFinal(r->s), CKR_OK);
    ck_assert_int_eq(n, 1);
    return h[0];
}

static CK_BBOOL raw_bool(struct raw *r, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t) {
    CK_BBOOL v = 0xAA;
    CK_ATTRIBUTE a = {t, &v, sizeof(v)};
    ck_assert_int_eq(r->f->C_GetAttributeValue(r->s, o, &a, 1), CKR_OK);
    ck_assert_int_eq(a.ulValueLen, sizeof(v));
    return v;
}

/* ---- software reference ------------------------------------------------- */

/* out = k·P (compressed) for P given compressed (NULL = G). */
static void sw_mul(uint8_t out[33], const BIGNUM *k, const uint8_t *p33) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *p = EC_POINT_new(g), *r = EC_POINT_new(g);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(r);
    if (p33 != NULL) {
        ck_assert_int_eq(evote_ec_decode(p, p33, NULL), EVOTE_OK);
        ck_assert_int_eq(EC_POINT_mul(g, r, NULL, p, k, NULL), 1);
    } else {
        ck_assert_int_eq(EC_POINT_mul(g, r, k, NULL, NULL, NULL), 1);
    }
    ck_assert_int_eq(evote_ec_encode(out, r, NULL), EVOTE_OK);
    EC_POINT_free(p);
    EC_POINT_free(r);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_keygen_attributes) {
    uint8_t pk[33];
    evote_hsm_t *hsm = open_with_key(1, pk);
    ck_assert_int_eq(evote_point_check(pk), EVOTE_OK);

    evote_hsm_key_attrs_t a;
    ck_assert_int_eq(evote_hsm_key_attrs(hsm, &a), EVOTE_OK);
    ck_assert_int_eq(a.sensitive, 1);
    ck_assert_int_eq(a.extractable, 0);
    ck_assert_int_eq(a.never_extractable, 1);
    ck_assert_int_eq(a.always_sensitive, 1);
    ck_assert_int_eq(a.value_readable, 0);
    ck_assert_int_eq(a.derive, 1);
    ck_assert_int_eq(a.sign, 0);
    ck_assert_int_eq(a.decrypt, 0);
    ck_assert_int_eq(a.unwrap, 0);
    ck_assert_int_eq(a.sign_recover, 0);
    ck_assert_int_eq(a.token, 1);
    ck_assert_int_eq(a.private_, 1);

    uint8_t id[64];
    size_t idlen = 0;
    ck_assert_int_eq(evote_hsm_key_id(hsm, id, sizeof(id), &idlen), EVOTE_OK);
    ck_assert_int_eq(idlen, 16);
    evote_hsm_free(hsm);

    /* Again with nothing but raw PKCS#11 calls. */
    struct raw r = raw_open(TOKEN);
    CK_OBJECT_HANDLE priv = raw_find(&r, CKO_PRIVATE_KEY, KEY);
    ck_assert_int_eq(raw_bool(&r, priv, CKA_SENSITIVE), CK_TRUE);
    ck_assert_int_eq(raw_bool(&r, priv, CKA_EXTRACTABLE), CK_FALSE);
    ck_assert_int_eq(raw_bool(&r, priv, CKA_NEVER_EXTRACTABLE), CK_TRUE);
    ck_assert_int_eq(raw_bool(&r, priv, CKA_ALWAYS_SENSITIVE), CK_TRUE);
    ck_assert_int_eq(raw_bool(&r, priv, CKA_DERIVE), CK_TRUE);
    ck_assert_int_eq(raw_bool(&r, priv, CKA_SIGN), CK_FALSE);
    ck_assert_int_eq(raw_bool(&r, priv, CKA_DECRYPT), CK_FALSE);
    ck_assert_int_eq(raw_bool(&r, priv, CKA_TOKEN), CK_TRUE);
    uint8_t v[128];
    CK_ATTRIBUTE va = {CKA_VALUE, NULL, 0};
    ck_assert_int_eq(r.f->C_GetAttributeValue(r.s, priv, &va, 1), CKR_ATTRIBUTE_SENSITIVE);
    ck_assert(va.ulValueLen == CK_UNAVAILABLE_INFORMATION);
    va.pValue = v;
    va.ulValueLen = sizeof(v);
    ck_assert_int_eq(r.f->C_GetAttributeValue(r.s, priv, &va, 1), CKR_ATTRIBUTE_SENSITIVE);
    ck_assert(va.ulValueLen == CK_UNAVAILABLE_INFORMATION);
    /* The sensitive flag cannot be turned off afterwards either. */
    CK_BBOOL no = CK_FALSE;
    CK_ATTRIBUTE off = {CKA_SENSITIVE, &no, sizeof(no)};
    ck_assert_int_ne(r.f->C_SetAttributeValue(r.s, priv, &off, 1), CKR_OK);
    CK_BBOOL yes = CK_TRUE;
    CK_ATTRIBUTE ext = {CKA_EXTRACTABLE, &yes, sizeof(yes)};
    ck_assert_int_ne(r.f->C_SetAttributeValue(r.s, priv, &ext, 1), CKR_OK);

    /* The public key on the token is the one keygen returned. */
    CK_OBJECT_HANDLE pubh = raw_find(&r, CKO_PUBLIC_KEY, KEY);
    uint8_t ecp[80];
    CK_ATTRIBUTE pa = {CKA_EC_POINT, ecp, sizeof(ecp)};
    ck_assert_int_eq(r.f->C_GetAttributeValue(r.s, pubh, &pa, 1), CKR_OK);
    ck_assert_int_eq(pa.ulValueLen, 67);
    ck_assert_int_eq(ecp[2], 0x04);
    ck_assert_mem_eq(ecp + 3, pk + 1, 32);
    ck_assert_int_eq(pk[0], 0x02 | (ecp[66] & 1));
    raw_close(&r);

    /* Reopen and select by label: same public key. */
    uint8_t pk2[33];
    hsm = open_token(1);
    ck_assert_int_eq(evote_hsm_select_key(hsm, KEY, pk2), EVOTE_OK);
    ck_assert_mem_eq(pk, pk2, 33);
    evote_hsm_token_info_t ti;
    ck_assert_int_eq(evote_hsm_token_info(hsm, &ti), EVOTE_OK);
    ck_assert_str_eq(ti.label, TOKEN);
    ck_assert_str_eq(ti.model, "SoftHSM v2");
    ck_assert(strlen(ti.serial) > 0);
    evote_hsm_free(hsm);
}
END_TEST

START_TEST(test_derive_matches_software) {
    uint8_t pk[33];
    evote_hsm_t *hsm = open_with_key(2, pk);
    BIGNUM *k = BN_new();
    ck_assert_ptr_nonnull(k);
    for (int i = 0; i < 20; i++) {
        uint8_t p[33], expect[33], x[32], even[33], odd[33];
        ck_assert_int_eq(evote_scalar_random(k), EVOTE_OK);
        sw_mul(p, k, NULL);       /* P = k·G */
        sw_mul(expect, k, pk);    /* key·P = k·PK */
        ck_assert_int_eq(evote_hsm_derive_x(hsm, p, x), EVOTE_OK);
        ck_assert_mem_eq(x, expect + 1, 32);
        ck_assert_int_eq(evote_hsm_derive_lift(hsm, p, even, odd), EVOTE_OK);
        ck_assert_int_eq(even[0], 0x02);
        ck_assert_int_eq(odd[0], 0x03);
        ck_assert_mem_eq(even + 1, expect + 1, 32);
        ck_assert_mem_eq(odd + 1, expect + 1, 32);
        ck_assert_int_eq(evote_point_check(even), EVOTE_OK);
        ck_assert_int_eq(evote_point_check(odd), EVOTE_OK);
        ck_assert(memcmp(expect, even, 33) == 0 || memcmp(expect, odd, 33) == 0);
    }
    BN_free(k);
    evote_hsm_free(hsm);
}
END_TEST

START_TEST(test_invalid_point_never_reaches_token) {
    uint8_t pk[33], x[32], e[33], o[33];
    evote_hsm_t *hsm = open_with_key(1, pk);
    unsigned long before = evote_hsm_derive_count(hsm);

    uint8_t off[33] = {0x02};
    off[32] = 1; /* x = 1 is not on P-256 */
    ck_assert_int_eq(evote_hsm_derive_x(hsm, off, x), EVOTE_ERR_POINT_NOT_ON_CURVE);
    ck_assert_int_eq(evote_hsm_derive_lift(hsm, off, e, o), EVOTE_ERR_POINT_NOT_ON_CURVE);
    uint8_t bad_prefix[33];
    memcpy(bad_prefix, pk, 33);
    bad_prefix[0] = 0x04;
    ck_assert_int_eq(evote_hsm_derive_x(hsm, bad_prefix, x), EVOTE_ERR_POINT_INVALID);
    bad_prefix[0] = 0x00; /* SEC1's encoding of infinity */
    ck_assert_int_eq(evote_hsm_derive_x(hsm, bad_prefix, x), EVOTE_ERR_POINT_INVALID);
    uint8_t big[33];
    memset(big, 0xff, sizeof(big));
    big[0] = 0x03; /* x ≥ p */
    ck_assert_int_eq(evote_hsm_derive_x(hsm, big, x), EVOTE_ERR_POINT_INVALID);
    /* outputs are zeroed on failure */
    static const uint8_t zero[33];
    ck_assert_mem_eq(x, zero, 32);
    ck_assert_mem_eq(e, zero, 33);
    ck_assert_mem_eq(o, zero, 33);

    ck_assert_uint_eq(evote_hsm_derive_count(hsm), before);
    /* and a valid point does reach it */
    ck_assert_int_eq(evote_hsm_derive_x(hsm, pk, x), EVOTE_OK);
    ck_assert_uint_eq(evote_hsm_derive_count(hsm), before + 1);
    evote_hsm_free(hsm);
}
END_TEST

START_TEST(test_wrong_pin) {
    evote_hsm_t *hsm = NULL;
    ck_assert_int_eq(evote_hsm_open(&hsm, NULL, TOKEN, "wrong-pin-0000", 14, 1),
                     EVOTE_ERR_PIN_INCORRECT);
    ck_assert_ptr_null(hsm);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "CKR_PIN_INCORRECT"));
    /* the right PIN still works afterwards */
    hsm = open_token(1);
    evote_hsm_free(hsm);
}
END_TEST

/*
 * SoftHSM2 2.6 keeps no failed-login counter (no CKF_USER_PIN_COUNT_LOW /
 * _LOCKED ever appears), so it cannot produce CKR_PIN_LOCKED: this test
 * shows that after many wrong PINs the token is still usable, and the
 * mapping of CKR_PIN_LOCKED itself is tested in test_ckr_mapping.
 */
START_TEST(test_softhsm_never_locks) {
    evote_hsm_t *hsm = NULL;
    for (int i = 0; i < 12; i++)
        ck_assert_int_eq(evote_hsm_open(&hsm, NULL, TOKEN, "wrong-pin-0000", 14, 1),
                         EVOTE_ERR_PIN_INCORRECT);
    hsm = open_token(1);
    evote_hsm_free(hsm);
}
END_TEST

START_TEST(test_ckr_mapping) {
    ck_assert_int_eq(evote_hsm_ckr(CKR_PIN_INCORRECT, "x"), EVOTE_ERR_PIN_INCORRECT);
    ck_assert_int_eq(evote_hsm_ckr(CKR_PIN_LOCKED, "C_Login"), EVOTE_ERR_PIN_LOCKED);
    ck_assert_str_eq(evote_err_detail(), "C_Login: CKR_PIN_LOCKED (0x000000a4)");
    ck_assert_int_eq(evote_hsm_ckr(CKR_DEVICE_REMOVED, "x"), EVOTE_ERR_TOKEN_REMOVED);
    ck_assert_int_eq(evote_hsm_ckr(CKR_TOKEN_NOT_PRESENT, "x"), EVOTE_ERR_TOKEN_REMOVED);
    ck_assert_int_eq(evote_hsm_ckr(CKR_SESSION_HANDLE_INVALID, "x"), EVOTE_ERR_TOKEN_REMOVED);
    ck_assert_int_eq(evote_hsm_ckr(CKR_SESSION_CLOSED, "x"), EVOTE_ERR_TOKEN_REMOVED);
    ck_assert_int_eq(evote_hsm_ckr(CKR_USER_NOT_LOGGED_IN, "x"), EVOTE_ERR_NOT_LOGGED_IN);
    ck_assert_int_eq(evote_hsm_ckr(CKR_MECHANISM_INVALID, "C_DeriveKey"), EVOTE_ERR_PKCS11);
    ck_assert_str_eq(evote_err_detail(), "C_DeriveKey: CKR_MECHANISM_INVALID (0x00000070)");
    ck_assert_int_eq(evote_hsm_ckr(CKR_VENDOR_DEFINED + 5, "x"), EVOTE_ERR_PKCS11);
    ck_assert_str_eq(evote_err_detail(), "x: CKR_VENDOR_DEFINED+ (0x80000005)");
}
END_TEST

START_TEST(test_missing_token) {
    evote_hsm_t *hsm = NULL;
    ck_assert_int_eq(evote_hsm_open(&hsm, NULL, "no-such-token", EVT_PIN, strlen(EVT_PIN), 1),
                     EVOTE_ERR_TOKEN_NOT_FOUND);
    ck_assert_ptr_null(hsm);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "no-such-token"));
}
END_TEST

START_TEST(test_bad_module) {
    evote_hsm_t *hsm = NULL;
    ck_assert_int_eq(evote_hsm_open(&hsm, "/nonexistent/libpkcs11.so", TOKEN, EVT_PIN,
                                    strlen(EVT_PIN), 1),
                     EVOTE_ERR_MODULE_LOAD);
    ck_assert_ptr_null(hsm);
    /* A real shared library that is not a PKCS#11 module. */
    ck_assert_int_eq(evote_hsm_open(&hsm, "libm.so.6", TOKEN, EVT_PIN, strlen(EVT_PIN), 1),
                     EVOTE_ERR_MODULE_LOAD);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "C_GetFunctionList"));
    ck_assert_int_eq(evote_hsm_token_init("/nonexistent/libpkcs11.so", "x", EVT_SO_PIN,
                                          strlen(EVT_SO_PIN), EVT_PIN, strlen(EVT_PIN)),
                     EVOTE_ERR_MODULE_LOAD);
    /* $EVOTE_PKCS11_MODULE is honoured when no path is given */
    setenv("EVOTE_PKCS11_MODULE", "/nonexistent/env-module.so", 1);
    ck_assert_str_eq(evote_hsm_default_module(), "/nonexistent/env-module.so");
    ck_assert_int_eq(evote_hsm_open(&hsm, NULL, TOKEN, EVT_PIN, strlen(EVT_PIN), 1),
                     EVOTE_ERR_MODULE_LOAD);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "env-module.so"));
}
END_TEST

START_TEST(test_bad_arguments) {
    evote_hsm_t *hsm = NULL;
    ck_assert_int_eq(evote_hsm_open(NULL, NULL, TOKEN, EVT_PIN, strlen(EVT_PIN), 1),
                     EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_hsm_open(&hsm, NULL, "", EVT_PIN, strlen(EVT_PIN), 1),
                     EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_hsm_open(&hsm, NULL, "a-label-that-is-longer-than-32-bytes",
                                    EVT_PIN, strlen(EVT_PIN), 1),
                     EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_hsm_open(&hsm, NULL, TOKEN, "", 0, 1), EVOTE_ERR_PIN_SOURCE);
    ck_assert_int_eq(evote_hsm_open(&hsm, NULL, TOKEN, EVT_PIN, strlen(EVT_PIN), 100000),
                     EVOTE_ERR_ARG);
    uint8_t pk[33];
    hsm = open_token(1);
    ck_assert_int_eq(evote_hsm_keygen(hsm, "", pk), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_hsm_keygen(hsm, "bad\nlabel", pk), EVOTE_ERR_ARG);
    uint8_t x[32];
    /* a failed keygen leaves a zeroed public key, which is no point */
    ck_assert_int_eq(evote_hsm_derive_x(hsm, pk, x), EVOTE_ERR_POINT_INVALID);
    evote_hsm_key_attrs_t a;
    ck_assert_int_eq(evote_hsm_key_attrs(hsm, &a), EVOTE_ERR_STATE);
    evote_hsm_free(hsm);
    evote_hsm_free(NULL);
}
END_TEST

START_TEST(test_duplicate_key_label) {
    uint8_t pk[33], pk2[33];
    evote_hsm_t *hsm = open_with_key(1, pk);
    ck_assert_int_eq(evote_hsm_keygen(hsm, KEY, pk2), EVOTE_ERR_KEY_EXISTS);
    static const uint8_t zero[33];
    ck_assert_mem_eq(pk2, zero, 33);
    evote_hsm_free(hsm);
    /* The first key is still there and unchanged. */
    hsm = open_token(1);
    ck_assert_int_eq(evote_hsm_select_key(hsm, KEY, pk2), EVOTE_OK);
    ck_assert_mem_eq(pk, pk2, 33);
    evote_hsm_free(hsm);
}
END_TEST

START_TEST(test_missing_key) {
    uint8_t pk[33];
    evote_hsm_t *hsm = open_token(1);
    ck_assert_int_eq(evote_hsm_select_key(hsm, "no-such-key", pk), EVOTE_ERR_KEY_NOT_FOUND);
    uint8_t x[32];
    uint8_t g[33];
    BIGNUM *one = BN_new();
    BN_one(one);
    sw_mul(g, one, NULL);
    BN_free(one);
    ck_assert_int_eq(evote_hsm_derive_x(hsm, g, x), EVOTE_ERR_STATE);
    evote_hsm_free(hsm);
}
END_TEST

/* A key made by hand with CKA_EXTRACTABLE=true is refused as election key. */
START_TEST(test_policy_refuses_extractable_key) {
    struct raw r = raw_open(TOKEN);
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
    uint8_t id[4] = {1, 2, 3, 4};
    const char *label = "weak-key";
    CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &yes, 1},
                          {CKA_EC_PARAMS, (void *)evote_hsm_p256_oid_der, 10},
                          {CKA_LABEL, (void *)label, strlen(label)},
                          {CKA_ID, id, sizeof(id)}};
    CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &yes, 1},     {CKA_PRIVATE, &yes, 1},
                           {CKA_SENSITIVE, &no, 1},  {CKA_EXTRACTABLE, &yes, 1},
                           {CKA_DERIVE, &yes, 1},    {CKA_LABEL, (void *)label, strlen(label)},
                           {CKA_ID, id, sizeof(id)}};
    CK_OBJECT_HANDLE hp, hq;
    ck_assert_int_eq(r.f->C_GenerateKeyPair(r.s, &mech, pub, 4, priv, 7, &hp, &hq), CKR_OK);
    raw_close(&r);

    uint8_t pk[33];
    evote_hsm_t *hsm = open_token(1);
    ck_assert_int_eq(evote_hsm_select_key(hsm, label, pk), EVOTE_ERR_KEY_POLICY);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "sensitive"));
    evote_hsm_free(hsm);
}
END_TEST

START_TEST(test_token_init_refuses_existing_label) {
    ck_assert_int_eq(evote_hsm_token_init(NULL, TOKEN, EVT_SO_PIN, strlen(EVT_SO_PIN), EVT_PIN,
                                          strlen(EVT_PIN)),
                     EVOTE_ERR_EXISTS);
    /* A second, differently labelled token goes into the spare slot. */
    ck_assert_int_eq(evote_hsm_token_init(NULL, "second", EVT_SO_PIN, strlen(EVT_SO_PIN),
                                          EVT_PIN, strlen(EVT_PIN)),
                     EVOTE_OK);
    evote_hsm_t *hsm = NULL;
    ck_assert_int_eq(evote_hsm_open(&hsm, NULL, "second", EVT_PIN, strlen(EVT_PIN), 1),
                     EVOTE_OK);
    evote_hsm_free(hsm);
}
END_TEST

START_TEST(test_one_handle_per_token) {
    evote_hsm_t *a = open_token(1), *b = NULL;
    ck_assert_int_eq(evote_hsm_open(&b, NULL, TOKEN, EVT_PIN, strlen(EVT_PIN), 1),
                     EVOTE_ERR_STATE);
    ck_assert_ptr_null(b);
    evote_hsm_free(a);
    b = open_token(1); /* fine once the first is closed */
    evote_hsm_free(b);
}
END_TEST

/* Sessions closed behind evote's back look like a removed token. */
START_TEST(test_sessions_gone) {
    uint8_t pk[33], x[32];
    evote_hsm_t *hsm = open_with_key(2, pk);
    CK_FUNCTION_LIST *f = evote_hsm_functions(hsm);
    evote_hsm_token_info_t ti;
    ck_assert_int_eq(evote_hsm_token_info(hsm, &ti), EVOTE_OK);
    ck_assert_int_eq(f->C_CloseAllSessions(ti.slot_id), CKR_OK);
    ck_assert_int_eq(evote_hsm_derive_x(hsm, pk, x), EVOTE_ERR_TOKEN_REMOVED);
    evote_hsm_free(hsm);
}
END_TEST

int main(void) {
    Suite *s = suite_create("hsm");
    TCase *tc = tcase_create("hsm");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_keygen_attributes);
    tcase_add_test(tc, test_derive_matches_software);
    tcase_add_test(tc, test_invalid_point_never_reaches_token);
    tcase_add_test(tc, test_wrong_pin);
    tcase_add_test(tc, test_softhsm_never_locks);
    tcase_add_test(tc, test_ckr_mapping);
    tcase_add_test(tc, test_missing_token);
    tcase_add_test(tc, test_bad_module);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_duplicate_key_label);
    tcase_add_test(tc, test_missing_key);
    tcase_add_test(tc, test_policy_refuses_extractable_key);
    tcase_add_test(tc, test_token_init_refuses_existing_label);
    tcase_add_test(tc, test_one_handle_per_token);
    tcase_add_test(tc, test_sessions_gone);
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
