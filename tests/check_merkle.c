/*
 * Merkle log: RFC 9162 roots, inclusion and consistency proofs against the
 * independent vectors of tests/vectors/merkle.txt (merkle_vectors.py),
 * tamper refusal, frontier encoding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evote/merkle.h"
#include "internal.h"
#include "testutil.h"

#define VEC_MAX_N 64
#define VEC_MAX_PROOFS 4096

typedef struct {
    uint64_t a, b; /* incl: size, index; cons: first, second */
    size_t len;
    uint8_t h[EVOTE_MERKLE_PROOF_MAX][32];
} vec_proof_t;

typedef struct {
    size_t nleaves;
    uint8_t *leaf[VEC_MAX_N];
    size_t leaf_len[VEC_MAX_N];
    uint8_t root[VEC_MAX_N + 1][32];
    size_t nroots;
    vec_proof_t *incl;
    size_t nincl;
    vec_proof_t *cons;
    size_t ncons;
} vectors_t;

static vectors_t V;

static void parse_hashlist(const char *s, vec_proof_t *p) {
    p->len = 0;
    if (strcmp(s, "-") == 0)
        return;
    for (;;) {
        ck_assert_uint_lt(p->len, EVOTE_MERKLE_PROOF_MAX);
        char hex[65];
        memcpy(hex, s, 64);
        hex[64] = 0;
        ck_assert_int_eq(evote_unhex(p->h[p->len], 32, hex), EVOTE_OK);
        p->len++;
        s += 64;
        if (*s == '\0')
            break;
        ck_assert_int_eq(*s, ',');
        s++;
    }
}

static void load_vectors(void) {
    FILE *f = fopen(EVOTE_TEST_VECTORS "/merkle.txt", "r");
    ck_assert_msg(f != NULL, "cannot open merkle.txt");
    static char line[16384];
    memset(&V, 0, sizeof(V));
    V.incl = calloc(VEC_MAX_PROOFS, sizeof(vec_proof_t));
    V.cons = calloc(VEC_MAX_PROOFS, sizeof(vec_proof_t));
    ck_assert_ptr_nonnull(V.incl);
    ck_assert_ptr_nonnull(V.cons);
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == '#' || line[0] == 0)
            continue;
        char kind[8], s3[16000];
        unsigned long long a, b;
        if (sscanf(line, "leaf %llu %15999s", &a, s3) == 2) {
            ck_assert_uint_eq(a, V.nleaves);
            ck_assert_uint_lt(a, VEC_MAX_N);
            if (strcmp(s3, "-") == 0) {
                V.leaf[a] = malloc(1);
                V.leaf_len[a] = 0;
            } else {
                V.leaf[a] = evt_unhex(s3, &V.leaf_len[a]);
            }
            V.nleaves++;
        } else if (sscanf(line, "root %llu %15999s", &a, s3) == 2) {
            ck_assert_uint_eq(a, V.nroots);
            ck_assert_int_eq(evote_unhex(V.root[a], 32, s3), EVOTE_OK);
            V.nroots++;
        } else if (sscanf(line, "%7s %llu %llu %15999s", kind, &a, &b, s3) == 4) {
            vec_proof_t *p;
            if (strcmp(kind, "incl") == 0) {
                ck_assert_uint_lt(V.nincl, VEC_MAX_PROOFS);
                p = &V.incl[V.nincl++];
            } else {
                ck_assert_str_eq(kind, "cons");
                ck_assert_uint_lt(V.ncons, VEC_MAX_PROOFS);
                p = &V.cons[V.ncons++];
            }
            p->a = a;
            p->b = b;
            parse_hashlist(s3, p);
        } else {
            ck_abort_msg("bad vector line: %.60s", line);
        }
    }
    fclose(f);
    /* The file must cover sizes 1..N exhaustively (N ≥ 17 so that proofs
     * cross several powers of two). */
    size_t n = V.nleaves;
    ck_assert_uint_ge(n, 17);
    ck_assert_uint_eq(V.nroots, n + 1);
    ck_assert_uint_eq(V.nincl, n * (n + 1) / 2);
    ck_assert_uint_eq(V.ncons, n * (n - 1) / 2);
}

