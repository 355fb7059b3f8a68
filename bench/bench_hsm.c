/*
 * bench "hsm": on a throwaway SoftHSM2 token set up like the demo's, the raw
 * PKCS#11 derive loop (C_DeriveKey + C_GetAttributeValue(CKA_VALUE) +
 * C_DestroyObject per ciphertext, one pinned session per thread) against
 * evote's whole decryption (validate C1, derive, lift, resolve against C2)
 * with the same sessions and threads, and their ratio. Then the same on a
 * single session. Rounds alternate raw/evote and the best of each is kept,
 * so that background load hurts both alike.
 */
#define _GNU_SOURCE /* nftw's FTW_DEPTH/FTW_PHYS */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "bench.h"
#include "evote/bytetree.h"
#include "evote/decrypt.h"
#include "hsm_internal.h"

#define TOKEN "evote-bench"
#define KEY "election-key"
#define SO_PIN "bench-so-pin-1234"
#define PIN "bench-user-pin-5678"
#define NOPTIONS 4 /* options of CONTEST in MANIFEST */
#define CONTEST "proportional-tokyo"
#define ROUNDS 5

static const char MANIFEST[] =
    "{\"format\": \"libevote-manifest/1\", \"election_id\": \"bench-2026\",\n"
    " \"title\": \"bench\",\n"
    " \"voting_window\": {\"opens\": \"2026-01-01T08:30:00+09:00\",\n"
    "                   \"closes\": \"2036-12-31T20:00:00+09:00\"},\n"
    " \"contests\": [\n"
    "  {\"id\": \"proportional-tokyo\", \"title\": \"比例代表 東京都\",\n"
    "   \"kind\": \"proportional\", \"options\": [\n"
    "    {\"id\": \"p1\", \"name\": \"みらい党\"}, {\"id\": \"p2\", \"name\": \"さくら党\"},\n"
    "    {\"id\": \"p3\", \"name\": \"あおば党\"}, {\"id\": \"p4\", \"name\": \"つばさ党\"}]}]}\n";

/* CPU seconds used by the whole process (all threads): with SoftHSM2 the
 * token runs on our CPUs, so CPU time per ciphertext is a load-independent
 * measure of how much work each path does. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(path);
}

static int setup_token(char *dir, size_t cap) {
    const char *base = getenv("TMPDIR");
    snprintf(dir, cap, "%s/evote-bench-XXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(dir) == NULL)
        return -1;
    char path[4200];
    snprintf(path, sizeof(path), "%s/tokens", dir);
    if (mkdir(path, 0700) != 0)
        return -1;
    snprintf(path, sizeof(path), "%s/softhsm2.conf", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "directories.tokendir = %s/tokens\nobjectstore.backend = file\n"
               "log.level = ERROR\nslots.removable = false\n", dir);
    fclose(f);
    setenv("SOFTHSM2_CONF", path, 1);
    if (evote_hsm_token_init(NULL, TOKEN, SO_PIN, strlen(SO_PIN), PIN, strlen(PIN)) != EVOTE_OK) {
        fprintf(stderr, "bench hsm: token init: %s\n", evote_err_detail());
        return -1;
    }
    return 0;
}

/* n ciphertexts of random selections under pk, with their C1 also as the
 * 65-byte uncompressed points the raw loop hands to the token. */
static int make_ciphertexts(const uint8_t pk[33], size_t n, evote_ct_t *cts, uint8_t (*unc)[65]) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *pkp = EC_POINT_new(g), *c1 = EC_POINT_new(g), *c2 = EC_POINT_new(g),
             *m = EC_POINT_new(g);
    BIGNUM *r = BN_new();
    BN_CTX *bn = BN_CTX_new();
    int rc = -1;
    if (!pkp || !c1 || !c2 || !m || !r || !bn || evote_ec_decode(pkp, pk, bn) != EVOTE_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        uint8_t mp[33];
        if (evote_selection_encode((uint32_t)(i % NOPTIONS), mp) != EVOTE_OK ||
            evote_ec_decode(m, mp, bn) != EVOTE_OK || evote_scalar_random(r) != EVOTE_OK ||
            EC_POINT_mul(g, c1, r, NULL, NULL, bn) != 1 ||
            EC_POINT_mul(g, c2, NULL, pkp, r, bn) != 1 || EC_POINT_add(g, c2, c2, m, bn) != 1 ||
            evote_ec_encode(cts[i].c1, c1, bn) != EVOTE_OK ||
            evote_ec_encode(cts[i].c2, c2, bn) != EVOTE_OK ||
            evote_ec_encode_uncompressed(unc[i], c1, bn) != EVOTE_OK)
            goto out;
    }
    rc = 0;
out:
    EC_POINT_free(pkp);
    EC_POINT_free(c1);
    EC_POINT_free(c2);
    EC_POINT_free(m);
    BN_free(r);
    BN_CTX_free(bn);
    return rc;
}

