/*
 * Decryption of ciphertext lists through a SoftHSM2 token: round trips of
 * random ballots with several threads and sessions, invalid ballots kept
 * invalid by index, list and file entry points, token failures. Each test
 * uses a throwaway token in a temporary directory.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "decrypt_internal.h"
#include "hsm_internal.h"
#include "internal.h"
#include "testutil.h"

#define TOKEN "evote-test"
#define KEY "election-key"
#define DISTRICT "district-tokyo-1" /* 3 options in evt_write_manifest */
#define PROPORTIONAL "proportional-tokyo" /* 4 options */

static char g_dir[256];
static char g_manifest[300];
static evote_manifest_t *g_m;
static evote_hsm_t *g_hsm;
static uint8_t g_pk[EVOTE_POINT_LEN];

static void setup(void) {
    evt_tmpdir(g_dir, sizeof(g_dir));
    evt_token_setup(g_dir, TOKEN);
    snprintf(g_manifest, sizeof(g_manifest), "%s/manifest.json", g_dir);
    evt_write_manifest(g_manifest, "decrypt-test");
    ck_assert_int_eq(evote_manifest_load(&g_m, g_manifest), EVOTE_OK);
    evote_err_t rv = evote_hsm_open(&g_hsm, NULL, TOKEN, EVT_PIN, strlen(EVT_PIN), 2);
    ck_assert_msg(rv == EVOTE_OK, "open: %s", evote_err_detail());
    rv = evote_hsm_keygen(g_hsm, KEY, g_pk);
    ck_assert_msg(rv == EVOTE_OK, "keygen: %s", evote_err_detail());
}

static void teardown(void) {
    evote_hsm_free(g_hsm);
    g_hsm = NULL;
    evote_manifest_free(g_m);
    g_m = NULL;
    evt_rmrf(g_dir);
}

static uint32_t rand_below(uint32_t n) {
    uint32_t v;
    ck_assert_int_eq(RAND_bytes((uint8_t *)&v, sizeof(v)), 1);
    return v % n; /* bias irrelevant for a test */
}

/* n ballots for contest with random selections; sel[i] records them. */
static evote_ct_t *cast(const char *contest, uint32_t noptions, size_t n, uint32_t *sel) {
    evote_ct_t *cts = calloc(n, sizeof(*cts));
    ck_assert_ptr_nonnull(cts);
    for (size_t i = 0; i < n; i++) {
        evote_ballot_t b;
        sel[i] = rand_below(noptions);
        ck_assert_int_eq(evote_ballot_encrypt(&b, g_m, contest, g_pk, sel[i]), EVOTE_OK);
        memcpy(cts[i].c1, b.c1, EVOTE_POINT_LEN);
        memcpy(cts[i].c2, b.c2, EVOTE_POINT_LEN);
    }
    return cts;
}

static void random_point(uint8_t out[EVOTE_POINT_LEN]) {
    const EC_GROUP *g = evote_ec_group();
    EC_POINT *p = EC_POINT_new(g);
    BIGNUM *k = BN_new();
    ck_assert_int_eq(evote_scalar_random(k), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_mul(g, p, k, NULL, NULL, NULL), 1);
    ck_assert_int_eq(evote_ec_encode(out, p, NULL), EVOTE_OK);
    EC_POINT_free(p);
    BN_free(k);
}

struct progress {
    pthread_mutex_t mu;
    size_t calls, last, total;
};

static void on_progress(void *arg, size_t done, size_t total) {
    struct progress *p = arg;
    /* calls are serialised by the library; the lock only makes TSan-style
     * reasoning easy */
    pthread_mutex_lock(&p->mu);
    p->calls++;
    if (done > p->last)
        p->last = done;
    p->total = total;
    pthread_mutex_unlock(&p->mu);
}

