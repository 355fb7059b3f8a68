/* libevote — P-256 field arithmetic for public data (internal, lib/mix_fp.c). */
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
void fe_from_bytes(fe *r, const uint8_t b[32]);
void fe_to_bytes(uint8_t b[32], const fe *a);
/* For x (Montgomery form): 1 and y = the smaller square root of x³−3x+b
 * if that is a non-zero square, else 0. */
int fe_curve_y(fe *y, const fe *x);

#endif
