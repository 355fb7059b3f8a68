#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pki.h"
#include "testutil.h"

void evt_pki_make(const char *dir, int nrsa) {
    ck_assert_int_eq(evt_sh("bash '%s/tests/pki.sh' '%s/pki' %d 2>/dev/null",
                            EVOTE_SOURCE_DIR, dir, nrsa),
                     0);
}

const char *evt_pki_path(const char *dir, const char *name, const char *suffix) {
    static char slots[4][4096];
    static int next;
    char *p = slots[next++ % 4];
    snprintf(p, sizeof(slots[0]), "%s/pki/%s%s", dir, name, suffix);
    return p;
}

static void ensure_conf(const char *dir) {
    char conf[4096], tokens[4096];
    snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
    snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
    const char *cur = getenv("SOFTHSM2_CONF");
    if (cur != NULL && strcmp(cur, conf) == 0)
        return;
    if (mkdir(tokens, 0700) != 0 && errno != EEXIST)
        ck_abort_msg("mkdir %s: %s", tokens, strerror(errno));
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\n"
               "log.level = ERROR\nslots.removable = false\n",
            tokens);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
}

void evt_voter_token(const char *dir, const char *label, const char *name) {
    ensure_conf(dir);
    ck_assert_int_eq(evt_sh("softhsm2-util --init-token --free --label '%s' "
                            "--so-pin '%s' --pin '%s' >/dev/null",
                            label, EVT_SO_PIN, EVT_PIN),
                     0);
    char key[4096], cert[4096];
    snprintf(key, sizeof(key), "%s/pki/%s.key", dir, name);
    snprintf(cert, sizeof(cert), "%s/pki/%s.pem", dir, name);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        evote_err_t rv = evote_hsm_import_key_cert(evt_module(), label, EVT_PIN,
                                                   strlen(EVT_PIN), "sign", key, cert);
        if (rv != EVOTE_OK)
            fprintf(stderr, "import: %s (%s)\n", evote_strerror(rv), evote_err_detail());
        _exit(rv == EVOTE_OK ? 0 : 1);
    }
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "voter token %s failed", label);
}