struct raw_job {
    evote_hsm_t *hsm;
    uint8_t (*unc)[65];
    size_t n;
    atomic_size_t next;
    atomic_int failed;
};

/* The baseline: exactly the three calls evote makes per ciphertext, with no
 * validation, lifting or decoding around them. */
static void *raw_worker(void *arg) {
    struct raw_job *j = arg;
    CK_FUNCTION_LIST *f = evote_hsm_functions(j->hsm);
    CK_SESSION_HANDLE s = evote_hsm_session_get(j->hsm);
    CK_OBJECT_HANDLE key = evote_hsm_key_handle(j->hsm);
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
    CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
    CK_ULONG vlen = 32;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},       {CKA_KEY_TYPE, &kt, sizeof(kt)},
        {CKA_TOKEN, &no, sizeof(no)},         {CKA_SENSITIVE, &no, sizeof(no)},
        {CKA_EXTRACTABLE, &yes, sizeof(yes)}, {CKA_VALUE_LEN, &vlen, sizeof(vlen)},
    };
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n)
            break;
        CK_ECDH1_DERIVE_PARAMS p = {CKD_NULL, 0, NULL, 65, j->unc[i]};
        CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &p, sizeof(p)};
        CK_OBJECT_HANDLE obj;
        uint8_t x[32];
        CK_ATTRIBUTE val = {CKA_VALUE, x, sizeof(x)};
        if (f->C_DeriveKey(s, &mech, key, tmpl, 6, &obj) != CKR_OK ||
            f->C_GetAttributeValue(s, obj, &val, 1) != CKR_OK ||
            f->C_DestroyObject(s, obj) != CKR_OK) {
            atomic_store(&j->failed, 1);
            break;
        }
    }
    evote_hsm_session_put(j->hsm, s);
    return NULL;
}

static double raw_rate(evote_hsm_t *hsm, uint8_t (*unc)[65], size_t n, unsigned threads) {
    struct raw_job j = {.hsm = hsm, .unc = unc, .n = n};
    pthread_t t[256];
    double t0 = bench_now();
    for (unsigned i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, raw_worker, &j) != 0)
            abort();
    for (unsigned i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double dt = bench_now() - t0;
    return atomic_load(&j.failed) ? -1 : (double)n / dt;
}

/* evote's decryption of the serialised list: *core receives the rate of
 * the parallel part (validated C1 → derive → resolve), the return value the
 * rate of evote_decrypt_list as a whole (parse, decrypt, plaintext list). */
static double evote_rate(evote_hsm_t *hsm, const evote_manifest_t *m, const evote_buf_t *list,
                         size_t n, unsigned threads, double *core, double *core_cpu) {
    evote_decrypt_opts_t o = {.threads = threads};
    evote_decrypt_stats_t st;
    evote_plaintexts_t *p = NULL;
    double t0 = bench_now();
    if (evote_decrypt_list(hsm, m, CONTEST, list->data, list->len, &o, &p, &st) != EVOTE_OK) {
        fprintf(stderr, "bench hsm: decrypt: %s\n", evote_err_detail());
        return -1;
    }
    double dt = bench_now() - t0;
    /* a benchmark of wrong answers is worthless */
    int bad = st.invalid != 0 || st.ciphertexts != n;
    for (size_t i = 0; i < n && !bad; i++) {
        uint8_t want[33];
        const uint8_t *got = evote_plaintexts_get(p, i);
        bad = got == NULL || evote_selection_encode((uint32_t)(i % NOPTIONS), want) != EVOTE_OK ||
              memcmp(got, want, 33) != 0;
    }
    evote_plaintexts_free(p);
    if (bad)
        return -1;
    *core = (double)n / st.seconds;
    *core_cpu = st.cpu_seconds / (double)n;
    return (double)n / dt;
}

/*
 * ROUNDS pairs of (raw loop, evote) runs, the order flipped every round so
 * that a drift in background load hurts both alike; the ratio is taken per
 * pair and the median reported (the machine is shared: single runs are
 * noisy, pairs measured back to back much less so).
 */
