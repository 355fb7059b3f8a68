/* evote_bench — benchmarks; each prints figures and ratios against a
 * baseline measured in the same run. Register in bench/benches.def. */
#ifndef EVOTE_BENCH_H
#define EVOTE_BENCH_H

#include <stdbool.h>
#include <stddef.h>

struct bench_opts {
    size_t n;         /* problem size override (0 = bench default) */
    unsigned threads; /* 0 = all cores */
    bool big;         /* --big: the large sizes (e.g. a million ballots) */
};

/* Monotonic seconds. */
double bench_now(void);
/* Peak resident set size of this process in MiB. */
double bench_peak_rss_mib(void);
double bench_rss_mib(void);
void bench_peak_reset(void);
double bench_peak_since_reset_mib(void);
/* P-256 variable-base scalar multiplications per second on one thread
 * ("mul", the unit every bench reports against). Measured once, cached. */
double bench_mul_rate(void);

#define BENCH(name, fn, summary) int fn(const struct bench_opts *o);
#include "benches.def"
#undef BENCH

#endif
