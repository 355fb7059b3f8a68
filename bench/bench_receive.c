/*
 * bench receive — durable ballots received per second (2 threads, RSA-2048
 * voter certificates, group commit) against the raw CMS_verify rate (with
 * chain verification) on the same messages, and their ratio.
 *
 * Voter certificates share one RSA-2048 key (a fresh key per voter costs a
 * key generation each and changes nothing in what is measured: one RSA
 * verification per signature and per certificate).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "bench.h"
#include "evote/evote.h"
#include "internal.h"
#include "receiver_internal.h"

#define BR_BATCH 32

static X509 *make_cert(X509 *ca, EVP_PKEY *cakey, EVP_PKEY *key, const char *cn,
                       uint64_t serial, bool is_ca) {
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    X509V3_CTX ctx;
    if (x == NULL || name == NULL)
        abort();
    X509_set_version(x, 2);
    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial);
    X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, ca != NULL ? X509_get_subject_name(ca) : name);
    X509_NAME_free(name);
    ASN1_TIME_set_string(X509_getm_notBefore(x), "20200101000000Z");
    ASN1_TIME_set_string(X509_getm_notAfter(x), "20400101000000Z");
    X509_set_pubkey(x, key);
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, ca != NULL ? ca : x, x, NULL, NULL, 0);
    const char *bc = is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    const char *ku = is_ca ? "critical,keyCertSign,cRLSign"
                           : "critical,digitalSignature,nonRepudiation";
    X509_EXTENSION *e1 = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, bc);
    X509_EXTENSION *e2 = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, ku);
    if (e1 == NULL || e2 == NULL || X509_add_ext(x, e1, -1) != 1 || X509_add_ext(x, e2, -1) != 1)
        abort();
    X509_EXTENSION_free(e1);
    X509_EXTENSION_free(e2);
    e1 = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
    if (e1 == NULL || X509_add_ext(x, e1, -1) != 1)
        abort();
    X509_EXTENSION_free(e1);
    if (ca != NULL) {
        e2 = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid");
        if (e2 == NULL || X509_add_ext(x, e2, -1) != 1)
            abort();
        X509_EXTENSION_free(e2);
    }
    if (X509_sign(x, cakey, EVP_sha256()) <= 0)
        abort();
    return x;
}

static uint8_t *cms_sign(X509 *cert, EVP_PKEY *key, const uint8_t *data, size_t len,
                         size_t *out_len) {
    BIO *in = BIO_new_mem_buf(data, (int)len);
    unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    if (cms == NULL || CMS_add1_signer(cms, cert, key, EVP_sha256(), flags) == NULL ||
        CMS_final(cms, in, NULL, flags) != 1)
        abort();
    uint8_t *der = NULL;
    int n = i2d_CMS_ContentInfo(cms, &der);
    if (n <= 0)
        abort();
    uint8_t *out = malloc((size_t)n);
    memcpy(out, der, (size_t)n);
    OPENSSL_free(der);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    *out_len = (size_t)n;
    return out;
}

struct br_job {
    uint8_t **msgs;
    size_t *lens;
    size_t from, to;
    X509_STORE *store;       /* raw */
    evote_receiver_t *r;     /* durable */
    size_t batch;
    size_t ok;
    double cpu; /* this thread's CPU seconds (user + system) for its share */
};

/* CPU seconds used by the calling thread so far. */
static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *raw_thread(void *arg) {
    struct br_job *j = arg;
    double c0 = thread_cpu();
    for (size_t i = j->from; i < j->to; i++) {
        const unsigned char *p = j->msgs[i];
        CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)j->lens[i]);
        BIO *out = BIO_new(BIO_s_mem());
        if (cms != NULL && CMS_verify(cms, NULL, j->store, NULL, out, CMS_BINARY) == 1)
            j->ok++;
        BIO_free(out);
        CMS_ContentInfo_free(cms);
        ERR_clear_error();
    }
    j->cpu = thread_cpu() - c0;
    return NULL;
}

