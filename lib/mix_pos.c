/*
 * libevote — Terelius–Wikström proof of shuffle (VMN's PoSBasicTW, width 1,
 * non-interactive): prover and verifier of one mix party.
 *
 * Notation follows VERIFICATUM.md: h the independent generators, u the
 * permutation commitment, w the input and w' the output list, e the
 * batching vector from PRG(s), v the challenge. Output j is the
 * re-encryption of input φ(j); u_{φ(j)} = r_{φ(j)}·G + h_j, so e'_j =
 * e_{φ(j)} (docs/PROTOCOL.md §14).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

#include "mix_pos.h"

/* ---- challenges ----------------------------------------------------------- */

static evote_err_t ro_points(mix_ro *ro, const mix_pt *p, size_t n) {
    evote_err_t ret = EVOTE_OK;
    GUARD(mix_ro_node(ro, (uint32_t)n));
    for (size_t i = 0; i < n; i++)
        GUARD(mix_ro_point(ro, &p[i]));
out:
    return ret;
}

static evote_err_t ro_ctl(mix_ro *ro, const mix_ctl *c) {
    evote_err_t ret = EVOTE_OK;
    GUARD(mix_ro_node(ro, 2));
    GUARD(ro_points(ro, c->a, c->n));
    GUARD(ro_points(ro, c->b, c->n));
out:
    return ret;
}

/* s = RO(ρ ‖ node(G, h, u, pk, w, w')) */
static evote_err_t derive_s(const mix_stmt *st, const mix_pt *u, uint8_t s[32]) {
    evote_err_t ret = EVOTE_OK;
    mix_ro ro = {0};
    mix_pt g;
    mix_generator(&g);
    GUARD(mix_ro_begin(&ro, 256, st->rho));
    GUARD(mix_ro_node(&ro, 6));
    GUARD(mix_ro_point(&ro, &g));
    GUARD(ro_points(&ro, st->h, st->n));
    GUARD(ro_points(&ro, u, st->n));
    GUARD(mix_ro_node(&ro, 2));
    GUARD(mix_ro_point(&ro, &g));
    GUARD(mix_ro_point(&ro, &st->pk));
    GUARD(ro_ctl(&ro, st->w));
    GUARD(ro_ctl(&ro, st->wp));
    GUARD(mix_ro_final(&ro, s));
out:
    mix_ro_abort(&ro);
    return ret;
}

/* e_i: successive ⌈ebitlen/8⌉-byte integers from PRG(s), top bits masked, mod n. */
static evote_err_t derive_e(const mix_stmt *st, const uint8_t s[32], mix_sc *e) {
    evote_err_t ret = EVOTE_OK;
    mix_prg prg = {.md = NULL};
    size_t len = (st->ebitlen + 7) / 8;
    uint8_t buf[32];
    BIGNUM *x = NULL;
    BN_CTX *bn = NULL;
    ALLOC_GUARD(x = BN_new());
    ALLOC_GUARD(bn = BN_CTX_new());
    mix_prg_init(&prg, s);
    for (size_t i = 0; i < st->n; i++) {
        GUARD(mix_prg_bytes(&prg, buf, len));
        if (st->ebitlen % 8 != 0)
            buf[0] &= (uint8_t)(0xff >> (8 - st->ebitlen % 8));
        ALLOC_GUARD(BN_bin2bn(buf, (int)len, x));
        OSSL_GUARD(BN_nnmod(x, x, evote_ec_order(), bn));
        GUARD(evote_scalar_encode(e[i].b, x));
    }
out:
    mix_prg_free(&prg);
    BN_free(x);
    BN_CTX_free(bn);
    return ret;
}

/* v = RO_vbitlen(ρ ‖ node(leaf(s), commitment)) mod n */
static evote_err_t derive_v(const mix_stmt *st, const uint8_t s[32], const mix_commit *c,
                            BIGNUM *v) {
    evote_err_t ret = EVOTE_OK;
    mix_ro ro = {0};
    uint8_t out[32];
    BN_CTX *bn = NULL;
    ALLOC_GUARD(bn = BN_CTX_new());
    GUARD(mix_ro_begin(&ro, st->vbitlen, st->rho));
    GUARD(mix_ro_node(&ro, 2));
    GUARD(mix_ro_leaf(&ro, s, 32));
    GUARD(mix_ro_node(&ro, 6));
    GUARD(ro_points(&ro, c->B, st->n));
    GUARD(mix_ro_point(&ro, &c->Ap));
    GUARD(ro_points(&ro, c->Bp, st->n));
    GUARD(mix_ro_point(&ro, &c->Cp));
    GUARD(mix_ro_point(&ro, &c->Dp));
    GUARD(mix_ro_node(&ro, 2));
    GUARD(mix_ro_point(&ro, &c->Fpa));
    GUARD(mix_ro_point(&ro, &c->Fpb));
    GUARD(mix_ro_final(&ro, out));
    ALLOC_GUARD(BN_bin2bn(out, (int)((st->vbitlen + 7) / 8), v));
    OSSL_GUARD(BN_nnmod(v, v, evote_ec_order(), bn));
out:
    mix_ro_abort(&ro);
    BN_CTX_free(bn);
    return ret;
}

static void step(const mix_stmt *st, double f) {
    if (st->prog != NULL)
        mix_progress_step(st->prog, st->p0 + (st->p1 - st->p0) * f);
}

/* ---- verifier ---------------------------------------------------------------- */

static evote_err_t fail_check(const char *check) {
    return evote_fail(EVOTE_ERR_SHUFFLE_PROOF, "check %s failed", check);
}

/* out = k·P (+ m·G) for one point; k, m may be NULL. */
static evote_err_t mul1(EC_POINT *out, const BIGNUM *m, const mix_pt *P, const BIGNUM *k,
                        BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *p = NULL;
    if (P != NULL) {
        ALLOC_GUARD(p = EC_POINT_new(g));
        GUARD(mix_pt_to_ec(p, P, bn));
    }
    OSSL_GUARD(EC_POINT_mul(g, out, m, p, k, bn));
out:
    EC_POINT_free(p);
    return ret;
}