START_TEST(test_round_trip_threads) {
    size_t n = evt_quick() ? 120 : 1000;
    uint32_t *want = calloc(n, sizeof(*want)), *got = calloc(n, sizeof(*got));
    uint8_t(*pts)[EVOTE_POINT_LEN] = calloc(n, EVOTE_POINT_LEN);
    ck_assert_ptr_nonnull(want);
    ck_assert_ptr_nonnull(got);
    ck_assert_ptr_nonnull(pts);
    evote_ct_t *cts = cast(PROPORTIONAL, 4, n, want);
    struct progress pr = {.mu = PTHREAD_MUTEX_INITIALIZER};
    evote_decrypt_opts_t o = {.threads = 3, .progress = on_progress, .progress_arg = &pr};
    size_t bad = 99;
    unsigned long before = evote_hsm_derive_count(g_hsm);

    evote_err_t rv = evote_decrypt_ctlist(g_hsm, cts, n, 4, &o, got, pts, &bad);
    ck_assert_msg(rv == EVOTE_OK, "decrypt: %s", evote_err_detail());
    ck_assert_uint_eq(bad, 0);
    for (size_t i = 0; i < n; i++) {
        uint8_t m[EVOTE_POINT_LEN];
        ck_assert_uint_eq(got[i], want[i]);
        ck_assert_int_eq(evote_selection_encode(want[i], m), EVOTE_OK);
        ck_assert_mem_eq(pts[i], m, EVOTE_POINT_LEN);
    }
    /* one token call per ballot, no more */
    ck_assert_uint_eq(evote_hsm_derive_count(g_hsm) - before, n);
    ck_assert_uint_eq(pr.last, n);
    ck_assert_uint_eq(pr.total, n);
    ck_assert_uint_ge(pr.calls, 1);

    /* the same through the serialised list, more threads than sessions */
    evote_buf_t list = {0};
    evote_plaintexts_t *p = NULL;
    evote_decrypt_stats_t st;
    o.threads = 8;
    o.progress = NULL;
    ck_assert_int_eq(evote_ctlist_serialize(cts, n, &list), EVOTE_OK);
    rv = evote_decrypt_list(g_hsm, g_m, PROPORTIONAL, list.data, list.len, &o, &p, &st);
    ck_assert_msg(rv == EVOTE_OK, "decrypt list: %s", evote_err_detail());
    ck_assert_uint_eq(st.ciphertexts, n);
    ck_assert_uint_eq(st.valid, n);
    ck_assert_uint_eq(st.invalid, 0);
    ck_assert_uint_eq(st.threads, 8);
    ck_assert_uint_eq(evote_plaintexts_count(p), n);
    ck_assert_str_eq(evote_plaintexts_contest_id(p), PROPORTIONAL);
    ck_assert_mem_eq(evote_plaintexts_manifest_hash(p), evote_manifest_hash(g_m), 32);
    uint8_t h[32];
    ck_assert_int_eq(evote_sha256(list.data, list.len, h), EVOTE_OK);
    ck_assert_mem_eq(evote_plaintexts_input_sha256(p), h, 32);
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(evote_plaintexts_get(p, i));
        ck_assert_mem_eq(evote_plaintexts_get(p, i), pts[i], EVOTE_POINT_LEN);
    }
    evote_tally_t *t = NULL;
    ck_assert_int_eq(evote_tally_compute(&t, g_m, p), EVOTE_OK);
    uint64_t counts[4] = {0};
    for (size_t i = 0; i < n; i++)
        counts[want[i]]++;
    for (size_t j = 0; j < 4; j++)
        ck_assert_uint_eq(evote_tally_votes(t, j), counts[j]);
    ck_assert_uint_eq(evote_tally_invalid_count(t), 0);
    evote_tally_free(t);
    evote_plaintexts_free(p);
    evote_buf_free(&list);
    free(cts);
    free(want);
    free(got);
    free(pts);
}
END_TEST

