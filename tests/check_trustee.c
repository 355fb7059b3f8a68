/* Trustees: commitments, combined key, partial decryptions, combine. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ceremony_testutil.h"
#include "internal.h"
#include "testutil.h"

static uint8_t MH[32] = {1, 2, 3};

static void make_shares(evt_softkey_t *k, evote_trustee_share_t *s, size_t n,
                        uint8_t pk[EVOTE_POINT_LEN]) {
    for (size_t i = 0; i < n; i++) {
        evt_softkey_init(&k[i]);
        snprintf(s[i].id, sizeof(s[i].id), "trustee-%zu", i + 1);
        memcpy(s[i].pk, k[i].pk, EVOTE_POINT_LEN);
        ck_assert_int_eq(evote_trustee_commitment(s[i].commitment, MH, s[i].id, s[i].pk),
                         EVOTE_OK);
    }
    ck_assert_int_eq(evote_trustee_combine_keys(pk, NULL, MH, s, n), EVOTE_OK);
}

START_TEST(test_commitment_binds_everything) {
    evt_softkey_t k[2];
    evote_trustee_share_t s[2];
    uint8_t pk[33], c[32], c2[32], mh2[32] = {9};
    make_shares(k, s, 2, pk);
    ck_assert_int_eq(evote_trustee_commitment(c, MH, "a", k[0].pk), EVOTE_OK);
    ck_assert_int_eq(evote_trustee_commitment(c2, MH, "b", k[0].pk), EVOTE_OK);
    ck_assert_mem_ne(c, c2, 32);
    ck_assert_int_eq(evote_trustee_commitment(c2, mh2, "a", k[0].pk), EVOTE_OK);
    ck_assert_mem_ne(c, c2, 32);
    ck_assert_int_eq(evote_trustee_commitment(c2, MH, "a", k[1].pk), EVOTE_OK);
    ck_assert_mem_ne(c, c2, 32);
    ck_assert_int_eq(evote_trustee_commitment(c2, MH, "bad id!", k[1].pk), EVOTE_ERR_ARG);
    for (int i = 0; i < 2; i++)
        evt_softkey_clear(&k[i]);
}
END_TEST

/* Known answer from tests/vectors/trustee_commit.txt (Python hashlib). */
static void vector_field(const char *text, const char *key, char *out, size_t cap) {
    const char *p = strstr(text, key);
    ck_assert_ptr_nonnull(p);
    p += strlen(key);
    size_t n = strcspn(p, "\n");
    ck_assert_uint_lt(n, cap);
    memcpy(out, p, n);
    out[n] = 0;
}

START_TEST(test_commitment_vector) {
    size_t len, n;
    char *v = (char *)evt_read(EVOTE_TEST_VECTORS "/trustee_commit.txt", &len);
    char mh[80], id[80], pk[80], want[80], got[65];
    vector_field(v, "manifest_hash = ", mh, sizeof(mh));
    vector_field(v, "trustee_id = ", id, sizeof(id));
    vector_field(v, "public_key = ", pk, sizeof(pk));
    vector_field(v, "commitment = ", want, sizeof(want));
    uint8_t *m = evt_unhex(mh, &n), *k = evt_unhex(pk, &n), c[32];
    ck_assert_int_eq(evote_trustee_commitment(c, m, id, k), EVOTE_OK);
    evote_hex(got, c, 32);
    ck_assert_str_eq(got, want);
    free(m);
    free(k);
    free(v);
}
END_TEST

/* Known answer from tests/vectors/confirm.txt (PROTOCOL §15.4, computed by
 * tests/vectors/confirm_vectors.py with hashlib and its own P-256): the
 * query point Q and the expected x for one key, no partial files. */
static uint8_t *vector_hex(const char *text, const char *key, size_t want) {
    char buf[160], k[64];
    size_t n;
    snprintf(k, sizeof(k), "\n%s = ", key);
    vector_field(text, k, buf, sizeof(buf));
    uint8_t *b = evt_unhex(buf, &n);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(n, want);
    return b;
}

