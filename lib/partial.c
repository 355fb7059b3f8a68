/*
 * libevote — partial decryptions (one trustee's share of a whole list) with
 * exact ± resolution, checkpointing, and combining the parts of all
 * trustees into the published decryption.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>

#include "ceremony_internal.h"
#include "evote/bytetree.h"
#include "evote/trustee.h"
#include "hsm_internal.h"
#include "internal.h"

#define PART_MAGIC "EVPD"
#define CKPT_MAGIC "EVPC"
#define DEFAULT_K 4096

struct evote_partial {
    uint8_t manifest_hash[EVOTE_HASH_LEN];
    uint8_t list_hash[EVOTE_HASH_LEN];
    char contest[EVOTE_ID_MAX + 1];
    char trustee[EVOTE_ID_MAX + 1];
    uint8_t pk[EVOTE_POINT_LEN];
    size_t n;
    uint8_t (*d)[EVOTE_POINT_LEN];
};

void evote_partial_free(evote_partial_t *p) {
    if (p == NULL)
        return;
    free(p->d);
    free(p);
}

const char *evote_partial_trustee(const evote_partial_t *p) { return p->trustee; }
const char *evote_partial_contest(const evote_partial_t *p) { return p->contest; }
const uint8_t *evote_partial_pk(const evote_partial_t *p) { return p->pk; }
const uint8_t *evote_partial_list_hash(const evote_partial_t *p) {
    return p->list_hash;
}
const uint8_t *evote_partial_manifest_hash(const evote_partial_t *p) {
    return p->manifest_hash;
}
size_t evote_partial_count(const evote_partial_t *p) { return p->n; }
const uint8_t *evote_partial_part(const evote_partial_t *p, size_t j) {
    return j < p->n ? p->d[j] : NULL;
}

/* ---- header shared by partial files and checkpoints ---------------------- */

static evote_err_t put_header(evote_buf_t *b, const char *magic,
                              const evote_partial_t *p) {
    evote_err_t ret = EVOTE_OK;
    uint8_t v = EVOTE_PROTOCOL_VERSION, l;
    GUARD(evote_buf_append(b, magic, 4));
    GUARD(evote_buf_append(b, &v, 1));
    GUARD(evote_buf_append(b, p->manifest_hash, EVOTE_HASH_LEN));
    GUARD(evote_buf_append(b, p->list_hash, EVOTE_HASH_LEN));
    l = (uint8_t)strlen(p->contest);
    GUARD(evote_buf_append(b, &l, 1));
    GUARD(evote_buf_append(b, p->contest, l));
    l = (uint8_t)strlen(p->trustee);
    GUARD(evote_buf_append(b, &l, 1));
    GUARD(evote_buf_append(b, p->trustee, l));
    GUARD(evote_buf_append(b, p->pk, EVOTE_POINT_LEN));
    uint8_t n8[8];
    evote_put_u64be(n8, p->n);
    GUARD(evote_buf_append(b, n8, 8));
out:
    return ret;
}

typedef struct {
    const uint8_t *p;
    size_t left;
} cur_t;

static evote_err_t take(cur_t *c, void *out, size_t len, const char *what) {
    if (c->left < len)
        return evote_fail(EVOTE_ERR_TRUNCATED, "partial decryption: %s truncated",
                          what);
    memcpy(out, c->p, len);
    c->p += len;
    c->left -= len;
    return EVOTE_OK;
}

static evote_err_t take_id(cur_t *c, char out[EVOTE_ID_MAX + 1], const char *what) {
    evote_err_t ret = EVOTE_OK;
    uint8_t l = 0;
    GUARD(take(c, &l, 1, what));
    ENSURE(l > 0 && l <= EVOTE_ID_MAX, EVOTE_ERR_FORMAT, "%s: bad length %u", what,
           (unsigned)l);
    GUARD(take(c, out, l, what));
    out[l] = '\0';
    ENSURE(evote_id_check(out, what) == EVOTE_OK, EVOTE_ERR_FORMAT, "%s: bad id",
           what);
out:
    return ret;
}

