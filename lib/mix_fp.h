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

/* r = top·2^256 + t reduced once: t − p when that is ≥ 0, without a
 * branch (the outcome is random, so a branch mispredicts half the time). */
static inline void fe_portable_csub(uint64_t r[4], const uint64_t t[4], uint64_t top) {
    uint64_t d[4];
    u128 b = 0;
    for (int i = 0; i < 4; i++) {
        u128 x = (u128)t[i] - FE_P[i] - b;
        d[i] = (uint64_t)x;
        b = (x >> 64) & 1;
    }
    uint64_t mask = 0 - (uint64_t)(top | ((uint64_t)b ^ 1));
    for (int i = 0; i < 4; i++)
        r[i] = (d[i] & mask) | (t[i] & ~mask);
}

/* Montgomery product a·b·2^-256 mod p: operand scanning interleaved with
 * the reduction (CIOS) in five registers. Adding m·p (m = t_0) clears
 * limb 0, adds m·2^32 at limb 1 and m·(2^64 − 2^32 + 1) at limb 3, so a
 * reduction round costs one multiplication. */
#define FE_ROW(bi)                                                                             \
    c = (u128)a0 * (bi) + t0;                                                                  \
    t0 = (uint64_t)c;                                                                          \
    c = (u128)a1 * (bi) + t1 + (uint64_t)(c >> 64);                                            \
    t1 = (uint64_t)c;                                                                          \
    c = (u128)a2 * (bi) + t2 + (uint64_t)(c >> 64);                                            \
    t2 = (uint64_t)c;                                                                          \
    c = (u128)a3 * (bi) + t3 + (uint64_t)(c >> 64);                                            \
    t3 = (uint64_t)c;                                                                          \
    c = (u128)t4 + (uint64_t)(c >> 64);                                                        \
    t4 = (uint64_t)c;                                                                          \
    t5 = (uint64_t)(c >> 64);
#define FE_RED()                                                                               \
    m = t0;                                                                                    \
    c = (u128)t1 + ((u128)m << 32);                                                            \
    t0 = (uint64_t)c;                                                                          \
    c = (u128)t2 + (uint64_t)(c >> 64);                                                        \
    t1 = (uint64_t)c;                                                                          \
    c = (u128)m * 0xffffffff00000001ULL + t3 + (uint64_t)(c >> 64);                            \
    t2 = (uint64_t)c;                                                                          \
    c = (u128)t4 + (uint64_t)(c >> 64);                                                        \
    t3 = (uint64_t)c;                                                                          \
    t4 = t5 + (uint64_t)(c >> 64);

static inline void fe_portable_mul(fe *r, const fe *a, const fe *b) {
    const uint64_t a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3];
    const uint64_t b0 = b->v[0], b1 = b->v[1], b2 = b->v[2], b3 = b->v[3];
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5, m, t[4];
    u128 c;
    FE_ROW(b0)
    FE_RED()
    FE_ROW(b1)
    FE_RED()
    FE_ROW(b2)
    FE_RED()
    FE_ROW(b3)
    FE_RED()
    t[0] = t0;
    t[1] = t1;
    t[2] = t2;
    t[3] = t3;
    fe_portable_csub(r->v, t, t4);
}
#undef FE_ROW
#undef FE_RED

/* Montgomery square: 10 word products instead of 16, all in registers,
 * then four reduction rounds: adding m·p (m = limb i) clears limb i, adds
 * m·2^32 at limb i+1 and m·(2^64 − 2^32 + 1) at limb i+3; the carry out of
 * limb i+4 waits in `top` for the next round. */
