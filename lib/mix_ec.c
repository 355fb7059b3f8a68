/*
 * libevote — mix-net arithmetic: affine points, multi-scalar
 * multiplication, fixed-base tables, threads and progress.
 *
 * Multi-scalar multiplication lives in lib/mix_msm.c (own arithmetic,
 * Pippenger); mix_msm_ossl here keeps OpenSSL's EC_POINTs_mul (nistz256's
 * interleaved windows) as the reference the tests and the benchmark
 * compare with. Fixed bases get their own EC_GROUP copy with the base as
 * generator plus EC_GROUP_precompute_mult (nistz256 then uses its
 * constant-time comb table). These APIs are deprecated in OpenSSL 3
 * without a replacement that reaches these code paths, hence the local
 * suppression below.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* EC_POINTs_mul, EC_GROUP_precompute_mult,
                                      EC_POINT_get_Jprojective_coordinates_GFp */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "mix_internal.h"

#define MSM_CHUNK 512
#define MAX_THREADS 64

/* ---- byte trees ---------------------------------------------------------- */

void mix_point_bytes(uint8_t out[MIX_PT_BT_LEN], const mix_pt *p) {
    static const uint8_t hdr[11] = {0x00, 0, 0, 0, 2, 0x01, 0, 0, 0, 33, 0x00};
    memcpy(out, hdr, 11);
    memcpy(out + 11, p->x, 32);
    out[43] = 0x01;
    out[44] = out[45] = out[46] = 0;
    out[47] = 33;
    out[48] = 0x00;
    memcpy(out + 49, p->y, 32);

}

evote_err_t mix_put_point(evote_buf_t *b, const mix_pt *p) {
    uint8_t buf[MIX_PT_BT_LEN];
    mix_point_bytes(buf, p);
    return evote_buf_append(b, buf, MIX_PT_BT_LEN);
}

evote_err_t mix_put_scalar(evote_buf_t *b, const mix_sc *s) {
    uint8_t buf[38] = {0x01, 0, 0, 0, 33, 0x00};
    memcpy(buf + 6, s->b, 32);
    return evote_buf_append(b, buf, sizeof(buf));
}

evote_err_t mix_read_point(evote_bt_reader_t *r, mix_pt *out, EC_POINT *tmp, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    uint32_t n;
    uint8_t x[33], y[33];
    static const uint8_t ff[33] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    GUARD(evote_bt_read_node(r, &n));
    ENSURE(n == 2, EVOTE_ERR_BYTETREE, "byte tree: point node has %u children", n);
    GUARD(evote_bt_read_leaf_fixed(r, x, 33));
    GUARD(evote_bt_read_leaf_fixed(r, y, 33));
    ENSURE(!(memcmp(x, ff, 33) == 0 && memcmp(y, ff, 33) == 0), EVOTE_ERR_POINT_INFINITY,
           "byte tree: point at infinity");
    ENSURE(x[0] == 0 && y[0] == 0, EVOTE_ERR_POINT_INVALID,
           "byte tree: coordinate does not fit 32 bytes");
    memcpy(out->x, x + 1, 32);
    memcpy(out->y, y + 1, 32);
    (void)tmp;
    (void)bn;
    ENSURE(mix_pt_on_curve(out), EVOTE_ERR_POINT_NOT_ON_CURVE, "point not on P-256");
out:
    return ret;
}

evote_err_t mix_read_points(evote_bt_reader_t *r, mix_pt *out, size_t n) {
    evote_err_t ret = EVOTE_OK;
    uint32_t cnt;
    GUARD(evote_bt_read_node(r, &cnt));
    ENSURE(cnt == n, EVOTE_ERR_BYTETREE, "byte tree: %u elements, expected %zu", cnt, n);
    for (size_t i = 0; i < n; i++) {
        ret = mix_read_point(r, &out[i], NULL, NULL);
        if (ret != EVOTE_OK) {
            char d[256];
            snprintf(d, sizeof(d), "%s", evote_err_detail());
            ret = evote_fail(ret, "element %zu: %s", i, d);
            goto out;
        }
    }
out:
    return ret;
}

evote_err_t mix_read_scalar(evote_bt_reader_t *r, mix_sc *out) {
    evote_err_t ret = EVOTE_OK;
    uint8_t b[33];
    BIGNUM *x = NULL;
    GUARD(evote_bt_read_leaf_fixed(r, b, 33));
    ENSURE(b[0] == 0, EVOTE_ERR_SCALAR_RANGE, "scalar does not fit 32 bytes");
    ALLOC_GUARD(x = BN_bin2bn(b + 1, 32, NULL));
    ENSURE(BN_cmp(x, evote_ec_order()) < 0, EVOTE_ERR_SCALAR_RANGE,
           "scalar is not below the group order");
    memcpy(out->b, b + 1, 32);
out:
    BN_free(x);
    return ret;
}

