/*
 * libevote — RFC 9162 Merkle log: frontier, proof tree, verifiers.
 * See include/evote/merkle.h and docs/PROTOCOL.md §12.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "evote/merkle.h"
#include "internal.h"

/* ---- hashing -------------------------------------------------------------- */

evote_err_t evote_merkle_leaf_hash(const uint8_t *data, size_t len,
                                   uint8_t out[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    EVP_MD_CTX *ctx = NULL;
    static const uint8_t prefix = 0x00;
    unsigned int outlen = 0;

    ENSURE(out != NULL && (data != NULL || len == 0), EVOTE_ERR_ARG,
           "merkle leaf hash: NULL argument");
    ALLOC_GUARD(ctx = EVP_MD_CTX_new());
    OSSL_GUARD(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL));
    OSSL_GUARD(EVP_DigestUpdate(ctx, &prefix, 1));
    if (len > 0)
        OSSL_GUARD(EVP_DigestUpdate(ctx, data, len));
    OSSL_GUARD(EVP_DigestFinal_ex(ctx, out, &outlen));
    ENSURE(outlen == EVOTE_HASH_LEN, EVOTE_ERR_INTERNAL, "SHA-256 length %u", outlen);
out:
    EVP_MD_CTX_free(ctx);
    if (ret != EVOTE_OK && out != NULL)
        memset(out, 0, EVOTE_HASH_LEN);
    return ret;
}

