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
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