static evote_merkle_tree_t *vector_tree(void) {
    evote_merkle_tree_t *t = NULL;
    ck_assert_int_eq(evote_merkle_tree_new(&t), EVOTE_OK);
    for (size_t i = 0; i < V.nleaves; i++) {
        uint8_t h[32];
        ck_assert_int_eq(evote_merkle_leaf_hash(V.leaf[i], V.leaf_len[i], h), EVOTE_OK);
        ck_assert_int_eq(evote_merkle_tree_append(t, h), EVOTE_OK);
    }
    return t;
}

START_TEST(test_empty_root) {
    uint8_t r[32], s[32];
    evote_merkle_frontier_t f;
    evote_merkle_empty_root(r);
    ck_assert_int_eq(evote_sha256("", 0, s), EVOTE_OK);
    ck_assert_mem_eq(r, s, 32);
    evote_merkle_frontier_init(&f);
    ck_assert_int_eq(evote_merkle_frontier_root(&f, s), EVOTE_OK);
    ck_assert_mem_eq(r, s, 32);
    load_vectors();
    ck_assert_mem_eq(V.root[0], r, 32);
}
END_TEST

START_TEST(test_leaf_and_node_prefixes) {
    /* Leaf hash = SHA-256(0x00 ‖ d), node = SHA-256(0x01 ‖ l ‖ r). */
    uint8_t buf[65] = {0}, a[32], b[32];
    buf[1] = 'x';
    ck_assert_int_eq(evote_merkle_leaf_hash((const uint8_t *)"x", 1, a), EVOTE_OK);
    ck_assert_int_eq(evote_sha256(buf, 2, b), EVOTE_OK);
    ck_assert_mem_eq(a, b, 32);
    uint8_t l[32], r[32];
    memset(l, 0x11, 32);
    memset(r, 0x22, 32);
    buf[0] = 1;
    memcpy(buf + 1, l, 32);
    memcpy(buf + 33, r, 32);
    ck_assert_int_eq(evote_merkle_node_hash(l, r, a), EVOTE_OK);
    ck_assert_int_eq(evote_sha256(buf, 65, b), EVOTE_OK);
    ck_assert_mem_eq(a, b, 32);
    /* NULL data with length 0 is the empty leaf. */
    ck_assert_int_eq(evote_merkle_leaf_hash(NULL, 0, a), EVOTE_OK);
    ck_assert_int_eq(evote_sha256(buf + 64, 0, b), EVOTE_OK);
    buf[0] = 0;
    ck_assert_int_eq(evote_sha256(buf, 1, b), EVOTE_OK);
    ck_assert_mem_eq(a, b, 32);
    ck_assert_int_eq(evote_merkle_leaf_hash(NULL, 1, a), EVOTE_ERR_ARG);
}
END_TEST

START_TEST(test_vector_roots_frontier_and_tree) {
    load_vectors();
    evote_merkle_frontier_t f;
    evote_merkle_tree_t *t = vector_tree();
    uint8_t r[32];
    evote_merkle_frontier_init(&f);
    for (size_t n = 0; n <= V.nleaves; n++) {
        ck_assert_int_eq(evote_merkle_frontier_root(&f, r), EVOTE_OK);
        ck_assert_msg(memcmp(r, V.root[n], 32) == 0, "frontier root of size %zu", n);
        ck_assert_int_eq(evote_merkle_tree_root(t, n, r), EVOTE_OK);
        ck_assert_msg(memcmp(r, V.root[n], 32) == 0, "tree root of size %zu", n);
        if (n < V.nleaves)
            ck_assert_int_eq(evote_merkle_frontier_append(&f, evote_merkle_tree_leaf(t, n)),
                             EVOTE_OK);
    }
    ck_assert_int_eq(evote_merkle_tree_root(t, V.nleaves + 1, r), EVOTE_ERR_ARG);
    evote_merkle_tree_free(t);
}
END_TEST

START_TEST(test_vector_inclusion) {
    load_vectors();
    evote_merkle_tree_t *t = vector_tree();
    uint8_t proof[EVOTE_MERKLE_PROOF_MAX][32];
    size_t len;
    for (size_t v = 0; v < V.nincl; v++) {
        const vec_proof_t *p = &V.incl[v];
        uint64_t n = p->a, i = p->b;
        const uint8_t *leaf = evote_merkle_tree_leaf(t, i);
        ck_assert_int_eq(evote_merkle_tree_inclusion_proof(t, i, n, proof,
                                                           EVOTE_MERKLE_PROOF_MAX, &len),
                         EVOTE_OK);
        ck_assert_msg(len == p->len && memcmp(proof, p->h, len * 32) == 0,
                      "PATH(%llu, D[%llu]) differs from the vector",
                      (unsigned long long)i, (unsigned long long)n);
        ck_assert_msg(evote_merkle_verify_inclusion(leaf, i, n, p->h, p->len,
                                                    V.root[n]) == EVOTE_OK,
                      "vector PATH(%llu, D[%llu]) refused: %s", (unsigned long long)i,
                      (unsigned long long)n, evote_err_detail());
    }
    evote_merkle_tree_free(t);
}
END_TEST

