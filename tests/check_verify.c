/*
 * Tests for `evote verify DIR` (lib/verify.c, cli/cmd_verify.c) and the CLI
 * audit hook: a small election record is built with the library and the
 * CLI (every artefact recorded by a signed audit entry), checked, then each
 * kind of artefact is corrupted (one byte, missing, swapped in from another
 * election) and the precise failing check is expected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "evote/confirm.h"
#include "evote/hsm.h"
#include "internal.h"
#include "testutil.h"

static char dir[4096];
static char rec[4200];   /* the record under test */
static char other[4200]; /* a record of another election (built on demand) */

static const char *const contests[] = {"district-tokyo-1", "proportional-tokyo"};

static void run_ok(const char *cmd) {
    int rc = evt_sh("%s", cmd);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

/* decrypt/<contest>.plaintexts, recorded by a "decrypt" audit entry. */
static void write_plaintexts(const char *r, const char *election_manifest,
                             const char *contest, const uint32_t *sel, size_t n) {
    evote_manifest_t *m = NULL;
    ck_assert_int_eq(evote_manifest_load(&m, election_manifest), EVOTE_OK);
    uint8_t fake_input[32];
    memset(fake_input, 0x42, sizeof(fake_input));
    evote_plaintexts_t *p = NULL;
    ck_assert_int_eq(evote_plaintexts_new(&p, n, evote_manifest_hash(m), contest,
                                          fake_input),
                     EVOTE_OK);
    for (size_t i = 0; i < n; i++) {
        if (sel[i] == UINT32_MAX) {
            ck_assert_int_eq(evote_plaintexts_set(p, i, NULL), EVOTE_OK);
        } else {
            uint8_t pt[EVOTE_POINT_LEN];
            ck_assert_int_eq(evote_selection_encode(sel[i], pt), EVOTE_OK);
            ck_assert_int_eq(evote_plaintexts_set(p, i, pt), EVOTE_OK);
        }
    }
    char path[4400];
    snprintf(path, sizeof(path), "%s/decrypt/%s.plaintexts", r, contest);
    ck_assert_int_eq(evote_plaintexts_write(p, path), EVOTE_OK);
    evote_plaintexts_free(p);

    /* Recorded as the decrypt step would record it. */
    evote_audit_signer_t *s = NULL;
    ck_assert_int_eq(evote_audit_signer_open_token(&s, evt_module(), "op1", NULL,
                                                   EVT_PIN, strlen(EVT_PIN)),
                     EVOTE_OK);
    uint8_t h[32];
    ck_assert_int_eq(evote_sha256_file(path, h), EVOTE_OK);
    const char *args[] = {"--contest", contest, "--out", path};
    evote_audit_file_t out = {path, h};
    evote_audit_event_t ev = {.step = "decrypt", .args = args, .nargs = 4,
                              .outputs = &out, .noutputs = 1};
    char log[4400];
    snprintf(log, sizeof(log), "%s/audit/audit.log", r);
    ck_assert_int_eq(evote_audit_append(log, evote_manifest_hash(m), &ev, s, NULL),
                     EVOTE_OK);
    evote_audit_signer_free(s);
    evote_manifest_free(m);
}

static void build_record(const char *r, const char *election_id) {
    char p[4400];
    ck_assert_int_eq(evt_sh("mkdir -p '%s/audit' '%s/decrypt' '%s/tally' && cp "
                            "'%s/ca.pem' '%s/audit/operators-ca.pem'",
                            r, r, r, dir, r),
                     0);
    snprintf(p, sizeof(p), "%s/manifest.json", r);
    evt_write_manifest(p, election_id);
    ck_assert_int_eq(evt_sh("cd '%s' && sha256sum manifest.json | cut -c1-64 > "
                            "manifest.sha256",
                            r),
                     0);
    static const uint32_t d[] = {0, 1, 1, 2, UINT32_MAX};
    static const uint32_t pr[] = {3, 0, 0};
    write_plaintexts(r, p, contests[0], d, 5);
    write_plaintexts(r, p, contests[1], pr, 3);
    /* The count through the CLI, recorded by the audit hook. */
    for (size_t i = 0; i < 2; i++) {
        char cmd[16384];
        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && EVOTE_OPERATOR_PIN='%s' '%s' tally --manifest "
                 "manifest.json --plaintexts decrypt/%s.plaintexts --json "
                 "tally/%s.json --audit-log audit/audit.log --operator-token op1 "
                 ">/dev/null 2>&1",
                 r, EVT_PIN, evt_cli(), contests[i], contests[i]);
        run_ok(cmd);
    }
}

