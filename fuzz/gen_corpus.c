/*
 * Write the seed corpora that need the library to make (fuzz/make-corpus.sh
 * runs this; its output is committed under fuzz/corpus/). Everything is
 * made for the fixed manifest and key the harnesses use (fuzz_common.c),
 * with the secret key 2 where a secret is needed — these are test inputs,
 * not election data.
 *
 *   fuzz_gen_corpus OUTDIR      (OUTDIR/<harness>/ must exist)
 */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "mix_internal.h"
#include "mix_pos.h"

#define OK(x)                                                                      \
    do {                                                                           \
        evote_err_t e_ = (x);                                                      \
        if (e_ != EVOTE_OK) {                                                      \
            fprintf(stderr, "%s:%d: %s: %s (%s)\n", __FILE__, __LINE__, #x,        \
                    evote_strerror(e_), evote_err_detail());                       \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

static const char *outdir;

static void put(const char *sub, const char *name, const void *d, size_t n) {
    char path[512];
    snprintf(path, sizeof(path), "%s/%s/%s", outdir, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* prefix ‖ file bytes (harnesses that take a selector byte first). */
static void put_file(const char *sub, const char *name, const uint8_t *prefix, size_t plen,
                     const char *path) {
    uint8_t *d = NULL;
    size_t n = 0;
    OK(evote_read_file(path, 1 << 24, &d, &n));
    uint8_t *b = malloc(plen + n + 1);
    memcpy(b, prefix, plen);
    memcpy(b + plen, d, n);
    put(sub, name, b, plen + n);
    free(b);
    free(d);
}

/* x(2·P): the software "token" for the key 2. */
static evote_err_t derive2(void *ctx, const uint8_t point[EVOTE_POINT_LEN], uint8_t x_out[32]) {
    (void)ctx;
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *p = EC_POINT_new(g);
    BIGNUM *k = BN_new(), *x = BN_new();
    BN_set_word(k, 2);
    int ok = EC_POINT_oct2point(g, p, point, EVOTE_POINT_LEN, NULL) == 1 &&
             EC_POINT_mul(g, p, NULL, p, k, NULL) == 1 &&
             EC_POINT_get_affine_coordinates(g, p, x, NULL, NULL) == 1 &&
             BN_bn2binpad(x, x_out, 32) == 32;
    BN_free(k);
    BN_free(x);
    EC_POINT_free(p);
    EC_GROUP_free(g);
    return ok ? EVOTE_OK : EVOTE_ERR_CRYPTO;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    const evote_manifest_t *m = fuzz_manifest();
    const uint8_t *mh = evote_manifest_hash(m);
    const uint8_t *pk = fuzz_pubkey();
    char tmp[] = "/tmp/evote-gen-XXXXXX", path[600];
    if (!mkdtemp(tmp))
        return 1;

    /* ballots, ciphertext lists, byte trees */
    enum { N = 3 };
    evote_ct_t cts[N];
    for (int i = 0; i < N; i++) {
        evote_ballot_t b;
        uint8_t enc[EVOTE_BALLOT_MAX];
        size_t len;
        const char *contest = i == 2 ? "proportional-tokyo" : "district-tokyo-1";
        OK(evote_ballot_encrypt(&b, m, contest, pk, (uint32_t)i));
        OK(evote_ballot_encode(&b, enc, sizeof(enc), &len));
        char name[32];
        snprintf(name, sizeof(name), "ballot-%d", i);
        put("ballot", name, enc, len);
        memcpy(cts[i].c1, b.c1, EVOTE_POINT_LEN);
        memcpy(cts[i].c2, b.c2, EVOTE_POINT_LEN);
    }
    evote_buf_t bt = {0};
    OK(evote_ctlist_serialize(cts, N, &bt));
    put("ctlist", "list-3", bt.data, bt.len);
    put("bytetree", "ctlist-3", bt.data, bt.len);
    evote_buf_free(&bt);
    OK(evote_ctlist_serialize(cts, 1, &bt));
    put("ctlist", "list-1", bt.data, bt.len);
    evote_buf_free(&bt);
    OK(evote_bt_put_point(&bt, pk));
    put("bytetree", "point", bt.data, bt.len);
    evote_buf_free(&bt);
    OK(evote_bt_put_node(&bt, 3));
    OK(evote_bt_put_leaf(&bt, "", 0));
    OK(evote_bt_put_node(&bt, 0));
    OK(evote_bt_put_node(&bt, 1));
    OK(evote_bt_put_leaf(&bt, "abc", 3));
    put("bytetree", "nested", bt.data, bt.len);
    evote_buf_free(&bt);

    /* plaintext list: selections 0 and 3, one invalid */
    evote_plaintexts_t *pl = NULL;
    uint8_t lh[32] = {0x11}, pt[EVOTE_POINT_LEN];
    OK(evote_plaintexts_new(&pl, 3, mh, "district-tokyo-1", lh));
    OK(evote_selection_encode(0, pt));
    OK(evote_plaintexts_set(pl, 0, pt));
    OK(evote_plaintexts_set(pl, 1, NULL));
    OK(evote_selection_encode(3, pt));
    OK(evote_plaintexts_set(pl, 2, pt));
    uint8_t *ser;
    size_t slen;
    OK(evote_plaintexts_serialize(pl, &ser, &slen));
    put("plaintexts", "three", ser, slen);
    free(ser);
    evote_plaintexts_free(pl);

    /* Merkle: frontiers, honest proofs, tree builder */
    {
        evote_merkle_tree_t *t;
        evote_merkle_frontier_t f;
        OK(evote_merkle_tree_new(&t));
        evote_merkle_frontier_init(&f);
        for (int i = 0; i < 13; i++) {
            uint8_t h[32];
            OK(evote_merkle_leaf_hash((const uint8_t *)&i, sizeof(i), h));
            OK(evote_merkle_tree_append(t, h));
            OK(evote_merkle_frontier_append(&f, h));
            if (i == 0 || i == 4 || i == 12) {
                uint8_t enc[1 + EVOTE_MERKLE_FRONTIER_ENC_MAX];
                size_t len;
                enc[0] = 0;
                OK(evote_merkle_frontier_encode(&f, enc + 1, sizeof(enc) - 1, &len));
                char name[32];
                snprintf(name, sizeof(name), "frontier-%d", i + 1);
                put("merkle", name, enc, len + 1);
            }
        }
        /* inclusion: 1 ‖ u64 index ‖ u64 size ‖ leaf ‖ root ‖ proof */
        uint8_t buf[1 + 16 + 64 + 32 * EVOTE_MERKLE_PROOF_MAX], proof[EVOTE_MERKLE_PROOF_MAX][32];
        size_t plen;
        uint64_t idx = 5, size = 13, first = 6;
        memset(buf, 0, sizeof(buf));
        buf[0] = 1;
        for (int i = 0; i < 8; i++) {
            buf[1 + i] = (uint8_t)(idx >> (56 - 8 * i));
            buf[9 + i] = (uint8_t)(size >> (56 - 8 * i));
        }
        memcpy(buf + 17, evote_merkle_tree_leaf(t, idx), 32);
        OK(evote_merkle_tree_root(t, size, buf + 49));
        OK(evote_merkle_tree_inclusion_proof(t, idx, size, proof, EVOTE_MERKLE_PROOF_MAX, &plen));
        memcpy(buf + 81, proof, plen * 32);
        OK(evote_merkle_verify_inclusion(buf + 17, idx, size, (const uint8_t(*)[32])proof, plen,
                                         buf + 49));
        put("merkle", "inclusion", buf, 81 + plen * 32);
        buf[0] = 2;
        for (int i = 0; i < 8; i++)
            buf[1 + i] = (uint8_t)(first >> (56 - 8 * i));
        OK(evote_merkle_tree_root(t, first, buf + 17));
        OK(evote_merkle_tree_root(t, size, buf + 49));
        OK(evote_merkle_tree_consistency_proof(t, first, size, proof, EVOTE_MERKLE_PROOF_MAX,
                                               &plen));
        memcpy(buf + 81, proof, plen * 32);
        put("merkle", "consistency", buf, 81 + plen * 32);
        static const uint8_t honest[] = {3, 13, 5, 6, 'x', 'y'};
        put("merkle", "honest", honest, sizeof(honest));
        evote_merkle_tree_free(t);
    }

    /* protInfo.xml */
    {
        evote_mix_params_t *p;
        OK(evote_mix_params_new(&p, evote_manifest_election_id(m), "district-tokyo-1", 3));
        snprintf(path, sizeof(path), "%s/protInfo.xml", tmp);
        OK(evote_mix_params_write(p, path));
        put_file("protinfo", "libevote-3", NULL, 0, path);
        evote_mix_params_free(p);
    }

    /* mix proof files: ctlist, points, commitment, reply (width 2) */
    {
        mix_pt pts[4];
        for (int i = 0; i < 4; i++)
            OK(mix_pt_from_compressed(&pts[i], i < N ? cts[i].c1 : pk));
        uint8_t hdr[2] = {0, 1};
        OK(evote_ctlist_serialize(cts, N, &bt));
        uint8_t *b = malloc(bt.len + 2);
        memcpy(b, hdr, 2);
        memcpy(b + 2, bt.data, bt.len);
        put("mixproof", "ctlist", b, bt.len + 2);
        free(b);
        evote_buf_free(&bt);

        /* the chain files' fixed layout (docs/PROTOCOL.md §14.8), N = 2 */
        OK(evote_bt_put_node(&bt, 2));
        OK(mix_put_point(&bt, &pts[0]));
        OK(mix_put_point(&bt, &pts[1]));
        b = malloc(bt.len + 2);
        b[0] = 1;
        b[1] = 1;
        memcpy(b + 2, bt.data, bt.len);
        put("mixproof", "points-2", b, bt.len + 2);
        free(b);
        evote_buf_free(&bt);

        /* node(node(B), A', node(B'), C', D', node(F'a, F'b)) */
        OK(evote_bt_put_node(&bt, 6));
        OK(evote_bt_put_node(&bt, 2));
        OK(mix_put_point(&bt, &pts[0]));
        OK(mix_put_point(&bt, &pts[1]));
        OK(mix_put_point(&bt, &pts[0]));
        OK(evote_bt_put_node(&bt, 2));
        OK(mix_put_point(&bt, &pts[2]));
        OK(mix_put_point(&bt, &pts[3]));
        OK(mix_put_point(&bt, &pts[1]));
        OK(mix_put_point(&bt, &pts[2]));
        OK(evote_bt_put_node(&bt, 2));
        OK(mix_put_point(&bt, &pts[3]));
        OK(mix_put_point(&bt, &pts[0]));
        b = malloc(bt.len + 2);
        b[0] = 2;
        b[1] = 1;
        memcpy(b + 2, bt.data, bt.len);
        put("mixproof", "commit-2", b, bt.len + 2);
        free(b);
        evote_buf_free(&bt);

        /* node(k_A, node(k_B), k_C, k_D, node(k_E), k_F) */
        mix_sc k1, k7;
        for (int i = 0; i < 32; i++) {
            k1.b[i] = (uint8_t)i;
            k7.b[i] = (uint8_t)(i * 7);
        }
        OK(evote_bt_put_node(&bt, 6));
        OK(mix_put_scalar(&bt, &k1));
        OK(evote_bt_put_node(&bt, 2));
        OK(mix_put_scalar(&bt, &k7));
        OK(mix_put_scalar(&bt, &k7));
        OK(mix_put_scalar(&bt, &k1));
        OK(mix_put_scalar(&bt, &k1));
        OK(evote_bt_put_node(&bt, 2));
        OK(mix_put_scalar(&bt, &k7));
        OK(mix_put_scalar(&bt, &k7));
        OK(mix_put_scalar(&bt, &k1));
        b = malloc(bt.len + 2);
        b[0] = 3;
        b[1] = 1;
        memcpy(b + 2, bt.data, bt.len);
        put("mixproof", "reply-2", b, bt.len + 2);
        free(b);
        evote_buf_free(&bt);
    }

    /* trustee files: one trustee with secret 2 (pk = 2·G) */
    {
        uint8_t commit[32], sel;
        evote_trustee_share_t share;
        memset(&share, 0, sizeof(share));
        strcpy(share.id, "trustee-1");
        memcpy(share.pk, pk, EVOTE_POINT_LEN);
        OK(evote_trustee_commitment(commit, mh, "trustee-1", pk));
        memcpy(share.commitment, commit, 32);

        snprintf(path, sizeof(path), "%s/commit.json", tmp);
        OK(evote_trustee_commitment_write(path, mh, "trustee-1", commit));
        sel = 0;
        put_file("trustee", "commitment", &sel, 1, path);
        snprintf(path, sizeof(path), "%s/key.json", tmp);
        OK(evote_trustee_key_write(path, mh, "trustee-1", pk));
        sel = 1;
        put_file("trustee", "key", &sel, 1, path);
        uint8_t epk[EVOTE_POINT_LEN];
        OK(evote_trustee_combine_keys(epk, m, mh, &share, 1));
        snprintf(path, sizeof(path), "%s/record.json", tmp);
        OK(evote_trustee_record_write(path, mh, &share, 1, epk));
        sel = 2;
        put_file("trustee", "record", &sel, 1, path);

        evote_partial_t *part = NULL;
        evote_partial_opts_t opts;
        memset(&opts, 0, sizeof(opts));
        opts.threads = 1;
        OK(evote_partial_compute(&part, derive2, NULL, mh, "district-tokyo-1", "trustee-1", pk,
                                 lh, cts, 2, &opts));
        snprintf(path, sizeof(path), "%s/partial.bin", tmp);
        OK(evote_partial_write(part, path));
        sel = 3;
        put_file("trustee", "partial", &sel, 1, path);
        evote_decryption_t d;
        OK(evote_decrypt_combine(&d, &share, 1, &part, 1, mh, "district-tokyo-1", 4, lh, cts, 2));
        snprintf(path, sizeof(path), "%s/decryption", tmp);
        OK(evote_decryption_write(&d, path));
        sel = 4;
        put_file("trustee", "decryption", &sel, 1, path);
        evote_decryption_clear(&d);
        evote_partial_free(part);
        snprintf(path, sizeof(path), "%s/key.pem", tmp);
        OK(evote_pubkey_write_pem(path, pk));
        sel = 5;
        put_file("trustee", "pubkey-pem", &sel, 1, path);
    }

    /* decryption authorisation (auth only; make-corpus.sh adds signatures) */
    {
        static const uint8_t list_hash[32] = {1};
        snprintf(path, sizeof(path), "%s/auth.json", tmp);
        OK(evote_approval_write(path, m, "district-tokyo-1", list_hash));
        uint8_t *d = NULL;
        size_t n = 0;
        OK(evote_read_file(path, 1 << 20, &d, &n));
        uint8_t *b = malloc(n + 2);
        b[0] = (uint8_t)(n >> 8);
        b[1] = (uint8_t)n;
        memcpy(b + 2, d, n);
        put("approval", "auth", b, n + 2);
        free(b);
        free(d);
    }

    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        return 1;
    return 0;
}
