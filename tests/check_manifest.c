/* Manifest: strict validation, accessors, hash of the exact bytes. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "internal.h"
#include "testutil.h"

/* A valid manifest with every optional part; variants edit one spot. */
static const char *BASE =
    "{\n"
    "  \"format\": \"libevote-manifest/1\",\n"
    "  \"election_id\": \"sangiin-2028\",\n"
    "  \"title\": \"参議院議員通常選挙 在外\",\n"
    "  \"voting_window\": {\"opens\": \"2028-07-01T08:30:00+09:00\",\n"
    "                    \"closes\": \"2028-07-07T20:00:00+09:00\"},\n"
    "  \"contests\": [\n"
    "    {\"id\": \"district-tokyo\", \"title\": \"選挙区 東京都\", \"kind\": \"district\",\n"
    "     \"options\": [{\"id\": \"c1\", \"name\": \"山田 太郎\"},\n"
    "                 {\"id\": \"c2\", \"name\": \"佐藤 花子\"}]},\n"
    "    {\"id\": \"proportional\", \"title\": \"比例代表\", \"kind\": \"proportional\",\n"
    "     \"options\": [{\"id\": \"p1\", \"name\": \"みらい党\"},\n"
    "                 {\"id\": \"p2\", \"name\": \"さくら党\"},\n"
    "                 {\"id\": \"p3\", \"name\": \"あおば党\"}]}\n"
    "  ],\n"
    "  \"officials\": [\n"
    "    {\"id\": \"o1\", \"name\": \"田中 誠\",\n"
    "     \"cert_sha256\": "
    "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"},\n"
    "    {\"id\": \"o2\", \"name\": \"伊藤 由美\"}\n"
    "  ],\n"
    "  \"trustees\": [{\"id\": \"t1\", \"name\": \"中村 聡\"}],\n"
    "  \"policy\": {\"open\": 2, \"decrypt\": 1}\n"
    "}\n";

/* BASE with the first occurrence of from replaced by to. */
static char *variant(const char *from, const char *to) {
    const char *at = strstr(BASE, from);
    ck_assert_msg(at != NULL, "variant: \"%s\" not in BASE", from);
    size_t n = strlen(BASE) - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    ck_assert_ptr_nonnull(out);
    size_t pre = (size_t)(at - BASE);
    memcpy(out, BASE, pre);
    memcpy(out + pre, to, strlen(to));
    strcpy(out + pre + strlen(to), at + strlen(from));
    return out;
}

static evote_manifest_t *parse_ok(const char *json) {
    evote_manifest_t *m = NULL;
    evote_err_t rv = evote_manifest_parse(&m, (const uint8_t *)json, strlen(json));
    ck_assert_msg(rv == EVOTE_OK, "parse failed: %s (%s)", evote_strerror(rv),
                  evote_err_detail());
    return m;
}

/* Refused with code, and the detail mentions want (a field path). */
static void refused(const char *json, evote_err_t code, const char *want) {
    evote_manifest_t *m = (evote_manifest_t *)0x1;
    evote_err_t rv = evote_manifest_parse(&m, (const uint8_t *)json, strlen(json));
    ck_assert_msg(rv == code, "expected %s, got %s (%s)", evote_err_name(code),
                  evote_err_name(rv), evote_err_detail());
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(evote_err_detail(), want) != NULL, "detail \"%s\" lacks \"%s\"",
                  evote_err_detail(), want);
}

static void refused_variant(const char *from, const char *to, const char *want) {
    char *j = variant(from, to);
    refused(j, EVOTE_ERR_MANIFEST, want);
    free(j);
}

static int64_t utc(int y, int mo, int d, int h, int mi, int s) {
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm);
}

