/* Plaintext lists and the tally. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "internal.h"
#include "testutil.h"

static const char *G_HEX = "036b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";

struct fixture {
    char dir[4096];
    char mpath[4200];
    evote_manifest_t *m;
};

static void fx_init(struct fixture *f, const char *election) {
    evt_tmpdir(f->dir, sizeof(f->dir));
    snprintf(f->mpath, sizeof(f->mpath), "%s/manifest.json", f->dir);
    evt_write_manifest(f->mpath, election);
    ck_assert_int_eq(evote_manifest_load(&f->m, f->mpath), EVOTE_OK);
}

static void fx_done(struct fixture *f) {
    evote_manifest_free(f->m);
    evt_rmrf(f->dir);
}

/*
 * A list for "district-tokyo-1" (3 options) of n entries: entry i holds
 * selection i % 5 — so 3 and 4 are out of range (invalid) — except every
 * 7th, which is empty, and every 11th, which is the generator (a valid
 * point that is no selection). expected[] receives the counts, *ninvalid
 * the invalid count.
 */
static evote_plaintexts_t *sample(const evote_manifest_t *m, size_t n, uint64_t expected[3],
                                  uint64_t *ninvalid) {
    uint8_t ih[32], g[33];
    size_t gl;
    uint8_t *gb = evt_unhex(G_HEX, &gl);
    memcpy(g, gb, 33);
    free(gb);
    memset(ih, 0x5a, sizeof(ih));
    evote_plaintexts_t *p = NULL;
    ck_assert_int_eq(
        evote_plaintexts_new(&p, n, evote_manifest_hash(m), "district-tokyo-1", ih), EVOTE_OK);
    memset(expected, 0, 3 * sizeof(uint64_t));
    *ninvalid = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t pt[33];
        if (i % 7 == 3) {
            ck_assert_int_eq(evote_plaintexts_set(p, i, NULL), EVOTE_OK);
            (*ninvalid)++;
        } else if (i % 11 == 5) {
            ck_assert_int_eq(evote_plaintexts_set(p, i, g), EVOTE_OK);
            (*ninvalid)++;
        } else {
            uint32_t sel = (uint32_t)(i % 5);
            ck_assert_int_eq(evote_selection_encode(sel, pt), EVOTE_OK);
            ck_assert_int_eq(evote_plaintexts_set(p, i, pt), EVOTE_OK);
            if (sel < 3)
                expected[sel]++;
            else
                (*ninvalid)++;
        }
    }
    return p;
}

static bool is_invalid_index(size_t i) {
    return i % 7 == 3 || (i % 7 != 3 && i % 11 == 5) || (i % 7 != 3 && i % 11 != 5 && i % 5 >= 3);
}

START_TEST(test_tally_counts) {
    struct fixture f;
    fx_init(&f, "tally-1");
    uint64_t exp[3], ninv;
    const size_t n = 500;
    evote_plaintexts_t *p = sample(f.m, n, exp, &ninv);
    evote_tally_t *t = NULL;
    ck_assert_int_eq(evote_tally_compute(&t, f.m, p), EVOTE_OK);
    ck_assert_uint_eq(evote_tally_contest_index(t), 0);
    for (size_t j = 0; j < 3; j++)
        ck_assert_uint_eq(evote_tally_votes(t, j), exp[j]);
    ck_assert_uint_eq(evote_tally_votes(t, 3), 0);
    ck_assert_uint_eq(evote_tally_total(t), n);
    ck_assert_uint_eq(evote_tally_invalid_count(t), ninv);
    ck_assert_uint_eq(exp[0] + exp[1] + exp[2] + ninv, n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_invalid_index(i)) {
            ck_assert_uint_eq(evote_tally_invalid_index(t, k), i);
            k++;
        }
    }
    ck_assert_uint_eq(k, ninv);
    ck_assert_uint_eq(evote_tally_invalid_index(t, k), UINT64_MAX);
    evote_tally_free(t);
    evote_plaintexts_free(p);
    fx_done(&f);
}
END_TEST

