/*
 * libevote — Terelius–Wikström proof of shuffle (VMN's PoSBasicTW, width 1,
 * non-interactive): prover and verifier of one mix party.
 *
 * Notation follows VERIFICATUM.md: h the independent generators, u the
 * permutation commitment, w the input and w' the output list, e the
 * batching vector from PRG(s), v the challenge. Output j is the
 * re-encryption of input φ(j); u_{φ(j)} = r_{φ(j)}·G + h_j, so e'_j =
 * e_{φ(j)} (docs/PROTOCOL.md §14).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

#include "mix_pos.h"

/* ---- shared pieces ---------------------------------------------------------- */

enum { SK_S = 1, SK_R, SK_B, SK_BETA, SK_EPS };

static size_t chunk_of(const mix_stmt *st) {
    return st->chunk > 0 ? st->chunk : MIX_CHUNK_DEFAULT;
}

static void step(const mix_stmt *st, double f) {
    if (st->prog != NULL)
        mix_progress_step(st->prog, st->p0 + (st->p1 - st->p0) * f);
}

static evote_err_t ro_pts(mix_ro *ro, const mix_pt *p, size_t m) {
    evote_err_t ret = EVOTE_OK;
    uint8_t b[MIX_PT_BT_LEN];
    for (size_t i = 0; i < m; i++) {
        mix_point_bytes(b, &p[i]);
        GUARD(mix_ro_update(ro, b, sizeof(b)));
    }
out:
    return ret;
}

/* Batching vector: e_i is bytes [i·L, (i+1)·L) of PRG(s), L = ⌈ebitlen/8⌉,
 * top bits masked, reduced mod n. Sequentially from prg ... */
static evote_err_t e_next(mix_prg *prg, uint32_t ebitlen, mix_sc *e, size_t m) {
    evote_err_t ret = EVOTE_OK;
    size_t len = (ebitlen + 7) / 8;
    uint8_t buf[64];
    BIGNUM *x = NULL;
    BN_CTX *bn = NULL;
    ALLOC_GUARD(x = BN_new());
    ALLOC_GUARD(bn = BN_CTX_new());
    for (size_t i = 0; i < m; i++) {
        GUARD(mix_prg_bytes(prg, buf, len));
        if (ebitlen % 8 != 0)
            buf[0] &= (uint8_t)(0xff >> (8 - ebitlen % 8));
        ALLOC_GUARD(BN_bin2bn(buf, (int)len, x));
        OSSL_GUARD(BN_nnmod(x, x, evote_ec_order(), bn));
        GUARD(evote_scalar_encode(e[i].b, x));
    }
out:
    BN_free(x);
    BN_CTX_free(bn);
    return ret;
}

/* ... or e_idx[k] for each k (random access into the same stream). */
static evote_err_t e_at(mix_prg *prg, uint32_t ebitlen, const uint32_t *idx, size_t m,
                        mix_sc *e) {
    evote_err_t ret = EVOTE_OK;
    size_t len = (ebitlen + 7) / 8;
    for (size_t k = 0; k < m; k++) {
        GUARD(mix_prg_seek(prg, U64(idx[k]) * len));
        GUARD(e_next(prg, ebitlen, &e[k], 1));
    }
out:
    return ret;
}

/* Start of s = RO(ρ ‖ node(G, h, u, pk, w, w')): up to the generators. */
static evote_err_t ro_s_begin(mix_ro *ro, const mix_stmt *st) {
    evote_err_t ret = EVOTE_OK;
    mix_pt g;
    mix_generator(&g);
    GUARD(mix_ro_begin(ro, 256, st->rho));
    GUARD(mix_ro_node(ro, 6));
    GUARD(mix_ro_point(ro, &g));
    GUARD(mix_ro_node(ro, (uint32_t)st->n));
out:
    return ret;
}

/* Between u and the lists: node(G, Y). */
static evote_err_t ro_s_key(mix_ro *ro, const mix_stmt *st) {
    evote_err_t ret = EVOTE_OK;
    mix_pt g;
    mix_generator(&g);
    GUARD(mix_ro_node(ro, 2));
    GUARD(mix_ro_point(ro, &g));
    GUARD(mix_ro_point(ro, &st->pk));
out:
    return ret;
}

/* v = RO_vbitlen(ρ ‖ node(leaf(s), commitment)) mod n, the commitment
 * hashed as its file's bytes (validated on the way; the single points
 * kept). */
static evote_err_t derive_v(const mix_stmt *st, const uint8_t s[32], const mix_fin *pc,
                            mix_pt single[5], mix_sn *v) {
    evote_err_t ret = EVOTE_OK;
    mix_ro ro = {0};
    uint8_t out[32];
    mix_sc vs;
    BIGNUM *x = NULL;
    BN_CTX *bn = NULL;
    ALLOC_GUARD(x = BN_new());
    ALLOC_GUARD(bn = BN_CTX_new());
    GUARD(mix_ro_begin(&ro, st->vbitlen, st->rho));
    GUARD(mix_ro_node(&ro, 2));
    GUARD(mix_ro_leaf(&ro, s, 32));
    GUARD(mix_fin_walk_commit(pc, st->n, &ro, &single[0], &single[1], &single[2], &single[3],
                      &single[4]));
    GUARD(mix_ro_final(&ro, out));
    ALLOC_GUARD(BN_bin2bn(out, (int)((st->vbitlen + 7) / 8), x));
    OSSL_GUARD(BN_nnmod(x, x, evote_ec_order(), bn));
    GUARD(evote_scalar_encode(vs.b, x));
    mix_sn_from_sc(v, &vs);
out:
    mix_ro_abort(&ro);
    BN_free(x);
    BN_CTX_free(bn);
    return ret;
}

/* ---- verifier ---------------------------------------------------------------- */

static evote_err_t fail_check(const char *check) {
    return evote_fail(EVOTE_ERR_SHUFFLE_PROOF, "check %s failed", check);
}

/*
 * Batched verification: one multi-scalar multiplication over all 8N points
 * (summed chunk by chunk) instead of one per equation. With 128-bit random
 * weights λ (public, unknown to the prover) the verifier checks
 *
 *   λ_A·A + B + λ_C·C + λ_Fa·Fa + λ_Fb·Fb = 0
 *
 * where A … Fb are the left-minus-right sides of the equations (B already
 * being a ρ-weighted sum over its N equations). If any side is not 0 the
 * sum is 0 with probability at most 2^-128, so this accepts exactly the
 * proofs the separate checks accept, except with that probability
 * (docs/PROTOCOL.md §14). D is checked on its own (a few multiplications).
 * When the sum is not 0, the same pass runs once per equation, with the
 * weights of the others 0, to name the first that fails.
 *
 * Scalars per point, v the challenge, e the batching vector:
 *   u_i: λ_A·v·e_i + λ_C·v          h_i: −λ_A·k_E,i − λ_C·v
 *   B_i: ρ_i·v − ρ_{i+1}·k_E,i+1   B'_i: ρ_i
 *   w_i: λ_F·v·e_i (each half)      w'_i: −λ_F·k_E,i (each half)
 * and A', C', F'_a, F'_b, G, Y, h_0 once each.
 */
enum { SEG_U, SEG_H, SEG_B, SEG_BP, SEG_WA, SEG_WB, SEG_WPA, SEG_WPB, SEG_X, NSEG };

struct batch {
    size_t n;   /* indices in this chunk */
    bool more;  /* a chunk follows: kE and rho hold one more entry */
    const mix_sc *e, *kE, *rho;
    mix_sn vR, lAvR, nlAR, lFavR, lFbvR, nlFaR, nlFbR, lCv, nlCv, R2;
};

