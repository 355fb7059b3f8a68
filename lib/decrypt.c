/* libevote — decrypting a ciphertext list through the token, in parallel. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "evote/bytetree.h"
#include "evote/decrypt.h"
#include "evote/tally.h"
#include "hsm_internal.h"

#define MAX_THREADS 256
/* Ciphertexts a worker takes at once: large enough that the shared counter
 * is not contended, small enough that the threads finish together. */
#define CHUNK 8

struct job {
    evote_hsm_t *hsm;
    const evote_ct_t *cts;
    const uint8_t (*c1u)[65]; /* C1 uncompressed, already validated, or NULL */
    size_t n;
    uint32_t noptions;
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

static evote_err_t one(struct job *j, size_t i) {
    evote_err_t ret;
    uint8_t x[32], s_even[EVOTE_POINT_LEN], s_odd[EVOTE_POINT_LEN], pt[EVOTE_POINT_LEN];
    uint32_t sel = EVOTE_SELECTION_INVALID;

    /* C1 is validated before the token sees it: by the list reader when
     * the uncompressed form comes from the list, else by derive_x. A C1
     * that is not a point makes the ballot invalid without a token call. */
    if (j->c1u != NULL)
        ret = evote_hsm_derive_raw(j->hsm, j->c1u[i], x);
    else
        ret = evote_hsm_derive_x(j->hsm, j->cts[i].c1, x);
    if (ret == EVOTE_OK) {
        s_even[0] = 0x02;
        s_odd[0] = 0x03;
        memcpy(s_even + 1, x, 32);
        memcpy(s_odd + 1, x, 32);
        ret = evote_decrypt_resolve(j->cts[i].c2, s_even, s_odd, j->noptions, pt, &sel);
        if (ret != EVOTE_OK) {
            sel = EVOTE_SELECTION_INVALID;
            /* resolve decodes ±S, so a success proves x is on the curve;
             * only a failure needs to tell a broken token (x off the curve)
             * from an invalid ballot. */
            if (evote_point_check(s_even) != EVOTE_OK)
                ret = evote_fail(EVOTE_ERR_PKCS11, "token returned an ECDH x-coordinate "
                                                   "that is not on P-256");
        }
        OPENSSL_cleanse(s_even, sizeof(s_even));
        OPENSSL_cleanse(s_odd, sizeof(s_odd));
    }
    OPENSSL_cleanse(x, sizeof(x));
    if (ret != EVOTE_OK && !is_ballot_fault(ret))
        return ret;
    if (sel == EVOTE_SELECTION_INVALID) {
        memset(pt, 0, sizeof(pt));
        atomic_fetch_add_explicit(&j->invalid, 1, memory_order_relaxed);
    }
    j->selection[i] = sel;
    if (j->plaintext != NULL)
        memcpy(j->plaintext[i], pt, EVOTE_POINT_LEN);
    return EVOTE_OK;
}

static void *worker(void *arg) {
    struct job *j = arg;
    for (;;) {
        if (atomic_load_explicit(&j->stop, memory_order_relaxed))
            break;
        size_t start = atomic_fetch_add(&j->next, CHUNK);
        if (start >= j->n)
            break;
        size_t end = start + CHUNK < j->n ? start + CHUNK : j->n;
        for (size_t i = start; i < end; i++) {
            evote_err_t ret = one(j, i);
            if (ret != EVOTE_OK) {
                job_fail(j, ret, i);
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
    return NULL;
}

static evote_err_t run(evote_hsm_t *hsm, const evote_ct_t *cts, const uint8_t (*c1u)[65],
                       size_t n, uint32_t noptions, const evote_decrypt_opts_t *opts,
                       uint32_t *selection, uint8_t (*plaintext)[EVOTE_POINT_LEN],
                       size_t *ninvalid, unsigned *threads_used) {
    evote_err_t ret = EVOTE_OK;
    struct job j;
    pthread_t tids[MAX_THREADS];
    unsigned nthreads, started = 0;
    bool mu_ok = false;

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
    j.n = n;
    j.noptions = noptions;
    j.selection = selection;
    j.plaintext = plaintext;
    j.progress = opts != NULL ? opts->progress : NULL;
    j.progress_arg = opts != NULL ? opts->progress_arg : NULL;
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
    return ret;
}

evote_err_t evote_decrypt_ctlist(evote_hsm_t *hsm, const evote_ct_t *cts, size_t n,
                                 uint32_t noptions, const evote_decrypt_opts_t *opts,
                                 uint32_t *selection, uint8_t (*plaintext)[EVOTE_POINT_LEN],
                                 size_t *ninvalid) {
    return run(hsm, cts, NULL, n, noptions, opts, selection, plaintext, ninvalid, NULL);
}

/*
 * The list holds every point as (x, y); evote_ctlist_parse has validated
 * them all (on the curve, canonical, not infinity) and kept only the
 * compressed form. The token wants C1 uncompressed, so rather than
 * recomputing y with a square root per ballot, take the coordinates from
 * the validated bytes and check that they agree with the parsed points.
 */
static evote_err_t c1_uncompressed(const uint8_t *data, size_t len, const evote_ct_t *cts,
                                   size_t n, uint8_t (*out)[65]) {
    evote_err_t ret = EVOTE_OK;
    evote_bt_reader_t r;
    uint32_t cnt;
    uint8_t x[33], y[33];

    evote_bt_reader_init(&r, data, len);
    GUARD(evote_bt_read_node(&r, &cnt));
    GUARD(evote_bt_read_node(&r, &cnt));
    ENSURE(cnt == n, EVOTE_ERR_INTERNAL, "ciphertext list changed under us");
    for (size_t i = 0; i < n; i++) {
        GUARD(evote_bt_read_node(&r, &cnt));
        ENSURE(cnt == 2, EVOTE_ERR_INTERNAL, "ciphertext list changed under us");
        GUARD(evote_bt_read_leaf_fixed(&r, x, 33));
        GUARD(evote_bt_read_leaf_fixed(&r, y, 33));
        ENSURE(x[0] == 0 && y[0] == 0 && memcmp(x + 1, cts[i].c1 + 1, 32) == 0 &&
                   cts[i].c1[0] == (0x02 | (y[32] & 1)),
               EVOTE_ERR_INTERNAL, "ciphertext %zu: coordinates disagree with the parsed point",
               i);
        out[i][0] = 0x04;
        memcpy(out[i] + 1, x + 1, 32);
        memcpy(out[i] + 33, y + 1, 32);
    }
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
    uint32_t *sel = NULL;
    uint8_t(*pts)[EVOTE_POINT_LEN] = NULL;
    evote_plaintexts_t *p = NULL;
    size_t n = 0, ci, ninvalid = 0;
    uint8_t digest[EVOTE_HASH_LEN];
    unsigned used = 0;
    double t0, t1;
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
    ALLOC_GUARD(sel = malloc(n * sizeof(*sel)));
    ALLOC_GUARD(pts = malloc(n * sizeof(*pts)));
    GUARD(c1_uncompressed(data, len, cts, n, c1u));
    GUARD(evote_plaintexts_new(&p, n, evote_manifest_hash(m), contest_id, digest));

    clock_gettime(CLOCK_MONOTONIC, &ts);
    t0 = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
    GUARD(run(hsm, cts, (const uint8_t(*)[65])c1u, n, (uint32_t)nopt, opts, sel, pts,
              &ninvalid, &used));
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t1 = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;

    for (size_t i = 0; i < n; i++)
        GUARD(evote_plaintexts_set(p, i, sel[i] == EVOTE_SELECTION_INVALID ? NULL : pts[i]));
    if (stats != NULL) {
        stats->ciphertexts = n;
        stats->invalid = ninvalid;
        stats->valid = n - ninvalid;
        stats->threads = used;
        stats->seconds = t1 - t0;
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
