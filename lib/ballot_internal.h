/*
 * libevote — ballot internals shared with the tests (not installed, not
 * exported). The deterministic encryption exists only so that the
 * known-answer vectors in tests/vectors/ can be reproduced; production code
 * calls evote_ballot_encrypt(), which draws r and k from the DRBG.
 */
#ifndef EVOTE_BALLOT_INTERNAL_H
#define EVOTE_BALLOT_INTERNAL_H

#include "evote/ballot.h"
#include "internal.h"

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

#endif
