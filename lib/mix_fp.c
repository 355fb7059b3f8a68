/*
 * libevote — P-256 field arithmetic for deriving the independent
 * generators: one square root (an exponentiation by (p+1)/4 along an
 * addition chain) per candidate decides squareness and yields y. About
 * twice as fast as BN_kronecker + BN_mod_exp, with no allocation. Public
 * data only; not constant time.
 *
 * Field elements are 4×64-bit little-endian limbs in Montgomery form
 * (R = 2^256). The generator test vectors and the Verificatum fixtures
 * check the results (tests/check_mix.c).
 */
#pragma GCC optimize("O3")
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>

#include "mix_fp.h"

/* x³ − 3x + b with x in Montgomery form; *ok when it is a non-zero square,
 * then y = the smaller root (as integers). */
int fe_curve_y(fe *y, const fe *x) {
    static const uint8_t b_be[32] = {0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7,
                                     0xb3, 0xeb, 0xbd, 0x55, 0x76, 0x98, 0x86, 0xbc,
                                     0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53, 0xb0, 0xf6,
                                     0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b};
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

