/* Tally and result sheets; the HTML sheet rendered by headless Chromium. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ceremony_testutil.h"
#include "internal.h"
#include "testutil.h"

static evote_manifest_t *load_manifest(const char *dir) {
    char p[512];
    snprintf(p, sizeof(p), "%s/manifest.json", dir);
    evt_write_manifest(p, "sheet-test");
    evote_manifest_t *m = NULL;
    ck_assert_int_eq(evote_manifest_load(&m, p), EVOTE_OK);
    return m;
}

/* A decryption of n ballots for contest cid: selection j % nopt, except
 * every index in bad[] which is a non-selection point. */
static void fake_decryption(evote_decryption_t *d, const evote_manifest_t *m,
                            const char *cid, size_t n, uint32_t nopt, const size_t *bad,
                            size_t nbad) {
    memset(d, 0, sizeof(*d));
    memcpy(d->manifest_hash, evote_manifest_hash(m), 32);
    strcpy(d->contest_id, cid);
    memset(d->list_hash, 0xab, 32);
    d->n = n;
    d->plaintext = calloc(n, 33);
    d->selection = calloc(n, sizeof(uint32_t));
    for (size_t j = 0; j < n; j++) {
        d->selection[j] = (uint32_t)(j % nopt);
        ck_assert_int_eq(evote_selection_encode(d->selection[j], d->plaintext[j]), EVOTE_OK);
    }
    for (size_t k = 0; k < nbad; k++) {
        evt_softkey_t junk;
        evt_softkey_init(&junk);
        memcpy(d->plaintext[bad[k]], junk.pk, 33);
        evt_softkey_clear(&junk);
        d->selection[bad[k]] = EVOTE_SELECTION_INVALID;
    }
}

