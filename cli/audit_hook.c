/*
 * evote CLI — the audit hook: every subcommand accepts
 *
 *   --audit-log FILE          the election's audit log (or $EVOTE_AUDIT_LOG)
 *   --operator-token LABEL    the operator's own token (or $EVOTE_OPERATOR_TOKEN)
 *   --operator-key-label K    key on that token (default: its only key)
 *   --operator-pin-file F     else $EVOTE_OPERATOR_PIN, else a prompt
 *   --operator-module PATH    PKCS#11 module of the operator token
 *                             (or $EVOTE_OPERATOR_MODULE, else the HSM's)
 *   --audit-manifest FILE     the manifest, when the step has no --manifest
 *                             and the log does not exist yet
 *
 * The dispatcher (cli/evote.c) strips these before the subcommand parses its
 * own options, so no subcommand needs to know about them. With a log and a
 * token, the step is recorded: arguments (PINs redacted), SHA-256 of every
 * file named on the command line before the step (inputs) and of every
 * file that appeared or changed after it (outputs; directories named on the
 * command line are walked), and the outcome — failures included. Without
 * them the step runs unrecorded and `evote verify` reports the artefacts no
 * audit entry accounts for.
 *
 * The operator token is opened and closed before the step runs (so that a
 * step using the same PKCS#11 module starts from a clean module) and again
 * after it to sign.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#define MAX_FILES 20000
#define MAX_DEPTH 4

static evote_err_t g_last_err = EVOTE_OK;
static char g_last_detail[512];

void cli_audit_note_error(evote_err_t err, const char *detail) {
    g_last_err = err;
    snprintf(g_last_detail, sizeof(g_last_detail), "%s%s%s", evote_strerror(err),
             detail != NULL && detail[0] ? ": " : "", detail ? detail : "");
}

typedef struct {
    char *path;
    uint8_t sha256[EVOTE_HASH_LEN];
} snap_file_t;

typedef struct {
    snap_file_t *f;
    size_t n, cap;
} snap_t;

typedef struct {
    const char *log, *token, *key_label, *pin_file, *module, *manifest;
    char log_real[PATH_MAX];
} audit_opts_t;

static void snap_free(snap_t *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->f[i].path);
    free(s->f);
    memset(s, 0, sizeof(*s));
}

static const snap_file_t *snap_find(const snap_t *s, const char *path) {
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->f[i].path, path) == 0)
            return &s->f[i];
    return NULL;
}

/* The log, its lock and its temporary files are not artefacts of the step. */
static bool is_audit_file(const audit_opts_t *o, const char *path) {
    char real[PATH_MAX];
    if (o->log_real[0] == '\0' || realpath(path, real) == NULL)
        return false;
    size_t n = strlen(o->log_real);
    return strncmp(real, o->log_real, n) == 0 &&
           (real[n] == '\0' || strcmp(real + n, ".lock") == 0 ||
            strncmp(real + n, ".tmp.", 5) == 0);
}

static void snap_add_path(snap_t *s, const audit_opts_t *o, const char *path,
                          int depth) {
    struct stat st;
    if (s->n >= MAX_FILES || stat(path, &st) != 0 || snap_find(s, path) != NULL ||
        is_audit_file(o, path))
        return;
    if (S_ISREG(st.st_mode)) {
        uint8_t h[EVOTE_HASH_LEN];
        if (evote_sha256_file(path, h) != EVOTE_OK)
            return;
        if (s->n == s->cap) {
            size_t nc = s->cap ? 2 * s->cap : 16;
            snap_file_t *nf = realloc(s->f, nc * sizeof(*nf));
            if (nf == NULL)
                return;
            s->f = nf;
            s->cap = nc;
        }
        s->f[s->n].path = strdup(path);
        if (s->f[s->n].path == NULL)
            return;
        memcpy(s->f[s->n].sha256, h, EVOTE_HASH_LEN);
        s->n++;
    } else if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH) {
        struct dirent **names = NULL;
        int k = scandir(path, &names, NULL, alphasort);
        for (int i = 0; i < k; i++) {
            const char *d = names[i]->d_name;
            if (strcmp(d, ".") != 0 && strcmp(d, "..") != 0) {
                size_t len = strlen(path) + strlen(d) + 2;
                char *child = malloc(len);
                if (child != NULL) {
                    snprintf(child, len, "%s%s%s", path,
                             path[strlen(path) - 1] == '/' ? "" : "/", d);
                    snap_add_path(s, o, child, depth + 1);
                    free(child);
                }
            }
            free(names[i]);
        }
        free(names);
    }
}