/* ---- conversions ----------------------------------------------------------- */

evote_err_t mix_pt_to_ec(EC_POINT *out, const mix_pt *p, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    uint8_t enc[65];
    /* oct2point with an uncompressed encoding: range- and curve-checked. */
    enc[0] = 0x04;
    memcpy(enc + 1, p->x, 32);
    memcpy(enc + 33, p->y, 32);
    if (EC_POINT_oct2point(evote_ec_group(), out, enc, sizeof(enc), bn) != 1) {
        ERR_clear_error();
        ret = evote_fail(EVOTE_ERR_POINT_NOT_ON_CURVE, "point not on P-256");
    }
    return ret;
}

/* For points already validated (parsed by mix_read_point or computed here):
 * set (x, y, 1) without the curve check that oct2point repeats. */
evote_err_t mix_pt_to_ec_trusted(EC_POINT *out, const mix_pt *p, BIGNUM *x, BIGNUM *y,
                                 BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    ALLOC_GUARD(BN_bin2bn(p->x, 32, x));
    ALLOC_GUARD(BN_bin2bn(p->y, 32, y));
    OSSL_GUARD(EC_POINT_set_Jprojective_coordinates_GFp(evote_ec_group(), out, x, y,
                                                        BN_value_one(), bn));
out:
    return ret;
}

evote_err_t mix_ec_to_pt(mix_pt *out, const EC_POINT *p, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    uint8_t enc[65];
    ENSURE(!EC_POINT_is_at_infinity(evote_ec_group(), p), EVOTE_ERR_POINT_INFINITY,
           "point at infinity");
    ENSURE(EC_POINT_point2oct(evote_ec_group(), p, POINT_CONVERSION_UNCOMPRESSED, enc, 65,
                              bn) == 65,
           EVOTE_ERR_CRYPTO, "point2oct");
    memcpy(out->x, enc + 1, 32);
    memcpy(out->y, enc + 33, 32);
out:
    return ret;
}

/* Same checks and error codes as evote_ec_decode, but the square root is
 * mix_fp's addition chain instead of BN_mod_sqrt: the input list holds 2N
 * compressed points, and decoding them through BIGNUMs cost about one
 * multiplication per ciphertext. */
