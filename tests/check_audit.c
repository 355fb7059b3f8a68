/* Tests for the audit log (lib/audit.c, lib/audit_signer.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "audit_internal.h"
#include "internal.h"
#include "testutil.h"

static char dir[4096];
static char logpath[4200];
static uint8_t manifest_hash[32];

static void make_token(const char *label, const char *cn) {
    ck_assert_int_eq(evt_sh("bash '%s/tests/support/operator-token.sh' '%s' '%s' "
                            "'%s'",
                            EVOTE_SOURCE_DIR, dir, label, cn),
                     0);
}

static void setup(void) {
    evt_tmpdir(dir, sizeof(dir));
    make_token("op1", "Yamada Taro");
    char conf[4200];
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
    setenv("SOFTHSM2_CONF", conf, 1);
    snprintf(logpath, sizeof(logpath), "%s/audit.log", dir);
    ck_assert_int_eq(evote_sha256("manifest", 8, manifest_hash), EVOTE_OK);
}

static void teardown(void) { evt_rmrf(dir); }

static evote_audit_signer_t *open_signer(const char *label) {
    evote_audit_signer_t *s = NULL;
    evote_err_t rv = evote_audit_signer_open_token(&s, evt_module(), label, NULL,
                                                   EVT_PIN, strlen(EVT_PIN));
    ck_assert_msg(rv == EVOTE_OK, "open token %s: %s (%s)", label,
                  evote_strerror(rv), evote_err_detail());
    return s;
}

static void append_steps(const char *path, evote_audit_signer_t *s, int from,
                         int count) {
    for (int i = from; i < from + count; i++) {
        char step[32], outname[64];
        snprintf(step, sizeof(step), "step %d", i);
        snprintf(outname, sizeof(outname), "out-%d.bin", i);
        uint8_t h[32];
        ck_assert_int_eq(evote_sha256(outname, strlen(outname), h), EVOTE_OK);
        const char *args[] = {"--manifest", "manifest.json", "--out", outname};
        evote_audit_file_t in = {"manifest.json", manifest_hash};
        evote_audit_file_t out = {outname, h};
        evote_audit_event_t ev = {.step = step, .args = args, .nargs = 4,
                                  .inputs = &in, .ninputs = 1, .outputs = &out,
                                  .noutputs = 1, .result = EVOTE_OK};
        uint64_t seq = 0;
        evote_err_t rv = evote_audit_append(path, manifest_hash, &ev, s, &seq);
        ck_assert_msg(rv == EVOTE_OK, "append: %s (%s)", evote_strerror(rv),
                      evote_err_detail());
        ck_assert_uint_gt(seq, 0);
    }
}

/* Verify path; return the code and copy the first problem into why. */
static evote_err_t verify_log(const char *path, const char *ca, char *why,
                              size_t cap) {
    evote_audit_log_t *log = NULL;
    ck_assert_int_eq(evote_audit_load(&log, path), EVOTE_OK);
    evote_err_t rv = evote_audit_verify(log, ca, NULL);
    why[0] = '\0';
    if (evote_audit_problem_count(log) > 0)
        snprintf(why, cap, "%s", evote_audit_problem(log, 0));
    ck_assert_int_eq(rv == EVOTE_OK, evote_audit_problem_count(log) == 0);
    evote_audit_log_free(log);
    return rv;
}

static char *ca_path(void) {
    static char p[4200];
    snprintf(p, sizeof(p), "%s/ca.pem", dir);
    return p;
}

/* Lines of the log file, for surgery. */
typedef struct {
    char *line[64];
    size_t n;
} lines_t;

static void read_lines(const char *path, lines_t *l) {
    size_t len;
    char *data = (char *)evt_read(path, &len);
    memset(l, 0, sizeof(*l));
    char *save = NULL;
    for (char *t = strtok_r(data, "\n", &save); t != NULL && l->n < 64;
         t = strtok_r(NULL, "\n", &save))
        l->line[l->n++] = strdup(t);
    free(data);
}

static void write_lines(const char *path, const lines_t *l, const int *order,
                        size_t n) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", l->line[order[i]]);
    fclose(f);
}

static void free_lines(lines_t *l) {
    for (size_t i = 0; i < l->n; i++)
        free(l->line[i]);
}