static void *recv_thread(void *arg) {
    struct br_job *j = arg;
    evote_err_t res[BR_BATCH];
    evote_receipt_t rc[BR_BATCH];
    double c0 = thread_cpu();
    for (size_t i = j->from; i < j->to; i += j->batch) {
        size_t n = j->to - i < j->batch ? j->to - i : j->batch;
        evote_err_t e = evote_receiver_receive_batch(
            j->r, (const uint8_t *const *)&j->msgs[i], &j->lens[i], n, EVOTE_NOW, res, rc);
        if (e != EVOTE_OK) {
            fprintf(stderr, "bench receive: %s (%s)\n", evote_err_name(e), evote_err_detail());
            return NULL;
        }
        for (size_t k = 0; k < n; k++) {
            j->ok += res[k] == EVOTE_OK;
            if (res[k] != EVOTE_OK && j->ok == 0 && k == 0)
                fprintf(stderr, "bench receive: refused: %s\n", evote_err_name(res[k]));
        }
    }
    j->cpu = thread_cpu() - c0;
    return NULL;
}

/* One evote_receiver_receive per message (a server thread per voter). */
static void *single_thread(void *arg) {
    struct br_job *j = arg;
    for (size_t i = j->from; i < j->to; i++) {
        evote_receipt_t rc;
        j->ok += evote_receiver_receive(j->r, j->msgs[i], j->lens[i], EVOTE_NOW, &rc) ==
                 EVOTE_OK;
    }
    return NULL;
}

#define BR_CALLERS 8
/* n messages over BR_CALLERS threads of fn; wall seconds. */
static double run_callers(void *(*fn)(void *), struct br_job base, size_t n, size_t *ok) {
    struct br_job j[BR_CALLERS];
    pthread_t t[BR_CALLERS];
    for (int i = 0; i < BR_CALLERS; i++) {
        j[i] = base;
        j[i].from = n * (size_t)i / BR_CALLERS;
        j[i].to = n * (size_t)(i + 1) / BR_CALLERS;
    }
    double t0 = bench_now();
    for (int i = 0; i < BR_CALLERS; i++)
        if (pthread_create(&t[i], NULL, fn, &j[i]) != 0)
            abort();
    *ok = 0;
    for (int i = 0; i < BR_CALLERS; i++) {
        pthread_join(t[i], NULL);
        *ok += j[i].ok;
    }
    return bench_now() - t0;
}

/* n messages over two threads of fn; wall seconds, *cpu = both threads' CPU
 * seconds (the figure a loaded machine disturbs least). */
static double run2(void *(*fn)(void *), struct br_job base, size_t n, size_t *ok,
                   double *cpu) {
    struct br_job j[2] = {base, base};
    j[0].from = 0;
    j[0].to = n / 2;
    j[1].from = n / 2;
    j[1].to = n;
    pthread_t t[2];
    double t0 = bench_now();
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, fn, &j[i]) != 0)
            abort();
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    double dt = bench_now() - t0;
    *ok = j[0].ok + j[1].ok;
    if (cpu != NULL)
        *cpu = j[0].cpu + j[1].cpu;
    return dt;
}

/* A fresh store with the roll and open boxes; receiver over it. */
static evote_store_t *fresh_store(const char *dir, const char *tag, evote_roll_t *roll,
                                  const evote_manifest_t *m) {
    char path[600];
    evote_store_t *s = NULL;
    size_t added;
    snprintf(path, sizeof(path), "%s/%s.db", dir, tag);
    if (evote_store_open_sqlite(&s, path) != EVOTE_OK ||
        evote_roll_import(s, roll, &added) != EVOTE_OK ||
        evote_store_box_open(s, "district-tokyo-1") != EVOTE_OK ||
        evote_store_box_open(s, "proportional-tokyo") != EVOTE_OK) {
        fprintf(stderr, "bench receive: store: %s\n", evote_err_detail());
        abort();
    }
    return s;
}