evote_err_t mix_pt_from_compressed(mix_pt *out, const uint8_t in[EVOTE_POINT_LEN]) {
    evote_err_t ret = EVOTE_OK;
    static const uint8_t pbe[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    fe x, y;
    memset(out, 0, sizeof(*out));
    ENSURE(in != NULL, EVOTE_ERR_ARG, "point decode: bad argument");
    ENSURE(in[0] == 0x02 || in[0] == 0x03, EVOTE_ERR_POINT_INVALID,
           "point prefix 0x%02x is not 0x02 or 0x03", in[0]);
    ENSURE(memcmp(in + 1, pbe, 32) < 0, EVOTE_ERR_POINT_INVALID,
           "point x-coordinate is not below the field prime");
    fe_from_bytes(&x, in + 1);
    /* fe_curve_y gives one root; the prefix's parity picks it or p − it */
    ENSURE(fe_curve_y(&y, &x), EVOTE_ERR_POINT_NOT_ON_CURVE,
           "no P-256 point has this x-coordinate");
    memcpy(out->x, in + 1, 32);
    fe_to_bytes(out->y, &y);
    if ((out->y[31] & 1) != (in[0] & 1)) {
        static const fe zero = {{0, 0, 0, 0}};
        fe_sub(&y, &zero, &y);
        fe_to_bytes(out->y, &y);
    }
    ENSURE(mix_pt_on_curve(out), EVOTE_ERR_POINT_NOT_ON_CURVE, "point is not on P-256");
out:
    if (ret != EVOTE_OK)
        memset(out, 0, sizeof(*out));
    return ret;
}

evote_err_t mix_pt_to_compressed(uint8_t out[EVOTE_POINT_LEN], const mix_pt *p) {
    out[0] = (uint8_t)(0x02 | (p->y[31] & 1));
    memcpy(out + 1, p->x, 32);
    return EVOTE_OK;
}

bool mix_pt_eq(const mix_pt *a, const mix_pt *b) {
    return memcmp(a, b, sizeof(*a)) == 0;
}

void mix_generator(mix_pt *g) {
    static const uint8_t gx[32] = {
        0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6,
        0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb,
        0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96};
    static const uint8_t gy[32] = {
        0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb,
        0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31,
        0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};
    memcpy(g->x, gx, 32);
    memcpy(g->y, gy, 32);
}

/* ---- threads ---------------------------------------------------------------- */

unsigned mix_threads(unsigned requested) {
    if (requested > 0)
        return requested > MAX_THREADS ? MAX_THREADS : requested;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

struct par_slot {
    mix_range_fn fn;
    void *arg;
    size_t start, end;
    unsigned t;
    evote_err_t ret;
    char detail[512];
};

static void *par_main(void *p) {
    struct par_slot *s = p;
    s->ret = s->fn(s->arg, s->start, s->end, s->t);
    if (s->ret != EVOTE_OK)
        snprintf(s->detail, sizeof(s->detail), "%s", evote_err_detail());
    return NULL;
}

evote_err_t mix_parallel(size_t n, unsigned threads, mix_range_fn fn, void *arg) {
    evote_err_t ret = EVOTE_OK;
    struct par_slot slots[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    threads = mix_threads(threads);
    if (threads > n)
        threads = n > 0 ? (unsigned)n : 1;
    for (unsigned t = 0; t < threads; t++) {
        slots[t] = (struct par_slot){fn, arg, n * t / threads, n * (t + 1) / threads, t,
                                     EVOTE_OK, ""};
    }
    if (threads == 1) {
        par_main(&slots[0]);
    } else {
        for (unsigned t = 0; t < threads; t++) {
            if (pthread_create(&tid[t], NULL, par_main, &slots[t]) != 0) {
                slots[t].ret = EVOTE_ERR_THREAD;
                snprintf(slots[t].detail, sizeof(slots[t].detail), "pthread_create failed");
                continue;
            }
            started[t] = true;
        }
        for (unsigned t = 0; t < threads; t++)
            if (started[t])
                pthread_join(tid[t], NULL);
    }
    for (unsigned t = 0; t < threads; t++)
        if (slots[t].ret != EVOTE_OK) {
            ret = evote_fail(slots[t].ret, "%s", slots[t].detail);
            break;
        }
    return ret;
}

/* ---- multi-scalar multiplication -------------------------------------------- */
/* OpenSSL's EC_POINTs_mul in chunks: the reference that tests/check_mix.c
 * and the benchmark compare lib/mix_msm.c's Pippenger with. */

struct msm_job {
    const mix_pt *pts;
    size_t stride;
    const mix_sc *k;
    EC_POINT *part[MAX_THREADS];
};

static evote_err_t msm_range(void *arg, size_t start, size_t end, unsigned t) {
    struct msm_job *j = arg;
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *pts[MSM_CHUNK] = {0}, *acc = NULL, *tmp = NULL;
    BIGNUM *sc[MSM_CHUNK] = {0}, *x = NULL, *y = NULL;
    BN_CTX *bn = NULL;
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(x = BN_new());
    ALLOC_GUARD(y = BN_new());
    ALLOC_GUARD(acc = EC_POINT_new(g));
    ALLOC_GUARD(tmp = EC_POINT_new(g));
    OSSL_GUARD(EC_POINT_set_to_infinity(g, acc));
    for (size_t i = 0; i < MSM_CHUNK; i++) {
        ALLOC_GUARD(pts[i] = EC_POINT_new(g));
        ALLOC_GUARD(sc[i] = BN_new());
    }
    if (j->k == NULL) {
        /* a plain sum: additions are far cheaper than multiplications by 1 */
        for (size_t i = start; i < end; i++) {
            const mix_pt *p = (const mix_pt *)((const uint8_t *)j->pts + i * j->stride);
            GUARD(mix_pt_to_ec_trusted(tmp, p, x, y, bn));
            OSSL_GUARD(EC_POINT_add(g, acc, acc, tmp, bn));
        }
    }
    for (size_t s = start; j->k != NULL && s < end; s += MSM_CHUNK) {
        size_t m = end - s < MSM_CHUNK ? end - s : MSM_CHUNK;
        for (size_t i = 0; i < m; i++) {
            const mix_pt *p = (const mix_pt *)((const uint8_t *)j->pts + (s + i) * j->stride);
            GUARD(mix_pt_to_ec_trusted(pts[i], p, x, y, bn));
            ALLOC_GUARD(BN_bin2bn(j->k[s + i].b, 32, sc[i]));
        }
        OSSL_GUARD(EC_POINTs_mul(g, tmp, NULL, m, (const EC_POINT **)pts,
                                 (const BIGNUM **)sc, bn));
        OSSL_GUARD(EC_POINT_add(g, acc, acc, tmp, bn));
    }
    j->part[t] = acc;
    acc = NULL;
out:
    for (size_t i = 0; i < MSM_CHUNK; i++) {
        EC_POINT_free(pts[i]);
        BN_free(sc[i]);
    }
    EC_POINT_free(acc);
    EC_POINT_free(tmp);
    BN_free(x);
    BN_free(y);
    BN_CTX_free(bn);
    return ret;
}

evote_err_t mix_msm_ossl(EC_POINT *out, const mix_pt *pts, size_t stride, const mix_sc *k,
                         size_t n, unsigned threads) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    struct msm_job j = {pts, stride ? stride : sizeof(mix_pt), k, {0}};
    threads = mix_threads(threads);
    /* Small inputs are not worth a thread each. */
    if (n < 2 * MSM_CHUNK)
        threads = 1;
    OSSL_GUARD(EC_POINT_set_to_infinity(g, out));
    GUARD(mix_parallel(n, threads, msm_range, &j));
    for (unsigned t = 0; t < MAX_THREADS; t++)
        if (j.part[t] != NULL)
            OSSL_GUARD(EC_POINT_add(g, out, out, j.part[t], NULL));
out:
    for (unsigned t = 0; t < MAX_THREADS; t++)
        EC_POINT_free(j.part[t]);
    return ret;
}

/* ---- fixed bases -------------------------------------------------------------- */

evote_err_t mix_fb_new(mix_fb *fb, const mix_pt *base) {
    evote_err_t ret = EVOTE_OK;
    EC_POINT *p = NULL;
    BN_CTX *bn = NULL;
    fb->grp = NULL;
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(fb->grp = EC_GROUP_dup(evote_ec_group()));
    ALLOC_GUARD(p = EC_POINT_new(fb->grp));
    GUARD(mix_pt_to_ec(p, base, bn));
    OSSL_GUARD(EC_GROUP_set_generator(fb->grp, p, evote_ec_order(), BN_value_one()));
    OSSL_GUARD(EC_GROUP_precompute_mult(fb->grp, bn));
out:
    if (ret != EVOTE_OK)
        mix_fb_free(fb);
    EC_POINT_free(p);
    BN_CTX_free(bn);
    return ret;
}

void mix_fb_free(mix_fb *fb) {
    if (fb == NULL)
        return;
    EC_GROUP_free(fb->grp);
    fb->grp = NULL;
}

/* out = k·base (fb = NULL: k·G) as our Jacobian point, without the
 * BIGNUM addition and affine conversion: the coordinates nistz256 leaves
 * are read as they are. tmp, x, y, z are scratch (cleansed by the caller
 * with the rest: k·base may be secret). */
evote_err_t mix_fb_mul_jp(const mix_fb *fb, mix_jp *out, const BIGNUM *k, EC_POINT *tmp,
                          BIGNUM *x, BIGNUM *y, BIGNUM *z, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = fb != NULL ? fb->grp : evote_ec_group();
    uint8_t b[32];
    OSSL_GUARD(EC_POINT_mul(g, tmp, k, NULL, NULL, bn));
    if (EC_POINT_is_at_infinity(g, tmp)) {
        mix_jp_set_inf(out);
        goto out;
    }
    OSSL_GUARD(EC_POINT_get_Jprojective_coordinates_GFp(g, tmp, x, y, z, bn));
    ENSURE(BN_bn2binpad(x, b, 32) == 32, EVOTE_ERR_INTERNAL, "coordinates");
    fe_from_bytes(&out->X, b);
    ENSURE(BN_bn2binpad(y, b, 32) == 32, EVOTE_ERR_INTERNAL, "coordinates");
    fe_from_bytes(&out->Y, b);
    ENSURE(BN_bn2binpad(z, b, 32) == 32, EVOTE_ERR_INTERNAL, "coordinates");
    fe_from_bytes(&out->Z, b);
out:
    OPENSSL_cleanse(b, sizeof(b));
    return ret;
}

/* ---- progress ------------------------------------------------------------------ */

void mix_progress_start(mix_progress *p, bool on, const char *what) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    p->on = on && isatty(2);
    p->what = what;
    p->t0 = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    p->last = 0;
}

void mix_progress_step(mix_progress *p, double frac) {
    struct timespec ts;
    if (p == NULL || !p->on)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + ts.tv_nsec * 1e-9, el = now - p->t0;
    if (now - p->last < 0.5)
        return;
    p->last = now;
    if (frac > 0.01)
        fprintf(stderr, "\r%s: %3.0f%%, %.0f s elapsed, about %.0f s left   ", p->what,
                frac * 100, el, el / frac - el);
    else
        fprintf(stderr, "\r%s: %3.0f%%, %.0f s elapsed   ", p->what, frac * 100, el);
}

void mix_progress_done(mix_progress *p) {
    if (p->on)
        fprintf(stderr, "\r%s: done%40s\n", p->what, "");
}
