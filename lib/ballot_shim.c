/*
 * TEMPORARY stand-in for the ballot engineer's lib/ballot.c so that the
 * decryption path can be built and measured before it lands: a selection s
 * is encoded as (s+1)·G (NOT the protocol's encoding). Delete this file when
 * lib/ballot.c is merged.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>

#include "evote/ballot.h"
#include "internal.h"

#define SHIM_MAX_OPTIONS 4096

evote_err_t evote_selection_encode(uint32_t selection, uint8_t point[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *p = NULL;
    BIGNUM *k = NULL;
    ENSURE(selection < SHIM_MAX_OPTIONS, EVOTE_ERR_SELECTION_RANGE, "selection %u", selection);
    ALLOC_GUARD(p = EC_POINT_new(g));
    ALLOC_GUARD(k = BN_new());
    OSSL_GUARD(BN_set_word(k, (BN_ULONG)selection + 1));
    OSSL_GUARD(EC_POINT_mul(g, p, k, NULL, NULL, NULL));
    GUARD(evote_ec_encode(point, p, NULL));
out:
    EC_POINT_free(p);
    BN_free(k);
    return ret;
}

static uint8_t g_table[64][EVOTE_POINT_LEN];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static void table_init(void) {
    for (uint32_t s = 0; s < 64; s++)
        if (evote_selection_encode(s, g_table[s]) != EVOTE_OK)
            memset(g_table[s], 0, EVOTE_POINT_LEN);
}

evote_err_t evote_selection_decode(const uint8_t point[EVOTE_POINT_LEN], uint32_t noptions,
                                   uint32_t *selection) {
    pthread_once(&g_once, table_init);
    for (uint32_t s = 0; s < noptions && s < 64; s++) {
        if (memcmp(g_table[s], point, EVOTE_POINT_LEN) == 0) {
            *selection = s;
            return EVOTE_OK;
        }
    }
    return evote_fail(EVOTE_ERR_NOT_A_SELECTION, "not a selection");
}

evote_err_t evote_decrypt_resolve(const uint8_t c2[EVOTE_POINT_LEN],
                                  const uint8_t s_even[EVOTE_POINT_LEN],
                                  const uint8_t s_odd[EVOTE_POINT_LEN], uint32_t noptions,
                                  uint8_t plaintext[EVOTE_POINT_LEN], uint32_t *selection) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *c = NULL, *s = NULL, *m = NULL;
    BN_CTX *bn = NULL;
    uint8_t cand[2][EVOTE_POINT_LEN];
    uint32_t sel[2];
    int ok[2] = {0, 0};
    (void)s_odd;

    memset(plaintext, 0, EVOTE_POINT_LEN);
    *selection = 0;
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(c = EC_POINT_new(g));
    ALLOC_GUARD(s = EC_POINT_new(g));
    ALLOC_GUARD(m = EC_POINT_new(g));
    GUARD(evote_ec_decode(c, c2, bn));
    GUARD(evote_ec_decode(s, s_even, bn));
    for (int i = 0; i < 2; i++) {
        /* i = 0: C2 − S_even; i = 1: C2 + S_even = C2 − S_odd */
        if (i == 0)
            OSSL_GUARD(EC_POINT_invert(g, s, bn));
        else
            OSSL_GUARD(EC_POINT_invert(g, s, bn)); /* back to S_even */
        OSSL_GUARD(EC_POINT_add(g, m, c, s, bn));
        if (EC_POINT_is_at_infinity(g, m))
            continue;
        GUARD(evote_ec_encode(cand[i], m, bn));
        ok[i] = evote_selection_decode(cand[i], noptions, &sel[i]) == EVOTE_OK;
    }
    ENSURE(ok[0] + ok[1] == 1, EVOTE_ERR_NOT_A_SELECTION,
           "%s of C2 - S, C2 + S decodes to a selection", ok[0] ? "both" : "neither");
    memcpy(plaintext, cand[ok[0] ? 0 : 1], EVOTE_POINT_LEN);
    *selection = sel[ok[0] ? 0 : 1];
out:
    EC_POINT_free(c);
    EC_POINT_free(s);
    EC_POINT_free(m);
    BN_CTX_free(bn);
    return ret;
}