START_TEST(test_invalid_ballots_by_index) {
    size_t n = 40;
    uint32_t want[40], got[40];
    uint8_t pts[40][EVOTE_POINT_LEN];
    static const size_t bad_c2[] = {3, 17, 39}; /* C2 replaced by a random point */
    const size_t bad_c1 = 21;                   /* C1 not on the curve */
    evote_ct_t *cts = cast(DISTRICT, 3, n, want);
    for (size_t k = 0; k < 3; k++)
        random_point(cts[bad_c2[k]].c2);
    memset(cts[bad_c1].c1 + 1, 0, 32);
    cts[bad_c1].c1[32] = 1; /* x = 1: no P-256 point */
    size_t nbad = 0;
    unsigned long before = evote_hsm_derive_count(g_hsm);
    evote_decrypt_opts_t o = {.threads = 2};
    ck_assert_int_eq(evote_decrypt_ctlist(g_hsm, cts, n, 3, &o, got, pts, &nbad), EVOTE_OK);
    ck_assert_uint_eq(nbad, 4);
    static const uint8_t zero[EVOTE_POINT_LEN];
    for (size_t i = 0; i < n; i++) {
        bool bad = i == 3 || i == 17 || i == 39 || i == bad_c1;
        if (bad) {
            ck_assert_msg(got[i] == EVOTE_SELECTION_INVALID, "ballot %zu should be invalid", i);
            ck_assert_mem_eq(pts[i], zero, EVOTE_POINT_LEN);
        } else {
            ck_assert_uint_eq(got[i], want[i]);
        }
    }
    /* the invalid C1 never reached the token */
    ck_assert_uint_eq(evote_hsm_derive_count(g_hsm) - before, n - 1);

    /* through the list and the tally: invalid, listed by index */
    memcpy(cts[bad_c1].c1, cts[0].c1, EVOTE_POINT_LEN); /* a list holds only points */
    evote_buf_t list = {0};
    evote_plaintexts_t *p = NULL;
    evote_tally_t *t = NULL;
    ck_assert_int_eq(evote_ctlist_serialize(cts, n, &list), EVOTE_OK);
    ck_assert_int_eq(evote_decrypt_list(g_hsm, g_m, DISTRICT, list.data, list.len, NULL, &p, NULL),
                     EVOTE_OK);
    ck_assert_int_eq(evote_tally_compute(&t, g_m, p), EVOTE_OK);
    ck_assert_uint_eq(evote_tally_total(t), n);
    /* ballot 21 now has ballot 0's C1 with its own C2: C2 − key·C1 is a
     * random point, invalid except with negligible probability */
    ck_assert_uint_eq(evote_tally_invalid_count(t), 4);
    ck_assert_uint_eq(evote_tally_invalid_index(t, 0), 3);
    ck_assert_uint_eq(evote_tally_invalid_index(t, 1), 17);
    ck_assert_uint_eq(evote_tally_invalid_index(t, 2), 21);
    ck_assert_uint_eq(evote_tally_invalid_index(t, 3), 39);
    ck_assert_ptr_null(evote_plaintexts_get(p, 3));
    ck_assert_ptr_nonnull(evote_plaintexts_get(p, 4));
    evote_tally_free(t);
    evote_plaintexts_free(p);
    evote_buf_free(&list);
    free(cts);
}
END_TEST

/* A ballot of the other contest has a selection index that this contest may
 * not have: with 4 options cast and 3 decoded, selection 3 is invalid. */
START_TEST(test_selection_outside_contest) {
    uint32_t want[30], got[30];
    size_t nbad = 0, expect = 0;
    evote_ct_t *cts = cast(PROPORTIONAL, 4, 30, want);
    ck_assert_int_eq(evote_decrypt_ctlist(g_hsm, cts, 30, 3, NULL, got, NULL, &nbad), EVOTE_OK);
    for (size_t i = 0; i < 30; i++) {
        if (want[i] == 3) {
            ck_assert(got[i] == EVOTE_SELECTION_INVALID);
            expect++;
        } else {
            ck_assert_uint_eq(got[i], want[i]);
        }
    }
    ck_assert_uint_eq(nbad, expect);
    free(cts);
}
END_TEST

