/*
 * libevote — ballot internals shared with the tests (not installed, not
 * exported). The deterministic encryption exists only so that the
 * known-answer vectors in tests/vectors/ can be reproduced; production code
 * calls evote_ballot_encrypt(), which draws r and k from the DRBG.
 */
#ifndef EVOTE_BALLOT_INTERNAL_H
#define EVOTE_BALLOT_INTERNAL_H

#include <stdbool.h>

#include "evote/ballot.h"
#include "internal.h"
#include "mix_internal.h"

/* Domain-separation tag of the ballot proof challenge (PROTOCOL §6). */
#define EVOTE_TAG_BALLOT_POK "libevote/v1/ballot-pok"
/* Group identifier hashed into every challenge. */
#define EVOTE_GROUP_ID "P-256"

/*
 * Encrypt with caller-chosen randomness r and proof nonce k (both 32-byte
 * big-endian scalars in [1, n-1]). Same checks as evote_ballot_encrypt
 * except that the contest is named by id only (syntax checked) and the
 * selection is not range-checked against a manifest. FOR TESTS ONLY:
 * reusing r or k across ballots breaks secrecy.
 */
evote_err_t evote_ballot_encrypt_fixed(evote_ballot_t *out,
                                       const uint8_t manifest_hash[EVOTE_HASH_LEN],
                                       const char *contest_id,
                                       const uint8_t pk[EVOTE_POINT_LEN],
                                       uint32_t selection,
                                       const uint8_t r[EVOTE_SCALAR_LEN],
                                       const uint8_t k[EVOTE_SCALAR_LEN]);

/* The proof challenge c (32 bytes, already reduced mod n) of a ballot. */
evote_err_t evote_ballot_challenge(const evote_ballot_t *b,
                                   const uint8_t pk[EVOTE_POINT_LEN],
                                   uint8_t c[EVOTE_SCALAR_LEN]);

/* Selection encoding without the cache (the cache is checked against it). */
evote_err_t evote_selection_encode_uncached(uint32_t selection,
                                            uint8_t point[EVOTE_POINT_LEN]);

/*
 * Reference implementation of evote_decrypt_resolve on EC_POINTs (same
 * contract); the public function uses a faster affine computation and
 * falls back to this one when C2 = ±S. Tests compare the two.
 */
evote_err_t evote_decrypt_resolve_generic(const uint8_t c2[EVOTE_POINT_LEN],
                                          const uint8_t s_even[EVOTE_POINT_LEN],
                                          const uint8_t s_odd[EVOTE_POINT_LEN],
                                          uint32_t noptions, uint8_t plaintext[EVOTE_POINT_LEN],
                                          uint32_t *selection);

/*
 * The statement a ballot's proof of knowledge makes, decoded once for
 * (batch) verification: it holds iff z·G = T + c·C1. C1 and T are affine
 * points already validated on P-256 (which has cofactor 1, so every such
 * point is in the group of prime order n); c is the challenge (reduced mod
 * n) and z the response, in [1, n-1], both 32-byte big-endian.
 */
typedef struct {
    mix_pt c1, t;
    uint8_t c[EVOTE_SCALAR_LEN];
    uint8_t z[EVOTE_SCALAR_LEN];
} evote_ballot_pok_t;

/*
 * evote_ballot_decode (same checks, same errors) that also fills *pok with
 * the proof statement under the election key pk (the challenge is computed
 * here; pk itself is not validated, the caller has done that once). pok
 * may be NULL: then this is evote_ballot_decode. Both outputs are zeroed
 * on failure.
 */
evote_err_t evote_ballot_decode_pok(evote_ballot_t *out, evote_ballot_pok_t *pok,
                                    const uint8_t *in, size_t len,
                                    const uint8_t pk[EVOTE_POINT_LEN]);

/*
 * ok[i] = whether statement i holds, for n statements (lib/ballot_pok.c).
 * One statement is checked alone; several are checked together first with
 * a random linear combination, Σ w_i·(z_i·G − c_i·C1_i − T_i) = O with
 * independent uniform 128-bit weights w_i from the OS (getrandom), in one
 * multi-scalar multiplication; a batch that fails is checked statement by
 * statement, so ok[] names exactly the false ones. An invalid statement
 * passes a batch with probability at most 2^-128 (PROTOCOL §9.2).
 * Returns EVOTE_OK when every ok[i] was decided (else ok[] is all false).
 * Thread-safe.
 */
evote_err_t evote_ballot_pok_verify(const evote_ballot_pok_t *pok, size_t n, bool *ok);

/* Above this many statements evote_ballot_pok_verify works in chunks of it
 * (memory bound; a failed chunk is re-checked one by one). */
#define EVOTE_POK_BATCH_MAX 64

#endif
