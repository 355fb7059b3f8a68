/*
 * libevote — P-256 point arithmetic on mix_fp's field elements and
 * Pippenger multi-scalar multiplication for the proof of shuffle.
 *
 * NOT CONSTANT TIME. Branches and bucket indices depend on the scalars.
 * The verifier only handles public data. The prover also runs its
 * Σ ε_i·P_i products through here with secret ε_i, as it did before with
 * OpenSSL's EC_POINTs_mul, which is not constant time either for several
 * points: a mix server must not share its CPU with an attacker who can
 * measure cache timing (docs/PROTOCOL.md §14).
 *
 * Why our own: OpenSSL's public EC_POINT_add goes through BIGNUMs and is
 * too slow to build a bucket method on, and its EC_POINTs_mul interleaves
 * wNAF windows at about 0.35 of a full multiplication per point. Here a
 * point costs ⌊256/c⌋ + 1 bucket additions for a window of c bits (signed
 * digits; c = 12 at 80 000 points), each an affine addition batched with
 * the others of its chunk so that they share one inversion (about 6 field
 * multiplications instead of the 11 of a mixed Jacobian addition), plus
 * 2^c Jacobian additions per window for the bucket sums. Our field
 * arithmetic is portable C, about three times slower than OpenSSL's
 * assembly, so the gain over EC_POINTs_mul is in the algorithm (1.1–1.6×
 * for one MSM) and above all in the verifier doing one MSM instead of
 * eight (lib/mix_pos.c).
 *
 * Formulas (explicit-formulas database, a = −3): dbl-2001-b,
 * madd-2007-bl, add-2007-bl, with the exceptional cases (P + P, P + (−P),
 * infinity) handled by branches. tests/check_mix.c compares everything
 * with OpenSSL.
 */
#pragma GCC optimize("O3")
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "mix_fp.h"
#include "mix_internal.h"

/* R mod p: 1 in Montgomery form */
static const fe FE_ONE = {{0x0000000000000001ULL, 0xffffffff00000000ULL, 0xffffffffffffffffULL,
                           0x00000000fffffffeULL}};

void mix_jp_set_inf(mix_jp *r) {
    memset(r, 0, sizeof(*r));
}

bool mix_jp_is_inf(const mix_jp *p) {
    return fe_is_zero(&p->Z);
}

void mix_jp_dbl(mix_jp *r, const mix_jp *p) {
    fe delta, gamma, beta, alpha, t, u, X3, Y3, Z3;
    if (fe_is_zero(&p->Z)) {
        mix_jp_set_inf(r);
        return;
    }
    fe_sqr(&delta, &p->Z);
    fe_sqr(&gamma, &p->Y);
    fe_mul(&beta, &p->X, &gamma);
    fe_sub(&t, &p->X, &delta);
    fe_add(&u, &p->X, &delta);
    fe_mul(&alpha, &t, &u);
    fe_add(&t, &alpha, &alpha);
    fe_add(&alpha, &alpha, &t); /* 3(X−δ)(X+δ) */
    fe_add(&Z3, &p->Y, &p->Z);
    fe_sqr(&Z3, &Z3);
    fe_sub(&Z3, &Z3, &gamma);
    fe_sub(&Z3, &Z3, &delta);
    fe_add(&beta, &beta, &beta);
    fe_add(&beta, &beta, &beta); /* 4β */
    fe_sqr(&X3, &alpha);
    fe_add(&t, &beta, &beta);
    fe_sub(&X3, &X3, &t);
    fe_sub(&t, &beta, &X3);
    fe_mul(&Y3, &alpha, &t);
    fe_sqr(&gamma, &gamma);
    fe_add(&gamma, &gamma, &gamma);
    fe_add(&gamma, &gamma, &gamma);
    fe_add(&gamma, &gamma, &gamma); /* 8γ² */
    fe_sub(&Y3, &Y3, &gamma);
    r->X = X3;
    r->Y = Y3;
    r->Z = Z3;
}