static evote_err_t batch_fill(void *arg, size_t seg, size_t start, size_t m, mix_sc *out) {
    const struct batch *b = arg;
    for (size_t t = 0; t < m; t++) {
        size_t i = start + t;
        mix_sn x, y, z;
        switch (seg) {
        case SEG_U:
            mix_sn_from_sc(&x, &b->e[i]);
            mix_sn_mont(&y, &x, &b->lAvR);
            mix_sn_add(&y, &y, &b->lCv);
            break;
        case SEG_H:
            mix_sn_from_sc(&x, &b->kE[i]);
            mix_sn_mont(&y, &x, &b->nlAR);
            mix_sn_add(&y, &y, &b->nlCv);
            break;
        case SEG_B:
            mix_sn_from_sc(&x, &b->rho[i]);
            mix_sn_mont(&y, &x, &b->vR);
            if (i + 1 < b->n || b->more) {
                mix_sn_from_sc(&x, &b->rho[i + 1]);
                mix_sn_from_sc(&z, &b->kE[i + 1]);
                mix_sn_mont(&z, &x, &z);
                mix_sn_mont(&z, &z, &b->R2);
                mix_sn_sub(&y, &y, &z);
            }
            break;
        case SEG_WA:
        case SEG_WB:
            mix_sn_from_sc(&x, &b->e[i]);
            mix_sn_mont(&y, &x, seg == SEG_WA ? &b->lFavR : &b->lFbvR);
            break;
        case SEG_WPA:
        case SEG_WPB:
            mix_sn_from_sc(&x, &b->kE[i]);
            mix_sn_mont(&y, &x, seg == SEG_WPA ? &b->nlFaR : &b->nlFbR);
            break;
        default:
            return evote_fail(EVOTE_ERR_INTERNAL, "batch_fill: segment %zu", seg);
        }
        mix_sn_to_sc(&out[t], &y);
    }
    return EVOTE_OK;
}

/* a 128-bit random weight, never 0 */
static evote_err_t weight(mix_sn *w) {
    evote_err_t ret = EVOTE_OK;
    do {
        memset(w, 0, sizeof(*w));
        if (RAND_bytes((unsigned char *)w->v, 16) != 1) {
            ret = evote_fail_ossl(EVOTE_ERR_RANDOM, "RAND_bytes");
            goto out;
        }
    } while ((w->v[0] | w->v[1]) == 0);
out:
    return ret;
}

static void sn_mul(mix_sn *r, const mix_sn *a, const mix_sn *b) {
    mix_sn t;
    mix_sn_mont(&t, a, b);
    mix_sn_to_mont(r, &t); /* a·b/R·R²/R = a·b */
}


/* The verifier's chunk buffers. */
struct vbuf {
    mix_pt *h, *u, *B, *Bp, *wa, *wb, *wpa, *wpb;
    mix_sc *e, *kE, *kB, *rho;
};

static void vbuf_free(struct vbuf *b) {
    free(b->h);
    free(b->u);
    free(b->B);
    free(b->Bp);
    free(b->wa);
    free(b->wb);
    free(b->wpa);
    free(b->wpb);
    free(b->e);
    free(b->kE);
    free(b->kB);
    free(b->rho);
}

static evote_err_t vbuf_alloc(struct vbuf *b, size_t c) {
    evote_err_t ret = EVOTE_OK;
    memset(b, 0, sizeof(*b));
    ALLOC_GUARD(b->h = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->u = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->B = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->Bp = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->wa = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->wb = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->wpa = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->wpb = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->e = malloc(c * sizeof(mix_sc)));
    ALLOC_GUARD(b->kE = malloc((c + 1) * sizeof(mix_sc)));
    ALLOC_GUARD(b->kB = malloc(c * sizeof(mix_sc)));
    ALLOC_GUARD(b->rho = malloc((c + 1) * sizeof(mix_sc)));
out:
    if (ret != EVOTE_OK)
        vbuf_free(b);
    return ret;
}

/* What one pass over the chunks checks: everything, or one equation. */
enum { EQ_ALL, EQ_A, EQ_B, EQ_C, EQ_FA, EQ_FB };

/* Public values the pass needs besides the files. */
struct vpass {
    const mix_stmt *st;
    const mix_pfiles *pf;
    const uint8_t *s;
    mix_sn v;
    mix_pt single[5]; /* A', C', D', F'a, F'b */
    mix_sc kA, kC, kD, kF;
    mix_pt h0, Blast;
    mix_sc eprod; /* Π e_i, from the pass over all equations */
    bool have_h; /* b.h holds generators 0 .. chunk−1 (n ≤ chunk) */
};

/* 128-bit verifier weights into the low half of each scalar. */
static evote_err_t rho_draw(mix_sc *r, size_t m) {
    if (m == 0)
        return EVOTE_OK;
    if (RAND_bytes((unsigned char *)r, (int)(m * sizeof(*r))) != 1)
        return evote_fail_ossl(EVOTE_ERR_RANDOM, "RAND_bytes");
    for (size_t i = 0; i < m; i++)
        memset(r[i].b, 0, 16);
    return EVOTE_OK;
}

/* One pass over all chunks: *zero says whether the weighted sum of the
 * selected equations is 0 (EQ_ALL also gives Π e_i for check D). */
