/*
 * Driver for the fuzz harnesses when libFuzzer is not available (gcc
 * builds, `make check`): run LLVMFuzzerTestOneInput over every file of the
 * corpus directories given, then over N mutations of them made by a
 * deterministic PRNG, so a failure reproduces from (corpus, seed, N).
 *
 *   fuzz_<name> [-n N] [-s SEED] [-o CRASH_FILE] DIR_OR_FILE...
 *
 * Before each mutated input runs it is written to CRASH_FILE (default
 * none) so that an abort leaves the offending input behind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return 0;
}

typedef struct {
    uint8_t *data;
    size_t len;
} sample_t;

static sample_t *samples;
static size_t nsamples, capsamples;

static void add_sample(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        exit(2);
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *nb = realloc(buf, cap);
            if (!nb)
                abort();
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    fclose(f);
    if (nsamples == capsamples) {
        capsamples = capsamples ? capsamples * 2 : 64;
        sample_t *ns = realloc(samples, capsamples * sizeof(*ns));
        if (!ns)
            abort();
        samples = ns;
    }
    samples[nsamples].data = buf;
    samples[nsamples].len = len;
    nsamples++;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        add_sample(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        exit(2);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (!nn)
                abort();
            names = nn;
        }
        if (asprintf(&names[n], "%s/%s", path, e->d_name) < 0)
            abort();
        n++;
    }
    closedir(d);
    /* Sorted, so the mutation sequence does not depend on readdir order. */
    qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        struct stat s2;
        if (stat(names[i], &s2) == 0 && S_ISREG(s2.st_mode))
            add_sample(names[i]);
        free(names[i]);
    }
    free(names);
}

/* xorshift64*: deterministic, good enough to choose mutations. */
static uint64_t rng_state;
static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static size_t rnd_below(size_t n) {
    return n ? (size_t)(rnd() % n) : 0;
}

#define MUT_MAX (1u << 20)

/* Apply 1..8 random edits to buf (len in/out, capacity MUT_MAX). */
static void mutate(uint8_t *buf, size_t *lenp) {
    static const uint8_t interesting[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x7f, 0x80,
                                          0xff, '"', '{', '}', '[', ']', ',', ':',
                                          '\\', '\n', '<', '>', '/', '-', '0', '9'};
    size_t len = *lenp;
    unsigned edits = 1 + (unsigned)rnd_below(8);
    for (unsigned k = 0; k < edits; k++) {
        size_t pos = rnd_below(len + 1);
        switch (rnd_below(9)) {
        case 0: /* flip a bit */
            if (len)
                buf[rnd_below(len)] ^= (uint8_t)(1u << rnd_below(8));
            break;
        case 1: /* random byte */
            if (len)
                buf[rnd_below(len)] = (uint8_t)rnd();
            break;
        case 2: /* interesting byte */
            if (len)
                buf[rnd_below(len)] = interesting[rnd_below(sizeof(interesting))];
            break;
        case 3: /* delete a run */
            if (len) {
                size_t p = rnd_below(len), n = 1 + rnd_below(len - p < 16 ? len - p : 16);
                memmove(buf + p, buf + p + n, len - p - n);
                len -= n;
            }
            break;
        case 4: /* insert random bytes */ {
            size_t n = 1 + rnd_below(8);
            if (len + n <= MUT_MAX) {
                memmove(buf + pos + n, buf + pos, len - pos);
                for (size_t i = 0; i < n; i++)
                    buf[pos + i] = (uint8_t)rnd();
                len += n;
            }
            break;
        }
        case 5: /* truncate */
            len = rnd_below(len + 1);
            break;
        case 6: /* duplicate a chunk */
            if (len) {
                size_t p = rnd_below(len), n = 1 + rnd_below(len - p < 64 ? len - p : 64);
                if (len + n <= MUT_MAX) {
                    memmove(buf + pos + n, buf + pos, len - pos);
                    memmove(buf + pos, buf + (p < pos ? p : p + n), n);
                    len += n;
                }
            }
            break;
        case 7: /* overwrite a big-endian u32 with an edge value (lengths, counts) */
            if (len >= 4) {
                static const uint32_t edge[] = {0, 1, 2, 0x7fffffffu, 0x80000000u,
                                                0xffffffffu, 0xfffffffeu, 33, 65};
                uint32_t v = edge[rnd_below(sizeof(edge) / sizeof(edge[0]))];
                size_t p = rnd_below(len - 3);
                buf[p] = (uint8_t)(v >> 24);
                buf[p + 1] = (uint8_t)(v >> 16);
                buf[p + 2] = (uint8_t)(v >> 8);
                buf[p + 3] = (uint8_t)v;
            }
            break;
        default: /* splice: tail of another sample */
            if (nsamples) {
                const sample_t *o = &samples[rnd_below(nsamples)];
                size_t from = rnd_below(o->len + 1), n = o->len - from;
                if (pos + n > MUT_MAX)
                    n = MUT_MAX - pos;
                memcpy(buf + pos, o->data + from, n);
                len = pos + n;
            }
            break;
        }
    }
    *lenp = len;
}

static void save(const char *path, const uint8_t *d, size_t n) {
    if (!path)
        return;
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write\n", path);
        exit(2);
    }
}

int main(int argc, char **argv) {
    unsigned long n = 1000, seed = 1;
    const char *crash = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-s") && i + 1 < argc)
            seed = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            crash = argv[++i];
        else {
            fprintf(stderr, "usage: %s [-n N] [-s SEED] [-o CRASH_FILE] DIR_OR_FILE...\n",
                    argv[0]);
            return 2;
        }
    }
    if (i == argc) {
        fprintf(stderr, "usage: %s [-n N] [-s SEED] [-o CRASH_FILE] DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (; i < argc; i++)
        add_path(argv[i]);

    for (size_t k = 0; k < nsamples; k++) {
        /* A private copy, so an overread of the input is caught by ASan. */
        uint8_t *c = malloc(samples[k].len ? samples[k].len : 1);
        if (!c)
            abort();
        memcpy(c, samples[k].data, samples[k].len);
        save(crash, c, samples[k].len);
        LLVMFuzzerTestOneInput(c, samples[k].len);
        free(c);
    }
    /* The empty input, always. */
    LLVMFuzzerTestOneInput((const uint8_t *)"", 0);

    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    uint8_t *buf = malloc(MUT_MAX);
    if (!buf)
        abort();
    for (unsigned long k = 0; k < n && nsamples; k++) {
        const sample_t *s = &samples[rnd_below(nsamples)];
        size_t len = s->len < MUT_MAX ? s->len : MUT_MAX;
        memcpy(buf, s->data, len);
        mutate(buf, &len);
        uint8_t *c = malloc(len ? len : 1);
        if (!c)
            abort();
        memcpy(c, buf, len);
        save(crash, c, len);
        LLVMFuzzerTestOneInput(c, len);
        free(c);
    }
    free(buf);
    for (size_t k = 0; k < nsamples; k++)
        free(samples[k].data);
    free(samples);
    printf("%s: %zu corpus files, %lu mutations (seed %lu): ok\n", argv[0], nsamples, n, seed);
    return 0;
}