static evote_err_t get_header(cur_t *c, const char *magic, evote_partial_t *p) {
    evote_err_t ret = EVOTE_OK;
    char m[4];
    uint8_t v = 0, n8[8];
    GUARD(take(c, m, 4, "magic"));
    ENSURE(memcmp(m, magic, 4) == 0, EVOTE_ERR_FORMAT, "not a %s file",
           strcmp(magic, PART_MAGIC) == 0 ? "partial decryption" : "checkpoint");
    GUARD(take(c, &v, 1, "version"));
    ENSURE(v == EVOTE_PROTOCOL_VERSION, EVOTE_ERR_VERSION, "version %u", v);
    GUARD(take(c, p->manifest_hash, EVOTE_HASH_LEN, "manifest hash"));
    GUARD(take(c, p->list_hash, EVOTE_HASH_LEN, "list hash"));
    GUARD(take_id(c, p->contest, "contest id"));
    GUARD(take_id(c, p->trustee, "trustee id"));
    GUARD(take(c, p->pk, EVOTE_POINT_LEN, "public key"));
    GUARD(evote_point_check(p->pk));
    GUARD(take(c, n8, 8, "count"));
    uint64_t n = evote_get_u64be(n8);
    ENSURE(n >= 1 && n <= EVOTE_CTLIST_MAX, EVOTE_ERR_FORMAT, "count %llu",
           (unsigned long long)n);
    p->n = (size_t)n;
out:
    return ret;
}

evote_err_t evote_partial_write(const evote_partial_t *p, const char *path) {
    evote_err_t ret = EVOTE_OK;
    evote_buf_t b = {0};
    ENSURE(p != NULL && path != NULL, EVOTE_ERR_ARG, "partial write: bad argument");
    GUARD(put_header(&b, PART_MAGIC, p));
    GUARD(evote_buf_append(&b, p->d, p->n * EVOTE_POINT_LEN));
    GUARD(evote_write_file_atomic(path, b.data, b.len, false, false));
out:
    evote_buf_free(&b);
    return ret;
}

evote_err_t evote_partial_read(evote_partial_t **out, const char *path) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL;
    size_t len = 0;
    evote_partial_t *p = NULL;
    ENSURE(out != NULL && path != NULL, EVOTE_ERR_ARG, "partial read: bad argument");
    *out = NULL;
    GUARD(evote_read_file(path, (size_t)EVOTE_CTLIST_MAX * EVOTE_POINT_LEN + 4096,
                          &data, &len));
    ENSURE(len < 4 || memcmp(data, CKPT_MAGIC, 4) != 0, EVOTE_ERR_CHECKPOINT,
           "%s is an unfinished partial-decryption checkpoint: finish or remove it", path);
    ALLOC_GUARD(p = calloc(1, sizeof(*p)));
    cur_t c = {data, len};
    GUARD(get_header(&c, PART_MAGIC, p));
    ENSURE(c.left == p->n * EVOTE_POINT_LEN, c.left < p->n * EVOTE_POINT_LEN
                                                 ? EVOTE_ERR_TRUNCATED
                                                 : EVOTE_ERR_FORMAT,
           "%s: %zu bytes of parts for %zu ciphertexts", path, c.left, p->n);
    ALLOC_GUARD(p->d = malloc(p->n * EVOTE_POINT_LEN));
    memcpy(p->d, c.p, p->n * EVOTE_POINT_LEN);
    for (size_t j = 0; j < p->n; j++) {
        evote_err_t r = evote_point_check(p->d[j]);
        ENSURE(r == EVOTE_OK, r, "%s: part %zu is not a valid point", path, j);
    }
    *out = p;
    p = NULL;
out:
    evote_partial_free(p);
    free(data);
    return ret;
}

/* ---- checkpoints --------------------------------------------------------- */

