/*
 * evote demo — small helpers the demo's steps share.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "demo_util.h"

double demo_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int demo_random_pin(char out[33]) {
    uint8_t r[16];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return 1;
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    OPENSSL_cleanse(r, sizeof(r));
    return 0;
}

static int sys_fail(const char *what, const char *path) {
    fprintf(stderr, "evote demo: %s %s: %s\n", what, path, strerror(errno));
    return 1;
}

int demo_write_text(const char *path, const char *text, mode_t mode) {
    FILE *f = fopen(path, "wx");
    if (f == NULL)
        return sys_fail("create", path);
    if (fchmod(fileno(f), mode) != 0 || fputs(text, f) < 0) {
        fclose(f);
        return sys_fail("write", path);
    }
    return fclose(f) == 0 ? 0 : sys_fail("write", path);
}