static bool ec_eq(const EC_POINT *a, const EC_POINT *b, BN_CTX *bn) {
    return EC_POINT_cmp(evote_ec_group(), a, b, bn) == 0;
}

/* Each equation on its own, in the order A, B, C, D, F: names the first
 * that fails. The batched check below runs first; this one only when
 * that fails, or from tests. */
static evote_err_t verify_separate(const mix_stmt *st, const mix_pt *u, const mix_commit *c,
                                   const mix_reply *r, const char **failed_check) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    const BIGNUM *q = evote_ec_order();
    size_t n = st->n;
    uint8_t s[32];
    mix_sc *e = NULL, *cB = NULL, *rr = NULL;
    BN_CTX *bn = NULL;
    BIGNUM *v = NULL, *t = NULL, *t2 = NULL, *acc = NULL, *ri = NULL, *rn = NULL;
    EC_POINT *A = NULL, *F[2] = {NULL, NULL}, *L = NULL, *R = NULL, *T = NULL, *Su = NULL,
             *Sh = NULL;
    const char *check = "";

    ENSURE(st != NULL && u != NULL && c != NULL && r != NULL && n >= 1, EVOTE_ERR_ARG,
           "verify: bad argument");
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(v = BN_new());
    ALLOC_GUARD(t = BN_new());
    ALLOC_GUARD(t2 = BN_new());
    ALLOC_GUARD(acc = BN_new());
    ALLOC_GUARD(ri = BN_new());
    ALLOC_GUARD(rn = BN_new());
    ALLOC_GUARD(A = EC_POINT_new(g));
    ALLOC_GUARD(F[0] = EC_POINT_new(g));
    ALLOC_GUARD(F[1] = EC_POINT_new(g));
    ALLOC_GUARD(L = EC_POINT_new(g));
    ALLOC_GUARD(R = EC_POINT_new(g));
    ALLOC_GUARD(T = EC_POINT_new(g));
    ALLOC_GUARD(Su = EC_POINT_new(g));
    ALLOC_GUARD(Sh = EC_POINT_new(g));
    ALLOC_GUARD(e = malloc(n * sizeof(*e)));
    ALLOC_GUARD(cB = malloc(n * sizeof(*cB)));
    ALLOC_GUARD(rr = malloc(n * sizeof(*rr)));

    GUARD(derive_s(st, u, s));
    GUARD(derive_e(st, s, e));
    GUARD(derive_v(st, s, c, v));

    step(st, 0.05);
    /* A: v·A + A' = k_A·G + Σ k_E,i·h_i */
    check = "PoS.A";
    GUARD(mix_msm(A, u, 0, e, n, st->threads));
    OSSL_GUARD(EC_POINT_mul(g, L, NULL, A, v, bn));
    GUARD(mul1(T, NULL, &c->Ap, BN_value_one(), bn));
    OSSL_GUARD(EC_POINT_add(g, L, L, T, bn));
    GUARD(mix_msm(R, st->h, 0, r->kE, n, st->threads));
    ALLOC_GUARD(BN_bin2bn(r->kA.b, 32, t));
    GUARD(mul1(T, t, NULL, NULL, bn));
    OSSL_GUARD(EC_POINT_add(g, R, R, T, bn));
    if (!ec_eq(L, R, bn))
        goto fail;

    /* B, batched with random 128-bit weights ρ_i:
     * Σ ρ_i (v·B_i + B'_i − k_B,i·G − k_E,i·B_{i−1}) = 0, B_{−1} = h_0. */
    check = "PoS.B";
    step(st, 0.3);
    {
        BN_zero(acc);
        /* 128-bit weights, drawn in bulk into the low half of each scalar */
        if (RAND_bytes((unsigned char *)rr, (int)(n * sizeof(*rr))) != 1) {
            ret = evote_fail_ossl(EVOTE_ERR_RANDOM, "RAND_bytes");
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            memset(rr[i].b, 0, 16);
        for (size_t i = 0; i < n; i++) {
            /* cB_i = ρ_i·v − ρ_{i+1}·k_E,i+1 */
            ALLOC_GUARD(BN_bin2bn(rr[i].b, 32, ri));
            OSSL_GUARD(BN_mod_mul(t, ri, v, q, bn));
            if (i + 1 < n) {
                ALLOC_GUARD(BN_bin2bn(rr[i + 1].b, 32, rn));
                ALLOC_GUARD(BN_bin2bn(r->kE[i + 1].b, 32, t2));
                OSSL_GUARD(BN_mod_mul(t2, rn, t2, q, bn));
                OSSL_GUARD(BN_mod_sub(t, t, t2, q, bn));
            }
            GUARD(evote_scalar_encode(cB[i].b, t));
            /* acc += ρ_i·k_B,i */
            ALLOC_GUARD(BN_bin2bn(r->kB[i].b, 32, t2));
            OSSL_GUARD(BN_mod_mul(t2, ri, t2, q, bn));
            OSSL_GUARD(BN_mod_add(acc, acc, t2, q, bn));
        }
        GUARD(mix_msm(L, c->B, 0, cB, n, st->threads));
        GUARD(mix_msm(T, c->Bp, 0, rr, n, st->threads));
        OSSL_GUARD(EC_POINT_add(g, L, L, T, bn));
        /* − acc·G − ρ_0·k_E,0·h_0 */
        ALLOC_GUARD(BN_bin2bn(rr[0].b, 32, ri));
        ALLOC_GUARD(BN_bin2bn(r->kE[0].b, 32, t2));
        OSSL_GUARD(BN_mod_mul(t2, ri, t2, q, bn));
        OSSL_GUARD(BN_mod_sub(t2, q, t2, q, bn));
        OSSL_GUARD(BN_mod_sub(acc, q, acc, q, bn));
        GUARD(mul1(T, acc, &st->h[0], t2, bn));
        OSSL_GUARD(EC_POINT_add(g, L, L, T, bn));
        if (!EC_POINT_is_at_infinity(g, L))
            goto fail;
    }

    /* C: v·(Σu − Σh) + C' = k_C·G */
    check = "PoS.C";
    step(st, 0.55);
    GUARD(mix_msm(Su, u, 0, NULL, n, st->threads));
    GUARD(mix_msm(Sh, st->h, 0, NULL, n, st->threads));
    OSSL_GUARD(EC_POINT_invert(g, Sh, bn));
    OSSL_GUARD(EC_POINT_add(g, Su, Su, Sh, bn));
    OSSL_GUARD(EC_POINT_mul(g, L, NULL, Su, v, bn));
    GUARD(mul1(T, NULL, &c->Cp, BN_value_one(), bn));
    OSSL_GUARD(EC_POINT_add(g, L, L, T, bn));
    ALLOC_GUARD(BN_bin2bn(r->kC.b, 32, t));
    GUARD(mul1(R, t, NULL, NULL, bn));
    if (!ec_eq(L, R, bn))
        goto fail;

    /* D: v·(B_{N−1} − (Πe)·h_0) + D' = k_D·G */
    check = "PoS.D";
    OSSL_GUARD(BN_one(t));
    for (size_t i = 0; i < n; i++) {
        ALLOC_GUARD(BN_bin2bn(e[i].b, 32, t2));
        OSSL_GUARD(BN_mod_mul(t, t, t2, q, bn));
    }
    OSSL_GUARD(BN_mod_sub(t, q, t, q, bn));
    OSSL_GUARD(BN_mod_mul(t, t, v, q, bn)); /* −v·Πe */
    GUARD(mul1(L, NULL, &st->h[0], t, bn));
    GUARD(mul1(T, NULL, &c->B[n - 1], v, bn));
    OSSL_GUARD(EC_POINT_add(g, L, L, T, bn));
    GUARD(mul1(T, NULL, &c->Dp, BN_value_one(), bn));
    OSSL_GUARD(EC_POINT_add(g, L, L, T, bn));
    ALLOC_GUARD(BN_bin2bn(r->kD.b, 32, t));
    GUARD(mul1(R, t, NULL, NULL, bn));
    if (!ec_eq(L, R, bn))
        goto fail;

    /* F: v·F + F' = (−k_F·G, −k_F·Y) + Σ k_E,i·w'_i, componentwise */
    check = "PoS.F";
    step(st, 0.6);
    ALLOC_GUARD(BN_bin2bn(r->kF.b, 32, t));
    OSSL_GUARD(BN_mod_sub(t, q, t, q, bn)); /* −k_F */
    for (int k = 0; k < 2; k++) {
        const mix_pt *wa = k == 0 ? st->w->a : st->w->b;
        const mix_pt *wpa = k == 0 ? st->wp->a : st->wp->b;
        GUARD(mix_msm(F[k], wa, 0, e, n, st->threads));
        OSSL_GUARD(EC_POINT_mul(g, L, NULL, F[k], v, bn));
        GUARD(mul1(T, NULL, k == 0 ? &c->Fpa : &c->Fpb, BN_value_one(), bn));
        OSSL_GUARD(EC_POINT_add(g, L, L, T, bn));
        GUARD(mix_msm(R, wpa, 0, r->kE, n, st->threads));
        if (k == 0) {
            GUARD(mul1(T, t, NULL, NULL, bn));
        } else {
            GUARD(mul1(T, NULL, &st->pk, t, bn));
        }
        OSSL_GUARD(EC_POINT_add(g, R, R, T, bn));
        if (!ec_eq(L, R, bn))
            goto fail;
    }
    check = "";
    goto out;
fail:
    ret = fail_check(check);
out:
    if (failed_check != NULL)
        *failed_check = ret == EVOTE_OK ? "" : check;
    free(e);
    free(cB);
    free(rr);
    BN_free(v);
    BN_free(t);
    BN_free(t2);
    BN_free(acc);
    BN_free(ri);
    BN_free(rn);
    EC_POINT_free(A);
    EC_POINT_free(F[0]);
    EC_POINT_free(F[1]);
    EC_POINT_free(L);
    EC_POINT_free(R);
    EC_POINT_free(T);
    EC_POINT_free(Su);
    EC_POINT_free(Sh);
    BN_CTX_free(bn);
    return ret;
}