START_TEST(test_decrypt_file) {
    uint32_t want[25];
    char in[400], out[400], bad[400];
    evote_ct_t *cts = cast(DISTRICT, 3, 25, want);
    snprintf(in, sizeof(in), "%s/in.bt", g_dir);
    snprintf(out, sizeof(out), "%s/out.pt", g_dir);
    snprintf(bad, sizeof(bad), "%s/bad.bt", g_dir);
    ck_assert_int_eq(evote_ctlist_write(in, cts, 25), EVOTE_OK);
    evote_decrypt_stats_t st;

    /* refusals first: nothing may be written */
    ck_assert_int_eq(evote_decrypt_file(g_hsm, g_m, "no-such-contest", in, out, NULL, &st),
                     EVOTE_ERR_CONTEST_UNKNOWN);
    size_t len;
    uint8_t *data = evt_read(in, &len);
    evt_write(bad, data, len - 1); /* truncated */
    ck_assert_int_eq(evote_decrypt_file(g_hsm, g_m, DISTRICT, bad, out, NULL, &st),
                     EVOTE_ERR_BYTETREE);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "bad.bt"));
    data[len - 1] ^= 0x01; /* last C2's y no longer on the curve */
    evt_write(bad, data, len);
    evote_err_t rv = evote_decrypt_file(g_hsm, g_m, DISTRICT, bad, out, NULL, &st);
    ck_assert_msg(rv == EVOTE_ERR_POINT_NOT_ON_CURVE || rv == EVOTE_ERR_POINT_INVALID,
                  "tampered list: %s", evote_err_name(rv));
    free(data);
    ck_assert_int_ne(access(out, F_OK), 0);

    ck_assert_int_eq(evote_decrypt_file(g_hsm, g_m, DISTRICT, in, out, NULL, &st), EVOTE_OK);
    ck_assert_uint_eq(st.valid, 25);
    evote_plaintexts_t *p = NULL;
    ck_assert_int_eq(evote_plaintexts_read(&p, out), EVOTE_OK);
    for (size_t i = 0; i < 25; i++) {
        uint32_t s;
        ck_assert_int_eq(evote_selection_decode(evote_plaintexts_get(p, i), 3, &s), EVOTE_OK);
        ck_assert_uint_eq(s, want[i]);
    }
    evote_plaintexts_free(p);
    /* never overwrite a result */
    ck_assert_int_eq(evote_decrypt_file(g_hsm, g_m, DISTRICT, in, out, NULL, &st),
                     EVOTE_ERR_EXISTS);
    free(cts);
}
END_TEST

/* A token failure stops the run with an error naming a ciphertext; no
 * partial result is handed out. */
START_TEST(test_token_failure_aborts) {
    uint32_t want[20], got[20];
    uint8_t pts[20][EVOTE_POINT_LEN];
    size_t nbad = 7;
    evote_ct_t *cts = cast(DISTRICT, 3, 20, want);
    evote_hsm_token_info_t ti;
    ck_assert_int_eq(evote_hsm_token_info(g_hsm, &ti), EVOTE_OK);
    ck_assert_int_eq(evote_hsm_functions(g_hsm)->C_CloseAllSessions(ti.slot_id), CKR_OK);
    ck_assert_int_eq(evote_decrypt_ctlist(g_hsm, cts, 20, 3, NULL, got, pts, &nbad),
                     EVOTE_ERR_TOKEN_REMOVED);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "ciphertext "));
    ck_assert_uint_eq(nbad, 0);
    static const uint8_t zero[sizeof(pts)];
    ck_assert_mem_eq(pts, zero, sizeof(pts));
    for (size_t i = 0; i < 20; i++)
        ck_assert_uint_eq(got[i], 0);
    free(cts);
}
END_TEST