/* Every value on the command line that may name a file. */
static void snap_args(snap_t *s, const audit_opts_t *o, int argc, char **argv) {
    bool skip_next = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (skip_next) {
            skip_next = false;
            if (a[0] != '-')
                continue; /* value of a PIN option: never hashed */
        }
        if (a[0] == '-') {
            const char *eq = strchr(a, '=');
            bool secret = evote_audit_arg_is_secret(a);
            if (eq != NULL) {
                if (!secret)
                    snap_add_path(s, o, eq + 1, 0);
            } else if (secret) {
                skip_next = true;
            }
            continue;
        }
        snap_add_path(s, o, a, 0);
    }
}

static bool take_opt(int *i, int argc, char **argv, const char *name,
                     const char **val) {
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return false;
    if (a[n] == '=') {
        *val = a + n + 1;
        return true;
    }
    if (a[n] == '\0' && *i + 1 < argc) {
        *val = argv[++*i];
        return true;
    }
    return false;
}

/* Remove the audit options from argv (in place); returns the new argc. */
static int strip_opts(audit_opts_t *o, int argc, char **argv) {
    int w = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                argv[w++] = argv[i++];
            break;
        }
        if (take_opt(&i, argc, argv, "--audit-log", &o->log) ||
            take_opt(&i, argc, argv, "--operator-token", &o->token) ||
            take_opt(&i, argc, argv, "--operator-key-label", &o->key_label) ||
            take_opt(&i, argc, argv, "--operator-pin-file", &o->pin_file) ||
            take_opt(&i, argc, argv, "--operator-module", &o->module) ||
            take_opt(&i, argc, argv, "--audit-manifest", &o->manifest))
            continue;
        argv[w++] = argv[i];
    }
    argv[w] = NULL;
    return w;
}

static const char *env_or(const char *v, const char *env) {
    if (v != NULL)
        return v;
    const char *e = getenv(env);
    return e != NULL && e[0] != '\0' ? e : NULL;
}

/* The step's --manifest, else --audit-manifest. */
static const char *find_manifest(const audit_opts_t *o, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int j = i;
        if (take_opt(&j, argc, argv, "--manifest", &v))
            return v;
    }
    return o->manifest;
}

static evote_err_t open_signer(const audit_opts_t *o, const char *pin, size_t pin_len,
                               evote_audit_signer_t **s) {
    const char *module = o->module != NULL ? o->module : cli_module_path(NULL);
    return evote_audit_signer_open_token(s, module, o->token, o->key_label, pin,
                                         pin_len);
}