/*
 * Batched verification: one multi-scalar multiplication over all 8N points
 * instead of one per equation. With 128-bit random weights λ (public,
 * unknown to the prover) the verifier checks
 *
 *   λ_A·A + B + λ_C·C + λ_Fa·Fa + λ_Fb·Fb = 0
 *
 * where A … Fb are the left-minus-right sides of the equations (B already
 * being a ρ-weighted sum over its N equations). If any side is not 0 the
 * sum is 0 with probability at most 2^-128, so this accepts exactly the
 * proofs the separate checks accept, except with that probability
 * (docs/PROTOCOL.md §14). D is checked on its own (a few multiplications).
 * When the sum is not 0, verify_separate runs to name the failing check.
 *
 * Scalars per point, v the challenge, e the batching vector:
 *   u_i: λ_A·v·e_i + λ_C·v          h_i: −λ_A·k_E,i − λ_C·v
 *   B_i: ρ_i·v − ρ_{i+1}·k_E,i+1   B'_i: ρ_i
 *   w_i: λ_F·v·e_i (each half)      w'_i: −λ_F·k_E,i (each half)
 * and A', C', F'_a, F'_b, G, Y, h_0 once each.
 */
enum { SEG_U, SEG_H, SEG_B, SEG_BP, SEG_WA, SEG_WB, SEG_WPA, SEG_WPB, SEG_X, NSEG };

struct batch {
    size_t n;
    const mix_sc *e, *kE, *rho;
    mix_sn vR, lAvR, nlAR, lFavR, lFbvR, nlFaR, nlFbR, lCv, nlCv, R2;
};