START_TEST(test_append_and_verify) {
    evote_audit_signer_t *s = open_signer("op1");
    append_steps(logpath, s, 1, 3);
    evote_audit_signer_free(s);
    char why[512];
    ck_assert_int_eq(verify_log(logpath, NULL, why, sizeof(why)), EVOTE_OK);
    ck_assert_int_eq(verify_log(logpath, ca_path(), why, sizeof(why)), EVOTE_OK);

    evote_audit_log_t *log = NULL;
    ck_assert_int_eq(evote_audit_load(&log, logpath), EVOTE_OK);
    ck_assert_uint_eq(evote_audit_count(log), 3);
    ck_assert_int_eq(evote_audit_verify(log, ca_path(), manifest_hash), EVOTE_OK);
    ck_assert_mem_eq(evote_audit_election(log), manifest_hash, 32);
    const char *body = evote_audit_entry_body(log, 1);
    ck_assert_ptr_nonnull(strstr(body, "\"seq\":2"));
    ck_assert_ptr_nonnull(strstr(body, "\"step\":\"step 2\""));
    ck_assert_ptr_nonnull(strstr(body, "CN=Yamada Taro"));
    ck_assert_ptr_nonnull(strstr(body, "+09:00"));
    /* Output lookup by digest. */
    uint8_t h[32];
    ck_assert_int_eq(evote_sha256("out-3.bin", 9, h), EVOTE_OK);
    const char *step = NULL;
    ck_assert_uint_eq(evote_audit_find_output(log, h, &step), 3);
    ck_assert_str_eq(step, "step 3");
    h[0] ^= 1;
    ck_assert_uint_eq(evote_audit_find_output(log, h, &step), 0);
    /* Another election's manifest is refused. */
    uint8_t other[32];
    memcpy(other, manifest_hash, 32);
    other[31] ^= 0x80;
    ck_assert_int_eq(evote_audit_verify(log, NULL, other), EVOTE_ERR_MANIFEST_MISMATCH);
    evote_audit_log_free(log);
}
END_TEST

START_TEST(test_genesis_and_entry_hash) {
    /* The first entry's prev is the genesis tag over the manifest hash. */
    evote_audit_signer_t *s = open_signer("op1");
    append_steps(logpath, s, 1, 2);
    evote_audit_signer_free(s);
    uint8_t g[32];
    char hex[65];
    ck_assert_int_eq(evote_audit_genesis(manifest_hash, g), EVOTE_OK);
    evote_hex(hex, g, 32);
    lines_t l;
    read_lines(logpath, &l);
    ck_assert_uint_eq(l.n, 2);
    char want[80];
    snprintf(want, sizeof(want), "\"prev\":\"%s\"", hex);
    ck_assert_ptr_nonnull(strstr(l.line[0], want));
    /* Entry 2's prev is H(entry; body, cms) of entry 1. */
    char *tab = strchr(l.line[0], '\t');
    ck_assert_ptr_nonnull(tab);
    size_t cms_b64 = strlen(tab + 1);
    uint8_t *cms = malloc(cms_b64);
    int n = EVP_DecodeBlock(cms, (unsigned char *)tab + 1, (int)cms_b64);
    ck_assert_int_gt(n, 0);
    while (cms_b64 > 0 && tab[cms_b64] == '=') { /* strip padding bytes */
        n--;
        cms_b64--;
    }
    uint8_t eh[32];
    ck_assert_int_eq(evote_audit_entry_hash((uint8_t *)l.line[0],
                                            (size_t)(tab - l.line[0]), cms,
                                            (size_t)n, eh),
                     EVOTE_OK);
    evote_hex(hex, eh, 32);
    snprintf(want, sizeof(want), "\"prev\":\"%s\"", hex);
    ck_assert_ptr_nonnull(strstr(l.line[1], want));
    free(cms);
    free_lines(&l);
}
END_TEST

START_TEST(test_deleted_entry) {
    evote_audit_signer_t *s = open_signer("op1");
    append_steps(logpath, s, 1, 4);
    evote_audit_signer_free(s);
    lines_t l;
    read_lines(logpath, &l);
    int order[] = {0, 2, 3}; /* seq 2 deleted */
    write_lines(logpath, &l, order, 3);
    char why[512];
    ck_assert_int_eq(verify_log(logpath, NULL, why, sizeof(why)), EVOTE_ERR_AUDIT_CHAIN);
    ck_assert_msg(strncmp(why, "seq 2: missing", 14) == 0, "%s", why);
    free_lines(&l);
}
END_TEST