START_TEST(test_tally_all_invalid_and_one_option) {
    struct fixture f;
    fx_init(&f, "tally-2");
    uint8_t ih[32] = {0}, pt[33];
    evote_plaintexts_t *p = NULL;
    evote_tally_t *t = NULL;
    ck_assert_int_eq(
        evote_plaintexts_new(&p, 3, evote_manifest_hash(f.m), "proportional-tokyo", ih),
        EVOTE_OK);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(evote_plaintexts_set(p, i, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_tally_compute(&t, f.m, p), EVOTE_OK);
    ck_assert_uint_eq(evote_tally_contest_index(t), 1);
    ck_assert_uint_eq(evote_tally_invalid_count(t), 3);
    evote_tally_free(t);
    /* overwrite: the last set wins */
    ck_assert_int_eq(evote_selection_encode(3, pt), EVOTE_OK);
    ck_assert_int_eq(evote_plaintexts_set(p, 1, pt), EVOTE_OK);
    ck_assert_int_eq(evote_tally_compute(&t, f.m, p), EVOTE_OK);
    ck_assert_uint_eq(evote_tally_votes(t, 3), 1);
    ck_assert_uint_eq(evote_tally_invalid_count(t), 2);
    ck_assert_uint_eq(evote_tally_invalid_index(t, 1), 2);
    evote_tally_free(t);
    evote_plaintexts_free(p);
    fx_done(&f);
}
END_TEST

START_TEST(test_tally_refusals) {
    struct fixture f;
    fx_init(&f, "tally-3");
    uint8_t ih[32] = {0}, other[32];
    evote_plaintexts_t *p = NULL;
    evote_tally_t *t = (evote_tally_t *)0x1;
    memcpy(other, evote_manifest_hash(f.m), 32);
    other[0] ^= 1;
    ck_assert_int_eq(evote_plaintexts_new(&p, 1, other, "district-tokyo-1", ih), EVOTE_OK);
    ck_assert_int_eq(evote_plaintexts_set(p, 0, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_tally_compute(&t, f.m, p), EVOTE_ERR_MANIFEST_MISMATCH);
    ck_assert_ptr_null(t);
    evote_plaintexts_free(p);
    ck_assert_int_eq(
        evote_plaintexts_new(&p, 1, evote_manifest_hash(f.m), "district-osaka-9", ih), EVOTE_OK);
    ck_assert_int_eq(evote_plaintexts_set(p, 0, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_tally_compute(&t, f.m, p), EVOTE_ERR_CONTEST_UNKNOWN);
    evote_plaintexts_free(p);
    fx_done(&f);
}
END_TEST

START_TEST(test_plaintexts_api_refusals) {
    uint8_t h[32] = {0}, bad[33] = {0x02};
    evote_plaintexts_t *p = NULL;
    bad[32] = 1; /* x = 1: off the curve */
    ck_assert_int_eq(evote_plaintexts_new(&p, 0, h, "c", h), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_plaintexts_new(&p, 1, h, "c d", h), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_plaintexts_new(&p, 1, NULL, "c", h), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_plaintexts_new(&p, 2, h, "c", h), EVOTE_OK);
    ck_assert_int_eq(evote_plaintexts_set(p, 2, NULL), EVOTE_ERR_ARG);
    ck_assert_int_eq(evote_plaintexts_set(p, 0, bad), EVOTE_ERR_POINT_NOT_ON_CURVE);
    ck_assert_ptr_null(evote_plaintexts_get(p, 0));
    /* an unset entry is a bug of the writer, never silently "invalid" */
    ck_assert_int_eq(evote_plaintexts_set(p, 0, NULL), EVOTE_OK);
    uint8_t *ser = NULL;
    size_t len = 0;
    ck_assert_int_eq(evote_plaintexts_serialize(p, &ser, &len), EVOTE_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "entry 1"));
    ck_assert_int_eq(evote_plaintexts_write(p, "/nonexistent/never"), EVOTE_ERR_STATE);
    ck_assert_int_eq(evote_plaintexts_set(p, 1, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_plaintexts_serialize(p, &ser, &len), EVOTE_OK);
    free(ser);
    ck_assert_int_eq(evote_plaintexts_write(p, "/nonexistent/never"), EVOTE_ERR_IO);
    evote_plaintexts_free(p);
    evote_plaintexts_free(NULL);
    evote_tally_free(NULL);
}
END_TEST

START_TEST(test_plaintexts_roundtrip) {
    struct fixture f;
    fx_init(&f, "tally-4");
    uint64_t exp[3], ninv;
    const size_t n = 64;
    evote_plaintexts_t *p = sample(f.m, n, exp, &ninv), *q = NULL;
    char path[4300];
    snprintf(path, sizeof(path), "%s/plaintexts.bt", f.dir);
    ck_assert_int_eq(evote_plaintexts_write(p, path), EVOTE_OK);
    ck_assert_int_eq(evote_plaintexts_read(&q, path), EVOTE_OK);
    ck_assert_uint_eq(evote_plaintexts_count(q), n);
    ck_assert_str_eq(evote_plaintexts_contest_id(q), "district-tokyo-1");
    ck_assert_mem_eq(evote_plaintexts_manifest_hash(q), evote_manifest_hash(f.m), 32);
    uint8_t ih[32];
    memset(ih, 0x5a, 32);
    ck_assert_mem_eq(evote_plaintexts_input_sha256(q), ih, 32);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *a = evote_plaintexts_get(p, i), *b = evote_plaintexts_get(q, i);
        ck_assert((a == NULL) == (b == NULL));
        if (a != NULL)
            ck_assert_mem_eq(a, b, 33);
    }
    ck_assert_ptr_null(evote_plaintexts_get(q, n));
    /* the layout is the one PROTOCOL §8 specifies */
    size_t len;
    uint8_t *file = evt_read(path, &len);
    size_t expect = 5 + (5 + 21) + (5 + 32) + (5 + 16) + (5 + 32) + 5;
    for (size_t i = 0; i < n; i++)
        expect += 5 + (evote_plaintexts_get(p, i) ? 33 : 0);
    ck_assert_uint_eq(len, expect);
    ck_assert_mem_eq(file, "\x00\x00\x00\x00\x05\x01\x00\x00\x00\x15libevote-plaintexts/1", 31);
    /* serialise(parse(file)) == file, and the tally names the file's hash */
    uint8_t *ser = NULL, h[32];
    size_t slen;
    ck_assert_int_eq(evote_plaintexts_serialize(q, &ser, &slen), EVOTE_OK);
    ck_assert_uint_eq(slen, len);
    ck_assert_mem_eq(ser, file, len);
    evote_tally_t *t = NULL;
    char *json = NULL, hex[65];
    ck_assert_int_eq(evote_tally_compute(&t, f.m, q), EVOTE_OK);
    ck_assert_int_eq(evote_tally_json(t, &json), EVOTE_OK);
    SHA256(file, len, h);
    evote_hex(hex, h, 32);
    ck_assert_ptr_nonnull(strstr(json, hex));
    free(json);
    evote_tally_free(t);
    free(ser);
    free(file);
    evote_plaintexts_free(p);
    evote_plaintexts_free(q);
    fx_done(&f);
}
END_TEST

/* Build a small list file, return its bytes. */
static uint8_t *small_file(const evote_manifest_t *m, size_t *len) {
    uint64_t exp[3], ninv;
    evote_plaintexts_t *p = sample(m, 4, exp, &ninv); /* entry 3 empty */
    uint8_t *ser = NULL;
    ck_assert_int_eq(evote_plaintexts_serialize(p, &ser, len), EVOTE_OK);
    evote_plaintexts_free(p);
    return ser;
}

#define OFF_ENTRIES (5 + 26 + 37 + 21 + 37 + 5)

START_TEST(test_plaintexts_tamper) {
    struct fixture f;
    fx_init(&f, "tally-5");
    size_t len;
    uint8_t *good = small_file(f.m, &len), *c = malloc(len + 1);
    evote_plaintexts_t *q = (evote_plaintexts_t *)0x1;
    ck_assert_int_eq(evote_plaintexts_parse(&q, good, len), EVOTE_OK);
    evote_plaintexts_free(q);
#define PARSE(code)                                                                    \
    do {                                                                               \
        q = (evote_plaintexts_t *)0x1;                                                 \
        ck_assert_int_eq(evote_plaintexts_parse(&q, c, len), (code));                  \
        ck_assert_ptr_null(q);                                                         \
    } while (0)
    /* wrong magic; a later version of the format */
    memcpy(c, good, len);
    c[10] = 'L';
    PARSE(EVOTE_ERR_FORMAT);
    memcpy(c, good, len);
    c[30] = '2';
    PARSE(EVOTE_ERR_VERSION);
    /* wrong shape: 4 top-level children */
    memcpy(c, good, len);
    c[4] = 4;
    PARSE(EVOTE_ERR_FORMAT);
    /* the first entry, a selection point, moved off the curve (x = 1) */
    memcpy(c, good, len);
    ck_assert_int_eq(c[OFF_ENTRIES], 0x01);
    memset(c + OFF_ENTRIES + 5, 0, 33);
    c[OFF_ENTRIES + 5] = 0x02;
    c[OFF_ENTRIES + 5 + 32] = 1;
    PARSE(EVOTE_ERR_POINT_NOT_ON_CURVE);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "entry 0"));
    memcpy(c, good, len);
    c[OFF_ENTRIES + 5] = 0x04;
    PARSE(EVOTE_ERR_POINT_INVALID);
    /* contest id no longer an id */
    memcpy(c, good, len);
    c[5 + 26 + 37 + 5] = '-';
    PARSE(EVOTE_ERR_FORMAT);
    /* an entry leaf of 32 bytes: lengths no longer add up */
    memcpy(c, good, len);
    c[OFF_ENTRIES + 4] = 32;
    q = (evote_plaintexts_t *)0x1;
    ck_assert_int_ne(evote_plaintexts_parse(&q, c, len), EVOTE_OK);
    ck_assert_ptr_null(q);
    /* truncated at every length, and one trailing byte */
    memcpy(c, good, len);
    size_t full = len;
    for (len = 0; len < full; len++) {
        q = (evote_plaintexts_t *)0x1;
        ck_assert_int_ne(evote_plaintexts_parse(&q, c, len), EVOTE_OK);
        ck_assert_ptr_null(q);
    }
    len = full + 1;
    c[full] = 0;
    PARSE(EVOTE_ERR_BYTETREE);
#undef PARSE
    free(c);
    free(good);
    fx_done(&f);
}
END_TEST