static void setup(void) {
    evt_tmpdir(dir, sizeof(dir));
    ck_assert_int_eq(evt_sh("bash '%s/tests/support/operator-token.sh' '%s' op1 "
                            "'Yamada Taro' >/dev/null",
                            EVOTE_SOURCE_DIR, dir),
                     0);
    char conf[4200];
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
    setenv("SOFTHSM2_CONF", conf, 1);
    unsetenv("EVOTE_AUDIT_LOG");
    unsetenv("EVOTE_OPERATOR_TOKEN");
    snprintf(rec, sizeof(rec), "%s/record", dir);
    snprintf(other, sizeof(other), "%s/other", dir);
    build_record(rec, "sangiin-2026-test");
}

static void teardown(void) { evt_rmrf(dir); }

/* Run evote verify --json on rec; return its exit status and the report. */
static int verify(json_t **report) {
    char out[4400];
    snprintf(out, sizeof(out), "%s/verify.json", dir);
    int rc = evt_sh("'%s' verify '%s' --json > '%s' 2>/dev/null", evt_cli(), rec, out);
    json_error_t e;
    *report = json_load_file(out, 0, &e);
    ck_assert_msg(*report != NULL, "verify --json: %s", e.text);
    return rc;
}

static json_t *check(json_t *report, const char *id) {
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(report, "checks"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
            return c;
    }
    ck_abort_msg("no check %s", id);
    return NULL;
}

static const char *status(json_t *report, const char *id) {
    return json_string_value(json_object_get(check(report, id), "status"));
}

/* Expect exit 1 and check id to FAIL with error code name err (NULL: any). */
static json_t *expect_fail(const char *id, const char *err) {
    json_t *r = NULL;
    int rc = verify(&r);
    char *dump = json_dumps(r, JSON_INDENT(1));
    ck_assert_msg(rc == 1, "verify should fail (exit %d): %s", rc, dump);
    json_t *c = check(r, id);
    ck_assert_msg(strcmp(json_string_value(json_object_get(c, "status")), "FAIL") == 0,
                  "check %s should FAIL: %s", id, dump);
    if (err != NULL)
        ck_assert_msg(json_object_get(c, "error") != NULL &&
                          strcmp(json_string_value(json_object_get(c, "error")), err) == 0,
                      "check %s should fail with %s: %s", id, err, dump);
    free(dump);
    return r;
}

static void flip_byte(const char *rel, long offset) {
    char p[4400];
    snprintf(p, sizeof(p), "%s/%s", rec, rel);
    size_t len;
    uint8_t *d = evt_read(p, &len);
    size_t at = offset >= 0 ? (size_t)offset : len / 2;
    ck_assert_uint_lt(at, len);
    d[at] ^= 0x01;
    evt_write(p, d, len);
    free(d);
}

static void remove_file(const char *rel) {
    char p[4400];
    snprintf(p, sizeof(p), "%s/%s", rec, rel);
    ck_assert_int_eq(unlink(p), 0);
}

/* Copy a file from the other election's record over ours. */
static void swap_from_other(const char *rel) {
    if (access(other, F_OK) != 0)
        build_record(other, "shugiin-2026-test");
    ck_assert_int_eq(evt_sh("cp '%s/%s' '%s/%s'", other, rel, rec, rel), 0);
}

START_TEST(test_record_passes) {
    json_t *r = NULL;
    ck_assert_int_eq(verify(&r), 0);
    ck_assert(json_is_true(json_object_get(r, "ok")));
    ck_assert_str_eq(status(r, "manifest"), "PASS");
    ck_assert_str_eq(status(r, "tally"), "PASS");
    ck_assert_str_eq(status(r, "audit"), "PASS");
    ck_assert_str_eq(status(r, "audit-coverage"), "PASS");
    ck_assert_str_eq(status(r, "mix"), "not present");
    json_decref(r);
    /* --complete refuses a record with parts missing. */
    ck_assert_int_eq(evt_sh("'%s' verify '%s' --complete >/dev/null", evt_cli(), rec), 1);
    /* The human checklist has one line per check and the verdict. */
    ck_assert_int_eq(evt_sh("'%s' verify '%s' | grep -q '^RESULT: PASS$'", evt_cli(), rec),
                     0);
}
END_TEST

