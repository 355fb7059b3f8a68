/* libevote — Terelius–Wikström proof of shuffle of one mix party (internal). */
#ifndef EVOTE_MIX_POS_H
#define EVOTE_MIX_POS_H

#include <sys/stat.h>

#include "mix_internal.h"

/*
 * Fixed layout of the chain's byte-tree files: every point node is
 * MIX_PT_BT_LEN = 81 bytes and every scalar leaf 38, so where element i of
 * each array lies follows from N alone (docs/PROTOCOL.md §14.8). This is
 * what lets prover and verifier work a chunk of indices at a time.
 */
#define MIX_SC_BT_LEN 38
#define MIX_NODE_LEN 5
#define U64(x) ((uint64_t)(x))
/* ciphertext list node(node(a_0..), node(b_0..)) */
#define MIX_CTL_A(n) U64(10)
#define MIX_CTL_B(n) (U64(15) + 81 * U64(n))
#define MIX_CTL_SIZE(n) (U64(15) + 162 * U64(n))
/* point list node(p_0..) */
#define MIX_PL_P(n) U64(5)
#define MIX_PL_SIZE(n) (U64(5) + 81 * U64(n))
/* PoSCommitment node(B, A', B', C', D', node(F'a, F'b)) */
#define MIX_PC_B(n) U64(10)
#define MIX_PC_AP(n) (U64(10) + 81 * U64(n))
#define MIX_PC_BP(n) (U64(96) + 81 * U64(n))
#define MIX_PC_CP(n) (U64(96) + 162 * U64(n))
#define MIX_PC_DP(n) (U64(177) + 162 * U64(n))
#define MIX_PC_F(n) (U64(258) + 162 * U64(n))
#define MIX_PC_SIZE(n) (U64(425) + 162 * U64(n))
/* PoSReply node(k_A, k_B, k_C, k_D, k_E, k_F) */
#define MIX_PR_KA(n) U64(5)
#define MIX_PR_KB(n) U64(48)
#define MIX_PR_KC(n) (U64(48) + 38 * U64(n))
#define MIX_PR_KD(n) (U64(86) + 38 * U64(n))
#define MIX_PR_KE(n) (U64(129) + 38 * U64(n))
#define MIX_PR_KF(n) (U64(129) + 76 * U64(n))
#define MIX_PR_SIZE(n) (U64(167) + 76 * U64(n))

/* Default number of indices held in memory at a time. */
#define MIX_CHUNK_DEFAULT ((size_t)1 << 16)

/* A chain file open for reading (or the temporary file of one being
 * written). name is what messages call it. */
typedef struct {
    int fd;
    bool own; /* close in mix_fin_close */
    const char *name;
    uint64_t size;
    struct stat st; /* at open: mix_fin_unchanged refuses a file changed since */
} mix_fin;
evote_err_t mix_fin_open(mix_fin *f, const char *path, const char *name);
evote_err_t mix_fin_of_fd(mix_fin *f, int fd, const char *name); /* fd stays the caller's */
void mix_fin_close(mix_fin *f);
evote_err_t mix_fin_unchanged(const mix_fin *f);
evote_err_t mix_fin_read(const mix_fin *f, uint64_t off, void *buf, size_t len);
/* Elements [i0, i0 + m) of the array whose element 0 is at off, parsed and
 * validated ("element i: …" on error). */
evote_err_t mix_fin_points(const mix_fin *f, uint64_t off, size_t i0, size_t m, mix_pt *out);
evote_err_t mix_fin_scalars(const mix_fin *f, uint64_t off, size_t i0, size_t m, mix_sc *out);

/* Points wanted at (or written to) scattered indices: sorted by idx, pos
 * says where in the caller's array each one goes (or comes from). One read
 * or write per span of indices, not one per point. */
typedef struct {
    uint32_t idx, pos;
} mix_pair;
void mix_pairs_sort(mix_pair *p, size_t m);
evote_err_t mix_fin_gather(const mix_fin *f, uint64_t off, const mix_pair *p, size_t m,
                           mix_pt *out);
evote_err_t mix_afile_scatter(evote_afile_t *af, uint64_t off, const mix_pair *p, size_t m,
                              const mix_pt *in);

/* What a whole file must hold, item by item, for mix_fin_walk. */
enum { MIX_BT_NODE, MIX_BT_POINTS, MIX_BT_SCALARS };
typedef struct {
    int kind;
    uint32_t count; /* children of the node, or elements */
    void *keep;     /* for 1 element: mix_pt * / mix_sc * to store it in; else NULL */
    const char *what; /* for messages */
} mix_bt_item;
/* Read the file front to back, check it is exactly the items (every point
 * on the curve, every scalar below the order, nothing after), and feed its
 * bytes to ro when not NULL. */