static evote_err_t verify_pass(struct vpass *vp, struct vbuf *vb, int eq, bool *zero) {
    evote_err_t ret = EVOTE_OK;
    const mix_stmt *st = vp->st;
    const mix_pfiles *pf = vp->pf;
    size_t n = st->n, C = chunk_of(st);
    mix_gens gens;
    bool gens_on = false;
    mix_prg prg = {.md = NULL};
    struct batch b;
    mix_sn lA = {{0}}, lC = {{0}}, lFa = {{0}}, lFb = {{0}}, t, t2, acc, zs = {{0, 0, 0, 0}},
           ep = {{1, 0, 0, 0}};
    mix_sc xk[7];
    mix_pt xp[7];
    mix_jp tot, part;
    bool useB = eq == EQ_ALL || eq == EQ_B;

    if (eq == EQ_ALL || eq == EQ_A)
        GUARD(weight(&lA));
    if (eq == EQ_ALL || eq == EQ_C)
        GUARD(weight(&lC));
    if (eq == EQ_ALL || eq == EQ_FA)
        GUARD(weight(&lFa));
    if (eq == EQ_ALL || eq == EQ_FB)
        GUARD(weight(&lFb));
    b.R2 = (mix_sn){{0x83244c95be79eea2ULL, 0x4699799c49bd6fa6ULL, 0x2845b2392b6bec59ULL,
                     0x66e12d94f3d95620ULL}};
    mix_sn_to_mont(&b.vR, &vp->v);
    sn_mul(&t, &lA, &vp->v);
    mix_sn_to_mont(&b.lAvR, &t);
    mix_sn_sub(&t, &zs, &lA);
    mix_sn_to_mont(&b.nlAR, &t);
    sn_mul(&t, &lFa, &vp->v);
    mix_sn_to_mont(&b.lFavR, &t);
    sn_mul(&t, &lFb, &vp->v);
    mix_sn_to_mont(&b.lFbvR, &t);
    mix_sn_sub(&t, &zs, &lFa);
    mix_sn_to_mont(&b.nlFaR, &t);
    mix_sn_sub(&t, &zs, &lFb);
    mix_sn_to_mont(&b.nlFbR, &t);
    sn_mul(&b.lCv, &lC, &vp->v);
    mix_sn_sub(&b.nlCv, &zs, &b.lCv);

    if (!vp->have_h) {
        GUARD(mix_gens_init(&gens, st->rho, st->statdist, n, st->threads));
        gens_on = true;
    }
    mix_prg_init(&prg, vp->s);
    acc = zs; /* Σ ρ_i·k_B,i */
    mix_jp_set_inf(&tot);
    if (useB)
        GUARD(rho_draw(vb->rho, 1));
    for (size_t i0 = 0; i0 < n; i0 += C) {
        size_t m = n - i0 < C ? n - i0 : C;
        bool more = i0 + m < n;
        bool useU = eq == EQ_ALL || eq == EQ_A || eq == EQ_C;
        bool useW = eq == EQ_ALL || eq == EQ_FA || eq == EQ_FB;
        if (gens_on)
            GUARD(mix_gens_next(&gens, vb->h, m));
        GUARD(e_next(&prg, st->ebitlen, vb->e, m));
        if (eq == EQ_ALL) /* Π e_i, for check D */
            for (size_t i = 0; i < m; i++) {
                mix_sn_from_sc(&t, &vb->e[i]);
                sn_mul(&ep, &ep, &t);
            }
        GUARD(mix_fin_scalars(pf->pr, MIX_PR_KE(n), i0, m + (more ? 1 : 0), vb->kE));
        if (useU)
            GUARD(mix_fin_points(pf->u, MIX_PL_P(n), i0, m, vb->u));
        if (useB) {
            GUARD(mix_fin_points(pf->pc, MIX_PC_B(n), i0, m, vb->B));
            GUARD(mix_fin_points(pf->pc, MIX_PC_BP(n), i0, m, vb->Bp));
            GUARD(mix_fin_scalars(pf->pr, MIX_PR_KB(n), i0, m, vb->kB));
            /* ρ_0 was drawn (or carried) already; draw ρ_1 … ρ_m */
            GUARD(rho_draw(vb->rho + 1, more ? m : m - 1));
            for (size_t i = 0; i < m; i++) {
                mix_sn_from_sc(&t, &vb->rho[i]);
                mix_sn_from_sc(&t2, &vb->kB[i]);
                mix_sn_mont(&t, &t, &t2);
                mix_sn_add(&acc, &acc, &t);
            }
        }
        if (useW) {
            GUARD(mix_fin_points(st->w, MIX_CTL_A(n), i0, m, vb->wa));
            GUARD(mix_fin_points(st->w, MIX_CTL_B(n), i0, m, vb->wb));
            GUARD(mix_fin_points(pf->wp, MIX_CTL_A(n), i0, m, vb->wpa));
            GUARD(mix_fin_points(pf->wp, MIX_CTL_B(n), i0, m, vb->wpb));
        }
        b.n = m;
        b.more = more;
        b.e = vb->e;
        b.kE = vb->kE;
        b.rho = vb->rho;
        {
            mix_msm_seg seg[NSEG - 1] = {
                [SEG_U] = {vb->u, 0, NULL, useU ? m : 0, true},
                [SEG_H] = {vb->h, 0, NULL, eq == EQ_FA || eq == EQ_FB || eq == EQ_B ? 0 : m,
                           true},
                [SEG_B] = {vb->B, 0, NULL, useB ? m : 0, true},
                [SEG_BP] = {vb->Bp, 0, vb->rho, useB ? m : 0, false},
                [SEG_WA] = {vb->wa, 0, NULL, eq == EQ_ALL || eq == EQ_FA ? m : 0, true},
                [SEG_WB] = {vb->wb, 0, NULL, eq == EQ_ALL || eq == EQ_FB ? m : 0, true},
                [SEG_WPA] = {vb->wpa, 0, NULL, eq == EQ_ALL || eq == EQ_FA ? m : 0, true},
                [SEG_WPB] = {vb->wpb, 0, NULL, eq == EQ_ALL || eq == EQ_FB ? m : 0, true},
            };
            GUARD(mix_msm_segs(&part, seg, NSEG - 1, batch_fill, &b, st->threads));
            mix_jp_add(&tot, &tot, &part);
        }
        if (i0 == 0 && useB) {
            /* h_0: −ρ_0·k_E,0 (the B_{−1} = h_0 term) */
            mix_sn_from_sc(&t, &vb->rho[0]);
            mix_sn_from_sc(&t2, &vb->kE[0]);
            sn_mul(&t, &t, &t2);
            mix_sn_sub(&t, &zs, &t);
            mix_sn_to_sc(&xk[6], &t);
        }
        if (more && useB)
            vb->rho[0] = vb->rho[m]; /* ρ_{i0+m} carries over */
        step(st, 0.35 + 0.6 * (double)(i0 + m) / (double)n);
    }

    /* the seven single points */
    xp[0] = vp->single[0];
    mix_sn_to_sc(&xk[0], &lA);
    xp[1] = vp->single[1];
    mix_sn_to_sc(&xk[1], &lC);
    xp[2] = vp->single[3];
    mix_sn_to_sc(&xk[2], &lFa);
    xp[3] = vp->single[4];
    mix_sn_to_sc(&xk[3], &lFb);
    /* G: −λ_A·k_A − Σρ_i·k_B,i − λ_C·k_C + λ_Fa·k_F */
    mix_sn_to_mont(&acc, &acc); /* Σ ρ·k_B/R → Σ ρ·k_B */
    mix_sn_sub(&acc, &zs, &acc);
    mix_sn_from_sc(&t2, &vp->kA);
    sn_mul(&t, &lA, &t2);
    mix_sn_sub(&acc, &acc, &t);
    mix_sn_from_sc(&t2, &vp->kC);
    sn_mul(&t, &lC, &t2);
    mix_sn_sub(&acc, &acc, &t);
    mix_sn_from_sc(&t2, &vp->kF);
    sn_mul(&t, &lFa, &t2);
    mix_sn_add(&acc, &acc, &t);
    mix_generator(&xp[4]);
    mix_sn_to_sc(&xk[4], &acc);
    /* Y: λ_Fb·k_F */
    sn_mul(&t, &lFb, &t2);
    xp[5] = st->pk;
    mix_sn_to_sc(&xk[5], &t);
    xp[6] = vp->h0;
    if (!useB)
        memset(&xk[6], 0, sizeof(xk[6]));
    {
        mix_msm_seg sg = {xp, 0, xk, 7, false};
        GUARD(mix_msm_segs(&part, &sg, 1, NULL, NULL, 1));
        mix_jp_add(&tot, &tot, &part);
    }
    *zero = mix_jp_is_inf(&tot);
    if (eq == EQ_ALL)
        mix_sn_to_sc(&vp->eprod, &ep);
out:
    if (gens_on)
        mix_gens_free(&gens);
    mix_prg_free(&prg);
    return ret;
}

