/* Ballot box log: frontier appends (what reception pays per ballot inside
 * its transaction) against plain SHA-256 of the same ballots, proof tree
 * build, receipts (inclusion proof + verify) and consistency proofs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "evote/evote.h"

int bench_box(const struct bench_opts *o) {
    size_t n = o->n ? o->n : (o->big ? 1000000 : 200000);
    uint8_t ballot[200], h[32], root[32], proof[EVOTE_MERKLE_PROOF_MAX][32];
    evote_merkle_frontier_t f;
    evote_merkle_tree_t *t = NULL;
    size_t plen;
    double t0, sha_s, app_s, tree_s, incl_s, cons_s;
    memset(ballot, 0x5a, sizeof(ballot));

    t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        memcpy(ballot, &i, sizeof(i));
        if (evote_sha256(ballot, sizeof(ballot), h) != EVOTE_OK)
            return 1;
    }
    sha_s = bench_now() - t0;

    evote_merkle_frontier_init(&f);
    t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        memcpy(ballot, &i, sizeof(i));
        if (evote_merkle_leaf_hash(ballot, sizeof(ballot), h) != EVOTE_OK ||
            evote_merkle_frontier_append(&f, h) != EVOTE_OK)
            return 1;
    }
    if (evote_merkle_frontier_root(&f, root) != EVOTE_OK)
        return 1;
    app_s = bench_now() - t0;

    t0 = bench_now();
    if (evote_merkle_tree_new(&t) != EVOTE_OK)
        return 1;
    for (size_t i = 0; i < n; i++) {
        memcpy(ballot, &i, sizeof(i));
        if (evote_merkle_leaf_hash(ballot, sizeof(ballot), h) != EVOTE_OK ||
            evote_merkle_tree_append(t, h) != EVOTE_OK)
            return 1;
    }
    tree_s = bench_now() - t0;

    size_t reps = 10000;
    t0 = bench_now();
    for (size_t k = 0; k < reps; k++) {
        uint64_t i = (k * 2654435761u) % n;
        if (evote_merkle_tree_inclusion_proof(t, i, n, proof, EVOTE_MERKLE_PROOF_MAX, &plen) !=
                EVOTE_OK ||
            evote_merkle_verify_inclusion(evote_merkle_tree_leaf(t, i), i, n,
                                          (const uint8_t(*)[32])proof, plen, root) != EVOTE_OK)
            return 1;
    }
    incl_s = bench_now() - t0;
    t0 = bench_now();
    for (size_t k = 0; k < reps; k++) {
        uint64_t m = 1 + (k * 2654435761u) % (n - 1);
        uint8_t r1[32];
        if (evote_merkle_tree_root(t, m, r1) != EVOTE_OK ||
            evote_merkle_tree_consistency_proof(t, m, n, proof, EVOTE_MERKLE_PROOF_MAX,
                                                &plen) != EVOTE_OK ||
            evote_merkle_verify_consistency(m, n, r1, root, (const uint8_t(*)[32])proof,
                                            plen) != EVOTE_OK)
            return 1;
    }
    cons_s = bench_now() - t0;

    printf("box: N = %zu ballots of %zu bytes\n", n, sizeof(ballot));
    printf("  plain SHA-256 of each ballot     %10.0f /s\n", n / sha_s);
    printf("  leaf hash + frontier append      %10.0f /s  (%.2f× the plain hash time)\n",
           n / app_s, app_s / sha_s);
    printf("  proof tree build                 %10.0f leaves/s, peak RSS %.0f MiB\n",
           n / tree_s, bench_peak_rss_mib());
    printf("  receipt: inclusion proof+verify  %10.0f /s\n", reps / incl_s);
    printf("  consistency: root+proof+verify   %10.0f /s\n", reps / cons_s);
    evote_merkle_tree_free(t);
    return 0;
}
