/*
 * Fuzz the Merkle log's decoders and verifiers: the frontier decoder (round
 * trip through encode; root computable) and the inclusion / consistency
 * verifiers fed with sizes, indices and proof hashes from the input. A
 * verifier must never accept a proof that does not match a tree we build
 * ourselves from the same leaves.
 *
 * Input: byte 0 selects the mode, the rest is the payload.
 */
#include <string.h>

#include "fuzz_common.h"

static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void frontier(const uint8_t *d, size_t n) {
    evote_merkle_frontier_t f;
    if (evote_merkle_frontier_decode(&f, d, n) != EVOTE_OK) {
        FUZZ_CHECK(f.size == 0);
        return;
    }
    FUZZ_CHECK(f.size <= EVOTE_MERKLE_SIZE_MAX);
    uint8_t enc[EVOTE_MERKLE_FRONTIER_ENC_MAX];
    size_t len = 0;
    FUZZ_CHECK(evote_merkle_frontier_encode(&f, enc, sizeof(enc), &len) == EVOTE_OK);
    FUZZ_CHECK(len == n && memcmp(enc, d, n) == 0);
    uint8_t root[EVOTE_HASH_LEN];
    FUZZ_CHECK(evote_merkle_frontier_root(&f, root) == EVOTE_OK);
    uint8_t leaf[EVOTE_HASH_LEN] = {0};
    evote_merkle_frontier_t g = f;
    if (evote_merkle_frontier_append(&g, leaf) == EVOTE_OK)
        FUZZ_CHECK(g.size == f.size + 1);
    else
        FUZZ_CHECK(memcmp(&g, &f, sizeof(f)) == 0);
}

/* Header: u64 a, u64 b, then 32-byte hashes: leaf/root(s), proof. */
static void proofs(const uint8_t *d, size_t n, int consistency) {
    if (n < 16 + 64)
        return;
    uint64_t a = get64(d), b = get64(d + 8);
    const uint8_t *h1 = d + 16, *h2 = d + 48;
    size_t np = (n - 80) / 32;
    if (np > 2 * EVOTE_MERKLE_PROOF_MAX)
        np = 2 * EVOTE_MERKLE_PROOF_MAX;
    /* Copy to an aligned array of exactly np hashes: ASan sees overreads. */
    uint8_t(*proof)[EVOTE_HASH_LEN] = malloc(np ? np * EVOTE_HASH_LEN : 1);
    FUZZ_CHECK(proof != NULL);
    if (np)
        memcpy(proof, d + 80, np * EVOTE_HASH_LEN);
    if (!consistency)
        FUZZ_IGNORE(evote_merkle_verify_inclusion(h1, a, b, (const uint8_t(*)[32])proof, np, h2));
    else
        FUZZ_IGNORE(evote_merkle_verify_consistency(a, b, h1, h2, (const uint8_t(*)[32])proof, np));
    free(proof);
}

/* Build a small tree from the input and check honest proofs verify and
 * a bit-flipped root does not. */
static void honest(const uint8_t *d, size_t n) {
    if (n < 2)
        return;
    uint64_t size = 1 + d[0] % 40, idx = d[1] % size, first = n > 2 ? d[2] % (size + 1) : 0;
    evote_merkle_tree_t *t = NULL;
    FUZZ_CHECK(evote_merkle_tree_new(&t) == EVOTE_OK);
    for (uint64_t i = 0; i < size; i++) {
        uint8_t h[EVOTE_HASH_LEN];
        FUZZ_CHECK(evote_merkle_leaf_hash(d, n < i ? n : i, h) == EVOTE_OK);
        FUZZ_CHECK(evote_merkle_tree_append(t, h) == EVOTE_OK);
    }
    uint8_t root[EVOTE_HASH_LEN], root1[EVOTE_HASH_LEN], proof[EVOTE_MERKLE_PROOF_MAX][32];
    size_t plen;
    FUZZ_CHECK(evote_merkle_tree_root(t, size, root) == EVOTE_OK);
    FUZZ_CHECK(evote_merkle_tree_inclusion_proof(t, idx, size, proof, EVOTE_MERKLE_PROOF_MAX,
                                                 &plen) == EVOTE_OK);
    const uint8_t *leaf = evote_merkle_tree_leaf(t, idx);
    FUZZ_CHECK(evote_merkle_verify_inclusion(leaf, idx, size, (const uint8_t(*)[32])proof,
                                             plen, root) == EVOTE_OK);
    root[d[1] % 32] ^= 1;
    FUZZ_CHECK(evote_merkle_verify_inclusion(leaf, idx, size, (const uint8_t(*)[32])proof,
                                             plen, root) != EVOTE_OK);
    root[d[1] % 32] ^= 1;
    FUZZ_CHECK(evote_merkle_tree_root(t, first, root1) == EVOTE_OK);
    FUZZ_CHECK(evote_merkle_tree_consistency_proof(t, first, size, proof,
                                                   EVOTE_MERKLE_PROOF_MAX, &plen) == EVOTE_OK);
    FUZZ_CHECK(evote_merkle_verify_consistency(first, size, root1, root,
                                               (const uint8_t(*)[32])proof, plen) == EVOTE_OK);
    /* The frontier built from the same leaves agrees on the root. */
    evote_merkle_frontier_t f;
    evote_merkle_frontier_init(&f);
    for (uint64_t i = 0; i < size; i++)
        FUZZ_CHECK(evote_merkle_frontier_append(&f, evote_merkle_tree_leaf(t, i)) == EVOTE_OK);
    uint8_t froot[EVOTE_HASH_LEN];
    FUZZ_CHECK(evote_merkle_frontier_root(&f, froot) == EVOTE_OK);
    FUZZ_CHECK(memcmp(froot, root, 32) == 0);
    evote_merkle_tree_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0)
        return 0;
    switch (data[0] % 4) {
    case 0:
        frontier(data + 1, size - 1);
        break;
    case 1:
        proofs(data + 1, size - 1, 0);
        break;
    case 2:
        proofs(data + 1, size - 1, 1);
        break;
    default:
        honest(data + 1, size - 1);
        break;
    }
    return 0;
}