START_TEST(test_vector_inclusion_tampered) {
    load_vectors();
    evote_merkle_tree_t *t = vector_tree();
    vec_proof_t q;
    for (size_t v = 0; v < V.nincl; v++) {
        const vec_proof_t *p = &V.incl[v];
        uint64_t n = p->a, i = p->b;
        const uint8_t *leaf = evote_merkle_tree_leaf(t, i);
        /* Every bit of every proof hash matters. */
        for (size_t e = 0; e < p->len; e++) {
            for (size_t byte = 0; byte < 32; byte += evt_quick() ? 31 : 7) {
                q = *p;
                q.h[e][byte] ^= (uint8_t)(1u << (byte % 8));
                ck_assert_int_eq(evote_merkle_verify_inclusion(leaf, i, n, q.h, q.len,
                                                               V.root[n]),
                                 EVOTE_ERR_PROOF_MERKLE);
            }
        }
        /* One hash short, one hash extra. */
        if (p->len > 0)
            ck_assert_int_eq(evote_merkle_verify_inclusion(leaf, i, n, p->h, p->len - 1,
                                                           V.root[n]),
                             EVOTE_ERR_PROOF_MERKLE);
        q = *p;
        memcpy(q.h[q.len], V.root[n], 32);
        ck_assert_int_eq(evote_merkle_verify_inclusion(leaf, i, n, q.h, q.len + 1,
                                                       V.root[n]),
                         EVOTE_ERR_PROOF_MERKLE);
        /* Another leaf, another position, another root. */
        uint8_t other[32];
        memcpy(other, leaf, 32);
        other[31] ^= 1;
        ck_assert_int_eq(evote_merkle_verify_inclusion(other, i, n, p->h, p->len, V.root[n]),
                         EVOTE_ERR_PROOF_MERKLE);
        if ((i ^ 1) < n)
            ck_assert_int_eq(evote_merkle_verify_inclusion(leaf, i ^ 1, n, p->h, p->len,
                                                           V.root[n]),
                             EVOTE_ERR_PROOF_MERKLE);
        ck_assert_int_eq(evote_merkle_verify_inclusion(leaf, i, n, p->h, p->len,
                                                       V.root[n - 1]),
                         EVOTE_ERR_PROOF_MERKLE);
        /* Index outside the tree. */
        ck_assert_int_eq(evote_merkle_verify_inclusion(leaf, n, n, p->h, p->len, V.root[n]),
                         EVOTE_ERR_PROOF_MERKLE);
    }
    evote_merkle_tree_free(t);
}
END_TEST

START_TEST(test_vector_consistency) {
    load_vectors();
    evote_merkle_tree_t *t = vector_tree();
    uint8_t proof[EVOTE_MERKLE_PROOF_MAX][32];
    size_t len;
    for (size_t v = 0; v < V.ncons; v++) {
        const vec_proof_t *p = &V.cons[v];
        uint64_t m = p->a, n = p->b;
        ck_assert_int_eq(evote_merkle_tree_consistency_proof(t, m, n, proof,
                                                             EVOTE_MERKLE_PROOF_MAX, &len),
                         EVOTE_OK);
        ck_assert_msg(len == p->len && memcmp(proof, p->h, len * 32) == 0,
                      "PROOF(%llu, D[%llu]) differs from the vector", (unsigned long long)m,
                      (unsigned long long)n);
        ck_assert_msg(evote_merkle_verify_consistency(m, n, V.root[m], V.root[n], p->h,
                                                      p->len) == EVOTE_OK,
                      "vector PROOF(%llu, D[%llu]) refused: %s", (unsigned long long)m,
                      (unsigned long long)n, evote_err_detail());
    }
    evote_merkle_tree_free(t);
}
END_TEST

