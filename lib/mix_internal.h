/*
 * libevote — mix-net internals shared by lib/mix*.c (not installed).
 *
 * Points inside the mix code are kept as affine (x, y) pairs of 32-byte
 * big-endian coordinates (mix_pt): that is what Verificatum's byte trees
 * carry, it costs no square root to load, and 64 bytes per point keeps a
 * million-ballot proof well inside memory. EC_POINTs are made only for the
 * chunk being computed.
 */
#ifndef EVOTE_MIX_INTERNAL_H
#define EVOTE_MIX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "evote/bytetree.h"
#include "evote/mix.h"
#include "internal.h"
#include "mix_fp.h"

typedef struct {
    uint8_t x[32], y[32];
} mix_pt;

/* Scalars mod n, 32 bytes big-endian. */
typedef struct {
    uint8_t b[32];
} mix_sc;

/* ---- protInfo subset ------------------------------------------------- */
struct evote_mix_params {
    char version[16];
    char sid[1025];
    uint32_t statdist, vbitlenro, ebitlenro;
    uint32_t nopart, thres, width, keywidth;
};

/* ---- PRG and random oracle (VERIFICATUM.md "Hashes, PRG, random oracle") */
typedef struct {
    uint8_t seed[32];
    uint32_t ctr;
    uint8_t buf[32];
    size_t pos;      /* next unread byte of buf; 32 = empty */
    EVP_MD_CTX *md;  /* reused across blocks (NULL until the first) */
} mix_prg;

void mix_prg_init(mix_prg *g, const uint8_t seed[32]);
evote_err_t mix_prg_bytes(mix_prg *g, uint8_t *out, size_t len);
/* Continue from byte off of the stream (random access: block k is
 * SHA-256(seed ‖ k)). */
evote_err_t mix_prg_seek(mix_prg *g, uint64_t off);
void mix_prg_free(mix_prg *g);

/* RO_nbits(ρ ‖ data): start, feed the data, finish into out (⌈nbits/8⌉ bytes). */
typedef struct {
    EVP_MD_CTX *md;
    uint32_t nbits;
} mix_ro;
evote_err_t mix_ro_begin(mix_ro *ro, uint32_t nbits, const uint8_t rho[32]);
evote_err_t mix_ro_update(mix_ro *ro, const void *data, size_t len);
evote_err_t mix_ro_final(mix_ro *ro, uint8_t *out);
void mix_ro_abort(mix_ro *ro);

/* Byte-tree framing into a running hash. */
evote_err_t mix_ro_node(mix_ro *ro, uint32_t n);
evote_err_t mix_ro_leaf(mix_ro *ro, const void *data, uint32_t len);
evote_err_t mix_ro_point(mix_ro *ro, const mix_pt *p);

/* ---- points ------------------------------------------------------------ */
/* Byte-tree point node(leaf x, leaf y) → mix_pt, validated on the curve. */
evote_err_t mix_read_point(evote_bt_reader_t *r, mix_pt *out, EC_POINT *tmp, BN_CTX *bn);
evote_err_t mix_read_points(evote_bt_reader_t *r, mix_pt *out, size_t n);
evote_err_t mix_read_scalar(evote_bt_reader_t *r, mix_sc *out);
evote_err_t mix_put_point(evote_buf_t *b, const mix_pt *p);
evote_err_t mix_put_scalar(evote_buf_t *b, const mix_sc *s);
#define MIX_PT_BT_LEN 81
void mix_point_bytes(uint8_t out[MIX_PT_BT_LEN], const mix_pt *p); /* its byte-tree bytes */

evote_err_t mix_pt_to_ec(EC_POINT *out, const mix_pt *p, BN_CTX *bn);
evote_err_t mix_ec_to_pt(mix_pt *out, const EC_POINT *p, BN_CTX *bn);
/* Only for points validated before (parsed or computed): no curve check. */
evote_err_t mix_pt_to_ec_trusted(EC_POINT *out, const mix_pt *p, BIGNUM *x, BIGNUM *y,
                                 BN_CTX *bn);
evote_err_t mix_pt_from_compressed(mix_pt *out, const uint8_t in[EVOTE_POINT_LEN]);
evote_err_t mix_pt_to_compressed(uint8_t out[EVOTE_POINT_LEN], const mix_pt *p);
bool mix_pt_eq(const mix_pt *a, const mix_pt *b);
void mix_generator(mix_pt *g);

/* ---- parallel arithmetic ----------------------------------------------- */
unsigned mix_threads(unsigned requested);

/* Σ k_i·P_i over n points (scalars < 2^256, may be NULL for all-ones), by
 * Pippenger's bucket method (lib/mix_msm.c). Not constant time. */
evote_err_t mix_msm(EC_POINT *out, const mix_pt *pts, size_t stride, const mix_sc *k,
                    size_t n, unsigned threads);
/* The same through OpenSSL's EC_POINTs_mul (reference for tests, bench). */
evote_err_t mix_msm_ossl(EC_POINT *out, const mix_pt *pts, size_t stride, const mix_sc *k,
                         size_t n, unsigned threads);

/* ---- own P-256 point arithmetic (lib/mix_msm.c; public data, not
 * constant time) -------------------------------------------------------- */