START_TEST(test_plaintexts_garbage) {
    /* random bytes and random single-byte damage never crash */
    struct fixture f;
    fx_init(&f, "tally-6");
    size_t len;
    uint8_t *good = small_file(f.m, &len), *c = malloc(len);
    const int iters = evt_quick() ? 1000 : 10000;
    for (int i = 0; i < iters; i++) {
        uint8_t r[3];
        ck_assert_int_eq(RAND_bytes(r, 3), 1);
        memcpy(c, good, len);
        c[(r[0] | r[1] << 8) % len] ^= (uint8_t)(r[2] | 1);
        evote_plaintexts_t *q = NULL;
        if (evote_plaintexts_parse(&q, c, len) == EVOTE_OK) {
            /* damage that still parses (e.g. inside a hash) must tally */
            evote_tally_t *t = NULL;
            evote_err_t rv = evote_tally_compute(&t, f.m, q);
            ck_assert(rv == EVOTE_OK || rv == EVOTE_ERR_MANIFEST_MISMATCH ||
                      rv == EVOTE_ERR_CONTEST_UNKNOWN);
            if (rv == EVOTE_OK)
                ck_assert_uint_eq(evote_tally_total(t), 4);
            evote_tally_free(t);
            evote_plaintexts_free(q);
        }
        ck_assert_int_eq(RAND_bytes(c, len), 1);
        ck_assert_int_ne(evote_plaintexts_parse(&q, c, len), EVOTE_OK);
    }
    free(c);
    free(good);
    fx_done(&f);
}
END_TEST

