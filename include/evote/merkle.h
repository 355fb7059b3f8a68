/*
 * libevote — the ballot box's append-only Merkle log (RFC 9162 hashing).
 *
 *   leaf hash  = SHA-256(0x00 ‖ data)
 *   node hash  = SHA-256(0x01 ‖ left ‖ right)
 *   empty tree = SHA-256("")
 *
 * Two representations:
 *  - the frontier (evote_merkle_frontier_t): the tree size and the roots of
 *    its maximal complete subtrees, left to right — one hash per set bit of
 *    the size. Enough to append in O(log n) and to compute the root. The
 *    store keeps it next to each box and updates it in the same transaction
 *    as the ballot it appends. Plain data: copy it, put it on the stack.
 *  - the tree (evote_merkle_tree_t): every leaf hash plus the roots of all
 *    complete aligned subtrees, built from the leaf hashes read back from the
 *    store. It answers inclusion and consistency proofs for any size up to
 *    its own in O(log² n) hashes.
 *
 * Proofs and their verification follow RFC 9162 §2.1.3 and §2.1.4 to the
 * letter; docs/PROTOCOL.md §12 adds the cases the RFC leaves out (the empty
 * tree, equal sizes). Byte layouts: docs/PROTOCOL.md §12.
 *
 * All functions are thread-safe as long as each object is used by one
 * thread at a time; the verifiers only read their arguments.
 */
#ifndef EVOTE_MERKLE_H
#define EVOTE_MERKLE_H

#include "common.h"
#include "group.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest tree size libevote handles (2^62 leaves). */
#define EVOTE_MERKLE_SIZE_MAX (UINT64_C(1) << 62)
/* Hashes a frontier can hold: one per bit of a size below 2^63. */
#define EVOTE_MERKLE_FRONTIER_HASHES 63
/* Encoded frontier: u8 version ‖ u64be size ‖ popcount(size) × 32 bytes. */
#define EVOTE_MERKLE_FRONTIER_VERSION 1
#define EVOTE_MERKLE_FRONTIER_ENC_MAX (1 + 8 + 32 * EVOTE_MERKLE_FRONTIER_HASHES)
/* Longest inclusion or consistency proof for a size up to SIZE_MAX. */
#define EVOTE_MERKLE_PROOF_MAX 64

typedef struct {
    uint64_t size;
    /* hash[i], i < popcount(size): root of the i-th maximal complete subtree
     * from the left (largest first). Entries beyond that are zero. */
    uint8_t hash[EVOTE_MERKLE_FRONTIER_HASHES][EVOTE_HASH_LEN];
} evote_merkle_frontier_t;

/* Leaf hash SHA-256(0x00 ‖ data); data may be NULL when len is 0. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[EVOTE_HASH_LEN]);

/* Interior node hash SHA-256(0x01 ‖ left ‖ right). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_node_hash(const uint8_t left[EVOTE_HASH_LEN],
                       const uint8_t right[EVOTE_HASH_LEN],
                       uint8_t out[EVOTE_HASH_LEN]);

/* Root of the empty tree, SHA-256(""). Never fails. */
EVOTE_API void evote_merkle_empty_root(uint8_t out[EVOTE_HASH_LEN]);

/* ---- frontier ----------------------------------------------------------- */

/* The empty tree. */
EVOTE_API void evote_merkle_frontier_init(evote_merkle_frontier_t *f);