static evote_err_t ckpt_write(const char *path, const evote_partial_t *p,
                              size_t done) {
    evote_err_t ret = EVOTE_OK;
    evote_buf_t b = {0};
    uint8_t d8[8], h[EVOTE_HASH_LEN];
    GUARD(put_header(&b, CKPT_MAGIC, p));
    evote_put_u64be(d8, done);
    GUARD(evote_buf_append(&b, d8, 8));
    GUARD(evote_buf_append(&b, p->d, done * EVOTE_POINT_LEN));
    GUARD(evote_sha256(b.data, b.len, h));
    GUARD(evote_buf_append(&b, h, sizeof(h)));
    GUARD(evote_write_file_atomic(path, b.data, b.len, false, true));
out:
    evote_buf_free(&b);
    return ret;
}

/* Load a checkpoint matching p's header into p->d; *done = parts restored. */
static evote_err_t ckpt_load(const char *path, evote_partial_t *p, size_t *done) {
    evote_err_t ret = EVOTE_OK;
    uint8_t *data = NULL, d8[8], h[EVOTE_HASH_LEN];
    size_t len = 0;
    evote_partial_t hdr = {0};
    *done = 0;
    if (access(path, F_OK) != 0)
        return EVOTE_OK;
    GUARD(evote_read_file(path, (size_t)EVOTE_CTLIST_MAX * EVOTE_POINT_LEN + 4096,
                          &data, &len));
    ENSURE(len > EVOTE_HASH_LEN, EVOTE_ERR_CHECKPOINT, "%s: too short", path);
    GUARD(evote_sha256(data, len - EVOTE_HASH_LEN, h));
    ENSURE(CRYPTO_memcmp(h, data + len - EVOTE_HASH_LEN, EVOTE_HASH_LEN) == 0,
           EVOTE_ERR_CHECKPOINT, "%s: damaged (digest mismatch)", path);
    cur_t c = {data, len - EVOTE_HASH_LEN};
    ENSURE(get_header(&c, CKPT_MAGIC, &hdr) == EVOTE_OK, EVOTE_ERR_CHECKPOINT,
           "%s: bad header (%s)", path, evote_err_detail());
    ENSURE(memcmp(hdr.manifest_hash, p->manifest_hash, EVOTE_HASH_LEN) == 0 &&
               memcmp(hdr.list_hash, p->list_hash, EVOTE_HASH_LEN) == 0 &&
               strcmp(hdr.contest, p->contest) == 0 &&
               strcmp(hdr.trustee, p->trustee) == 0 &&
               memcmp(hdr.pk, p->pk, EVOTE_POINT_LEN) == 0 && hdr.n == p->n,
           EVOTE_ERR_CHECKPOINT,
           "%s belongs to another list, contest, trustee or key; remove it to "
           "start afresh", path);
    GUARD(take(&c, d8, 8, "done"));
    uint64_t d = evote_get_u64be(d8);
    ENSURE(d <= p->n && c.left == d * EVOTE_POINT_LEN, EVOTE_ERR_CHECKPOINT,
           "%s: inconsistent length", path);
    memcpy(p->d, c.p, (size_t)d * EVOTE_POINT_LEN);
    *done = (size_t)d;
out:
    free(data);
    return ret;
}

/* ---- computing one trustee's parts ------------------------------------- */

typedef struct {
    evote_partial_t *p;
    const evote_ct_t *cts;
    evote_derive_x_fn derive;
    /* Optional faster path: derive on a validated uncompressed point. */
    evote_err_t (*derive65)(void *ctx, const uint8_t p65[65], uint8_t x[32]);
    void *ctx;
    size_t start, end;
    unsigned stride;
    pthread_mutex_t mu;
    evote_err_t err;
    size_t err_index;
    char err_detail[256];
} job_t;

typedef struct {
    job_t *job;
    unsigned t;
} worker_t;