#define FE_SQRED(x0, x1, x2, x3, x4)                                                          \
    m = x0;                                                                                    \
    c = (u128)x1 + ((u128)m << 32);                                                            \
    x1 = (uint64_t)c;                                                                          \
    c = (u128)x2 + (uint64_t)(c >> 64);                                                        \
    x2 = (uint64_t)c;                                                                          \
    c = (u128)m * 0xffffffff00000001ULL + x3 + (uint64_t)(c >> 64);                            \
    x3 = (uint64_t)c;                                                                          \
    c = (u128)x4 + (uint64_t)(c >> 64) + top;                                                  \
    x4 = (uint64_t)c;                                                                          \
    top = (uint64_t)(c >> 64);

static inline void fe_portable_sqr(fe *r, const fe *a) {
    const uint64_t a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3];
    uint64_t t0, t1, t2, t3, t4, t5, t6, t7, cy, m, top = 0, t[4];
    u128 c;
    c = (u128)a0 * a1;
    t1 = (uint64_t)c;
    c = (u128)a0 * a2 + (uint64_t)(c >> 64);
    t2 = (uint64_t)c;
    c = (u128)a0 * a3 + (uint64_t)(c >> 64);
    t3 = (uint64_t)c;
    t4 = (uint64_t)(c >> 64);
    c = (u128)a1 * a2 + t3;
    t3 = (uint64_t)c;
    c = (u128)a1 * a3 + t4 + (uint64_t)(c >> 64);
    t4 = (uint64_t)c;
    t5 = (uint64_t)(c >> 64);
    c = (u128)a2 * a3 + t5;
    t5 = (uint64_t)c;
    t6 = (uint64_t)(c >> 64);
    t7 = t6 >> 63;
    t6 = t6 << 1 | t5 >> 63;
    t5 = t5 << 1 | t4 >> 63;
    t4 = t4 << 1 | t3 >> 63;
    t3 = t3 << 1 | t2 >> 63;
    t2 = t2 << 1 | t1 >> 63;
    t1 <<= 1;
    c = (u128)a0 * a0;
    t0 = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)t1 + cy;
    t1 = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)a1 * a1 + t2 + cy;
    t2 = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)t3 + cy;
    t3 = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)a2 * a2 + t4 + cy;
    t4 = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)t5 + cy;
    t5 = (uint64_t)c;
    cy = (uint64_t)(c >> 64);
    c = (u128)a3 * a3 + t6 + cy;
    t6 = (uint64_t)c;
    t7 += (uint64_t)(c >> 64);
    FE_SQRED(t0, t1, t2, t3, t4)
    FE_SQRED(t1, t2, t3, t4, t5)
    FE_SQRED(t2, t3, t4, t5, t6)
    FE_SQRED(t3, t4, t5, t6, t7)
    t[0] = t4;
    t[1] = t5;
    t[2] = t6;
    t[3] = t7;
    fe_portable_csub(r->v, t, top);
}
#undef FE_SQRED

static inline void fe_portable_add(fe *r, const fe *a, const fe *b) {
    uint64_t t[4];
    u128 c = 0;
    for (int i = 0; i < 4; i++) {
        c = (u128)a->v[i] + b->v[i] + (uint64_t)(c >> 64);
        t[i] = (uint64_t)c;
    }
    fe_portable_csub(r->v, t, (uint64_t)(c >> 64));
}

static inline void fe_portable_sub(fe *r, const fe *a, const fe *b) {
    uint64_t t[4];
    u128 bw = 0, c = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)a->v[i] - b->v[i] - bw;
        t[i] = (uint64_t)d;
        bw = (d >> 64) & 1;
    }
    uint64_t mask = 0 - (uint64_t)bw; /* add p back on a borrow, without a branch */
    for (int i = 0; i < 4; i++) {
        c = (u128)t[i] + (FE_P[i] & mask) + (uint64_t)(c >> 64);
        r->v[i] = (uint64_t)c;
    }
}

/* The operations the rest of the code calls. On x86-64 the carry chains
 * are written with the add-with-carry intrinsics, every product taken
 * before the chain it feeds so that no multiplication breaks a chain: GCC
 * compiles the portable u128 chains above to flag spills and vector moves
 * (measured: the product 1.5× slower). The portable versions stay the
 * reference; tests/check_mix.c compares the two on random and edge inputs. */