static int measure(const char *what, unsigned sessions, const uint8_t pk[33],
                   const evote_manifest_t *m, const evote_buf_t *list, uint8_t (*unc)[65],
                   size_t n) {
    evote_hsm_t *hsm = NULL;
    uint8_t pk2[33];
    double raw[ROUNDS], core[ROUNDS], whole[ROUNDS], ratio[ROUNDS], ratio_whole[ROUNDS],
        cpu_raw[ROUNDS], cpu_ev[ROUNDS], cpu_ratio[ROUNDS], cpu_core[ROUNDS],
        cpu_core_ratio[ROUNDS];
    if (evote_hsm_open(&hsm, NULL, TOKEN, PIN, strlen(PIN), sessions) != EVOTE_OK ||
        evote_hsm_select_key(hsm, KEY, pk2) != EVOTE_OK || memcmp(pk, pk2, 33) != 0) {
        fprintf(stderr, "bench hsm: open: %s\n", evote_err_detail());
        evote_hsm_free(hsm);
        return -1;
    }
    for (int r = 0; r < ROUNDS; r++) {
        double c0, c1, c2;
        double a, b = 0, c = 0;
        if (r % 2 == 0) {
            c0 = cpu_now();
            a = raw_rate(hsm, unc, n, sessions);
            c1 = cpu_now();
            b = evote_rate(hsm, m, list, n, sessions, &c, &cpu_core[r]);
            c2 = cpu_now();
            cpu_raw[r] = (c1 - c0) / (double)n;
            cpu_ev[r] = (c2 - c1) / (double)n;
        } else {
            c0 = cpu_now();
            b = evote_rate(hsm, m, list, n, sessions, &c, &cpu_core[r]);
            c1 = cpu_now();
            a = raw_rate(hsm, unc, n, sessions);
            c2 = cpu_now();
            cpu_ev[r] = (c1 - c0) / (double)n;
            cpu_raw[r] = (c2 - c1) / (double)n;
        }
        if (a < 0 || b < 0) {
            evote_hsm_free(hsm);
            return -1;
        }
        raw[r] = a;
        core[r] = c;
        whole[r] = b;
        ratio[r] = c / a;
        ratio_whole[r] = b / a;
        cpu_ratio[r] = cpu_raw[r] / cpu_ev[r];
        cpu_core_ratio[r] = cpu_raw[r] / cpu_core[r];
    }
    printf("hsm: %s (%u session%s, %u thread%s, %zu ciphertexts, median of %d pairs):\n"
           "hsm:   raw PKCS#11 derive loop          %8.0f derives/s\n"
           "hsm:   evote decryption                 %8.0f ciphertexts/s\n"
           "hsm:   ratio evote/raw                  %8.3f%s\n"
           "hsm:   evote_decrypt_list end to end    %8.0f ciphertexts/s (ratio %.3f; + list "
           "parse and plaintext list)\n"
           "hsm:   CPU per ciphertext: raw loop %.0f us, evote decryption %.0f us (ratio %.3f), "
           "end to end %.0f us (ratio %.3f)\n",
           what, sessions, sessions == 1 ? "" : "s", sessions, sessions == 1 ? "" : "s", n,
           ROUNDS, median(raw, ROUNDS), median(core, ROUNDS), median(ratio, ROUNDS),
           sessions > 1 ? "   (target >= 0.9)" : "", median(whole, ROUNDS),
           median(ratio_whole, ROUNDS), 1e6 * median(cpu_raw, ROUNDS),
           1e6 * median(cpu_core, ROUNDS), median(cpu_core_ratio, ROUNDS),
           1e6 * median(cpu_ev, ROUNDS), median(cpu_ratio, ROUNDS));
    evote_hsm_free(hsm);
    return 0;
}

int bench_hsm(const struct bench_opts *o) {
    char dir[512] = "";
    int rc = -1;
    size_t n = o->n ? o->n : o->big ? 50000 : 2000;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned sessions = o->threads ? o->threads : (unsigned)(ncpu < 1 ? 1 : ncpu);
    evote_ct_t *cts = calloc(n, sizeof(*cts));
    uint8_t(*unc)[65] = calloc(n, 65);
    uint8_t pk[33];
    evote_hsm_t *hsm = NULL;
    evote_manifest_t *m = NULL;
    evote_buf_t list = {0};

    if (cts == NULL || unc == NULL || setup_token(dir, sizeof(dir)) != 0)
        goto out;
    if (evote_manifest_parse(&m, (const uint8_t *)MANIFEST, strlen(MANIFEST)) != EVOTE_OK) {
        fprintf(stderr, "bench hsm: manifest: %s\n", evote_err_detail());
        goto out;
    }
    if (evote_hsm_open(&hsm, NULL, TOKEN, PIN, strlen(PIN), 1) != EVOTE_OK ||
        evote_hsm_keygen(hsm, KEY, pk) != EVOTE_OK) {
        fprintf(stderr, "bench hsm: keygen: %s\n", evote_err_detail());
        goto out;
    }
    evote_hsm_free(hsm);
    hsm = NULL;
    if (make_ciphertexts(pk, n, cts, unc) != 0 || evote_ctlist_serialize(cts, n, &list) != EVOTE_OK)
        goto out;
    printf("hsm: module %s, P-256 mul %.0f/s on one thread\n", evote_hsm_default_module(),
           bench_mul_rate());
    if (measure("all sessions", sessions, pk, m, &list, unc, n) != 0)
        goto out;
    if (sessions > 1) {
        evote_buf_free(&list);
        if (evote_ctlist_serialize(cts, n / 2, &list) != EVOTE_OK ||
            measure("single session", 1, pk, m, &list, unc, n / 2) != 0)
            goto out;
    }
    rc = 0;
out:
    evote_hsm_free(hsm);
    free(cts);
    free(unc);
    evote_buf_free(&list);
    evote_manifest_free(m);
    if (dir[0] != '\0' && strstr(dir, "evote-bench-") != NULL)
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