START_TEST(test_deleted_first_entry) {
    evote_audit_signer_t *s = open_signer("op1");
    append_steps(logpath, s, 1, 3);
    evote_audit_signer_free(s);
    lines_t l;
    read_lines(logpath, &l);
    int order[] = {1, 2};
    write_lines(logpath, &l, order, 2);
    char why[512];
    ck_assert_int_eq(verify_log(logpath, NULL, why, sizeof(why)), EVOTE_ERR_AUDIT_CHAIN);
    ck_assert_msg(strncmp(why, "seq 1: missing", 14) == 0, "%s", why);
    free_lines(&l);
}
END_TEST

START_TEST(test_reordered_entries) {
    evote_audit_signer_t *s = open_signer("op1");
    append_steps(logpath, s, 1, 4);
    evote_audit_signer_free(s);
    lines_t l;
    read_lines(logpath, &l);
    int order[] = {0, 2, 1, 3}; /* seq 2 and 3 swapped */
    write_lines(logpath, &l, order, 4);
    char why[512];
    ck_assert_int_eq(verify_log(logpath, NULL, why, sizeof(why)), EVOTE_ERR_AUDIT_CHAIN);
    ck_assert_msg(strncmp(why, "seq 2: missing", 14) == 0, "%s", why);
    free_lines(&l);
}
END_TEST

START_TEST(test_inserted_entry) {
    /* A validly signed entry from a fork of the same log, inserted. */
    evote_audit_signer_t *s = open_signer("op1");
    append_steps(logpath, s, 1, 3);
    lines_t l;
    read_lines(logpath, &l);
    char fork_path[4300];
    snprintf(fork_path, sizeof(fork_path), "%s/fork.log", dir);
    int prefix[] = {0, 1};
    write_lines(fork_path, &l, prefix, 2);
    append_steps(fork_path, s, 9, 1); /* a different seq 3 */
    evote_audit_signer_free(s);
    lines_t f;
    read_lines(fork_path, &f);
    l.line[l.n++] = strdup(f.line[2]);
    int order[] = {0, 1, 3, 2}; /* 1, 2, 3', 3 */
    write_lines(logpath, &l, order, 4);
    char why[512];
    ck_assert_int_eq(verify_log(logpath, NULL, why, sizeof(why)), EVOTE_ERR_AUDIT_CHAIN);
    ck_assert_msg(strncmp(why, "seq 3: out of order or repeated at line 4", 41) == 0,
                  "%s", why);
    /* Inserted with a fresh number: the chain breaks at the one after. */
    free_lines(&f);
    free_lines(&l);
}
END_TEST

START_TEST(test_edited_entry) {
    evote_audit_signer_t *s = open_signer("op1");
    append_steps(logpath, s, 1, 3);
    evote_audit_signer_free(s);
    lines_t l;
    read_lines(logpath, &l);
    char *p = strstr(l.line[1], "\"step 2\"");
    ck_assert_ptr_nonnull(p);
    p[6] = '7'; /* "step 7" */
    int order[] = {0, 1, 2};
    write_lines(logpath, &l, order, 3);
    char why[512];
    ck_assert_int_eq(verify_log(logpath, NULL, why, sizeof(why)), EVOTE_ERR_SIGNATURE);
    ck_assert_msg(strncmp(why, "seq 2: signature does not verify", 32) == 0, "%s",
                  why);
    /* Also the next entry no longer chains. */
    evote_audit_log_t *log = NULL;
    ck_assert_int_eq(evote_audit_load(&log, logpath), EVOTE_OK);
    ck_assert_int_ne(evote_audit_verify(log, NULL, NULL), EVOTE_OK);
    ck_assert_uint_eq(evote_audit_problem_count(log), 2);
    ck_assert_ptr_nonnull(strstr(evote_audit_problem(log, 1), "seq 3: previous-entry"));
    evote_audit_log_free(log);
    free_lines(&l);
}
END_TEST

