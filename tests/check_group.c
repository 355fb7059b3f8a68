/* Group, hashing and byte-tree basics. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

/* SEC1 compressed P-256 generator. */
static const char *G_HEX =
    "036b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296";

START_TEST(test_generator_valid) {
    size_t n;
    uint8_t *g = evt_unhex(G_HEX, &n);
    ck_assert_int_eq(n, EVOTE_POINT_LEN);
    ck_assert_int_eq(evote_point_check(g), EVOTE_OK);
    free(g);
}
END_TEST

START_TEST(test_bad_prefix) {
    size_t n;
    uint8_t *g = evt_unhex(G_HEX, &n);
    g[0] = 0x04;
    ck_assert_int_eq(evote_point_check(g), EVOTE_ERR_POINT_INVALID);
    g[0] = 0x00;
    ck_assert_int_eq(evote_point_check(g), EVOTE_ERR_POINT_INVALID);
    free(g);
}
END_TEST

START_TEST(test_off_curve) {
    uint8_t p[33] = {0x02};
    p[32] = 1; /* x = 1: x^3 - 3x + b is not a square mod p */
    ck_assert_int_eq(evote_point_check(p), EVOTE_ERR_POINT_NOT_ON_CURVE);
}
END_TEST

START_TEST(test_x_not_below_p) {
    uint8_t p[33];
    memset(p, 0xff, sizeof(p));
    p[0] = 0x02;
    ck_assert_int_eq(evote_point_check(p), EVOTE_ERR_POINT_INVALID);
}
END_TEST

START_TEST(test_scalar_range) {
    BIGNUM *s = BN_new();
    uint8_t buf[32];
    memset(buf, 0xff, 32);
    ck_assert_int_eq(evote_scalar_decode(s, buf, false), EVOTE_ERR_SCALAR_RANGE);
    memset(buf, 0, 32);
    ck_assert_int_eq(evote_scalar_decode(s, buf, false), EVOTE_ERR_SCALAR_RANGE);
    ck_assert_int_eq(evote_scalar_decode(s, buf, true), EVOTE_OK);
    buf[31] = 7;
    ck_assert_int_eq(evote_scalar_decode(s, buf, false), EVOTE_OK);
    ck_assert_int_eq(BN_get_word(s), 7);
    BN_free(s);
}
END_TEST

START_TEST(test_domain_hash_kat) {
    /* tests/vectors/hash.txt: tag libevote/v1/test, fields "abc", "". */
    evote_hash_t *h = NULL;
    uint8_t out[32];
    char hex[65];
    ck_assert_int_eq(evote_hash_new(&h, "libevote/v1/test"), EVOTE_OK);
    ck_assert_int_eq(evote_hash_field(h, "abc", 3), EVOTE_OK);
    ck_assert_int_eq(evote_hash_field(h, "", 0), EVOTE_OK);
    ck_assert_int_eq(evote_hash_final(h, out), EVOTE_OK);
    evote_hex(hex, out, 32);
    ck_assert_str_eq(hex, "acc9de48e6356b8d2d97b49cee2d7a5dffd0ed76498a5b8819d5cccd11d4119a");
}
END_TEST

START_TEST(test_domain_hash_fields_are_framed) {
    /* ("ab","c") and ("a","bc") must differ: fields are length-prefixed. */
    uint8_t a[32], b[32];
    evote_hash_t *h = NULL;
    ck_assert_int_eq(evote_hash_new(&h, "libevote/v1/test"), EVOTE_OK);
    ck_assert_int_eq(evote_hash_field(h, "ab", 2), EVOTE_OK);
    ck_assert_int_eq(evote_hash_field(h, "c", 1), EVOTE_OK);
    ck_assert_int_eq(evote_hash_final(h, a), EVOTE_OK);
    ck_assert_int_eq(evote_hash_new(&h, "libevote/v1/test"), EVOTE_OK);
    ck_assert_int_eq(evote_hash_field(h, "a", 1), EVOTE_OK);
    ck_assert_int_eq(evote_hash_field(h, "bc", 2), EVOTE_OK);
    ck_assert_int_eq(evote_hash_final(h, b), EVOTE_OK);
    ck_assert_int_ne(memcmp(a, b, 32), 0);
}
END_TEST

START_TEST(test_strerror_table) {
    ck_assert_str_eq(evote_err_name(EVOTE_ERR_PIN_INCORRECT), "EVOTE_ERR_PIN_INCORRECT");
    ck_assert_str_eq(evote_strerror(EVOTE_OK), "success");
    ck_assert_str_eq(evote_strerror((evote_err_t)9999), "unknown error");
}
END_TEST