/* r = p + (x, y) for an affine (x, y) that is not infinity */
static inline void jp_madd(mix_jp *r, const mix_jp *p, const fe *x, const fe *y) {
    fe z1z1, u2, s2, h, hh, i, j, rr, v, t, X3, Y3, Z3;
    if (fe_is_zero(&p->Z)) {
        r->X = *x;
        r->Y = *y;
        r->Z = FE_ONE;
        return;
    }
    fe_sqr(&z1z1, &p->Z);
    fe_mul(&u2, x, &z1z1);
    fe_mul(&s2, &p->Z, &z1z1);
    fe_mul(&s2, &s2, y);
    fe_sub(&h, &u2, &p->X);
    fe_sub(&rr, &s2, &p->Y);
    if (fe_is_zero(&h)) {
        if (fe_is_zero(&rr))
            mix_jp_dbl(r, p);
        else
            mix_jp_set_inf(r);
        return;
    }
    fe_sqr(&hh, &h);
    fe_add(&i, &hh, &hh);
    fe_add(&i, &i, &i);
    fe_mul(&j, &h, &i);
    fe_add(&rr, &rr, &rr);
    fe_mul(&v, &p->X, &i);
    fe_sqr(&X3, &rr);
    fe_sub(&X3, &X3, &j);
    fe_sub(&X3, &X3, &v);
    fe_sub(&X3, &X3, &v);
    fe_sub(&t, &v, &X3);
    fe_mul(&Y3, &rr, &t);
    fe_mul(&t, &p->Y, &j);
    fe_add(&t, &t, &t);
    fe_sub(&Y3, &Y3, &t);
    fe_add(&Z3, &p->Z, &h);
    fe_sqr(&Z3, &Z3);
    fe_sub(&Z3, &Z3, &z1z1);
    fe_sub(&Z3, &Z3, &hh);
    r->X = X3;
    r->Y = Y3;
    r->Z = Z3;
}

void mix_jp_add_affine(mix_jp *r, const mix_jp *p, const mix_ap *q) {
    jp_madd(r, p, &q->x, &q->y);
}

void mix_jp_add(mix_jp *r, const mix_jp *p, const mix_jp *q) {
    fe z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t, X3, Y3, Z3;
    if (fe_is_zero(&p->Z)) {
        *r = *q;
        return;
    }
    if (fe_is_zero(&q->Z)) {
        *r = *p;
        return;
    }
    fe_sqr(&z1z1, &p->Z);
    fe_sqr(&z2z2, &q->Z);
    fe_mul(&u1, &p->X, &z2z2);
    fe_mul(&u2, &q->X, &z1z1);
    fe_mul(&s1, &q->Z, &z2z2);
    fe_mul(&s1, &s1, &p->Y);
    fe_mul(&s2, &p->Z, &z1z1);
    fe_mul(&s2, &s2, &q->Y);
    fe_sub(&h, &u2, &u1);
    fe_sub(&rr, &s2, &s1);
    if (fe_is_zero(&h)) {
        if (fe_is_zero(&rr))
            mix_jp_dbl(r, p);
        else
            mix_jp_set_inf(r);
        return;
    }
    fe_add(&i, &h, &h);
    fe_sqr(&i, &i);
    fe_mul(&j, &h, &i);
    fe_add(&rr, &rr, &rr);
    fe_mul(&v, &u1, &i);
    fe_sqr(&X3, &rr);
    fe_sub(&X3, &X3, &j);
    fe_sub(&X3, &X3, &v);
    fe_sub(&X3, &X3, &v);
    fe_sub(&t, &v, &X3);
    fe_mul(&Y3, &rr, &t);
    fe_mul(&t, &s1, &j);
    fe_add(&t, &t, &t);
    fe_sub(&Y3, &Y3, &t);
    fe_add(&Z3, &p->Z, &q->Z);
    fe_sqr(&Z3, &Z3);
    fe_sub(&Z3, &Z3, &z1z1);
    fe_sub(&Z3, &Z3, &z2z2);
    fe_mul(&Z3, &Z3, &h);
    r->X = X3;
    r->Y = Y3;
    r->Z = Z3;
}

/* x, y < p and y² = x³ − 3x + b: four field multiplications instead of
 * EC_POINT_oct2point's BIGNUM round trip (parsing a proof checks 7N points). */