/*
 * Append one leaf hash: at most log2(size) node hashes. On failure (size
 * would exceed EVOTE_MERKLE_SIZE_MAX: EVOTE_ERR_TOO_LARGE) f is unchanged.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_frontier_append(evote_merkle_frontier_t *f,
                             const uint8_t leaf_hash[EVOTE_HASH_LEN]);

/* Root of the tree the frontier describes (SHA-256("") when empty). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_frontier_root(const evote_merkle_frontier_t *f,
                           uint8_t out[EVOTE_HASH_LEN]);

/*
 * Encode as 0x01 ‖ u64be(size) ‖ hash[0] ‖ … ‖ hash[popcount(size)−1].
 * *len receives the length; cap must be at least that (EVOTE_ERR_ARG).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_frontier_encode(const evote_merkle_frontier_t *f, uint8_t *out,
                             size_t cap, size_t *len);

/*
 * Decode and validate (version, size ≤ EVOTE_MERKLE_SIZE_MAX, exact length).
 * EVOTE_ERR_VERSION, EVOTE_ERR_FORMAT or EVOTE_ERR_TRUNCATED; *f is the
 * empty frontier on failure.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_frontier_decode(evote_merkle_frontier_t *f, const uint8_t *in,
                             size_t len);

/* ---- tree: proofs --------------------------------------------------------- */

typedef struct evote_merkle_tree evote_merkle_tree_t;

EVOTE_API EVOTE_WARN_UNUSED evote_err_t evote_merkle_tree_new(evote_merkle_tree_t **out);
EVOTE_API void evote_merkle_tree_free(evote_merkle_tree_t *t);

/* Append a leaf hash (amortised O(1) hashes, memory ~64 bytes per leaf). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_tree_append(evote_merkle_tree_t *t,
                         const uint8_t leaf_hash[EVOTE_HASH_LEN]);

EVOTE_API uint64_t evote_merkle_tree_size(const evote_merkle_tree_t *t);

/* Leaf hash at index (borrowed; NULL if index >= size). */
EVOTE_API const uint8_t *evote_merkle_tree_leaf(const evote_merkle_tree_t *t,
                                               uint64_t index);

/* MTH of the first size leaves (size ≤ tree size; EVOTE_ERR_ARG otherwise). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_tree_root(const evote_merkle_tree_t *t, uint64_t size,
                       uint8_t out[EVOTE_HASH_LEN]);

/*
 * PATH(index, D[0:size]) of RFC 9162 §2.1.3.1 into proof (room for cap
 * hashes; EVOTE_MERKLE_PROOF_MAX is always enough). Requires
 * index < size ≤ tree size (EVOTE_ERR_ARG).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_tree_inclusion_proof(const evote_merkle_tree_t *t, uint64_t index,
                                  uint64_t size, uint8_t (*proof)[EVOTE_HASH_LEN],
                                  size_t cap, size_t *proof_len);

/*
 * PROOF(first, D[0:second]) of RFC 9162 §2.1.4.1. Requires
 * first ≤ second ≤ tree size; the proof is empty when first is 0 or equal
 * to second (docs/PROTOCOL.md §12.2).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_tree_consistency_proof(const evote_merkle_tree_t *t, uint64_t first,
                                    uint64_t second,
                                    uint8_t (*proof)[EVOTE_HASH_LEN], size_t cap,
                                    size_t *proof_len);

/* ---- verification --------------------------------------------------------- */

/*
 * RFC 9162 §2.1.3.2: does proof show that leaf_hash is leaf index of the
 * tree of size size whose root is root? EVOTE_OK or EVOTE_ERR_PROOF_MERKLE
 * (detail says which step failed).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_verify_inclusion(const uint8_t leaf_hash[EVOTE_HASH_LEN],
                              uint64_t index, uint64_t size,
                              const uint8_t (*proof)[EVOTE_HASH_LEN],
                              size_t proof_len, const uint8_t root[EVOTE_HASH_LEN]);

/*
 * RFC 9162 §2.1.4.2 for 0 < first < second. Extended (PROTOCOL §12.2):
 * first == 0 requires first_root == SHA-256("") and an empty proof;
 * first == second requires equal roots and an empty proof; first > second
 * fails. EVOTE_OK or EVOTE_ERR_PROOF_MERKLE.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_merkle_verify_consistency(uint64_t first, uint64_t second,
                                const uint8_t first_root[EVOTE_HASH_LEN],
                                const uint8_t second_root[EVOTE_HASH_LEN],
                                const uint8_t (*proof)[EVOTE_HASH_LEN],
                                size_t proof_len);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_MERKLE_H */