int bench_receive(const struct bench_opts *o) {
    size_t nmsg = o->n ? o->n : 2000;
    size_t nvoters = (nmsg + 1) / 2;
    nmsg = nvoters * 2;
    char dir[256], path[600];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/evote-bench-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 1;

    /* election */
    snprintf(path, sizeof(path), "%s/manifest.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"format\":\"libevote-manifest/1\",\"election_id\":\"bench\",\"title\":\"b\","
          "\"voting_window\":{\"opens\":\"2020-01-01T00:00:00+09:00\","
          "\"closes\":\"2039-01-01T00:00:00+09:00\"},\"contests\":["
          "{\"id\":\"district-tokyo-1\",\"title\":\"d\",\"kind\":\"district\",\"options\":"
          "[{\"id\":\"a\",\"name\":\"A\"},{\"id\":\"b\",\"name\":\"B\"}]},"
          "{\"id\":\"proportional-tokyo\",\"title\":\"p\",\"kind\":\"proportional\","
          "\"options\":[{\"id\":\"x\",\"name\":\"X\"},{\"id\":\"y\",\"name\":\"Y\"}]}]}",
          f);
    fclose(f);
    evote_manifest_t *m = NULL;
    if (evote_manifest_load(&m, path) != EVOTE_OK)
        return 1;
    uint8_t pk[EVOTE_POINT_LEN];
    {
        BIGNUM *sk = BN_new();
        EC_POINT *p = EC_POINT_new(evote_ec_group());
        if (evote_scalar_random(sk) != EVOTE_OK ||
            EC_POINT_mul(evote_ec_group(), p, sk, NULL, NULL, NULL) != 1 ||
            evote_ec_encode(pk, p, NULL) != EVOTE_OK)
            abort();
        EC_POINT_free(p);
        BN_clear_free(sk);
    }

    /* PKI: RSA-2048 CA, RSA-2048 voter certificates */
    EVP_PKEY *cakey = EVP_RSA_gen(2048), *vkey = EVP_RSA_gen(2048);
    X509 *ca = make_cert(NULL, cakey, cakey, "Bench National ID CA", 1, true);
    size_t csv_cap = 64 + nvoters * 160, off = 0;
    char *csv = malloc(csv_cap);
    off += (size_t)snprintf(csv, csv_cap, "voter_id,identity,contests\n");
    uint8_t **msgs = calloc(nmsg, sizeof(*msgs));
    size_t *lens = calloc(nmsg, sizeof(*lens));
    double t0 = bench_now();
    for (size_t i = 0; i < nvoters; i++) {
        char cn[64];
        snprintf(cn, sizeof(cn), "Bench voter %zu", i);
        X509 *x = make_cert(ca, cakey, vkey, cn, 1000 + i, false);
        uint8_t *der = NULL, h[32];
        char hex[65];
        int dl = i2d_X509(x, &der);
        if (dl <= 0 || evote_sha256(der, (size_t)dl, h) != EVOTE_OK)
            abort();
        OPENSSL_free(der);
        evote_hex(hex, h, 32);
        off += (size_t)snprintf(csv + off, csv_cap - off,
                                "bv%zu,sha256:%s,district-tokyo-1 proportional-tokyo\n", i, hex);
        for (int c = 0; c < 2; c++) {
            evote_ballot_t b;
            uint8_t buf[EVOTE_BALLOT_MAX];
            size_t bl;
            if (evote_ballot_encrypt(&b, m, c ? "proportional-tokyo" : "district-tokyo-1", pk,
                                     (uint32_t)(i & 1)) != EVOTE_OK ||
                evote_ballot_encode(&b, buf, sizeof(buf), &bl) != EVOTE_OK)
                abort();
            /* interleave so both threads hit both contests */
            size_t k = 2 * i + (size_t)c;
            msgs[k] = cms_sign(x, vkey, buf, bl, &lens[k]);
        }
        X509_free(x);
    }
    printf("receive: %zu messages from %zu RSA-2048 voters prepared in %.1f s (%zu bytes "
           "each)\n",
           nmsg, nvoters, bench_now() - t0, lens[0]);
    evote_roll_t *roll = NULL;
    if (evote_roll_parse(&roll, (uint8_t *)csv, off, NULL, 0) != EVOTE_OK)
        abort();
    free(csv);

    /* raw CMS_verify with chain verification, 2 threads */
    X509_STORE *xs = X509_STORE_new();
    X509_STORE_add_cert(xs, ca);
    X509_STORE_set_flags(xs, X509_V_FLAG_X509_STRICT); /* as evote's verifier */
    struct br_job base = {.msgs = msgs, .lens = lens, .store = xs, .batch = BR_BATCH};
    size_t ok = 0;
    double raw_cpu = 0, dur_cpu = 0;
    double dt = run2(raw_thread, base, nmsg, &ok, &raw_cpu);
    double raw = (double)nmsg / dt;
    printf("receive: raw CMS_verify (chain to the CA), 2 threads: %.0f msg/s (%zu/%zu ok; "
           "%.0f us CPU per message)\n",
           raw, ok, nmsg, raw_cpu / (double)nmsg * 1e6);
    if (ok != nmsg)
        return 1;

    /* durable reception, group commit of BR_BATCH per thread */
    evote_cms_verifier_t *v = NULL;
    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    f = fopen(path, "w");
    PEM_write_X509(f, ca);
    fclose(f);
    if (evote_cms_verifier_new(&v) != EVOTE_OK || evote_cms_verifier_add_ca_file(v, path) != EVOTE_OK)
        return 1;
    evote_store_t *s = fresh_store(dir, "batch", roll, m);
    evote_receiver_t *r = NULL;
    if (evote_receiver_new(&r, m, pk, v, s) != EVOTE_OK)
        return 1;
    base.r = r;
    dt = run2(recv_thread, base, nmsg, &ok, &dur_cpu);
    double durable = (double)ok / dt;
    printf("receive: durable ballots, 2 threads, group commit of %d: %.0f ballots/s "
           "(%zu/%zu accepted; %.0f us CPU per ballot, fsync's kernel time included)\n",
           BR_BATCH, durable, ok, nmsg, dur_cpu / (double)nmsg * 1e6);
    printf("receive: ratio durable / raw CMS_verify = %.2f (target >= 0.5); in CPU time "
           "per message: %.2f\n",
           durable / raw, raw_cpu / dur_cpu);
    if (ok != nmsg)
        return 1;
    evote_receiver_free(r);
    evote_store_free(s);

    /* one commit (one fsync) per ballot, for comparison */
    size_t n1 = nmsg < 400 ? nmsg : 400;
    s = fresh_store(dir, "single", roll, m);
    if (evote_receiver_new(&r, m, pk, v, s) != EVOTE_OK)
        return 1;
    base.r = r;
    base.batch = 1;
    dt = run2(recv_thread, base, n1, &ok, NULL);
    printf("receive: durable ballots, 2 threads, one commit per ballot: %.0f ballots/s "
           "(ratio %.2f)\n",
           (double)ok / dt, (double)ok / dt / raw);
    evote_receiver_free(r);
    evote_store_free(s);
    /* concurrent single-ballot callers (evote_receiver_receive, one thread
     * each): a commit per ballot, then the opt-in group commit */
    size_t nc = nmsg < 800 ? nmsg : 800;
    double rate[2];
    for (int g = 0; g < 2; g++) {
        s = fresh_store(dir, g ? "group" : "percall", roll, m);
        if (evote_receiver_new(&r, m, pk, v, s) != EVOTE_OK ||
            (g && evote_receiver_set_group_commit(r, BR_BATCH) != EVOTE_OK))
            return 1;
        base.r = r;
        dt = run_callers(single_thread, base, nc, &ok);
        rate[g] = (double)ok / dt;
        size_t queued;
        uint64_t commits = 0, held = 0;
        receiver_group_stats(r, &queued, &commits, &held);
        if (g)
            printf("receive: %d single-ballot callers, group commit (up to %d): %.0f "
                   "ballots/s (ratio to raw %.2f; %.1f ballots per commit; %zu/%zu)\n",
                   BR_CALLERS, BR_BATCH, rate[g], rate[g] / raw,
                   commits ? (double)held / (double)commits : 0.0, ok, nc);
        else
            printf("receive: %d single-ballot callers, one commit per ballot: %.0f "
                   "ballots/s (ratio to raw %.2f; %zu/%zu)\n",
                   BR_CALLERS, rate[g], rate[g] / raw, ok, nc);
        evote_receiver_free(r);
        evote_store_free(s);
        if (ok != nc)
            return 1;
    }
    printf("receive: group commit / commit per ballot, same callers = %.2f\n",
           rate[1] / rate[0]);

    evote_cms_verifier_free(v);
    evote_roll_free(roll);
    X509_STORE_free(xs);
    for (size_t i = 0; i < nmsg; i++)
        free(msgs[i]);
    free(msgs);
    free(lens);
    X509_free(ca);
    EVP_PKEY_free(cakey);
    EVP_PKEY_free(vkey);
    evote_manifest_free(m);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench receive: could not remove %s\n", dir);
    return 0;
}