START_TEST(test_confirm_vector) {
    size_t len;
    char *v = (char *)evt_read(EVOTE_TEST_VECTORS "/confirm.txt", &len);
    char rnd[80], cid[EVOTE_ID_MAX + 1], name[32], got[67];
    evote_decryption_t dec = {0};
    evote_ct_t cts[2];
    uint8_t pts[2][EVOTE_POINT_LEN], q[EVOTE_POINT_LEN], x[32];
    evote_trustee_share_t share = {.id = "election-key"};
    evote_confirm_t *c = NULL;
    uint8_t *b;

    vector_field(v, "\nrandomness = ", rnd, sizeof(rnd));
    vector_field(v, "\ncontest_id = ", cid, sizeof(cid));
    b = vector_hex(v, "manifest_hash", 32);
    memcpy(dec.manifest_hash, b, 32);
    free(b);
    b = vector_hex(v, "input_sha256", 32);
    memcpy(dec.list_hash, b, 32);
    free(b);
    snprintf(dec.contest_id, sizeof(dec.contest_id), "%s", cid);
    b = vector_hex(v, "public_key", EVOTE_POINT_LEN);
    memcpy(share.pk, b, EVOTE_POINT_LEN);
    free(b);
    for (int j = 0; j < 2; j++) {
        snprintf(name, sizeof(name), "c1_%d", j + 1);
        b = vector_hex(v, name, EVOTE_POINT_LEN);
        memcpy(cts[j].c1, b, EVOTE_POINT_LEN);
        free(b);
        snprintf(name, sizeof(name), "c2_%d", j + 1);
        b = vector_hex(v, name, EVOTE_POINT_LEN);
        memcpy(cts[j].c2, b, EVOTE_POINT_LEN);
        free(b);
        snprintf(name, sizeof(name), "plaintext_%d", j + 1);
        b = vector_hex(v, name, EVOTE_POINT_LEN);
        memcpy(pts[j], b, EVOTE_POINT_LEN);
        free(b);
    }
    dec.n = 2;
    dec.plaintext = pts;

    ck_assert_int_eq(evote_confirm_new(&c, rnd, strlen(rnd), &dec, cts, 2, &share, 1, NULL, 0),
                     EVOTE_OK);
    evote_confirm_query(c, q);
    evote_hex(got, q, EVOTE_POINT_LEN);
    char want[80];
    vector_field(v, "\nQ = ", want, sizeof(want));
    ck_assert_str_eq(got, want);
    ck_assert_int_eq(evote_confirm_expected(c, "election-key", x), EVOTE_OK);
    evote_hex(got, x, 32);
    vector_field(v, "\nexpected_x = ", want, sizeof(want));
    ck_assert_str_eq(got, want);
    evote_confirm_free(c);

    /* one plaintext changed: another P, seed and query point */
    pts[1][0] ^= 1; /* 0x03 -> 0x02: the same x, the other point */
    ck_assert_int_eq(evote_confirm_new(&c, rnd, strlen(rnd), &dec, cts, 2, &share, 1, NULL, 0),
                     EVOTE_OK);
    evote_confirm_query(c, q);
    evote_hex(got, q, EVOTE_POINT_LEN);
    vector_field(v, "\nQ = ", want, sizeof(want));
    ck_assert_str_ne(got, want);
    evote_confirm_free(c);
    free(v);
}
END_TEST

START_TEST(test_combine_is_sum_and_refuses_wrong_key) {
    evt_softkey_t k[3];
    evote_trustee_share_t s[3];
    uint8_t pk[33], want[33];
    make_shares(k, s, 3, pk);
    evt_point_add(want, k[0].pk, k[1].pk);
    evt_point_add(want, want, k[2].pk);
    ck_assert_mem_eq(pk, want, 33);
    /* trustee 2 swaps their key after seeing the others' commitments */
    memcpy(s[1].pk, k[2].pk, 33);
    ck_assert_int_eq(evote_trustee_combine_keys(pk, NULL, MH, s, 3), EVOTE_ERR_COMMITMENT);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "trustee-2"));
    memcpy(s[1].pk, k[1].pk, 33);
    /* other manifest */
    uint8_t mh2[32] = {7};
    ck_assert_int_eq(evote_trustee_combine_keys(pk, NULL, mh2, s, 3), EVOTE_ERR_COMMITMENT);
    /* duplicate trustee */
    s[2] = s[0];
    ck_assert_int_eq(evote_trustee_combine_keys(pk, NULL, MH, s, 3), EVOTE_ERR_ARG);
    for (int i = 0; i < 3; i++)
        evt_softkey_clear(&k[i]);
}
END_TEST

