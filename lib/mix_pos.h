/* libevote — Terelius–Wikström proof of shuffle of one mix party (internal). */
#ifndef EVOTE_MIX_POS_H
#define EVOTE_MIX_POS_H

#include "mix_internal.h"

/* Ciphertext list, transposed as in the byte tree: a_i = C1, b_i = C2. */
typedef struct {
    size_t n;
    mix_pt *a, *b;
} mix_ctl;

/* What the proof speaks about. */
typedef struct {
    const uint8_t *rho; /* global prefix, 32 bytes */
    uint32_t ebitlen, vbitlen;
    size_t n;
    const mix_pt *h; /* n independent generators */
    mix_pt pk;       /* Y (the key is node(G, Y)) */
    const mix_ctl *w;
    mix_ctl *wp; /* output (written by the prover) */
    unsigned threads;
    mix_progress *prog; /* may be NULL */
    double p0, p1;      /* progress range of this proof */
} mix_stmt;

typedef struct {
    mix_pt *B, *Bp; /* n each */
    mix_pt Ap, Cp, Dp, Fpa, Fpb;
} mix_commit;

typedef struct {
    mix_sc kA, kC, kD, kF;
    mix_sc *kB, *kE; /* n each */
} mix_reply;

evote_err_t mix_ctl_alloc(mix_ctl *c, size_t n);
void mix_ctl_free(mix_ctl *c);
evote_err_t mix_commit_alloc(mix_commit *c, size_t n);
void mix_commit_free(mix_commit *c);
evote_err_t mix_reply_alloc(mix_reply *r, size_t n);
void mix_reply_free(mix_reply *r);

/* Uniform secret scalars in [1, n−1] from the DRBG. */
evote_err_t mix_random_scalars(mix_sc *out, size_t n);

/* Uniformly random permutation of [0, n) from the DRBG (Fisher–Yates). */
evote_err_t mix_random_permutation(uint32_t *perm, size_t n);

/*
 * Shuffle st->w into st->wp (output j = re-encryption of input phi[j] with
 * randomness s[j]) and prove it. phi_commit is the permutation the proof
 * commits to: NULL (= phi) for an honest proof; tests pass another one.
 */
evote_err_t mix_pos_prove(const mix_stmt *st, const uint32_t *phi, const mix_sc *s,
                          const uint32_t *phi_commit, mix_pt *u, mix_commit *c,
                          mix_reply *r);

/*
 * Verify; EVOTE_ERR_SHUFFLE_PROOF with *failed_check naming the equation
 * ("PoS.A" … "PoS.F") when it does not hold.
 */
evote_err_t mix_pos_verify(const mix_stmt *st, const mix_pt *u, const mix_commit *c,
                           const mix_reply *r, const char **failed_check);

/*
 * Where a serialiser writes: the buffer b and, if f is not NULL, the file
 * it is moved to whenever it holds MIX_OUT_CHUNK bytes or more, so that a
 * proof file is never whole in memory (mix_out_flush(o, true) at the end;
 * then evote_afile_commit).
 */
#define MIX_OUT_CHUNK (1u << 20)
typedef struct {
    evote_buf_t b;
    evote_afile_t *f;
} mix_out;
evote_err_t mix_out_flush(mix_out *o, bool all);

/* Byte-tree files of one party. */
evote_err_t mix_ctl_parse(const uint8_t *data, size_t len, mix_ctl *out);
evote_err_t mix_ctl_serialize(const mix_ctl *c, mix_out *o);
evote_err_t mix_commit_parse(const uint8_t *data, size_t len, size_t n, mix_commit *c);
evote_err_t mix_commit_serialize(const mix_commit *c, size_t n, mix_out *o);
evote_err_t mix_reply_parse(const uint8_t *data, size_t len, size_t n, mix_reply *r);
evote_err_t mix_reply_serialize(const mix_reply *r, size_t n, mix_out *o);
evote_err_t mix_points_parse(const uint8_t *data, size_t len, size_t n, mix_pt *out);
evote_err_t mix_points_serialize(const mix_pt *p, size_t n, mix_out *o);

/*
 * Shuffle w as party `party` and write its proof into the chain directory
 * (lib/mix.c). phi_commit_override: see mix_pos_prove (tests only).
 */
evote_err_t mix_run_party(const evote_mix_params_t *params, const uint8_t pk[EVOTE_POINT_LEN],
                          const mix_ctl *w, unsigned party, const char *dir,
                          const evote_mix_opts_t *opts, const uint32_t *phi_commit_override);

#endif