bool mix_pt_on_curve(const mix_pt *p) {
    static const uint8_t pbe[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    /* b·2^256 mod p */
    static const fe B = {{0xd89cdf6229c4bddfULL, 0xacf005cd78843090ULL, 0xe5a220abf7212ed6ULL,
                          0xdc30061d04874834ULL}};
    fe x, y, l, r, t;
    if (memcmp(p->x, pbe, 32) >= 0 || memcmp(p->y, pbe, 32) >= 0)
        return false;
    fe_from_bytes(&x, p->x);
    fe_from_bytes(&y, p->y);
    fe_sqr(&l, &y);
    fe_sqr(&r, &x);
    fe_mul(&r, &r, &x);
    fe_add(&t, &x, &x);
    fe_add(&t, &t, &x);
    fe_sub(&r, &r, &t);
    fe_add(&r, &r, &B);
    return fe_eq(&l, &r);
}

void mix_ap_from_pt(mix_ap *r, const mix_pt *p) {
    fe_from_bytes(&r->x, p->x);
    fe_from_bytes(&r->y, p->y);
}

void mix_jp_from_pt(mix_jp *r, const mix_pt *p) {
    fe_from_bytes(&r->X, p->x);
    fe_from_bytes(&r->Y, p->y);
    r->Z = FE_ONE;
}

evote_err_t mix_jp_to_pt(mix_pt *out, const mix_jp *p) {
    return mix_jps_to_pts(out, p, 1);
}

/* Montgomery's trick: one inversion for the batch. */
evote_err_t mix_jps_to_pts(mix_pt *out, const mix_jp *p, size_t n) {
    evote_err_t ret = EVOTE_OK;
    fe *pre = NULL, acc, inv, zi, zi2, t;
    if (n == 0)
        return EVOTE_OK;
    ALLOC_GUARD(pre = malloc(n * sizeof(*pre)));
    acc = FE_ONE;
    for (size_t i = 0; i < n; i++) {
        ENSURE(!fe_is_zero(&p[i].Z), EVOTE_ERR_POINT_INFINITY, "point at infinity");
        pre[i] = acc;
        fe_mul(&acc, &acc, &p[i].Z);
    }
    fe_inv(&inv, &acc);
    for (size_t i = n; i-- > 0;) {
        fe_mul(&zi, &inv, &pre[i]); /* 1/Z_i */
        fe_mul(&inv, &inv, &p[i].Z);
        fe_sqr(&zi2, &zi);
        fe_mul(&t, &p[i].X, &zi2);
        fe_to_bytes(out[i].x, &t);
        fe_mul(&zi2, &zi2, &zi);
        fe_mul(&t, &p[i].Y, &zi2);
        fe_to_bytes(out[i].y, &t);
    }
out:
    free(pre);
    return ret;
}

evote_err_t mix_jp_to_ec(EC_POINT *out, const mix_jp *p) {
    evote_err_t ret = EVOTE_OK;
    mix_pt a;
    if (mix_jp_is_inf(p)) {
        OSSL_GUARD(EC_POINT_set_to_infinity(evote_ec_group(), out));
        goto out;
    }
    GUARD(mix_jp_to_pt(&a, p));
    GUARD(mix_pt_to_ec(out, &a, NULL));
out:
    return ret;
}

bool mix_jp_eq(const mix_jp *a, const mix_jp *b) {
    /* X1·Z2² = X2·Z1² and Y1·Z2³ = Y2·Z1³ */
    fe z1, z2, l, r, t;
    bool ia = mix_jp_is_inf(a), ib = mix_jp_is_inf(b);
    if (ia || ib)
        return ia && ib;
    fe_sqr(&z1, &a->Z);
    fe_sqr(&z2, &b->Z);
    fe_mul(&l, &a->X, &z2);
    fe_mul(&r, &b->X, &z1);
    if (!fe_eq(&l, &r))
        return false;
    fe_mul(&z1, &z1, &a->Z);
    fe_mul(&z2, &z2, &b->Z);
    fe_mul(&l, &a->Y, &z2);
    fe_mul(&t, &b->Y, &z1);
    return fe_eq(&l, &t);
}

/* ---- Pippenger ------------------------------------------------------------- */

/* points per chunk: large enough that one inversion serves many batched
 * additions, small enough for the chunk and its digits to stay in cache */
#define MSM_CHUNK 4096
#define MAX_THREADS 64
#define MAX_WINDOW 15
#define AFFINE_MIN_BUCKETS 128

static inline void sc_limbs(uint64_t k[4], const mix_sc *s) {
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int b = 0; b < 8; b++)
            w = w << 8 | s->b[(3 - i) * 8 + b];
        k[i] = w;
    }
}

static inline unsigned bits_at(const uint64_t k[4], unsigned pos, unsigned c) {
    if (pos >= 256)
        return 0;
    unsigned l = pos / 64, o = pos % 64;
    uint64_t v = k[l] >> o;
    if (o + c > 64 && l < 3)
        v |= k[l + 1] << (64 - o);
    return (unsigned)(v & ((UINT64_C(1) << c) - 1));
}

