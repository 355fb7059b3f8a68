/*
 * libevote fuzz harnesses — shared helpers (not part of the library).
 *
 * Every harness defines LLVMFuzzerTestOneInput and may define
 * LLVMFuzzerInitialize. Built with clang and -fsanitize=fuzzer they are
 * libFuzzer targets; otherwise fuzz/standalone_main.c drives them over a
 * corpus and deterministic mutations of it (see fuzz/README.md).
 *
 * FUZZ_CHECK is an invariant the library promises: it aborts (so both
 * libFuzzer and the standalone driver report the input) and is never
 * compiled out.
 */
#ifndef EVOTE_FUZZ_COMMON_H
#define EVOTE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "evote/evote.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                           \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                               \
        }                                                                          \
    } while (0)

/* Discard a result on purpose (gcc ignores a cast to void for
 * warn_unused_result). */
#define FUZZ_IGNORE(x)                                                             \
    do {                                                                           \
        if (x) {                                                                   \
        }                                                                          \
    } while (0)

/*
 * Parsers that only take a path: write the input to an anonymous memory
 * file and pass its /proc/self/fd path. fuzz_file_open returns the fd
 * (close it with fuzz_file_close) and fills path; aborts on failure since
 * that is the harness's fault, not the input's.
 */
int fuzz_file_open(const uint8_t *data, size_t size, char path[64]);
void fuzz_file_close(int fd);

/* The fixed manifest harnesses check against (docs/examples/manifest.json,
 * loaded once; aborts if it does not parse). */
const evote_manifest_t *fuzz_manifest(void);

/* A fixed valid election key (compressed point k·G for a fixed k). */
const uint8_t *fuzz_pubkey(void);

/* Deterministic 32-bit hash of the input, to choose harness modes. */
uint32_t fuzz_mix32(const uint8_t *data, size_t size);

#endif