START_TEST(test_counts_in_manifest_order) {
    char dir[256];
    evt_tmpdir(dir, sizeof(dir));
    evote_manifest_t *m = load_manifest(dir);
    evote_result_t *r = NULL;
    evote_decryption_t d1, d2;
    size_t bad[] = {4, 9};
    fake_decryption(&d1, m, "proportional-tokyo", 22, 4, bad, 2);
    fake_decryption(&d2, m, "district-tokyo-1", 7, 3, NULL, 0);
    ck_assert_int_eq(evote_result_new(&r, m), EVOTE_OK);
    /* added out of order; written in manifest order */
    ck_assert_int_eq(evote_result_add(r, &d1, 30, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_result_add(r, &d2, 0, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_result_add(r, &d2, 0, NULL), EVOTE_ERR_EXISTS);
    uint64_t v, inv;
    /* 22 ballots, j%4: options 0,1 get 6, options 2,3 get 5; minus index 4 (opt 0),
     * index 9 (opt 1) */
    ck_assert_int_eq(evote_result_votes(r, "proportional-tokyo", 0, &v), EVOTE_OK);
    ck_assert_uint_eq(v, 5);
    ck_assert_int_eq(evote_result_votes(r, "proportional-tokyo", 1, &v), EVOTE_OK);
    ck_assert_uint_eq(v, 5);
    ck_assert_int_eq(evote_result_votes(r, "proportional-tokyo", 2, &v), EVOTE_OK);
    ck_assert_uint_eq(v, 5);
    ck_assert_int_eq(evote_result_invalid(r, "proportional-tokyo", &inv), EVOTE_OK);
    ck_assert_uint_eq(inv, 2);
    ck_assert_int_eq(evote_result_votes(r, "proportional-tokyo", 4, &v),
                     EVOTE_ERR_SELECTION_RANGE);
    char p[512];
    snprintf(p, sizeof(p), "%s/r.json", dir);
    evote_result_set_time(r, 1767193200); /* 2026-01-01 00:00 JST */
    ck_assert_int_eq(evote_result_write_json(r, p), EVOTE_OK);
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    ck_assert_ptr_nonnull(j);
    json_t *cs = json_object_get(j, "contests");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cs, 0), "contest_id")),
                     "district-tokyo-1");
    json_t *c1 = json_array_get(cs, 1);
    ck_assert_int_eq(json_integer_value(json_object_get(c1, "cast")), 30);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(c1, "invalid_indices"), 1)),
                     9);
    ck_assert_str_eq(json_string_value(json_object_get(j, "generated_at")),
                     "2026-01-01T00:00:00+09:00");
    json_decref(j);
    snprintf(p, sizeof(p), "%s/r.csv", dir);
    ck_assert_int_eq(evote_result_write_csv(r, p), EVOTE_OK);
    size_t len;
    char *csv = (char *)evt_read(p, &len);
    ck_assert_ptr_nonnull(strstr(csv, "\"proportional-tokyo\",\"比例代表 東京都\",\"invalid\",\"\",\"\",\"2\"\r\n"));
    ck_assert_ptr_nonnull(strstr(csv, "\"district-tokyo-1\",\"小選挙区 東京都第1区\",\"option\",\"c1\",\"山田 太郎\",\"3\"\r\n"));
    free(csv);
    evote_result_free(r);
    evote_decryption_clear(&d1);
    evote_decryption_clear(&d2);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_refuses_inconsistent_input) {
    char dir[256];
    evt_tmpdir(dir, sizeof(dir));
    evote_manifest_t *m = load_manifest(dir);
    evote_result_t *r = NULL;
    evote_decryption_t d;
    fake_decryption(&d, m, "proportional-tokyo", 5, 4, NULL, 0);
    ck_assert_int_eq(evote_result_new(&r, m), EVOTE_OK);
    d.selection[3] = (d.selection[3] + 1) % 4; /* selection disagrees with plaintext */
    ck_assert_int_eq(evote_result_add(r, &d, 0, NULL), EVOTE_ERR_FORMAT);
    d.selection[3] = (d.selection[3] + 3) % 4;
    ck_assert_int_eq(evote_result_add(r, &d, 4, NULL), EVOTE_ERR_ARG); /* cast < decrypted */
    d.manifest_hash[0] ^= 1;
    ck_assert_int_eq(evote_result_add(r, &d, 0, NULL), EVOTE_ERR_MANIFEST_MISMATCH);
    d.manifest_hash[0] ^= 1;
    strcpy(d.contest_id, "nosuch");
    ck_assert_int_eq(evote_result_add(r, &d, 0, NULL), EVOTE_ERR_CONTEST_UNKNOWN);
    uint64_t v;
    ck_assert_int_eq(evote_result_votes(r, "proportional-tokyo", 0, &v), EVOTE_ERR_NOT_FOUND);
    evote_result_free(r);
    evote_decryption_clear(&d);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_html_escapes_names) {
    char dir[256], p[512];
    evt_tmpdir(dir, sizeof(dir));
    snprintf(p, sizeof(p), "%s/manifest.json", dir);
    static const char *man =
        "{\"format\":\"libevote-manifest/1\",\"election_id\":\"e\",\"title\":\"<b>x</b>\","
              "\"voting_window\":{\"opens\":\"2026-01-01T08:30:00+09:00\","
              "\"closes\":\"2036-12-31T20:00:00+09:00\"},"
              "\"contests\":[{\"id\":\"c\",\"title\":\"T&C\",\"kind\":\"district\",\"options\":"
              "[{\"id\":\"a\",\"name\":\"<script>alert(1)</script>\"},"
              "{\"id\":\"b\",\"name\":\"Say \\\"hi\\\"\"}]}]}";
    evt_write(p, man, strlen(man));
    evote_manifest_t *m = NULL;
    ck_assert_int_eq(evote_manifest_load(&m, p), EVOTE_OK);
    evote_result_t *r = NULL;
    evote_decryption_t d;
    fake_decryption(&d, m, "c", 3, 2, NULL, 0);
    ck_assert_int_eq(evote_result_new(&r, m), EVOTE_OK);
    ck_assert_int_eq(evote_result_add(r, &d, 0, NULL), EVOTE_OK);
    snprintf(p, sizeof(p), "%s/r.html", dir);
    ck_assert_int_eq(evote_result_write_html(r, p), EVOTE_OK);
    size_t len;
    char *h = (char *)evt_read(p, &len);
    ck_assert_ptr_null(strstr(h, "<script>"));
    ck_assert_ptr_nonnull(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    ck_assert_ptr_nonnull(strstr(h, "T&amp;C"));
    free(h);
    snprintf(p, sizeof(p), "%s/r.csv", dir);
    ck_assert_int_eq(evote_result_write_csv(r, p), EVOTE_OK);
    h = (char *)evt_read(p, &len);
    ck_assert_ptr_nonnull(strstr(h, "\"Say \"\"hi\"\"\""));
    free(h);
    evote_result_free(r);
    evote_decryption_clear(&d);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

/* Render the sheet in headless Chromium and check the screenshot is not
 * blank; with a CJK font installed, also that the Japanese text inks more
 * than the same sheet without it would (tofu boxes are much lighter). */
START_TEST(test_sheet_renders_in_chromium) {
    if (evt_sh("command -v chromium >/dev/null 2>&1") != 0) {
        fprintf(stderr, "SKIP test_sheet_renders_in_chromium: chromium is not installed "
                        "(scripts/deps.d/ceremony.list installs it)\n");
        return;
    }
    char dir[256], p[512];
    evt_tmpdir(dir, sizeof(dir));
    evote_manifest_t *m = load_manifest(dir);
    evote_result_t *r = NULL;
    evote_decryption_t d1, d2;
    size_t bad[] = {3};
    fake_decryption(&d1, m, "district-tokyo-1", 40, 3, bad, 1);
    fake_decryption(&d2, m, "proportional-tokyo", 25, 4, NULL, 0);
    ck_assert_int_eq(evote_result_new(&r, m), EVOTE_OK);
    ck_assert_int_eq(evote_result_add(r, &d1, 0, NULL), EVOTE_OK);
    ck_assert_int_eq(evote_result_add(r, &d2, 0, NULL), EVOTE_OK);
    snprintf(p, sizeof(p), "%s/sheet.html", dir);
    ck_assert_int_eq(evote_result_write_html(r, p), EVOTE_OK);
    /* and an empty page as the control: the count must be far above it */
    evt_sh("printf '<!DOCTYPE html><html><body></body></html>' > %s/blank.html", dir);
    for (int k = 0; k < 2; k++) {
        const char *name = k == 0 ? "sheet" : "blank";
        int rc = evt_sh("cd %s && timeout 120 chromium --headless --no-sandbox --disable-gpu "
                        "--disable-quic --no-first-run --disable-background-networking "
                        "--disable-component-update --disable-sync --user-data-dir=%s/ud-%s "
                        "--window-size=1000,1400 --screenshot=%s/%s.png file://%s/%s.html "
                        ">/dev/null 2>&1",
                        dir, dir, name, dir, name, dir, name);
        ck_assert_msg(rc == 0, "chromium failed (%d)", rc);
    }
    ck_assert_int_eq(evt_sh("cd %s && python3 %s/tests/support/png_nonwhite.py sheet.png > "
                            "sheet.cnt && python3 %s/tests/support/png_nonwhite.py blank.png > "
                            "blank.cnt",
                            dir, EVOTE_SOURCE_DIR, EVOTE_SOURCE_DIR),
                     0);
    size_t len;
    char *a = (char *)evt_read(strcat(strcpy(p, dir), "/sheet.cnt"), &len);
    char *b = (char *)evt_read(strcat(strcpy(p, dir), "/blank.cnt"), &len);
    long ink = atol(a), blank = atol(b);
    ck_assert_int_eq(blank, 0);
    ck_assert_msg(ink > 20000, "sheet looks blank: %ld non-white pixels", ink);
    free(a);
    free(b);
    if (evt_sh("fc-list :lang=ja | grep -q .") != 0)
        fprintf(stderr, "note: no Japanese font (fonts-noto-cjk) installed; Japanese names "
                        "may render as boxes\n");
    evote_result_free(r);
    evote_decryption_clear(&d1);
    evote_decryption_clear(&d2);
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

int main(void) {
    Suite *s = suite_create("result");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_counts_in_manifest_order);
    tcase_add_test(tc, test_refuses_inconsistent_input);
    tcase_add_test(tc, test_html_escapes_names);
    tcase_add_test(tc, test_sheet_renders_in_chromium);
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? 0 : 1;
}
