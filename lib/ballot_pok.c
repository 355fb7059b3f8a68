/*
 * libevote — checking ballots' proofs of knowledge, alone or in batches
 * (docs/PROTOCOL.md §9.2).
 *
 * A statement (C1, T, c, z) holds iff z·G − c·C1 − T = O. For a batch of
 * n statements the receiver draws independent uniform 128-bit weights w_i
 * from the kernel's RNG after the ballots are fixed, and checks
 *
 *     (Σ w_i·z_i)·G + Σ (−w_i·c_i)·C1_i + Σ w_i·(−T_i) = O
 *
 * with ONE multi-scalar multiplication (OpenSSL's EC_POINTs_mul, which on
 * P-256 interleaves the points' windows and uses the precomputed table for
 * G: about 30 µs per ballot here against 45 µs for one EC_POINT_mul each).
 * If every statement holds, so does the sum. If statement i does not,
 * D_i = z_i·G − c_i·C1_i − T_i is a non-identity element of the group of
 * prime order n > 2^128 (P-256 has cofactor 1 and every point was
 * validated), so for any fixed other weights at most one residue of w_i
 * mod n makes the sum vanish: the batch passes with probability at most
 * 2^-128. A failed batch is re-checked one statement at a time, so the
 * verdicts name exactly the false statements and are what a one-by-one
 * check would give (up to that 2^-128 for a false statement that rode
 * through a passing batch).
 *
 * Everything here is public data (ballots as received); nothing needs to
 * be constant time. The weights are wiped anyway: knowing them before the
 * ballots are chosen is what would let a forger cancel an error.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* EC_POINTs_mul: the multi-point form */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>

#include "ballot_internal.h"
#include "internal.h"

#define W_BYTES 16 /* 128-bit weights */

/* len bytes from the kernel's RNG (getrandom blocks only before the pool
 * is first initialised; a short read happens only on a signal). */
static evote_err_t os_random(uint8_t *out, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t r = getrandom(out + got, len - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return evote_fail(EVOTE_ERR_RANDOM, "getrandom: %s",
                              r < 0 ? strerror(errno) : "no bytes");
        got += (size_t)r;
    }
    return EVOTE_OK;
}

/* The affine point p (validated before) as an EC_POINT, negated if neg. */
static evote_err_t pt_to_ec(EC_POINT *out, const mix_pt *p, bool neg, BIGNUM *x, BIGNUM *y,
                            BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    GUARD(mix_pt_to_ec_trusted(out, p, x, y, bn));
    if (neg)
        OSSL_GUARD(EC_POINT_invert(evote_ec_group(), out, bn));
out:
    return ret;
}

/* One statement: z·G + (n − c)·C1 == T. */
static evote_err_t check_one(const evote_ballot_pok_t *s, bool *ok, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *c1 = NULL, *t = NULL, *lhs = NULL;
    *ok = false;
    BN_CTX_start(bn);
    BIGNUM *z = BN_CTX_get(bn), *negc = BN_CTX_get(bn), *x = BN_CTX_get(bn);
    BIGNUM *y = BN_CTX_get(bn);
    ALLOC_GUARD(y);
    ALLOC_GUARD(c1 = EC_POINT_new(g));
    ALLOC_GUARD(t = EC_POINT_new(g));
    ALLOC_GUARD(lhs = EC_POINT_new(g));
    GUARD(pt_to_ec(c1, &s->c1, false, x, y, bn));
    GUARD(pt_to_ec(t, &s->t, false, x, y, bn));
    ALLOC_GUARD(BN_bin2bn(s->z, EVOTE_SCALAR_LEN, z));
    ALLOC_GUARD(BN_bin2bn(s->c, EVOTE_SCALAR_LEN, negc));
    OSSL_GUARD(BN_mod_sub(negc, evote_ec_order(), negc, evote_ec_order(), bn));
    OSSL_GUARD(EC_POINT_mul(g, lhs, z, c1, negc, bn));
    int cmp = EC_POINT_cmp(g, lhs, t, bn);
    ENSURE(cmp >= 0, EVOTE_ERR_CRYPTO, "EC_POINT_cmp");
    *ok = cmp == 0;
out:
    EC_POINT_free(c1);
    EC_POINT_free(t);
    EC_POINT_free(lhs);
    BN_CTX_end(bn);
    return ret;
}