int cli_audit_run(int (*fn)(int, char **), const char *step, int argc,
                  char **argv) {
    audit_opts_t o;
    memset(&o, 0, sizeof(o));
    argc = strip_opts(&o, argc, argv);
    o.log = env_or(o.log, "EVOTE_AUDIT_LOG");
    o.token = env_or(o.token, "EVOTE_OPERATOR_TOKEN");
    o.module = env_or(o.module, "EVOTE_OPERATOR_MODULE");
    if (o.log == NULL || cli_wants_help(argc, argv))
        return fn(argc, argv);
    if (o.token == NULL) {
        fprintf(stderr, "evote: --audit-log needs --operator-token LABEL (the "
                        "operator's own token, which signs the entry)\n");
        return 2;
    }

    int rc = 1;
    evote_err_t rv;
    char pin[256];
    size_t pin_len = 0;
    evote_audit_signer_t *signer = NULL;
    evote_audit_log_t *log = NULL;
    snap_t before = {0}, after = {0};
    evote_audit_file_t *ins = NULL, *outs = NULL;
    size_t nins = 0, nouts = 0;
    uint8_t mh[EVOTE_HASH_LEN];
    bool have_mh = false;

    /* Everything that can stop the recording is checked before the step. */
    const char *manifest = find_manifest(&o, argc, argv);
    if (manifest != NULL) {
        rv = evote_sha256_file(manifest, mh);
        if (rv != EVOTE_OK) {
            rc = cli_fail(rv, "audit: manifest");
            goto out;
        }
        have_mh = true;
    }
    rv = evote_audit_load(&log, o.log);
    if (rv == EVOTE_ERR_NOT_FOUND) {
        if (!have_mh) {
            fprintf(stderr, "evote: audit log %s does not exist yet: name the "
                            "election with --audit-manifest FILE\n",
                    o.log);
            rc = 2;
            goto out;
        }
    } else if (rv != EVOTE_OK) {
        rc = cli_fail(rv, "audit log");
        goto out;
    } else if (have_mh && evote_audit_election(log) != NULL &&
               memcmp(evote_audit_election(log), mh, EVOTE_HASH_LEN) != 0) {
        fprintf(stderr, "evote: audit log %s belongs to another election than "
                        "%s; refusing to run\n",
                o.log, manifest);
        rc = 1;
        goto out;
    }
    evote_audit_log_free(log);
    log = NULL;
    if (realpath(o.log, o.log_real) == NULL) {
        /* Not there yet: resolve its directory. */
        char dirbuf[PATH_MAX];
        snprintf(dirbuf, sizeof(dirbuf), "%s", o.log);
        char *slash = strrchr(dirbuf, '/');
        const char *base = slash ? slash + 1 : dirbuf;
        char real[PATH_MAX];
        if (slash != NULL)
            *slash = '\0';
        if (realpath(slash ? (dirbuf[0] ? dirbuf : "/") : ".", real) != NULL &&
            strlen(real) + strlen(base) + 2 <= sizeof(o.log_real)) {
            strcpy(o.log_real, real);
            strcat(o.log_real, "/");
            strcat(o.log_real, base);
        }
    }

    rv = cli_read_pin(o.pin_file, "EVOTE_OPERATOR_PIN", "Operator PIN: ", pin,
                      sizeof(pin), &pin_len);
    if (rv != EVOTE_OK) {
        rc = cli_fail(rv, "operator PIN");
        goto out;
    }
    rv = open_signer(&o, pin, pin_len, &signer);
    if (rv != EVOTE_OK) {
        rc = cli_fail(rv, "operator token");
        goto out;
    }
    evote_audit_signer_free(signer);
    signer = NULL;

    snap_args(&before, &o, argc, argv);
    g_last_err = EVOTE_OK;
    g_last_detail[0] = '\0';
    int step_rc = fn(argc, argv);
    snap_args(&after, &o, argc, argv);

    ins = calloc(before.n + 1, sizeof(*ins));
    outs = calloc(after.n + 1, sizeof(*outs));
    if (ins == NULL || outs == NULL) {
        rc = cli_fail(EVOTE_ERR_NOMEM, "audit");
        goto out;
    }
    for (size_t i = 0; i < before.n; i++)
        ins[nins++] = (evote_audit_file_t){before.f[i].path, before.f[i].sha256};
    for (size_t i = 0; i < after.n; i++) {
        const snap_file_t *b = snap_find(&before, after.f[i].path);
        if (b == NULL || memcmp(b->sha256, after.f[i].sha256, EVOTE_HASH_LEN) != 0)
            outs[nouts++] = (evote_audit_file_t){after.f[i].path, after.f[i].sha256};
    }

    const char *secrets[4] = {pin, getenv("EVOTE_PIN"), getenv("EVOTE_SO_PIN"),
                              getenv("EVOTE_OPERATOR_PIN")};
    evote_audit_event_t ev = {
        .step = step,
        .args = (const char *const *)argv + 1,
        .nargs = (size_t)argc - 1,
        .secrets = secrets,
        .nsecrets = 4,
        .inputs = ins,
        .ninputs = nins,
        .outputs = outs,
        .noutputs = nouts,
        .result = step_rc == 0 ? EVOTE_OK : g_last_err,
        .exit_status = step_rc,
        .message = step_rc == 0 ? NULL : g_last_detail,
    };
    rv = open_signer(&o, pin, pin_len, &signer);
    uint64_t seq = 0;
    if (rv == EVOTE_OK)
        rv = evote_audit_append(o.log, have_mh ? mh : NULL, &ev, signer, &seq);
    if (rv != EVOTE_OK) {
        cli_fail(rv, "audit: the step ran but could NOT be recorded");
        rc = step_rc != 0 ? step_rc : 1;
        goto out;
    }
    fprintf(stderr, "evote: audit: recorded as entry %llu of %s\n",
            (unsigned long long)seq, o.log);
    rc = step_rc;
out:
    evote_wipe(pin, sizeof(pin));
    evote_audit_signer_free(signer);
    evote_audit_log_free(log);
    snap_free(&before);
    snap_free(&after);
    free(ins);
    free(outs);
    return rc;
}