START_TEST(test_edited_signature) {
    evote_audit_signer_t *s = open_signer("op1");
    append_steps(logpath, s, 1, 2);
    evote_audit_signer_free(s);
    lines_t l;
    read_lines(logpath, &l);
    /* Flip one base64 character in the middle of the signature. */
    char *tab = strchr(l.line[1], '\t');
    size_t n = strlen(tab);
    char *c = tab + n / 2;
    *c = *c == 'A' ? 'B' : 'A';
    int order[] = {0, 1};
    write_lines(logpath, &l, order, 2);
    char why[512];
    evote_err_t rv = verify_log(logpath, NULL, why, sizeof(why));
    ck_assert_msg(rv == EVOTE_ERR_SIGNATURE || rv == EVOTE_ERR_CMS_FORMAT, "%d", rv);
    ck_assert_msg(strncmp(why, "seq 2: ", 7) == 0, "%s", why);
    free_lines(&l);
}
END_TEST

START_TEST(test_resigned_by_other_operator) {
    /* Someone with a valid certificate re-signs an edited entry: the chain
     * (which hashes the signature too) breaks at the next entry. */
    make_token("op2", "Sato Hanako");
    evote_audit_signer_t *s = open_signer("op1");
    append_steps(logpath, s, 1, 3);
    evote_audit_signer_free(s);
    ck_assert_int_eq(
        evt_sh("cd '%s' && head -n 2 audit.log | tail -n 1 | cut -f1 > b2 && "
               "tail -n 1 audit.log > l3",
               dir),
        0);
    /* Re-sign entry 2's body as op2 via the library's own signer. */
    evote_audit_signer_t *s2 = open_signer("op2");
    size_t blen;
    char b2p[4300];
    snprintf(b2p, sizeof(b2p), "%s/b2", dir);
    uint8_t *b2 = evt_read(b2p, &blen);
    while (blen > 0 && b2[blen - 1] == '\n')
        blen--;
    uint8_t *cms = NULL;
    size_t cms_len = 0;
    ck_assert_int_eq(evote_audit_signer_sign(s2, b2, blen, &cms, &cms_len), EVOTE_OK);
    evote_audit_signer_free(s2);
    char *b64 = malloc(4 * cms_len / 3 + 8);
    EVP_EncodeBlock((unsigned char *)b64, cms, (int)cms_len);
    lines_t l;
    read_lines(logpath, &l);
    free(l.line[1]);
    l.line[1] = malloc(blen + strlen(b64) + 2);
    memcpy(l.line[1], b2, blen);
    l.line[1][blen] = '\t';
    strcpy(l.line[1] + blen + 1, b64);
    int order[] = {0, 1, 2};
    write_lines(logpath, &l, order, 3);
    char why[512];
    /* The body still names op1's certificate, so the op2 signature fails. */
    ck_assert_int_eq(verify_log(logpath, NULL, why, sizeof(why)), EVOTE_ERR_SIGNATURE);
    ck_assert_msg(strncmp(why, "seq 2: signature", 16) == 0, "%s", why);
    free(cms);
    free(b64);
    free(b2);
    free_lines(&l);
}
END_TEST

START_TEST(test_ca_mismatch) {
    evote_audit_signer_t *s = open_signer("op1");
    append_steps(logpath, s, 1, 1);
    evote_audit_signer_free(s);
    char other[4300];
    snprintf(other, sizeof(other), "%s/other-ca.pem", dir);
    ck_assert_int_eq(evt_sh("openssl req -x509 -newkey ec -pkeyopt "
                            "ec_paramgen_curve:P-256 -nodes -keyout /dev/null "
                            "-out '%s' -days 10 -subj /CN=Other 2>/dev/null",
                            other),
                     0);
    char why[512];
    ck_assert_int_eq(verify_log(logpath, other, why, sizeof(why)), EVOTE_ERR_CERT_CHAIN);
    ck_assert_msg(strncmp(why, "seq 1: operator certificate does not chain", 42) == 0,
                  "%s", why);
}
END_TEST