/* The window minimising (windows)·(n bucket additions + 2^c bucket-sum
 * additions), in field-multiplication units (about 7 for a batched affine
 * addition, 11 for a mixed one, 16 for a Jacobian one). */
unsigned mix_msm_window(size_t n) {
    unsigned best = 1;
    double bestc = 0;
    for (unsigned c = 1; c <= MAX_WINDOW; c++) {
        double nw = 256 / c + 1;
        double add = (UINT64_C(1) << (c - 1)) >= AFFINE_MIN_BUCKETS ? 7.0 : 11.0;
        double cost = nw * ((double)n * add + (double)(UINT64_C(1) << c) * 16.0);
        if (c == 1 || cost < bestc) {
            best = c;
            bestc = cost;
        }
    }
    return best;
}

struct msm_job {
    const mix_msm_seg *seg;
    size_t nseg, total;
    mix_sc_fill fill;
    void *arg;
    unsigned c;
    mix_jp part[MAX_THREADS];
};

/* Affine buckets of one window, filled by batches of affine additions
 * that share one inversion (Montgomery's trick): about 6 multiplications
 * per point instead of the 11 of a mixed Jacobian addition. A bucket that
 * already has an addition pending in the batch, or whose x equals the
 * point's (doubling, cancellation), takes the point in its Jacobian twin
 * instead; the bucket's value is the sum of both. */
struct abk {
    mix_ap *a;       /* nw·nb affine buckets */
    uint8_t *occ;    /* a[b] holds a point */
    uint32_t *stamp; /* batch number of the pending addition */
    uint32_t batch;
    uint32_t *pend[2]; /* points waiting for a round */
    /* the batch */
    uint32_t *bi;
    const fe **px, **py;
    fe *ny, *den, *pre;
};

static void abk_apply(struct abk *k, size_t cnt) {
    fe acc, inv, di, lam, x3, y3, t;
    if (cnt == 0)
        return;
    acc = FE_ONE;
    for (size_t i = 0; i < cnt; i++) {
        k->pre[i] = acc;
        fe_mul(&acc, &acc, &k->den[i]);
    }
    fe_inv(&inv, &acc);
    for (size_t i = cnt; i-- > 0;) {
        mix_ap *b = &k->a[k->bi[i]];
        fe_mul(&di, &inv, &k->pre[i]);
        fe_mul(&inv, &inv, &k->den[i]);
        fe_sub(&t, k->py[i], &b->y);
        fe_mul(&lam, &t, &di);
        fe_sqr(&x3, &lam);
        fe_sub(&x3, &x3, &b->x);
        fe_sub(&x3, &x3, k->px[i]);
        fe_sub(&t, &b->x, &x3);
        fe_mul(&y3, &lam, &t);
        fe_sub(&y3, &y3, &b->y);
        b->x = x3;
        b->y = y3;
    }
}

/* Add ±ap[i] (digit dg[i·nw + w]) into window w's buckets, in rounds: a
 * point whose bucket already has an addition in this round's batch waits
 * for the next round; the last few (fewer than an inversion is worth) go
 * to the Jacobian twins. */
#define ABK_TAIL 64
static void abk_window(struct abk *k, mix_jp *jb, const mix_ap *ap, const int16_t *dg,
                       size_t m, unsigned nw, unsigned w, unsigned nb) {
    static const fe zero = {{0, 0, 0, 0}};
    mix_ap *a = k->a + (size_t)w * nb;
    uint8_t *occ = k->occ + (size_t)w * nb;
    uint32_t *stamp = k->stamp + (size_t)w * nb;
    uint32_t *cur = k->pend[0], *nxt = k->pend[1], *sw;
    size_t npend = 0;
    for (size_t i = 0; i < m; i++) {
        int d = dg[i * nw + w];
        if (d == 0)
            continue;
        if (d < 0)
            fe_sub(&k->ny[i], &zero, &ap[i].y);
        cur[npend++] = (uint32_t)i;
    }
    while (npend > 0) {
        size_t cnt = 0, nn = 0;
        bool tail = npend < ABK_TAIL;
        k->batch++;
        for (size_t t = 0; t < npend; t++) {
            size_t i = cur[t];
            int d = dg[i * nw + w];
            unsigned b = (unsigned)(d > 0 ? d : -d) - 1;
            const fe *y = d > 0 ? &ap[i].y : &k->ny[i];
            if (tail) {
                jp_madd(&jb[b], &jb[b], &ap[i].x, y);
            } else if (stamp[b] == k->batch) {
                nxt[nn++] = (uint32_t)i;
            } else if (!occ[b]) {
                a[b].x = ap[i].x;
                a[b].y = *y;
                occ[b] = 1;
            } else if (fe_eq(&a[b].x, &ap[i].x)) {
                jp_madd(&jb[b], &jb[b], &ap[i].x, y); /* doubling or cancellation */
            } else {
                stamp[b] = k->batch;
                k->bi[cnt] = (uint32_t)((size_t)w * nb + b);
                k->px[cnt] = &ap[i].x;
                k->py[cnt] = y;
                fe_sub(&k->den[cnt], &ap[i].x, &a[b].x);
                cnt++;
            }
        }
        abk_apply(k, cnt);
        sw = cur;
        cur = nxt;
        nxt = sw;
        npend = nn;
    }
}

