/*
 * libevote — encrypted ballots: EC-ElGamal of one selection per contest,
 * with a Schnorr proof of knowledge of the randomness.
 *
 *   C1 = r·G, C2 = M + r·PK, M = encode(selection)
 *   proof (T, z): T = k·G, c = H("libevote/v1/ballot-pok", …), z = k + c·r
 *
 * Byte layout, encodings and hash inputs: docs/PROTOCOL.md, "Ballot".
 * All functions are thread-safe; randomness comes from OpenSSL's DRBG and
 * is wiped before return.
 */
#ifndef EVOTE_BALLOT_H
#define EVOTE_BALLOT_H

#include "common.h"
#include "group.h"
#include "manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EVOTE_BALLOT_MAX 256 /* largest valid ballot encoding in bytes */

typedef struct {
    uint8_t manifest_hash[EVOTE_HASH_LEN];
    char contest_id[EVOTE_ID_MAX + 1];
    uint8_t c1[EVOTE_POINT_LEN];
    uint8_t c2[EVOTE_POINT_LEN];
    uint8_t proof_t[EVOTE_POINT_LEN];
    uint8_t proof_z[EVOTE_SCALAR_LEN];
} evote_ballot_t;

/* One ciphertext (C1, C2), compressed. */
typedef struct {
    uint8_t c1[EVOTE_POINT_LEN];
    uint8_t c2[EVOTE_POINT_LEN];
} evote_ct_t;

/*
 * Encrypt selection (0-based option index in notification order) for
 * contest_id under the election public key pk, with a proof bound to the
 * manifest hash, contest id, PK, C1 and C2. *out is zeroed on failure.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_ballot_encrypt(evote_ballot_t *out, const evote_manifest_t *m,
                     const char *contest_id, const uint8_t pk[EVOTE_POINT_LEN],
                     uint32_t selection);

/* Serialise; *len receives the size (at most EVOTE_BALLOT_MAX). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_ballot_encode(const evote_ballot_t *b, uint8_t *out, size_t cap, size_t *len);

/*
 * Parse ballot bytes: exact length, magic/version, contest id syntax, and
 * every point validated. Does not check the proof.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_ballot_decode(evote_ballot_t *out, const uint8_t *in, size_t len);

/*
 * Ballot files hold exactly the bytes of evote_ballot_encode. Write is
 * atomic (temporary file + rename, replaces an existing file); read refuses
 * files over EVOTE_BALLOT_MAX bytes and decodes (evote_ballot_decode).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_ballot_write(const evote_ballot_t *b, const char *path);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_ballot_read(evote_ballot_t *out, const char *path);

/*
 * Check the proof of knowledge against the expected manifest hash and
 * public key. EVOTE_ERR_MANIFEST_MISMATCH, EVOTE_ERR_PROOF_INVALID.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_ballot_verify(const evote_ballot_t *b, const uint8_t manifest_hash[EVOTE_HASH_LEN],
                    const uint8_t pk[EVOTE_POINT_LEN]);

/*
 * Everything a receiver checks about a decoded ballot against the loaded
 * manifest: the manifest hash (EVOTE_ERR_MANIFEST_MISMATCH), that the
 * contest exists (EVOTE_ERR_CONTEST_UNKNOWN) and the proof
 * (EVOTE_ERR_PROOF_INVALID).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_ballot_check(const evote_ballot_t *b, const evote_manifest_t *m,
                   const uint8_t pk[EVOTE_POINT_LEN]);

/* Selection ↔ point (injective, never the identity; PROTOCOL "Encoding"). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_selection_encode(uint32_t selection, uint8_t point[EVOTE_POINT_LEN]);
/* Decodes only what evote_selection_encode produces for a selection below
 * noptions; EVOTE_ERR_NOT_A_SELECTION otherwise. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_selection_decode(const uint8_t point[EVOTE_POINT_LEN], uint32_t noptions,
                       uint32_t *selection);

/*
 * Resolve a decryption: given C2 and the two lifts ±S of the derive
 * x(key·C1), exactly one of C2 − S, C2 + S must decode to a selection below
 * noptions. Writes that plaintext point and selection; if neither or both
 * decode, returns EVOTE_ERR_NOT_A_SELECTION (the ballot is invalid).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_decrypt_resolve(const uint8_t c2[EVOTE_POINT_LEN],
                      const uint8_t s_even[EVOTE_POINT_LEN],
                      const uint8_t s_odd[EVOTE_POINT_LEN], uint32_t noptions,
                      uint8_t plaintext[EVOTE_POINT_LEN], uint32_t *selection);

/*
 * The same resolution from what a ciphertext list and a PKCS#11 derive give
 * directly: C2 as 65-byte uncompressed SEC1 (0x04 ‖ x ‖ y; checked to be on
 * the curve, EVOTE_ERR_POINT_*) and x = x(key·C1), 32 bytes. Saves the
 * square root that decompressing C2 costs. Same results and errors as
 * evote_decrypt_resolve; thread-safe.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_decrypt_resolve_x(const uint8_t c2_uncompressed[65], const uint8_t x[32],
                        uint32_t noptions, uint8_t plaintext[EVOTE_POINT_LEN],
                        uint32_t *selection);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_BALLOT_H */