START_TEST(test_pin_never_logged) {
    evote_audit_signer_t *s = open_signer("op1");
    const char *args[] = {"--pin", "0000-secret", "--so-pin=4321-so",
                          "--operator-pin-file", "/tmp/pinfile",
                          "--label", "x" EVT_PIN "y", "--password=hunter2"};
    const char *secrets[] = {EVT_PIN};
    evote_audit_file_t in = {"dir/" EVT_PIN "/f", manifest_hash};
    evote_audit_event_t ev = {.step = "keygen", .args = args, .nargs = 8,
                              .secrets = secrets, .nsecrets = 1,
                              .inputs = &in, .ninputs = 1,
                              .result = EVOTE_ERR_PIN_INCORRECT, .exit_status = 1,
                              .message = "login with " EVT_PIN " failed"};
    ck_assert_int_eq(evote_audit_append(logpath, manifest_hash, &ev, s, NULL),
                     EVOTE_OK);
    evote_audit_signer_free(s);
    size_t len;
    char *data = (char *)evt_read(logpath, &len);
    ck_assert_ptr_null(strstr(data, EVT_PIN));
    ck_assert_ptr_null(strstr(data, "0000-secret"));
    ck_assert_ptr_null(strstr(data, "4321-so"));
    ck_assert_ptr_null(strstr(data, "hunter2"));
    ck_assert_ptr_null(strstr(data, "/tmp/pinfile"));
    ck_assert_ptr_nonnull(strstr(data, "\"--so-pin=[redacted]\""));
    ck_assert_ptr_nonnull(strstr(data, "\"--label\",\"[redacted]\""));
    /* Failures are logged with their code. */
    ck_assert_ptr_nonnull(strstr(data, "\"ok\":false"));
    ck_assert_ptr_nonnull(strstr(data, "EVOTE_ERR_PIN_INCORRECT"));
    free(data);
    char why[512];
    ck_assert_int_eq(verify_log(logpath, ca_path(), why, sizeof(why)), EVOTE_OK);
    ck_assert(evote_audit_arg_is_secret("--Operator-PIN-file"));
    ck_assert(!evote_audit_arg_is_secret("--manifest"));
    ck_assert(!evote_audit_arg_is_secret("pin"));
}
END_TEST

START_TEST(test_concurrent_appends) {
    /* Two processes append at once; the lock keeps one valid chain.
     * They open the token one after the other (SoftHSM2 does not like two
     * processes enumerating one token directory at the same instant; a
     * real operator token is one person's card), then append together. */
    int per = evt_quick() ? 4 : 10;
    int turn[2], ready[2], go[2];
    ck_assert_int_eq(pipe(turn), 0);
    ck_assert_int_eq(pipe(ready), 0);
    ck_assert_int_eq(pipe(go), 0);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        ck_assert_int_ge(kids[k], 0);
        if (kids[k] == 0) {
            char b;
            if (k == 1 && read(turn[0], &b, 1) != 1)
                _exit(4);
            evote_audit_signer_t *s = NULL;
            evote_err_t orv = evote_audit_signer_open_token(&s, evt_module(), "op1",
                                                            NULL, EVT_PIN,
                                                            strlen(EVT_PIN));
            if (orv != EVOTE_OK) {
                fprintf(stderr, "child %d: open: %s (%s)\n", k, evote_strerror(orv),
                        evote_err_detail());
                _exit(2);
            }
            if ((k == 0 && write(turn[1], "t", 1) != 1) || write(ready[1], "r", 1) != 1 ||
                read(go[0], &b, 1) != 1)
                _exit(4);
            for (int i = 0; i < per; i++) {
                const char *args[] = {"x"};
                evote_audit_event_t ev = {.step = k ? "child b" : "child a",
                                          .args = args, .nargs = 1};
                evote_err_t arv = evote_audit_append(logpath, manifest_hash, &ev, s, NULL);
                if (arv != EVOTE_OK) {
                    fprintf(stderr, "child %d: append: %s (%s)\n", k,
                            evote_strerror(arv), evote_err_detail());
                    _exit(3);
                }
            }
            evote_audit_signer_free(s);
            _exit(0);
        }
    }
    char b[2];
    ck_assert_int_eq(read(ready[0], b, 1), 1);
    ck_assert_int_eq(read(ready[0], b, 1), 1);
    ck_assert_int_eq(write(go[1], "gg", 2), 2);
    for (int k = 0; k < 2; k++) {
        int st;
        ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d: %d", k, st);
    }
    evote_audit_log_t *log = NULL;
    ck_assert_int_eq(evote_audit_load(&log, logpath), EVOTE_OK);
    ck_assert_uint_eq(evote_audit_count(log), (size_t)(2 * per));
    evote_err_t rv = evote_audit_verify(log, ca_path(), manifest_hash);
    ck_assert_msg(rv == EVOTE_OK, "%s", evote_err_detail());
    /* Both writers are in the chain. */
    size_t a = 0, bb = 0;
    for (size_t i = 0; i < evote_audit_count(log); i++) {
        a += strstr(evote_audit_entry_body(log, i), "child a") != NULL;
        bb += strstr(evote_audit_entry_body(log, i), "child b") != NULL;
    }
    ck_assert_uint_eq(a, (size_t)per);
    ck_assert_uint_eq(bb, (size_t)per);
    evote_audit_log_free(log);
}
END_TEST

