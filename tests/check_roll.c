/* Voter roll: CSV/JSON parsing, contradictions, idempotent import. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

static char dir[256];
static char db[512];
static const char *const contests[] = {"district-tokyo-1", "proportional-tokyo"};

static void setup(void) {
    evt_tmpdir(dir, sizeof(dir));
    snprintf(db, sizeof(db), "%s/store.db", dir);
}
static void teardown(void) { evt_rmrf(dir); }

static const char *H64 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static evote_err_t parse(const char *text, evote_roll_t **r) {
    return evote_roll_parse(r, (const uint8_t *)text, strlen(text), contests, 2);
}

static evote_store_t *open_store(void) {
    evote_store_t *s = NULL;
    ck_assert_int_eq(evote_store_open_sqlite(&s, db), EVOTE_OK);
    return s;
}

static void counts(evote_store_t *s, const char *c, uint64_t *el, uint64_t *vo) {
    ck_assert_int_eq(evote_store_roll_counts(s, c, el, vo), EVOTE_OK);
}

static char csv_ok[2048];
static void make_csv(void) {
    snprintf(csv_ok, sizeof(csv_ok),
             "# comment\r\n"
             "voter_id,identity,contests\r\n"
             "V1,sha256:%s,district-tokyo-1 proportional-tokyo\r\n"
             "\r\n"
             "V2,\"issuer-serial:0001F:CN=Test CA,O=x \"\"q\"\",C=JP\",proportional-tokyo\n"
             "V1,sha256:%s,proportional-tokyo district-tokyo-1\n",
             H64, H64);
}

START_TEST(test_csv_parse_and_import) {
    make_csv();
    evote_roll_t *r = NULL;
    ck_assert_int_eq(parse(csv_ok, &r), EVOTE_OK);
    ck_assert_uint_eq(evote_roll_count(r), 2); /* exact repetition counted once */
    evote_store_t *s = open_store();
    size_t added = 99;
    ck_assert_int_eq(evote_roll_import(s, r, &added), EVOTE_OK);
    ck_assert_uint_eq(added, 2);
    uint64_t el, vo;
    counts(s, "district-tokyo-1", &el, &vo);
    ck_assert_uint_eq(el, 1);
    ck_assert_uint_eq(vo, 0);
    counts(s, "proportional-tokyo", &el, &vo);
    ck_assert_uint_eq(el, 2);
    /* re-import: nothing changes */
    ck_assert_int_eq(evote_roll_import(s, r, &added), EVOTE_OK);
    ck_assert_uint_eq(added, 0);
    counts(s, "proportional-tokyo", &el, &vo);
    ck_assert_uint_eq(el, 2);
    /* the identity is canonical: upper-case hex and leading zeros */
    uint8_t k[32], vk[32], vk2[32];
    bool eligible, voted;
    ck_assert_int_eq(evote_roll_ident_key("issuer-serial:1f:CN=Test CA,O=x \"q\",C=JP", k),
                     EVOTE_OK);
    ck_assert_int_eq(
        evote_store_roll_lookup(s, k, "proportional-tokyo", vk, &eligible, &voted),
        EVOTE_OK);
    ck_assert(eligible && !voted);
    ck_assert_int_eq(evote_roll_voter_key("V2", vk2), EVOTE_OK);
    ck_assert_mem_eq(vk, vk2, 32);
    ck_assert_int_eq(evote_store_roll_lookup(s, k, "district-tokyo-1", NULL, &eligible, &voted),
                     EVOTE_OK);
    ck_assert(!eligible);
    k[0] ^= 1;
    ck_assert_int_eq(evote_store_roll_lookup(s, k, "district-tokyo-1", NULL, &eligible, &voted),
                     EVOTE_ERR_NOT_FOUND);
    evote_roll_free(r);
    evote_store_free(s);
}
END_TEST

