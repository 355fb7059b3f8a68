/*
 * libevote — decrypting a ciphertext list through the token, in parallel.
 *
 * Per ciphertext: the token derives x(S), S = key·C1 (C1 validated first);
 * the ballot's plaintext is the one selection point M_j with C2 − M_j = ±S.
 * Two ways to find it that give the same verdict on every input:
 *
 *  - reference: evote_decrypt_resolve(C2, ±S) (lib/ballot.c) decodes C2
 *    and S (two square roots), forms C2 ∓ S and decodes both;
 *  - x-only (evote_xres_*): compare x(C2 − M_j) with x(S) for every option
 *    j, with C2 affine from the list; no square root, no inversion.
 *
 * Why they agree. The points with x-coordinate x(S) are exactly S and −S.
 * C2 − S decodes to j iff C2 − M_j = S; C2 + S decodes to k iff
 * C2 − M_k = −S ("decodes only what it encodes", ballot.h). So the set
 * J = { j : x(C2 − M_j) = x(S) } has one element per candidate that
 * decodes (S ≠ −S, and the M_j are distinct), and "exactly one of C2 − S,
 * C2 + S decodes" is "|J| = 1"; C2 = M_j gives the identity, which has no
 * x and matches nothing in either method.
 *
 * The x-only test for C2 = (x1, y1), M_j = (x2, y2), x1 ≠ x2: with
 * λ = (y1 + y2)/(x1 − x2) (the chord through C2 and −M_j),
 * x(C2 − M_j) = λ² − x1 − x2, so x(C2 − M_j) = xs iff
 *     (y1 + y2)² = (xs + x1 + x2)·(x1 − x2)²   (mod p);
 * for x1 = x2, C2 = M_j (no match) or C2 = −M_j, and C2 − M_j = −2·M_j.
 *
 * The fast path is refereed: every ballot it calls invalid, and every
 * SPOT_CHECK-th ballot it calls valid, is resolved again by the reference
 * and a disagreement stops the run (EVOTE_ERR_INTERNAL). opts->
 * reference_resolve uses the reference for every ballot.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "decrypt_internal.h"
#include "evote/bytetree.h"
#include "evote/decrypt.h"
#include "evote/tally.h"
#include "hsm_internal.h"

#define MAX_THREADS 256
/* Ciphertexts a worker takes at once: large enough that the shared counter
 * is not contended, small enough that the threads finish together. */
#define CHUNK 8
/* Every SPOT_CHECK-th valid ballot is also resolved by the reference. */
#define SPOT_CHECK 64

/* ---- x-only resolution ------------------------------------------------- */

struct evote_xres {
    uint32_t n;
    BIGNUM *p;
    BN_MONT_CTX *mont;
    BIGNUM **x, **y, **x2; /* M_j and x(2·M_j), Montgomery form */
    uint8_t (*enc)[EVOTE_POINT_LEN];
};

void evote_xres_free(evote_xres_t *t) {
    if (t == NULL)
        return;
    for (uint32_t j = 0; j < t->n; j++) {
        if (t->x != NULL)
            BN_free(t->x[j]);
        if (t->y != NULL)
            BN_free(t->y[j]);
        if (t->x2 != NULL)
            BN_free(t->x2[j]);
    }
    free(t->x);
    free(t->y);
    free(t->x2);
    free(t->enc);
    BN_free(t->p);
    BN_MONT_CTX_free(t->mont);
    free(t);
}

