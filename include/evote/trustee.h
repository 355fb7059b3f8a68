/*
 * libevote — trustees (n-of-n): key commitments, the combined election key,
 * partial decryptions with exact ± resolution, and combining them.
 *
 * Each trustee i holds x_i on their own token; the election key is
 * PK = Σ PK_i. A trustee first publishes commit_i = H("libevote/v1/
 * trustee-commit"; manifest hash, trustee id, PK_i), then PK_i once every
 * commitment is in (no trustee can choose a key after seeing the others').
 *
 * A token's CKM_ECDH1_DERIVE yields only x(x_i·P). For each ciphertext the
 * trustee asks twice, on C1 and on C1 + G; of the two lifts ±S of the first
 * answer, the true part S_i = x_i·C1 is the one with x(S_i + PK_i) equal to
 * the second answer. Exactly one lift can match; anything else is refused.
 * Byte formats: docs/PROTOCOL.md §15. All functions are thread-safe.
 */
#ifndef EVOTE_TRUSTEE_H
#define EVOTE_TRUSTEE_H

#include "ballot.h"
#include "common.h"
#include "group.h"
#include "hsm.h"
#include "manifest.h"
#include "tally.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The one thing a trustee's token does for us: x_out = x(key·P) for a
 * validated point P. Must be callable from several threads at once
 * (evote_hsm_derive_x is). ctx is the caller's (e.g. an evote_hsm_t).
 */
typedef evote_err_t (*evote_derive_x_fn)(void *ctx,
                                         const uint8_t point[EVOTE_POINT_LEN],
                                         uint8_t x_out[32]);

/* ---- commitments and keys --------------------------------------------- */

/* commit = H("libevote/v1/trustee-commit"; manifest_hash, trustee_id, pk). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_trustee_commitment(uint8_t out[EVOTE_HASH_LEN],
                         const uint8_t manifest_hash[EVOTE_HASH_LEN],
                         const char *trustee_id, const uint8_t pk[EVOTE_POINT_LEN]);

/* One trustee's published share (from the commitment and key files). */
typedef struct {
    char id[EVOTE_ID_MAX + 1];
    uint8_t commitment[EVOTE_HASH_LEN];
    uint8_t pk[EVOTE_POINT_LEN];
} evote_trustee_share_t;

/*
 * Commitment file (JSON, "libevote-trustee-commitment/1") and key share file
 * (JSON, "libevote-trustee-key/1"); writes are atomic and refuse to
 * overwrite. Readers check format, manifest hash (EVOTE_ERR_MANIFEST_MISMATCH)
 * and the point.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_trustee_commitment_write(const char *path,
                               const uint8_t manifest_hash[EVOTE_HASH_LEN],
                               const char *trustee_id,
                               const uint8_t commitment[EVOTE_HASH_LEN]);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_trustee_commitment_read(const char *path,
                              const uint8_t manifest_hash[EVOTE_HASH_LEN],
                              char trustee_id[EVOTE_ID_MAX + 1],
                              uint8_t commitment[EVOTE_HASH_LEN]);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_trustee_key_write(const char *path, const uint8_t manifest_hash[EVOTE_HASH_LEN],
                        const char *trustee_id, const uint8_t pk[EVOTE_POINT_LEN]);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_trustee_key_read(const char *path, const uint8_t manifest_hash[EVOTE_HASH_LEN],
                       char trustee_id[EVOTE_ID_MAX + 1],
                       uint8_t pk[EVOTE_POINT_LEN]);

/*
 * Check every share against its commitment (EVOTE_ERR_COMMITMENT naming the
 * trustee), refuse duplicate ids or keys (EVOTE_ERR_ARG) and, if the
 * manifest lists trustees, anything but exactly that set
 * (EVOTE_ERR_MANIFEST_MISMATCH); then pk_out = Σ PK_i (never infinity).
 * m may be NULL (then only manifest_hash binds the shares).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_trustee_combine_keys(uint8_t pk_out[EVOTE_POINT_LEN],
                           const evote_manifest_t *m,
                           const uint8_t manifest_hash[EVOTE_HASH_LEN],
                           const evote_trustee_share_t *shares, size_t n);

/* Key-ceremony record (JSON "libevote-key-ceremony/1"), atomic, exclusive. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_trustee_record_write(const char *path,
                           const uint8_t manifest_hash[EVOTE_HASH_LEN],
                           const evote_trustee_share_t *shares, size_t n,
                           const uint8_t pk[EVOTE_POINT_LEN]);
/*
 * Read a key-ceremony record back, re-checking every commitment and the
 * sum. *shares is allocated (caller frees with free()).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_trustee_record_read(const char *path,
                          const uint8_t manifest_hash[EVOTE_HASH_LEN],
                          evote_trustee_share_t **shares, size_t *n,
                          uint8_t pk[EVOTE_POINT_LEN]);

/* ---- partial decryption ------------------------------------------------ */