START_TEST(test_valid_base) {
    evote_manifest_t *m = parse_ok(BASE);
    uint8_t h[32];
    SHA256((const uint8_t *)BASE, strlen(BASE), h);
    ck_assert_mem_eq(evote_manifest_hash(m), h, 32);
    ck_assert_str_eq(evote_manifest_election_id(m), "sangiin-2028");
    ck_assert_str_eq(evote_manifest_title(m), "参議院議員通常選挙 在外");
    int64_t o, c;
    evote_manifest_window(m, &o, &c);
    ck_assert_int_eq(o, utc(2028, 6, 30, 23, 30, 0)); /* 08:30 JST = 23:30Z the day before */
    ck_assert_int_eq(c, utc(2028, 7, 7, 11, 0, 0));
    ck_assert_uint_eq(evote_manifest_contest_count(m), 2);
    ck_assert_str_eq(evote_manifest_contest_id(m, 1), "proportional");
    ck_assert_str_eq(evote_manifest_contest_kind(m, 0), "district");
    ck_assert_str_eq(evote_manifest_contest_kind(m, 1), "proportional");
    ck_assert_str_eq(evote_manifest_contest_title(m, 0), "選挙区 東京都");
    ck_assert_uint_eq(evote_manifest_option_count(m, 0), 2);
    ck_assert_uint_eq(evote_manifest_option_count(m, 1), 3);
    ck_assert_str_eq(evote_manifest_option_id(m, 1, 2), "p3");
    ck_assert_str_eq(evote_manifest_option_name(m, 1, 0), "みらい党");
    ck_assert_ptr_null(evote_manifest_option_id(m, 1, 3));
    ck_assert_ptr_null(evote_manifest_contest_id(m, 2));
    ck_assert_uint_eq(evote_manifest_option_count(m, 2), 0);
    size_t idx = 99;
    ck_assert_int_eq(evote_manifest_contest_index(m, "proportional", &idx), EVOTE_OK);
    ck_assert_uint_eq(idx, 1);
    ck_assert_int_eq(evote_manifest_contest_index(m, "nope", &idx), EVOTE_ERR_CONTEST_UNKNOWN);
    /* people */
    ck_assert_uint_eq(evote_manifest_person_count(m, "official"), 2);
    ck_assert_uint_eq(evote_manifest_person_count(m, "trustee"), 1);
    ck_assert_uint_eq(evote_manifest_person_count(m, "auditor"), 0);
    ck_assert_str_eq(evote_manifest_person_id(m, "official", 1), "o2");
    ck_assert_str_eq(evote_manifest_person_name(m, "trustee", 0), "中村 聡");
    const uint8_t *cert = evote_manifest_person_cert_sha256(m, "official", 0);
    ck_assert_int_eq(cert[0], 0x00);
    ck_assert_int_eq(cert[1], 0x11);
    ck_assert_int_eq(cert[31], 0xff);
    uint8_t zero[32] = {0};
    ck_assert_mem_eq(evote_manifest_person_cert_sha256(m, "official", 1), zero, 32);
    ck_assert_ptr_null(evote_manifest_person_id(m, "official", 2));
    /* policy: given, defaulted, unknown step fails closed */
    ck_assert_uint_eq(evote_manifest_required_approvals(m, "open"), 2);
    ck_assert_uint_eq(evote_manifest_required_approvals(m, "decrypt"), 1);
    ck_assert_uint_eq(evote_manifest_required_approvals(m, "close"), 1);
    ck_assert_uint_eq(evote_manifest_required_approvals(m, "export"), 1);
    ck_assert_uint_eq(evote_manifest_required_approvals(m, "mix"), UINT_MAX);
    evote_manifest_free(m);
}
END_TEST