/* D: v·(B_{N−1} − (Πe)·h_0) + D' = k_D·G */
static evote_err_t check_d(const struct vpass *vp, bool *ok) {
    evote_err_t ret = EVOTE_OK;
    mix_sn p, x, one = {{1, 0, 0, 0}}, zero = {{0, 0, 0, 0}};
    mix_sc k[4];
    mix_pt pts[4];
    mix_jp res;
    mix_sn_from_sc(&p, &vp->eprod);
    sn_mul(&p, &p, &vp->v);
    mix_sn_sub(&p, &zero, &p);
    mix_sn_to_sc(&k[0], &p); /* −v·Πe on h_0 */
    pts[0] = vp->h0;
    mix_sn_to_sc(&k[1], &vp->v); /* v on B_{N−1} */
    pts[1] = vp->Blast;
    mix_sn_to_sc(&k[2], &one); /* D' */
    pts[2] = vp->single[2];
    mix_sn_from_sc(&x, &vp->kD);
    mix_sn_sub(&x, &zero, &x);
    mix_sn_to_sc(&k[3], &x); /* −k_D on G */
    mix_generator(&pts[3]);
    mix_msm_seg sg = {pts, 0, k, 4, false};
    GUARD(mix_msm_segs(&res, &sg, 1, NULL, NULL, 1));
    *ok = mix_jp_is_inf(&res);
out:
    return ret;
}

/* First pass: s from the generators, u and both lists (all validated on
 * the way), and the generators kept when they fit one chunk. */
static evote_err_t verify_challenge_s(struct vpass *vp, struct vbuf *vb, uint8_t s[32],
                                      const mix_fin **bad) {
    evote_err_t ret = EVOTE_OK;
    const mix_stmt *st = vp->st;
    size_t n = st->n, C = chunk_of(st);
    mix_ro ro = {0};
    mix_gens gens;
    bool gens_on = false;

    GUARD(ro_s_begin(&ro, st));
    GUARD(mix_gens_init(&gens, st->rho, st->statdist, n, st->threads));
    gens_on = true;
    for (size_t i0 = 0; i0 < n; i0 += C) {
        size_t m = n - i0 < C ? n - i0 : C;
        GUARD(mix_gens_next(&gens, vb->h, m));
        if (i0 == 0)
            vp->h0 = vb->h[0];
        GUARD(ro_pts(&ro, vb->h, m));
    }
    vp->have_h = n <= C;
    *bad = vp->pf->u;
    GUARD(mix_fin_walk_plist(vp->pf->u, n, &ro));
    GUARD(ro_s_key(&ro, st));
    *bad = st->w;
    GUARD(mix_fin_walk_ctl(st->w, n, &ro));
    *bad = vp->pf->wp;
    GUARD(mix_fin_walk_ctl(vp->pf->wp, n, &ro));
    *bad = NULL;
    GUARD(mix_ro_final(&ro, s));
out:
    mix_ro_abort(&ro);
    if (gens_on)
        mix_gens_free(&gens);
    return ret;
}

evote_err_t mix_pos_verify(const mix_stmt *st, const mix_pfiles *pf, const char **failed_check,
                           const mix_fin **failed_file) {
    evote_err_t ret = EVOTE_OK;
    uint8_t s[32];
    struct vbuf vb = {0};
    struct vpass vp;
    const mix_fin *bad = NULL;
    const char *check = "file";
    bool zero = false, dok = false;
    size_t n;

    ENSURE(st != NULL && pf != NULL && st->n >= 1, EVOTE_ERR_ARG, "verify: bad argument");
    n = st->n;
    memset(&vp, 0, sizeof(vp));
    vp.st = st;
    vp.pf = pf;
    vp.s = s;
    GUARD(vbuf_alloc(&vb, chunk_of(st) < n ? chunk_of(st) : n));
    GUARD(verify_challenge_s(&vp, &vb, s, &bad));
    step(st, 0.2);
    bad = pf->pc;
    GUARD(derive_v(st, s, pf->pc, vp.single, &vp.v));
    GUARD(mix_fin_points(pf->pc, MIX_PC_B(n), n - 1, 1, &vp.Blast));
    bad = pf->pr;
    GUARD(mix_fin_walk_reply(pf->pr, n, NULL, &vp.kA, &vp.kC, &vp.kD, &vp.kF));
    step(st, 0.35);
    /* the files were all read once: from here on they must not change */
    bad = NULL;
    GUARD(verify_pass(&vp, &vb, EQ_ALL, &zero));
    GUARD(check_d(&vp, &dok));
    step(st, 1.0);
    if (!zero || !dok) {
        /* Something does not hold: find out what, one equation at a time. */
        static const struct {
            int eq;
            const char *name;
        } order[] = {{EQ_A, "PoS.A"}, {EQ_B, "PoS.B"}, {EQ_C, "PoS.C"}, {-1, "PoS.D"},
                     {EQ_FA, "PoS.F"}, {EQ_FB, "PoS.F"}};
        check = "PoS.batch"; /* only with probability 2^-128, or through a bug */
        for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
            bool ok = false;
            if (order[k].eq < 0)
                ok = dok;
            else
                GUARD(verify_pass(&vp, &vb, order[k].eq, &ok));
            if (!ok) {
                check = order[k].name;
                break;
            }
        }
        bad = pf->pr; /* an equation that fails is reported against the reply */
        ret = fail_check(check);
        goto out;
    }
    /* a file changed since it was hashed would make this a proof about
     * other bytes than the challenges saw */
    const mix_fin *all[] = {st->w, pf->u, pf->wp, pf->pc, pf->pr};
    for (size_t k = 0; k < 5; k++) {
        bad = all[k];
        GUARD(mix_fin_unchanged(all[k]));
    }
    bad = NULL;
    check = "";
out:
    if (failed_check != NULL)
        *failed_check = ret == EVOTE_OK ? "" : check;
    if (failed_file != NULL)
        *failed_file = ret == EVOTE_OK ? NULL : bad;
    vbuf_free(&vb);
    return ret;
}

/* ---- prover -------------------------------------------------------------------- */