evote_err_t evote_xres_new(evote_xres_t **out, uint32_t noptions) {
    evote_err_t ret = EVOTE_OK;
    evote_xres_t *t = NULL;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *m = NULL, *m2 = NULL;
    BN_CTX *bn = NULL;
    BIGNUM *y2 = NULL;

    ENSURE(out != NULL && noptions > 0 && noptions < EVOTE_SELECTION_INVALID && g != NULL,
           EVOTE_ERR_ARG, "xres: bad argument");
    *out = NULL;
    ALLOC_GUARD(t = calloc(1, sizeof(*t)));
    ALLOC_GUARD(t->x = calloc(noptions, sizeof(*t->x)));
    ALLOC_GUARD(t->y = calloc(noptions, sizeof(*t->y)));
    ALLOC_GUARD(t->x2 = calloc(noptions, sizeof(*t->x2)));
    ALLOC_GUARD(t->enc = calloc(noptions, sizeof(*t->enc)));
    t->n = noptions;
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(t->p = BN_new());
    ALLOC_GUARD(t->mont = BN_MONT_CTX_new());
    ALLOC_GUARD(y2 = BN_new());
    ALLOC_GUARD(m = EC_POINT_new(g));
    ALLOC_GUARD(m2 = EC_POINT_new(g));
    OSSL_GUARD(EC_GROUP_get_curve(g, t->p, NULL, NULL, bn));
    OSSL_GUARD(BN_MONT_CTX_set(t->mont, t->p, bn));
    for (uint32_t j = 0; j < noptions; j++) {
        ALLOC_GUARD(t->x[j] = BN_new());
        ALLOC_GUARD(t->y[j] = BN_new());
        ALLOC_GUARD(t->x2[j] = BN_new());
        GUARD(evote_selection_encode(j, t->enc[j]));
        GUARD(evote_ec_decode(m, t->enc[j], bn));
        OSSL_GUARD(EC_POINT_get_affine_coordinates(g, m, t->x[j], t->y[j], bn));
        OSSL_GUARD(EC_POINT_dbl(g, m2, m, bn));
        OSSL_GUARD(EC_POINT_get_affine_coordinates(g, m2, t->x2[j], y2, bn));
        OSSL_GUARD(BN_to_montgomery(t->x[j], t->x[j], t->mont, bn));
        OSSL_GUARD(BN_to_montgomery(t->y[j], t->y[j], t->mont, bn));
        OSSL_GUARD(BN_to_montgomery(t->x2[j], t->x2[j], t->mont, bn));
    }
    *out = t;
    t = NULL;
out:
    EC_POINT_free(m);
    EC_POINT_free(m2);
    BN_free(y2);
    BN_CTX_free(bn);
    evote_xres_free(t);
    return ret;
}

evote_err_t evote_xres_resolve(const evote_xres_t *t, BN_CTX *bn, const uint8_t c2x[32],
                               const uint8_t c2y[32], const uint8_t sx[32],
                               uint32_t *selection, const uint8_t **plaintext) {
    evote_err_t ret = EVOTE_OK;
    BIGNUM *xs, *x1, *y1, *a, *b, *d, *l, *r;
    uint32_t matches = 0, sel = 0;
    bool started = false;

    ENSURE(t != NULL && bn != NULL && c2x != NULL && c2y != NULL && sx != NULL &&
               selection != NULL && plaintext != NULL,
           EVOTE_ERR_ARG, "xres: bad argument");
    *selection = EVOTE_SELECTION_INVALID;
    *plaintext = NULL;
    BN_CTX_start(bn);
    started = true;
    xs = BN_CTX_get(bn);
    x1 = BN_CTX_get(bn);
    y1 = BN_CTX_get(bn);
    a = BN_CTX_get(bn);
    b = BN_CTX_get(bn);
    d = BN_CTX_get(bn);
    l = BN_CTX_get(bn);
    r = BN_CTX_get(bn);
    ALLOC_GUARD(r);
    ALLOC_GUARD(BN_bin2bn(sx, 32, xs));
    ALLOC_GUARD(BN_bin2bn(c2x, 32, x1));
    ALLOC_GUARD(BN_bin2bn(c2y, 32, y1));
    /* C2 was validated by the caller; an x(S) ≥ p comes from a broken token
     * and matches nothing here (the referee then blames the token). */
    ENSURE(BN_cmp(x1, t->p) < 0 && BN_cmp(y1, t->p) < 0, EVOTE_ERR_ARG,
           "xres: C2 coordinates not reduced");
    ENSURE(BN_cmp(xs, t->p) < 0, EVOTE_ERR_NOT_A_SELECTION, "x(S) is not below p");
    OSSL_GUARD(BN_to_montgomery(xs, xs, t->mont, bn));
    OSSL_GUARD(BN_to_montgomery(x1, x1, t->mont, bn));
    OSSL_GUARD(BN_to_montgomery(y1, y1, t->mont, bn));
    for (uint32_t j = 0; j < t->n; j++) {
        if (BN_cmp(x1, t->x[j]) == 0) {
            /* C2 = M_j: C2 − M_j is the identity, no match. C2 = −M_j:
             * C2 − M_j = −2·M_j. */
            if (BN_cmp(y1, t->y[j]) != 0 && BN_cmp(xs, t->x2[j]) == 0) {
                matches++;
                sel = j;
            }
            continue;
        }
        OSSL_GUARD(BN_mod_add_quick(a, y1, t->y[j], t->p));     /* y1 + y2 */
        OSSL_GUARD(BN_mod_sub_quick(b, x1, t->x[j], t->p));     /* x1 − x2 */
        OSSL_GUARD(BN_mod_add_quick(d, xs, x1, t->p));
        OSSL_GUARD(BN_mod_add_quick(d, d, t->x[j], t->p));      /* xs + x1 + x2 */
        OSSL_GUARD(BN_mod_mul_montgomery(l, a, a, t->mont, bn));
        OSSL_GUARD(BN_mod_mul_montgomery(r, b, b, t->mont, bn));
        OSSL_GUARD(BN_mod_mul_montgomery(r, r, d, t->mont, bn));
        if (BN_cmp(l, r) == 0) {
            matches++;
            sel = j;
        }
    }
    ENSURE(matches == 1, EVOTE_ERR_NOT_A_SELECTION,
           matches ? "both C2 - S and C2 + S decode" : "neither C2 - S nor C2 + S decodes");
    *selection = sel;
    *plaintext = t->enc[sel];
out:
    if (started)
        BN_CTX_end(bn);
    return ret;
}