START_TEST(test_valid_files) {
    /* the test fixture's manifest and the documented example */
    char dir[4096], path[4200];
    evote_manifest_t *m = NULL;
    evt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/m.json", dir);
    evt_write_manifest(path, "fixture-1");
    ck_assert_int_eq(evote_manifest_load(&m, path), EVOTE_OK);
    ck_assert_str_eq(evote_manifest_election_id(m), "fixture-1");
    size_t len;
    uint8_t *bytes = evt_read(path, &len), h[32];
    SHA256(bytes, len, h);
    ck_assert_mem_eq(evote_manifest_hash(m), h, 32);
    free(bytes);
    evote_manifest_free(m);
    ck_assert_int_eq(evote_manifest_load(&m, EVOTE_SOURCE_DIR "/docs/examples/manifest.json"),
                     EVOTE_OK);
    ck_assert_uint_eq(evote_manifest_contest_count(m), 2);
    ck_assert_str_eq(evote_manifest_contest_kind(m, 0), "district");
    ck_assert_str_eq(evote_manifest_contest_kind(m, 1), "proportional");
    evote_manifest_free(m);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_hash_is_of_exact_bytes) {
    /* Whitespace changes nothing semantically but changes the anchor. */
    char *j = variant("\"title\": ", "\"title\":  ");
    evote_manifest_t *a = parse_ok(BASE), *b = parse_ok(j);
    ck_assert_int_ne(memcmp(evote_manifest_hash(a), evote_manifest_hash(b), 32), 0);
    ck_assert_str_eq(evote_manifest_title(a), evote_manifest_title(b));
    evote_manifest_free(a);
    evote_manifest_free(b);
    free(j);
}
END_TEST

START_TEST(test_minimal_valid) {
    /* officials, trustees and policy are optional */
    const char *j = "{\"format\":\"libevote-manifest/1\",\"election_id\":\"e\",\"title\":\"t\","
                    "\"voting_window\":{\"opens\":\"2027-02-28T00:00:00+09:00\","
                    "\"closes\":\"2027-03-01T00:00:00+09:00\"},"
                    "\"contests\":[{\"id\":\"c\",\"title\":\"t\",\"kind\":\"district\","
                    "\"options\":[{\"id\":\"o\",\"name\":\"n\"}]}]}";
    evote_manifest_t *m = parse_ok(j);
    int64_t o, c;
    evote_manifest_window(m, &o, &c);
    ck_assert_int_eq(c - o, 86400);
    ck_assert_uint_eq(evote_manifest_person_count(m, "official"), 0);
    ck_assert_uint_eq(evote_manifest_required_approvals(m, "open"), 1);
    evote_manifest_free(m);
    /* leap day exists in 2028 */
    char *v = variant("2028-07-01T08:30:00", "2028-02-29T08:30:00");
    m = parse_ok(v);
    evote_manifest_free(m);
    free(v);
}
END_TEST

START_TEST(test_bad_json) {
    refused("{", EVOTE_ERR_MANIFEST, "JSON error");
    refused("", EVOTE_ERR_MANIFEST, "JSON error");
    refused("{\"format\": \"libevote-manifest/1\",}", EVOTE_ERR_MANIFEST, "JSON error");
    char *j = variant("\n}\n", "\n} trailing\n");
    refused(j, EVOTE_ERR_MANIFEST, "JSON error");
    free(j);
    /* invalid UTF-8 in a string */
    j = variant("山田", "\xff\xfe");
    refused(j, EVOTE_ERR_MANIFEST, "JSON error");
    free(j);
}
END_TEST

START_TEST(test_non_object_root) {
    refused("[1, 2]", EVOTE_ERR_MANIFEST, "root");
    refused("\"libevote-manifest/1\"", EVOTE_ERR_MANIFEST, "JSON error");
    refused("null", EVOTE_ERR_MANIFEST, "JSON error");
}
END_TEST

START_TEST(test_duplicate_keys) {
    refused_variant("\"title\": \"参議院", "\"title\": \"x\", \"title\": \"参議院",
                    "duplicate");
    /* nested, too */
    refused_variant("{\"id\": \"c1\", ", "{\"id\": \"c1\", \"id\": \"c9\", ", "duplicate");
}
END_TEST

START_TEST(test_unknown_fields) {
    refused_variant("\"policy\"", "\"extra\": 1, \"policy\"", "unknown field \"extra\"");
    refused_variant("{\"id\": \"c1\", ", "{\"id\": \"c1\", \"party\": \"x\", ",
                    "contests[0].options[0]: unknown field \"party\"");
    refused_variant("\"kind\": \"district\"", "\"kind\": \"district\", \"seats\": 1",
                    "contests[0]: unknown field \"seats\"");
    refused_variant("\"closes\"", "\"tz\": \"JST\", \"closes\"", "voting_window: unknown");
    refused_variant("\"open\": 2", "\"open\": 2, \"mix\": 1", "unknown step \"mix\"");
}
END_TEST

