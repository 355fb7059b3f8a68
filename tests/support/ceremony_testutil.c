#include <string.h>

#include <check.h>
#include <openssl/ec.h>

#include "ceremony_testutil.h"
#include "internal.h"

void evt_softkey_init(evt_softkey_t *k) {
    memset(k, 0, sizeof(*k));
    k->key = BN_new();
    ck_assert_int_eq(evote_scalar_random(k->key), EVOTE_OK);
    EC_POINT *p = EC_POINT_new(evote_ec_group());
    ck_assert_int_eq(EC_POINT_mul(evote_ec_group(), p, k->key, NULL, NULL, NULL), 1);
    ck_assert_int_eq(evote_ec_encode(k->pk, p, NULL), EVOTE_OK);
    EC_POINT_free(p);
}

void evt_softkey_clear(evt_softkey_t *k) { BN_clear_free(k->key); }

evote_err_t evt_softkey_derive(void *ctx, const uint8_t point[EVOTE_POINT_LEN],
                               uint8_t x_out[32]) {
    evt_softkey_t *k = ctx;
    atomic_fetch_add(&k->calls, 1);
    if (k->fail_with != EVOTE_OK)
        return evote_fail(k->fail_with, "soft token told to fail");
    evote_err_t r;
    uint8_t enc[EVOTE_POINT_LEN];
    EC_POINT *p = EC_POINT_new(evote_ec_group());
    r = evote_ec_decode(p, point, NULL);
    if (r == EVOTE_OK &&
        EC_POINT_mul(evote_ec_group(), p, NULL, p, k->key, NULL) != 1)
        r = EVOTE_ERR_CRYPTO;
    if (r == EVOTE_OK)
        r = evote_ec_encode(enc, p, NULL);
    if (r == EVOTE_OK)
        memcpy(x_out, enc + 1, 32);
    EC_POINT_free(p);
    return r;
}

void evt_point_add(uint8_t out[EVOTE_POINT_LEN], const uint8_t a[EVOTE_POINT_LEN],
                   const uint8_t b[EVOTE_POINT_LEN]) {
    EC_POINT *p = EC_POINT_new(evote_ec_group()), *q = EC_POINT_new(evote_ec_group());
    ck_assert_int_eq(evote_ec_decode(p, a, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_ec_decode(q, b, NULL), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_add(evote_ec_group(), p, p, q, NULL), 1);
    ck_assert_int_eq(evote_ec_encode(out, p, NULL), EVOTE_OK);
    EC_POINT_free(p);
    EC_POINT_free(q);
}

static void encrypt_point(evote_ct_t *ct, const uint8_t pk[EVOTE_POINT_LEN],
                          const uint8_t m[EVOTE_POINT_LEN]) {
    const EC_GROUP *g = evote_ec_group();
    BIGNUM *r = BN_new();
    EC_POINT *c1 = EC_POINT_new(g), *y = EC_POINT_new(g), *mp = EC_POINT_new(g);
    ck_assert_int_eq(evote_scalar_random(r), EVOTE_OK);
    ck_assert_int_eq(evote_ec_decode(y, pk, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_ec_decode(mp, m, NULL), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_mul(g, c1, r, NULL, NULL, NULL), 1);
    ck_assert_int_eq(EC_POINT_mul(g, y, NULL, y, r, NULL), 1);
    ck_assert_int_eq(EC_POINT_add(g, y, y, mp, NULL), 1);
    ck_assert_int_eq(evote_ec_encode(ct->c1, c1, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_ec_encode(ct->c2, y, NULL), EVOTE_OK);
    BN_free(r);
    EC_POINT_free(c1);
    EC_POINT_free(y);
    EC_POINT_free(mp);
}

void evt_encrypt(evote_ct_t *ct, const uint8_t pk[EVOTE_POINT_LEN], uint32_t sel) {
    uint8_t m[EVOTE_POINT_LEN];
    ck_assert_int_eq(evote_selection_encode(sel, m), EVOTE_OK);
    encrypt_point(ct, pk, m);
}

void evt_encrypt_garbage(evote_ct_t *ct, const uint8_t pk[EVOTE_POINT_LEN]) {
    evt_softkey_t k;
    evt_softkey_init(&k); /* a random point */
    encrypt_point(ct, pk, k.pk);
    evt_softkey_clear(&k);
}