static evote_err_t batch_fill(void *arg, size_t seg, size_t start, size_t m, mix_sc *out) {
    const struct batch *b = arg;
    for (size_t t = 0; t < m; t++) {
        size_t i = start + t;
        mix_sn x, y, z;
        switch (seg) {
        case SEG_U:
            mix_sn_from_sc(&x, &b->e[i]);
            mix_sn_mont(&y, &x, &b->lAvR);
            mix_sn_add(&y, &y, &b->lCv);
            break;
        case SEG_H:
            mix_sn_from_sc(&x, &b->kE[i]);
            mix_sn_mont(&y, &x, &b->nlAR);
            mix_sn_add(&y, &y, &b->nlCv);
            break;
        case SEG_B:
            mix_sn_from_sc(&x, &b->rho[i]);
            mix_sn_mont(&y, &x, &b->vR);
            if (i + 1 < b->n) {
                mix_sn_from_sc(&x, &b->rho[i + 1]);
                mix_sn_from_sc(&z, &b->kE[i + 1]);
                mix_sn_mont(&z, &x, &z);
                mix_sn_mont(&z, &z, &b->R2);
                mix_sn_sub(&y, &y, &z);
            }
            break;
        case SEG_WA:
        case SEG_WB:
            mix_sn_from_sc(&x, &b->e[i]);
            mix_sn_mont(&y, &x, seg == SEG_WA ? &b->lFavR : &b->lFbvR);
            break;
        case SEG_WPA:
        case SEG_WPB:
            mix_sn_from_sc(&x, &b->kE[i]);
            mix_sn_mont(&y, &x, seg == SEG_WPA ? &b->nlFaR : &b->nlFbR);
            break;
        default:
            return evote_fail(EVOTE_ERR_INTERNAL, "batch_fill: segment %zu", seg);
        }
        mix_sn_to_sc(&out[t], &y);
    }
    return EVOTE_OK;
}

/* a 128-bit random weight, never 0 */
static evote_err_t weight(mix_sn *w) {
    evote_err_t ret = EVOTE_OK;
    do {
        memset(w, 0, sizeof(*w));
        if (RAND_bytes((unsigned char *)w->v, 16) != 1) {
            ret = evote_fail_ossl(EVOTE_ERR_RANDOM, "RAND_bytes");
            goto out;
        }
    } while ((w->v[0] | w->v[1]) == 0);
out:
    return ret;
}

static void sn_mul(mix_sn *r, const mix_sn *a, const mix_sn *b) {
    mix_sn t;
    mix_sn_mont(&t, a, b);
    mix_sn_to_mont(r, &t); /* a·b/R·R²/R = a·b */
}

/* D: v·(B_{N−1} − (Πe)·h_0) + D' = k_D·G */
static evote_err_t check_d(const mix_stmt *st, const mix_commit *c, const mix_reply *r,
                           const mix_sc *e, const mix_sn *v, bool *ok) {
    evote_err_t ret = EVOTE_OK;
    mix_sn p, x, one = {{1, 0, 0, 0}}, zero = {{0, 0, 0, 0}};
    mix_sc k[4];
    mix_pt pts[4];
    mix_jp res;
    p = one;
    for (size_t i = 0; i < st->n; i++) {
        mix_sn_from_sc(&x, &e[i]);
        sn_mul(&p, &p, &x);
    }
    sn_mul(&p, &p, v);
    mix_sn_sub(&p, &zero, &p);
    mix_sn_to_sc(&k[0], &p); /* −v·Πe on h_0 */
    pts[0] = st->h[0];
    mix_sn_to_sc(&k[1], v); /* v on B_{N−1} */
    pts[1] = c->B[st->n - 1];
    mix_sn_to_sc(&k[2], &one); /* D' */
    pts[2] = c->Dp;
    mix_sn_from_sc(&x, &r->kD);
    mix_sn_sub(&x, &zero, &x);
    mix_sn_to_sc(&k[3], &x); /* −k_D on G */
    mix_generator(&pts[3]);
    mix_msm_seg sg = {pts, 0, k, 4, false};
    GUARD(mix_msm_segs(&res, &sg, 1, NULL, NULL, 1));
    *ok = mix_jp_is_inf(&res);
out:
    return ret;
}