static void abk_free(struct abk *k) {
    free(k->a);
    free(k->occ);
    free(k->stamp);
    free(k->bi);
    free(k->px);
    free(k->py);
    free(k->ny);
    free(k->den);
    free(k->pre);
    free(k->pend[0]);
    free(k->pend[1]);
}

static evote_err_t abk_alloc(struct abk *k, unsigned nw, unsigned nb, size_t chunk) {
    evote_err_t ret = EVOTE_OK;
    size_t nbk = (size_t)nw * nb;
    ALLOC_GUARD(k->a = malloc(nbk * sizeof(*k->a)));
    ALLOC_GUARD(k->occ = calloc(nbk, 1));
    ALLOC_GUARD(k->stamp = calloc(nbk, sizeof(*k->stamp)));
    ALLOC_GUARD(k->bi = malloc(chunk * sizeof(*k->bi)));
    ALLOC_GUARD(k->px = malloc(chunk * sizeof(*k->px)));
    ALLOC_GUARD(k->py = malloc(chunk * sizeof(*k->py)));
    ALLOC_GUARD(k->ny = malloc(chunk * sizeof(*k->ny)));
    ALLOC_GUARD(k->den = malloc(chunk * sizeof(*k->den)));
    ALLOC_GUARD(k->pre = malloc(chunk * sizeof(*k->pre)));
    ALLOC_GUARD(k->pend[0] = malloc(chunk * sizeof(*k->pend[0])));
    ALLOC_GUARD(k->pend[1] = malloc(chunk * sizeof(*k->pend[1])));
out:
    return ret;
}

