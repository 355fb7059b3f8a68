/*
 * evote_bench [--only NAME] [--n N] [--threads T] [--big]
 * Runs the benchmarks in bench/benches.def. Figures are for notes, never
 * pass/fail thresholds.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "bench.h"
#include "internal.h"

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_peak_rss_mib(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return (double)ru.ru_maxrss / 1024.0;
}

/* "VmRSS:" or "VmHWM:" of /proc/self/status, in MiB (-1 if unknown). */
static double status_mib(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double v = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, key, strlen(key)) == 0) {
            v = strtod(line + strlen(key), NULL) / 1024.0;
            break;
        }
    fclose(f);
    return v;
}

double bench_rss_mib(void) {
    return status_mib("VmRSS:");
}

/* Start a new peak: the kernel's high-water mark drops to the current RSS
 * (Linux ≥ 4.0; otherwise the peak stays the process's). */
void bench_peak_reset(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f != NULL) {
        fputs("5", f);
        fclose(f);
    }
}

double bench_peak_since_reset_mib(void) {
    return status_mib("VmHWM:");
}

double bench_mul_rate(void) {
    static double rate;
    if (rate > 0)
        return rate;
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *p = EC_POINT_dup(EC_GROUP_get0_generator(g), g);
    BIGNUM *k = BN_new();
    BN_CTX *bn = BN_CTX_new();
    if (p == NULL || k == NULL || bn == NULL || evote_scalar_random(k) != EVOTE_OK)
        abort();
    /* variable base: multiply a point that is not the generator */
    if (EC_POINT_mul(g, p, NULL, p, k, bn) != 1)
        abort();
    int iters = 0;
    double t0 = bench_now(), t;
    do {
        for (int i = 0; i < 200; i++)
            if (EC_POINT_mul(g, p, NULL, p, k, bn) != 1)
                abort();
        iters += 200;
        t = bench_now() - t0;
    } while (t < 1.0);
    rate = iters / t;
    EC_POINT_free(p);
    BN_free(k);
    BN_CTX_free(bn);
    return rate;
}

int bench_group(const struct bench_opts *o) {
    (void)o;
    printf("group: P-256 variable-base mul: %.0f mul/s on one thread (1 mul = %.1f us)\n",
           bench_mul_rate(), 1e6 / bench_mul_rate());
    return 0;
}

struct bench_entry {
    const char *name;
    int (*fn)(const struct bench_opts *);
    const char *summary;
};

static const struct bench_entry benches[] = {
#define BENCH(name, fn, summary) {name, fn, summary},
#include "benches.def"
#undef BENCH
};

int main(int argc, char **argv) {
    struct bench_opts o = {0};
    const char *only = NULL;
    static const struct option opts[] = {
        {"only", required_argument, NULL, 'o'}, {"n", required_argument, NULL, 'n'},
        {"threads", required_argument, NULL, 't'}, {"big", no_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "o:n:t:bh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': only = optarg; break;
        case 'n': o.n = strtoull(optarg, NULL, 10); break;
        case 't': o.threads = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'b': o.big = true; break;
        default:
            fprintf(stderr, "usage: evote_bench [--only NAME] [--n N] [--threads T] [--big]\n");
            for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
                fprintf(stderr, "  %-12s %s\n", benches[i].name, benches[i].summary);
            return c == 'h' ? 0 : 2;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
        if (only != NULL && strcmp(only, benches[i].name) != 0)
            continue;
        printf("== %s: %s\n", benches[i].name, benches[i].summary);
        fflush(stdout);
        if (benches[i].fn(&o) != 0) {
            fprintf(stderr, "bench %s failed\n", benches[i].name);
            rc = 1;
        }
    }
    return rc;
}