START_TEST(test_tally_json) {
    struct fixture f;
    fx_init(&f, "tally-json");
    uint64_t exp[3], ninv;
    evote_plaintexts_t *p = sample(f.m, 40, exp, &ninv);
    evote_tally_t *t = NULL;
    char path[4300];
    ck_assert_int_eq(evote_tally_compute(&t, f.m, p), EVOTE_OK);
    snprintf(path, sizeof(path), "%s/result.json", f.dir);
    ck_assert_int_eq(evote_tally_write_json(t, path), EVOTE_OK);
    json_error_t err;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    ck_assert_msg(j != NULL, "%s", err.text);
    ck_assert_str_eq(json_string_value(json_object_get(j, "format")), "libevote-tally/1");
    ck_assert_str_eq(json_string_value(json_object_get(j, "election_id")), "tally-json");
    char hex[65];
    evote_hex(hex, evote_manifest_hash(f.m), 32);
    ck_assert_str_eq(json_string_value(json_object_get(j, "manifest_sha256")), hex);
    json_t *contest = json_object_get(j, "contest");
    ck_assert_str_eq(json_string_value(json_object_get(contest, "id")), "district-tokyo-1");
    ck_assert_str_eq(json_string_value(json_object_get(contest, "kind")), "district");
    json_t *res = json_object_get(j, "results");
    ck_assert_uint_eq(json_array_size(res), 3);
    for (size_t k = 0; k < 3; k++) {
        json_t *o = json_array_get(res, k);
        ck_assert_str_eq(json_string_value(json_object_get(o, "option_id")),
                         evote_manifest_option_id(f.m, 0, k));
        ck_assert_str_eq(json_string_value(json_object_get(o, "name")),
                         evote_manifest_option_name(f.m, 0, k));
        ck_assert_int_eq(json_integer_value(json_object_get(o, "votes")), (json_int_t)exp[k]);
    }
    json_t *inv = json_object_get(j, "invalid");
    ck_assert_int_eq(json_integer_value(json_object_get(inv, "count")), (json_int_t)ninv);
    json_t *idx = json_object_get(inv, "indices");
    ck_assert_uint_eq(json_array_size(idx), ninv);
    ck_assert_int_eq(json_integer_value(json_array_get(idx, 0)), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 40);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "valid")), (json_int_t)(40 - ninv));
    memset(hex, 0, sizeof(hex));
    memset(hex, '5', 64);
    for (int i = 1; i < 64; i += 2)
        hex[i] = 'a';
    ck_assert_str_eq(json_string_value(json_object_get(j, "ciphertexts_sha256")), hex);
    json_decref(j);
    evote_tally_free(t);
    evote_plaintexts_free(p);
    fx_done(&f);
}
END_TEST

