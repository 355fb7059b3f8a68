/* libevote — P-256 field arithmetic and Pippenger MSM for public data (internal). */
#ifndef EVOTE_MIX_FP_H
#define EVOTE_MIX_FP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t v[4];
} fe;

void fe_mul(fe *r, const fe *a, const fe *b);
void fe_add(fe *r, const fe *a, const fe *b);
void fe_sub(fe *r, const fe *a, const fe *b);
void fe_inv(fe *r, const fe *a);
void fe_from_bytes(fe *r, const uint8_t b[32]);
void fe_to_bytes(uint8_t b[32], const fe *a);
/* For x (Montgomery form): 1 and y = the smaller square root of x³−3x+b
 * if that is a non-zero square, else 0. */
int fe_curve_y(fe *y, const fe *x);

/*
 * Σ k_i·P_i over affine points P_i = (px_i, py_i) (32-byte big-endian
 * coordinates, consecutive entries pstride bytes apart) and 32-byte
 * big-endian scalars (kstride apart). Points must be on the curve.
 * Result affine, or *is_inf. Returns 0 on allocation failure.
 * Variable time: public inputs only.
 */
int mix_fp_msm(uint8_t out_x[32], uint8_t out_y[32], int *is_inf, const uint8_t (*px)[32],
               const uint8_t (*py)[32], size_t pstride, const uint8_t (*k)[32],
               size_t kstride, size_t n);

#endif