START_TEST(test_manifest_byte) {
    flip_byte("manifest.json", 20);
    json_decref(expect_fail("manifest", NULL));
}
END_TEST

START_TEST(test_manifest_missing) {
    remove_file("manifest.json");
    json_decref(expect_fail("manifest", "EVOTE_ERR_NOT_FOUND"));
}
END_TEST

START_TEST(test_manifest_digest_published) {
    /* A manifest edit that stays valid JSON is caught by its digest. */
    char p[4400];
    snprintf(p, sizeof(p), "%s/manifest.json", rec);
    ck_assert_int_eq(evt_sh("sed -i 's/sangiin-2026-test/sangiin-2026-tesu/' '%s'", p),
                     0);
    json_t *r = expect_fail("manifest", "EVOTE_ERR_DIGEST_MISMATCH");
    /* Everything that names the real manifest now disagrees with it. */
    ck_assert_str_eq(status(r, "audit"), "FAIL");
    json_decref(r);
}
END_TEST

START_TEST(test_manifest_swapped) {
    swap_from_other("manifest.json");
    swap_from_other("manifest.sha256");
    json_t *r = expect_fail("audit", "EVOTE_ERR_MANIFEST_MISMATCH");
    ck_assert_str_eq(status(r, "manifest"), "PASS");
    ck_assert_str_eq(status(r, "tally"), "FAIL");
    json_decref(r);
}
END_TEST

START_TEST(test_plaintexts_byte) {
    flip_byte("decrypt/district-tokyo-1.plaintexts", -1);
    json_t *r = expect_fail("tally", NULL);
    ck_assert_str_eq(status(r, "audit-coverage"), "FAIL");
    json_decref(r);
}
END_TEST

START_TEST(test_plaintexts_missing) {
    remove_file("decrypt/proportional-tokyo.plaintexts");
    json_decref(expect_fail("tally", "EVOTE_ERR_NOT_FOUND"));
}
END_TEST

START_TEST(test_plaintexts_swapped) {
    swap_from_other("decrypt/district-tokyo-1.plaintexts");
    json_decref(expect_fail("tally", "EVOTE_ERR_MANIFEST_MISMATCH"));
}
END_TEST

START_TEST(test_tally_byte) {
    /* Change a count: "votes": 2 → 3. */
    flip_byte("tally/district-tokyo-1.json", -1);
    json_decref(expect_fail("tally", NULL));
}
END_TEST

START_TEST(test_tally_missing) {
    remove_file("tally/district-tokyo-1.json");
    json_decref(expect_fail("tally", "EVOTE_ERR_NOT_FOUND"));
}
END_TEST

START_TEST(test_tally_swapped) {
    swap_from_other("tally/proportional-tokyo.json");
    json_decref(expect_fail("tally", "EVOTE_ERR_DIGEST_MISMATCH"));
}
END_TEST

START_TEST(test_audit_byte) {
    flip_byte("audit/audit.log", 40);
    json_t *r = expect_fail("audit", NULL);
    ck_assert_str_eq(status(r, "audit-coverage"), "FAIL");
    json_decref(r);
}
END_TEST

START_TEST(test_audit_missing) {
    remove_file("audit/audit.log");
    json_t *r = expect_fail("audit-coverage", "EVOTE_ERR_AUDIT_CHAIN");
    ck_assert_str_eq(status(r, "audit"), "not present");
    json_decref(r);
}
END_TEST

START_TEST(test_audit_swapped) {
    swap_from_other("audit/audit.log");
    json_decref(expect_fail("audit", "EVOTE_ERR_MANIFEST_MISMATCH"));
}
END_TEST

START_TEST(test_operators_ca_swapped) {
    ck_assert_int_eq(evt_sh("openssl req -x509 -newkey ec -pkeyopt "
                            "ec_paramgen_curve:P-256 -nodes -keyout /dev/null -out "
                            "'%s/audit/operators-ca.pem' -days 10 -subj /CN=Other "
                            "2>/dev/null",
                            rec),
                     0);
    json_decref(expect_fail("audit", "EVOTE_ERR_CERT_CHAIN"));
}
END_TEST

START_TEST(test_unrecorded_step) {
    /* A step run without the audit options: verify names its output. */
    char cmd[16384];
    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' verify . --report tally/extra.json "
                               ">/dev/null",
             rec, evt_cli());
    run_ok(cmd);
    json_t *r = expect_fail("audit-coverage", "EVOTE_ERR_AUDIT_CHAIN");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
                                     check(r, "audit-coverage"), "detail")),
                                 "tally/extra.json"));
    json_decref(r);
}
END_TEST