/* ---- the parallel run --------------------------------------------------- */

struct job {
    evote_hsm_t *hsm;
    const evote_ct_t *cts;
    const uint8_t (*c1u)[65];  /* C1 uncompressed, already validated, or NULL */
    const uint8_t (*c2xy)[64]; /* C2 affine x ‖ y, already validated, or NULL */
    size_t n;
    uint32_t noptions;
    const evote_xres_t *xres; /* NULL: reference resolution for every ballot */
    uint32_t *selection;
    uint8_t (*plaintext)[EVOTE_POINT_LEN];

    atomic_size_t next;
    atomic_size_t done;
    atomic_size_t invalid;
    atomic_bool stop;

    pthread_mutex_t mu; /* guards the first error and progress calls */
    evote_err_t err;
    char detail[512];
    evote_decrypt_progress_fn progress;
    void *progress_arg;
};

static void job_fail(struct job *j, evote_err_t err, size_t index) {
    pthread_mutex_lock(&j->mu);
    if (j->err == EVOTE_OK) {
        j->err = err;
        snprintf(j->detail, sizeof(j->detail), "ciphertext %zu: %s", index,
                 evote_err_detail());
    }
    pthread_mutex_unlock(&j->mu);
    atomic_store(&j->stop, true);
}

/* A failure that says something about the ballot rather than the token or
 * the machine: the ballot is invalid, the run goes on. */
static bool is_ballot_fault(evote_err_t err) {
    return err == EVOTE_ERR_NOT_A_SELECTION || err == EVOTE_ERR_POINT_INVALID ||
           err == EVOTE_ERR_POINT_NOT_ON_CURVE || err == EVOTE_ERR_POINT_INFINITY;
}

/* The reference verdict: evote_decrypt_resolve on the lifts of x. A
 * failure that is not the ballot's fault (e.g. an x off the curve, which
 * only a broken token returns) is returned as an error. */
static evote_err_t reference(const struct job *j, size_t i, const uint8_t x[32], uint32_t *sel,
                             uint8_t pt[EVOTE_POINT_LEN]) {
    uint8_t s_even[EVOTE_POINT_LEN], s_odd[EVOTE_POINT_LEN];
    s_even[0] = 0x02;
    s_odd[0] = 0x03;
    memcpy(s_even + 1, x, 32);
    memcpy(s_odd + 1, x, 32);
    evote_err_t ret = evote_decrypt_resolve(j->cts[i].c2, s_even, s_odd, j->noptions, pt, sel);
    if (ret != EVOTE_OK) {
        *sel = EVOTE_SELECTION_INVALID;
        memset(pt, 0, EVOTE_POINT_LEN);
        /* resolve decodes ±S, so a success proves x is on the curve; only a
         * failure needs to tell a broken token from an invalid ballot. */
        if (evote_point_check(s_even) != EVOTE_OK)
            ret = evote_fail(EVOTE_ERR_PKCS11,
                             "token returned an ECDH x-coordinate that is not on P-256");
        else if (is_ballot_fault(ret))
            ret = EVOTE_OK;
    }
    OPENSSL_cleanse(s_even, sizeof(s_even));
    OPENSSL_cleanse(s_odd, sizeof(s_odd));
    return ret;
}