START_TEST(test_vector_consistency_tampered) {
    load_vectors();
    vec_proof_t q;
    for (size_t v = 0; v < V.ncons; v++) {
        const vec_proof_t *p = &V.cons[v];
        uint64_t m = p->a, n = p->b;
        for (size_t e = 0; e < p->len; e++) {
            for (size_t byte = 0; byte < 32; byte += evt_quick() ? 31 : 5) {
                q = *p;
                q.h[e][byte] ^= (uint8_t)(0x80u >> (byte % 8));
                ck_assert_int_eq(evote_merkle_verify_consistency(m, n, V.root[m], V.root[n],
                                                                 q.h, q.len),
                                 EVOTE_ERR_PROOF_MERKLE);
            }
        }
        ck_assert_int_eq(evote_merkle_verify_consistency(m, n, V.root[m], V.root[n], p->h,
                                                         p->len - 1),
                         EVOTE_ERR_PROOF_MERKLE);
        q = *p;
        memcpy(q.h[q.len], V.root[n], 32);
        ck_assert_int_eq(evote_merkle_verify_consistency(m, n, V.root[m], V.root[n], q.h,
                                                         q.len + 1),
                         EVOTE_ERR_PROOF_MERKLE);
        /* Roots of other sizes, or swapped. */
        ck_assert_int_eq(evote_merkle_verify_consistency(m, n, V.root[m - 1], V.root[n],
                                                         p->h, p->len),
                         EVOTE_ERR_PROOF_MERKLE);
        ck_assert_int_eq(evote_merkle_verify_consistency(m, n, V.root[m], V.root[n - 1],
                                                         p->h, p->len),
                         EVOTE_ERR_PROOF_MERKLE);
        ck_assert_int_eq(evote_merkle_verify_consistency(n, m, V.root[n], V.root[m], p->h,
                                                         p->len),
                         EVOTE_ERR_PROOF_MERKLE);
        /* A consistency proof never stands in for a proof of size 0. */
        ck_assert_int_eq(evote_merkle_verify_consistency(0, n, V.root[0], V.root[n], p->h,
                                                         p->len),
                         EVOTE_ERR_PROOF_MERKLE);
    }
}
END_TEST