START_TEST(test_missing_fields) {
    refused_variant("\"format\": \"libevote-manifest/1\",", "", "format: missing");
    refused_variant("\"election_id\": \"sangiin-2028\",", "", "election_id: missing");
    refused_variant("\"title\": \"参議院議員通常選挙 在外\",", "", "title: missing");
    refused_variant("\"opens\": \"2028-07-01T08:30:00+09:00\",", "", "voting_window.opens");
    refused_variant(",\n                    \"closes\": \"2028-07-07T20:00:00+09:00\"", "",
                    "voting_window.closes: missing");
    refused_variant("{\"id\": \"district-tokyo\", ", "{", "contests[0].id: missing");
    refused_variant("\"title\": \"比例代表\", ", "", "contests[1].title: missing");
    refused_variant("\"kind\": \"proportional\",", "", "contests[1].kind: missing");
    refused_variant(", \"name\": \"佐藤 花子\"", "", "contests[0].options[1].name: missing");
    refused_variant("{\"id\": \"p3\", ", "{", "contests[1].options[2].id: missing");
    refused_variant("{\"id\": \"t1\", ", "{", "trustees[0].id: missing");
}
END_TEST

START_TEST(test_wrong_values) {
    refused_variant("libevote-manifest/1", "libevote-manifest/2", "format");
    refused_variant("\"kind\": \"district\"", "\"kind\": \"prefectural\"", "contests[0].kind");
    refused_variant("\"options\": [{\"id\": \"p1\", \"name\": \"みらい党\"},\n"
                    "                 {\"id\": \"p2\", \"name\": \"さくら党\"},\n"
                    "                 {\"id\": \"p3\", \"name\": \"あおば党\"}]",
                    "\"options\": []", "contests[1].options: 0 options");
    refused_variant("\"title\": \"比例代表\"", "\"title\": \"\"", "contests[1].title: length");
    refused_variant("\"title\": \"比例代表\"", "\"title\": \"a\\u0007b\"",
                    "contests[1].title: control");
    refused_variant("\"title\": \"比例代表\"", "\"title\": 7", "contests[1].title: not a string");
    refused("{\"format\":\"libevote-manifest/1\",\"election_id\":\"e\",\"title\":\"t\","
            "\"voting_window\":{\"opens\":\"2027-02-28T00:00:00+09:00\","
            "\"closes\":\"2027-03-01T00:00:00+09:00\"},\"contests\":{}}",
            EVOTE_ERR_MANIFEST, "contests: not an array");
    refused("{\"format\":\"libevote-manifest/1\",\"election_id\":\"e\",\"title\":\"t\","
            "\"voting_window\":{\"opens\":\"2027-02-28T00:00:00+09:00\","
            "\"closes\":\"2027-03-01T00:00:00+09:00\"},\"contests\":[]}",
            EVOTE_ERR_MANIFEST, "contests: 0 contests");
    refused_variant("\"trustees\": [{\"id\": \"t1\", \"name\": \"中村 聡\"}]",
                    "\"trustees\": {\"id\": \"t1\"}", "trustees: not an array");
    refused_variant("\"trustees\": [{\"id\": \"t1\", \"name\": \"中村 聡\"}]",
                    "\"trustees\": [\"t1\"]", "trustees[0]: not an object");
    refused_variant("\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"",
                    "\"00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\"",
                    "officials[0].cert_sha256");
    refused_variant("\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"",
                    "\"0011\"", "officials[0].cert_sha256");
    /* title over 512 bytes */
    char big[700], from[64];
    memset(big, 'x', sizeof(big));
    big[0] = '"';
    big[600] = '"';
    big[601] = '\0';
    snprintf(from, sizeof(from), "\"比例代表\"");
    refused_variant(from, big, "contests[1].title: length");
}
END_TEST

