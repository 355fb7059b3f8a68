/* libevote — decrypting a ciphertext list through the token, in parallel. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "evote/bytetree.h"
#include "evote/decrypt.h"
#include "internal.h"

#define MAX_THREADS 256
/* Ciphertexts a worker takes at once: large enough that the shared counter
 * is not contended, small enough that the threads finish together. */
#define CHUNK 8

struct job {
    evote_hsm_t *hsm;
    const evote_ct_t *cts;
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
    uint8_t s_even[EVOTE_POINT_LEN], s_odd[EVOTE_POINT_LEN], pt[EVOTE_POINT_LEN];
    uint32_t sel = EVOTE_SELECTION_INVALID;

    /* C1 is validated inside derive_lift before the token sees it; a C1
     * that is not a point makes the ballot invalid without a token call. */
    ret = evote_hsm_derive_lift(j->hsm, j->cts[i].c1, s_even, s_odd);
    if (ret == EVOTE_OK) {
        ret = evote_decrypt_resolve(j->cts[i].c2, s_even, s_odd, j->noptions, pt, &sel);
        if (ret != EVOTE_OK)
            sel = EVOTE_SELECTION_INVALID;
    }
    OPENSSL_cleanse(s_even, sizeof(s_even));
    OPENSSL_cleanse(s_odd, sizeof(s_odd));
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

evote_err_t evote_decrypt_ctlist(evote_hsm_t *hsm, const evote_ct_t *cts, size_t n,
                                 uint32_t noptions, const evote_decrypt_opts_t *opts,
                                 uint32_t *selection, uint8_t (*plaintext)[EVOTE_POINT_LEN],
                                 size_t *ninvalid) {
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
    j.n = n;
    j.noptions = noptions;
    j.selection = selection;
    j.plaintext = plaintext;
    j.progress = opts != NULL ? opts->progress : NULL;
    j.progress_arg = opts != NULL ? opts->progress_arg : NULL;
    ENSURE(pthread_mutex_init(&j.mu, NULL) == 0, EVOTE_ERR_THREAD, "mutex init");
    mu_ok = true;

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