/* C2 of ciphertext i in affine form: from the list, else decoded. */
static evote_err_t c2_affine(const struct job *j, size_t i, BN_CTX *bn, uint8_t xy[64]) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *p = NULL;
    BIGNUM *x, *y;
    if (j->c2xy != NULL) {
        memcpy(xy, j->c2xy[i], 64);
        return EVOTE_OK;
    }
    BN_CTX_start(bn);
    x = BN_CTX_get(bn);
    y = BN_CTX_get(bn);
    ALLOC_GUARD(y);
    ALLOC_GUARD(p = EC_POINT_new(g));
    GUARD(evote_ec_decode(p, j->cts[i].c2, bn));
    OSSL_GUARD(EC_POINT_get_affine_coordinates(g, p, x, y, bn));
    ENSURE(BN_bn2binpad(x, xy, 32) == 32 && BN_bn2binpad(y, xy + 32, 32) == 32,
           EVOTE_ERR_INTERNAL, "coordinate encoding");
out:
    BN_CTX_end(bn);
    EC_POINT_free(p);
    return ret;
}

static evote_err_t one(struct job *j, BN_CTX *bn, size_t i) {
    evote_err_t ret;
    uint8_t x[32], c2[64], pt[EVOTE_POINT_LEN];
    uint32_t sel = EVOTE_SELECTION_INVALID;

    /* C1 is validated before the token sees it: by the list reader when the
     * uncompressed form comes from the list, else by derive_x. A C1 or C2
     * that is not a point makes the ballot invalid (C1: without a token
     * call). */
    if (j->c1u != NULL)
        ret = evote_hsm_derive_raw(j->hsm, j->c1u[i], x);
    else
        ret = evote_hsm_derive_x(j->hsm, j->cts[i].c1, x);
    if (ret != EVOTE_OK)
        goto out;
    if (j->xres == NULL) {
        ret = reference(j, i, x, &sel, pt);
        goto out;
    }
    if ((ret = c2_affine(j, i, bn, c2)) != EVOTE_OK)
        goto out;
    const uint8_t *m = NULL;
    ret = evote_xres_resolve(j->xres, bn, c2, c2 + 32, x, &sel, &m);
    if (ret == EVOTE_OK) {
        memcpy(pt, m, EVOTE_POINT_LEN);
        if (i % SPOT_CHECK == 0) {
            uint32_t rsel;
            uint8_t rpt[EVOTE_POINT_LEN];
            if ((ret = reference(j, i, x, &rsel, rpt)) != EVOTE_OK)
                goto out;
            if (rsel != sel || memcmp(rpt, pt, EVOTE_POINT_LEN) != 0)
                ret = evote_fail(EVOTE_ERR_INTERNAL,
                                 "x-only and reference resolution disagree (valid ballot)");
        }
    } else if (ret == EVOTE_ERR_NOT_A_SELECTION) {
        /* an invalid verdict is always confirmed by the reference */
        if ((ret = reference(j, i, x, &sel, pt)) == EVOTE_OK && sel != EVOTE_SELECTION_INVALID)
            ret = evote_fail(EVOTE_ERR_INTERNAL,
                             "x-only and reference resolution disagree (invalid ballot)");
    }
out:
    OPENSSL_cleanse(x, sizeof(x));
    if (ret != EVOTE_OK && !is_ballot_fault(ret)) {
        OPENSSL_cleanse(pt, sizeof(pt));
        return ret;
    }
    if (ret != EVOTE_OK)
        sel = EVOTE_SELECTION_INVALID;
    if (sel == EVOTE_SELECTION_INVALID) {
        memset(pt, 0, sizeof(pt));
        atomic_fetch_add_explicit(&j->invalid, 1, memory_order_relaxed);
    }
    j->selection[i] = sel;
    if (j->plaintext != NULL)
        memcpy(j->plaintext[i], pt, EVOTE_POINT_LEN);
    OPENSSL_cleanse(pt, sizeof(pt));
    return EVOTE_OK;
}