typedef struct {
    fe x, y; /* affine, Montgomery form, never infinity */
} mix_ap;
typedef struct {
    fe X, Y, Z; /* Jacobian, Montgomery form; Z = 0 is the point at infinity */
} mix_jp;
void mix_jp_set_inf(mix_jp *r);
bool mix_jp_is_inf(const mix_jp *p);
void mix_jp_dbl(mix_jp *r, const mix_jp *p);
void mix_jp_add(mix_jp *r, const mix_jp *p, const mix_jp *q);
void mix_jp_add_affine(mix_jp *r, const mix_jp *p, const mix_ap *q);
bool mix_jp_eq(const mix_jp *a, const mix_jp *b);
/* Coordinates below p and on the curve (infinity has no mix_pt form). */
bool mix_pt_on_curve(const mix_pt *p);
void mix_ap_from_pt(mix_ap *r, const mix_pt *p);
void mix_jp_from_pt(mix_jp *r, const mix_pt *p);
evote_err_t mix_jp_to_pt(mix_pt *out, const mix_jp *p); /* error at infinity */
/* Many to affine with one inversion (Montgomery's trick); none may be infinity. */
evote_err_t mix_jps_to_pts(mix_pt *out, const mix_jp *p, size_t n);
evote_err_t mix_jp_to_ec(EC_POINT *out, const mix_jp *p);

/* One run of points for mix_msm_segs: scalars from k, or (k = NULL, fill)
 * from the callback, or (k = NULL, !fill) all 1. */
typedef struct {
    const mix_pt *pts;
    size_t stride; /* 0 = sizeof(mix_pt) */
    const mix_sc *k;
    size_t n;
    bool fill;
} mix_msm_seg;
/* Write the scalars of points [start, start + m) of segment seg into out.
 * Called from several threads at once. */
typedef evote_err_t (*mix_sc_fill)(void *arg, size_t seg, size_t start, size_t m, mix_sc *out);
/* out = Σ over all segments of k·P (Pippenger, threaded over points). */
evote_err_t mix_msm_segs(mix_jp *out, const mix_msm_seg *seg, size_t nseg, mix_sc_fill fill,
                         void *arg, unsigned threads);
unsigned mix_msm_window(size_t n);

/* ---- scalars mod n as 4×64-bit little-endian limbs ---------------------- */
typedef struct {
    uint64_t v[4];
} mix_sn;
void mix_sn_from_sc(mix_sn *r, const mix_sc *s); /* s < n */
void mix_sn_to_sc(mix_sc *r, const mix_sn *a);
void mix_sn_mont(mix_sn *r, const mix_sn *a, const mix_sn *b); /* a·b/2^256 mod n */
void mix_sn_to_mont(mix_sn *r, const mix_sn *a);                /* a·2^256 mod n */
void mix_sn_add(mix_sn *r, const mix_sn *a, const mix_sn *b);
void mix_sn_sub(mix_sn *r, const mix_sn *a, const mix_sn *b);

/* Fixed-base table for a point (EC_GROUP copy with it as generator). */
typedef struct {
    EC_GROUP *grp;
} mix_fb;
evote_err_t mix_fb_new(mix_fb *fb, const mix_pt *base);
void mix_fb_free(mix_fb *fb);
/* out = k·base (fb = NULL: the generator G) as a mix_jp, through OpenSSL's
 * constant-time fixed-base comb; tmp, x, y, z are scratch. */
evote_err_t mix_fb_mul_jp(const mix_fb *fb, mix_jp *out, const BIGNUM *k, EC_POINT *tmp,
                          BIGNUM *x, BIGNUM *y, BIGNUM *z, BN_CTX *bn);

/* Run fn(arg, start, end, thread_index) over [0, n) in parallel. */
typedef evote_err_t (*mix_range_fn)(void *arg, size_t start, size_t end, unsigned t);
evote_err_t mix_parallel(size_t n, unsigned threads, mix_range_fn fn, void *arg);

/* ---- generators, prefix ------------------------------------------------ */
evote_err_t mix_generators(const uint8_t rho[32], uint32_t statdist, mix_pt *h, size_t n,
                           unsigned threads);
/* The same n generators, taken a chunk at a time (mix_gens_next). */
typedef struct {
    mix_prg prg;
    size_t bits, clen, batch, left; /* left: generators still to give */
    unsigned threads;
    uint8_t *cand, *ok;
    mix_pt *pts;
    size_t pos, m; /* next candidate of the current batch, batch size */
    BN_CTX *bn[64];
} mix_gens;
evote_err_t mix_gens_init(mix_gens *g, const uint8_t rho[32], uint32_t statdist, size_t n,
                          unsigned threads);
evote_err_t mix_gens_next(mix_gens *g, mix_pt *h, size_t n);
void mix_gens_free(mix_gens *g);

/* ---- progress ----------------------------------------------------------- */
typedef struct {
    bool on;
    const char *what;
    double t0, last;
} mix_progress;
void mix_progress_start(mix_progress *p, bool on, const char *what);
void mix_progress_step(mix_progress *p, double frac);
void mix_progress_done(mix_progress *p);

#endif /* EVOTE_MIX_INTERNAL_H */
