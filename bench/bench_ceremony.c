/*
 * bench "ceremony": one trustee on a throwaway SoftHSM2 token, all its
 * sessions busy. Measures (1) the raw derive rate through evote_hsm_derive_x
 * (one C_DeriveKey + CKA_VALUE read + destroy per call) with the same
 * threads, (2) evote's partial decryption (two derives per ballot: C1 and
 * C1 + G, exact ± resolution) as ballots/s and as derive efficiency
 * (2·ballots/s ÷ raw derives/s), and (3) the wall time to decrypt and tally
 * N ballots (default 100 000): partial decryption, combine + decode, the
 * plaintext list written, the tally and the three result sheets.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "bench.h"
#include "evote/evote.h"
#include "hsm_internal.h"
#include "internal.h"

#define TOKEN "evote-bench-ceremony"
#define PIN "bench-user-pin-5678"
#define SO_PIN "bench-so-pin-1234"

static const char MANIFEST[] =
    "{\"format\": \"libevote-manifest/1\", \"election_id\": \"bench-ceremony\",\n"
    " \"title\": \"bench\",\n"
    " \"voting_window\": {\"opens\": \"2026-01-01T08:30:00+09:00\",\n"
    "                   \"closes\": \"2036-12-31T20:00:00+09:00\"},\n"
    " \"contests\": [\n"
    "  {\"id\": \"proportional-tokyo\", \"title\": \"比例代表 東京都\",\n"
    "   \"kind\": \"proportional\", \"options\": [\n"
    "    {\"id\": \"p1\", \"name\": \"みらい党\"}, {\"id\": \"p2\", \"name\": \"さくら党\"},\n"
    "    {\"id\": \"p3\", \"name\": \"あおば党\"}, {\"id\": \"p4\", \"name\": \"つばさ党\"}]}]}\n";

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(path);
}

typedef struct {
    evote_hsm_t *hsm;
    const uint8_t (*unc)[65];
    size_t n;
    atomic_size_t next;
    atomic_int failed;
} raw_job_t;

static void *raw_worker(void *arg) {
    raw_job_t *j = arg;
    uint8_t x[32];
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n)
            break;
        if (evote_hsm_derive_raw(j->hsm, j->unc[i], x) != EVOTE_OK)
            atomic_store(&j->failed, 1);
    }
    return NULL;
}

static double raw_rate(evote_hsm_t *hsm, const uint8_t (*unc)[65], size_t n,
                       unsigned threads) {
    raw_job_t j = {.hsm = hsm, .unc = unc, .n = n};
    pthread_t th[64];
    double t0 = bench_now();
    for (unsigned i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, raw_worker, &j);
    for (unsigned i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    double dt = bench_now() - t0;
    return atomic_load(&j.failed) ? -1 : (double)n / dt;
}

int bench_ceremony(const struct bench_opts *o) {
    int rc = 1;
    char dir[256], path[4200];
    const char *base = getenv("TMPDIR");
    size_t n = o->n ? o->n : 100000;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = o->threads ? o->threads : (unsigned)(ncpu < 1 ? 1 : ncpu);
    if (threads > 64)
        threads = 64;
    evote_hsm_t *hsm = NULL;
    evote_manifest_t *m = NULL;
    evote_ct_t *cts = NULL;
    evote_partial_t *part = NULL;
    evote_decryption_t d = {0};
    evote_plaintexts_t *pl = NULL;
    evote_tally_t *t = NULL;
    evote_result_t *res = NULL;
    uint8_t pk[33], lh[32], c[32];
    evote_trustee_share_t share;

    snprintf(dir, sizeof(dir), "%s/evote-bench-XXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(path, sizeof(path), "%s/tokens", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
               "log.level = ERROR\nslots.removable = false\n", dir);
    fclose(f);
    setenv("SOFTHSM2_CONF", path, 1);
    if (evote_hsm_token_init(NULL, TOKEN, SO_PIN, strlen(SO_PIN), PIN, strlen(PIN)) != EVOTE_OK ||
        evote_hsm_open(&hsm, NULL, TOKEN, PIN, strlen(PIN), threads) != EVOTE_OK ||
        evote_hsm_keygen(hsm, "evote-trustee-T1", pk) != EVOTE_OK) {
        fprintf(stderr, "bench ceremony: token: %s\n", evote_err_detail());
        goto out;
    }
    if (evote_manifest_parse(&m, (const uint8_t *)MANIFEST, strlen(MANIFEST)) != EVOTE_OK)
        goto out;
    strcpy(share.id, "T1");
    memcpy(share.pk, pk, 33);
    if (evote_trustee_commitment(share.commitment, evote_manifest_hash(m), "T1", pk) != EVOTE_OK)
        goto out;

    /* n ballots under pk (setup, not timed) */
    cts = calloc(n, sizeof(*cts));
    {
        const EC_GROUP *g = evote_ec_group();
        BN_CTX *bn = BN_CTX_new();
        BIGNUM *r = BN_new();
        EC_POINT *y = EC_POINT_new(g), *c1 = EC_POINT_new(g), *c2 = EC_POINT_new(g),
                 *mp = EC_POINT_new(g);
        uint8_t me[33];
        if (evote_ec_decode(y, pk, bn) != EVOTE_OK)
            goto out;
        for (size_t j = 0; j < n; j++) {
            if (evote_selection_encode((uint32_t)(j % 4), me) != EVOTE_OK ||
                evote_ec_decode(mp, me, bn) != EVOTE_OK || evote_scalar_random(r) != EVOTE_OK ||
                EC_POINT_mul(g, c1, r, NULL, NULL, bn) != 1 ||
                EC_POINT_mul(g, c2, NULL, y, r, bn) != 1 ||
                EC_POINT_add(g, c2, c2, mp, bn) != 1 ||
                evote_ec_encode(cts[j].c1, c1, bn) != EVOTE_OK ||
                evote_ec_encode(cts[j].c2, c2, bn) != EVOTE_OK)
                goto out;
        }
        BN_free(r);
        EC_POINT_free(y);
        EC_POINT_free(c1);
        EC_POINT_free(c2);
        EC_POINT_free(mp);
        BN_CTX_free(bn);
    }
    snprintf(path, sizeof(path), "%s/list.bt", dir);
    if (evote_ctlist_write(path, cts, n) != EVOTE_OK || evote_sha256_file(path, lh) != EVOTE_OK)
        goto out;

    /* Raw: the token's derive alone on pre-encoded uncompressed points. */
    size_t nraw = n < 20000 ? n : 20000;
    uint8_t(*unc)[65] = calloc(nraw, 65);
    {
        EC_POINT *p = EC_POINT_new(evote_ec_group());
        for (size_t j = 0; j < nraw; j++)
            if (evote_ec_decode(p, cts[j].c1, NULL) != EVOTE_OK ||
                evote_ec_encode_uncompressed(unc[j], p, NULL) != EVOTE_OK)
                goto out;
        EC_POINT_free(p);
    }
    double raw = raw_rate(hsm, (const uint8_t(*)[65])unc, nraw, threads);
    free(unc);

    double t0 = bench_now();
    evote_partial_opts_t po = {.threads = threads};
    snprintf(path, sizeof(path), "%s/p.ckpt", dir);
    po.checkpoint_path = path;
    if (evote_partial_compute_hsm(&part, hsm, evote_manifest_hash(m), "proportional-tokyo",
                                  "T1", pk, lh, cts, n, &po) != EVOTE_OK) {
        fprintf(stderr, "bench ceremony: partial: %s\n", evote_err_detail());
        goto out;
    }
    double t_part = bench_now() - t0;
    if (evote_decrypt_combine(&d, &share, 1, &part, 1, evote_manifest_hash(m),
                              "proportional-tokyo", 4, lh, cts, n) != EVOTE_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/plain.bt", dir);
    if (evote_decryption_write(&d, path) != EVOTE_OK || evote_plaintexts_read(&pl, path) != EVOTE_OK ||
        evote_tally_compute(&t, m, pl) != EVOTE_OK || evote_result_new(&res, m) != EVOTE_OK ||
        evote_result_add(res, &d, 0, NULL) != EVOTE_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/r.json", dir);
    if (evote_result_write_json(res, path) != EVOTE_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/r.csv", dir);
    if (evote_result_write_csv(res, path) != EVOTE_OK)
        goto out;
    snprintf(path, sizeof(path), "%s/r.html", dir);
    if (evote_result_write_html(res, path) != EVOTE_OK)
        goto out;
    double t_all = bench_now() - t0;
    double rate = (double)n / t_part;
    (void)c;
    printf("ceremony: module %s, %u session(s)/thread(s), %zu ballots, one trustee\n",
           evote_hsm_default_module(), threads, n);
    printf("  raw PKCS#11 derive (pre-encoded)    %10.0f derives/s (%zu calls)\n", raw, nraw);
    printf("  partial decryption                  %10.0f ballots/s (2 derives each)\n", rate);
    printf("  derive efficiency 2*ballots/raw     %10.3f\n", raw > 0 ? 2 * rate / raw : 0);
    printf("  ballots/s vs raw derives/s          %10.3f (a single-key decrypt needs 1 derive)\n",
           raw > 0 ? rate / raw : 0);
    printf("  decrypt + tally + sheets, %zu ballots: %.2f s (partial %.2f s, rest %.2f s), "
           "peak RSS %.0f MiB\n",
           n, t_all, t_part, t_all - t_part, bench_peak_rss_mib());
    printf("  tally check: %llu + %llu + %llu + %llu valid, %llu invalid\n",
           (unsigned long long)evote_tally_votes(t, 0), (unsigned long long)evote_tally_votes(t, 1),
           (unsigned long long)evote_tally_votes(t, 2), (unsigned long long)evote_tally_votes(t, 3),
           (unsigned long long)evote_tally_invalid_count(t));
    rc = 0;
out:
    evote_result_free(res);
    evote_tally_free(t);
    evote_plaintexts_free(pl);
    evote_decryption_clear(&d);
    evote_partial_free(part);
    free(cts);
    evote_manifest_free(m);
    evote_hsm_free(hsm);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