static void *worker(void *arg) {
    struct job *j = arg;
    BN_CTX *bn = BN_CTX_new();
    if (bn == NULL) {
        evote_fail(EVOTE_ERR_NOMEM, "out of memory");
        job_fail(j, EVOTE_ERR_NOMEM, atomic_load(&j->next));
        return NULL;
    }
    for (;;) {
        if (atomic_load_explicit(&j->stop, memory_order_relaxed))
            break;
        size_t start = atomic_fetch_add(&j->next, CHUNK);
        if (start >= j->n)
            break;
        size_t end = start + CHUNK < j->n ? start + CHUNK : j->n;
        for (size_t i = start; i < end; i++) {
            evote_err_t ret = one(j, bn, i);
            if (ret != EVOTE_OK) {
                job_fail(j, ret, i);
                BN_CTX_free(bn);
                return NULL;
            }
        }
        size_t done = atomic_fetch_add(&j->done, end - start) + (end - start);
        if (j->progress != NULL) {
            pthread_mutex_lock(&j->mu);
            j->progress(j->progress_arg, done, j->n);
            pthread_mutex_unlock(&j->mu);
        }
    }
    BN_CTX_free(bn);
    return NULL;
}

static evote_err_t run(evote_hsm_t *hsm, const evote_ct_t *cts, const uint8_t (*c1u)[65],
                       const uint8_t (*c2xy)[64], size_t n, uint32_t noptions,
                       const evote_decrypt_opts_t *opts, uint32_t *selection,
                       uint8_t (*plaintext)[EVOTE_POINT_LEN], size_t *ninvalid,
                       unsigned *threads_used) {
    evote_err_t ret = EVOTE_OK;
    struct job j;
    pthread_t tids[MAX_THREADS];
    unsigned nthreads, started = 0;
    bool mu_ok = false;
    evote_xres_t *xres = NULL;

    memset(&j, 0, sizeof(j));
    ENSURE(hsm != NULL && cts != NULL && n > 0 && selection != NULL && ninvalid != NULL,
           EVOTE_ERR_ARG, "decrypt: bad argument");
    ENSURE(noptions > 0, EVOTE_ERR_ARG, "decrypt: a contest needs options");
    *ninvalid = 0;
    nthreads = opts != NULL && opts->threads > 0 ? opts->threads : evote_hsm_session_count(hsm);
    ENSURE(nthreads >= 1 && nthreads <= MAX_THREADS, EVOTE_ERR_ARG,
           "decrypt: %u threads (1 to %d)", nthreads, MAX_THREADS);
    if ((size_t)nthreads > (n + CHUNK - 1) / CHUNK)
        nthreads = (unsigned)((n + CHUNK - 1) / CHUNK);

    j.hsm = hsm;
    j.cts = cts;
    j.c1u = c1u;
    j.c2xy = c2xy;
    j.n = n;
    j.noptions = noptions;
    j.selection = selection;
    j.plaintext = plaintext;
    j.progress = opts != NULL ? opts->progress : NULL;
    j.progress_arg = opts != NULL ? opts->progress_arg : NULL;
    if (opts == NULL || !opts->reference_resolve) {
        GUARD(evote_xres_new(&xres, noptions));
        j.xres = xres;
    }
    ENSURE(pthread_mutex_init(&j.mu, NULL) == 0, EVOTE_ERR_THREAD, "mutex init");
    mu_ok = true;
    if (threads_used != NULL)
        *threads_used = nthreads;

    if (nthreads == 1) {
        worker(&j);
    } else {
        for (; started < nthreads; started++) {
            if (pthread_create(&tids[started], NULL, worker, &j) != 0) {
                pthread_mutex_lock(&j.mu);
                if (j.err == EVOTE_OK) {
                    j.err = EVOTE_ERR_THREAD;
                    snprintf(j.detail, sizeof(j.detail), "could not start worker thread %u",
                             started);
                }
                pthread_mutex_unlock(&j.mu);
                atomic_store(&j.stop, true);
                break;
            }
        }
        for (unsigned t = 0; t < started; t++)
            pthread_join(tids[t], NULL);
    }
    if (j.err != EVOTE_OK) {
        ret = evote_fail(j.err, "%s", j.detail);
        goto out;
    }
    ENSURE(atomic_load(&j.done) == n, EVOTE_ERR_INTERNAL,
           "decrypt: %zu of %zu ciphertexts done", atomic_load(&j.done), n);
    *ninvalid = atomic_load(&j.invalid);
out:
    if (ret != EVOTE_OK && selection != NULL && cts != NULL) {
        memset(selection, 0, n * sizeof(*selection));
        if (plaintext != NULL)
            OPENSSL_cleanse(plaintext, n * EVOTE_POINT_LEN);
    }
    if (mu_ok)
        pthread_mutex_destroy(&j.mu);
    evote_xres_free(xres);
    return ret;
}