START_TEST(test_tally_cli) {
    struct fixture f;
    fx_init(&f, "tally-cli");
    uint64_t exp[3], ninv;
    evote_plaintexts_t *p = sample(f.m, 30, exp, &ninv);
    char path[4300], json[4300], other[4300];
    snprintf(path, sizeof(path), "%s/plaintexts.bt", f.dir);
    snprintf(json, sizeof(json), "%s/result.json", f.dir);
    ck_assert_int_eq(evote_plaintexts_write(p, path), EVOTE_OK);
    ck_assert_int_eq(evt_sh("'%s' tally --manifest '%s' --plaintexts '%s' --json '%s' "
                            ">'%s/out.txt'",
                            evt_cli(), f.mpath, path, json, f.dir),
                     0);
    json_t *j = json_load_file(json, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 30);
    json_decref(j);
    char out[4300];
    snprintf(out, sizeof(out), "%s/out.txt", f.dir);
    size_t len;
    char *txt = (char *)evt_read(out, &len);
    ck_assert_ptr_nonnull(strstr(txt, "山田 太郎"));
    ck_assert_ptr_nonnull(strstr(txt, "(invalid)"));
    free(txt);
    /* another election's manifest: refused, non-zero exit */
    snprintf(other, sizeof(other), "%s/other.json", f.dir);
    evt_write_manifest(other, "another-election");
    ck_assert_int_eq(evt_sh("'%s' tally --manifest '%s' --plaintexts '%s' 2>/dev/null",
                            evt_cli(), other, path),
                     1);
    ck_assert_int_eq(evt_sh("'%s' tally --manifest '%s' 2>/dev/null", evt_cli(), f.mpath), 2);
    ck_assert_int_eq(evt_sh("'%s' tally --help >/dev/null", evt_cli()), 0);
    evote_plaintexts_free(p);
    fx_done(&f);
}
END_TEST

static Suite *tally_suite(void) {
    Suite *s = suite_create("tally");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_tally_counts);
    tcase_add_test(tc, test_tally_all_invalid_and_one_option);
    tcase_add_test(tc, test_tally_refusals);
    tcase_add_test(tc, test_plaintexts_api_refusals);
    tcase_add_test(tc, test_plaintexts_roundtrip);
    tcase_add_test(tc, test_plaintexts_tamper);
    tcase_add_test(tc, test_plaintexts_garbage);
    tcase_add_test(tc, test_tally_json);
    tcase_add_test(tc, test_tally_cli);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return evt_run_suite(tally_suite()) == 0 ? 0 : 1; }
