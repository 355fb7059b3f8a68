/*
 * Mix-net benchmark: shuffle+prove and verify of one party at N = 10 000
 * (--n to change, --big for N = 1 000 000 on all cores), as wall time and
 * as P-256 multiplications per ciphertext ("mul", bench_mul_rate()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rand.h>

#include "bench.h"
#include "internal.h"
#include "mix_internal.h"
#include "evote/evote.h"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The same unit as bench_mul_rate() but in process CPU time, so that the
 * single-thread ratios hold on a machine shared with other work. */
static double cpu_mul_rate(void) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *p = EC_POINT_dup(EC_GROUP_get0_generator(g), g);
    BIGNUM *k = BN_new();
    BN_CTX *bn = BN_CTX_new();
    if (p == NULL || k == NULL || bn == NULL || evote_scalar_random(k) != EVOTE_OK ||
        EC_POINT_mul(g, p, NULL, p, k, bn) != 1)
        abort();
    int iters = 0;
    double t0 = cpu_now(), t;
    do {
        for (int i = 0; i < 100; i++)
            if (EC_POINT_mul(g, p, NULL, p, k, bn) != 1)
                abort();
        iters += 100;
        t = cpu_now() - t0;
    } while (t < 1.0);
    EC_POINT_free(p);
    BN_free(k);
    BN_CTX_free(bn);
    return iters / t;
}

/* n ciphertexts of random points under a random key (fast: fixed base). */
static evote_ct_t *bench_list(size_t n, uint8_t pk[33]) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *P = EC_POINT_new(g), *C = EC_POINT_new(g);
    BIGNUM *x = BN_new(), *r = BN_new();
    evote_ct_t *cts = calloc(n, sizeof(*cts));
    if (!P || !C || !x || !r || !cts || evote_scalar_random(x) != EVOTE_OK ||
        EC_POINT_mul(g, P, x, NULL, NULL, NULL) != 1 || evote_ec_encode(pk, P, NULL))
        abort();
    for (size_t i = 0; i < n; i++) {
        if (evote_scalar_random(r) != EVOTE_OK ||
            EC_POINT_mul(g, C, r, NULL, NULL, NULL) != 1 ||
            evote_ec_encode(cts[i].c1, C, NULL) != EVOTE_OK ||
            EC_POINT_mul(g, C, x, NULL, NULL, NULL) != 1 ||
            evote_ec_encode(cts[i].c2, C, NULL) != EVOTE_OK)
            abort();
        if (i % 64 == 0 && BN_add_word(x, 1) != 1) /* vary the messages a little */
            abort();
    }
    EC_POINT_free(P);
    EC_POINT_free(C);
    BN_free(x);
    BN_free(r);
    return cts;
}

/* Memory of the last run: the process before proving (the bench's own
 * list of N compressed ciphertexts is in it), and its peaks while proving
 * and while verifying. */
static double g_rss0, g_peak_prove, g_peak_verify;

static int run(size_t n, unsigned threads, double rate, bool progress, double *tp,
               double *tv, double *cp, double *cv) {
    char dir[] = "/tmp/evote-bench-mix-XXXXXX", chain[64];
    uint8_t pk[33];
    evote_mix_params_t *p = NULL;
    evote_mix_report_t rep;
    evote_mix_opts_t o = {.threads = threads, .progress = progress};
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(chain, sizeof(chain), "%s/chain", dir);
    evote_ct_t *in = bench_list(n, pk);
    if (evote_mix_params_new(&p, "bench-election", "bench-contest", 1) != EVOTE_OK)
        return 1;
    char list[96];
    snprintf(list, sizeof(list), "%s/in.bt", dir);
    if (evote_ctlist_write(list, in, n) != EVOTE_OK)
        return 1;
    g_rss0 = bench_rss_mib();
    bench_peak_reset();
    double t0 = bench_now(), c0 = cpu_now();
    evote_err_t rv = evote_mix_run_file(p, pk, list, 1, chain, &o);
    double t1 = bench_now(), c1 = cpu_now();
    g_peak_prove = bench_peak_since_reset_mib();
    bench_peak_reset();
    if (rv == EVOTE_OK)
        rv = evote_mix_verify_dir(p, chain, pk, in, n, &o, &rep, NULL, NULL);
    double t2 = bench_now(), c2 = cpu_now();
    g_peak_verify = bench_peak_since_reset_mib();
    *cp = c1 - c0;
    *cv = c2 - c1;
    if (rv != EVOTE_OK)
        fprintf(stderr, "bench mix: %s (%s)\n", evote_strerror(rv), evote_err_detail());
    *tp = t1 - t0;
    *tv = t2 - t1;
    (void)rate;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    evote_mix_params_free(p);
    free(in);
    return rv == EVOTE_OK ? 0 : 1;
}

