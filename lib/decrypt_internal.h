/*
 * libevote — internals of lib/decrypt.c, for its tests and the benchmark.
 *
 * The x-only resolution ("xres"): the token's derive yields x(S) only, and
 * a ballot is valid iff exactly one of C2 − S, C2 + S encodes a selection
 * (evote_decrypt_resolve, docs/PROTOCOL.md §7). With the selection points
 * M_0 … M_{k−1} of the contest known in affine form, that is the same as
 * "exactly one j with x(C2 − M_j) = x(S)", which needs no square root and
 * no inversion per ballot (see lib/decrypt.c for the argument). The
 * reference evote_decrypt_resolve still referees every ballot this path
 * calls invalid and a sample of the valid ones.
 */
#ifndef EVOTE_DECRYPT_INTERNAL_H
#define EVOTE_DECRYPT_INTERNAL_H

#include <openssl/bn.h>

#include "evote/decrypt.h"
#include "internal.h"

typedef struct evote_xres evote_xres_t;

/* Table of the noptions selection points (from evote_selection_encode). */
evote_err_t evote_xres_new(evote_xres_t **out, uint32_t noptions);
void evote_xres_free(evote_xres_t *t);

/*
 * Resolve one ballot: C2 = (c2x, c2y) affine, on the curve (the caller has
 * validated it), sx = x(S) from the token (32 bytes big-endian). On
 * EVOTE_OK *selection is the one j with x(C2 − M_j) = sx and *plaintext
 * points at M_j (33 bytes, owned by t); EVOTE_ERR_NOT_A_SELECTION if no j
 * or more than one matches. bn is the calling thread's scratch context.
 * Thread-safe for concurrent calls with different bn.
 */
evote_err_t evote_xres_resolve(const evote_xres_t *t, BN_CTX *bn, const uint8_t c2x[32],
                               const uint8_t c2y[32], const uint8_t sx[32],
                               uint32_t *selection, const uint8_t **plaintext);

#endif /* EVOTE_DECRYPT_INTERNAL_H */