evote_err_t mix_random_permutation(uint32_t *perm, size_t n) {
    evote_err_t ret = EVOTE_OK;
    uint32_t buf[256];
    size_t have = 0;
    ENSURE(n <= UINT32_MAX, EVOTE_ERR_TOO_LARGE, "permutation too large");
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    /* Fisher–Yates; j uniform in [0, i] by rejection of the biased top. */
    for (size_t i = n; i-- > 1;) {
        uint64_t range = (uint64_t)i + 1, lim = (UINT64_C(1) << 32) / range * range, x;
        do {
            if (have == 0) {
                if (RAND_priv_bytes((unsigned char *)buf, sizeof(buf)) != 1) {
                    ret = evote_fail_ossl(EVOTE_ERR_RANDOM, "RAND_priv_bytes");
                    goto out;
                }
                have = 256;
            }
            x = buf[--have];
        } while (x >= lim);
        size_t j = (size_t)(x % range);
        uint32_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    return ret;
}

/* Uniform scalars in [1, n−1]: 32 DRBG bytes each, rejected when ≥ n or 0
 * (probability about 2^-32), drawn in bulk. */
evote_err_t mix_random_scalars(mix_sc *out, size_t n) {
    evote_err_t ret = EVOTE_OK;
    static const uint8_t order[32] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
        0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
    static const uint8_t zero[32] = {0};
    size_t i = 0;
    while (i < n) {
        size_t want = n - i;
        if (RAND_priv_bytes((unsigned char *)&out[i], (int)(want * sizeof(mix_sc))) != 1) {
            ret = evote_fail_ossl(EVOTE_ERR_RANDOM, "RAND_priv_bytes");
            goto out;
        }
        /* keep the good ones in place, redraw the rest */
        size_t k = i;
        for (size_t j = i; j < n; j++)
            if (memcmp(out[j].b, order, 32) < 0 && memcmp(out[j].b, zero, 32) != 0)
                out[k++] = out[j];
        i = k;
    }
out:
    return ret;
}

/* Per-element point work of the prover on one chunk, split over threads. */
struct prove_job {
    const mix_stmt *st;
    const mix_fb *fbY, *fbh0;
    const mix_sk *sk;
    const uint32_t *phi;  /* output j ← input phi[j] (shuffle) */
    const uint32_t *phic; /* permutation committed to (= phi when honest) */
    size_t j0;            /* first index of the chunk */
    const mix_pout *o;
    mix_pt *pa, *pb;      /* stage 0: w' chunk; 1: u chunk (pa); 2: B, B' chunk */
    const mix_pt *sa, *sb; /* stage 0: w_φ(j) for the chunk, gathered */
    const mix_pt *h;      /* stage 1: generators of the chunk */
    const mix_sc *x, *y, *beta_x, *y_eps; /* stage 2 */
    int stage;
};

#define PJ_CHUNK 256

/* Write points p[0..m) as consecutive elements at off. */
static evote_err_t put_pts(evote_afile_t *f, uint64_t off, const mix_pt *p, size_t m) {
    uint8_t buf[PJ_CHUNK * MIX_PT_BT_LEN];
    evote_err_t ret = EVOTE_OK;
    for (size_t k0 = 0; k0 < m; k0 += PJ_CHUNK) {
        size_t b = m - k0 < PJ_CHUNK ? m - k0 : PJ_CHUNK;
        for (size_t k = 0; k < b; k++)
            mix_point_bytes(buf + k * MIX_PT_BT_LEN, &p[k0 + k]);
        GUARD(evote_afile_pwrite(f, buf, b * MIX_PT_BT_LEN, off + U64(k0) * MIX_PT_BT_LEN));
    }
out:
    return ret;
}

static evote_err_t put_scs(evote_afile_t *f, uint64_t off, const mix_sc *s, size_t m) {
    uint8_t buf[PJ_CHUNK * MIX_SC_BT_LEN];
    evote_err_t ret = EVOTE_OK;
    for (size_t k0 = 0; k0 < m; k0 += PJ_CHUNK) {
        size_t b = m - k0 < PJ_CHUNK ? m - k0 : PJ_CHUNK;
        for (size_t k = 0; k < b; k++) {
            uint8_t *q = buf + k * MIX_SC_BT_LEN;
            q[0] = 0x01;
            q[1] = q[2] = q[3] = 0;
            q[4] = 33;
            q[5] = 0;
            memcpy(q + 6, s[k0 + k].b, 32);
        }
        GUARD(evote_afile_pwrite(f, buf, b * MIX_SC_BT_LEN, off + U64(k0) * MIX_SC_BT_LEN));
    }
    OPENSSL_cleanse(buf, sizeof(buf));
out:
    return ret;
}

static evote_err_t put_node(evote_afile_t *f, uint64_t off, uint32_t n) {
    uint8_t b[MIX_NODE_LEN] = {0x00};
    evote_put_u32be(b + 1, n);
    return evote_afile_pwrite(f, b, sizeof(b), off);
}

/* Fixed-base products come from OpenSSL's constant-time comb (as fast as
 * an own table here, and constant time for these secret scalars); the
 * additions and the affine conversion are ours (lib/mix_msm.c), which
 * saves the BIGNUM round trips of EC_POINT_add and EC_POINTs_make_affine. */
static evote_err_t prove_range(void *arg, size_t start, size_t end, unsigned tix) {
    struct prove_job *j = arg;
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    size_t n = j->st->n;
    mix_jp *J[2] = {NULL, NULL}, T;
    mix_ap a;
    mix_pt src[2];
    mix_sc sc[PJ_CHUNK];
    EC_POINT *E = NULL;
    BIGNUM *k = NULL, *k2 = NULL, *bx = NULL, *by = NULL, *bz = NULL;
    BN_CTX *bn = NULL;
    (void)tix;
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(bx = BN_secure_new());
    ALLOC_GUARD(by = BN_secure_new());
    ALLOC_GUARD(bz = BN_secure_new());
    ALLOC_GUARD(k = BN_secure_new());
    ALLOC_GUARD(k2 = BN_secure_new());
    ALLOC_GUARD(E = EC_POINT_new(g));
    ALLOC_GUARD(J[0] = malloc(PJ_CHUNK * sizeof(mix_jp)));
    ALLOC_GUARD(J[1] = malloc(PJ_CHUNK * sizeof(mix_jp)));
    for (size_t s0 = start; s0 < end; s0 += PJ_CHUNK) {
        size_t m = end - s0 < PJ_CHUNK ? end - s0 : PJ_CHUNK;
        if (j->stage == 0)
            GUARD(mix_sk_scalars(j->sk, SK_S, j->j0 + s0, m, sc));
        for (size_t i = 0; i < m; i++) {
            size_t jx = s0 + i; /* index in the chunk */
            if (j->stage == 0) {
                /* w'_j = w_φ(j) + (s_j·G, s_j·Y) */
                src[0] = j->sa[jx];
                src[1] = j->sb[jx];
                ALLOC_GUARD(BN_bin2bn(sc[i].b, 32, k));
                GUARD(mix_fb_mul_jp(NULL, &J[0][i], k, E, bx, by, bz, bn));
                mix_ap_from_pt(&a, &src[0]);
                mix_jp_add_affine(&J[0][i], &J[0][i], &a);
                GUARD(mix_fb_mul_jp(j->fbY, &J[1][i], k, E, bx, by, bz, bn));
                mix_ap_from_pt(&a, &src[1]);
                mix_jp_add_affine(&J[1][i], &J[1][i], &a);
            } else if (j->stage == 1) {
                /* u_i = r_i·G + h_τ(i): index i = φc(j) gets h_j */
                uint32_t ui = j->phic[j->j0 + jx];
                GUARD(mix_sk_scalars(j->sk, SK_R, ui, 1, &sc[i]));
                ALLOC_GUARD(BN_bin2bn(sc[i].b, 32, k));
                GUARD(mix_fb_mul_jp(NULL, &J[0][i], k, E, bx, by, bz, bn));
                mix_ap_from_pt(&a, &j->h[jx]);
                mix_jp_add_affine(&J[0][i], &J[0][i], &a);
            } else {
                /* B_i = x_i·G + y_i·h_0; B'_i = (β_i + x_{i−1}ε_i)·G + y_{i−1}ε_i·h_0 */
                ALLOC_GUARD(BN_bin2bn(j->x[jx].b, 32, k));
                ALLOC_GUARD(BN_bin2bn(j->y[jx].b, 32, k2));
                GUARD(mix_fb_mul_jp(NULL, &J[0][i], k, E, bx, by, bz, bn));
                GUARD(mix_fb_mul_jp(j->fbh0, &T, k2, E, bx, by, bz, bn));
                mix_jp_add(&J[0][i], &J[0][i], &T);
                ALLOC_GUARD(BN_bin2bn(j->beta_x[jx].b, 32, k));
                ALLOC_GUARD(BN_bin2bn(j->y_eps[jx].b, 32, k2));
                GUARD(mix_fb_mul_jp(NULL, &J[1][i], k, E, bx, by, bz, bn));
                GUARD(mix_fb_mul_jp(j->fbh0, &T, k2, E, bx, by, bz, bn));
                mix_jp_add(&J[1][i], &J[1][i], &T);
            }
        }
        if (j->stage == 0) {
            uint64_t at = U64(j->j0 + s0) * MIX_PT_BT_LEN;
            GUARD(mix_jps_to_pts(&j->pa[s0], J[0], m));
            GUARD(mix_jps_to_pts(&j->pb[s0], J[1], m));
            for (int c = 0; c < 2; c++) {
                evote_afile_t *f = c == 0 ? j->o->wp : j->o->wp2;
                GUARD(put_pts(f, MIX_CTL_A(n) + at, &j->pa[s0], m));
                GUARD(put_pts(f, MIX_CTL_B(n) + at, &j->pb[s0], m));
            }
        } else if (j->stage == 1) {
            /* u is indexed by φc(j): the caller scatters the chunk */
            GUARD(mix_jps_to_pts(&j->pa[s0], J[0], m));
        } else {
            uint64_t at = U64(j->j0 + s0) * MIX_PT_BT_LEN;
            GUARD(mix_jps_to_pts(&j->pa[s0], J[0], m));
            GUARD(mix_jps_to_pts(&j->pb[s0], J[1], m));
            GUARD(put_pts(j->o->pc, MIX_PC_B(n) + at, &j->pa[s0], m));
            GUARD(put_pts(j->o->pc, MIX_PC_BP(n) + at, &j->pb[s0], m));
        }
    }
out:
    for (int x = 0; x < 2; x++) {
        if (J[x] != NULL)
            OPENSSL_cleanse(J[x], PJ_CHUNK * sizeof(mix_jp));
        free(J[x]);
    }
    OPENSSL_cleanse(&T, sizeof(T));
    OPENSSL_cleanse(sc, sizeof(sc));
    OPENSSL_cleanse(src, sizeof(src));
    EC_POINT_clear_free(E);
    BN_clear_free(k);
    BN_clear_free(k2);
    BN_clear_free(bx);
    BN_clear_free(by);
    BN_clear_free(bz);
    BN_CTX_free(bn);
    return ret;
}

/* acc += Σ a_i·b_i mod n (b = NULL: Σ a_i) */
static evote_err_t inner_add(BIGNUM *acc, const mix_sc *a, const mix_sc *b, size_t m,
                             BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    BIGNUM *x = BN_secure_new(), *y = BN_secure_new();
    ALLOC_GUARD(x);
    ALLOC_GUARD(y);
    for (size_t i = 0; i < m; i++) {
        ALLOC_GUARD(BN_bin2bn(a[i].b, 32, x));
        if (b != NULL) {
            ALLOC_GUARD(BN_bin2bn(b[i].b, 32, y));
            OSSL_GUARD(BN_mod_mul(x, x, y, evote_ec_order(), bn));
        }
        OSSL_GUARD(BN_mod_add(acc, acc, x, evote_ec_order(), bn));
    }
out:
    BN_clear_free(x);
    BN_clear_free(y);
    return ret;
}

/* k = a·v + b mod n, written to out */
static evote_err_t reply1(mix_sc *out, const BIGNUM *a, const BIGNUM *v, const mix_sc *b,
                          BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    BIGNUM *x = BN_secure_new(), *y = BN_secure_new();
    ALLOC_GUARD(x);
    ALLOC_GUARD(y);
    OSSL_GUARD(BN_mod_mul(x, a, v, evote_ec_order(), bn));
    ALLOC_GUARD(BN_bin2bn(b->b, 32, y));
    OSSL_GUARD(BN_mod_add(x, x, y, evote_ec_order(), bn));
    GUARD(evote_scalar_encode(out->b, x));
out:
    BN_clear_free(x);
    BN_clear_free(y);
    return ret;
}

/* The prover's chunk buffers (secrets among them: wiped). */
struct pbuf {
    mix_pt *pa, *pb, *h, *sa, *sb;
    mix_pair *pr;
    mix_sc *sc[11];
};
enum { PB_EPS, PB_E, PB_EP, PB_R, PB_S, PB_B, PB_BETA, PB_X, PB_Y, PB_BX, PB_YE };

static void pbuf_free(struct pbuf *b, size_t c) {
    free(b->pa);
    free(b->pb);
    free(b->h);
    free(b->sa);
    free(b->sb);
    if (b->pr != NULL)
        OPENSSL_cleanse(b->pr, c * sizeof(*b->pr)); /* the permutation */
    free(b->pr);
    for (int k = 0; k < 11; k++) {
        if (b->sc[k] != NULL)
            OPENSSL_cleanse(b->sc[k], c * sizeof(mix_sc));
        free(b->sc[k]);
    }
}

static evote_err_t pbuf_alloc(struct pbuf *b, size_t c) {
    evote_err_t ret = EVOTE_OK;
    memset(b, 0, sizeof(*b));
    ALLOC_GUARD(b->pa = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->pb = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->h = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->sa = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->sb = malloc(c * sizeof(mix_pt)));
    ALLOC_GUARD(b->pr = malloc(c * sizeof(mix_pair)));
    for (int k = 0; k < 11; k++)
        ALLOC_GUARD(b->sc[k] = calloc(c, sizeof(mix_sc)));
out:
    if (ret != EVOTE_OK)
        pbuf_free(b, c);
    return ret;
}

/* out = Σ k_i·P_i over the chunk, added to acc */
static evote_err_t msm_add(mix_jp *acc, const mix_pt *p, const mix_sc *k, size_t m,
                           unsigned threads) {
    evote_err_t ret = EVOTE_OK;
    mix_jp part;
    mix_msm_seg sg = {p, 0, k, m, false};
    GUARD(mix_msm_segs(&part, &sg, 1, NULL, NULL, threads));
    mix_jp_add(acc, acc, &part);
out:
    return ret;
}

/* out = acc + k·base (base NULL: G), as a point of the proof */
static evote_err_t finish_pt(mix_pt *out, const mix_jp *acc, const mix_pt *base,
                             const BIGNUM *k, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *P = NULL, *T = NULL;
    ALLOC_GUARD(P = EC_POINT_new(g));
    ALLOC_GUARD(T = EC_POINT_new(g));
    GUARD(mix_jp_to_ec(P, acc));
    if (base == NULL) {
        OSSL_GUARD(EC_POINT_mul(g, T, k, NULL, NULL, bn));
    } else {
        GUARD(mix_pt_to_ec(T, base, bn));
        OSSL_GUARD(EC_POINT_mul(g, T, NULL, T, k, bn));
    }
    OSSL_GUARD(EC_POINT_add(g, P, P, T, bn));
    GUARD(mix_ec_to_pt(out, P, bn));
out:
    EC_POINT_clear_free(P);
    EC_POINT_clear_free(T);
    return ret;
}

/*
 * Four passes over the indices, a chunk at a time (docs/PROTOCOL.md §14.8):
 *   A  shuffle: w'_j, written to the output files; F' summed;
 *   B  permutation commitment u, scattered into its file; A' summed; the
 *      challenge s hashed from the generators, then from the files;
 *   C  bridging commitments B, B' (x_i, y_i carried from chunk to chunk);
 *      a, c, f summed; the challenge v hashed from the commitment file;
 *   D  replies.
 * The per-index secrets are streams of mix_sk, made again in each pass
 * that needs them; only the permutation is held for all N.
 */
evote_err_t mix_pos_prove(const mix_stmt *st, const uint32_t *phi, const uint32_t *phi_commit,
                          const mix_pout *o) {
    evote_err_t ret = EVOTE_OK;
    const BIGNUM *q = evote_ec_order();
    size_t n = st->n, C = chunk_of(st);
    mix_fb fbY = {0}, fbh0 = {0};
    mix_sk sk;
    bool sk_on = false, gens_on = false;
    mix_gens gens;
    mix_prg eprg = {.md = NULL}, aprg = {.md = NULL};
    mix_ro ro = {0};
    uint8_t sd[32];
    mix_sc alpha, gamma, delta, phiF, kx;
    mix_pt h0, Ap, Cp, Dp, Fpa, Fpb;
    mix_jp FA, FB, AP;
    struct pbuf pb = {0};
    bool pb_on = false;
    struct prove_job job;
    mix_fin fu, fwp, fpc;
    BIGNUM *t = NULL, *t2 = NULL, *t3 = NULL, *v = NULL, *xi = NULL, *yi = NULL, *sa = NULL,
           *sc_ = NULL, *sf = NULL;
    BN_CTX *bn = NULL;

    ENSURE(st != NULL && phi != NULL && o != NULL && n >= 1, EVOTE_ERR_ARG,
           "prove: bad argument");
    if (phi_commit == NULL)
        phi_commit = phi;
    if (C > n)
        C = n;
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(t = BN_secure_new());
    ALLOC_GUARD(t2 = BN_secure_new());
    ALLOC_GUARD(t3 = BN_secure_new());
    ALLOC_GUARD(v = BN_new());
    ALLOC_GUARD(xi = BN_secure_new());
    ALLOC_GUARD(yi = BN_secure_new());
    ALLOC_GUARD(sa = BN_secure_new());
    ALLOC_GUARD(sc_ = BN_secure_new());
    ALLOC_GUARD(sf = BN_secure_new());
    GUARD(pbuf_alloc(&pb, C));
    pb_on = true;
    GUARD(mix_sk_init(&sk));
    sk_on = true;
    mix_sc *eps = pb.sc[PB_EPS], *e = pb.sc[PB_E], *ep = pb.sc[PB_EP], *rr = pb.sc[PB_R],
           *s = pb.sc[PB_S], *b = pb.sc[PB_B], *beta = pb.sc[PB_BETA], *x = pb.sc[PB_X],
           *y = pb.sc[PB_Y], *beta_x = pb.sc[PB_BX], *y_eps = pb.sc[PB_YE];

    /* A. Shuffle: w'_j = ReEnc(w_φ(j), s_j); F' sums Σ ε_j·w'_j */
    GUARD(mix_fb_new(&fbY, &st->pk));
    job = (struct prove_job){st, &fbY, NULL, &sk, phi, phi_commit, 0, o, pb.pa, pb.pb,
                             pb.sa, pb.sb, NULL, NULL, NULL, NULL, NULL, 0};
    mix_jp_set_inf(&FA);
    mix_jp_set_inf(&FB);
    for (int c = 0; c < 2; c++) {
        evote_afile_t *f = c == 0 ? o->wp : o->wp2;
        GUARD(put_node(f, 0, 2));
        GUARD(put_node(f, MIX_CTL_A(n) - MIX_NODE_LEN, (uint32_t)n));
        GUARD(put_node(f, MIX_CTL_B(n) - MIX_NODE_LEN, (uint32_t)n));
    }
    for (size_t j0 = 0; j0 < n; j0 += C) {
        size_t m = n - j0 < C ? n - j0 : C;
        /* the chunk's sources, read in file order */
        for (size_t k = 0; k < m; k++)
            pb.pr[k] = (mix_pair){phi[j0 + k], (uint32_t)k};
        mix_pairs_sort(pb.pr, m);
        GUARD(mix_fin_gather(st->w, MIX_CTL_A(n), pb.pr, m, pb.sa));
        GUARD(mix_fin_gather(st->w, MIX_CTL_B(n), pb.pr, m, pb.sb));
        job.j0 = j0;
        GUARD(mix_parallel(m, st->threads, prove_range, &job));
        GUARD(mix_sk_scalars(&sk, SK_EPS, j0, m, eps));
        GUARD(msm_add(&FA, pb.pa, eps, m, st->threads));
        GUARD(msm_add(&FB, pb.pb, eps, m, st->threads));
        step(st, 0.3 * (double)(j0 + m) / (double)n);
    }

    /* B. Permutation commitment; A' sums Σ ε_i·h_i; s hashes h as it goes */
    GUARD(put_node(o->u, 0, (uint32_t)n));
    GUARD(mix_gens_init(&gens, st->rho, st->statdist, n, st->threads));
    gens_on = true;
    GUARD(ro_s_begin(&ro, st));
    mix_jp_set_inf(&AP);
    job.stage = 1;
    job.h = pb.h;
    for (size_t j0 = 0; j0 < n; j0 += C) {
        size_t m = n - j0 < C ? n - j0 : C;
        GUARD(mix_gens_next(&gens, pb.h, m));
        if (j0 == 0)
            h0 = pb.h[0];
        GUARD(ro_pts(&ro, pb.h, m));
        job.j0 = j0;
        GUARD(mix_parallel(m, st->threads, prove_range, &job));
        for (size_t k = 0; k < m; k++)
            pb.pr[k] = (mix_pair){phi_commit[j0 + k], (uint32_t)k};
        mix_pairs_sort(pb.pr, m);
        GUARD(mix_afile_scatter(o->u, MIX_PL_P(n), pb.pr, m, pb.pa));
        GUARD(mix_sk_scalars(&sk, SK_EPS, j0, m, eps));
        GUARD(msm_add(&AP, pb.h, eps, m, st->threads));
        step(st, 0.3 + 0.2 * (double)(j0 + m) / (double)n);
    }
    mix_gens_free(&gens);
    gens_on = false;
    GUARD(mix_fin_of_fd(&fu, evote_afile_fd(o->u), "permutation commitment"));
    GUARD(mix_fin_walk_plist(&fu, n, &ro));
    GUARD(ro_s_key(&ro, st));
    GUARD(mix_fin_walk_ctl(st->w, n, &ro));
    GUARD(mix_fin_of_fd(&fwp, evote_afile_fd(o->wp), "output list"));
    GUARD(mix_fin_walk_ctl(&fwp, n, &ro));
    GUARD(mix_ro_final(&ro, sd));

    /* A' = α·G + Σ ε_i·h_i, C' = γ·G, D' = δ·G, F' = (−φ·G, −φ·Y) + Σ ε_j·w'_j */
    GUARD(mix_random_scalars(&alpha, 1));
    GUARD(mix_random_scalars(&gamma, 1));
    GUARD(mix_random_scalars(&delta, 1));
    GUARD(mix_random_scalars(&phiF, 1));
    ALLOC_GUARD(BN_bin2bn(alpha.b, 32, t));
    GUARD(finish_pt(&Ap, &AP, NULL, t, bn));
    mix_jp_set_inf(&AP);
    ALLOC_GUARD(BN_bin2bn(gamma.b, 32, t));
    GUARD(finish_pt(&Cp, &AP, NULL, t, bn));
    ALLOC_GUARD(BN_bin2bn(delta.b, 32, t));
    GUARD(finish_pt(&Dp, &AP, NULL, t, bn));
    ALLOC_GUARD(BN_bin2bn(phiF.b, 32, t));
    OSSL_GUARD(BN_mod_sub(t, q, t, q, bn));
    GUARD(finish_pt(&Fpa, &FA, NULL, t, bn));
    GUARD(finish_pt(&Fpb, &FB, &st->pk, t, bn));

    /* C. Bridging commitments: x_i = x_{i−1}·e'_i + b_i, y_i = Π_{k≤i} e'_k */
    GUARD(mix_fb_new(&fbh0, &h0));
    job.fbh0 = &fbh0;
    job.x = x;
    job.y = y;
    job.beta_x = beta_x;
    job.y_eps = y_eps;
    job.stage = 2;
    mix_prg_init(&eprg, sd);
    mix_prg_init(&aprg, sd);
    BN_zero(xi);
    BN_one(yi);
    BN_zero(sa);
    BN_zero(sc_);
    BN_zero(sf);
    for (size_t i0 = 0; i0 < n; i0 += C) {
        size_t m = n - i0 < C ? n - i0 : C;
        GUARD(e_next(&eprg, st->ebitlen, e, m));
        GUARD(e_at(&aprg, st->ebitlen, phi_commit + i0, m, ep));
        GUARD(mix_sk_scalars(&sk, SK_R, i0, m, rr));
        GUARD(mix_sk_scalars(&sk, SK_S, i0, m, s));
        GUARD(mix_sk_scalars(&sk, SK_B, i0, m, b));
        GUARD(mix_sk_scalars(&sk, SK_BETA, i0, m, beta));
        GUARD(mix_sk_scalars(&sk, SK_EPS, i0, m, eps));
        GUARD(inner_add(sa, rr, e, m, bn));  /* a = Σ r_i e_i */
        GUARD(inner_add(sc_, rr, NULL, m, bn)); /* c = Σ r_i */
        GUARD(inner_add(sf, s, ep, m, bn));  /* f = Σ s_j e'_j */
        for (size_t i = 0; i < m; i++) {
            /* β_i + x_{i−1}·ε_i and y_{i−1}·ε_i with x_{−1} = 0, y_{−1} = 1 */
            ALLOC_GUARD(BN_bin2bn(eps[i].b, 32, t));
            OSSL_GUARD(BN_mod_mul(t2, xi, t, q, bn));
            ALLOC_GUARD(BN_bin2bn(beta[i].b, 32, t3));
            OSSL_GUARD(BN_mod_add(t2, t2, t3, q, bn));
            GUARD(evote_scalar_encode(beta_x[i].b, t2));
            OSSL_GUARD(BN_mod_mul(t2, yi, t, q, bn));
            GUARD(evote_scalar_encode(y_eps[i].b, t2));
            ALLOC_GUARD(BN_bin2bn(ep[i].b, 32, t));
            OSSL_GUARD(BN_mod_mul(xi, xi, t, q, bn));
            ALLOC_GUARD(BN_bin2bn(b[i].b, 32, t3));
            OSSL_GUARD(BN_mod_add(xi, xi, t3, q, bn));
            OSSL_GUARD(BN_mod_mul(yi, yi, t, q, bn));
            GUARD(evote_scalar_encode(x[i].b, xi));
            GUARD(evote_scalar_encode(y[i].b, yi));
        }
        job.j0 = i0;
        GUARD(mix_parallel(m, st->threads, prove_range, &job));
        step(st, 0.5 + 0.35 * (double)(i0 + m) / (double)n);
    }
    GUARD(put_node(o->pc, 0, 6));
    GUARD(put_node(o->pc, MIX_PC_B(n) - MIX_NODE_LEN, (uint32_t)n));
    GUARD(put_pts(o->pc, MIX_PC_AP(n), &Ap, 1));
    GUARD(put_node(o->pc, MIX_PC_BP(n) - MIX_NODE_LEN, (uint32_t)n));
    GUARD(put_pts(o->pc, MIX_PC_CP(n), &Cp, 1));
    GUARD(put_pts(o->pc, MIX_PC_DP(n), &Dp, 1));
    GUARD(put_node(o->pc, MIX_PC_F(n), 2));
    GUARD(put_pts(o->pc, MIX_PC_F(n) + MIX_NODE_LEN, &Fpa, 1));
    GUARD(put_pts(o->pc, MIX_PC_F(n) + MIX_NODE_LEN + MIX_PT_BT_LEN, &Fpb, 1));
    {
        mix_pt single[5];
        mix_sn vn;
        mix_sc vs;
        GUARD(mix_fin_of_fd(&fpc, evote_afile_fd(o->pc), "proof commitment"));
        GUARD(derive_v(st, sd, &fpc, single, &vn));
        mix_sn_to_sc(&vs, &vn);
        ALLOC_GUARD(BN_bin2bn(vs.b, 32, v));
    }

    /* D. Replies: k_B,i = b_i·v + β_i, k_E,i = e'_i·v + ε_i */
    GUARD(put_node(o->pr, 0, 6));
    GUARD(put_node(o->pr, MIX_PR_KB(n) - MIX_NODE_LEN, (uint32_t)n));
    GUARD(put_node(o->pr, MIX_PR_KE(n) - MIX_NODE_LEN, (uint32_t)n));
    for (size_t i0 = 0; i0 < n; i0 += C) {
        size_t m = n - i0 < C ? n - i0 : C;
        GUARD(e_at(&aprg, st->ebitlen, phi_commit + i0, m, ep));
        GUARD(mix_sk_scalars(&sk, SK_B, i0, m, b));
        GUARD(mix_sk_scalars(&sk, SK_BETA, i0, m, beta));
        GUARD(mix_sk_scalars(&sk, SK_EPS, i0, m, eps));
        for (size_t i = 0; i < m; i++) {
            ALLOC_GUARD(BN_bin2bn(b[i].b, 32, t));
            GUARD(reply1(&x[i], t, v, &beta[i], bn));
            ALLOC_GUARD(BN_bin2bn(ep[i].b, 32, t));
            GUARD(reply1(&y[i], t, v, &eps[i], bn));
        }
        GUARD(put_scs(o->pr, MIX_PR_KB(n) + U64(i0) * MIX_SC_BT_LEN, x, m));
        GUARD(put_scs(o->pr, MIX_PR_KE(n) + U64(i0) * MIX_SC_BT_LEN, y, m));
        step(st, 0.85 + 0.15 * (double)(i0 + m) / (double)n);
    }
    GUARD(reply1(&kx, sa, v, &alpha, bn)); /* k_A, a = Σ r_i e_i */
    GUARD(put_scs(o->pr, MIX_PR_KA(n), &kx, 1));
    GUARD(reply1(&kx, sc_, v, &gamma, bn)); /* k_C, c = Σ r_i */
    GUARD(put_scs(o->pr, MIX_PR_KC(n), &kx, 1));
    GUARD(reply1(&kx, xi, v, &delta, bn)); /* k_D, d = x_{N−1} */
    GUARD(put_scs(o->pr, MIX_PR_KD(n), &kx, 1));
    GUARD(reply1(&kx, sf, v, &phiF, bn)); /* k_F, f = Σ s_j e'_j */
    GUARD(put_scs(o->pr, MIX_PR_KF(n), &kx, 1));
out:
    mix_fb_free(&fbY);
    mix_fb_free(&fbh0);
    if (gens_on)
        mix_gens_free(&gens);
    if (sk_on)
        mix_sk_wipe(&sk);
    if (pb_on)
        pbuf_free(&pb, C);
    mix_prg_free(&eprg);
    mix_prg_free(&aprg);
    mix_ro_abort(&ro);
    OPENSSL_cleanse(&alpha, sizeof(alpha));
    OPENSSL_cleanse(&gamma, sizeof(gamma));
    OPENSSL_cleanse(&delta, sizeof(delta));
    OPENSSL_cleanse(&phiF, sizeof(phiF));
    OPENSSL_cleanse(&FA, sizeof(FA));
    OPENSSL_cleanse(&FB, sizeof(FB));
    BN_clear_free(t);
    BN_clear_free(t2);
    BN_clear_free(t3);
    BN_free(v);
    BN_clear_free(xi);
    BN_clear_free(yi);
    BN_clear_free(sa);
    BN_clear_free(sc_);
    BN_clear_free(sf);
    BN_CTX_free(bn);
    return ret;
}
