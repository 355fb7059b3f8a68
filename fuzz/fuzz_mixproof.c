/*
 * Fuzz the readers the shuffle-proof verifier runs on every file of a mix
 * chain: ciphertext lists (mix_fin_walk_ctl), permutation commitments
 * (mix_fin_walk_plist), PoS commitments (mix_fin_walk_commit) and PoS
 * replies (mix_fin_walk_reply), on the file as the verifier sees it (an
 * in-memory file descriptor). Whatever a reader accepts must be the
 * fixed layout the chunked passes rely on: exactly the size for its N,
 * and every element, read back by offset, re-serialises to its bytes.
 *
 * Input: byte 0 selects the reader (and, for the fixed-width ones, the
 * width n = 1 + byte 1 % 8); the rest is the file.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "mix_internal.h"
#include "mix_pos.h"

/* The points [i0, i0 + m) at off re-serialise to the file's bytes. */
static void points_canonical(const mix_fin *f, const uint8_t *d, uint64_t off, size_t m) {
    mix_pt p;
    uint8_t b[MIX_PT_BT_LEN];
    for (size_t i = 0; i < m; i++) {
        FUZZ_CHECK(mix_fin_points(f, off, i, 1, &p) == EVOTE_OK);
        mix_point_bytes(b, &p);
        FUZZ_CHECK(memcmp(b, d + off + i * MIX_PT_BT_LEN, MIX_PT_BT_LEN) == 0);
    }
}

static void scalars_canonical(const mix_fin *f, const uint8_t *d, uint64_t off, size_t m) {
    mix_sc s;
    for (size_t i = 0; i < m; i++) {
        const uint8_t *at = d + off + i * MIX_SC_BT_LEN;
        FUZZ_CHECK(mix_fin_scalars(f, off, i, 1, &s) == EVOTE_OK);
        FUZZ_CHECK(at[0] == 0x01 && at[4] == 33 && at[5] == 0);
        FUZZ_CHECK(memcmp(s.b, at + 6, 32) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    unsigned mode = data[0] % 4;
    size_t n = 1 + data[1] % 8;
    const uint8_t *d = data + 2;
    size_t len = size - 2;
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(len == 0 || write(fd, d, len) == (ssize_t)len);
    mix_fin f;
    FUZZ_CHECK(mix_fin_of_fd(&f, fd, "fuzz") == EVOTE_OK);

    switch (mode) {
    case 0: {
        size_t m = 0;
        if (mix_fin_ctl_n(&f, &m) == EVOTE_OK && mix_fin_walk_ctl(&f, m, NULL) == EVOTE_OK) {
            FUZZ_CHECK(m >= 1 && len == MIX_CTL_SIZE(m));
            points_canonical(&f, d, MIX_CTL_A(m), m);
            points_canonical(&f, d, MIX_CTL_B(m), m);
        }
        break;
    }
    case 1:
        if (mix_fin_walk_plist(&f, n, NULL) == EVOTE_OK) {
            FUZZ_CHECK(len == MIX_PL_SIZE(n));
            points_canonical(&f, d, MIX_PL_P(n), n);
            for (size_t i = 0; i < n; i++) {
                mix_pt p;
                uint8_t c[EVOTE_POINT_LEN];
                FUZZ_CHECK(mix_fin_points(&f, MIX_PL_P(n), i, 1, &p) == EVOTE_OK);
                FUZZ_CHECK(mix_pt_to_compressed(c, &p) == EVOTE_OK);
                FUZZ_CHECK(evote_point_check(c) == EVOTE_OK);
            }
        }
        break;
    case 2: {
        mix_pt s[5];
        if (mix_fin_walk_commit(&f, n, NULL, &s[0], &s[1], &s[2], &s[3], &s[4]) == EVOTE_OK) {
            FUZZ_CHECK(len == MIX_PC_SIZE(n));
            points_canonical(&f, d, MIX_PC_B(n), n);
            points_canonical(&f, d, MIX_PC_BP(n), n);
            const uint64_t at[5] = {MIX_PC_AP(n), MIX_PC_CP(n), MIX_PC_DP(n),
                                    MIX_PC_F(n) + MIX_NODE_LEN,
                                    MIX_PC_F(n) + MIX_NODE_LEN + MIX_PT_BT_LEN};
            for (int k = 0; k < 5; k++) {
                uint8_t b[MIX_PT_BT_LEN];
                mix_point_bytes(b, &s[k]); /* the kept point is the one at its offset */
                FUZZ_CHECK(memcmp(b, d + at[k], MIX_PT_BT_LEN) == 0);
            }
        }
        break;
    }
    default: {
        mix_sc k[4];
        if (mix_fin_walk_reply(&f, n, NULL, &k[0], &k[1], &k[2], &k[3]) == EVOTE_OK) {
            FUZZ_CHECK(len == MIX_PR_SIZE(n));
            scalars_canonical(&f, d, MIX_PR_KB(n), n);
            scalars_canonical(&f, d, MIX_PR_KE(n), n);
            const uint64_t at[4] = {MIX_PR_KA(n), MIX_PR_KC(n), MIX_PR_KD(n), MIX_PR_KF(n)};
            for (int i = 0; i < 4; i++)
                FUZZ_CHECK(memcmp(k[i].b, d + at[i] + 6, 32) == 0);
        }
        break;
    }
    }
    close(fd);
    return 0;
}