evote_err_t mix_fin_walk(const mix_fin *f, const mix_bt_item *it, size_t nit, mix_ro *ro);
evote_err_t mix_fin_walk_ctl(const mix_fin *f, size_t n, mix_ro *ro);
evote_err_t mix_fin_walk_plist(const mix_fin *f, size_t n, mix_ro *ro);
/* The single points / scalars are stored where the pointers say. */
evote_err_t mix_fin_walk_commit(const mix_fin *f, size_t n, mix_ro *ro, mix_pt *Ap, mix_pt *Cp,
                                mix_pt *Dp, mix_pt *Fpa, mix_pt *Fpb);
evote_err_t mix_fin_walk_reply(const mix_fin *f, size_t n, mix_ro *ro, mix_sc *kA, mix_sc *kC,
                               mix_sc *kD, mix_sc *kF);
/* Number of ciphertexts a list file announces (its second node header). */
evote_err_t mix_fin_ctl_n(const mix_fin *f, size_t *n);

/* The prover's secret scalars, drawn as a keyed stream so that each can be
 * made again when needed instead of being held for all N: scalar i of
 * stream `label` from AES-256-CTR under a key from the DRBG
 * (docs/PROTOCOL.md §14.4). The key is wiped by mix_sk_wipe. */
typedef struct {
    uint8_t key[32];
} mix_sk;
evote_err_t mix_sk_init(mix_sk *k);
void mix_sk_wipe(mix_sk *k);
evote_err_t mix_sk_scalars(const mix_sk *k, uint32_t label, size_t i0, size_t m, mix_sc *out);

/* What the proof speaks about. The lists and the proof live in files of
 * the fixed layout below; prover and verifier hold `chunk` indices at a
 * time (docs/PROTOCOL.md §14.8). */
typedef struct {
    const uint8_t *rho; /* global prefix, 32 bytes */
    uint32_t ebitlen, vbitlen, statdist;
    size_t n, chunk; /* chunk 0: MIX_CHUNK_DEFAULT */
    mix_pt pk;       /* Y (the key is node(G, Y)) */
    const mix_fin *w; /* input list, validated */
    unsigned threads;
    mix_progress *prog; /* may be NULL */
    double p0, p1;      /* progress range of this proof */
} mix_stmt;

/* Uniform secret scalars in [1, n−1] from the DRBG. */
evote_err_t mix_random_scalars(mix_sc *out, size_t n);

/* Uniformly random permutation of [0, n) from the DRBG (Fisher–Yates). */
evote_err_t mix_random_permutation(uint32_t *perm, size_t n);

/* The files of one party's proof: read by the verifier ... */
typedef struct {
    const mix_fin *u, *wp, *pc, *pr; /* PermutationCommitment, output, PoSCommitment, PoSReply */
} mix_pfiles;
/* ... and written by the prover (wp2: the same bytes as wp). */
typedef struct {
    evote_afile_t *u, *wp, *wp2, *pc, *pr;
} mix_pout;

/*
 * Shuffle st->w into o->wp (output j = re-encryption of input phi[j]) and
 * write the proof into the other files of o. phi_commit is the permutation
 * the proof commits to: NULL (= phi) for an honest proof; tests pass
 * another one.
 */
evote_err_t mix_pos_prove(const mix_stmt *st, const uint32_t *phi, const uint32_t *phi_commit,
                          const mix_pout *o);

/*
 * Verify. A file that does not parse gives its own error with *failed_file
 * naming it and *failed_check "file"; an equation that does not hold gives
 * EVOTE_ERR_SHUFFLE_PROOF with *failed_check "PoS.A" … "PoS.F".
 */
evote_err_t mix_pos_verify(const mix_stmt *st, const mix_pfiles *pf, const char **failed_check,
                           const mix_fin **failed_file);

/*
 * Run party `party` on the list `in` (n ciphertexts) or the file in_path
 * (lib/mix.c; evote_mix_run and evote_mix_run_file). phi_commit_override:
 * see mix_pos_prove (tests only).
 */
evote_err_t mix_run_common(const evote_mix_params_t *params, const uint8_t pk[EVOTE_POINT_LEN],
                           const evote_ct_t *in, size_t n, const char *in_path, unsigned party,
                           const char *dir, const evote_mix_opts_t *opts,
                           const uint32_t *phi_commit_override);

#endif