START_TEST(test_pending_module_unchecked) {
    /* An artefact whose verifier is not in this build is never a PASS. */
    ck_assert_int_eq(evt_sh("mkdir -p '%s/mix' && echo x > '%s/mix/proof'", rec, rec), 0);
    json_t *r = NULL;
    ck_assert_int_eq(verify(&r), 1);
    const char *st = status(r, "mix");
    ck_assert_msg(strcmp(st, "UNCHECKED") == 0 || strcmp(st, "FAIL") == 0, "%s", st);
    json_decref(r);
}
END_TEST

START_TEST(test_hook_records_failure_and_redacts) {
    /* A failing step is recorded too, with its error code; no PIN leaks. */
    char cmd[16384];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && EVOTE_OPERATOR_PIN='%s' EVOTE_PIN='%s' '%s' tally "
             "--manifest manifest.json --plaintexts decrypt/nope.plaintexts --json "
             "x.json --audit-log audit/audit.log --operator-token op1 "
             "--operator-pin-file=/dev/null --pin-file '%s' 2>/dev/null",
             rec, EVT_PIN, EVT_PIN, evt_cli(), EVT_PIN);
    /* --operator-pin-file=/dev/null gives no PIN: refused before the step. */
    ck_assert_int_eq(evt_sh("%s", cmd), 1);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && EVOTE_OPERATOR_PIN='%s' '%s' tally --manifest "
             "manifest.json --plaintexts decrypt/nope.plaintexts --json x.json "
             "--audit-log audit/audit.log --operator-token op1 --operator-pin-file "
             "'%s/pin' 2>/dev/null",
             rec, "not-this-one", evt_cli(), dir);
    char pinfile[4400];
    snprintf(pinfile, sizeof(pinfile), "%s/pin", dir);
    evt_write(pinfile, EVT_PIN "\n", strlen(EVT_PIN) + 1);
    ck_assert_int_ne(evt_sh("%s", cmd), 0);
    char log[4400];
    snprintf(log, sizeof(log), "%s/audit/audit.log", rec);
    size_t len;
    char *data = (char *)evt_read(log, &len);
    ck_assert_ptr_null(strstr(data, EVT_PIN));
    ck_assert_ptr_null(strstr(data, "operator-pin-file")); /* stripped */
    ck_assert_ptr_nonnull(strstr(data, "\"ok\":false"));
    free(data);
    ck_assert_int_eq(evt_sh("'%s' audit verify '%s' --ca '%s/ca.pem' >/dev/null",
                            evt_cli(), log, dir),
                     0);
    ck_assert_int_eq(evt_sh("'%s' audit show '%s' | grep -q 'FAILED (exit 1, "
                            "EVOTE_ERR_NOT_FOUND)'",
                            evt_cli(), log),
                     0);
    /* Wrong operator PIN: the step does not run at all. */
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && rm -f y.json && EVOTE_OPERATOR_PIN=wrong '%s' tally "
             "--manifest manifest.json --plaintexts decrypt/district-tokyo-1.plaintexts "
             "--json y.json --audit-log audit/audit.log --operator-token op1 "
             "2>/dev/null; test ! -e y.json",
             rec, evt_cli());
    ck_assert_int_eq(evt_sh("%s", cmd), 0);
    /* A log of another election is refused before the step runs. */
    swap_from_other("audit/audit.log");
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && EVOTE_OPERATOR_PIN='%s' '%s' tally --manifest manifest.json "
             "--plaintexts decrypt/district-tokyo-1.plaintexts --json z.json "
             "--audit-log audit/audit.log --operator-token op1 2>/dev/null; "
             "test ! -e z.json",
             rec, EVT_PIN, evt_cli());
    ck_assert_int_eq(evt_sh("%s", cmd), 0);
}
END_TEST


/* ---- readers: the key-generation record and the confirmation file ------- */

static char rdir[4096];

static void rsetup(void) { evt_tmpdir(rdir, sizeof(rdir)); }
static void rteardown(void) { evt_rmrf(rdir); }

/* A keygen record written through a real token, then edited by jq-less
 * string replacement: path of the record in rdir. */