START_TEST(test_torn_tail_and_refusals) {
    evote_audit_signer_t *s = open_signer("op1");
    append_steps(logpath, s, 1, 2);
    /* A torn write (no final newline) is reported and blocks appends. */
    FILE *f = fopen(logpath, "a");
    fputs("{\"format\":\"libevote-audit/1\",\"seq\":3", f);
    fclose(f);
    char why[512];
    ck_assert_int_eq(verify_log(logpath, NULL, why, sizeof(why)), EVOTE_ERR_AUDIT_CHAIN);
    ck_assert_msg(strncmp(why, "seq 3 (line 3)", 14) == 0, "%s", why);
    evote_audit_event_t ev = {.step = "x"};
    ck_assert_int_eq(evote_audit_append(logpath, manifest_hash, &ev, s, NULL),
                     EVOTE_ERR_AUDIT_CHAIN);
    /* Another election's log is refused. */
    char other[4300];
    snprintf(other, sizeof(other), "%s/b.log", dir);
    append_steps(other, s, 1, 1);
    uint8_t mh2[32];
    memcpy(mh2, manifest_hash, 32);
    mh2[0] ^= 1;
    ck_assert_int_eq(evote_audit_append(other, mh2, &ev, s, NULL),
                     EVOTE_ERR_MANIFEST_MISMATCH);
    /* A new log needs the manifest. */
    snprintf(other, sizeof(other), "%s/c.log", dir);
    ck_assert_int_eq(evote_audit_append(other, NULL, &ev, s, NULL), EVOTE_ERR_ARG);
    ck_assert_int_eq(access(other, F_OK), -1);
    evote_audit_signer_free(s);
    /* Empty and missing logs. */
    evt_write(other, "", 0);
    ck_assert_int_eq(verify_log(other, NULL, why, sizeof(why)), EVOTE_ERR_AUDIT_CHAIN);
    evote_audit_log_t *log = NULL;
    snprintf(other, sizeof(other), "%s/none.log", dir);
    ck_assert_int_eq(evote_audit_load(&log, other), EVOTE_ERR_NOT_FOUND);
    ck_assert_ptr_null(log);
}
END_TEST

START_TEST(test_token_errors) {
    evote_audit_signer_t *s = NULL;
    ck_assert_int_eq(evote_audit_signer_open_token(&s, evt_module(), "op1", NULL,
                                                   "wrong-pin", 9),
                     EVOTE_ERR_PIN_INCORRECT);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(evote_audit_signer_open_token(&s, evt_module(), "nope", NULL,
                                                   EVT_PIN, strlen(EVT_PIN)),
                     EVOTE_ERR_TOKEN_NOT_FOUND);
    ck_assert_int_eq(evote_audit_signer_open_token(&s, evt_module(), "op1", "nokey",
                                                   EVT_PIN, strlen(EVT_PIN)),
                     EVOTE_ERR_KEY_NOT_FOUND);
    ck_assert_int_eq(evote_audit_signer_open_token(&s, "/nonexistent/module.so", "op1",
                                                   NULL, EVT_PIN, strlen(EVT_PIN)),
                     EVOTE_ERR_MODULE_LOAD);
    ck_assert_int_eq(evote_audit_signer_open_token(&s, evt_module(), "op1", "operator",
                                                   EVT_PIN, strlen(EVT_PIN)),
                     EVOTE_OK);
    size_t n = 0;
    ck_assert_ptr_nonnull(evote_audit_signer_cert(s, &n));
    ck_assert_uint_gt(n, 100);
    evote_audit_signer_free(s);
    evote_audit_signer_free(NULL);
    uint8_t junk[3] = {1, 2, 3};
    ck_assert_int_eq(evote_audit_signer_from_callback(&s, NULL, NULL, junk, 3),
                     EVOTE_ERR_ARG);
}
END_TEST

