/*
 * libevote — EC-ElGamal ballots with a Schnorr proof of knowledge of the
 * randomness, the selection ↔ point encoding and the ± resolution of a
 * PKCS#11 decryption. Byte formats: docs/PROTOCOL.md §5 and §6.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "ballot_internal.h"
#include "mix_internal.h"
#include "evote/ballot.h"
#include "evote/manifest.h"
#include "internal.h"

/* ---- selection encoding (PROTOCOL §5) ---------------------------------- */

/*
 * Selections below SEL_CACHE have their encoding cached: decoding is then a
 * byte comparison, which keeps decryption cheap (every ballot decodes two
 * candidate points). Entries are written once under the mutex and published
 * with a release store; readers use an acquire load.
 */
#define SEL_CACHE 1024
static uint8_t sel_cache[SEL_CACHE][EVOTE_POINT_LEN];
static atomic_uchar sel_ready[SEL_CACHE];
static pthread_mutex_t sel_lock = PTHREAD_MUTEX_INITIALIZER;

/* x = 256·(selection+1) + j < 2^41 fits in the last 6 bytes of x. */
#define SEL_X_BYTES 6

evote_err_t evote_selection_encode_uncached(uint32_t selection,
                                            uint8_t point[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *pt = NULL;
    BN_CTX *bn = NULL;
    uint8_t buf[EVOTE_POINT_LEN];
    uint64_t m = (uint64_t)selection + 1;

    ENSURE(g != NULL && point != NULL, EVOTE_ERR_ARG, "selection encode: bad argument");
    memset(point, 0, EVOTE_POINT_LEN);
    ALLOC_GUARD(pt = EC_POINT_new(g));
    ALLOC_GUARD(bn = BN_CTX_new());
    for (unsigned j = 0; j < 256; j++) {
        uint64_t x = (m << 8) | j;
        memset(buf, 0, sizeof(buf));
        buf[0] = 0x02; /* the even square root */
        for (int b = 0; b < SEL_X_BYTES; b++)
            buf[EVOTE_POINT_LEN - 1 - b] = (uint8_t)(x >> (8 * b));
        ERR_set_mark();
        int ok = EC_POINT_oct2point(g, pt, buf, sizeof(buf), bn);
        ERR_pop_to_mark();
        if (ok == 1) {
            memcpy(point, buf, EVOTE_POINT_LEN);
            goto out;
        }
    }
    /* Probability 2^-256: a bug, not bad luck. */
    ret = evote_fail(EVOTE_ERR_INTERNAL, "no curve point for selection %u", selection);
out:
    EC_POINT_free(pt);
    BN_CTX_free(bn);
    return ret;
}

evote_err_t evote_selection_encode(uint32_t selection, uint8_t point[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(point != NULL, EVOTE_ERR_ARG, "selection encode: bad argument");
    if (selection < SEL_CACHE &&
        atomic_load_explicit(&sel_ready[selection], memory_order_acquire)) {
        memcpy(point, sel_cache[selection], EVOTE_POINT_LEN);
        return EVOTE_OK;
    }
    GUARD(evote_selection_encode_uncached(selection, point));
    if (selection < SEL_CACHE) {
        pthread_mutex_lock(&sel_lock);
        if (!atomic_load_explicit(&sel_ready[selection], memory_order_relaxed)) {
            memcpy(sel_cache[selection], point, EVOTE_POINT_LEN);
            atomic_store_explicit(&sel_ready[selection], 1, memory_order_release);
        }
        pthread_mutex_unlock(&sel_lock);
    }
out:
    return ret;
}

evote_err_t evote_selection_decode(const uint8_t point[EVOTE_POINT_LEN], uint32_t noptions,
                                   uint32_t *selection) {
    evote_err_t ret = EVOTE_OK;
    uint8_t expect[EVOTE_POINT_LEN];
    uint64_t x = 0;

    ENSURE(point != NULL && selection != NULL, EVOTE_ERR_ARG,
           "selection decode: bad argument");
    *selection = 0;
    /* Cheap structural filter, then the only real test: re-encode and compare. */
    ENSURE(point[0] == 0x02, EVOTE_ERR_NOT_A_SELECTION,
           "point has prefix 0x%02x, selections use 0x02", point[0]);
    for (int i = 1; i < EVOTE_POINT_LEN - SEL_X_BYTES; i++)
        ENSURE(point[i] == 0, EVOTE_ERR_NOT_A_SELECTION,
               "point x-coordinate is too large for a selection");
    for (int i = EVOTE_POINT_LEN - SEL_X_BYTES; i < EVOTE_POINT_LEN; i++)
        x = (x << 8) | point[i];
    uint64_t m = x >> 8;
    ENSURE(m >= 1 && m - 1 < noptions, EVOTE_ERR_NOT_A_SELECTION,
           "point would encode selection %llu, contest has %u options",
           (unsigned long long)m - 1, noptions);
    GUARD(evote_selection_encode((uint32_t)(m - 1), expect));
    ENSURE(CRYPTO_memcmp(expect, point, EVOTE_POINT_LEN) == 0, EVOTE_ERR_NOT_A_SELECTION,
           "point is not the encoding of selection %llu", (unsigned long long)m - 1);
    *selection = (uint32_t)(m - 1);
out:
    return ret;
}

/* ---- decryption resolution (PROTOCOL §8.1) ----------------------------- */

/*
 * Two implementations of one rule. The generic one works on EC_POINTs and
 * is the reference (tests compare the two); the fast one, used on the
 * decryption hot path, computes both candidates C2 ± S from the affine
 * coordinates with one shared field inversion and only finishes the
 * candidate whose x could be a selection. Nothing here is secret beyond
 * what the published plaintext list reveals anyway (S = C2 − M).
 */

/* Encode p (if it is not the identity) and try to decode it. */
static bool try_decode(const EC_POINT *p, uint32_t noptions, uint8_t enc[EVOTE_POINT_LEN],
                       uint32_t *sel, BN_CTX *bn, evote_err_t *hard) {
    const EC_GROUP *g = evote_ec_group();
    *hard = EVOTE_OK;
    if (EC_POINT_is_at_infinity(g, p))
        return false;
    evote_err_t rv = evote_ec_encode(enc, p, bn);
    if (rv != EVOTE_OK) {
        *hard = rv;
        return false;
    }
    return evote_selection_decode(enc, noptions, sel) == EVOTE_OK;
}

evote_err_t evote_decrypt_resolve_generic(const uint8_t c2[EVOTE_POINT_LEN],
                                  const uint8_t s_even[EVOTE_POINT_LEN],
                                  const uint8_t s_odd[EVOTE_POINT_LEN], uint32_t noptions,
                                  uint8_t plaintext[EVOTE_POINT_LEN], uint32_t *selection) {
    evote_err_t ret = EVOTE_OK, hard = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *pc2 = NULL, *ps = NULL, *minus = NULL, *plus = NULL;
    BN_CTX *bn = NULL;
    uint8_t em[EVOTE_POINT_LEN], ep[EVOTE_POINT_LEN];
    uint32_t sm = 0, sp = 0;

    ENSURE(g != NULL && c2 != NULL && s_even != NULL && s_odd != NULL &&
               plaintext != NULL && selection != NULL,
           EVOTE_ERR_ARG, "decrypt resolve: bad argument");
    memset(plaintext, 0, EVOTE_POINT_LEN);
    *selection = 0;
    /* The two lifts of one x-coordinate: 0x02‖x and 0x03‖x. */
    ENSURE(s_even[0] == 0x02 && s_odd[0] == 0x03 &&
               memcmp(s_even + 1, s_odd + 1, EVOTE_POINT_LEN - 1) == 0,
           EVOTE_ERR_ARG, "decrypt resolve: s_even/s_odd are not the two lifts of one x");
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(pc2 = EC_POINT_new(g));
    ALLOC_GUARD(ps = EC_POINT_new(g));
    ALLOC_GUARD(minus = EC_POINT_new(g));
    ALLOC_GUARD(plus = EC_POINT_new(g));
    GUARD(evote_ec_decode(pc2, c2, bn));
    GUARD(evote_ec_decode(ps, s_even, bn));
    OSSL_GUARD(EC_POINT_add(g, plus, pc2, ps, bn));
    OSSL_GUARD(EC_POINT_invert(g, ps, bn));
    OSSL_GUARD(EC_POINT_add(g, minus, pc2, ps, bn));

    bool ok_m = try_decode(minus, noptions, em, &sm, bn, &hard);
    GUARD(hard);
    bool ok_p = try_decode(plus, noptions, ep, &sp, bn, &hard);
    GUARD(hard);
    ENSURE(ok_m != ok_p, EVOTE_ERR_NOT_A_SELECTION,
           ok_m ? "both C2 - S and C2 + S decode (selections %u and %u)"
                : "neither C2 - S nor C2 + S decodes to a selection",
           sm, sp);
    memcpy(plaintext, ok_m ? em : ep, EVOTE_POINT_LEN);
    *selection = ok_m ? sm : sp;
    evote_err_clear(); /* the other candidate's refusal is not an error */
out:
    EC_POINT_free(pc2);
    EC_POINT_clear_free(ps); /* ±S is key-dependent: wipe it */
    EC_POINT_free(minus);
    EC_POINT_free(plus);
    BN_CTX_free(bn);
    return ret;
}


struct field {
    BIGNUM *p, *b, *e; /* prime, curve b, (p+1)/4 */
    BN_MONT_CTX *mont; /* for p, so that square roots do not rebuild it */
};
static struct field g_field;
static pthread_once_t g_field_once = PTHREAD_ONCE_INIT;

static void field_init(void) {
    const EC_GROUP *g = evote_ec_group();
    struct field f = {BN_new(), BN_new(), BN_new(), BN_MONT_CTX_new()};
    BN_CTX *bn = BN_CTX_new();
    if (g == NULL || f.p == NULL || f.b == NULL || f.e == NULL || f.mont == NULL ||
        bn == NULL || EC_GROUP_get_curve(g, f.p, NULL, f.b, NULL) != 1 ||
        BN_copy(f.e, f.p) == NULL || BN_add_word(f.e, 1) != 1 ||
        BN_rshift(f.e, f.e, 2) != 1 || BN_MONT_CTX_set(f.mont, f.p, bn) != 1) {
        BN_free(f.p);
        BN_free(f.b);
        BN_free(f.e);
        BN_MONT_CTX_free(f.mont);
        BN_CTX_free(bn);
        return;
    }
    BN_CTX_free(bn);
    g_field = f;
}

static const struct field *field(void) {
    pthread_once(&g_field_once, field_init);
    return g_field.e != NULL ? &g_field : NULL;
}

/* 32 big-endian bytes → field element below p, else POINT_INVALID. */
static evote_err_t fe_decode(BIGNUM *out, const uint8_t in[32], const char *what) {
    if (BN_bin2bn(in, 32, out) == NULL)
        return evote_fail(EVOTE_ERR_NOMEM, "BN_bin2bn");
    if (BN_cmp(out, field()->p) >= 0)
        return evote_fail(EVOTE_ERR_POINT_INVALID, "%s: coordinate is not below the field prime",
                          what);
    return EVOTE_OK;
}

/* out = x³ − 3x + b mod p */
static evote_err_t curve_rhs(BIGNUM *out, const BIGNUM *x, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const struct field *f = field();
    OSSL_GUARD(BN_mod_sqr(out, x, f->p, bn));
    OSSL_GUARD(BN_sub_word(out, 3));
    OSSL_GUARD(BN_mod_mul(out, out, x, f->p, bn));
    OSSL_GUARD(BN_mod_add(out, out, f->b, f->p, bn));
out:
    return ret;
}

/* y = a square root of x³ − 3x + b (p ≡ 3 mod 4), else NOT_ON_CURVE. */
static evote_err_t lift_y(BIGNUM *y, const BIGNUM *x, const char *what, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const struct field *f = field();
    BN_CTX_start(bn);
    BIGNUM *rhs = BN_CTX_get(bn), *chk = BN_CTX_get(bn);
    ALLOC_GUARD(chk);
    GUARD(curve_rhs(rhs, x, bn));
    OSSL_GUARD(BN_mod_exp_mont(y, rhs, f->e, f->p, bn, f->mont));
    OSSL_GUARD(BN_mod_sqr(chk, y, f->p, bn));
    ENSURE(BN_cmp(chk, rhs) == 0, EVOTE_ERR_POINT_NOT_ON_CURVE,
           "%s: no P-256 point has this x-coordinate", what);
out:
    BN_CTX_end(bn);
    return ret;
}

/* Could (xr, yr) be a selection? Cheap filter on x, then the exact decode. */
static bool fast_candidate(const BIGNUM *xr, const BIGNUM *yr, uint32_t noptions,
                           uint8_t enc[EVOTE_POINT_LEN], uint32_t *sel) {
    if (BN_num_bits(xr) > 8 * SEL_X_BYTES || BN_is_odd(yr))
        return false;
    enc[0] = 0x02;
    if (BN_bn2binpad(xr, enc + 1, 32) != 32)
        return false;
    return evote_selection_decode(enc, noptions, sel) == EVOTE_OK;
}

/*
 * Resolve with C2 = (x2, y2) on the curve and S's x-coordinate xs.
 * *generic is set when x2 = xs (C2 = ±S: one candidate is the identity,
 * the other a doubling), which the caller hands to the generic code.
 */
static evote_err_t resolve_fast(const BIGNUM *x2, const BIGNUM *y2, const BIGNUM *xs,
                                uint32_t noptions, uint8_t plaintext[EVOTE_POINT_LEN],
                                uint32_t *selection, bool *generic, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const struct field *f = field();
    uint8_t enc[2][EVOTE_POINT_LEN];
    uint32_t sel[2] = {0, 0};
    bool ok[2] = {false, false};

    *generic = false;
    BN_CTX_start(bn);
    BIGNUM *ys = BN_CTX_get(bn), *d = BN_CTX_get(bn), *inv = BN_CTX_get(bn);
    BIGNUM *lam = BN_CTX_get(bn), *xr = BN_CTX_get(bn), *yr = BN_CTX_get(bn);
    BIGNUM *t = BN_CTX_get(bn);
    ALLOC_GUARD(t);
    GUARD(lift_y(ys, xs, "derived x-coordinate", bn));
    OSSL_GUARD(BN_mod_sub(d, x2, xs, f->p, bn));
    if (BN_is_zero(d)) {
        *generic = true;
        goto out;
    }
    ENSURE(BN_mod_inverse(inv, d, f->p, bn) != NULL, EVOTE_ERR_CRYPTO, "BN_mod_inverse");
    for (int k = 0; k < 2; k++) {
        /* Q = (xs, ±ys); λ = (y2 − y_Q)/(x2 − xs); x_R = λ² − x2 − xs;
         * y_R = λ(x2 − x_R) − y2: R = C2 + Q. */
        if (k == 0)
            OSSL_GUARD(BN_mod_sub(t, y2, ys, f->p, bn));
        else
            OSSL_GUARD(BN_mod_add(t, y2, ys, f->p, bn));
        OSSL_GUARD(BN_mod_mul(lam, t, inv, f->p, bn));
        OSSL_GUARD(BN_mod_sqr(xr, lam, f->p, bn));
        OSSL_GUARD(BN_mod_sub(xr, xr, x2, f->p, bn));
        OSSL_GUARD(BN_mod_sub(xr, xr, xs, f->p, bn));
        if (BN_num_bits(xr) > 8 * SEL_X_BYTES)
            continue; /* the usual fate of the wrong candidate: no y needed */
        OSSL_GUARD(BN_mod_sub(t, x2, xr, f->p, bn));
        OSSL_GUARD(BN_mod_mul(yr, lam, t, f->p, bn));
        OSSL_GUARD(BN_mod_sub(yr, yr, y2, f->p, bn));
        ok[k] = fast_candidate(xr, yr, noptions, enc[k], &sel[k]);
    }
    ENSURE(ok[0] != ok[1], EVOTE_ERR_NOT_A_SELECTION,
           ok[0] ? "both C2 - S and C2 + S decode (selections %u and %u)"
                 : "neither C2 - S nor C2 + S decodes to a selection",
           sel[0], sel[1]);
    memcpy(plaintext, ok[0] ? enc[0] : enc[1], EVOTE_POINT_LEN);
    *selection = ok[0] ? sel[0] : sel[1];
    evote_err_clear();
out:
    BN_CTX_end(bn);
    return ret;
}

evote_err_t evote_decrypt_resolve(const uint8_t c2[EVOTE_POINT_LEN],
                                  const uint8_t s_even[EVOTE_POINT_LEN],
                                  const uint8_t s_odd[EVOTE_POINT_LEN], uint32_t noptions,
                                  uint8_t plaintext[EVOTE_POINT_LEN], uint32_t *selection) {
    evote_err_t ret = EVOTE_OK;
    BN_CTX *bn = NULL;
    bool generic = false;

    ENSURE(c2 != NULL && s_even != NULL && s_odd != NULL && plaintext != NULL &&
               selection != NULL && field() != NULL,
           EVOTE_ERR_ARG, "decrypt resolve: bad argument");
    memset(plaintext, 0, EVOTE_POINT_LEN);
    *selection = 0;
    ENSURE(s_even[0] == 0x02 && s_odd[0] == 0x03 &&
               memcmp(s_even + 1, s_odd + 1, EVOTE_POINT_LEN - 1) == 0,
           EVOTE_ERR_ARG, "decrypt resolve: s_even/s_odd are not the two lifts of one x");
    ENSURE(c2[0] == 0x02 || c2[0] == 0x03, EVOTE_ERR_POINT_INVALID,
           "C2: point prefix 0x%02x is not 0x02 or 0x03", c2[0]);
    ALLOC_GUARD(bn = BN_CTX_new());
    BN_CTX_start(bn);
    BIGNUM *x2 = BN_CTX_get(bn), *y2 = BN_CTX_get(bn), *xs = BN_CTX_get(bn);
    ALLOC_GUARD(xs);
    GUARD(fe_decode(x2, c2 + 1, "C2"));
    GUARD(lift_y(y2, x2, "C2", bn));
    if (BN_is_odd(y2) != (c2[0] == 0x03))
        OSSL_GUARD(BN_sub(y2, field()->p, y2));
    GUARD(fe_decode(xs, s_even + 1, "derived x-coordinate"));
    GUARD(resolve_fast(x2, y2, xs, noptions, plaintext, selection, &generic, bn));
    if (generic)
        ret = evote_decrypt_resolve_generic(c2, s_even, s_odd, noptions, plaintext, selection);
out:
    if (bn != NULL)
        BN_CTX_end(bn);
    BN_CTX_free(bn);
    return ret;
}

evote_err_t evote_decrypt_resolve_x(const uint8_t c2u[65], const uint8_t x[32],
                                    uint32_t noptions, uint8_t plaintext[EVOTE_POINT_LEN],
                                    uint32_t *selection) {
    evote_err_t ret = EVOTE_OK;
    BN_CTX *bn = NULL;
    bool generic = false;

    ENSURE(c2u != NULL && x != NULL && plaintext != NULL && selection != NULL &&
               field() != NULL,
           EVOTE_ERR_ARG, "decrypt resolve: bad argument");
    memset(plaintext, 0, EVOTE_POINT_LEN);
    *selection = 0;
    ENSURE(c2u[0] == 0x04, EVOTE_ERR_POINT_INVALID,
           "C2: uncompressed point prefix 0x%02x is not 0x04", c2u[0]);
    ALLOC_GUARD(bn = BN_CTX_new());
    BN_CTX_start(bn);
    BIGNUM *x2 = BN_CTX_get(bn), *y2 = BN_CTX_get(bn), *xs = BN_CTX_get(bn);
    BIGNUM *lhs = BN_CTX_get(bn), *rhs = BN_CTX_get(bn);
    ALLOC_GUARD(rhs);
    GUARD(fe_decode(x2, c2u + 1, "C2"));
    GUARD(fe_decode(y2, c2u + 33, "C2"));
    GUARD(curve_rhs(rhs, x2, bn));
    OSSL_GUARD(BN_mod_sqr(lhs, y2, field()->p, bn));
    ENSURE(BN_cmp(lhs, rhs) == 0, EVOTE_ERR_POINT_NOT_ON_CURVE, "C2: point is not on P-256");
    GUARD(fe_decode(xs, x, "derived x-coordinate"));
    GUARD(resolve_fast(x2, y2, xs, noptions, plaintext, selection, &generic, bn));
    if (generic) {
        uint8_t c2[EVOTE_POINT_LEN], se[EVOTE_POINT_LEN], so[EVOTE_POINT_LEN];
        c2[0] = (uint8_t)(0x02 | (c2u[64] & 1));
        memcpy(c2 + 1, c2u + 1, 32);
        se[0] = 0x02;
        so[0] = 0x03;
        memcpy(se + 1, x, 32);
        memcpy(so + 1, x, 32);
        ret = evote_decrypt_resolve_generic(c2, se, so, noptions, plaintext, selection);
    }
out:
    if (bn != NULL)
        BN_CTX_end(bn);
    BN_CTX_free(bn);
    return ret;
}

/* ---- proof challenge (PROTOCOL §6) ------------------------------------ */

static evote_err_t challenge_bytes(const uint8_t manifest_hash[EVOTE_HASH_LEN],
                                   const char *contest_id, const uint8_t pk[EVOTE_POINT_LEN],
                                   const uint8_t c1[EVOTE_POINT_LEN],
                                   const uint8_t c2[EVOTE_POINT_LEN],
                                   const uint8_t t[EVOTE_POINT_LEN],
                                   uint8_t digest[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    evote_hash_t *h = NULL;
    GUARD(evote_hash_new(&h, EVOTE_TAG_BALLOT_POK));
    GUARD(evote_hash_field(h, EVOTE_GROUP_ID, strlen(EVOTE_GROUP_ID)));
    GUARD(evote_hash_field(h, pk, EVOTE_POINT_LEN));
    GUARD(evote_hash_field(h, manifest_hash, EVOTE_HASH_LEN));
    GUARD(evote_hash_field(h, contest_id, strlen(contest_id)));
    GUARD(evote_hash_field(h, c1, EVOTE_POINT_LEN));
    GUARD(evote_hash_field(h, c2, EVOTE_POINT_LEN));
    GUARD(evote_hash_field(h, t, EVOTE_POINT_LEN));
    ret = evote_hash_final(h, digest);
    h = NULL;
out:
    evote_hash_free(h);
    return ret;
}

static evote_err_t challenge_scalar(BIGNUM *c, const evote_ballot_t *b,
                                    const uint8_t pk[EVOTE_POINT_LEN], BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    uint8_t d[EVOTE_HASH_LEN];
    GUARD(challenge_bytes(b->manifest_hash, b->contest_id, pk, b->c1, b->c2, b->proof_t, d));
    GUARD(evote_scalar_from_hash(c, d, bn));
out:
    return ret;
}

evote_err_t evote_ballot_challenge(const evote_ballot_t *b, const uint8_t pk[EVOTE_POINT_LEN],
                                   uint8_t c[EVOTE_SCALAR_LEN]) {
    evote_err_t ret = EVOTE_OK;
    BIGNUM *cb = NULL;
    BN_CTX *bn = NULL;
    ENSURE(b != NULL && pk != NULL && c != NULL, EVOTE_ERR_ARG, "challenge: bad argument");
    ALLOC_GUARD(cb = BN_new());
    ALLOC_GUARD(bn = BN_CTX_new());
    GUARD(challenge_scalar(cb, b, pk, bn));
    GUARD(evote_scalar_encode(c, cb));
out:
    BN_free(cb);
    BN_CTX_free(bn);
    return ret;
}

/* ---- encryption ------------------------------------------------------- */

/* Contest ids in ballots follow the manifest's id syntax. */
static bool contest_id_ok(const char *id) {
    return id != NULL && evote_manifest_id_valid(id);
}

/* r and k are secret: BN_FLG_CONSTTIME, and wiped with BN_clear_free. */
static evote_err_t encrypt_with(evote_ballot_t *out, const uint8_t manifest_hash[EVOTE_HASH_LEN],
                                const char *contest_id, const uint8_t pk[EVOTE_POINT_LEN],
                                uint32_t selection, BIGNUM *r, BIGNUM *k) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    const BIGNUM *n = evote_ec_order();
    EC_POINT *ppk = NULL, *pm = NULL, *c1 = NULL, *c2 = NULL, *t = NULL;
    BIGNUM *c = NULL, *z = NULL, *cr = NULL, *cm = NULL;
    BN_MONT_CTX *mont = EC_GROUP_get_mont_data(g);
    BN_CTX *bn = NULL;
    uint8_t menc[EVOTE_POINT_LEN];
    evote_ballot_t b;

    memset(&b, 0, sizeof(b));
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(ppk = EC_POINT_new(g));
    ALLOC_GUARD(pm = EC_POINT_new(g));
    ALLOC_GUARD(c1 = EC_POINT_new(g));
    ALLOC_GUARD(c2 = EC_POINT_new(g));
    ALLOC_GUARD(t = EC_POINT_new(g));
    ALLOC_GUARD(c = BN_new());
    ALLOC_GUARD(z = BN_new());
    ALLOC_GUARD(cr = BN_new());
    ALLOC_GUARD(cm = BN_new());
    BN_set_flags(r, BN_FLG_CONSTTIME);
    BN_set_flags(k, BN_FLG_CONSTTIME);
    BN_set_flags(cr, BN_FLG_CONSTTIME);
    BN_set_flags(z, BN_FLG_CONSTTIME);

    GUARD(evote_ec_decode(ppk, pk, bn));
    GUARD(evote_selection_encode(selection, menc));
    GUARD(evote_ec_decode(pm, menc, bn));

    memcpy(b.manifest_hash, manifest_hash, EVOTE_HASH_LEN);
    memcpy(b.contest_id, contest_id, strlen(contest_id) + 1);
    /* C1 = r·G, C2 = M + r·PK */
    OSSL_GUARD(EC_POINT_mul(g, c1, r, NULL, NULL, bn));
    OSSL_GUARD(EC_POINT_mul(g, c2, NULL, ppk, r, bn));
    OSSL_GUARD(EC_POINT_add(g, c2, c2, pm, bn));
    /* T = k·G */
    OSSL_GUARD(EC_POINT_mul(g, t, k, NULL, NULL, bn));
    GUARD(evote_ec_encode(b.c1, c1, bn));
    GUARD(evote_ec_encode(b.c2, c2, bn));
    GUARD(evote_ec_encode(b.proof_t, t, bn));
    /* z = k + c·r mod n */
    GUARD(challenge_scalar(c, &b, pk, bn));
    /* Secret-dependent arithmetic in Montgomery form and with the
     * fixed-top modular addition, so that no division runs on r:
     * cr = (c·R)·r·R⁻¹ = c·r mod n; z = k + cr mod n (both inputs < n). */
    ENSURE(mont != NULL, EVOTE_ERR_CRYPTO, "no Montgomery context for the group order");
    OSSL_GUARD(BN_to_montgomery(cm, c, mont, bn));
    OSSL_GUARD(BN_mod_mul_montgomery(cr, cm, r, mont, bn));
    OSSL_GUARD(BN_mod_add_quick(z, k, cr, n));
    /* z = 0 happens with probability 1/n; verifiers refuse it, so do we. */
    ENSURE(!BN_is_zero(z), EVOTE_ERR_INTERNAL, "proof response is zero");
    GUARD(evote_scalar_encode(b.proof_z, z));
    *out = b;
out:
    OPENSSL_cleanse(&b, sizeof(b));
    EC_POINT_free(ppk);
    EC_POINT_free(pm);
    EC_POINT_free(c1);
    EC_POINT_free(c2);
    EC_POINT_clear_free(t); /* T reveals nothing, but k·G intermediates do no harm wiped */
    BN_free(c);
    BN_clear_free(z);
    BN_clear_free(cr);
    BN_free(cm);
    BN_CTX_free(bn);
    return ret;
}

static evote_err_t encrypt_args_ok(const evote_ballot_t *out,
                                   const uint8_t manifest_hash[EVOTE_HASH_LEN],
                                   const char *contest_id, const uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(out != NULL && manifest_hash != NULL && contest_id != NULL && pk != NULL &&
               evote_ec_group() != NULL,
           EVOTE_ERR_ARG, "ballot encrypt: bad argument");
    ENSURE(contest_id_ok(contest_id), EVOTE_ERR_ARG,
           "ballot encrypt: contest id is not a valid id");
out:
    return ret;
}

evote_err_t evote_ballot_encrypt_fixed(evote_ballot_t *out,
                                       const uint8_t manifest_hash[EVOTE_HASH_LEN],
                                       const char *contest_id, const uint8_t pk[EVOTE_POINT_LEN],
                                       uint32_t selection, const uint8_t rb[EVOTE_SCALAR_LEN],
                                       const uint8_t kb[EVOTE_SCALAR_LEN]) {
    evote_err_t ret = EVOTE_OK;
    BIGNUM *r = NULL, *k = NULL;
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    GUARD(encrypt_args_ok(out, manifest_hash, contest_id, pk));
    ENSURE(rb != NULL && kb != NULL, EVOTE_ERR_ARG, "ballot encrypt: bad argument");
    ALLOC_GUARD(r = BN_secure_new());
    ALLOC_GUARD(k = BN_secure_new());
    GUARD(evote_scalar_decode(r, rb, false));
    GUARD(evote_scalar_decode(k, kb, false));
    GUARD(encrypt_with(out, manifest_hash, contest_id, pk, selection, r, k));
out:
    BN_clear_free(r);
    BN_clear_free(k);
    return ret;
}

evote_err_t evote_ballot_encrypt(evote_ballot_t *out, const evote_manifest_t *m,
                                 const char *contest_id, const uint8_t pk[EVOTE_POINT_LEN],
                                 uint32_t selection) {
    evote_err_t ret = EVOTE_OK;
    BIGNUM *r = NULL, *k = NULL;
    size_t ci = 0;

    if (out != NULL)
        memset(out, 0, sizeof(*out));
    ENSURE(m != NULL, EVOTE_ERR_ARG, "ballot encrypt: no manifest");
    GUARD(encrypt_args_ok(out, evote_manifest_hash(m), contest_id, pk));
    GUARD(evote_manifest_contest_index(m, contest_id, &ci));
    ENSURE(selection < evote_manifest_option_count(m, ci), EVOTE_ERR_SELECTION_RANGE,
           "selection %u: contest %s has %zu options", selection, contest_id,
           evote_manifest_option_count(m, ci));
    ALLOC_GUARD(r = BN_secure_new());
    ALLOC_GUARD(k = BN_secure_new());
    GUARD(evote_scalar_random(r));
    GUARD(evote_scalar_random(k));
    GUARD(encrypt_with(out, evote_manifest_hash(m), contest_id, pk, selection, r, k));
out:
    BN_clear_free(r);
    BN_clear_free(k);
    return ret;
}

/* ---- byte encoding (PROTOCOL §6) -------------------------------------- */

static const uint8_t BALLOT_MAGIC[3] = {'E', 'V', 'B'};
#define BALLOT_VERSION 0x01
#define BALLOT_FIXED (3 + 1 + EVOTE_HASH_LEN + 1 + 3 * EVOTE_POINT_LEN + EVOTE_SCALAR_LEN)

evote_err_t evote_ballot_encode(const evote_ballot_t *b, uint8_t *out, size_t cap,
                                size_t *len) {
    evote_err_t ret = EVOTE_OK;
    size_t idlen, need, o = 0;

    ENSURE(b != NULL && out != NULL && len != NULL, EVOTE_ERR_ARG,
           "ballot encode: bad argument");
    *len = 0;
    idlen = strnlen(b->contest_id, sizeof(b->contest_id));
    ENSURE(idlen < sizeof(b->contest_id) && contest_id_ok(b->contest_id), EVOTE_ERR_ARG,
           "ballot encode: contest id is not a valid id");
    need = BALLOT_FIXED + idlen;
    ENSURE(cap >= need, EVOTE_ERR_ARG, "ballot encode: buffer of %zu bytes, need %zu", cap,
           need);
    memcpy(out + o, BALLOT_MAGIC, 3);
    o += 3;
    out[o++] = BALLOT_VERSION;
    memcpy(out + o, b->manifest_hash, EVOTE_HASH_LEN);
    o += EVOTE_HASH_LEN;
    out[o++] = (uint8_t)idlen;
    memcpy(out + o, b->contest_id, idlen);
    o += idlen;
    memcpy(out + o, b->c1, EVOTE_POINT_LEN);
    o += EVOTE_POINT_LEN;
    memcpy(out + o, b->c2, EVOTE_POINT_LEN);
    o += EVOTE_POINT_LEN;
    memcpy(out + o, b->proof_t, EVOTE_POINT_LEN);
    o += EVOTE_POINT_LEN;
    memcpy(out + o, b->proof_z, EVOTE_SCALAR_LEN);
    o += EVOTE_SCALAR_LEN;
    *len = o;
out:
    return ret;
}

/* 33 zero bytes: SEC1's one-byte infinity (0x00) padded to our width. */
static bool is_zero_point(const uint8_t p[EVOTE_POINT_LEN]) {
    uint8_t acc = 0;
    for (int i = 0; i < EVOTE_POINT_LEN; i++)
        acc |= p[i];
    return acc == 0;
}

/* Decompress and validate one point of a ballot (mix_pt_from_compressed:
 * the same checks and error codes as evote_ec_decode, with an addition-chain
 * square root instead of BN_mod_sqrt, which was most of a ballot's decoding
 * cost in reception). */
static evote_err_t decode_point_field(const uint8_t p[EVOTE_POINT_LEN], const char *name,
                                      mix_pt *out) {
    if (is_zero_point(p))
        return evote_fail(EVOTE_ERR_POINT_INFINITY, "ballot %s: point at infinity", name);
    evote_err_t rv = mix_pt_from_compressed(out, p);
    if (rv != EVOTE_OK)
        return evote_fail(rv, "ballot %s: %s", name, evote_strerror(rv));
    return EVOTE_OK;
}

evote_err_t evote_ballot_decode(evote_ballot_t *out, const uint8_t *in, size_t len) {
    return evote_ballot_decode_pok(out, NULL, in, len, NULL);
}

evote_err_t evote_ballot_decode_pok(evote_ballot_t *out, evote_ballot_pok_t *pok,
                                    const uint8_t *in, size_t len,
                                    const uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    evote_ballot_t b;
    mix_pt c1, c2, t;
    BIGNUM *z = NULL;
    size_t o = 0, idlen;

    memset(&b, 0, sizeof(b));
    ENSURE(out != NULL && (in != NULL || len == 0) && (pok == NULL || pk != NULL),
           EVOTE_ERR_ARG, "ballot decode: bad argument");
    memset(out, 0, sizeof(*out));
    if (pok != NULL)
        memset(pok, 0, sizeof(*pok));
    ENSURE(len <= EVOTE_BALLOT_MAX, EVOTE_ERR_TOO_LARGE,
           "ballot of %zu bytes exceeds the maximum of %u", len, EVOTE_BALLOT_MAX);
    ENSURE(len >= 4, EVOTE_ERR_TRUNCATED, "ballot of %zu bytes has no header", len);
    ENSURE(memcmp(in, BALLOT_MAGIC, 3) == 0, EVOTE_ERR_BALLOT_FORMAT,
           "ballot does not start with \"EVB\"");
    ENSURE(in[3] == BALLOT_VERSION, EVOTE_ERR_VERSION, "ballot format version %u, expected %u",
           in[3], BALLOT_VERSION);
    o = 4;
    ENSURE(len >= o + EVOTE_HASH_LEN + 1, EVOTE_ERR_TRUNCATED,
           "ballot of %zu bytes ends inside the header", len);
    memcpy(b.manifest_hash, in + o, EVOTE_HASH_LEN);
    o += EVOTE_HASH_LEN;
    idlen = in[o++];
    ENSURE(idlen >= 1 && idlen <= EVOTE_ID_MAX, EVOTE_ERR_BALLOT_FORMAT,
           "ballot contest id length %zu is outside 1..%d", idlen, EVOTE_ID_MAX);
    ENSURE(len >= BALLOT_FIXED + idlen, EVOTE_ERR_TRUNCATED,
           "ballot of %zu bytes, expected %zu", len, BALLOT_FIXED + idlen);
    ENSURE(len == BALLOT_FIXED + idlen, EVOTE_ERR_TOO_LARGE,
           "ballot of %zu bytes has %zu trailing bytes", len, len - BALLOT_FIXED - idlen);
    memcpy(b.contest_id, in + o, idlen);
    b.contest_id[idlen] = '\0';
    ENSURE(strlen(b.contest_id) == idlen && contest_id_ok(b.contest_id),
           EVOTE_ERR_BALLOT_FORMAT, "ballot contest id is not a valid id");
    o += idlen;
    memcpy(b.c1, in + o, EVOTE_POINT_LEN);
    o += EVOTE_POINT_LEN;
    memcpy(b.c2, in + o, EVOTE_POINT_LEN);
    o += EVOTE_POINT_LEN;
    memcpy(b.proof_t, in + o, EVOTE_POINT_LEN);
    o += EVOTE_POINT_LEN;
    memcpy(b.proof_z, in + o, EVOTE_SCALAR_LEN);

    ALLOC_GUARD(z = BN_new());
    GUARD(decode_point_field(b.c1, "C1", &c1));
    GUARD(decode_point_field(b.c2, "C2", &c2));
    GUARD(decode_point_field(b.proof_t, "proof T", &t));
    ret = evote_scalar_decode(z, b.proof_z, false);
    if (ret != EVOTE_OK) {
        ret = evote_fail(ret, "ballot proof z: %s", evote_err_detail());
        goto out;
    }
    if (pok != NULL) {
        GUARD(evote_ballot_challenge(&b, pk, pok->c));
        pok->c1 = c1;
        pok->t = t;
        memcpy(pok->z, b.proof_z, EVOTE_SCALAR_LEN);
    }
    *out = b;
out:
    if (ret != EVOTE_OK && pok != NULL)
        memset(pok, 0, sizeof(*pok));
    BN_free(z);
    return ret;
}

/* ---- verification ------------------------------------------------------ */

evote_err_t evote_ballot_verify(const evote_ballot_t *b,
                                const uint8_t manifest_hash[EVOTE_HASH_LEN],
                                const uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    evote_ballot_pok_t pok;
    mix_pt ppk, c2;
    BIGNUM *z = NULL;
    bool ok = false;

    memset(&pok, 0, sizeof(pok));
    ENSURE(b != NULL && manifest_hash != NULL && pk != NULL && evote_ec_group() != NULL,
           EVOTE_ERR_ARG, "ballot verify: bad argument");
    ENSURE(CRYPTO_memcmp(b->manifest_hash, manifest_hash, EVOTE_HASH_LEN) == 0,
           EVOTE_ERR_MANIFEST_MISMATCH, "ballot names another manifest");
    ENSURE(memchr(b->contest_id, 0, sizeof(b->contest_id)) != NULL &&
               contest_id_ok(b->contest_id),
           EVOTE_ERR_BALLOT_FORMAT, "ballot contest id is not a valid id");
    ret = mix_pt_from_compressed(&ppk, pk);
    if (ret != EVOTE_OK) {
        ret = evote_fail(ret, "election public key: %s", evote_strerror(ret));
        goto out;
    }
    ALLOC_GUARD(z = BN_new());
    /* A struct may not come from evote_ballot_decode: validate again. */
    GUARD(decode_point_field(b->c1, "C1", &pok.c1));
    GUARD(decode_point_field(b->c2, "C2", &c2));
    ret = decode_point_field(b->proof_t, "proof T", &pok.t);
    ENSURE(ret == EVOTE_OK, EVOTE_ERR_PROOF_INVALID, "proof commitment T is not a valid point");
    ret = evote_scalar_decode(z, b->proof_z, false);
    ENSURE(ret == EVOTE_OK, EVOTE_ERR_PROOF_INVALID,
           "proof response z is zero or not below the group order");
    memcpy(pok.z, b->proof_z, EVOTE_SCALAR_LEN);
    GUARD(evote_ballot_challenge(b, pk, pok.c));
    GUARD(evote_ballot_pok_verify(&pok, 1, &ok));
    ENSURE(ok, EVOTE_ERR_PROOF_INVALID, "z·G differs from T + c·C1");
out:
    BN_free(z);
    return ret;
}

evote_err_t evote_ballot_check(const evote_ballot_t *b, const evote_manifest_t *m,
                               const uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    size_t ci;
    ENSURE(b != NULL && m != NULL && pk != NULL, EVOTE_ERR_ARG, "ballot check: bad argument");
    ENSURE(CRYPTO_memcmp(b->manifest_hash, evote_manifest_hash(m), EVOTE_HASH_LEN) == 0,
           EVOTE_ERR_MANIFEST_MISMATCH, "ballot names another manifest");
    ENSURE(memchr(b->contest_id, 0, sizeof(b->contest_id)) != NULL, EVOTE_ERR_BALLOT_FORMAT,
           "ballot contest id is not terminated");
    GUARD(evote_manifest_contest_index(m, b->contest_id, &ci));
    GUARD(evote_ballot_verify(b, evote_manifest_hash(m), pk));
out:
    return ret;
}

/* ---- files ------------------------------------------------------------- */

evote_err_t evote_ballot_write(const evote_ballot_t *b, const char *path) {
    evote_err_t ret = EVOTE_OK;
    uint8_t buf[EVOTE_BALLOT_MAX];
    size_t len = 0;
    ENSURE(b != NULL && path != NULL, EVOTE_ERR_ARG, "ballot write: bad argument");
    GUARD(evote_ballot_encode(b, buf, sizeof(buf), &len));
    GUARD(evote_write_file_atomic(path, buf, len, false, false));
out:
    return ret;
}

evote_err_t evote_ballot_read(evote_ballot_t *out, const char *path) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    ENSURE(out != NULL && path != NULL, EVOTE_ERR_ARG, "ballot read: bad argument");
    memset(out, 0, sizeof(*out));
    GUARD(evote_read_file(path, EVOTE_BALLOT_MAX, &data, &len));
    ret = evote_ballot_decode(out, data, len);
    if (ret != EVOTE_OK) {
        char detail[512];
        snprintf(detail, sizeof(detail), "%s", evote_err_detail());
        ret = evote_fail(ret, "%s: %s", path, detail);
    }
out:
    free(data);
    return ret;
}