/* The random linear combination of n statements (2 ≤ n ≤ batch max) is O? */
static evote_err_t check_batch(const evote_ballot_pok_t *s, size_t n, bool *all_ok,
                               BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    const BIGNUM *order = evote_ec_order();
    EC_POINT *pts[2 * EVOTE_POK_BATCH_MAX] = {0}, *sum = NULL;
    BIGNUM *sc[2 * EVOTE_POK_BATCH_MAX] = {0};
    uint8_t w[EVOTE_POK_BATCH_MAX * W_BYTES];
    *all_ok = false;
    BN_CTX_start(bn);
    BIGNUM *gs = BN_CTX_get(bn), *t = BN_CTX_get(bn), *x = BN_CTX_get(bn);
    BIGNUM *y = BN_CTX_get(bn);
    ALLOC_GUARD(y);
    ENSURE(n >= 2 && n <= EVOTE_POK_BATCH_MAX, EVOTE_ERR_INTERNAL, "pok batch of %zu", n);
    GUARD(os_random(w, n * W_BYTES));
    ALLOC_GUARD(sum = EC_POINT_new(g));
    BN_zero(gs);
    for (size_t i = 0; i < n; i++) {
        BIGNUM *wi = sc[n + i] = BN_new(), *ci = sc[i] = BN_new();
        ALLOC_GUARD(wi);
        ALLOC_GUARD(ci);
        ALLOC_GUARD(pts[i] = EC_POINT_new(g));
        ALLOC_GUARD(pts[n + i] = EC_POINT_new(g));
        GUARD(pt_to_ec(pts[i], &s[i].c1, false, x, y, bn));
        GUARD(pt_to_ec(pts[n + i], &s[i].t, true, x, y, bn));
        ALLOC_GUARD(BN_bin2bn(w + i * W_BYTES, W_BYTES, wi));
        /* G's scalar accumulates w_i·z_i; C1_i's is −w_i·c_i; −T_i's is w_i */
        ALLOC_GUARD(BN_bin2bn(s[i].z, EVOTE_SCALAR_LEN, t));
        OSSL_GUARD(BN_mod_mul(t, t, wi, order, bn));
        OSSL_GUARD(BN_mod_add(gs, gs, t, order, bn));
        ALLOC_GUARD(BN_bin2bn(s[i].c, EVOTE_SCALAR_LEN, t));
        OSSL_GUARD(BN_mod_mul(t, t, wi, order, bn));
        OSSL_GUARD(BN_mod_sub(ci, order, t, order, bn));
    }
    OSSL_GUARD(EC_POINTs_mul(g, sum, gs, 2 * n, (const EC_POINT **)pts,
                             (const BIGNUM **)sc, bn));
    *all_ok = EC_POINT_is_at_infinity(g, sum) == 1;
out:
    OPENSSL_cleanse(w, sizeof(w));
    for (size_t i = 0; i < 2 * EVOTE_POK_BATCH_MAX; i++) {
        EC_POINT_free(pts[i]);
        BN_clear_free(sc[i]);
    }
    EC_POINT_free(sum);
    if (gs != NULL)
        BN_clear(gs);
    BN_CTX_end(bn);
    return ret;
}

evote_err_t evote_ballot_pok_verify(const evote_ballot_pok_t *pok, size_t n, bool *ok) {
    evote_err_t ret = EVOTE_OK;
    BN_CTX *bn = NULL;

    ENSURE((pok != NULL && ok != NULL) || n == 0, EVOTE_ERR_ARG, "pok verify: bad argument");
    for (size_t i = 0; i < n; i++)
        ok[i] = false;
    if (n == 0)
        goto out;
    ALLOC_GUARD(bn = BN_CTX_new());
    for (size_t at = 0; at < n; at += EVOTE_POK_BATCH_MAX) {
        size_t m = n - at < EVOTE_POK_BATCH_MAX ? n - at : EVOTE_POK_BATCH_MAX;
        bool all = false;
        if (m >= 2)
            GUARD(check_batch(pok + at, m, &all, bn));
        for (size_t i = 0; i < m; i++) {
            if (all)
                ok[at + i] = true;
            else
                GUARD(check_one(&pok[at + i], &ok[at + i], bn));
        }
    }
out:
    if (ret != EVOTE_OK && ok != NULL)
        for (size_t i = 0; i < n; i++)
            ok[i] = false;
    BN_CTX_free(bn);
    return ret;
}