/*
 * One trustee's decryption share of a whole ciphertext list: D_j = x_i·C1_j
 * for every j, bound to the manifest, contest, SHA-256 of the list file and
 * the trustee's PK_i.
 */
typedef struct evote_partial evote_partial_t;

/* Options of a partial decryption run. */
typedef struct {
    unsigned threads;        /* parallel derive calls; 0 = online CPUs */
    size_t checkpoint_every; /* K: checkpoint after every K ciphertexts; 0 = 4096 */
    const char *checkpoint_path; /* NULL = no checkpointing */
    /* Test hook: stop with EVOTE_ERR_STATE once this many are checkpointed
     * (0 = never). Lets tests simulate a lost session deterministically. */
    size_t stop_after;
} evote_partial_opts_t;

/*
 * Compute the trustee's parts for cts[0..n): two derives per ciphertext
 * (C1 and C1 + G) and exact ± resolution against pk_i. C1 is validated
 * before the token sees it. If opts->checkpoint_path names a checkpoint
 * bound to the same list hash, trustee, PK_i and n, work resumes after its
 * last completed ciphertext (EVOTE_ERR_CHECKPOINT if it is bound to anything
 * else or damaged). The checkpoint is removed once *out is complete.
 * Errors from derive are returned as is (PIN, token removed, ...); a token
 * whose two answers fit neither lift gives EVOTE_ERR_CRYPTO with the index.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_partial_compute(evote_partial_t **out, evote_derive_x_fn derive, void *ctx,
                      const uint8_t manifest_hash[EVOTE_HASH_LEN],
                      const char *contest_id, const char *trustee_id,
                      const uint8_t pk_i[EVOTE_POINT_LEN],
                      const uint8_t list_hash[EVOTE_HASH_LEN],
                      const evote_ct_t *cts, size_t n,
                      const evote_partial_opts_t *opts);

/*
 * The same on a trustee's token opened with evote_hsm_open (key selected):
 * C1 and C1 + G go to the token as already validated uncompressed points
 * (no second decoding per derive), one derive per session at a time.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_partial_compute_hsm(evote_partial_t **out, evote_hsm_t *hsm,
                          const uint8_t manifest_hash[EVOTE_HASH_LEN],
                          const char *contest_id, const char *trustee_id,
                          const uint8_t pk_i[EVOTE_POINT_LEN],
                          const uint8_t list_hash[EVOTE_HASH_LEN],
                          const evote_ct_t *cts, size_t n,
                          const evote_partial_opts_t *opts);

EVOTE_API void evote_partial_free(evote_partial_t *p);

/* Partial-decryption file (PROTOCOL §15): write atomically / parse fully. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_partial_write(const evote_partial_t *p, const char *path);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_partial_read(evote_partial_t **out, const char *path);

/* Accessors (borrowed pointers, valid while p lives). */
EVOTE_API const char *evote_partial_trustee(const evote_partial_t *p);
EVOTE_API const char *evote_partial_contest(const evote_partial_t *p);
EVOTE_API const uint8_t *evote_partial_pk(const evote_partial_t *p);
EVOTE_API const uint8_t *evote_partial_list_hash(const evote_partial_t *p);
EVOTE_API const uint8_t *evote_partial_manifest_hash(const evote_partial_t *p);
EVOTE_API size_t evote_partial_count(const evote_partial_t *p);
/* D_j, 33 bytes, j < count. */
EVOTE_API const uint8_t *evote_partial_part(const evote_partial_t *p, size_t j);