/* The MSM alone on one thread, in CPU seconds per point: ours, OpenSSL's. */
static int msm_alone(size_t n, double *ours, double *ossl) {
    mix_pt *pts = malloc(n * sizeof(*pts));
    mix_sc *k = malloc(n * sizeof(*k));
    mix_jp *jp = malloc(n * sizeof(*jp)), acc;
    mix_ap g;
    mix_pt gp;
    EC_POINT *r = EC_POINT_new(evote_ec_group());
    int rv = 1;
    if (pts == NULL || k == NULL || jp == NULL || r == NULL ||
        RAND_bytes((unsigned char *)k, (int)(n * sizeof(*k))) != 1)
        goto out;
    /* points P_i = P_0 + i·G: cheap to make, no structure the MSM uses */
    mix_generator(&gp);
    mix_ap_from_pt(&g, &gp);
    mix_jp_from_pt(&acc, &gp);
    mix_jp_dbl(&acc, &acc);
    for (size_t i = 0; i < n; i++) {
        mix_jp_add_affine(&acc, &acc, &g);
        jp[i] = acc;
    }
    if (mix_jps_to_pts(pts, jp, n) != EVOTE_OK)
        goto out;
    double c0 = cpu_now();
    if (mix_msm(r, pts, 0, k, n, 1) != EVOTE_OK)
        goto out;
    double c1 = cpu_now();
    if (mix_msm_ossl(r, pts, 0, k, n, 1) != EVOTE_OK)
        goto out;
    double c2 = cpu_now();
    *ours = (c1 - c0) / n;
    *ossl = (c2 - c1) / n;
    rv = 0;
out:
    free(pts);
    free(k);
    free(jp);
    EC_POINT_free(r);
    return rv;
}

int bench_mix(const struct bench_opts *o) {
    double rate = bench_mul_rate();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned all = o->threads ? o->threads : (unsigned)(cores > 0 ? cores : 1);
    size_t n = o->n ? o->n : (o->big ? 1000000 : 10000);
    double tp, tv, cp, cv, crate = cpu_mul_rate();
    printf("mix: P-256 variable-base mul: %.0f mul/s on one thread (the unit; %.0f mul/s "
           "in CPU time)\n",
           rate, crate);
    if (!o->big) {
        static const size_t msn[2] = {10000, 80000};
        for (int i = 0; i < 2; i++) {
            double a, b;
            if (msm_alone(msn[i], &a, &b) != 0)
                return 1;
            printf("mix: MSM of %zu points, 1 thread, CPU time: %.3f mul/point (window %u); "
                   "OpenSSL EC_POINTs_mul %.3f mul/point; %.1fx\n",
                   msn[i], a * crate, mix_msm_window(msn[i]), b * crate, b / a);
        }
        if (run(n, 1, rate, false, &tp, &tv, &cp, &cv) != 0)
            return 1;
        printf("mix: N=%zu, 1 thread:   shuffle+prove %.2f s = %.2f mul/ct, verify %.2f s = "
               "%.2f mul/ct\n",
               n, tp, tp * rate / n, tv, tv * rate / n);
        printf("mix: N=%zu, 1 thread, CPU time: shuffle+prove %.2f mul/ct, verify %.2f "
               "mul/ct\n",
               n, cp * crate / n, cv * crate / n);
    }
    if (run(n, all, rate, o->big, &tp, &tv, &cp, &cv) != 0)
        return 1;
    printf("mix: N=%zu, %u threads: shuffle+prove %.2f s = %.2f mul/ct, verify %.2f s = "
           "%.2f mul/ct (wall time x threads / N: %.2f, %.2f)\n",
           n, all, tp, tp * rate / n, tv, tv * rate / n, tp * rate * all / n,
           tv * rate * all / n);
    printf("mix: peak RSS %.0f MiB (process); last run: %.0f MiB before proving (the bench's "
           "own list of %zu ciphertexts, %.0f MiB, is in it), peak %.0f MiB while proving, "
           "%.0f MiB while verifying\n",
           bench_peak_rss_mib(), g_rss0, n, n * sizeof(evote_ct_t) / 1048576.0, g_peak_prove,
           g_peak_verify);
    return 0;
}
