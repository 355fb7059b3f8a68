/* libevote fuzz harnesses — shared helpers. */
#define _GNU_SOURCE
#include "fuzz_common.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef EVOTE_FUZZ_MANIFEST
#error "EVOTE_FUZZ_MANIFEST must name the fixed manifest file"
#endif

int fuzz_file_open(const uint8_t *data, size_t size, char path[64]) {
    int fd = memfd_create("evote-fuzz", MFD_CLOEXEC);
    if (fd < 0) {
        perror("memfd_create");
        abort();
    }
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            perror("write");
            abort();
        }
        off += (size_t)w;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

void fuzz_file_close(int fd) {
    close(fd);
}

static evote_manifest_t *g_manifest;

const evote_manifest_t *fuzz_manifest(void) {
    if (!g_manifest) {
        if (evote_manifest_load(&g_manifest, EVOTE_FUZZ_MANIFEST) != EVOTE_OK) {
            fprintf(stderr, "cannot load %s\n", EVOTE_FUZZ_MANIFEST);
            abort();
        }
    }
    return g_manifest;
}

const uint8_t *fuzz_pubkey(void) {
    /* 2·G on P-256, compressed (public test value; no secret involved). */
    static const uint8_t pk[EVOTE_POINT_LEN] = {
        0x03, 0x7c, 0xf2, 0x7b, 0x18, 0x8d, 0x03, 0x4f, 0x7e, 0x8a, 0x52,
        0x38, 0x03, 0x04, 0xb5, 0x1a, 0xc3, 0xc0, 0x89, 0x69, 0xe2, 0x77,
        0xf2, 0x1b, 0x35, 0xa6, 0x0b, 0x48, 0xfc, 0x47, 0x66, 0x99, 0x78};
    return pk;
}

uint32_t fuzz_mix32(const uint8_t *data, size_t size) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}