START_TEST(test_consistency_edge_cases) {
    load_vectors();
    evote_merkle_tree_t *t = vector_tree();
    uint8_t proof[EVOTE_MERKLE_PROOF_MAX][32];
    size_t len = 99;
    size_t n = V.nleaves;
    /* From the empty tree: empty proof, empty root required. */
    ck_assert_int_eq(evote_merkle_tree_consistency_proof(t, 0, n, proof, 64, &len), EVOTE_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(evote_merkle_verify_consistency(0, n, V.root[0], V.root[n], NULL, 0),
                     EVOTE_OK);
    ck_assert_int_eq(evote_merkle_verify_consistency(0, n, V.root[1], V.root[n], NULL, 0),
                     EVOTE_ERR_PROOF_MERKLE);
    ck_assert_int_eq(evote_merkle_verify_consistency(0, 0, V.root[0], V.root[0], NULL, 0),
                     EVOTE_OK);
    /* Equal sizes: equal roots, empty proof. */
    ck_assert_int_eq(evote_merkle_tree_consistency_proof(t, 5, 5, proof, 64, &len), EVOTE_OK);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(evote_merkle_verify_consistency(5, 5, V.root[5], V.root[5], NULL, 0),
                     EVOTE_OK);
    ck_assert_int_eq(evote_merkle_verify_consistency(5, 5, V.root[5], V.root[4], NULL, 0),
                     EVOTE_ERR_PROOF_MERKLE);
    memcpy(proof[0], V.root[5], 32);
    ck_assert_int_eq(evote_merkle_verify_consistency(5, 5, V.root[5], V.root[5], proof, 1),
                     EVOTE_ERR_PROOF_MERKLE);
    /* Proper sizes with an empty proof (RFC step 1). */
    ck_assert_int_eq(evote_merkle_verify_consistency(4, 8, V.root[4], V.root[8], NULL, 0),
                     EVOTE_ERR_PROOF_MERKLE);
    /* Bad requests. */
    ck_assert_int_eq(evote_merkle_tree_consistency_proof(t, 6, 5, proof, 64, &len),
                     EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_tree_consistency_proof(t, 1, n + 1, proof, 64, &len),
                     EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_tree_consistency_proof(t, 3, n, proof, 1, &len),
                     EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_tree_inclusion_proof(t, n, n, proof, 64, &len),
                     EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_tree_inclusion_proof(t, 0, n + 1, proof, 64, &len),
                     EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_tree_inclusion_proof(t, 0, n, proof, 1, &len),
                     EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_verify_inclusion(V.root[0], 0, 0, NULL, 0, V.root[0]),
                     EVOTE_ERR_PROOF_MERKLE);
    ck_assert_int_eq(evote_merkle_verify_consistency(1, 2, V.root[1], V.root[2], proof,
                                                     EVOTE_MERKLE_PROOF_MAX + 1),
                     EVOTE_ERR_PROOF_MERKLE);
    evote_merkle_tree_free(t);
}
END_TEST

START_TEST(test_frontier_encoding) {
    evote_merkle_frontier_t f, g;
    uint8_t enc[EVOTE_MERKLE_FRONTIER_ENC_MAX + 1], leaf[32], r1[32], r2[32];
    size_t len;
    evote_merkle_frontier_init(&f);
    for (unsigned i = 0; i < 70; i++) {
        ck_assert_int_eq(evote_merkle_frontier_encode(&f, enc, sizeof(enc), &len), EVOTE_OK);
        ck_assert_uint_eq(len, 9 + 32 * (size_t)__builtin_popcountll(f.size));
        ck_assert_int_eq(enc[0], 1);
        ck_assert_uint_eq(evote_get_u64be(enc + 1), f.size);
        ck_assert_int_eq(evote_merkle_frontier_decode(&g, enc, len), EVOTE_OK);
        ck_assert_mem_eq(&f, &g, sizeof(f));
        ck_assert_int_eq(evote_merkle_frontier_root(&g, r2), EVOTE_OK);
        ck_assert_int_eq(evote_merkle_frontier_root(&f, r1), EVOTE_OK);
        ck_assert_mem_eq(r1, r2, 32);
        /* Truncated by one, one byte extra, other version: all refused
         * and the output reset. */
        ck_assert_int_eq(evote_merkle_frontier_decode(&g, enc, len - 1), EVOTE_ERR_TRUNCATED);
        ck_assert_uint_eq(g.size, 0);
        enc[len] = 0;
        ck_assert_int_eq(evote_merkle_frontier_decode(&g, enc, len + 1), EVOTE_ERR_FORMAT);
        enc[0] = 2;
        ck_assert_int_eq(evote_merkle_frontier_decode(&g, enc, len), EVOTE_ERR_VERSION);
        ck_assert_int_eq(evote_merkle_frontier_encode(&f, enc, len - 1, &len), EVOTE_ERR_ARG);
        memset(leaf, (int)i, 32);
        ck_assert_int_eq(evote_merkle_frontier_append(&f, leaf), EVOTE_OK);
    }
    /* Size above the maximum. */
    memset(enc, 0, sizeof(enc));
    enc[0] = 1;
    evote_put_u64be(enc + 1, EVOTE_MERKLE_SIZE_MAX + 1);
    ck_assert_int_eq(evote_merkle_frontier_decode(&g, enc, 9 + 64), EVOTE_ERR_FORMAT);
    ck_assert_int_eq(evote_merkle_frontier_decode(&g, enc, 0), EVOTE_ERR_TRUNCATED);
}
END_TEST

START_TEST(test_frontier_full) {
    evote_merkle_frontier_t f, before;
    uint8_t leaf[32] = {0};
    evote_merkle_frontier_init(&f);
    f.size = EVOTE_MERKLE_SIZE_MAX;
    memset(f.hash[0], 0xab, 32);
    before = f;
    ck_assert_int_eq(evote_merkle_frontier_append(&f, leaf), EVOTE_ERR_TOO_LARGE);
    ck_assert_mem_eq(&f, &before, sizeof(f));
}
END_TEST

/* Frontier and tree agree far beyond the vectors; every proof the tree
 * produces verifies, and a proof against the wrong root does not. */
START_TEST(test_large_cross_check) {
    const uint64_t n = evt_quick() ? 300 : 3000;
    evote_merkle_frontier_t f;
    evote_merkle_tree_t *t = NULL;
    uint8_t (*roots)[32] = calloc(n + 1, 32);
    uint8_t proof[EVOTE_MERKLE_PROOF_MAX][32], r[32];
    size_t len;
    ck_assert_ptr_nonnull(roots);
    evote_merkle_frontier_init(&f);
    ck_assert_int_eq(evote_merkle_tree_new(&t), EVOTE_OK);
    for (uint64_t i = 0; i < n; i++) {
        uint8_t d[8], h[32];
        evote_put_u64be(d, i * 2654435761u);
        ck_assert_int_eq(evote_merkle_frontier_root(&f, roots[i]), EVOTE_OK);
        ck_assert_int_eq(evote_merkle_leaf_hash(d, sizeof(d), h), EVOTE_OK);
        ck_assert_int_eq(evote_merkle_frontier_append(&f, h), EVOTE_OK);
        ck_assert_int_eq(evote_merkle_tree_append(t, h), EVOTE_OK);
    }
    ck_assert_int_eq(evote_merkle_frontier_root(&f, roots[n]), EVOTE_OK);
    ck_assert_uint_eq(evote_merkle_tree_size(t), n);
    for (uint64_t s = 0; s <= n; s += (s < 70 ? 1 : 37)) {
        ck_assert_int_eq(evote_merkle_tree_root(t, s, r), EVOTE_OK);
        ck_assert_mem_eq(r, roots[s], 32);
    }
    for (uint64_t k = 1; k < n; k = k * 3 + 1) {
        uint64_t second = n - (k % 7);
        uint64_t first = k < second ? k : second / 2 + 1;
        ck_assert_int_eq(evote_merkle_tree_consistency_proof(t, first, second, proof, 64, &len),
                         EVOTE_OK);
        ck_assert_int_eq(evote_merkle_verify_consistency(first, second, roots[first],
                                                         roots[second], proof, len),
                         EVOTE_OK);
        ck_assert_int_eq(evote_merkle_verify_consistency(first, second, roots[first],
                                                         roots[second - 1], proof, len),
                         EVOTE_ERR_PROOF_MERKLE);
        uint64_t idx = (k * 7919) % second;
        ck_assert_int_eq(evote_merkle_tree_inclusion_proof(t, idx, second, proof, 64, &len),
                         EVOTE_OK);
        ck_assert_int_eq(evote_merkle_verify_inclusion(evote_merkle_tree_leaf(t, idx), idx,
                                                       second, proof, len, roots[second]),
                         EVOTE_OK);
        ck_assert_int_eq(evote_merkle_verify_inclusion(evote_merkle_tree_leaf(t, idx), idx,
                                                       second, proof, len, roots[second - 1]),
                         EVOTE_ERR_PROOF_MERKLE);
    }
    evote_merkle_tree_free(t);
    free(roots);
}
END_TEST

START_TEST(test_null_arguments) {
    uint8_t h[32] = {0};
    size_t len;
    ck_assert_int_eq(evote_merkle_node_hash(NULL, h, h), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_frontier_append(NULL, h), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_frontier_root(NULL, h), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_frontier_encode(NULL, h, 32, &len), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_frontier_decode(NULL, h, 32), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_tree_new(NULL), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_tree_append(NULL, h), EVOTE_ERR_ARG);
    ck_assert_ptr_null(evote_merkle_tree_leaf(NULL, 0));
    ck_assert_int_eq(evote_merkle_verify_inclusion(NULL, 0, 1, NULL, 0, h), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_merkle_verify_consistency(1, 2, h, NULL, NULL, 0), EVOTE_ERR_ARG);
    evote_merkle_tree_free(NULL);
    evote_merkle_frontier_init(NULL);
}
END_TEST

int main(void) {
    Suite *s = suite_create("merkle");
    TCase *tc = tcase_create("rfc9162");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_empty_root);
    tcase_add_test(tc, test_leaf_and_node_prefixes);
    tcase_add_test(tc, test_vector_roots_frontier_and_tree);
    tcase_add_test(tc, test_vector_inclusion);
    tcase_add_test(tc, test_vector_inclusion_tampered);
    tcase_add_test(tc, test_vector_consistency);
    tcase_add_test(tc, test_vector_consistency_tampered);
    tcase_add_test(tc, test_consistency_edge_cases);
    tcase_add_test(tc, test_frontier_encoding);
    tcase_add_test(tc, test_frontier_full);
    tcase_add_test(tc, test_large_cross_check);
    tcase_add_test(tc, test_null_arguments);
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