START_TEST(test_json_parse) {
    char json[2048];
    snprintf(json, sizeof(json),
             "{\"format\":\"libevote-roll/1\",\"voters\":["
             "{\"voter_id\":\"V1\",\"identity\":\"sha256:%s\",\"contests\":"
             "[\"district-tokyo-1\"]},"
             "{\"voter_id\":\"V2\",\"identity\":\"issuer-serial:10:CN=A\",\"contests\":"
             "[\"proportional-tokyo\",\"district-tokyo-1\"]}]}",
             H64);
    evote_roll_t *r = NULL;
    ck_assert_int_eq(parse(json, &r), EVOTE_OK);
    ck_assert_uint_eq(evote_roll_count(r), 2);
    evote_roll_free(r);
    /* same voters as CSV give the same store keys */
    char csv[1024];
    snprintf(csv, sizeof(csv),
             "voter_id,identity,contests\nV1,sha256:%s,district-tokyo-1\n"
             "V2,issuer-serial:10:CN=A,district-tokyo-1 proportional-tokyo\n",
             H64);
    evote_store_t *s = open_store();
    size_t added = 0;
    ck_assert_int_eq(parse(csv, &r), EVOTE_OK);
    ck_assert_int_eq(evote_roll_import(s, r, &added), EVOTE_OK);
    ck_assert_uint_eq(added, 2);
    evote_roll_free(r);
    ck_assert_int_eq(parse(json, &r), EVOTE_OK);
    ck_assert_int_eq(evote_roll_import(s, r, &added), EVOTE_OK);
    ck_assert_uint_eq(added, 0);
    evote_roll_free(r);
    /* JSON errors */
    static const char *bad[] = {
        "{\"format\":\"libevote-roll/2\",\"voters\":[]}",
        "{\"format\":\"libevote-roll/1\",\"voters\":{}}",
        "{\"format\":\"libevote-roll/1\",\"voters\":[],\"x\":1}",
        "{\"format\":\"libevote-roll/1\",\"voters\":[{\"voter_id\":\"V\"}]}",
        "{\"format\":\"libevote-roll/1\",\"voters\":[{\"voter_id\":\"V\",\"identity\":"
        "\"sha256:00\",\"contests\":[\"district-tokyo-1\"]}]}",
        "{\"format\":\"libevote-roll/1\",\"voters\":[{\"voter_id\":\"V\",\"identity\":"
        "\"issuer-serial:1:CN=A\",\"contests\":[7]}]}",
        "{\"format\":\"libevote-roll/1\", \"format\":\"libevote-roll/1\",\"voters\":[]}",
        "{ not json",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = (evote_roll_t *)1;
        ck_assert_msg(parse(bad[i], &r) == EVOTE_ERR_FORMAT, "bad[%zu] accepted", i);
        ck_assert_ptr_null(r);
    }
    evote_store_free(s);
}
END_TEST

START_TEST(test_csv_errors) {
    char buf[1024];
    struct {
        const char *body;
        evote_err_t want;
        const char *detail;
    } cases[] = {
        {"V1,sha256:%s,district-tokyo-1\n", EVOTE_ERR_FORMAT, "header"},
        {"voter_id,identity,contests\nV1,sha256:%s\n", EVOTE_ERR_FORMAT, "line 2"},
        {"voter_id,identity,contests\n\nV1,sha256:%s,nowhere\n", EVOTE_ERR_CONTEST_UNKNOWN,
         "line 3"},
        {"voter_id,identity,contests\nV1,sha256:%s,\n", EVOTE_ERR_FORMAT, "line 2"},
        {"voter_id,identity,contests\nV 1,sha256:%s,district-tokyo-1\n", EVOTE_ERR_FORMAT,
         "line 2"},
        {"voter_id,identity,contests\nV1,md5:%s,district-tokyo-1\n", EVOTE_ERR_FORMAT,
         "line 2"},
        {"voter_id,identity,contests\nV1,\"sha256:%s,district-tokyo-1\n", EVOTE_ERR_FORMAT,
         "quote"},
        {"voter_id,identity,contests\nV1,sha256:%s,district-tokyo-1 district-tokyo-1\n",
         EVOTE_ERR_FORMAT, "twice"},
        {"voter_id,identity,contests\nV1,issuer-serial:xyz:CN=A%s,district-tokyo-1\n",
         EVOTE_ERR_FORMAT, "line 2"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(buf, sizeof(buf), cases[i].body, H64);
#pragma GCC diagnostic pop
        evote_roll_t *r = (evote_roll_t *)1;
        evote_err_t got = parse(buf, &r);
        ck_assert_msg(got == cases[i].want, "case %zu: %s (%s)", i, evote_err_name(got),
                      evote_err_detail());
        ck_assert_msg(strstr(evote_err_detail(), cases[i].detail) != NULL,
                      "case %zu: detail '%s'", i, evote_err_detail());
        ck_assert_ptr_null(r);
    }
}
END_TEST

START_TEST(test_conflicts_in_file) {
    char buf[1024];
    evote_roll_t *r = (evote_roll_t *)1;
    /* one voter, two contest sets */
    snprintf(buf, sizeof(buf),
             "voter_id,identity,contests\nV1,sha256:%s,district-tokyo-1\n"
             "V2,issuer-serial:1:CN=A,district-tokyo-1\n"
             "V1,sha256:%s,proportional-tokyo\n",
             H64, H64);
    ck_assert_int_eq(parse(buf, &r), EVOTE_ERR_ROLL_CONFLICT);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "lines 2 and 4"));
    ck_assert_ptr_null(r);
    /* one identity, two voters */
    snprintf(buf, sizeof(buf),
             "voter_id,identity,contests\nV1,sha256:%s,district-tokyo-1\n"
             "V2,sha256:%s,district-tokyo-1\n",
             H64, H64);
    ck_assert_int_eq(parse(buf, &r), EVOTE_ERR_ROLL_CONFLICT);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "lines 2 and 3"));
}
END_TEST