/* x-coordinate of an affine point, 32 bytes big-endian. */
static evote_err_t affine_x(uint8_t x[32], const EC_POINT *p, BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    BIGNUM *bx = NULL;
    BN_CTX_start(bn);
    ALLOC_GUARD(bx = BN_CTX_get(bn));
    OSSL_GUARD(EC_POINT_get_affine_coordinates(evote_ec_group(), p, bx, NULL, bn));
    ENSURE(BN_bn2binpad(bx, x, 32) == 32, EVOTE_ERR_CRYPTO, "x-coordinate");
out:
    BN_CTX_end(bn);
    return ret;
}

static evote_err_t ask(job_t *jb, const EC_POINT *p, const uint8_t *compressed,
                       uint8_t x[32], BN_CTX *bn) {
    evote_err_t ret = EVOTE_OK;
    if (jb->derive65 != NULL) {
        uint8_t unc[65];
        ENSURE(EC_POINT_point2oct(evote_ec_group(), p, POINT_CONVERSION_UNCOMPRESSED, unc,
                                  sizeof(unc), bn) == sizeof(unc),
               EVOTE_ERR_CRYPTO, "point encoding");
        return jb->derive65(jb->ctx, unc, x);
    }
    uint8_t q[EVOTE_POINT_LEN];
    if (compressed == NULL) {
        GUARD(evote_ec_encode(q, p, bn));
        compressed = q;
    }
    ret = jb->derive(jb->ctx, compressed, x);
out:
    return ret;
}

/*
 * S_i for ciphertext j: derive on C1 and C1+G; of the lifts ±S of the first
 * answer keep the one with x(S + PK_i) equal to the second. Both cannot fit
 * (x(S+PK) = x(−S+PK) would need S or PK to be the identity or of order 2,
 * which P-256 excludes), so the second lift is tried only if the first
 * fails; if neither fits the token is refused.
 */
static evote_err_t one_part(job_t *jb, size_t j, BN_CTX *bn, EC_POINT *c1,
                            EC_POINT *pk, EC_POINT *s, EC_POINT *t) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    uint8_t x1[32], x2[32], cand[EVOTE_POINT_LEN], sx[32];

    GUARD(evote_ec_decode(c1, jb->cts[j].c1, bn));
    /* t = C1 + G */
    OSSL_GUARD(EC_POINT_add(g, t, c1, EC_GROUP_get0_generator(g), bn));
    if (EC_POINT_is_at_infinity(g, t)) {
        /* C1 = −G, so S_i = x_i·(−G) = −PK_i exactly: nothing to ask. */
        OSSL_GUARD(EC_POINT_copy(s, pk));
        OSSL_GUARD(EC_POINT_invert(g, s, bn));
        GUARD(evote_ec_encode(jb->p->d[j], s, bn));
        goto out;
    }
    GUARD(ask(jb, c1, jb->cts[j].c1, x1, bn));
    GUARD(ask(jb, t, NULL, x2, bn));
    cand[0] = 0x02;
    memcpy(cand + 1, x1, 32);
    ENSURE(evote_ec_decode(s, cand, bn) == EVOTE_OK, EVOTE_ERR_CRYPTO,
           "token answer for ciphertext %zu is not an x-coordinate", j);
    for (int sign = 0; sign < 2; sign++) {
        if (sign == 1) {
            OSSL_GUARD(EC_POINT_invert(g, s, bn));
            cand[0] = 0x03;
        }
        OSSL_GUARD(EC_POINT_add(g, t, s, pk, bn));
        if (EC_POINT_is_at_infinity(g, t))
            continue;
        GUARD(affine_x(sx, t, bn));
        if (CRYPTO_memcmp(sx, x2, 32) == 0) {
            memcpy(jb->p->d[j], cand, EVOTE_POINT_LEN);
            goto out;
        }
    }
    ret = evote_fail(EVOTE_ERR_CRYPTO,
                     "ciphertext %zu: the token's answers fit neither lift "
                     "(wrong key on the token?)", j);