static void make_keygen_record(char *path, size_t cap, uint8_t mh[32], uint8_t pk[33]) {
    evote_hsm_t *hsm = NULL;
    evt_token_setup(rdir, "kr");
    ck_assert_int_eq(evote_hsm_open(&hsm, evt_module(), "kr", EVT_PIN, strlen(EVT_PIN), 1),
                     EVOTE_OK);
    ck_assert_int_eq(evote_hsm_keygen(hsm, "k", pk), EVOTE_OK);
    memset(mh, 0x5a, 32);
    snprintf(path, cap, "%s/keygen-record.json", rdir);
    ck_assert_int_eq(evote_hsm_keygen_record_write(hsm, path, "k", mh, "el-1"), EVOTE_OK);
    /* exclusive: never overwritten */
    ck_assert_int_eq(evote_hsm_keygen_record_write(hsm, path, "k", mh, "el-1"),
                     EVOTE_ERR_EXISTS);
    evote_hsm_free(hsm);
}

static void replace_in(const char *path, const char *from, const char *to) {
    size_t len = 0;
    char *d = (char *)evt_read(path, &len);
    char *at = strstr(d, from);
    ck_assert_ptr_nonnull(at);
    size_t nl = len - strlen(from) + strlen(to);
    char *o = malloc(nl + 1);
    size_t pre = (size_t)(at - d);
    memcpy(o, d, pre);
    memcpy(o + pre, to, strlen(to));
    memcpy(o + pre + strlen(to), at + strlen(from), len - pre - strlen(from));
    evt_write(path, o, nl);
    free(o);
    free(d);
}

START_TEST(test_keygen_record_reader) {
    char p[4200];
    uint8_t mh[32], pk[33], mh2[32];
    evote_keygen_record_t r;
    make_keygen_record(p, sizeof(p), mh, pk);
    ck_assert_int_eq(evote_hsm_keygen_record_read(p, &r), EVOTE_OK);
    ck_assert_mem_eq(r.pk, pk, 33);
    ck_assert_mem_eq(r.manifest_hash, mh, 32);
    ck_assert_str_eq(r.election_id, "el-1");
    ck_assert_str_eq(r.token_label, "kr");
    ck_assert_str_eq(r.key_label, "k");
    ck_assert_int_eq(r.attrs.sensitive, 1);
    ck_assert_int_eq(r.attrs.extractable, 0);
    ck_assert_int_eq(r.attrs.never_extractable, 1);
    ck_assert_int_eq(r.attrs.value_readable, 0);
    ck_assert_int_eq(evote_hsm_keygen_record_check(&r, mh, pk), EVOTE_OK);
    ck_assert_int_eq(evote_hsm_keygen_record_check(&r, NULL, NULL), EVOTE_OK);
    memcpy(mh2, mh, 32);
    mh2[31] ^= 1;
    ck_assert_int_eq(evote_hsm_keygen_record_check(&r, mh2, pk),
                     EVOTE_ERR_MANIFEST_MISMATCH);
    uint8_t pk2[33];
    memcpy(pk2, pk, 33);
    pk2[0] ^= 1; /* 02 <-> 03: the negated key */
    ck_assert_int_eq(evote_hsm_keygen_record_check(&r, mh, pk2), EVOTE_ERR_KEY_MISMATCH);
    /* each policy attribute turned the wrong way is refused by name */
    static const char *const flips[][2] = {
        {"\"CKA_SENSITIVE\": true", "\"CKA_SENSITIVE\": false"},
        {"\"CKA_EXTRACTABLE\": false", "\"CKA_EXTRACTABLE\": true"},
        {"\"CKA_NEVER_EXTRACTABLE\": true", "\"CKA_NEVER_EXTRACTABLE\": null"},
        {"\"CKA_SIGN\": false", "\"CKA_SIGN\": true"},
        {"\"CKA_VALUE_readable\": false", "\"CKA_VALUE_readable\": true"},
    };
    size_t len = 0;
    uint8_t *orig = evt_read(p, &len);
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        evt_write(p, orig, len);
        replace_in(p, flips[i][0], flips[i][1]);
        ck_assert_int_eq(evote_hsm_keygen_record_read(p, &r), EVOTE_OK);
        ck_assert_int_eq(evote_hsm_keygen_record_check(&r, mh, pk), EVOTE_ERR_KEY_POLICY);
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(strchr(flips[i][0] + 1, '"') - flips[i][0] - 1),
                 flips[i][0] + 1);
        ck_assert_msg(strstr(evote_err_detail(), name) != NULL, "%s", evote_err_detail());
    }
    /* malformed: an attribute that is no boolean, the format, the key */
    evt_write(p, orig, len);
    replace_in(p, "\"CKA_DERIVE\": true", "\"CKA_DERIVE\": \"yes\"");
    ck_assert_int_eq(evote_hsm_keygen_record_read(p, &r), EVOTE_ERR_FORMAT);
    evt_write(p, orig, len);
    replace_in(p, "libevote-keygen-record/1", "libevote-keygen-record/2");
    ck_assert_int_eq(evote_hsm_keygen_record_read(p, &r), EVOTE_ERR_FORMAT);
    evt_write(p, orig, len);
    replace_in(p, "\"public_key\": \"0", "\"public_key\": \"1");
    ck_assert_int_eq(evote_hsm_keygen_record_read(p, &r), EVOTE_ERR_FORMAT);
    evt_write(p, orig, len / 2);
    ck_assert_int_eq(evote_hsm_keygen_record_read(p, &r), EVOTE_ERR_FORMAT);
    ck_assert_int_eq(evote_hsm_keygen_record_read("/nonexistent/x.json", &r),
                     EVOTE_ERR_NOT_FOUND);
    ck_assert_int_eq(evote_hsm_keygen_record_read(p, NULL), EVOTE_ERR_ARG);
    free(orig);
}
END_TEST