START_TEST(test_conflicts_with_store) {
    char buf[1024];
    evote_roll_t *r = NULL;
    evote_store_t *s = open_store();
    size_t added = 0;
    uint64_t el, vo;
    snprintf(buf, sizeof(buf),
             "voter_id,identity,contests\nV1,sha256:%s,district-tokyo-1\n"
             "V2,issuer-serial:1:CN=A,district-tokyo-1\n",
             H64);
    ck_assert_int_eq(parse(buf, &r), EVOTE_OK);
    ck_assert_int_eq(evote_roll_import(s, r, &added), EVOTE_OK);
    evote_roll_free(r);
    /* a new voter plus one that contradicts the store: nothing is added */
    snprintf(buf, sizeof(buf),
             "voter_id,identity,contests\nV3,issuer-serial:2:CN=A,district-tokyo-1\n"
             "V1,sha256:%s,proportional-tokyo\n",
             H64);
    ck_assert_int_eq(parse(buf, &r), EVOTE_OK);
    ck_assert_int_eq(evote_roll_import(s, r, &added), EVOTE_ERR_ROLL_CONFLICT);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "line 3"));
    ck_assert_uint_eq(added, 0);
    evote_roll_free(r);
    counts(s, "district-tokyo-1", &el, &vo);
    ck_assert_uint_eq(el, 2);
    counts(s, "proportional-tokyo", &el, &vo);
    ck_assert_uint_eq(el, 0);
    /* same voter id, other identity */
    ck_assert_int_eq(parse("voter_id,identity,contests\n"
                           "V2,issuer-serial:3:CN=A,district-tokyo-1\n",
                           &r),
                     EVOTE_OK);
    ck_assert_int_eq(evote_roll_import(s, r, &added), EVOTE_ERR_ROLL_CONFLICT);
    ck_assert_ptr_nonnull(strstr(evote_err_detail(), "line 2"));
    evote_roll_free(r);
    /* identity of another voter */
    ck_assert_int_eq(parse("voter_id,identity,contests\n"
                           "V9,issuer-serial:01:CN=A,district-tokyo-1\n",
                           &r),
                     EVOTE_OK);
    ck_assert_int_eq(evote_roll_import(s, r, &added), EVOTE_ERR_ROLL_CONFLICT);
    evote_roll_free(r);
    counts(s, "district-tokyo-1", &el, &vo);
    ck_assert_uint_eq(el, 2);
    evote_store_free(s);
}
END_TEST

START_TEST(test_cli_roll_import) {
    char roll[600], bad[600];
    snprintf(roll, sizeof(roll), "%s/roll.csv", dir);
    snprintf(bad, sizeof(bad), "%s/bad.csv", dir);
    make_csv();
    evt_write(roll, csv_ok, strlen(csv_ok));
    const char *badtxt = "voter_id,identity,contests\nV1,sha256:00,district-tokyo-1\n";
    evt_write(bad, badtxt, strlen(badtxt));
    ck_assert_int_eq(evt_sh("'%s' roll import --store '%s' '%s' | grep -q '2 new'",
                            evt_cli(), db, roll),
                     0);
    ck_assert_int_eq(evt_sh("'%s' roll import --store '%s' '%s' | grep -q '0 new'",
                            evt_cli(), db, roll),
                     0);
    ck_assert_int_eq(evt_sh("'%s' roll import --store '%s' '%s' 2>&1 | grep -q 'line 2'",
                            evt_cli(), db, bad),
                     0);
    ck_assert_int_eq(evt_sh("'%s' roll import --store '%s' '%s' 2>/dev/null", evt_cli(), db,
                            bad),
                     1);
    ck_assert_int_eq(evt_sh("'%s' roll import --help >/dev/null", evt_cli()), 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("roll");
    TCase *tc = tcase_create("roll");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_csv_parse_and_import);
    tcase_add_test(tc, test_json_parse);
    tcase_add_test(tc, test_csv_errors);
    tcase_add_test(tc, test_conflicts_in_file);
    tcase_add_test(tc, test_conflicts_with_store);
    tcase_add_test(tc, test_cli_roll_import);
    suite_add_tcase(s, tc);
    return evt_run_suite(s) == 0 ? 0 : 1;
}
