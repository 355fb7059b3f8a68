/*
 * libevote — P-256 field arithmetic and a batch-affine Pippenger
 * multi-scalar multiplication for the mix-net's public computations.
 *
 * Why not OpenSSL: its multi-point multiplication (EC_POINTs_mul) costs
 * about a third of a full multiplication per point, and the verifier of a
 * proof of shuffle is eight such products per ciphertext. Bucket
 * (Pippenger) accumulation with affine additions that share one field
 * inversion per batch (Montgomery's trick) brings a point down to a few
 * field multiplications per window. Everything here operates on PUBLIC
 * data only (verifier inputs, the prover's public outputs with public or
 * blinded exponents are NOT passed here: the prover's secret-exponent
 * products use OpenSSL's constant-time code); it is not constant time.
 *
 * Field elements are 4×64-bit little-endian limbs in Montgomery form
 * (R = 2^256). Results are cross-checked against OpenSSL in the tests.
 */
#pragma GCC optimize("O3")
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "mix_fp.h"

typedef unsigned __int128 u128;

static const uint64_t P[4] = {0xffffffffffffffffULL, 0x00000000ffffffffULL, 0, 0xffffffff00000001ULL};
/* R^2 mod p, R mod p (Montgomery one), b·R mod p */
static const fe FE_R2 = {{0x0000000000000003ULL, 0xfffffffbffffffffULL, 0xfffffffffffffffeULL,
                          0x00000004fffffffdULL}};
static const fe FE_ONE = {{0x0000000000000001ULL, 0xffffffff00000000ULL, 0xffffffffffffffffULL,
                           0x00000000fffffffeULL}};

static inline int fe_geq_p(const uint64_t t[4]) {
    for (int i = 3; i >= 0; i--) {
        if (t[i] > P[i])
            return 1;
        if (t[i] < P[i])
            return 0;
    }
    return 1;
}

static inline void sub_p(uint64_t t[4]) {
    u128 b = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)t[i] - P[i] - b;
        t[i] = (uint64_t)d;
        b = (d >> 64) & 1;
    }
}

/* r = t·2^-256 mod p for a 512-bit t (t[8] = 0 on entry, scratch). */
static inline void fe_reduce(fe *r, uint64_t t[9]) {
    const uint64_t P3 = 0xffffffff00000001ULL;
    u128 c;
    for (int i = 0; i < 4; i++) {
        uint64_t m = t[i];
        c = (u128)t[i + 1] + ((u128)m << 32);
        t[i + 1] = (uint64_t)c;
        c = (u128)t[i + 2] + (uint64_t)(c >> 64);
        t[i + 2] = (uint64_t)c;
        c = (u128)t[i + 3] + (u128)m * P3 + (uint64_t)(c >> 64);
        t[i + 3] = (uint64_t)c;
        c >>= 64;
        for (int k = i + 4; c != 0 && k < 9; k++) {
            c += t[k];
            t[k] = (uint64_t)c;
            c >>= 64;
        }
    }
    if (t[8] != 0 || fe_geq_p(t + 4))
        sub_p(t + 4);
    memcpy(r->v, t + 4, 32);
}

/* Montgomery product a·b·2^-256 mod p. The reduction uses the shape of p:
 * adding m·p at limb i (m = t_i) clears limb i, adds m·2^32 at limb i+1
 * and m·(2^64 − 2^32 + 1) at limb i+3 — one multiplication per round. */
void fe_mul(fe *r, const fe *a, const fe *b) {
    uint64_t t[9];
    u128 c;
    uint64_t a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3];
    for (int j = 0; j < 4; j++) {
        uint64_t bj = b->v[j];
        if (j == 0) {
            c = (u128)a0 * bj;
            t[0] = (uint64_t)c;
            c = (u128)a1 * bj + (uint64_t)(c >> 64);
            t[1] = (uint64_t)c;
            c = (u128)a2 * bj + (uint64_t)(c >> 64);
            t[2] = (uint64_t)c;
            c = (u128)a3 * bj + (uint64_t)(c >> 64);
            t[3] = (uint64_t)c;
            t[4] = (uint64_t)(c >> 64);
        } else {
            c = (u128)a0 * bj + t[j];
            t[j] = (uint64_t)c;
            c = (u128)a1 * bj + t[j + 1] + (uint64_t)(c >> 64);
            t[j + 1] = (uint64_t)c;
            c = (u128)a2 * bj + t[j + 2] + (uint64_t)(c >> 64);
            t[j + 2] = (uint64_t)c;
            c = (u128)a3 * bj + t[j + 3] + (uint64_t)(c >> 64);
            t[j + 3] = (uint64_t)c;
            t[j + 4] = (uint64_t)(c >> 64);
        }
    }
    t[8] = 0;
    fe_reduce(r, t);
}