#if defined(__x86_64__) && !defined(EVOTE_FE_PORTABLE)
#include <x86intrin.h>

typedef unsigned long long fe_w;

#define FE_MULLH(lo, hi, a, b)                                                                 \
    do {                                                                                       \
        u128 p_ = (u128)(a) * (b);                                                             \
        (lo) = (fe_w)p_;                                                                       \
        (hi) = (fe_w)(p_ >> 64);                                                               \
    } while (0)

/* t + top·2^256 (< 2p) reduced once, without a branch; the limbs come as
 * values so that they stay in registers */
static inline void fe_csub4(fe *r, fe_w t0, fe_w t1, fe_w t2, fe_w t3, fe_w top) {
    fe_w d0, d1, d2, d3, z;
    unsigned char b;
    b = _subborrow_u64(0, t0, 0xffffffffffffffffULL, &d0);
    b = _subborrow_u64(b, t1, 0x00000000ffffffffULL, &d1);
    b = _subborrow_u64(b, t2, 0, &d2);
    b = _subborrow_u64(b, t3, 0xffffffff00000001ULL, &d3);
    b = _subborrow_u64(b, top, 0, &z);
    (void)z;
    fe_w keep = 0 - (fe_w)b; /* a borrow: t < p, keep t */
    r->v[0] = (d0 & ~keep) | (t0 & keep);
    r->v[1] = (d1 & ~keep) | (t1 & keep);
    r->v[2] = (d2 & ~keep) | (t2 & keep);
    r->v[3] = (d3 & ~keep) | (t3 & keep);
}

/* Montgomery product in x86-64 assembly (mul/adc only, any x86-64): CIOS
 * as fe_portable_mul, four rows over six accumulator registers that rotate
 * so that no limb moves. GCC keeps neither the u128 chains nor the
 * add-with-carry intrinsics in flags across the products (measured: 1.5×
 * slower than this). */