/* ---- the decryption (plaintext list) ----------------------------------- */

#ifndef EVOTE_SELECTION_INVALID
#define EVOTE_SELECTION_INVALID UINT32_MAX /* as in decrypt.h */
#endif

/*
 * The published decryption of one contest's list: plaintext points
 * M_j = C2_j − Σ_i D_ij and their selections (EVOTE_SELECTION_INVALID where
 * M_j decodes to no option).
 */
typedef struct {
    uint8_t manifest_hash[EVOTE_HASH_LEN];
    char contest_id[EVOTE_ID_MAX + 1];
    uint8_t list_hash[EVOTE_HASH_LEN];
    size_t n;
    uint8_t (*plaintext)[EVOTE_POINT_LEN];
    uint32_t *selection;
} evote_decryption_t;

/*
 * Combine the parts of every trustee named in the key-ceremony shares
 * (exactly those, each once; their PK_i must match the shares) for the list
 * cts[0..n) whose file hash is list_hash. noptions is the contest's option
 * count. Errors: EVOTE_ERR_KEY_MISMATCH (a part from an unknown trustee or
 * with another PK_i), EVOTE_ERR_ARG (duplicate or missing trustee),
 * EVOTE_ERR_MANIFEST_MISMATCH, EVOTE_ERR_DIGEST_MISMATCH (parts of another
 * list, contest or length). out is zeroed on failure; free with
 * evote_decryption_clear.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_decrypt_combine(evote_decryption_t *out,
                      const evote_trustee_share_t *shares, size_t nshares,
                      evote_partial_t *const *parts, size_t nparts,
                      const uint8_t manifest_hash[EVOTE_HASH_LEN],
                      const char *contest_id, uint32_t noptions,
                      const uint8_t list_hash[EVOTE_HASH_LEN],
                      const evote_ct_t *cts, size_t n);

EVOTE_API void evote_decryption_clear(evote_decryption_t *d);

/*
 * The decryption as the ballot module's plaintext list (PROTOCOL §8.2,
 * include/evote/tally.h) for `evote tally`: entry j is M_j, or empty where
 * M_j is the point at infinity. Atomic write. The reader takes the
 * selections from the manifest's option count of the list's contest
 * (EVOTE_ERR_MANIFEST_MISMATCH, EVOTE_ERR_CONTEST_UNKNOWN).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_decryption_write(const evote_decryption_t *d, const char *path);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_decryption_read(evote_decryption_t *out, const char *path,
                      const evote_manifest_t *m);

/* ---- only the whole, verified mix output is decrypted ------------------- */

/*
 * Check that list[0..n) is exactly the final output of the mix chain in
 * chain_dir for contest_id of manifest m under the election key pk: the
 * chain's session id must be the one of (election, contest) (PROTOCOL §14),
 * the chain must verify (evote_mix_verify_dir), its input must equal
 * box_in[0..box_n) when given (the ciphertexts of the imported, closed
 * box), and list must equal its final output element by element, in order.
 * Anything else is EVOTE_ERR_NOT_MIX_OUTPUT with the reason in the detail
 * (a subset, a re-ordered or edited list, another contest's chain, a chain
 * that does not verify, or a build without the mix-net module).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_decrypt_check_mix_output(const evote_manifest_t *m, const char *contest_id,
                               const uint8_t pk[EVOTE_POINT_LEN], const char *chain_dir,
                               const evote_ct_t *box_in, size_t box_n,
                               const evote_ct_t *list, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_TRUSTEE_H */