evote_err_t evote_decrypt_ctlist(evote_hsm_t *hsm, const evote_ct_t *cts, size_t n,
                                 uint32_t noptions, const evote_decrypt_opts_t *opts,
                                 uint32_t *selection, uint8_t (*plaintext)[EVOTE_POINT_LEN],
                                 size_t *ninvalid) {
    return run(hsm, cts, NULL, NULL, n, noptions, opts, selection, plaintext, ninvalid, NULL);
}

/*
 * The list holds every point as (x, y); evote_ctlist_parse has validated
 * them all (on the curve, canonical, not infinity) and kept only the
 * compressed form. The token wants C1 uncompressed and the x-only
 * resolution wants C2 affine, so rather than recomputing y with a square
 * root per point, take the coordinates from the validated bytes and check
 * that they agree with the parsed points.
 */
static evote_err_t read_xy(evote_bt_reader_t *r, const uint8_t parsed[EVOTE_POINT_LEN],
                           size_t i, uint8_t xy[64]) {
    evote_err_t ret = EVOTE_OK;
    uint32_t cnt;
    uint8_t x[33], y[33];
    GUARD(evote_bt_read_node(r, &cnt));
    ENSURE(cnt == 2, EVOTE_ERR_INTERNAL, "ciphertext list changed under us");
    GUARD(evote_bt_read_leaf_fixed(r, x, 33));
    GUARD(evote_bt_read_leaf_fixed(r, y, 33));
    ENSURE(x[0] == 0 && y[0] == 0 && memcmp(x + 1, parsed + 1, 32) == 0 &&
               parsed[0] == (0x02 | (y[32] & 1)),
           EVOTE_ERR_INTERNAL, "ciphertext %zu: coordinates disagree with the parsed point", i);
    memcpy(xy, x + 1, 32);
    memcpy(xy + 32, y + 1, 32);
out:
    return ret;
}

static evote_err_t list_coordinates(const uint8_t *data, size_t len, const evote_ct_t *cts,
                                    size_t n, uint8_t (*c1u)[65], uint8_t (*c2xy)[64]) {
    evote_err_t ret = EVOTE_OK;
    evote_bt_reader_t r;
    uint32_t cnt;

    evote_bt_reader_init(&r, data, len);
    GUARD(evote_bt_read_node(&r, &cnt));
    GUARD(evote_bt_read_node(&r, &cnt));
    ENSURE(cnt == n, EVOTE_ERR_INTERNAL, "ciphertext list changed under us");
    for (size_t i = 0; i < n; i++) {
        c1u[i][0] = 0x04;
        GUARD(read_xy(&r, cts[i].c1, i, c1u[i] + 1));
    }
    GUARD(evote_bt_read_node(&r, &cnt));
    ENSURE(cnt == n, EVOTE_ERR_INTERNAL, "ciphertext list changed under us");
    for (size_t i = 0; i < n; i++)
        GUARD(read_xy(&r, cts[i].c2, i, c2xy[i]));
out:
    return ret;
}