/* Montgomery square: 10 word products instead of 16. */
static void fe_sqr(fe *r, const fe *a) {
    uint64_t t[9], a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3], cy;
    u128 c;
    c = (u128)a0 * a1;
    t[1] = (uint64_t)c;
    c = (u128)a0 * a2 + (uint64_t)(c >> 64);
    t[2] = (uint64_t)c;
    c = (u128)a0 * a3 + (uint64_t)(c >> 64);
    t[3] = (uint64_t)c;
    t[4] = (uint64_t)(c >> 64);
    c = (u128)a1 * a2 + t[3];
    t[3] = (uint64_t)c;
    c = (u128)a1 * a3 + t[4] + (uint64_t)(c >> 64);
    t[4] = (uint64_t)c;
    t[5] = (uint64_t)(c >> 64);
    c = (u128)a2 * a3 + t[5];
    t[5] = (uint64_t)c;
    t[6] = (uint64_t)(c >> 64);
    t[7] = t[6] >> 63;
    for (int i = 6; i >= 2; i--)
        t[i] = t[i] << 1 | t[i - 1] >> 63;
    t[1] <<= 1;
    c = (u128)a0 * a0;
    t[0] = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)t[1] + cy;
    t[1] = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)a1 * a1 + t[2] + cy;
    t[2] = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)t[3] + cy;
    t[3] = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)a2 * a2 + t[4] + cy;
    t[4] = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)t[5] + cy;
    t[5] = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)a3 * a3 + t[6] + cy;
    t[6] = (uint64_t)c;
    t[7] += (uint64_t)(c >> 64);
    t[8] = 0;
    fe_reduce(r, t);
}

static void fe_sqr_n(fe *r, const fe *a, int n) {
    *r = *a;
    for (int i = 0; i < n; i++)
        fe_sqr(r, r);
}

void fe_add(fe *r, const fe *a, const fe *b) {
    uint64_t t[4];
    u128 c = 0;
    for (int i = 0; i < 4; i++) {
        c = (u128)a->v[i] + b->v[i] + (uint64_t)(c >> 64);
        t[i] = (uint64_t)c;
    }
    if ((uint64_t)(c >> 64) != 0 || fe_geq_p(t))
        sub_p(t);
    memcpy(r->v, t, 32);
}

void fe_sub(fe *r, const fe *a, const fe *b) {
    uint64_t t[4];
    u128 bw = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)a->v[i] - b->v[i] - bw;
        t[i] = (uint64_t)d;
        bw = (d >> 64) & 1;
    }
    if (bw) {
        u128 c = 0;
        for (int i = 0; i < 4; i++) {
            c = (u128)t[i] + P[i] + (uint64_t)(c >> 64);
            t[i] = (uint64_t)c;
        }
    }
    memcpy(r->v, t, 32);
}

static inline int fe_is_zero(const fe *a) {
    return (a->v[0] | a->v[1] | a->v[2] | a->v[3]) == 0;
}

static inline int fe_eq(const fe *a, const fe *b) {
    return memcmp(a->v, b->v, 32) == 0;
}

/* r = a^e for a big-endian exponent */
static void fe_pow(fe *r, const fe *a, const uint8_t e[32]) {
    fe x = FE_ONE;
    for (int i = 0; i < 256; i++) {
        fe_sqr(&x, &x);
        if ((e[i / 8] >> (7 - i % 8)) & 1)
            fe_mul(&x, &x, a);
    }
    *r = x;
}