out:
    evote_wipe(x1, sizeof(x1));
    evote_wipe(x2, sizeof(x2));
    return ret;
}

static void *worker(void *arg) {
    worker_t *w = arg;
    job_t *jb = w->job;
    BN_CTX *bn = BN_CTX_new();
    EC_POINT *c1 = EC_POINT_new(evote_ec_group());
    EC_POINT *pk = EC_POINT_new(evote_ec_group());
    EC_POINT *s = EC_POINT_new(evote_ec_group());
    EC_POINT *t = EC_POINT_new(evote_ec_group());
    evote_err_t r = EVOTE_OK;
    size_t j = jb->start + w->t;
    if (bn == NULL || c1 == NULL || pk == NULL || s == NULL || t == NULL)
        r = evote_fail(EVOTE_ERR_NOMEM, "worker");
    else
        r = evote_ec_decode(pk, jb->p->pk, bn);
    for (; r == EVOTE_OK && j < jb->end; j += jb->stride) {
        pthread_mutex_lock(&jb->mu);
        bool stop = jb->err != EVOTE_OK;
        pthread_mutex_unlock(&jb->mu);
        if (stop)
            break;
        r = one_part(jb, j, bn, c1, pk, s, t);
    }
    if (r != EVOTE_OK) {
        pthread_mutex_lock(&jb->mu);
        if (jb->err == EVOTE_OK || j < jb->err_index) {
            jb->err = r;
            jb->err_index = j;
            snprintf(jb->err_detail, sizeof(jb->err_detail), "%s",
                     evote_err_detail());
        }
        pthread_mutex_unlock(&jb->mu);
    }
    EC_POINT_free(c1);
    EC_POINT_free(pk);
    EC_POINT_free(s);
    EC_POINT_free(t);
    BN_CTX_free(bn);
    return NULL;
}