START_TEST(test_bad_arguments) {
    uint32_t want[2], got[2];
    size_t nbad;
    evote_ct_t *cts = cast(DISTRICT, 3, 2, want);
    evote_decrypt_opts_t o = {.threads = 100000};
    ck_assert_int_eq(evote_decrypt_ctlist(NULL, cts, 2, 3, NULL, got, NULL, &nbad), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_decrypt_ctlist(g_hsm, cts, 0, 3, NULL, got, NULL, &nbad), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_decrypt_ctlist(g_hsm, cts, 2, 0, NULL, got, NULL, &nbad), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_decrypt_ctlist(g_hsm, cts, 2, 3, &o, got, NULL, &nbad), EVOTE_ERR_ARG);
    evote_plaintexts_t *p = NULL;
    ck_assert_int_eq(evote_decrypt_list(g_hsm, g_m, DISTRICT, NULL, 0, NULL, &p, NULL),
                     EVOTE_ERR_ARG);
    /* no key selected */
    evote_hsm_free(g_hsm);
    ck_assert_int_eq(evote_hsm_open(&g_hsm, NULL, TOKEN, EVT_PIN, strlen(EVT_PIN), 1), EVOTE_OK);
    ck_assert_int_eq(evote_decrypt_ctlist(g_hsm, cts, 2, 3, NULL, got, NULL, &nbad),
                     EVOTE_ERR_STATE);
    free(cts);
}
END_TEST

/* ---- x-only resolution against the reference (software only) ---------- */

static EC_POINT *pnew(void) {
    EC_POINT *p = EC_POINT_new(evote_ec_group());
    ck_assert_ptr_nonnull(p);
    return p;
}

static EC_POINT *sel_point(uint32_t j) {
    uint8_t enc[EVOTE_POINT_LEN];
    EC_POINT *p = pnew();
    ck_assert_int_eq(evote_selection_encode(j, enc), EVOTE_OK);
    ck_assert_int_eq(evote_ec_decode(p, enc, NULL), EVOTE_OK);
    return p;
}

/* Both resolutions of (C2, x(S)) must give the same verdict, selection and
 * plaintext; returns the selection (EVOTE_SELECTION_INVALID if invalid). */
static uint32_t both(const evote_xres_t *t, uint32_t nopt, const EC_POINT *c2,
                     const uint8_t sx[32]) {
    const EC_GROUP *g = evote_ec_group();
    uint8_t c2c[EVOTE_POINT_LEN], xy[64], se[EVOTE_POINT_LEN], so[EVOTE_POINT_LEN],
        pt[EVOTE_POINT_LEN];
    BIGNUM *x = BN_new(), *y = BN_new();
    BN_CTX *bn = BN_CTX_new();
    ck_assert_int_eq(evote_ec_encode(c2c, c2, NULL), EVOTE_OK);
    ck_assert_int_eq(EC_POINT_get_affine_coordinates(g, c2, x, y, NULL), 1);
    ck_assert_int_eq(BN_bn2binpad(x, xy, 32), 32);
    ck_assert_int_eq(BN_bn2binpad(y, xy + 32, 32), 32);
    se[0] = 0x02;
    so[0] = 0x03;
    memcpy(se + 1, sx, 32);
    memcpy(so + 1, sx, 32);
    uint32_t rsel = 0, xsel = 0;
    const uint8_t *xpt = NULL;
    evote_err_t rr = evote_decrypt_resolve(c2c, se, so, nopt, pt, &rsel);
    evote_err_t xr = evote_xres_resolve(t, bn, xy, xy + 32, sx, &xsel, &xpt);
    ck_assert_msg((rr == EVOTE_OK) == (xr == EVOTE_OK), "verdicts differ: reference %s, x-only %s",
                  evote_err_name(rr), evote_err_name(xr));
    if (xr != EVOTE_OK)
        ck_assert_int_eq(xr, EVOTE_ERR_NOT_A_SELECTION);
    if (rr == EVOTE_OK) {
        ck_assert_uint_eq(rsel, xsel);
        ck_assert_mem_eq(pt, xpt, EVOTE_POINT_LEN);
    }
    BN_free(x);
    BN_free(y);
    BN_CTX_free(bn);
    return rr == EVOTE_OK ? rsel : EVOTE_SELECTION_INVALID;
}