evote_err_t mix_pos_verify(const mix_stmt *st, const mix_pt *u, const mix_commit *c,
                           const mix_reply *r, const char **failed_check) {
    evote_err_t ret = EVOTE_OK;
    size_t n;
    uint8_t s[32];
    mix_sc *e = NULL, *rho = NULL, xk[7];
    mix_pt xp[7];
    BIGNUM *vb = NULL;
    struct batch b;
    mix_sn v, lA, lC, lFa, lFb, t, t2, acc, zero = {{0, 0, 0, 0}};
    mix_jp res;
    bool dok = false;

    if (failed_check != NULL)
        *failed_check = "";
    ENSURE(st != NULL && u != NULL && c != NULL && r != NULL && st->n >= 1, EVOTE_ERR_ARG,
           "verify: bad argument");
    n = st->n;
    ALLOC_GUARD(vb = BN_new());
    ALLOC_GUARD(e = malloc(n * sizeof(*e)));
    ALLOC_GUARD(rho = malloc(n * sizeof(*rho)));
    GUARD(derive_s(st, u, s));
    GUARD(derive_e(st, s, e));
    GUARD(derive_v(st, s, c, vb));
    {
        mix_sc vs;
        GUARD(evote_scalar_encode(vs.b, vb));
        mix_sn_from_sc(&v, &vs);
    }
    step(st, 0.05);
    if (RAND_bytes((unsigned char *)rho, (int)(n * sizeof(*rho))) != 1) {
        ret = evote_fail_ossl(EVOTE_ERR_RANDOM, "RAND_bytes");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        memset(rho[i].b, 0, 16); /* 128-bit weights */
    GUARD(weight(&lA));
    GUARD(weight(&lC));
    GUARD(weight(&lFa));
    GUARD(weight(&lFb));

    b.n = n;
    b.e = e;
    b.kE = r->kE;
    b.rho = rho;
    b.R2 = (mix_sn){{0x83244c95be79eea2ULL, 0x4699799c49bd6fa6ULL, 0x2845b2392b6bec59ULL,
                     0x66e12d94f3d95620ULL}};
    mix_sn_to_mont(&b.vR, &v);
    sn_mul(&t, &lA, &v);
    mix_sn_to_mont(&b.lAvR, &t);
    mix_sn_sub(&t, &zero, &lA);
    mix_sn_to_mont(&b.nlAR, &t);
    sn_mul(&t, &lFa, &v);
    mix_sn_to_mont(&b.lFavR, &t);
    sn_mul(&t, &lFb, &v);
    mix_sn_to_mont(&b.lFbvR, &t);
    mix_sn_sub(&t, &zero, &lFa);
    mix_sn_to_mont(&b.nlFaR, &t);
    mix_sn_sub(&t, &zero, &lFb);
    mix_sn_to_mont(&b.nlFbR, &t);
    sn_mul(&b.lCv, &lC, &v);
    mix_sn_sub(&b.nlCv, &zero, &b.lCv);

    /* the seven single points */
    xp[0] = c->Ap;
    mix_sn_to_sc(&xk[0], &lA);
    xp[1] = c->Cp;
    mix_sn_to_sc(&xk[1], &lC);
    xp[2] = c->Fpa;
    mix_sn_to_sc(&xk[2], &lFa);
    xp[3] = c->Fpb;
    mix_sn_to_sc(&xk[3], &lFb);
    /* G: −λ_A·k_A − Σρ_i·k_B,i − λ_C·k_C + λ_Fa·k_F */
    acc = zero;
    for (size_t i = 0; i < n; i++) {
        mix_sn_from_sc(&t, &rho[i]);
        mix_sn_from_sc(&t2, &r->kB[i]);
        mix_sn_mont(&t, &t, &t2);
        mix_sn_add(&acc, &acc, &t);
    }
    mix_sn_to_mont(&acc, &acc); /* Σ ρ·k_B/R → Σ ρ·k_B */
    mix_sn_sub(&acc, &zero, &acc);
    mix_sn_from_sc(&t2, &r->kA);
    sn_mul(&t, &lA, &t2);
    mix_sn_sub(&acc, &acc, &t);
    mix_sn_from_sc(&t2, &r->kC);
    sn_mul(&t, &lC, &t2);
    mix_sn_sub(&acc, &acc, &t);
    mix_sn_from_sc(&t2, &r->kF);
    sn_mul(&t, &lFa, &t2);
    mix_sn_add(&acc, &acc, &t);
    mix_generator(&xp[4]);
    mix_sn_to_sc(&xk[4], &acc);
    /* Y: λ_Fb·k_F */
    sn_mul(&t, &lFb, &t2);
    xp[5] = st->pk;
    mix_sn_to_sc(&xk[5], &t);
    /* h_0: −ρ_0·k_E,0 */
    mix_sn_from_sc(&t, &rho[0]);
    mix_sn_from_sc(&t2, &r->kE[0]);
    sn_mul(&t, &t, &t2);
    mix_sn_sub(&t, &zero, &t);
    xp[6] = st->h[0];
    mix_sn_to_sc(&xk[6], &t);

    {
        mix_msm_seg seg[NSEG] = {
            [SEG_U] = {u, 0, NULL, n, true},
            [SEG_H] = {st->h, 0, NULL, n, true},
            [SEG_B] = {c->B, 0, NULL, n, true},
            [SEG_BP] = {c->Bp, 0, rho, n, false},
            [SEG_WA] = {st->w->a, 0, NULL, n, true},
            [SEG_WB] = {st->w->b, 0, NULL, n, true},
            [SEG_WPA] = {st->wp->a, 0, NULL, n, true},
            [SEG_WPB] = {st->wp->b, 0, NULL, n, true},
            [SEG_X] = {xp, 0, xk, 7, false},
        };
        GUARD(mix_msm_segs(&res, seg, NSEG, batch_fill, &b, st->threads));
    }
    step(st, 0.9);
    GUARD(check_d(st, c, r, e, &v, &dok));
    if (mix_jp_is_inf(&res) && dok)
        goto out;
    /* Something does not hold: find out what, the slow way. */
    ret = verify_separate(st, u, c, r, failed_check);
    if (ret == EVOTE_OK) {
        /* only with probability 2^-128, or through a bug: refuse anyway */
        if (failed_check != NULL)
            *failed_check = "PoS.batch";
        ret = fail_check("PoS.batch");
    }
out:
    if (ret != EVOTE_OK && ret != EVOTE_ERR_SHUFFLE_PROOF && failed_check != NULL)
        *failed_check = "";
    free(e);
    free(rho);
    BN_free(vb);
    return ret;
}

/* ---- prover -------------------------------------------------------------------- */

evote_err_t mix_random_permutation(uint32_t *perm, size_t n) {
    evote_err_t ret = EVOTE_OK;
    uint32_t buf[256];
    size_t have = 0;
    ENSURE(n <= UINT32_MAX, EVOTE_ERR_TOO_LARGE, "permutation too large");
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    /* Fisher–Yates; j uniform in [0, i] by rejection of the biased top. */
    for (size_t i = n; i-- > 1;) {
        uint64_t range = (uint64_t)i + 1, lim = (UINT64_C(1) << 32) / range * range, x;
        do {
            if (have == 0) {
                if (RAND_priv_bytes((unsigned char *)buf, sizeof(buf)) != 1) {
                    ret = evote_fail_ossl(EVOTE_ERR_RANDOM, "RAND_priv_bytes");
                    goto out;
                }
                have = 256;
            }
            x = buf[--have];
        } while (x >= lim);
        size_t j = (size_t)(x % range);
        uint32_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    return ret;
}

/* Uniform scalars in [1, n−1]: 32 DRBG bytes each, rejected when ≥ n or 0
 * (probability about 2^-32), drawn in bulk. */
evote_err_t mix_random_scalars(mix_sc *out, size_t n) {
    evote_err_t ret = EVOTE_OK;
    static const uint8_t order[32] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
        0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
    static const uint8_t zero[32] = {0};
    size_t i = 0;
    while (i < n) {
        size_t want = n - i;
        if (RAND_priv_bytes((unsigned char *)&out[i], (int)(want * sizeof(mix_sc))) != 1) {
            ret = evote_fail_ossl(EVOTE_ERR_RANDOM, "RAND_priv_bytes");
            goto out;
        }
        /* keep the good ones in place, redraw the rest */
        size_t k = i;
        for (size_t j = i; j < n; j++)
            if (memcmp(out[j].b, order, 32) < 0 && memcmp(out[j].b, zero, 32) != 0)
                out[k++] = out[j];
        i = k;
    }
out:
    return ret;
}

/* Per-element point work of the prover, split over threads. */
struct prove_job {
    const mix_stmt *st;
    const mix_fb *fbY, *fbh0;
    const uint32_t *phi;     /* output j ← input phi[j] (shuffle) */
    const uint32_t *phic;    /* permutation committed to (= phi when honest) */
    const mix_sc *s, *r, *x, *y, *beta_x, *y_eps;
    mix_ctl *wp;
    mix_pt *u, *B, *Bp;
    int stage;
};

#define PJ_CHUNK 256

/* Fixed-base products come from OpenSSL's constant-time comb (as fast as
 * an own table here, and constant time for these secret scalars); the
 * additions and the affine conversion are ours (lib/mix_msm.c), which
 * saves the BIGNUM round trips of EC_POINT_add and EC_POINTs_make_affine. */
static evote_err_t prove_range(void *arg, size_t start, size_t end, unsigned tix) {
    struct prove_job *j = arg;
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    mix_jp *J[2] = {NULL, NULL}, T;
    mix_ap a;
    EC_POINT *E = NULL;
    BIGNUM *k = NULL, *k2 = NULL, *bx = NULL, *by = NULL, *bz = NULL;
    BN_CTX *bn = NULL;
    (void)tix;
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(bx = BN_secure_new());
    ALLOC_GUARD(by = BN_secure_new());
    ALLOC_GUARD(bz = BN_secure_new());
    ALLOC_GUARD(k = BN_secure_new());
    ALLOC_GUARD(k2 = BN_secure_new());
    ALLOC_GUARD(E = EC_POINT_new(g));
    ALLOC_GUARD(J[0] = malloc(PJ_CHUNK * sizeof(mix_jp)));
    ALLOC_GUARD(J[1] = malloc(PJ_CHUNK * sizeof(mix_jp)));
    for (size_t s0 = start; s0 < end; s0 += PJ_CHUNK) {
        size_t m = end - s0 < PJ_CHUNK ? end - s0 : PJ_CHUNK;
        for (size_t i = 0; i < m; i++) {
            size_t jx = s0 + i;
            if (j->stage == 0) {
                /* w'_j = w_φ(j) + (s_j·G, s_j·Y) */
                uint32_t src = j->phi[jx];
                ALLOC_GUARD(BN_bin2bn(j->s[jx].b, 32, k));
                GUARD(mix_fb_mul_jp(NULL, &J[0][i], k, E, bx, by, bz, bn));
                mix_ap_from_pt(&a, &j->st->w->a[src]);
                mix_jp_add_affine(&J[0][i], &J[0][i], &a);
                GUARD(mix_fb_mul_jp(j->fbY, &J[1][i], k, E, bx, by, bz, bn));
                mix_ap_from_pt(&a, &j->st->w->b[src]);
                mix_jp_add_affine(&J[1][i], &J[1][i], &a);
            } else if (j->stage == 1) {
                /* u_i = r_i·G + h_τ(i): index i = φc(jx) gets h_jx */
                uint32_t ui = j->phic[jx];
                ALLOC_GUARD(BN_bin2bn(j->r[ui].b, 32, k));
                GUARD(mix_fb_mul_jp(NULL, &J[0][i], k, E, bx, by, bz, bn));
                mix_ap_from_pt(&a, &j->st->h[jx]);
                mix_jp_add_affine(&J[0][i], &J[0][i], &a);
            } else {
                /* B_i = x_i·G + y_i·h_0; B'_i = (β_i + x_{i−1}ε_i)·G + y_{i−1}ε_i·h_0 */
                ALLOC_GUARD(BN_bin2bn(j->x[jx].b, 32, k));
                ALLOC_GUARD(BN_bin2bn(j->y[jx].b, 32, k2));
                GUARD(mix_fb_mul_jp(NULL, &J[0][i], k, E, bx, by, bz, bn));
                GUARD(mix_fb_mul_jp(j->fbh0, &T, k2, E, bx, by, bz, bn));
                mix_jp_add(&J[0][i], &J[0][i], &T);
                ALLOC_GUARD(BN_bin2bn(j->beta_x[jx].b, 32, k));
                ALLOC_GUARD(BN_bin2bn(j->y_eps[jx].b, 32, k2));
                GUARD(mix_fb_mul_jp(NULL, &J[1][i], k, E, bx, by, bz, bn));
                GUARD(mix_fb_mul_jp(j->fbh0, &T, k2, E, bx, by, bz, bn));
                mix_jp_add(&J[1][i], &J[1][i], &T);
            }
        }
        if (j->stage == 0) {
            GUARD(mix_jps_to_pts(&j->wp->a[s0], J[0], m));
            GUARD(mix_jps_to_pts(&j->wp->b[s0], J[1], m));
        } else if (j->stage == 1) {
            /* u is indexed by φc(jx): convert, then scatter */
            mix_pt tmp[PJ_CHUNK];
            GUARD(mix_jps_to_pts(tmp, J[0], m));
            for (size_t i = 0; i < m; i++)
                j->u[j->phic[s0 + i]] = tmp[i];
        } else {
            GUARD(mix_jps_to_pts(&j->B[s0], J[0], m));
            GUARD(mix_jps_to_pts(&j->Bp[s0], J[1], m));
        }
    }
out:
    for (int x = 0; x < 2; x++) {
        if (J[x] != NULL)
            OPENSSL_cleanse(J[x], PJ_CHUNK * sizeof(mix_jp));
        free(J[x]);
    }
    OPENSSL_cleanse(&T, sizeof(T));
    EC_POINT_clear_free(E);
    BN_clear_free(k);
    BN_clear_free(k2);
    BN_clear_free(bx);
    BN_clear_free(by);
    BN_clear_free(bz);
    BN_CTX_free(bn);
    return ret;
}

/* out = Σ a_i·b_i mod n (b indexed through idx if not NULL) */
static evote_err_t inner(BIGNUM *out, const mix_sc *a, const mix_sc *b, const uint32_t *idx,
                         size_t n, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    BIGNUM *x = BN_secure_new(), *y = BN_secure_new();
    ALLOC_GUARD(x);
    ALLOC_GUARD(y);
    BN_zero(out);
    for (size_t i = 0; i < n; i++) {
        ALLOC_GUARD(BN_bin2bn(a[i].b, 32, x));
        if (b != NULL) {
            ALLOC_GUARD(BN_bin2bn(b[idx ? idx[i] : i].b, 32, y));
            OSSL_GUARD(BN_mod_mul(x, x, y, evote_ec_order(), bn));
        }
        OSSL_GUARD(BN_mod_add(out, out, x, evote_ec_order(), bn));
    }
out:
    BN_clear_free(x);
    BN_clear_free(y);
    return ret;
}

/* k = a·v + b mod n, written to out */
static evote_err_t reply1(mix_sc *out, const BIGNUM *a, const BIGNUM *v, const mix_sc *b,
                          BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    BIGNUM *x = BN_secure_new(), *y = BN_secure_new();
    ALLOC_GUARD(x);
    ALLOC_GUARD(y);
    OSSL_GUARD(BN_mod_mul(x, a, v, evote_ec_order(), bn));
    ALLOC_GUARD(BN_bin2bn(b->b, 32, y));
    OSSL_GUARD(BN_mod_add(x, x, y, evote_ec_order(), bn));
    GUARD(evote_scalar_encode(out->b, x));
out:
    BN_clear_free(x);
    BN_clear_free(y);
    return ret;
}

evote_err_t mix_pos_prove(const mix_stmt *st, const uint32_t *phi, const mix_sc *s,
                          const uint32_t *phi_commit, mix_pt *u, mix_commit *c,
                          mix_reply *r) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    const BIGNUM *q = evote_ec_order();
    size_t n = st->n;
    mix_fb fbh0 = {0};
    uint8_t sd[32];
    /* secrets */
    mix_sc *rr = NULL, *e = NULL, *ep = NULL, *b = NULL, *x = NULL, *y = NULL, *beta = NULL,
           *eps = NULL, *beta_x = NULL, *y_eps = NULL;
    mix_sc alpha, gamma, delta, phiF;
    BIGNUM *t = NULL, *t2 = NULL, *t3 = NULL, *v = NULL, *xi = NULL, *yi = NULL;
    BN_CTX *bn = NULL;
    EC_POINT *P = NULL, *T = NULL;
    struct prove_job job;
    size_t nsc = n * sizeof(mix_sc);

    ENSURE(st != NULL && phi != NULL && s != NULL && u != NULL && c != NULL && r != NULL &&
               n >= 1,
           EVOTE_ERR_ARG, "prove: bad argument");
    if (phi_commit == NULL)
        phi_commit = phi;
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(t = BN_secure_new());
    ALLOC_GUARD(t2 = BN_secure_new());
    ALLOC_GUARD(t3 = BN_secure_new());
    ALLOC_GUARD(v = BN_new());
    ALLOC_GUARD(xi = BN_secure_new());
    ALLOC_GUARD(yi = BN_secure_new());
    ALLOC_GUARD(P = EC_POINT_new(g));
    ALLOC_GUARD(T = EC_POINT_new(g));
    /* plain heap (the secure heap is not set up by default), cleansed on exit */
    ALLOC_GUARD(rr = calloc(n, sizeof(mix_sc)));
    ALLOC_GUARD(e = calloc(n, sizeof(mix_sc)));
    ALLOC_GUARD(ep = calloc(n, sizeof(mix_sc)));
    ALLOC_GUARD(b = calloc(n, sizeof(mix_sc)));
    ALLOC_GUARD(x = calloc(n, sizeof(mix_sc)));
    ALLOC_GUARD(y = calloc(n, sizeof(mix_sc)));
    ALLOC_GUARD(beta = calloc(n, sizeof(mix_sc)));
    ALLOC_GUARD(eps = calloc(n, sizeof(mix_sc)));
    ALLOC_GUARD(beta_x = calloc(n, sizeof(mix_sc)));
    ALLOC_GUARD(y_eps = calloc(n, sizeof(mix_sc)));

    /* Shuffle: w'_j = ReEnc(w_φ(j), s_j) */
    {
        mix_fb fbY = {0};
        GUARD(mix_fb_new(&fbY, &st->pk));
        job = (struct prove_job){st, &fbY, NULL, phi, phi_commit, s, NULL, NULL, NULL,
                                 NULL, NULL, st->wp, NULL, NULL, NULL, 0};
        ret = mix_parallel(n, st->threads, prove_range, &job);
        mix_fb_free(&fbY);
        GUARD(ret);
    }
    step(st, 0.15);
    /* Permutation commitment */
    GUARD(mix_random_scalars(rr, n));
    job.r = rr;
    job.u = u;
    job.stage = 1;
    GUARD(mix_parallel(n, st->threads, prove_range, &job));

    step(st, 0.25);
    /* Batching vector */
    GUARD(derive_s(st, u, sd));
    GUARD(derive_e(st, sd, e));
    for (size_t j = 0; j < n; j++)
        ep[j] = e[phi_commit[j]];

    /* Bridging commitments: x_i = x_{i−1}·e'_i + b_i, y_i = Π_{k≤i} e'_k */
    GUARD(mix_random_scalars(b, n));
    GUARD(mix_random_scalars(beta, n));
    GUARD(mix_random_scalars(eps, n));
    BN_zero(xi);
    BN_one(yi);
    for (size_t i = 0; i < n; i++) {
        /* β_i + x_{i−1}·ε_i and y_{i−1}·ε_i with x_{−1} = 0, y_{−1} = 1 */
        ALLOC_GUARD(BN_bin2bn(eps[i].b, 32, t));
        OSSL_GUARD(BN_mod_mul(t2, xi, t, q, bn));
        ALLOC_GUARD(BN_bin2bn(beta[i].b, 32, t3));
        OSSL_GUARD(BN_mod_add(t2, t2, t3, q, bn));
        GUARD(evote_scalar_encode(beta_x[i].b, t2));
        OSSL_GUARD(BN_mod_mul(t2, yi, t, q, bn));
        GUARD(evote_scalar_encode(y_eps[i].b, t2));
        ALLOC_GUARD(BN_bin2bn(ep[i].b, 32, t));
        OSSL_GUARD(BN_mod_mul(xi, xi, t, q, bn));
        ALLOC_GUARD(BN_bin2bn(b[i].b, 32, t3));
        OSSL_GUARD(BN_mod_add(xi, xi, t3, q, bn));
        OSSL_GUARD(BN_mod_mul(yi, yi, t, q, bn));
        GUARD(evote_scalar_encode(x[i].b, xi));
        GUARD(evote_scalar_encode(y[i].b, yi));
    }
    step(st, 0.35);
    GUARD(mix_fb_new(&fbh0, &st->h[0]));
    job.fbh0 = &fbh0;
    job.x = x;
    job.y = y;
    job.beta_x = beta_x;
    job.y_eps = y_eps;
    job.B = c->B;
    job.Bp = c->Bp;
    job.stage = 2;
    GUARD(mix_parallel(n, st->threads, prove_range, &job));

    step(st, 0.7);
    /* A' = α·G + Σ ε_i·h_i */
    GUARD(mix_random_scalars(&alpha, 1));
    GUARD(mix_msm(P, st->h, 0, eps, n, st->threads));
    ALLOC_GUARD(BN_bin2bn(alpha.b, 32, t));
    OSSL_GUARD(EC_POINT_mul(g, T, t, NULL, NULL, bn));
    OSSL_GUARD(EC_POINT_add(g, P, P, T, bn));
    GUARD(mix_ec_to_pt(&c->Ap, P, bn));
    /* C' = γ·G, D' = δ·G */
    GUARD(mix_random_scalars(&gamma, 1));
    GUARD(mix_random_scalars(&delta, 1));
    ALLOC_GUARD(BN_bin2bn(gamma.b, 32, t));
    OSSL_GUARD(EC_POINT_mul(g, P, t, NULL, NULL, bn));
    GUARD(mix_ec_to_pt(&c->Cp, P, bn));
    ALLOC_GUARD(BN_bin2bn(delta.b, 32, t));
    OSSL_GUARD(EC_POINT_mul(g, P, t, NULL, NULL, bn));
    GUARD(mix_ec_to_pt(&c->Dp, P, bn));
    /* F' = (−φ·G, −φ·Y) + Σ ε_j·w'_j */
    GUARD(mix_random_scalars(&phiF, 1));
    ALLOC_GUARD(BN_bin2bn(phiF.b, 32, t));
    OSSL_GUARD(BN_mod_sub(t, q, t, q, bn));
    GUARD(mix_msm(P, st->wp->a, 0, eps, n, st->threads));
    OSSL_GUARD(EC_POINT_mul(g, T, t, NULL, NULL, bn));
    OSSL_GUARD(EC_POINT_add(g, P, P, T, bn));
    GUARD(mix_ec_to_pt(&c->Fpa, P, bn));
    GUARD(mix_msm(P, st->wp->b, 0, eps, n, st->threads));
    GUARD(mix_pt_to_ec(T, &st->pk, bn));
    OSSL_GUARD(EC_POINT_mul(g, T, NULL, T, t, bn));
    OSSL_GUARD(EC_POINT_add(g, P, P, T, bn));
    GUARD(mix_ec_to_pt(&c->Fpb, P, bn));

    step(st, 0.95);
    /* Challenge and replies */
    GUARD(derive_v(st, sd, c, v));
    GUARD(inner(t, rr, e, NULL, n, bn)); /* a = Σ r_i e_i */
    GUARD(reply1(&r->kA, t, v, &alpha, bn));
    for (size_t i = 0; i < n; i++) {
        ALLOC_GUARD(BN_bin2bn(b[i].b, 32, t));
        GUARD(reply1(&r->kB[i], t, v, &beta[i], bn));
        ALLOC_GUARD(BN_bin2bn(ep[i].b, 32, t));
        GUARD(reply1(&r->kE[i], t, v, &eps[i], bn));
    }
    GUARD(inner(t, rr, NULL, NULL, n, bn)); /* c = Σ r_i */
    GUARD(reply1(&r->kC, t, v, &gamma, bn));
    GUARD(reply1(&r->kD, xi, v, &delta, bn)); /* d = x_{N−1} */
    GUARD(inner(t, s, ep, NULL, n, bn));      /* f = Σ s_j e'_j */
    GUARD(reply1(&r->kF, t, v, &phiF, bn));
out:
    mix_fb_free(&fbh0);
#define WIPE_FREE(p)                                                               \
    do {                                                                           \
        if ((p) != NULL)                                                           \
            OPENSSL_cleanse((p), nsc);                                             \
        free(p);                                                                   \
    } while (0)
    WIPE_FREE(rr);
    WIPE_FREE(e);
    WIPE_FREE(ep);
    WIPE_FREE(b);
    WIPE_FREE(x);
    WIPE_FREE(y);
    WIPE_FREE(beta);
    WIPE_FREE(eps);
    WIPE_FREE(beta_x);
    WIPE_FREE(y_eps);
#undef WIPE_FREE
    OPENSSL_cleanse(&alpha, sizeof(alpha));
    OPENSSL_cleanse(&gamma, sizeof(gamma));
    OPENSSL_cleanse(&delta, sizeof(delta));
    OPENSSL_cleanse(&phiF, sizeof(phiF));
    BN_clear_free(t);
    BN_clear_free(t2);
    BN_clear_free(t3);
    BN_free(v);
    BN_clear_free(xi);
    BN_clear_free(yi);
    EC_POINT_clear_free(P);
    EC_POINT_clear_free(T);
    BN_CTX_free(bn);
    return ret;
}