static inline void fe_mul(fe *r, const fe *a, const fe *b) {
    fe_w r0 = 0, r1 = 0, r2 = 0, r3 = 0, r4 = 0, r5 = 0, k;
    __asm__(
        "xorq %[r5], %[r5]\n\t"
        "movq 0(%[b]), %%rcx\n\t"
        "movq 0(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %%rax, %[r0]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 8(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r1]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 16(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r2]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 24(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r3]\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rdx, %[r4]\n\t"
        "adcq $0, %[r5]\n\t"
        "movq %[r0], %%rcx\n\t"
        "shlq $32, %%rcx\n\t"
        "movq %[r0], %[k]\n\t"
        "shrq $32, %[k]\n\t"
        "movabsq $0xffffffff00000001, %%rax\n\t"
        "mulq %[r0]\n\t"
        "addq %%rcx, %[r1]\n\t"
        "adcq %[k], %[r2]\n\t"
        "adcq %%rax, %[r3]\n\t"
        "adcq %%rdx, %[r4]\n\t"
        "adcq $0, %[r5]\n\t"
        "xorq %[r0], %[r0]\n\t"
        "movq 8(%[b]), %%rcx\n\t"
        "movq 0(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %%rax, %[r1]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 8(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r2]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 16(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r3]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 24(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r4]\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rdx, %[r5]\n\t"
        "adcq $0, %[r0]\n\t"
        "movq %[r1], %%rcx\n\t"
        "shlq $32, %%rcx\n\t"
        "movq %[r1], %[k]\n\t"
        "shrq $32, %[k]\n\t"
        "movabsq $0xffffffff00000001, %%rax\n\t"
        "mulq %[r1]\n\t"
        "addq %%rcx, %[r2]\n\t"
        "adcq %[k], %[r3]\n\t"
        "adcq %%rax, %[r4]\n\t"
        "adcq %%rdx, %[r5]\n\t"
        "adcq $0, %[r0]\n\t"
        "xorq %[r1], %[r1]\n\t"
        "movq 16(%[b]), %%rcx\n\t"
        "movq 0(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %%rax, %[r2]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 8(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r3]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 16(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r4]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 24(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r5]\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rdx, %[r0]\n\t"
        "adcq $0, %[r1]\n\t"
        "movq %[r2], %%rcx\n\t"
        "shlq $32, %%rcx\n\t"
        "movq %[r2], %[k]\n\t"
        "shrq $32, %[k]\n\t"
        "movabsq $0xffffffff00000001, %%rax\n\t"
        "mulq %[r2]\n\t"
        "addq %%rcx, %[r3]\n\t"
        "adcq %[k], %[r4]\n\t"
        "adcq %%rax, %[r5]\n\t"
        "adcq %%rdx, %[r0]\n\t"
        "adcq $0, %[r1]\n\t"
        "xorq %[r2], %[r2]\n\t"
        "movq 24(%[b]), %%rcx\n\t"
        "movq 0(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %%rax, %[r3]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 8(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r4]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 16(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r5]\n\t"
        "adcq $0, %%rdx\n\t"
        "movq %%rdx, %[k]\n\t"
        "movq 24(%[a]), %%rax\n\t"
        "mulq %%rcx\n\t"
        "addq %[k], %%rax\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rax, %[r0]\n\t"
        "adcq $0, %%rdx\n\t"
        "addq %%rdx, %[r1]\n\t"
        "adcq $0, %[r2]\n\t"
        "movq %[r3], %%rcx\n\t"
        "shlq $32, %%rcx\n\t"
        "movq %[r3], %[k]\n\t"
        "shrq $32, %[k]\n\t"
        "movabsq $0xffffffff00000001, %%rax\n\t"
        "mulq %[r3]\n\t"
        "addq %%rcx, %[r4]\n\t"
        "adcq %[k], %[r5]\n\t"
        "adcq %%rax, %[r0]\n\t"
        "adcq %%rdx, %[r1]\n\t"
        "adcq $0, %[r2]\n\t"
        : [r0] "+&r"(r0), [r1] "+&r"(r1), [r2] "+&r"(r2), [r3] "+&r"(r3), [r4] "+&r"(r4),
          [r5] "+&r"(r5), [k] "=&r"(k)
        : [a] "r"(a->v), [b] "r"(b->v), "m"(*a), "m"(*b)
        : "rax", "rcx", "rdx", "cc");
    fe_csub4(r, r4, r5, r0, r1, r2);
}

/* Montgomery square: the six cross products, doubled, plus the four
 * squares, then the four reduction rounds of fe_portable_sqr. */