void fe_inv(fe *r, const fe *a) {
    static const uint8_t pm2[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0, 0, 0,
                                    0,    0,    0,    0,    0,    0,    0,    0,    0, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd};
    fe_pow(r, a, pm2);
}

void fe_from_bytes(fe *r, const uint8_t b[32]) {
    fe t;
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int k = 0; k < 8; k++)
            w = w << 8 | b[(3 - i) * 8 + k];
        t.v[i] = w;
    }
    fe_mul(r, &t, &FE_R2);
}

void fe_to_bytes(uint8_t b[32], const fe *a) {
    fe one = {{1, 0, 0, 0}}, t;
    fe_mul(&t, a, &one);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 8; k++)
            b[(3 - i) * 8 + k] = (uint8_t)(t.v[i] >> (56 - 8 * k));
}

/* x³ − 3x + b with x in Montgomery form; *ok when it is a non-zero square,
 * then y = the smaller root (as integers). */
int fe_curve_y(fe *y, const fe *x) {
    static const uint8_t b_be[32] = {0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7,
                                     0xb3, 0xeb, 0xbd, 0x55, 0x76, 0x98, 0x86, 0xbc,
                                     0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53, 0xb0, 0xf6,
                                     0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b};
    /* (p + 1) / 4 */
    static const uint8_t e[32] = {0x3f, 0xff, 0xff, 0xff, 0xc0, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    fe b, f, t, r, r2;
    fe_from_bytes(&b, b_be);
    fe_sqr(&f, x);
    fe_mul(&f, &f, x);
    fe_add(&t, x, x);
    fe_add(&t, &t, x);
    fe_sub(&f, &f, &t);
    fe_add(&f, &f, &b);
    if (fe_is_zero(&f))
        return 0;
    /* r = f^((p+1)/4), (p+1)/4 = 2^94·(((2^32−1)·2^32 + 1)·2^96 + 1) */
    {
        fe x2, x4, x8, x16, x32;
        fe_sqr(&x2, &f);
        fe_mul(&x2, &x2, &f); /* 2 ones */
        fe_sqr_n(&x4, &x2, 2);
        fe_mul(&x4, &x4, &x2);
        fe_sqr_n(&x8, &x4, 4);
        fe_mul(&x8, &x8, &x4);
        fe_sqr_n(&x16, &x8, 8);
        fe_mul(&x16, &x16, &x8);
        fe_sqr_n(&x32, &x16, 16);
        fe_mul(&x32, &x32, &x16); /* f^(2^32 − 1) */
        fe_sqr_n(&r, &x32, 32);
        fe_mul(&r, &r, &f);
        fe_sqr_n(&r, &r, 96);
        fe_mul(&r, &r, &f);
        fe_sqr_n(&r, &r, 94);
    }
    (void)e;
    fe_sqr(&r2, &r);
    if (!fe_eq(&r2, &f))
        return 0;
    /* choose the smaller of r and p − r as integers */
    uint8_t rb[32], nb[32];
    fe zero = {{0, 0, 0, 0}}, nr;
    fe_sub(&nr, &zero, &r);
    fe_to_bytes(rb, &r);
    fe_to_bytes(nb, &nr);
    *y = memcmp(nb, rb, 32) < 0 ? nr : r;
    return 1;
}

/* ---- points ------------------------------------------------------------ */

typedef struct {
    fe X, Y, Z; /* Z = 0: infinity */
} jac;

static inline int jac_is_inf(const jac *p) {
    return fe_is_zero(&p->Z);
}

static void jac_set_inf(jac *p) {
    memset(p, 0, sizeof(*p));
}

/* dbl-2001-b (a = −3) */
static void jac_dbl(jac *r, const jac *p) {
    fe delta, gamma, beta, alpha, t, u;
    if (jac_is_inf(p) || fe_is_zero(&p->Y)) {
        jac_set_inf(r);
        return;
    }
    fe_sqr(&delta, &p->Z);
    fe_sqr(&gamma, &p->Y);
    fe_mul(&beta, &p->X, &gamma);
    fe_sub(&t, &p->X, &delta);
    fe_add(&u, &p->X, &delta);
    fe_mul(&alpha, &t, &u);
    fe_add(&t, &alpha, &alpha);
    fe_add(&alpha, &alpha, &t);
    fe_add(&t, &p->Y, &p->Z);
    fe_sqr(&t, &t);
    fe_sub(&t, &t, &gamma);
    fe_sub(&r->Z, &t, &delta);
    fe_add(&u, &beta, &beta);
    fe_add(&u, &u, &u); /* 4β */
    fe_sqr(&t, &alpha);
    fe_sub(&t, &t, &u);
    fe_sub(&t, &t, &u); /* X3 = α² − 8β */
    fe_sub(&u, &u, &t);
    fe_mul(&u, &alpha, &u);
    fe_sqr(&gamma, &gamma);
    fe_add(&gamma, &gamma, &gamma);
    fe_add(&gamma, &gamma, &gamma);
    fe_add(&gamma, &gamma, &gamma); /* 8γ² */
    fe_sub(&r->Y, &u, &gamma);
    r->X = t;
}

/* r = p + (x, y) affine (madd-2007-bl with special cases) */
static void jac_add_aff(jac *r, const jac *p, const fe *x, const fe *y) {
    fe z1z1, u2, s2, h, hh, i, j, rr, v, t;
    if (jac_is_inf(p)) {
        r->X = *x;
        r->Y = *y;
        r->Z = FE_ONE;
        return;
    }
    fe_sqr(&z1z1, &p->Z);
    fe_mul(&u2, x, &z1z1);
    fe_mul(&s2, y, &p->Z);
    fe_mul(&s2, &s2, &z1z1);
    fe_sub(&h, &u2, &p->X);
    fe_sub(&rr, &s2, &p->Y);
    if (fe_is_zero(&h)) {
        if (fe_is_zero(&rr)) {
            jac_dbl(r, p);
        } else {
            jac_set_inf(r);
        }
        return;
    }
    fe_sqr(&hh, &h);
    fe_add(&i, &hh, &hh);
    fe_add(&i, &i, &i);
    fe_mul(&j, &h, &i);
    fe_add(&rr, &rr, &rr);
    fe_mul(&v, &p->X, &i);
    fe x3, y3, z3;
    fe_sqr(&x3, &rr);
    fe_sub(&x3, &x3, &j);
    fe_sub(&x3, &x3, &v);
    fe_sub(&x3, &x3, &v);
    fe_sub(&t, &v, &x3);
    fe_mul(&t, &rr, &t);
    fe_mul(&y3, &p->Y, &j);
    fe_add(&y3, &y3, &y3);
    fe_sub(&y3, &t, &y3);
    fe_add(&t, &p->Z, &h);
    fe_sqr(&t, &t);
    fe_sub(&t, &t, &z1z1);
    fe_sub(&z3, &t, &hh);
    r->X = x3;
    r->Y = y3;
    r->Z = z3;
}

/* r = p + q (add-2007-bl with special cases) */
static void jac_add(jac *r, const jac *p, const jac *q) {
    fe z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t;
    if (jac_is_inf(p)) {
        *r = *q;
        return;
    }
    if (jac_is_inf(q)) {
        *r = *p;
        return;
    }
    fe_sqr(&z1z1, &p->Z);
    fe_sqr(&z2z2, &q->Z);
    fe_mul(&u1, &p->X, &z2z2);
    fe_mul(&u2, &q->X, &z1z1);
    fe_mul(&s1, &p->Y, &q->Z);
    fe_mul(&s1, &s1, &z2z2);
    fe_mul(&s2, &q->Y, &p->Z);
    fe_mul(&s2, &s2, &z1z1);
    fe_sub(&h, &u2, &u1);
    fe_sub(&rr, &s2, &s1);
    if (fe_is_zero(&h)) {
        if (fe_is_zero(&rr))
            jac_dbl(r, p);
        else
            jac_set_inf(r);
        return;
    }
    fe_add(&i, &h, &h);
    fe_sqr(&i, &i);
    fe_mul(&j, &h, &i);
    fe_add(&rr, &rr, &rr);
    fe_mul(&v, &u1, &i);
    fe x3, y3, z3;
    fe_sqr(&x3, &rr);
    fe_sub(&x3, &x3, &j);
    fe_sub(&x3, &x3, &v);
    fe_sub(&x3, &x3, &v);
    fe_sub(&t, &v, &x3);
    fe_mul(&t, &rr, &t);
    fe_mul(&y3, &s1, &j);
    fe_add(&y3, &y3, &y3);
    fe_sub(&y3, &t, &y3);
    fe_add(&t, &p->Z, &q->Z);
    fe_sqr(&t, &t);
    fe_sub(&t, &t, &z1z1);
    fe_sub(&t, &t, &z2z2);
    fe_mul(&z3, &t, &h);
    r->X = x3;
    r->Y = y3;
    r->Z = z3;
}

/* ---- batch-affine Pippenger ------------------------------------------------ */

typedef struct {
    fe x, y;
    int used; /* 0: empty bucket */
} abucket;

#define BATCH 512

static unsigned digit(const uint8_t k[32], unsigned bit, unsigned c) {
    /* bits [bit, bit + c) of the big-endian 256-bit k */
    unsigned v = 0;
    for (unsigned i = 0; i < c && bit + i < 256; i++) {
        unsigned b = bit + i;
        v |= (unsigned)((k[31 - b / 8] >> (b % 8)) & 1) << i;
    }
    return v;
}

static unsigned pick_window(size_t n) {
    unsigned c = 4;
    while (c < 16 && ((size_t)1 << (c + 3)) < n)
        c++;
    return c;
}

/* Add (x, y) into bucket b right away (slow path: equal x coordinates). */
static void bucket_add_slow(abucket *b, const fe *x, const fe *y) {
    jac t = {b->x, b->y, FE_ONE};
    jac_add_aff(&t, &t, x, y);
    if (jac_is_inf(&t)) {
        b->used = 0;
        return;
    }
    fe zi, zi2;
    fe_inv(&zi, &t.Z);
    fe_sqr(&zi2, &zi);
    fe_mul(&b->x, &t.X, &zi2);
    fe_mul(&zi2, &zi2, &zi);
    fe_mul(&b->y, &t.Y, &zi2);
    b->used = 1;
}

struct pend {
    unsigned bucket;
    const fe *x, *y;
};

static void flush(abucket *bk, struct pend *pd, size_t np, fe *scratch) {
    /* scratch[i] = x_i − X_bucket; batch invert */
    fe acc = FE_ONE, inv, t;
    for (size_t i = 0; i < np; i++) {
        fe_sub(&scratch[i], pd[i].x, &bk[pd[i].bucket].x);
        scratch[np + i] = acc; /* prefix product before i */
        fe_mul(&acc, &acc, &scratch[i]);
    }
    fe_inv(&inv, &acc);
    for (size_t i = np; i-- > 0;) {
        fe d = scratch[i];
        fe_mul(&t, &inv, &scratch[np + i]); /* 1/d_i */
        fe_mul(&inv, &inv, &d);
        abucket *b = &bk[pd[i].bucket];
        fe lam, x3, y3;
        fe_sub(&lam, pd[i].y, &b->y);
        fe_mul(&lam, &lam, &t);
        fe_sqr(&x3, &lam);
        fe_sub(&x3, &x3, &b->x);
        fe_sub(&x3, &x3, pd[i].x);
        fe_sub(&y3, &b->x, &x3);
        fe_mul(&y3, &lam, &y3);
        fe_sub(&y3, &y3, &b->y);
        b->x = x3;
        b->y = y3;
    }
}

/* One window: Σ_d d·bucket_d as a Jacobian point. */
static int window_sum(jac *out, const fe *X, const fe *Y, const uint8_t (*k)[32], size_t n,
                      unsigned bit, unsigned c) {
    size_t nb = (size_t)1 << c;
    abucket *bk = calloc(nb, sizeof(*bk));
    struct pend *pd = malloc(BATCH * sizeof(*pd));
    fe *scratch = malloc(2 * BATCH * sizeof(fe));
    uint32_t *stamp = calloc(nb, sizeof(uint32_t));
    size_t *defer = malloc(n * sizeof(size_t)), *defer2 = malloc(n * sizeof(size_t));
    uint32_t round = 1;
    int ok = bk && pd && scratch && stamp && defer && defer2;
    size_t nd = 0;
    if (!ok)
        goto out;
    /* first pass over all points, then over the deferred ones until none */
    for (int pass = 0;; pass++) {
        size_t cnt = pass == 0 ? n : nd, nd2 = 0, np = 0;
        if (pass > 0 && nd == 0)
            break;
        for (size_t ii = 0; ii < cnt; ii++) {
            size_t i = pass == 0 ? ii : defer[ii];
            unsigned d = digit(k[i], bit, c);
            if (d == 0)
                continue;
            abucket *b = &bk[d];
            if (stamp[d] == round) { /* bucket busy in this batch */
                defer2[nd2++] = i;
                continue;
            }
            if (!b->used) {
                b->x = X[i];
                b->y = Y[i];
                b->used = 1;
                continue;
            }
            if (fe_eq(&b->x, &X[i])) {
                bucket_add_slow(b, &X[i], &Y[i]);
                continue;
            }
            stamp[d] = round;
            pd[np++] = (struct pend){d, &X[i], &Y[i]};
            if (np == BATCH) {
                flush(bk, pd, np, scratch);
                np = 0;
                round++;
            }
        }
        if (np > 0) {
            flush(bk, pd, np, scratch);
            round++;
        }
        size_t *tmp = defer;
        defer = defer2;
        defer2 = tmp;
        nd = nd2;
    }
    /* Σ d·B_d = Σ_{d} (running sum from the top) */
    jac run, tot;
    jac_set_inf(&run);
    jac_set_inf(&tot);
    for (size_t d = nb - 1; d >= 1; d--) {
        if (bk[d].used)
            jac_add_aff(&run, &run, &bk[d].x, &bk[d].y);
        jac_add(&tot, &tot, &run);
    }
    *out = tot;
out:
    free(bk);
    free(pd);
    free(scratch);
    free(stamp);
    free(defer);
    free(defer2);
    return ok;
}

int mix_fp_msm(uint8_t out_x[32], uint8_t out_y[32], int *is_inf, const uint8_t (*px)[32],
               const uint8_t (*py)[32], size_t pstride, const uint8_t (*k)[32],
               size_t kstride, size_t n) {
    int ok = 0;
    fe *X = malloc((n ? n : 1) * sizeof(fe)), *Y = malloc((n ? n : 1) * sizeof(fe));
    uint8_t (*kk)[32] = malloc((n ? n : 1) * 32);
    jac acc, w;
    unsigned c = pick_window(n), nwin = (256 + c - 1) / c;
    if (!X || !Y || !kk)
        goto out;
    for (size_t i = 0; i < n; i++) {
        fe_from_bytes(&X[i], *(const uint8_t (*)[32])((const uint8_t *)px + i * pstride));
        fe_from_bytes(&Y[i], *(const uint8_t (*)[32])((const uint8_t *)py + i * pstride));
        memcpy(kk[i], (const uint8_t *)k + i * kstride, 32);
    }
    jac_set_inf(&acc);
    for (unsigned wi = nwin; wi-- > 0;) {
        for (unsigned d = 0; d < c; d++)
            jac_dbl(&acc, &acc);
        if (!window_sum(&w, X, Y, (const uint8_t (*)[32])kk, n, wi * c, c))
            goto out;
        jac_add(&acc, &acc, &w);
    }
    if (jac_is_inf(&acc)) {
        *is_inf = 1;
        memset(out_x, 0, 32);
        memset(out_y, 0, 32);
    } else {
        fe zi, zi2, x, y;
        *is_inf = 0;
        fe_inv(&zi, &acc.Z);
        fe_sqr(&zi2, &zi);
        fe_mul(&x, &acc.X, &zi2);
        fe_mul(&zi2, &zi2, &zi);
        fe_mul(&y, &acc.Y, &zi2);
        fe_to_bytes(out_x, &x);
        fe_to_bytes(out_y, &y);
    }
    ok = 1;
out:
    free(X);
    free(Y);
    free(kk);
    return ok;
}