/* Points [start, end) of the concatenation of the segments. */
static evote_err_t msm_range(void *arg, size_t start, size_t end, unsigned t) {
    struct msm_job *j = arg;
    evote_err_t ret = EVOTE_OK;
    const unsigned c = j->c, nw = 256 / c + 1, nb = 1u << (c - 1);
    const size_t chunk = end - start < MSM_CHUNK ? end - start : MSM_CHUNK;
    mix_jp *bk = NULL, ones, run, sum, acc;
    mix_ap *ap = NULL;
    mix_sc *ks = NULL;
    int16_t *dg = NULL;
    bool any = false, affine = nb >= AFFINE_MIN_BUCKETS;
    struct abk ab;
    memset(&ab, 0, sizeof(ab));
    mix_jp_set_inf(&ones);
    mix_jp_set_inf(&acc);
    ALLOC_GUARD(ap = malloc(chunk * sizeof(*ap)));
    ALLOC_GUARD(ks = malloc(chunk * sizeof(*ks)));
    ALLOC_GUARD(dg = malloc(chunk * nw * sizeof(*dg)));
    size_t segbase = 0, si = 0;
    for (size_t pos = start; pos < end;) {
        while (pos >= segbase + j->seg[si].n) {
            segbase += j->seg[si].n;
            si++;
        }
        const mix_msm_seg *sg = &j->seg[si];
        size_t off = pos - segbase, m = sg->n - off;
        if (m > end - pos)
            m = end - pos;
        if (m > chunk)
            m = chunk;
        size_t stride = sg->stride ? sg->stride : sizeof(mix_pt);
        for (size_t i = 0; i < m; i++)
            mix_ap_from_pt(&ap[i], (const mix_pt *)((const uint8_t *)sg->pts + (off + i) * stride));
        if (sg->k == NULL && !sg->fill) {
            /* coefficient 1: a plain sum */
            for (size_t i = 0; i < m; i++)
                mix_jp_add_affine(&ones, &ones, &ap[i]);
            pos += m;
            continue;
        }
        const mix_sc *k = sg->k != NULL ? sg->k + off : ks;
        if (sg->k == NULL)
            GUARD(j->fill(j->arg, si, off, m, ks));
        if (bk == NULL) {
            ALLOC_GUARD(bk = calloc((size_t)nw * nb, sizeof(*bk)));
            if (affine)
                GUARD(abk_alloc(&ab, nw, nb, chunk));
        }
        any = true;
        for (size_t i = 0; i < m; i++) {
            uint64_t kl[4];
            unsigned carry = 0;
            sc_limbs(kl, &k[i]);
            for (unsigned w = 0; w < nw; w++) {
                int d = (int)(bits_at(kl, w * c, c) + carry);
                carry = 0;
                if (d > (int)nb) {
                    d -= (int)(2 * nb);
                    carry = 1;
                }
                dg[i * nw + w] = (int16_t)d;
            }
            OPENSSL_cleanse(kl, sizeof(kl));
        }
        for (unsigned w = 0; affine && w < nw; w++)
            abk_window(&ab, bk + (size_t)w * nb, ap, dg, m, nw, w, nb);
        for (unsigned w = 0; !affine && w < nw; w++) {
            mix_jp *b = bk + (size_t)w * nb;
            for (size_t i = 0; i < m; i++) {
                int d = dg[i * nw + w];
                if (d > 0) {
                    jp_madd(&b[d - 1], &b[d - 1], &ap[i].x, &ap[i].y);
                } else if (d < 0) {
                    fe ny, zero = {{0, 0, 0, 0}};
                    fe_sub(&ny, &zero, &ap[i].y);
                    jp_madd(&b[-d - 1], &b[-d - 1], &ap[i].x, &ny);
                }
            }
        }
        pos += m;
    }
    if (any) {
        for (unsigned w = nw; w-- > 0;) {
            mix_jp *b = bk + (size_t)w * nb;
            for (unsigned d = 0; d < c; d++)
                mix_jp_dbl(&acc, &acc);
            mix_jp_set_inf(&run);
            mix_jp_set_inf(&sum);
            for (unsigned i = nb; i-- > 0;) {
                if (affine && ab.occ[(size_t)w * nb + i])
                    mix_jp_add_affine(&b[i], &b[i], &ab.a[(size_t)w * nb + i]);
                mix_jp_add(&run, &run, &b[i]);
                mix_jp_add(&sum, &sum, &run);
            }
            mix_jp_add(&acc, &acc, &sum);
        }
    }
    mix_jp_add(&j->part[t], &acc, &ones);
out:
    abk_free(&ab);
    free(bk);
    free(ap);
    if (ks != NULL)
        OPENSSL_cleanse(ks, chunk * sizeof(*ks));
    free(ks);
    if (dg != NULL)
        OPENSSL_cleanse(dg, chunk * nw * sizeof(*dg));
    free(dg);
    return ret;
}

evote_err_t mix_msm_segs(mix_jp *out, const mix_msm_seg *seg, size_t nseg, mix_sc_fill fill,
                         void *arg, unsigned threads) {
    evote_err_t ret = EVOTE_OK;
    struct msm_job *j = NULL;
    size_t total = 0;
    mix_jp_set_inf(out);
    for (size_t i = 0; i < nseg; i++)
        total += seg[i].n;
    if (total == 0)
        return EVOTE_OK;
    ALLOC_GUARD(j = calloc(1, sizeof(*j)));
    j->seg = seg;
    j->nseg = nseg;
    j->total = total;
    j->fill = fill;
    j->arg = arg;
    threads = mix_threads(threads);
    /* Small inputs are not worth a thread each. */
    if (total < 4096)
        threads = 1;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    j->c = mix_msm_window((total + threads - 1) / threads);
    GUARD(mix_parallel(total, threads, msm_range, j));
    for (unsigned t = 0; t < MAX_THREADS; t++)
        mix_jp_add(out, out, &j->part[t]);
out:
    free(j);
    return ret;
}