START_TEST(test_bad_ids) {
    refused_variant("\"sangiin-2028\"", "\"-sangiin\"", "election_id");
    refused_variant("\"sangiin-2028\"", "\"sangiin 2028\"", "election_id");
    refused_variant("\"sangiin-2028\"", "\"\"", "election_id");
    refused_variant("\"sangiin-2028\"", "\"参議院\"", "election_id");
    refused_variant("\"sangiin-2028\"", "\"a/b\"", "election_id");
    refused_variant("\"sangiin-2028\"", "12", "election_id: not a string");
    /* 64 characters pass, 65 do not */
    char id[80], quoted[90];
    memset(id, 'a', 64);
    id[64] = '\0';
    snprintf(quoted, sizeof(quoted), "\"%s\"", id);
    char *j = variant("\"district-tokyo\"", quoted);
    evote_manifest_t *m = parse_ok(j);
    evote_manifest_free(m);
    free(j);
    snprintf(quoted, sizeof(quoted), "\"%sa\"", id);
    refused_variant("\"district-tokyo\"", quoted, "contests[0].id");
    j = variant("{\"id\": \"c2\"", "{\"id\": \"c.2_\""); /* . _ allowed inside */
    m = parse_ok(j);
    evote_manifest_free(m);
    free(j);
}
END_TEST

START_TEST(test_duplicate_ids) {
    refused_variant("\"id\": \"proportional\"", "\"id\": \"district-tokyo\"",
                    "contests[1].id: \"district-tokyo\" repeats contests[0].id");
    refused_variant("{\"id\": \"p3\"", "{\"id\": \"p1\"",
                    "contests[1].options[2].id: \"p1\" repeats contests[1].options[0].id");
    refused_variant("{\"id\": \"o2\"", "{\"id\": \"o1\"", "officials[1].id");
    /* the same option id in two contests is fine: ids are per contest */
    char *j = variant("{\"id\": \"p1\"", "{\"id\": \"c1\"");
    evote_manifest_t *m = parse_ok(j);
    evote_manifest_free(m);
    free(j);
}
END_TEST

START_TEST(test_window) {
    static const char *bad[] = {
        "2028-07-01T08:30:00Z",      "2028-07-01T08:30:00+00:00", "2028-07-01T08:30:00+9:00",
        "2028-07-01T08:30:00",       "2028-07-01T08:30:00.5+09:00", "2028-07-01 08:30:00+09:00",
        "2028-07-01t08:30:00+09:00", "2028-02-30T08:30:00+09:00", "2027-02-29T08:30:00+09:00",
        "2028-13-01T08:30:00+09:00", "2028-07-01T24:00:00+09:00", "2028-07-01T08:60:00+09:00",
        "2028-07-01T08:30:60+09:00", "2028-07-00T08:30:00+09:00", "2028-7-01T08:30:00+09:00",
        "1969-12-31T08:30:00+09:00", "２０２８-07-01T08:30:00+09:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused_variant("2028-07-01T08:30:00+09:00", bad[i], "voting_window.opens");
    refused_variant("\"closes\": \"2028-07-07T20:00:00+09:00\"", "\"closes\": 1830000000",
                    "voting_window.closes: not a string");
    /* opens == closes, opens > closes */
    refused_variant("2028-07-07T20:00:00+09:00", "2028-07-01T08:30:00+09:00",
                    "opens is not before closes");
    refused_variant("2028-07-07T20:00:00+09:00", "2028-06-01T08:30:00+09:00",
                    "opens is not before closes");
}
END_TEST

START_TEST(test_policy) {
    refused_variant("\"open\": 2", "\"open\": 3", "policy.open: 3 approvals, but 2 officials");
    refused_variant("\"open\": 2", "\"open\": 0", "policy.open");
    refused_variant("\"open\": 2", "\"open\": -1", "policy.open");
    refused_variant("\"open\": 2", "\"open\": 1.0", "policy.open: not an integer");
    refused_variant("\"open\": 2", "\"open\": \"2\"", "policy.open: not an integer");
    refused_variant("\"policy\": {\"open\": 2, \"decrypt\": 1}", "\"policy\": [2, 1]",
                    "policy: not an object");
    /* no officials: any policy is unsatisfiable */
    const char *from = "\"officials\": [\n"
                       "    {\"id\": \"o1\", \"name\": \"田中 誠\",\n"
                       "     \"cert_sha256\": "
                       "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"},\n"
                       "    {\"id\": \"o2\", \"name\": \"伊藤 由美\"}\n"
                       "  ],\n";
    refused_variant(from, "", "policy.open: 2 approvals, but 0 officials");
}
END_TEST