evote_err_t evote_merkle_node_hash(const uint8_t left[EVOTE_HASH_LEN],
                                   const uint8_t right[EVOTE_HASH_LEN],
                                   uint8_t out[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t buf[1 + 2 * EVOTE_HASH_LEN];

    ENSURE(left != NULL && right != NULL && out != NULL, EVOTE_ERR_ARG,
           "merkle node hash: NULL argument");
    buf[0] = 0x01;
    memcpy(buf + 1, left, EVOTE_HASH_LEN);
    memcpy(buf + 1 + EVOTE_HASH_LEN, right, EVOTE_HASH_LEN);
    /* out may alias left or right: buf holds copies. */
    ENSURE(SHA256(buf, sizeof(buf), out) != NULL, EVOTE_ERR_CRYPTO, "SHA256 failed");
out:
    return ret;
}

void evote_merkle_empty_root(uint8_t out[EVOTE_HASH_LEN]) {
    /* SHA-256 of the empty string (FIPS 180-4). */
    static const uint8_t empty[EVOTE_HASH_LEN] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
        0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
        0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    memcpy(out, empty, EVOTE_HASH_LEN);
}

static unsigned popcount64(uint64_t x) {
    unsigned n = 0;
    for (; x != 0; x &= x - 1)
        n++;
    return n;
}

/* ---- frontier ----------------------------------------------------------- */

void evote_merkle_frontier_init(evote_merkle_frontier_t *f) {
    if (f != NULL)
        memset(f, 0, sizeof(*f));
}

evote_err_t evote_merkle_frontier_append(evote_merkle_frontier_t *f,
                                         const uint8_t leaf_hash[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t carry[EVOTE_HASH_LEN];
    evote_merkle_frontier_t next;

    ENSURE(f != NULL && leaf_hash != NULL, EVOTE_ERR_ARG, "merkle append: NULL argument");
    ENSURE(f->size < EVOTE_MERKLE_SIZE_MAX, EVOTE_ERR_TOO_LARGE,
           "merkle append: log already holds %llu leaves",
           (unsigned long long)f->size);
    /* Work on a copy so that f stays unchanged if a hash fails. Adding a
     * leaf is binary increment: every trailing 1 bit of size is a complete
     * subtree that merges with the carry into one twice its size. */
    next = *f;
    memcpy(carry, leaf_hash, EVOTE_HASH_LEN);
    unsigned count = popcount64(next.size);
    for (uint64_t s = next.size; s & 1; s >>= 1) {
        ENSURE(count > 0, EVOTE_ERR_INTERNAL, "merkle frontier underflow");
        count--;
        GUARD(evote_merkle_node_hash(next.hash[count], carry, carry));
        memset(next.hash[count], 0, EVOTE_HASH_LEN);
    }
    ENSURE(count < EVOTE_MERKLE_FRONTIER_HASHES, EVOTE_ERR_INTERNAL,
           "merkle frontier overflow");
    memcpy(next.hash[count], carry, EVOTE_HASH_LEN);
    next.size++;
    ENSURE(popcount64(next.size) == count + 1, EVOTE_ERR_INTERNAL,
           "merkle frontier inconsistent");
    *f = next;
out:
    return ret;
}

evote_err_t evote_merkle_frontier_root(const evote_merkle_frontier_t *f,
                                       uint8_t out[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t acc[EVOTE_HASH_LEN];

    ENSURE(f != NULL && out != NULL, EVOTE_ERR_ARG, "merkle root: NULL argument");
    ENSURE(f->size <= EVOTE_MERKLE_SIZE_MAX, EVOTE_ERR_ARG, "merkle root: bad size");
    if (f->size == 0) {
        evote_merkle_empty_root(out);
        goto out;
    }
    /* MTH splits at the largest power of two below n, so the right-most
     * (smallest) subtrees combine first: fold from the right. */
    unsigned k = popcount64(f->size);
    memcpy(acc, f->hash[k - 1], EVOTE_HASH_LEN);
    for (unsigned i = k - 1; i-- > 0;)
        GUARD(evote_merkle_node_hash(f->hash[i], acc, acc));
    memcpy(out, acc, EVOTE_HASH_LEN);
out:
    if (ret != EVOTE_OK && out != NULL)
        memset(out, 0, EVOTE_HASH_LEN);
    return ret;
}

evote_err_t evote_merkle_frontier_encode(const evote_merkle_frontier_t *f,
                                         uint8_t *out, size_t cap, size_t *len) {
    evote_err_t ret = EVOTE_OK;
    size_t need;
    unsigned k;

    if (len != NULL)
        *len = 0;
    ENSURE(f != NULL && out != NULL && len != NULL, EVOTE_ERR_ARG,
           "merkle frontier encode: NULL argument");
    ENSURE(f->size <= EVOTE_MERKLE_SIZE_MAX, EVOTE_ERR_ARG,
           "merkle frontier encode: bad size");
    k = popcount64(f->size);
    need = 1 + 8 + (size_t)k * EVOTE_HASH_LEN;
    ENSURE(cap >= need, EVOTE_ERR_ARG, "merkle frontier encode: need %zu bytes, have %zu",
           need, cap);
    out[0] = EVOTE_MERKLE_FRONTIER_VERSION;
    evote_put_u64be(out + 1, f->size);
    for (unsigned i = 0; i < k; i++)
        memcpy(out + 9 + (size_t)i * EVOTE_HASH_LEN, f->hash[i], EVOTE_HASH_LEN);
    *len = need;
out:
    return ret;
}

evote_err_t evote_merkle_frontier_decode(evote_merkle_frontier_t *f,
                                         const uint8_t *in, size_t len) {
    evote_err_t ret = EVOTE_OK;
    evote_merkle_frontier_t tmp;
    uint64_t size;
    unsigned k;

    ENSURE(f != NULL && (in != NULL || len == 0), EVOTE_ERR_ARG,
           "merkle frontier decode: NULL argument");
    evote_merkle_frontier_init(&tmp);
    ENSURE(len >= 9, EVOTE_ERR_TRUNCATED, "merkle frontier: %zu bytes, need at least 9",
           len);
    ENSURE(in[0] == EVOTE_MERKLE_FRONTIER_VERSION, EVOTE_ERR_VERSION,
           "merkle frontier: version %u, expected %u", in[0],
           EVOTE_MERKLE_FRONTIER_VERSION);
    size = evote_get_u64be(in + 1);
    ENSURE(size <= EVOTE_MERKLE_SIZE_MAX, EVOTE_ERR_FORMAT,
           "merkle frontier: size %llu above the maximum", (unsigned long long)size);
    k = popcount64(size);
    ENSURE(len >= 9 + (size_t)k * EVOTE_HASH_LEN, EVOTE_ERR_TRUNCATED,
           "merkle frontier: size %llu needs %u hashes, %zu bytes given",
           (unsigned long long)size, k, len);
    ENSURE(len == 9 + (size_t)k * EVOTE_HASH_LEN, EVOTE_ERR_FORMAT,
           "merkle frontier: %zu trailing bytes", len - (9 + (size_t)k * EVOTE_HASH_LEN));
    tmp.size = size;
    for (unsigned i = 0; i < k; i++)
        memcpy(tmp.hash[i], in + 9 + (size_t)i * EVOTE_HASH_LEN, EVOTE_HASH_LEN);
    *f = tmp;
out:
    if (ret != EVOTE_OK && f != NULL)
        evote_merkle_frontier_init(f);
    return ret;
}

/* ---- tree ------------------------------------------------------------------ */

/*
 * level[k] holds the roots of the complete, aligned subtrees of 2^k leaves:
 * level[k][j] = MTH(D[j·2^k : (j+1)·2^k]); level[0] are the leaf hashes.
 * level[k] has exactly size >> k entries.
 */
#define TREE_LEVELS 63

struct evote_merkle_tree {
    uint64_t size;
    uint8_t (*level[TREE_LEVELS])[EVOTE_HASH_LEN];
    uint64_t cap[TREE_LEVELS];
};

evote_err_t evote_merkle_tree_new(evote_merkle_tree_t **out) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(out != NULL, EVOTE_ERR_ARG, "merkle tree: NULL argument");
    ALLOC_GUARD(*out = calloc(1, sizeof(**out)));
out:
    return ret;
}

void evote_merkle_tree_free(evote_merkle_tree_t *t) {
    if (t == NULL)
        return;
    for (unsigned k = 0; k < TREE_LEVELS; k++)
        free(t->level[k]);
    free(t);
}

uint64_t evote_merkle_tree_size(const evote_merkle_tree_t *t) {
    return t == NULL ? 0 : t->size;
}

const uint8_t *evote_merkle_tree_leaf(const evote_merkle_tree_t *t, uint64_t index) {
    if (t == NULL || index >= t->size)
        return NULL;
    return t->level[0][index];
}

static evote_err_t level_push(evote_merkle_tree_t *t, unsigned k,
                              const uint8_t h[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint64_t n = t->size >> k; /* entries before this push (size not yet bumped) */

    if (n >= t->cap[k]) {
        uint64_t ncap = t->cap[k] ? t->cap[k] * 2 : 16;
        ENSURE(ncap <= SIZE_MAX / EVOTE_HASH_LEN, EVOTE_ERR_TOO_LARGE,
               "merkle tree too large for memory");
        void *p = realloc(t->level[k], (size_t)ncap * EVOTE_HASH_LEN);
        ALLOC_GUARD(p);
        t->level[k] = p;
        t->cap[k] = ncap;
    }
    memcpy(t->level[k][n], h, EVOTE_HASH_LEN);
out:
    return ret;
}

evote_err_t evote_merkle_tree_append(evote_merkle_tree_t *t,
                                     const uint8_t leaf_hash[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t carry[EVOTE_HASH_LEN];

    ENSURE(t != NULL && leaf_hash != NULL, EVOTE_ERR_ARG, "merkle tree: NULL argument");
    ENSURE(t->size < EVOTE_MERKLE_SIZE_MAX, EVOTE_ERR_TOO_LARGE,
           "merkle tree: log already holds %llu leaves", (unsigned long long)t->size);
    /* Reserve room at every level the new leaf completes before writing
     * anything, so that a failed allocation leaves the tree unchanged. */
    memcpy(carry, leaf_hash, EVOTE_HASH_LEN);
    GUARD(level_push(t, 0, carry));
    for (unsigned k = 0; k + 1 < TREE_LEVELS && ((t->size >> k) & 1); k++) {
        /* level[k] now has an even count ending in a pair: merge it. */
        uint64_t n = (t->size >> k) + 1;
        GUARD(evote_merkle_node_hash(t->level[k][n - 2], t->level[k][n - 1], carry));
        GUARD(level_push(t, k + 1, carry));
    }
    t->size++;
out:
    return ret;
}

static bool is_pow2(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

static unsigned log2_exact(uint64_t n) {
    unsigned k = 0;
    while ((UINT64_C(1) << k) < n)
        k++;
    return k;
}

/* Largest power of two strictly below n (n > 1). */
static uint64_t split_point(uint64_t n) {
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    return k;
}

/* MTH(D[lo : lo+n]), n ≥ 1, lo+n ≤ size. */
static evote_err_t subtree_hash(const evote_merkle_tree_t *t, uint64_t lo, uint64_t n,
                                uint8_t out[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t l[EVOTE_HASH_LEN], r[EVOTE_HASH_LEN];

    ENSURE(n >= 1 && lo + n <= t->size, EVOTE_ERR_INTERNAL, "merkle subtree out of range");
    if (is_pow2(n) && lo % n == 0) {
        unsigned k = log2_exact(n);
        memcpy(out, t->level[k][lo >> k], EVOTE_HASH_LEN);
        goto out;
    }
    uint64_t k = split_point(n);
    GUARD(subtree_hash(t, lo, k, l));
    GUARD(subtree_hash(t, lo + k, n - k, r));
    GUARD(evote_merkle_node_hash(l, r, out));
out:
    return ret;
}

evote_err_t evote_merkle_tree_root(const evote_merkle_tree_t *t, uint64_t size,
                                   uint8_t out[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(t != NULL && out != NULL, EVOTE_ERR_ARG, "merkle tree root: NULL argument");
    ENSURE(size <= t->size, EVOTE_ERR_ARG, "merkle tree root: size %llu > tree size %llu",
           (unsigned long long)size, (unsigned long long)t->size);
    if (size == 0)
        evote_merkle_empty_root(out);
    else
        GUARD(subtree_hash(t, 0, size, out));
out:
    if (ret != EVOTE_OK && out != NULL)
        memset(out, 0, EVOTE_HASH_LEN);
    return ret;
}

typedef struct {
    uint8_t (*p)[EVOTE_HASH_LEN];
    size_t cap, len;
} proof_out_t;

static evote_err_t proof_push(proof_out_t *po, const evote_merkle_tree_t *t, uint64_t lo,
                              uint64_t n) {
    evote_err_t ret = EVOTE_OK;
    ENSURE(po->len < po->cap, EVOTE_ERR_ARG, "merkle proof: room for %zu hashes only",
           po->cap);
    GUARD(subtree_hash(t, lo, n, po->p[po->len]));
    po->len++;
out:
    return ret;
}

/* PATH(m, D[lo : lo+n]) of RFC 9162 §2.1.3.1. */
static evote_err_t path(const evote_merkle_tree_t *t, uint64_t m, uint64_t lo, uint64_t n,
                        proof_out_t *po) {
    evote_err_t ret = EVOTE_OK;
    if (n == 1)
        goto out; /* m == 0: PATH(0, {d0}) = {} */
    uint64_t k = split_point(n);
    if (m < k) {
        GUARD(path(t, m, lo, k, po));
        GUARD(proof_push(po, t, lo + k, n - k));
    } else {
        GUARD(path(t, m - k, lo + k, n - k, po));
        GUARD(proof_push(po, t, lo, k));
    }
out:
    return ret;
}

/* SUBPROOF(m, D[lo : lo+n], b) of RFC 9162 §2.1.4.1. */
static evote_err_t subproof(const evote_merkle_tree_t *t, uint64_t m, uint64_t lo,
                            uint64_t n, bool b, proof_out_t *po) {
    evote_err_t ret = EVOTE_OK;
    if (m == n) {
        if (!b)
            GUARD(proof_push(po, t, lo, n));
        goto out;
    }
    uint64_t k = split_point(n);
    if (m <= k) {
        GUARD(subproof(t, m, lo, k, b, po));
        GUARD(proof_push(po, t, lo + k, n - k));
    } else {
        GUARD(subproof(t, m - k, lo + k, n - k, false, po));
        GUARD(proof_push(po, t, lo, k));
    }
out:
    return ret;
}

evote_err_t evote_merkle_tree_inclusion_proof(const evote_merkle_tree_t *t,
                                              uint64_t index, uint64_t size,
                                              uint8_t (*proof)[EVOTE_HASH_LEN],
                                              size_t cap, size_t *proof_len) {
    evote_err_t ret = EVOTE_OK;
    proof_out_t po = {proof, cap, 0};

    if (proof_len != NULL)
        *proof_len = 0;
    ENSURE(t != NULL && proof_len != NULL && (proof != NULL || cap == 0), EVOTE_ERR_ARG,
           "merkle inclusion proof: NULL argument");
    ENSURE(index < size && size <= t->size, EVOTE_ERR_ARG,
           "merkle inclusion proof: leaf %llu of %llu, tree holds %llu",
           (unsigned long long)index, (unsigned long long)size,
           (unsigned long long)t->size);
    GUARD(path(t, index, 0, size, &po));
    *proof_len = po.len;
out:
    if (ret != EVOTE_OK && proof != NULL)
        memset(proof, 0, cap * EVOTE_HASH_LEN);
    return ret;
}

evote_err_t evote_merkle_tree_consistency_proof(const evote_merkle_tree_t *t,
                                                uint64_t first, uint64_t second,
                                                uint8_t (*proof)[EVOTE_HASH_LEN],
                                                size_t cap, size_t *proof_len) {
    evote_err_t ret = EVOTE_OK;
    proof_out_t po = {proof, cap, 0};

    if (proof_len != NULL)
        *proof_len = 0;
    ENSURE(t != NULL && proof_len != NULL && (proof != NULL || cap == 0), EVOTE_ERR_ARG,
           "merkle consistency proof: NULL argument");
    ENSURE(first <= second && second <= t->size, EVOTE_ERR_ARG,
           "merkle consistency proof: sizes %llu → %llu, tree holds %llu",
           (unsigned long long)first, (unsigned long long)second,
           (unsigned long long)t->size);
    if (first == 0 || first == second)
        goto out; /* empty proof, PROTOCOL §12.2 */
    GUARD(subproof(t, first, 0, second, true, &po));
    *proof_len = po.len;
out:
    if (ret != EVOTE_OK && proof != NULL)
        memset(proof, 0, cap * EVOTE_HASH_LEN);
    return ret;
}

/* ---- verification --------------------------------------------------------- */

evote_err_t evote_merkle_verify_inclusion(const uint8_t leaf_hash[EVOTE_HASH_LEN],
                                          uint64_t index, uint64_t size,
                                          const uint8_t (*proof)[EVOTE_HASH_LEN],
                                          size_t proof_len,
                                          const uint8_t root[EVOTE_HASH_LEN]) {
    evote_err_t ret = EVOTE_OK;
    uint8_t r[EVOTE_HASH_LEN];
    uint64_t fn, sn;

    ENSURE(leaf_hash != NULL && root != NULL && (proof != NULL || proof_len == 0),
           EVOTE_ERR_ARG, "merkle verify inclusion: NULL argument");
    /* 1. */
    ENSURE(index < size, EVOTE_ERR_PROOF_MERKLE,
           "inclusion proof: leaf index %llu not below tree size %llu",
           (unsigned long long)index, (unsigned long long)size);
    ENSURE(proof_len <= EVOTE_MERKLE_PROOF_MAX, EVOTE_ERR_PROOF_MERKLE,
           "inclusion proof: %zu hashes is too long", proof_len);
    /* 2., 3. */
    fn = index;
    sn = size - 1;
    memcpy(r, leaf_hash, EVOTE_HASH_LEN);
    /* 4. */
    for (size_t i = 0; i < proof_len; i++) {
        ENSURE(sn != 0, EVOTE_ERR_PROOF_MERKLE,
               "inclusion proof: %zu hashes more than the path needs", proof_len - i);
        if ((fn & 1) || fn == sn) {
            GUARD(evote_merkle_node_hash(proof[i], r, r));
            if (!(fn & 1)) {
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            GUARD(evote_merkle_node_hash(r, proof[i], r));
        }
        fn >>= 1;
        sn >>= 1;
    }
    /* 5. */
    ENSURE(sn == 0, EVOTE_ERR_PROOF_MERKLE,
           "inclusion proof: too short for leaf %llu of %llu", (unsigned long long)index,
           (unsigned long long)size);
    ENSURE(CRYPTO_memcmp(r, root, EVOTE_HASH_LEN) == 0, EVOTE_ERR_PROOF_MERKLE,
           "inclusion proof: computed root differs from the tree head");
out:
    return ret;
}

evote_err_t evote_merkle_verify_consistency(uint64_t first, uint64_t second,
                                            const uint8_t first_root[EVOTE_HASH_LEN],
                                            const uint8_t second_root[EVOTE_HASH_LEN],
                                            const uint8_t (*proof)[EVOTE_HASH_LEN],
                                            size_t proof_len) {
    evote_err_t ret = EVOTE_OK;
    uint8_t fr[EVOTE_HASH_LEN], sr[EVOTE_HASH_LEN], empty[EVOTE_HASH_LEN];
    uint64_t fn, sn;
    size_t i = 0;
    const uint8_t *c;

    ENSURE(first_root != NULL && second_root != NULL && (proof != NULL || proof_len == 0),
           EVOTE_ERR_ARG, "merkle verify consistency: NULL argument");
    ENSURE(first <= second, EVOTE_ERR_PROOF_MERKLE,
           "consistency proof: first size %llu above second size %llu",
           (unsigned long long)first, (unsigned long long)second);
    ENSURE(proof_len <= EVOTE_MERKLE_PROOF_MAX, EVOTE_ERR_PROOF_MERKLE,
           "consistency proof: %zu hashes is too long", proof_len);
    if (first == 0) {
        /* Every tree extends the empty one; only the empty root may stand
         * for size 0. */
        evote_merkle_empty_root(empty);
        ENSURE(proof_len == 0, EVOTE_ERR_PROOF_MERKLE,
               "consistency proof from the empty tree must be empty");
        ENSURE(CRYPTO_memcmp(first_root, empty, EVOTE_HASH_LEN) == 0,
               EVOTE_ERR_PROOF_MERKLE, "consistency proof: root of size 0 is not SHA-256(\"\")");
        goto out;
    }
    if (first == second) {
        ENSURE(proof_len == 0, EVOTE_ERR_PROOF_MERKLE,
               "consistency proof between equal sizes must be empty");
        ENSURE(CRYPTO_memcmp(first_root, second_root, EVOTE_HASH_LEN) == 0,
               EVOTE_ERR_PROOF_MERKLE, "consistency proof: equal sizes, different roots");
        goto out;
    }
    /* RFC 9162 §2.1.4.2, 0 < first < second. */
    /* 1. */
    ENSURE(proof_len > 0, EVOTE_ERR_PROOF_MERKLE, "consistency proof is empty");
    /* 2. "prepend first_hash" — done by taking it as the seed below. */
    bool prepend = is_pow2(first);
    /* 3. */
    fn = first - 1;
    sn = second - 1;
    /* 4. */
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    /* 5. */
    c = prepend ? first_root : proof[i++];
    memcpy(fr, c, EVOTE_HASH_LEN);
    memcpy(sr, c, EVOTE_HASH_LEN);
    /* 6. */
    for (; i < proof_len; i++) {
        c = proof[i];
        ENSURE(sn != 0, EVOTE_ERR_PROOF_MERKLE,
               "consistency proof: %zu hashes more than needed", proof_len - i);
        if ((fn & 1) || fn == sn) {
            GUARD(evote_merkle_node_hash(c, fr, fr));
            GUARD(evote_merkle_node_hash(c, sr, sr));
            if (!(fn & 1)) {
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            GUARD(evote_merkle_node_hash(sr, c, sr));
        }
        fn >>= 1;
        sn >>= 1;
    }
    /* 7. */
    ENSURE(sn == 0, EVOTE_ERR_PROOF_MERKLE, "consistency proof: too short for %llu → %llu",
           (unsigned long long)first, (unsigned long long)second);
    ENSURE(CRYPTO_memcmp(fr, first_root, EVOTE_HASH_LEN) == 0, EVOTE_ERR_PROOF_MERKLE,
           "consistency proof: does not reproduce the first root");
    ENSURE(CRYPTO_memcmp(sr, second_root, EVOTE_HASH_LEN) == 0, EVOTE_ERR_PROOF_MERKLE,
           "consistency proof: does not reproduce the second root");
out:
    return ret;
}