static evote_err_t run_block(job_t *jb, unsigned nthreads) {
    evote_err_t ret = EVOTE_OK;
    pthread_t th[256];
    worker_t w[256];
    unsigned started = 0;
    jb->stride = nthreads;
    jb->err = EVOTE_OK;
    jb->err_index = SIZE_MAX;
    for (unsigned i = 0; i < nthreads; i++) {
        w[i].job = jb;
        w[i].t = i;
        if (nthreads == 1) {
            worker(&w[0]);
            started = 0;
            break;
        }
        if (pthread_create(&th[i], NULL, worker, &w[i]) != 0) {
            pthread_mutex_lock(&jb->mu);
            if (jb->err == EVOTE_OK) {
                jb->err = EVOTE_ERR_THREAD;
                snprintf(jb->err_detail, sizeof(jb->err_detail), "pthread_create");
            }
            pthread_mutex_unlock(&jb->mu);
            break;
        }
        started++;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (jb->err != EVOTE_OK)
        ret = evote_fail(jb->err, "%s", jb->err_detail);
    return ret;
}

static evote_err_t partial_compute(evote_partial_t **out, evote_derive_x_fn derive,
                                   evote_err_t (*derive65)(void *, const uint8_t *, uint8_t *),
                                   void *ctx, const uint8_t mh[EVOTE_HASH_LEN],
                                  const char *contest_id, const char *trustee_id,
                                  const uint8_t pk_i[EVOTE_POINT_LEN],
                                  const uint8_t list_hash[EVOTE_HASH_LEN],
                                  const evote_ct_t *cts, size_t n,
                                  const evote_partial_opts_t *opts) {
    evote_err_t ret = EVOTE_OK;
    evote_partial_t *p = NULL;
    job_t jb;
    bool mu_init = false;
    size_t done = 0, k = DEFAULT_K;
    unsigned nthreads = 0;

    ENSURE(out != NULL && (derive != NULL || derive65 != NULL) && mh != NULL && pk_i != NULL &&
               list_hash != NULL && cts != NULL && n > 0 && n <= EVOTE_CTLIST_MAX,
           EVOTE_ERR_ARG, "partial compute: bad argument");
    *out = NULL;
    GUARD(evote_id_check(contest_id, "contest"));
    GUARD(evote_id_check(trustee_id, "trustee"));
    GUARD(evote_point_check(pk_i));
    ALLOC_GUARD(p = calloc(1, sizeof(*p)));
    memcpy(p->manifest_hash, mh, EVOTE_HASH_LEN);
    memcpy(p->list_hash, list_hash, EVOTE_HASH_LEN);
    strcpy(p->contest, contest_id);
    strcpy(p->trustee, trustee_id);
    memcpy(p->pk, pk_i, EVOTE_POINT_LEN);
    p->n = n;
    ALLOC_GUARD(p->d = calloc(n, EVOTE_POINT_LEN));
    if (opts != NULL) {
        if (opts->checkpoint_every > 0)
            k = opts->checkpoint_every;
        nthreads = opts->threads;
    }
    if (nthreads == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = c > 0 ? (unsigned)c : 1;
    }
    if (nthreads > 256)
        nthreads = 256;
    if (opts != NULL && opts->checkpoint_path != NULL)
        GUARD(ckpt_load(opts->checkpoint_path, p, &done));

    memset(&jb, 0, sizeof(jb));
    pthread_mutex_init(&jb.mu, NULL);
    mu_init = true;
    jb.p = p;
    jb.cts = cts;
    jb.derive = derive;
    jb.derive65 = derive65;
    jb.ctx = ctx;
    while (done < n) {
        jb.start = done;
        jb.end = done + k < n ? done + k : n;
        GUARD(run_block(&jb, nthreads));
        done = jb.end;
        if (opts != NULL && opts->checkpoint_path != NULL && done < n)
            GUARD(ckpt_write(opts->checkpoint_path, p, done));
        ENSURE(opts == NULL || opts->stop_after == 0 || done < opts->stop_after ||
                   done == n,
               EVOTE_ERR_STATE, "stopped after %zu of %zu (test hook)", done, n);
    }
    *out = p;
    p = NULL;
out:
    if (mu_init)
        pthread_mutex_destroy(&jb.mu);
    evote_partial_free(p);
    return ret;
}

evote_err_t evote_partial_compute(evote_partial_t **out, evote_derive_x_fn derive, void *ctx,
                                  const uint8_t mh[EVOTE_HASH_LEN], const char *contest_id,
                                  const char *trustee_id, const uint8_t pk_i[EVOTE_POINT_LEN],
                                  const uint8_t list_hash[EVOTE_HASH_LEN],
                                  const evote_ct_t *cts, size_t n,
                                  const evote_partial_opts_t *opts) {
    if (derive == NULL)
        return evote_fail(EVOTE_ERR_ARG, "partial compute: no derive function");
    return partial_compute(out, derive, NULL, ctx, mh, contest_id, trustee_id, pk_i,
                           list_hash, cts, n, opts);
}

static evote_err_t hsm_derive65(void *ctx, const uint8_t *p65, uint8_t *x) {
    return evote_hsm_derive_raw((evote_hsm_t *)ctx, p65, x);
}

evote_err_t evote_partial_compute_hsm(evote_partial_t **out, evote_hsm_t *hsm,
                                      const uint8_t mh[EVOTE_HASH_LEN], const char *contest_id,
                                      const char *trustee_id,
                                      const uint8_t pk_i[EVOTE_POINT_LEN],
                                      const uint8_t list_hash[EVOTE_HASH_LEN],
                                      const evote_ct_t *cts, size_t n,
                                      const evote_partial_opts_t *opts) {
    if (hsm == NULL)
        return evote_fail(EVOTE_ERR_ARG, "partial compute: no token");
    return partial_compute(out, NULL, hsm_derive65, hsm, mh, contest_id, trustee_id, pk_i,
                           list_hash, cts, n, opts);
}

/* ---- combining ----------------------------------------------------------- */

void evote_decryption_clear(evote_decryption_t *d) {
    if (d == NULL)
        return;
    free(d->plaintext);
    free(d->selection);
    memset(d, 0, sizeof(*d));
}

evote_err_t evote_decrypt_combine(evote_decryption_t *out,
                                  const evote_trustee_share_t *shares, size_t ns,
                                  evote_partial_t *const *parts, size_t np,
                                  const uint8_t mh[EVOTE_HASH_LEN],
                                  const char *contest_id, uint32_t noptions,
                                  const uint8_t list_hash[EVOTE_HASH_LEN],
                                  const evote_ct_t *cts, size_t n) {
    evote_err_t ret = EVOTE_OK;
    const EC_GROUP *g = evote_ec_group();
    BN_CTX *bn = NULL;
    EC_POINT *sum = NULL, *pt = NULL;
    const evote_partial_t **order = NULL;

    ENSURE(out != NULL && shares != NULL && parts != NULL && mh != NULL &&
               list_hash != NULL && cts != NULL && n > 0 && noptions > 0,
           EVOTE_ERR_ARG, "combine: bad argument");
    memset(out, 0, sizeof(*out));
    GUARD(evote_id_check(contest_id, "contest"));
    ENSURE(np == ns, EVOTE_ERR_ARG, "%zu trustees but %zu partial decryptions", ns,
           np);
    ALLOC_GUARD(order = calloc(ns, sizeof(*order)));
    for (size_t k = 0; k < np; k++) {
        const evote_partial_t *p = parts[k];
        size_t i = 0;
        while (i < ns && strcmp(shares[i].id, p->trustee) != 0)
            i++;
        ENSURE(i < ns, EVOTE_ERR_KEY_MISMATCH,
               "partial decryption from \"%s\", who is not a trustee", p->trustee);
        ENSURE(order[i] == NULL, EVOTE_ERR_ARG, "two partial decryptions from \"%s\"",
               p->trustee);
        ENSURE(memcmp(shares[i].pk, p->pk, EVOTE_POINT_LEN) == 0,
               EVOTE_ERR_KEY_MISMATCH,
               "partial decryption of \"%s\" names another public key", p->trustee);
        ENSURE(memcmp(p->manifest_hash, mh, EVOTE_HASH_LEN) == 0,
               EVOTE_ERR_MANIFEST_MISMATCH,
               "partial decryption of \"%s\" names another manifest", p->trustee);
        ENSURE(strcmp(p->contest, contest_id) == 0 &&
                   memcmp(p->list_hash, list_hash, EVOTE_HASH_LEN) == 0 && p->n == n,
               EVOTE_ERR_DIGEST_MISMATCH,
               "partial decryption of \"%s\" is of another list or contest",
               p->trustee);
        order[i] = p;
    }
    ALLOC_GUARD(bn = BN_CTX_new());
    ALLOC_GUARD(sum = EC_POINT_new(g));
    ALLOC_GUARD(pt = EC_POINT_new(g));
    ALLOC_GUARD(out->plaintext = calloc(n, EVOTE_POINT_LEN));
    ALLOC_GUARD(out->selection = calloc(n, sizeof(uint32_t)));
    for (size_t j = 0; j < n; j++) {
        OSSL_GUARD(EC_POINT_set_to_infinity(g, sum));
        for (size_t i = 0; i < ns; i++) {
            GUARD(evote_ec_decode(pt, order[i]->d[j], bn));
            OSSL_GUARD(EC_POINT_add(g, sum, sum, pt, bn));
        }
        OSSL_GUARD(EC_POINT_invert(g, sum, bn));
        GUARD(evote_ec_decode(pt, cts[j].c2, bn));
        OSSL_GUARD(EC_POINT_add(g, pt, pt, sum, bn));
        out->selection[j] = EVOTE_SELECTION_INVALID;
        if (EC_POINT_is_at_infinity(g, pt))
            continue; /* all-zero plaintext marks "no point" */
        GUARD(evote_ec_encode(out->plaintext[j], pt, bn));
        uint32_t sel = 0;
        if (evote_selection_decode(out->plaintext[j], noptions, &sel) == EVOTE_OK)
            out->selection[j] = sel;
    }
    memcpy(out->manifest_hash, mh, EVOTE_HASH_LEN);
    memcpy(out->list_hash, list_hash, EVOTE_HASH_LEN);
    strcpy(out->contest_id, contest_id);
    out->n = n;
    evote_err_clear();
out:
    if (ret != EVOTE_OK)
        evote_decryption_clear(out);
    free(order);
    EC_POINT_free(sum);
    EC_POINT_free(pt);
    BN_CTX_free(bn);
    return ret;
}

/* ---- decryption file: the plaintext list of tally.h --------------------- */

evote_err_t evote_decryption_write(const evote_decryption_t *d, const char *path) {
    evote_err_t ret = EVOTE_OK;
    evote_plaintexts_t *p = NULL;
    static const uint8_t zero[EVOTE_POINT_LEN];
    ENSURE(d != NULL && path != NULL && d->n > 0, EVOTE_ERR_ARG,
           "decryption write: bad argument");
    GUARD(evote_plaintexts_new(&p, d->n, d->manifest_hash, d->contest_id, d->list_hash));
    for (size_t j = 0; j < d->n; j++)
        if (memcmp(d->plaintext[j], zero, EVOTE_POINT_LEN) != 0)
            GUARD(evote_plaintexts_set(p, j, d->plaintext[j]));
    GUARD(evote_plaintexts_write(p, path));
out:
    evote_plaintexts_free(p);
    return ret;
}

evote_err_t evote_decryption_read(evote_decryption_t *d, const char *path,
                                  const evote_manifest_t *m) {
    evote_err_t ret = EVOTE_OK;
    evote_plaintexts_t *p = NULL;
    size_t ci = 0;
    ENSURE(d != NULL && path != NULL && m != NULL, EVOTE_ERR_ARG,
           "decryption read: bad argument");
    memset(d, 0, sizeof(*d));
    GUARD(evote_plaintexts_read(&p, path));
    ENSURE(CRYPTO_memcmp(evote_plaintexts_manifest_hash(p), evote_manifest_hash(m),
                         EVOTE_HASH_LEN) == 0,
           EVOTE_ERR_MANIFEST_MISMATCH, "%s names another manifest", path);
    GUARD(evote_manifest_contest_index(m, evote_plaintexts_contest_id(p), &ci));
    uint32_t nopt = (uint32_t)evote_manifest_option_count(m, ci);
    d->n = evote_plaintexts_count(p);
    memcpy(d->manifest_hash, evote_plaintexts_manifest_hash(p), EVOTE_HASH_LEN);
    memcpy(d->list_hash, evote_plaintexts_input_sha256(p), EVOTE_HASH_LEN);
    snprintf(d->contest_id, sizeof(d->contest_id), "%s", evote_plaintexts_contest_id(p));
    ALLOC_GUARD(d->plaintext = calloc(d->n, EVOTE_POINT_LEN));
    ALLOC_GUARD(d->selection = calloc(d->n, sizeof(uint32_t)));
    for (size_t j = 0; j < d->n; j++) {
        const uint8_t *pt = evote_plaintexts_get(p, j);
        uint32_t sel = EVOTE_SELECTION_INVALID;
        if (pt != NULL) {
            memcpy(d->plaintext[j], pt, EVOTE_POINT_LEN);
            if (evote_selection_decode(pt, nopt, &sel) != EVOTE_OK)
                sel = EVOTE_SELECTION_INVALID;
        }
        d->selection[j] = sel;
    }
    evote_err_clear();
out:
    if (ret != EVOTE_OK)
        evote_decryption_clear(d);
    evote_plaintexts_free(p);
    return ret;
}