static void xof(const EC_POINT *p, uint8_t sx[32]) {
    uint8_t enc[EVOTE_POINT_LEN];
    ck_assert_int_eq(evote_ec_encode(enc, p, NULL), EVOTE_OK);
    memcpy(sx, enc + 1, 32);
}

START_TEST(test_xres_matches_reference) {
    const EC_GROUP *g = evote_ec_group();
    const uint32_t nopt = 5;
    evote_xres_t *t = NULL;
    ck_assert_int_eq(evote_xres_new(&t, nopt), EVOTE_OK);
    EC_POINT *m[7], *s = pnew(), *c2 = pnew(), *tmp = NULL;
    for (uint32_t j = 0; j < 7; j++)
        m[j] = sel_point(j);
    BIGNUM *k = BN_new(), *half = BN_new();
    uint8_t sx[32];
    int rounds = evt_quick() ? 20 : 200;

    for (int r = 0; r < rounds; r++) {
        uint32_t j = (uint32_t)r % nopt;
        ck_assert_int_eq(evote_scalar_random(k), EVOTE_OK);
        ck_assert_int_eq(EC_POINT_mul(g, s, k, NULL, NULL, NULL), 1);
        xof(s, sx);
        /* valid, with either sign: C2 = M_j ± S */
        ck_assert_int_eq(EC_POINT_add(g, c2, m[j], s, NULL), 1);
        ck_assert_uint_eq(both(t, nopt, c2, sx), j);
        ck_assert_int_eq(EC_POINT_invert(g, tmp = EC_POINT_dup(s, g), NULL), 1);
        ck_assert_int_eq(EC_POINT_add(g, c2, m[j], tmp, NULL), 1);
        EC_POINT_free(tmp);
        ck_assert_uint_eq(both(t, nopt, c2, sx), j);
        /* a random C2 */
        ck_assert_int_eq(evote_scalar_random(k), EVOTE_OK);
        ck_assert_int_eq(EC_POINT_mul(g, c2, k, NULL, NULL, NULL), 1);
        ck_assert(both(t, nopt, c2, sx) == EVOTE_SELECTION_INVALID);
        /* a selection beyond the contest: M_5, M_6 with 5 options */
        ck_assert_int_eq(EC_POINT_add(g, c2, m[5 + (r & 1)], s, NULL), 1);
        ck_assert(both(t, nopt, c2, sx) == EVOTE_SELECTION_INVALID);
    }
    /* both candidates decode: S = (M_b − M_a)/2, C2 = M_a + S, C2 + S = M_b */
    for (uint32_t a = 0; a < nopt; a++) {
        for (uint32_t b = 0; b < nopt; b++) {
            if (a == b)
                continue;
            ck_assert_int_eq(BN_set_word(half, 2), 1);
            ck_assert_ptr_nonnull(BN_mod_inverse(half, half, evote_ec_order(), NULL));
            tmp = EC_POINT_dup(m[a], g);
            ck_assert_int_eq(EC_POINT_invert(g, tmp, NULL), 1);
            ck_assert_int_eq(EC_POINT_add(g, s, m[b], tmp, NULL), 1);
            ck_assert_int_eq(EC_POINT_mul(g, s, NULL, s, half, NULL), 1);
            EC_POINT_free(tmp);
            ck_assert_int_eq(EC_POINT_add(g, c2, m[a], s, NULL), 1);
            xof(s, sx);
            ck_assert(both(t, nopt, c2, sx) == EVOTE_SELECTION_INVALID);
            /* C2 = M_a, S = M_b − M_a: C2 + S = M_b only (C2 − M_a = O) */
            tmp = EC_POINT_dup(m[a], g);
            ck_assert_int_eq(EC_POINT_invert(g, tmp, NULL), 1);
            ck_assert_int_eq(EC_POINT_add(g, s, m[b], tmp, NULL), 1);
            EC_POINT_free(tmp);
            xof(s, sx);
            ck_assert_uint_eq(both(t, nopt, m[a], sx), b);
        }
        /* C2 = −M_a, S = 2·M_a: C2 + S = M_a (the x1 = x2 branch) */
        tmp = EC_POINT_dup(m[a], g);
        ck_assert_int_eq(EC_POINT_invert(g, tmp, NULL), 1);
        ck_assert_int_eq(EC_POINT_dbl(g, s, m[a], NULL), 1);
        xof(s, sx);
        ck_assert_uint_eq(both(t, nopt, tmp, sx), a);
        /* C2 = M_a, S = 2·M_a: C2 − S = −M_a, C2 + S = 3·M_a: neither */
        ck_assert(both(t, nopt, m[a], sx) == EVOTE_SELECTION_INVALID);
        EC_POINT_free(tmp);
    }
    /* an x(S) that is not on the curve (a broken token) is no selection */
    memset(sx, 0, 32);
    sx[31] = 1;
    ck_assert(both(t, nopt, m[0], sx) == EVOTE_SELECTION_INVALID);
    for (uint32_t j = 0; j < 7; j++)
        EC_POINT_free(m[j]);
    EC_POINT_free(s);
    EC_POINT_free(c2);
    BN_free(k);
    BN_free(half);
    evote_xres_free(t);
}
END_TEST