evote_err_t mix_msm(EC_POINT *out, const mix_pt *pts, size_t stride, const mix_sc *k,
                    size_t n, unsigned threads) {
    evote_err_t ret = EVOTE_OK;
    mix_jp r;
    mix_msm_seg s = {pts, stride, k, n, false};
    GUARD(mix_msm_segs(&r, &s, 1, NULL, NULL, threads));
    GUARD(mix_jp_to_ec(out, &r));
out:
    return ret;
}

/* ---- scalars mod n --------------------------------------------------------- */

static const uint64_t NQ[4] = {0xf3b9cac2fc632551ULL, 0xbce6faada7179e84ULL,
                               0xffffffffffffffffULL, 0xffffffff00000000ULL};
static const uint64_t NQ0INV = 0xccd1c8aaee00bc4fULL;
static const mix_sn SN_R2 = {{0x83244c95be79eea2ULL, 0x4699799c49bd6fa6ULL,
                              0x2845b2392b6bec59ULL, 0x66e12d94f3d95620ULL}};

static inline int sn_geq_n(const uint64_t t[4]) {
    for (int i = 3; i >= 0; i--) {
        if (t[i] > NQ[i])
            return 1;
        if (t[i] < NQ[i])
            return 0;
    }
    return 1;
}

static inline void sn_subn(uint64_t t[4]) {
    unsigned __int128 b = 0;
    for (int i = 0; i < 4; i++) {
        unsigned __int128 d = (unsigned __int128)t[i] - NQ[i] - b;
        t[i] = (uint64_t)d;
        b = (d >> 64) & 1;
    }
}

/* a·b·2^-256 mod n (CIOS) */
void mix_sn_mont(mix_sn *r, const mix_sn *a, const mix_sn *b) {
    uint64_t t[6] = {0};
    for (int i = 0; i < 4; i++) {
        u128 c = 0;
        for (int k = 0; k < 4; k++) {
            c = (u128)t[k] + (u128)a->v[k] * b->v[i] + (uint64_t)(c >> 64);
            t[k] = (uint64_t)c;
        }
        c = (u128)t[4] + (uint64_t)(c >> 64);
        t[4] = (uint64_t)c;
        t[5] = (uint64_t)(c >> 64);
        uint64_t m = t[0] * NQ0INV;
        c = (u128)t[0] + (u128)m * NQ[0];
        for (int k = 1; k < 4; k++) {
            c = (u128)t[k] + (u128)m * NQ[k] + (uint64_t)(c >> 64);
            t[k - 1] = (uint64_t)c;
        }
        c = (u128)t[4] + (uint64_t)(c >> 64);
        t[3] = (uint64_t)c;
        t[4] = t[5] + (uint64_t)(c >> 64);
    }
    if (t[4] != 0 || sn_geq_n(t))
        sn_subn(t);
    memcpy(r->v, t, 32);
}

void mix_sn_to_mont(mix_sn *r, const mix_sn *a) {
    mix_sn_mont(r, a, &SN_R2);
}

void mix_sn_add(mix_sn *r, const mix_sn *a, const mix_sn *b) {
    uint64_t t[4];
    unsigned __int128 c = 0;
    for (int i = 0; i < 4; i++) {
        c = (unsigned __int128)a->v[i] + b->v[i] + (uint64_t)(c >> 64);
        t[i] = (uint64_t)c;
    }
    if ((uint64_t)(c >> 64) != 0 || sn_geq_n(t))
        sn_subn(t);
    memcpy(r->v, t, 32);
}

void mix_sn_sub(mix_sn *r, const mix_sn *a, const mix_sn *b) {
    uint64_t t[4];
    unsigned __int128 bw = 0;
    for (int i = 0; i < 4; i++) {
        unsigned __int128 d = (unsigned __int128)a->v[i] - b->v[i] - bw;
        t[i] = (uint64_t)d;
        bw = (d >> 64) & 1;
    }
    if (bw) {
        unsigned __int128 c = 0;
        for (int i = 0; i < 4; i++) {
            c = (unsigned __int128)t[i] + NQ[i] + (uint64_t)(c >> 64);
            t[i] = (uint64_t)c;
        }
    }
    memcpy(r->v, t, 32);
}

/* Bytes of a scalar already below n (parsed or derived). */
void mix_sn_from_sc(mix_sn *r, const mix_sc *s) {
    sc_limbs(r->v, s);
}

void mix_sn_to_sc(mix_sc *r, const mix_sn *a) {
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 8; k++)
            r->b[(3 - i) * 8 + k] = (uint8_t)(a->v[i] >> (56 - 8 * k));
}