START_TEST(test_bytetree_ctlist_roundtrip) {
    size_t n;
    uint8_t *g = evt_unhex(G_HEX, &n);
    evote_ct_t cts[2];
    memcpy(cts[0].c1, g, 33);
    memcpy(cts[0].c2, g, 33);
    memcpy(cts[1].c1, g, 33);
    memcpy(cts[1].c2, g, 33);
    cts[1].c2[0] = 0x02; /* -G */
    evote_buf_t b = {0};
    ck_assert_int_eq(evote_ctlist_serialize(cts, 2, &b), EVOTE_OK);
    ck_assert_int_eq(b.len, 5 + 2 * (5 + 2 * (5 + 2 * 38)));
    evote_ct_t *back = NULL;
    size_t m = 0;
    ck_assert_int_eq(evote_ctlist_parse(b.data, b.len, &back, &m), EVOTE_OK);
    ck_assert_int_eq(m, 2);
    ck_assert_mem_eq(back, cts, sizeof(cts));
    free(back);
    /* truncated, trailing byte, and a flipped y coordinate are refused */
    ck_assert_int_ne(evote_ctlist_parse(b.data, b.len - 1, &back, &m), EVOTE_OK);
    ck_assert_int_eq(evote_buf_append(&b, "", 1), EVOTE_OK);
    ck_assert_int_eq(evote_ctlist_parse(b.data, b.len, &back, &m), EVOTE_ERR_BYTETREE);
    b.len--;
    b.data[5 + 5 + 5 + 38 + 5 + 32] ^= 1; /* last byte of first y */
    ck_assert_int_eq(evote_ctlist_parse(b.data, b.len, &back, &m),
                     EVOTE_ERR_POINT_NOT_ON_CURVE);
    evote_buf_free(&b);
    free(g);
}
END_TEST

/* ---- files written atomically (lib/util.c) ---- */

static size_t count_tmp(const char *dir) {
    size_t k = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp.") != NULL)
            k++;
    closedir(d);
    return k;
}

static void expect_content(const char *path, const char *want) {
    uint8_t *got = NULL;
    size_t len = 0;
    ck_assert_int_eq(evote_read_file(path, 1024, &got, &len), EVOTE_OK);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_mem_eq(got, want, len);
    free(got);
}

/* A streamed file replaces the old one only at commit; an abort (or a
 * failed commit) leaves the old one and no temporary file. */
START_TEST(test_atomic_stream) {
    char dir[256], path[300], gone[300];
    evote_afile_t *f = NULL;
    evt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/list.bt", dir);
    ck_assert_int_eq(evote_write_file_atomic(path, "old", 3, false, false), EVOTE_OK);

    ck_assert_int_eq(evote_afile_open(&f, path, false, false), EVOTE_OK);
    ck_assert_int_eq(evote_afile_write(f, "new-1", 5), EVOTE_OK);
    ck_assert_int_eq(evote_afile_write(f, "new-2", 5), EVOTE_OK);
    expect_content(path, "old"); /* not yet */
    ck_assert_uint_eq(count_tmp(dir), 1);
    ck_assert_int_eq(evote_afile_commit(f), EVOTE_OK);
    expect_content(path, "new-1new-2");
    ck_assert_uint_eq(count_tmp(dir), 0);

    ck_assert_int_eq(evote_afile_open(&f, path, false, false), EVOTE_OK);
    ck_assert_int_eq(evote_afile_write(f, "half", 4), EVOTE_OK);
    evote_afile_abort(f);
    expect_content(path, "new-1new-2");
    ck_assert_uint_eq(count_tmp(dir), 0);
    evote_afile_abort(NULL);

    /* exclusive: refused when the file exists, at open or at commit */
    ck_assert_int_eq(evote_afile_open(&f, path, true, false), EVOTE_ERR_EXISTS);
    ck_assert_ptr_null(f);
    snprintf(gone, sizeof(gone), "%s/new.bt", dir);
    ck_assert_int_eq(evote_afile_open(&f, gone, true, false), EVOTE_OK);
    ck_assert_int_eq(evote_afile_write(f, "mine", 4), EVOTE_OK);
    ck_assert_int_eq(evote_write_file_atomic(gone, "theirs", 6, true, false), EVOTE_OK);
    ck_assert_int_eq(evote_afile_commit(f), EVOTE_ERR_EXISTS);
    expect_content(gone, "theirs");
    ck_assert_uint_eq(count_tmp(dir), 0);

    /* no such directory */
    snprintf(gone, sizeof(gone), "%s/no/such/dir.bt", dir);
    ck_assert_int_eq(evote_afile_open(&f, gone, false, false), EVOTE_ERR_IO);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(evote_afile_write(NULL, "x", 1), EVOTE_ERR_ARG);
    evt_rmrf(dir);
}
END_TEST

static Suite *group_suite(void) {
    Suite *s = suite_create("group");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_generator_valid);
    tcase_add_test(tc, test_bad_prefix);
    tcase_add_test(tc, test_off_curve);
    tcase_add_test(tc, test_x_not_below_p);
    tcase_add_test(tc, test_scalar_range);
    tcase_add_test(tc, test_domain_hash_kat);
    tcase_add_test(tc, test_domain_hash_fields_are_framed);
    tcase_add_test(tc, test_strerror_table);
    tcase_add_test(tc, test_bytetree_ctlist_roundtrip);
    tcase_add_test(tc, test_atomic_stream);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return evt_run_suite(group_suite()) == 0 ? 0 : 1; }