START_TEST(test_key_files_and_record) {
    char dir[256], p1[512], p2[512], rec[512];
    evt_tmpdir(dir, sizeof(dir));
    evt_softkey_t k[2];
    evote_trustee_share_t s[2], *back = NULL;
    uint8_t pk[33], pk2[33], mh2[32] = {5};
    make_shares(k, s, 2, pk);
    snprintf(p1, sizeof(p1), "%s/c.json", dir);
    snprintf(p2, sizeof(p2), "%s/k.json", dir);
    snprintf(rec, sizeof(rec), "%s/rec.json", dir);
    ck_assert_int_eq(evote_trustee_commitment_write(p1, MH, s[0].id, s[0].commitment), EVOTE_OK);
    ck_assert_int_eq(evote_trustee_commitment_write(p1, MH, s[0].id, s[0].commitment),
                     EVOTE_ERR_EXISTS);
    ck_assert_int_eq(evote_trustee_key_write(p2, MH, s[0].id, s[0].pk), EVOTE_OK);
    char id[65];
    uint8_t c[32], kp[33];
    ck_assert_int_eq(evote_trustee_commitment_read(p1, MH, id, c), EVOTE_OK);
    ck_assert_str_eq(id, s[0].id);
    ck_assert_mem_eq(c, s[0].commitment, 32);
    ck_assert_int_eq(evote_trustee_key_read(p2, MH, id, kp), EVOTE_OK);
    ck_assert_mem_eq(kp, s[0].pk, 33);
    ck_assert_int_eq(evote_trustee_key_read(p2, mh2, id, kp), EVOTE_ERR_MANIFEST_MISMATCH);
    ck_assert_int_eq(evote_trustee_key_read(p1, MH, id, kp), EVOTE_ERR_FORMAT);

    ck_assert_int_eq(evote_trustee_record_write(rec, MH, s, 2, pk), EVOTE_OK);
    size_t n = 0;
    ck_assert_int_eq(evote_trustee_record_read(rec, MH, &back, &n, pk2), EVOTE_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_mem_eq(pk2, pk, 33);
    ck_assert_str_eq(back[1].id, "trustee-2");
    free(back);
    /* tamper: another public key in the record */
    size_t len;
    char *txt = (char *)evt_read(rec, &len);
    char hexk[67];
    evote_hex(hexk, s[1].pk, 33);
    char *at = strstr(txt, hexk);
    ck_assert_ptr_nonnull(at);
    at[10] = at[10] == 'a' ? 'b' : 'a';
    evt_write(rec, txt, len);
    free(txt);
    evote_err_t r = evote_trustee_record_read(rec, MH, &back, &n, pk2);
    ck_assert(r == EVOTE_ERR_COMMITMENT || r == EVOTE_ERR_POINT_NOT_ON_CURVE);
    ck_assert_ptr_null(back);
    for (int i = 0; i < 2; i++)
        evt_softkey_clear(&k[i]);
    evt_rmrf(dir);
}
END_TEST

/* Encrypt n ballots under the combined key, decrypt with nt trustees. */
static void roundtrip(size_t nt, size_t n) {
    evt_softkey_t k[3];
    evote_trustee_share_t s[3];
    evote_partial_t *parts[3] = {0};
    uint8_t pk[33], lh[32] = {4};
    make_shares(k, s, nt, pk);
    evote_ct_t *cts = calloc(n, sizeof(*cts));
    uint32_t *want = calloc(n, sizeof(*want));
    for (size_t j = 0; j < n; j++) {
        if (j % 7 == 3) {
            evt_encrypt_garbage(&cts[j], pk);
            want[j] = EVOTE_SELECTION_INVALID;
        } else {
            want[j] = (uint32_t)(j % 4);
            evt_encrypt(&cts[j], pk, want[j]);
        }
    }
    evote_partial_opts_t o = {.threads = 2, .checkpoint_every = 5};
    for (size_t i = 0; i < nt; i++) {
        ck_assert_int_eq(evote_partial_compute(&parts[i], evt_softkey_derive, &k[i], MH,
                                               "c-1", s[i].id, s[i].pk, lh, cts, n, &o),
                         EVOTE_OK);
        ck_assert_uint_eq(atomic_load(&k[i].calls), 2 * n);
    }
    evote_decryption_t d;
    ck_assert_int_eq(evote_decrypt_combine(&d, s, nt, parts, nt, MH, "c-1", 4, lh, cts, n),
                     EVOTE_OK);
    for (size_t j = 0; j < n; j++)
        ck_assert_uint_eq(d.selection[j], want[j]);
    evote_decryption_clear(&d);
    /* missing one trustee's part */
    if (nt > 1)
        ck_assert_int_eq(evote_decrypt_combine(&d, s, nt, parts, nt - 1, MH, "c-1", 4, lh,
                                               cts, n),
                         EVOTE_ERR_ARG);
    /* parts of another list */
    uint8_t lh2[32] = {8};
    ck_assert_int_eq(evote_decrypt_combine(&d, s, nt, parts, nt, MH, "c-1", 4, lh2, cts, n),
                     EVOTE_ERR_DIGEST_MISMATCH);
    ck_assert_ptr_null(d.selection);
    for (size_t i = 0; i < nt; i++) {
        evote_partial_free(parts[i]);
        evt_softkey_clear(&k[i]);
    }
    free(cts);
    free(want);
}

START_TEST(test_one_trustee) { roundtrip(1, evt_quick() ? 20 : 60); }
END_TEST
START_TEST(test_two_trustees) { roundtrip(2, evt_quick() ? 20 : 60); }
END_TEST
START_TEST(test_three_trustees) { roundtrip(3, evt_quick() ? 20 : 60); }
END_TEST

/* Both lifts occur: with a fixed number of random ballots the chance that
 * every part has the same sign is 2^-n; make sure resolution covers both. */
START_TEST(test_both_signs_occur) {
    evt_softkey_t k;
    evt_softkey_init(&k);
    evote_ct_t cts[40];
    uint8_t lh[32] = {0};
    for (int j = 0; j < 40; j++)
        evt_encrypt(&cts[j], k.pk, 1);
    evote_partial_t *p = NULL;
    ck_assert_int_eq(evote_partial_compute(&p, evt_softkey_derive, &k, MH, "c", "t", k.pk,
                                           lh, cts, 40, NULL),
                     EVOTE_OK);
    int even = 0, odd = 0;
    for (int j = 0; j < 40; j++)
        *(evote_partial_part(p, j)[0] == 2 ? &even : &odd) += 1;
    ck_assert_int_gt(even, 0);
    ck_assert_int_gt(odd, 0);
    evote_partial_free(p);
    evt_softkey_clear(&k);
}
END_TEST

START_TEST(test_wrong_token_key_refused) {
    evt_softkey_t k, other;
    evt_softkey_init(&k);
    evt_softkey_init(&other);
    evote_ct_t cts[3];
    uint8_t lh[32] = {0};
    for (int j = 0; j < 3; j++)
        evt_encrypt(&cts[j], k.pk, 0);
    evote_partial_t *p = NULL;
    ck_assert_int_eq(evote_partial_compute(&p, evt_softkey_derive, &other, MH, "c", "t",
                                           k.pk, lh, cts, 3, NULL),
                     EVOTE_ERR_CRYPTO);
    ck_assert_ptr_null(p);
    /* token errors pass through unchanged */
    k.fail_with = EVOTE_ERR_PIN_LOCKED;
    ck_assert_int_eq(evote_partial_compute(&p, evt_softkey_derive, &k, MH, "c", "t", k.pk,
                                           lh, cts, 3, NULL),
                     EVOTE_ERR_PIN_LOCKED);
    /* an invalid C1 never reaches the token */
    k.fail_with = EVOTE_OK;
    atomic_store(&k.calls, 0);
    cts[1].c1[0] = 0x05;
    ck_assert_int_eq(evote_partial_compute(&p, evt_softkey_derive, &k, MH, "c", "t", k.pk,
                                           lh, cts, 3, &(evote_partial_opts_t){.threads = 1}),
                     EVOTE_ERR_POINT_INVALID);
    ck_assert_uint_eq(atomic_load(&k.calls), 2);
    evt_softkey_clear(&k);
    evt_softkey_clear(&other);
}
END_TEST

START_TEST(test_partial_file_roundtrip_and_tamper) {
    char dir[256], path[512];
    evt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/p.bin", dir);
    evt_softkey_t k;
    evt_softkey_init(&k);
    evote_ct_t cts[5];
    uint8_t lh[32] = {3};
    for (int j = 0; j < 5; j++)
        evt_encrypt(&cts[j], k.pk, 2);
    evote_partial_t *p = NULL, *q = NULL;
    ck_assert_int_eq(evote_partial_compute(&p, evt_softkey_derive, &k, MH, "c", "t", k.pk,
                                           lh, cts, 5, NULL),
                     EVOTE_OK);
    ck_assert_int_eq(evote_partial_write(p, path), EVOTE_OK);
    ck_assert_int_eq(evote_partial_read(&q, path), EVOTE_OK);
    ck_assert_str_eq(evote_partial_trustee(q), "t");
    ck_assert_uint_eq(evote_partial_count(q), 5);
    for (int j = 0; j < 5; j++)
        ck_assert_mem_eq(evote_partial_part(p, j), evote_partial_part(q, j), 33);
    evote_partial_free(q);
    q = NULL;
    size_t len;
    uint8_t *b = evt_read(path, &len);
    evt_write(path, b, len - 1);
    ck_assert_int_eq(evote_partial_read(&q, path), EVOTE_ERR_TRUNCATED);
    b[len - 33] = 0x07; /* last part: bad prefix */
    evt_write(path, b, len);
    ck_assert_int_eq(evote_partial_read(&q, path), EVOTE_ERR_POINT_INVALID);
    b[0] = 'X';
    evt_write(path, b, len);
    ck_assert_int_eq(evote_partial_read(&q, path), EVOTE_ERR_FORMAT);
    ck_assert_ptr_null(q);
    free(b);
    evote_partial_free(p);
    evt_softkey_clear(&k);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_checkpoint_resume) {
    char dir[256], ck[512];
    evt_tmpdir(dir, sizeof(dir));
    snprintf(ck, sizeof(ck), "%s/ckpt", dir);
    evt_softkey_t k;
    evt_softkey_init(&k);
    enum { N = 23 };
    evote_ct_t cts[N];
    uint8_t lh[32] = {3};
    for (int j = 0; j < N; j++)
        evt_encrypt(&cts[j], k.pk, (uint32_t)(j % 3));
    evote_partial_t *full = NULL, *p = NULL;
    ck_assert_int_eq(evote_partial_compute(&full, evt_softkey_derive, &k, MH, "c", "t",
                                           k.pk, lh, cts, N, NULL),
                     EVOTE_OK);
    evote_partial_opts_t o = {.threads = 2, .checkpoint_every = 5, .checkpoint_path = ck,
                              .stop_after = 10};
    ck_assert_int_eq(evote_partial_compute(&p, evt_softkey_derive, &k, MH, "c", "t", k.pk,
                                           lh, cts, N, &o),
                     EVOTE_ERR_STATE);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(access(ck, F_OK), 0);
    /* a checkpoint of another trustee / list is refused, not reused */
    ck_assert_int_eq(evote_partial_compute(&p, evt_softkey_derive, &k, MH, "c", "u", k.pk,
                                           lh, cts, N, &o),
                     EVOTE_ERR_CHECKPOINT);
    o.stop_after = 0;
    atomic_store(&k.calls, 0);
    ck_assert_int_eq(evote_partial_compute(&p, evt_softkey_derive, &k, MH, "c", "t", k.pk,
                                           lh, cts, N, &o),
                     EVOTE_OK);
    ck_assert_uint_eq(atomic_load(&k.calls), 2 * (N - 10));
    for (int j = 0; j < N; j++)
        ck_assert_mem_eq(evote_partial_part(p, j), evote_partial_part(full, j), 33);
    evote_partial_free(p);
    p = NULL;
    /* a damaged checkpoint is refused */
    o.stop_after = 10;
    unlink(ck);
    ck_assert_int_eq(evote_partial_compute(&p, evt_softkey_derive, &k, MH, "c", "t", k.pk,
                                           lh, cts, N, &o),
                     EVOTE_ERR_STATE);
    size_t len;
    uint8_t *b = evt_read(ck, &len);
    b[len / 2] ^= 1;
    evt_write(ck, b, len);
    free(b);
    o.stop_after = 0;
    ck_assert_int_eq(evote_partial_compute(&p, evt_softkey_derive, &k, MH, "c", "t", k.pk,
                                           lh, cts, N, &o),
                     EVOTE_ERR_CHECKPOINT);
    evote_partial_free(full);
    evt_softkey_clear(&k);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_decryption_file) {
    char dir[256], path[512], mpath[512];
    evt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/d.bt", dir);
    snprintf(mpath, sizeof(mpath), "%s/manifest.json", dir);
    evt_write_manifest(mpath, "e");
    evote_manifest_t *m = NULL;
    ck_assert_int_eq(evote_manifest_load(&m, mpath), EVOTE_OK);
    const uint8_t *mh = evote_manifest_hash(m);
    evt_softkey_t k;
    evote_trustee_share_t s;
    uint8_t pk[33], lh[32] = {1};
    evt_softkey_init(&k);
    strcpy(s.id, "t1");
    memcpy(s.pk, k.pk, 33);
    ck_assert_int_eq(evote_trustee_commitment(s.commitment, mh, s.id, s.pk), EVOTE_OK);
    ck_assert_int_eq(evote_trustee_combine_keys(pk, m, mh, &s, 1), EVOTE_OK);
    evote_ct_t cts[5];
    for (int j = 0; j < 4; j++)
        evt_encrypt(&cts[j], pk, (uint32_t)j);
    evt_encrypt_garbage(&cts[4], pk);
    evote_partial_t *p = NULL;
    ck_assert_int_eq(evote_partial_compute(&p, evt_softkey_derive, &k, mh,
                                           "district-tokyo-1", s.id, pk, lh, cts, 5, NULL),
                     EVOTE_OK);
    evote_decryption_t d, e;
    ck_assert_int_eq(evote_decrypt_combine(&d, &s, 1, &p, 1, mh, "district-tokyo-1", 3, lh,
                                           cts, 5),
                     EVOTE_OK);
    ck_assert_uint_eq(d.selection[2], 2);
    ck_assert_uint_eq(d.selection[3], EVOTE_SELECTION_INVALID); /* 3 >= noptions */
    ck_assert_uint_eq(d.selection[4], EVOTE_SELECTION_INVALID);
    ck_assert_int_eq(evote_decryption_write(&d, path), EVOTE_OK);
    ck_assert_int_eq(evote_decryption_read(&e, path, m), EVOTE_OK);
    ck_assert_uint_eq(e.n, 5);
    ck_assert_mem_eq(e.plaintext, d.plaintext, 5 * 33);
    ck_assert_mem_eq(e.selection, d.selection, 5 * sizeof(uint32_t));
    evote_decryption_clear(&e);
    /* the ballot module's tally counts the same file */
    evote_plaintexts_t *pl = NULL;
    evote_tally_t *t = NULL;
    ck_assert_int_eq(evote_plaintexts_read(&pl, path), EVOTE_OK);
    ck_assert_int_eq(evote_tally_compute(&t, m, pl), EVOTE_OK);
    ck_assert_uint_eq(evote_tally_invalid_count(t), 2);
    ck_assert_uint_eq(evote_tally_votes(t, 1), 1);
    evote_tally_free(t);
    evote_plaintexts_free(pl);
    evote_decryption_clear(&d);
    evote_partial_free(p);
    evt_softkey_clear(&k);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

int main(void) {
    Suite *s = suite_create("trustee");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_commitment_binds_everything);
    tcase_add_test(tc, test_commitment_vector);
    tcase_add_test(tc, test_confirm_vector);
    tcase_add_test(tc, test_combine_is_sum_and_refuses_wrong_key);
    tcase_add_test(tc, test_key_files_and_record);
    tcase_add_test(tc, test_one_trustee);
    tcase_add_test(tc, test_two_trustees);
    tcase_add_test(tc, test_three_trustees);
    tcase_add_test(tc, test_both_signs_occur);
    tcase_add_test(tc, test_wrong_token_key_refused);
    tcase_add_test(tc, test_partial_file_roundtrip_and_tamper);
    tcase_add_test(tc, test_checkpoint_resume);
    tcase_add_test(tc, test_decryption_file);
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? 0 : 1;
}