/* The fast path and the reference produce the same plaintext list. */
START_TEST(test_reference_path_same_output) {
    size_t n = 48;
    uint32_t want[48];
    evote_ct_t *cts = cast(PROPORTIONAL, 4, n, want);
    random_point(cts[5].c2);
    random_point(cts[30].c2);
    evote_buf_t list = {0};
    ck_assert_int_eq(evote_ctlist_serialize(cts, n, &list), EVOTE_OK);
    evote_plaintexts_t *fast = NULL, *ref = NULL;
    evote_decrypt_opts_t o = {.threads = 2}, r = {.threads = 2, .reference_resolve = 1};
    uint8_t *a = NULL, *b = NULL;
    size_t alen, blen;
    ck_assert_int_eq(evote_decrypt_list(g_hsm, g_m, PROPORTIONAL, list.data, list.len, &o, &fast,
                                        NULL),
                     EVOTE_OK);
    ck_assert_int_eq(evote_decrypt_list(g_hsm, g_m, PROPORTIONAL, list.data, list.len, &r, &ref,
                                        NULL),
                     EVOTE_OK);
    ck_assert_int_eq(evote_plaintexts_serialize(fast, &a, &alen), EVOTE_OK);
    ck_assert_int_eq(evote_plaintexts_serialize(ref, &b, &blen), EVOTE_OK);
    ck_assert_uint_eq(alen, blen);
    ck_assert_mem_eq(a, b, alen);
    ck_assert_ptr_null(evote_plaintexts_get(fast, 5));
    ck_assert_ptr_null(evote_plaintexts_get(fast, 30));
    free(a);
    free(b);
    evote_plaintexts_free(fast);
    evote_plaintexts_free(ref);
    evote_buf_free(&list);
    free(cts);
}
END_TEST

int main(void) {
    Suite *s = suite_create("decrypt");
    TCase *tc = tcase_create("decrypt");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_round_trip_threads);
    tcase_add_test(tc, test_invalid_ballots_by_index);
    tcase_add_test(tc, test_selection_outside_contest);
    tcase_add_test(tc, test_decrypt_file);
    tcase_add_test(tc, test_token_failure_aborts);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_reference_path_same_output);
    suite_add_tcase(s, tc);
    TCase *sw = tcase_create("xres");
    tcase_set_timeout(sw, 120);
    tcase_add_test(sw, test_xres_matches_reference);
    suite_add_tcase(s, sw);
    return evt_run_suite(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
