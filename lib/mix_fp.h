/*
 * libevote — P-256 field arithmetic for public data (internal): inline so
 * that the point arithmetic in lib/mix_msm.c and the square roots in
 * lib/mix_fp.c compile to straight-line code. Not constant time.
 *
 * Field elements are 4×64-bit little-endian limbs in Montgomery form
 * (R = 2^256).
 */
#ifndef EVOTE_MIX_FP_H
#define EVOTE_MIX_FP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint64_t v[4];
} fe;

typedef unsigned __int128 u128;

static const uint64_t FE_P[4] = {0xffffffffffffffffULL, 0x00000000ffffffffULL, 0, 0xffffffff00000001ULL};
/* R^2 mod p */
static const fe FE_R2 = {{0x0000000000000003ULL, 0xfffffffbffffffffULL, 0xfffffffffffffffeULL,
                          0x00000004fffffffdULL}};

static inline int fe_geq_p(const uint64_t t[4]) {
    for (int i = 3; i >= 0; i--) {
        if (t[i] > FE_P[i])
            return 1;
        if (t[i] < FE_P[i])
            return 0;
    }
    return 1;
}

static inline void sub_p(uint64_t t[4]) {
    u128 b = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)t[i] - FE_P[i] - b;
        t[i] = (uint64_t)d;
        b = (d >> 64) & 1;
    }
}

/* r = t·2^-256 mod p for a 512-bit t (t[8] is scratch). Adding m·p at
 * limb i (m = t_i) clears limb i, adds m·2^32 at limb i+1 and
 * m·(2^64 − 2^32 + 1) at limb i+3 — one multiplication per round; the
 * carry out of limb i+4 waits in `top` for the next round. No branches
 * but the final subtraction. */
static inline void fe_reduce(fe *r, uint64_t t[9]) {
    const uint64_t P3 = 0xffffffff00000001ULL;
    uint64_t top = 0;
    u128 c;
    for (int i = 0; i < 4; i++) {
        uint64_t m = t[i];
        c = (u128)t[i + 1] + ((u128)m << 32);
        t[i + 1] = (uint64_t)c;
        c = (u128)t[i + 2] + (uint64_t)(c >> 64);
        t[i + 2] = (uint64_t)c;
        c = (u128)m * P3 + t[i + 3] + (uint64_t)(c >> 64);
        t[i + 3] = (uint64_t)c;
        c = (u128)t[i + 4] + (uint64_t)(c >> 64) + top;
        t[i + 4] = (uint64_t)c;
        top = (uint64_t)(c >> 64);
    }
    if (top != 0 || fe_geq_p(t + 4))
        sub_p(t + 4);
    memcpy(r->v, t + 4, 32);
}

/* Montgomery product a·b·2^-256 mod p. The reduction uses the shape of p:
 * adding m·p at limb i (m = t_i) clears limb i, adds m·2^32 at limb i+1
 * and m·(2^64 − 2^32 + 1) at limb i+3 — one multiplication per round. */
static inline void fe_mul(fe *r, const fe *a, const fe *b) {
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
static inline void fe_sqr(fe *r, const fe *a) {
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

static inline void fe_sqr_n(fe *r, const fe *a, int n) {
    *r = *a;
    for (int i = 0; i < n; i++)
        fe_sqr(r, r);
}

static inline void fe_add(fe *r, const fe *a, const fe *b) {
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

static inline void fe_sub(fe *r, const fe *a, const fe *b) {
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
            c = (u128)t[i] + FE_P[i] + (uint64_t)(c >> 64);
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

static inline void fe_from_bytes(fe *r, const uint8_t b[32]) {
    fe t;
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int k = 0; k < 8; k++)
            w = w << 8 | b[(3 - i) * 8 + k];
        t.v[i] = w;
    }
    fe_mul(r, &t, &FE_R2);
}

static inline void fe_to_bytes(uint8_t b[32], const fe *a) {
    fe one = {{1, 0, 0, 0}}, t;
    fe_mul(&t, a, &one);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 8; k++)
            b[(3 - i) * 8 + k] = (uint8_t)(t.v[i] >> (56 - 8 * k));
}


/* 1/a (a ≠ 0) as a^(p−2), along the addition chain of p − 3 then ·a². */
static inline void fe_inv(fe *r, const fe *a) {
    fe x2, x4, x8, x16, x32, t;
    fe_sqr(&x2, a);
    fe_mul(&x2, &x2, a);
    fe_sqr_n(&x4, &x2, 2);
    fe_mul(&x4, &x4, &x2);
    fe_sqr_n(&x8, &x4, 4);
    fe_mul(&x8, &x8, &x4);
    fe_sqr_n(&x16, &x8, 8);
    fe_mul(&x16, &x16, &x8);
    fe_sqr_n(&x32, &x16, 16);
    fe_mul(&x32, &x32, &x16); /* a^(2^32−1) */
    /* p − 2, from the top: 32 ones, 31 zeros, 1 one, 96 zeros, 32 ones,
     * 62 ones, 0, 1 */
    fe_sqr_n(&t, &x32, 32);
    fe_mul(&t, &t, a);
    fe_sqr_n(&t, &t, 128);
    fe_mul(&t, &t, &x32);
    fe_sqr_n(&t, &t, 32);
    fe_mul(&t, &t, &x32);
    fe_sqr_n(&t, &t, 16);
    fe_mul(&t, &t, &x16);
    fe_sqr_n(&t, &t, 8);
    fe_mul(&t, &t, &x8);
    fe_sqr_n(&t, &t, 4);
    fe_mul(&t, &t, &x4);
    fe_sqr_n(&t, &t, 2);
    fe_mul(&t, &t, &x2);
    fe_sqr_n(&t, &t, 2);
    fe_mul(&t, &t, a);
    *r = t;
}


/* For x (Montgomery form): 1 and y = the smaller square root of x³−3x+b
 * if that is a non-zero square, else 0. */
int fe_curve_y(fe *y, const fe *x);

#endif