static void sample_confirmation(evote_confirmation_t *c, evote_confirmation_trustee_t t[2]) {
    memset(c, 0, sizeof(*c));
    memset(t, 0, 2 * sizeof(*t));
    memset(c->manifest_hash, 1, 32);
    strcpy(c->contest_id, "district-tokyo-1");
    memset(c->input_sha256, 2, 32);
    memset(c->plaintexts_sha256, 3, 32);
    strcpy(c->mode, "dice");
    c->randomness = (char *)"1 2 3 4 5 6\n";
    c->have_q = true;
    memset(c->q, 4, 33);
    c->q[0] = 0x02;
    c->ntrustees = 2;
    c->trustees = t;
    strcpy(t[0].trustee_id, "T1");
    t[0].have_expected = t[0].have_answer = true;
    memset(t[0].expected, 5, 32);
    memset(t[0].answer, 5, 32);
    t[0].verdict = EVOTE_CONFIRM_CONFIRMED;
    strcpy(t[1].trustee_id, "T2");
    t[1].have_expected = true;
    memset(t[1].expected, 6, 32);
    t[1].verdict = EVOTE_CONFIRM_NOT_ASKED;
    c->verdict = EVOTE_CONFIRM_NOT_ASKED;
    strcpy(c->detail, "T2 not asked");
}

START_TEST(test_confirmation_roundtrip) {
    char p[4200];
    evote_confirmation_t c, r;
    evote_confirmation_trustee_t t[2];
    sample_confirmation(&c, t);
    snprintf(p, sizeof(p), "%s/c.json", rdir);
    ck_assert_int_eq(evote_confirmation_write(&c, p), EVOTE_OK);
    ck_assert_int_eq(evote_confirmation_read(&r, p), EVOTE_OK);
    ck_assert_mem_eq(r.manifest_hash, c.manifest_hash, 32);
    ck_assert_str_eq(r.contest_id, c.contest_id);
    ck_assert_mem_eq(r.input_sha256, c.input_sha256, 32);
    ck_assert_mem_eq(r.plaintexts_sha256, c.plaintexts_sha256, 32);
    ck_assert_str_eq(r.mode, "dice");
    ck_assert_str_eq(r.randomness, "1 2 3 4 5 6\n"); /* as given */
    ck_assert(r.have_q);
    ck_assert_mem_eq(r.q, c.q, 33);
    ck_assert_uint_eq(r.ntrustees, 2);
    ck_assert_str_eq(r.trustees[0].trustee_id, "T1");
    ck_assert(r.trustees[0].have_answer && r.trustees[0].have_expected);
    ck_assert_mem_eq(r.trustees[0].answer, t[0].answer, 32);
    ck_assert_int_eq(r.trustees[0].verdict, EVOTE_CONFIRM_CONFIRMED);
    ck_assert(!r.trustees[1].have_answer); /* null: not asked */
    ck_assert_int_eq(r.trustees[1].verdict, EVOTE_CONFIRM_NOT_ASKED);
    ck_assert_int_eq(r.verdict, EVOTE_CONFIRM_NOT_ASKED);
    ck_assert_str_eq(r.detail, "T2 not asked");
    evote_confirmation_clear(&r);
    /* a FAILED run without Q (the parts did not add up) */
    c.have_q = false;
    c.verdict = EVOTE_CONFIRM_FAILED;
    ck_assert_int_eq(evote_confirmation_write(&c, p), EVOTE_OK); /* rerun replaces */
    ck_assert_int_eq(evote_confirmation_read(&r, p), EVOTE_OK);
    ck_assert(!r.have_q);
    ck_assert_int_eq(r.verdict, EVOTE_CONFIRM_FAILED);
    evote_confirmation_clear(&r);
    ck_assert_str_eq(evote_confirm_verdict_name(EVOTE_CONFIRM_FAILED), "FAILED");
}
END_TEST

