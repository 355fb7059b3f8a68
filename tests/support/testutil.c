#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

void evt_tmpdir(char *out, size_t cap) {
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    snprintf(out, cap, "%s/evote-test-XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(out));
}

void evt_rmrf(const char *path) {
    if (path == NULL || strstr(path, "evote-test-") == NULL)
        return;
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", path);
}

const char *evt_module(void) {
    const char *m = getenv("EVOTE_PKCS11_MODULE");
    return (m != NULL && m[0] != '\0') ? m : EVOTE_DEFAULT_PKCS11_MODULE;
}

const char *evt_cli(void) {
    const char *c = getenv("EVOTE_CLI");
    return (c != NULL && c[0] != '\0') ? c : EVOTE_BINARY_DIR "/evote";
}

void evt_token_setup(const char *dir, const char *label) {
    char conf[4096], tokens[4096];
    snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
    if (mkdir(tokens, 0700) != 0 && errno != EEXIST)
        ck_abort_msg("mkdir %s: %s", tokens, strerror(errno));
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\n"
               "log.level = ERROR\nslots.removable = false\n",
            tokens);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        evote_err_t rv = evote_hsm_token_init(evt_module(), label, EVT_SO_PIN,
                                              strlen(EVT_SO_PIN), EVT_PIN,
                                              strlen(EVT_PIN));
        if (rv != EVOTE_OK)
            fprintf(stderr, "token init: %s (%s)\n", evote_strerror(rv),
                    evote_err_detail());
        _exit(rv == EVOTE_OK ? 0 : 1);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "token initialisation failed");
}

void evt_write_manifest(const char *path, const char *election_id) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "{\n"
            "  \"format\": \"libevote-manifest/1\",\n"
            "  \"election_id\": \"%s\",\n"
            "  \"title\": \"在外選挙 模擬投票\",\n"
            "  \"voting_window\": {\"opens\": \"2026-01-01T08:30:00+09:00\",\n"
            "                    \"closes\": \"2036-12-31T20:00:00+09:00\"},\n"
            "  \"contests\": [\n"
            "    {\"id\": \"district-tokyo-1\", \"title\": \"小選挙区 東京都第1区\",\n"
            "     \"kind\": \"district\", \"options\": [\n"
            "       {\"id\": \"c1\", \"name\": \"山田 太郎\"},\n"
            "       {\"id\": \"c2\", \"name\": \"佐藤 花子\"},\n"
            "       {\"id\": \"c3\", \"name\": \"鈴木 一郎\"}]},\n"
            "    {\"id\": \"proportional-tokyo\", \"title\": \"比例代表 東京都\",\n"
            "     \"kind\": \"proportional\", \"options\": [\n"
            "       {\"id\": \"p1\", \"name\": \"みらい党\"},\n"
            "       {\"id\": \"p2\", \"name\": \"さくら党\"},\n"
            "       {\"id\": \"p3\", \"name\": \"あおば党\"},\n"
            "       {\"id\": \"p4\", \"name\": \"つばさ党\"}]}\n"
            "  ]\n"
            "}\n",
            election_id);
    fclose(f);
}

uint8_t *evt_read(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

void evt_write(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

uint8_t *evt_unhex(const char *hex, size_t *len) {
    size_t n = strlen(hex);
    ck_assert_msg(n % 2 == 0, "odd hex length");
    uint8_t *out = malloc(n / 2 + 1);
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return out;
}

int evt_sh(const char *fmt, ...) {
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

bool evt_quick(void) {
    const char *q = getenv("EVOTE_TEST_QUICK");
    return q != NULL && q[0] == '1';
}

int evt_run_suite(Suite *s) {
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed;
}