static inline void fe_sqr(fe *r, const fe *a) {
    const fe_w a0 = a->v[0], a1 = a->v[1], a2 = a->v[2], a3 = a->v[3];
    fe_w t0, t1, t2, t3, t4, t5, t6, t7, l02, h02, l03, h03, l12, h12, l13, h13, l23, h23;
    fe_w s0, s1l, s1h, s2l, s2h, s3l, s3h, l, h, m, top = 0;
    unsigned char c, c2;
    FE_MULLH(t1, t2, a0, a1);
    FE_MULLH(l02, h02, a0, a2);
    FE_MULLH(l03, h03, a0, a3);
    FE_MULLH(l12, h12, a1, a2);
    FE_MULLH(l13, h13, a1, a3);
    FE_MULLH(l23, h23, a2, a3);
    c = _addcarry_u64(0, t2, l02, &t2);
    c = _addcarry_u64(c, h02, l03, &t3);
    c = _addcarry_u64(c, h03, l13, &t4);
    c = _addcarry_u64(c, h13, l23, &t5);
    t6 = h23 + c;
    c = _addcarry_u64(0, t3, l12, &t3);
    c = _addcarry_u64(c, t4, h12, &t4);
    c = _addcarry_u64(c, t5, 0, &t5);
    t6 += c;
    t7 = t6 >> 63;
    t6 = t6 << 1 | t5 >> 63;
    t5 = t5 << 1 | t4 >> 63;
    t4 = t4 << 1 | t3 >> 63;
    t3 = t3 << 1 | t2 >> 63;
    t2 = t2 << 1 | t1 >> 63;
    t1 <<= 1;
    FE_MULLH(t0, s0, a0, a0);
    FE_MULLH(s1l, s1h, a1, a1);
    FE_MULLH(s2l, s2h, a2, a2);
    FE_MULLH(s3l, s3h, a3, a3);
    c = _addcarry_u64(0, t1, s0, &t1);
    c = _addcarry_u64(c, t2, s1l, &t2);
    c = _addcarry_u64(c, t3, s1h, &t3);
    c = _addcarry_u64(c, t4, s2l, &t4);
    c = _addcarry_u64(c, t5, s2h, &t5);
    c = _addcarry_u64(c, t6, s3l, &t6);
    t7 += s3h + c;
#define FE_SQRED(x0, x1, x2, x3, x4)                                                          \
    m = x0;                                                                                    \
    FE_MULLH(l, h, m, 0xffffffff00000001ULL);                                                  \
    c = _addcarry_u64(0, x1, m << 32, &x1);                                                    \
    c = _addcarry_u64(c, x2, m >> 32, &x2);                                                    \
    c = _addcarry_u64(c, x3, l, &x3);                                                          \
    c = _addcarry_u64(c, x4, h, &x4);                                                          \
    c2 = _addcarry_u64(0, x4, top, &x4);                                                       \
    top = (fe_w)c + c2;
    FE_SQRED(t0, t1, t2, t3, t4)
    FE_SQRED(t1, t2, t3, t4, t5)
    FE_SQRED(t2, t3, t4, t5, t6)
    FE_SQRED(t3, t4, t5, t6, t7)
#undef FE_SQRED
    fe_csub4(r, t4, t5, t6, t7, top);
}

static inline void fe_add(fe *r, const fe *a, const fe *b) {
    fe_w t0, t1, t2, t3;
    unsigned char c;
    c = _addcarry_u64(0, a->v[0], b->v[0], &t0);
    c = _addcarry_u64(c, a->v[1], b->v[1], &t1);
    c = _addcarry_u64(c, a->v[2], b->v[2], &t2);
    c = _addcarry_u64(c, a->v[3], b->v[3], &t3);
    fe_csub4(r, t0, t1, t2, t3, c);
}

static inline void fe_sub(fe *r, const fe *a, const fe *b) {
    fe_w t0, t1, t2, t3, mask, o0, o1, o2, o3;
    unsigned char c;
    c = _subborrow_u64(0, a->v[0], b->v[0], &t0);
    c = _subborrow_u64(c, a->v[1], b->v[1], &t1);
    c = _subborrow_u64(c, a->v[2], b->v[2], &t2);
    c = _subborrow_u64(c, a->v[3], b->v[3], &t3);
    mask = 0 - (fe_w)c; /* add p back on a borrow, without a branch */
    c = _addcarry_u64(0, t0, mask, &o0);
    c = _addcarry_u64(c, t1, mask & 0x00000000ffffffffULL, &o1);
    c = _addcarry_u64(c, t2, 0, &o2);
    (void)_addcarry_u64(c, t3, mask & 0xffffffff00000001ULL, &o3);
    r->v[0] = o0;
    r->v[1] = o1;
    r->v[2] = o2;
    r->v[3] = o3;
}
#undef FE_MULLH
#else
#define fe_mul fe_portable_mul
#define fe_sqr fe_portable_sqr
#define fe_add fe_portable_add
#define fe_sub fe_portable_sub
#endif

static inline void fe_sqr_n(fe *r, const fe *a, int n) {
    *r = *a;
    for (int i = 0; i < n; i++)
        fe_sqr(r, r);
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