/* Known-answer vector: tests/vectors/audit/ (PROTOCOL §16). */
START_TEST(test_vector) {
    char p[4200];
    snprintf(p, sizeof(p), "%s/audit/expected.txt", EVOTE_TEST_VECTORS);
    size_t len;
    char *exp = (char *)evt_read(p, &len);
    char mh_hex[65] = {0}, genesis_hex[65] = {0};
    char entry_hex[8][65];
    size_t nentries = 0;
    char *save = NULL;
    for (char *t = strtok_r(exp, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
        if (sscanf(t, "manifest_sha256=%64s", mh_hex) == 1)
            continue;
        if (sscanf(t, "genesis=%64s", genesis_hex) == 1)
            continue;
        if (nentries < 8 && sscanf(t, "entry_hash=%64s", entry_hex[nentries]) == 1)
            nentries++;
    }
    free(exp);
    ck_assert_uint_ge(nentries, 2);
    uint8_t mh[32], g[32];
    char hex[65];
    ck_assert_int_eq(evote_unhex(mh, 32, mh_hex), EVOTE_OK);
    ck_assert_int_eq(evote_audit_genesis(mh, g), EVOTE_OK);
    evote_hex(hex, g, 32);
    ck_assert_str_eq(hex, genesis_hex);

    char logp[4200], cap[4200];
    snprintf(logp, sizeof(logp), "%s/audit/audit.log", EVOTE_TEST_VECTORS);
    snprintf(cap, sizeof(cap), "%s/audit/ca.pem", EVOTE_TEST_VECTORS);
    evote_audit_log_t *log = NULL;
    ck_assert_int_eq(evote_audit_load(&log, logp), EVOTE_OK);
    ck_assert_uint_eq(evote_audit_count(log), nentries);
    evote_err_t rv = evote_audit_verify(log, cap, mh);
    ck_assert_msg(rv == EVOTE_OK, "%s", evote_err_detail());
    evote_audit_log_free(log);
    /* Entry hashes recomputed from the file's lines. */
    lines_t l;
    read_lines(logp, &l);
    for (size_t i = 0; i < l.n; i++) {
        char *tab = strchr(l.line[i], '\t');
        size_t b64 = strlen(tab + 1);
        uint8_t *cms = malloc(b64);
        int n = EVP_DecodeBlock(cms, (unsigned char *)tab + 1, (int)b64);
        for (size_t k = b64; k > 0 && tab[k] == '='; k--)
            n--;
        uint8_t eh[32];
        ck_assert_int_eq(evote_audit_entry_hash((uint8_t *)l.line[i],
                                                (size_t)(tab - l.line[i]), cms,
                                                (size_t)n, eh),
                         EVOTE_OK);
        evote_hex(hex, eh, 32);
        ck_assert_str_eq(hex, entry_hex[i]);
        free(cms);
    }
    free_lines(&l);
}
END_TEST

static Suite *audit_suite(void) {
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("log");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_append_and_verify);
    tcase_add_test(tc, test_genesis_and_entry_hash);
    tcase_add_test(tc, test_deleted_entry);
    tcase_add_test(tc, test_deleted_first_entry);
    tcase_add_test(tc, test_reordered_entries);
    tcase_add_test(tc, test_inserted_entry);
    tcase_add_test(tc, test_edited_entry);
    tcase_add_test(tc, test_edited_signature);
    tcase_add_test(tc, test_resigned_by_other_operator);
    tcase_add_test(tc, test_ca_mismatch);
    tcase_add_test(tc, test_pin_never_logged);
    tcase_add_test(tc, test_concurrent_appends);
    tcase_add_test(tc, test_torn_tail_and_refusals);
    tcase_add_test(tc, test_token_errors);
    suite_add_tcase(s, tc);
    TCase *tv = tcase_create("vectors");
    tcase_add_test(tv, test_vector);
    suite_add_tcase(s, tv);
    return s;
}

int main(void) { return evt_run_suite(audit_suite()) == 0 ? 0 : 1; }