START_TEST(test_oversized) {
    /* valid JSON padded with whitespace past the limit */
    size_t n = EVOTE_MANIFEST_MAX + 1, base = strlen(BASE);
    char *j = malloc(n + 1);
    ck_assert_ptr_nonnull(j);
    memcpy(j, BASE, base);
    memset(j + base, ' ', n - base);
    j[n] = '\0';
    evote_manifest_t *m = NULL;
    ck_assert_int_eq(evote_manifest_parse(&m, (uint8_t *)j, n), EVOTE_ERR_TOO_LARGE);
    ck_assert_ptr_null(m);
    /* exactly at the limit is fine */
    ck_assert_int_eq(evote_manifest_parse(&m, (uint8_t *)j, n - 1), EVOTE_OK);
    evote_manifest_free(m);
    m = NULL;
    char dir[4096], path[4200];
    evt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/big.json", dir);
    evt_write(path, j, n);
    ck_assert_int_eq(evote_manifest_load(&m, path), EVOTE_ERR_TOO_LARGE);
    ck_assert_ptr_null(m);
    snprintf(path, sizeof(path), "%s/none.json", dir);
    ck_assert_int_eq(evote_manifest_load(&m, path), EVOTE_ERR_NOT_FOUND);
    free(j);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_load_names_file) {
    char dir[4096], path[4200];
    evote_manifest_t *m = NULL;
    evt_tmpdir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/broken.json", dir);
    char *j = variant("\"kind\": \"district\"", "\"kind\": \"x\"");
    evt_write(path, j, strlen(j));
    ck_assert_int_eq(evote_manifest_load(&m, path), EVOTE_ERR_MANIFEST);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "broken.json"));
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "contests[0].kind"));
    free(j);
    evt_rmrf(dir);
}
END_TEST

START_TEST(test_id_syntax) {
    ck_assert(evote_manifest_id_valid("a"));
    ck_assert(evote_manifest_id_valid("0a._-Z"));
    ck_assert(!evote_manifest_id_valid(""));
    ck_assert(!evote_manifest_id_valid("_a"));
    ck_assert(!evote_manifest_id_valid(".a"));
    ck_assert(!evote_manifest_id_valid("a b"));
    ck_assert(!evote_manifest_id_valid("a\xc3\xa9"));
    ck_assert(!evote_manifest_id_valid(NULL));
}
END_TEST

static Suite *manifest_suite(void) {
    Suite *s = suite_create("manifest");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_valid_base);
    tcase_add_test(tc, test_valid_files);
    tcase_add_test(tc, test_hash_is_of_exact_bytes);
    tcase_add_test(tc, test_minimal_valid);
    tcase_add_test(tc, test_bad_json);
    tcase_add_test(tc, test_non_object_root);
    tcase_add_test(tc, test_duplicate_keys);
    tcase_add_test(tc, test_unknown_fields);
    tcase_add_test(tc, test_missing_fields);
    tcase_add_test(tc, test_wrong_values);
    tcase_add_test(tc, test_bad_ids);
    tcase_add_test(tc, test_duplicate_ids);
    tcase_add_test(tc, test_window);
    tcase_add_test(tc, test_policy);
    tcase_add_test(tc, test_oversized);
    tcase_add_test(tc, test_load_names_file);
    tcase_add_test(tc, test_id_syntax);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return evt_run_suite(manifest_suite()) == 0 ? 0 : 1; }