START_TEST(test_confirmation_malformed) {
    char p[4200];
    evote_confirmation_t c, r;
    evote_confirmation_trustee_t t[2];
    sample_confirmation(&c, t);
    snprintf(p, sizeof(p), "%s/c.json", rdir);
    ck_assert_int_eq(evote_confirmation_write(&c, p), EVOTE_OK);
    size_t len = 0;
    uint8_t *orig = evt_read(p, &len);
    static const char *const bad[][2] = {
        {"\"mode\": \"dice\"", "\"mode\": \"coin\""},
        {"\"verdict\": \"CONFIRMED\"", "\"verdict\": \"OK\""},
        {"\"verdict\": \"NOT ASKED\",\n  \"detail\"", "\"verdict\": 1,\n  \"detail\""},
        {"\"contest_id\": \"district-tokyo-1\"", "\"contest_id\": \"a/b\""},
        {"\"query_point\": \"02", "\"query_point\": \"2"},
        {"\"randomness\"", "\"randomnes\""},
        {"\"trustee_id\": \"T1\"", "\"trustee_id\": \"\""},
        {"\"token_answer\": null", "\"token_answer\": \"05\""},
        {"libevote-confirmation/1", "libevote-confirmation/2"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        evt_write(p, orig, len);
        replace_in(p, bad[i][0], bad[i][1]);
        ck_assert_msg(evote_confirmation_read(&r, p) == EVOTE_ERR_FORMAT, "case %zu", i);
        ck_assert_ptr_null(r.randomness); /* cleared on failure */
    }
    ck_assert_int_eq(evote_confirmation_read(&r, "/nonexistent/c.json"), EVOTE_ERR_NOT_FOUND);
    c.randomness = NULL;
    ck_assert_int_eq(evote_confirmation_write(&c, p), EVOTE_ERR_ARG);
    free(orig);
}
END_TEST

static Suite *verify_suite(void) {
    Suite *s = suite_create("verify");
    TCase *tc = tcase_create("record");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_record_passes);
    tcase_add_test(tc, test_manifest_byte);
    tcase_add_test(tc, test_manifest_missing);
    tcase_add_test(tc, test_manifest_digest_published);
    tcase_add_test(tc, test_manifest_swapped);
    tcase_add_test(tc, test_plaintexts_byte);
    tcase_add_test(tc, test_plaintexts_missing);
    tcase_add_test(tc, test_plaintexts_swapped);
    tcase_add_test(tc, test_tally_byte);
    tcase_add_test(tc, test_tally_missing);
    tcase_add_test(tc, test_tally_swapped);
    tcase_add_test(tc, test_audit_byte);
    tcase_add_test(tc, test_audit_missing);
    tcase_add_test(tc, test_audit_swapped);
    tcase_add_test(tc, test_operators_ca_swapped);
    tcase_add_test(tc, test_unrecorded_step);
    tcase_add_test(tc, test_pending_module_unchecked);
    tcase_add_test(tc, test_hook_records_failure_and_redacts);
    suite_add_tcase(s, tc);
    TCase *rd = tcase_create("readers");
    tcase_add_checked_fixture(rd, rsetup, rteardown);
    tcase_set_timeout(rd, 60);
    tcase_add_test(rd, test_keygen_record_reader);
    tcase_add_test(rd, test_confirmation_roundtrip);
    tcase_add_test(rd, test_confirmation_malformed);
    suite_add_tcase(s, rd);
    return s;
}

int main(void) { return evt_run_suite(verify_suite()) == 0 ? 0 : 1; }