evote_err_t evote_decrypt_list(evote_hsm_t *hsm, const evote_manifest_t *m,
                               const char *contest_id, const uint8_t *data, size_t len,
                               const evote_decrypt_opts_t *opts, evote_plaintexts_t **out,
                               evote_decrypt_stats_t *stats) {
    evote_err_t ret = EVOTE_OK;
    evote_ct_t *cts = NULL;
    uint8_t(*c1u)[65] = NULL;
    uint8_t(*c2xy)[64] = NULL;
    uint32_t *sel = NULL;
    uint8_t(*pts)[EVOTE_POINT_LEN] = NULL;
    evote_plaintexts_t *p = NULL;
    size_t n = 0, ci, ninvalid = 0;
    uint8_t digest[EVOTE_HASH_LEN];
    unsigned used = 0;
    double t0, t1, c0, c1;
    struct timespec ts;

    ENSURE(hsm != NULL && m != NULL && contest_id != NULL && data != NULL && out != NULL,
           EVOTE_ERR_ARG, "decrypt: bad argument");
    *out = NULL;
    if (stats != NULL)
        memset(stats, 0, sizeof(*stats));
    GUARD(evote_manifest_contest_index(m, contest_id, &ci));
    size_t nopt = evote_manifest_option_count(m, ci);
    ENSURE(nopt >= 1 && nopt < EVOTE_SELECTION_INVALID, EVOTE_ERR_MANIFEST,
           "contest %s has %zu options", contest_id, nopt);
    GUARD(evote_sha256(data, len, digest));
    GUARD(evote_ctlist_parse(data, len, &cts, &n));
    ALLOC_GUARD(c1u = malloc(n * sizeof(*c1u)));
    ALLOC_GUARD(c2xy = malloc(n * sizeof(*c2xy)));
    ALLOC_GUARD(sel = malloc(n * sizeof(*sel)));
    ALLOC_GUARD(pts = malloc(n * sizeof(*pts)));
    GUARD(list_coordinates(data, len, cts, n, c1u, c2xy));
    GUARD(evote_plaintexts_new(&p, n, evote_manifest_hash(m), contest_id, digest));

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    c0 = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    GUARD(run(hsm, cts, (const uint8_t(*)[65])c1u, (const uint8_t(*)[64])c2xy, n,
              (uint32_t)nopt, opts, sel, pts, &ninvalid, &used));
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t1 = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    c1 = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;

    for (size_t i = 0; i < n; i++)
        GUARD(evote_plaintexts_set(p, i, sel[i] == EVOTE_SELECTION_INVALID ? NULL : pts[i]));
    if (stats != NULL) {
        stats->ciphertexts = n;
        stats->invalid = ninvalid;
        stats->valid = n - ninvalid;
        stats->threads = used;
        stats->seconds = t1 - t0;
        stats->cpu_seconds = c1 - c0;
    }
    *out = p;
    p = NULL;
out:
    if (pts != NULL)
        OPENSSL_cleanse(pts, n * sizeof(*pts));
    if (sel != NULL)
        OPENSSL_cleanse(sel, n * sizeof(*sel));
    free(pts);
    free(sel);
    free(c1u);
    free(c2xy);
    free(cts);
    evote_plaintexts_free(p);
    return ret;
}

evote_err_t evote_decrypt_file(evote_hsm_t *hsm, const evote_manifest_t *m,
                               const char *contest_id, const char *in_path,
                               const char *out_path, const evote_decrypt_opts_t *opts,
                               evote_decrypt_stats_t *stats) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    evote_plaintexts_t *p = NULL;

    ENSURE(in_path != NULL && out_path != NULL, EVOTE_ERR_ARG, "decrypt: bad argument");
    ENSURE(access(out_path, F_OK) != 0, EVOTE_ERR_EXISTS, "%s already exists", out_path);
    GUARD(evote_read_file(in_path, (size_t)EVOTE_CTLIST_MAX * 200, &data, &len));
    ret = evote_decrypt_list(hsm, m, contest_id, data, len, opts, &p, stats);
    if (ret != EVOTE_OK) {
        char detail[512];
        snprintf(detail, sizeof(detail), "%s", evote_err_detail());
        ret = evote_fail(ret, "%s: %s", in_path, detail);
        goto out;
    }
    GUARD(evote_plaintexts_write(p, out_path));
out:
    free(data);
    evote_plaintexts_free(p);
    return ret;
}
