/*
 * evote demo — the audit trail and the published election record.
 *
 * The demo plays one election official ("Demo Operator") whose key and
 * certificate live on their own SoftHSM2 token, issued by a throwaway
 * operators' CA. Every step after the token set-up is recorded in the
 * workspace's audit.log like the CLI hook records a subcommand: files of
 * the workspace before the step are its inputs, files that appeared or
 * changed are its outputs. The last step publishes DIR/record in the
 * layout of docs/PROTOCOL.md §17 and runs `evote verify` on it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "demo_record.h"

#define OP_TOKEN "evote-demo-operator"
#define OP_KEY "operator"
#define MAX_SNAP 1024
#define MAX_DEPTH 3

struct snap {
    char *rel[MAX_SNAP];
    uint8_t h[MAX_SNAP][EVOTE_HASH_LEN];
    size_t n;
};

struct demo_audit {
    char dir[PATH_MAX];
    char log[PATH_MAX + 16], ca[PATH_MAX + 16];
    evote_audit_signer_t *signer;
    struct snap before;
};

static void snap_clear(struct snap *s) {
    for (size_t i = 0; i < s->n; i++)
        free(s->rel[i]);
    s->n = 0;
}

/* Not artefacts: the token store, PINs, keys, the log itself, the record,
 * and the stand-in voters' certificates (one file per voter, the voters'
 * own; their digests are in the roll, which is an artefact). */
static bool skipped(const char *name) {
    static const char *const skip[] = {"tokens", "record", "softhsm2.conf", "voters",
                                       "operators-ca.pem", "audit.log", "audit.log.lock"};
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (strcmp(name, skip[i]) == 0)
            return true;
    return name[0] == '.' || strstr(name, ".tmp") != NULL || strstr(name, "pin") != NULL;
}

static void snap_walk(const char *dir, const char *rel, struct snap *s, int depth) {
    char path[PATH_MAX + 256];
    snprintf(path, sizeof(path), "%s%s%s", dir, rel[0] ? "/" : "", rel);
    struct dirent **names = NULL;
    int k = scandir(path, &names, NULL, alphasort);
    for (int i = 0; i < k; i++) {
        char r[PATH_MAX], p[PATH_MAX + 256];
        struct stat st;
        snprintf(r, sizeof(r), "%s%s%.255s", rel, rel[0] ? "/" : "", names[i]->d_name);
        snprintf(p, sizeof(p), "%s/%s", dir, r);
        if (!skipped(names[i]->d_name) && s->n < MAX_SNAP && stat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH)
                snap_walk(dir, r, s, depth + 1);
            else if (S_ISREG(st.st_mode) && evote_sha256_file(p, s->h[s->n]) == EVOTE_OK &&
                     (s->rel[s->n] = strdup(r)) != NULL)
                s->n++;
        }
        free(names[i]);
    }
    free(names);
}

static void snap_take(const char *dir, struct snap *s) {
    snap_clear(s);
    snap_walk(dir, "", s, 0);
    if (s->n == MAX_SNAP) /* never silently: the audit entry would miss files */
        fprintf(stderr, "evote demo: warning: more than %d files in %s; the audit entries "
                        "name only the first %d\n", MAX_SNAP, dir, MAX_SNAP);
}

static int ossl_fail(const char *what) {
    fprintf(stderr, "evote demo: %s failed (OpenSSL)\n", what);
    return 1;
}

static EVP_PKEY *p256_key(void) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); }

static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *ca_key, X509 *ca, const char *cn,
                       bool is_ca) {
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    X509V3_CTX v3;
    uint8_t serial[16];
    BIGNUM *bn = NULL;
    bool ok = x != NULL && name != NULL && RAND_bytes(serial, sizeof(serial)) == 1;
    serial[0] &= 0x7f;
    ok = ok && (bn = BN_bin2bn(serial, sizeof(serial), NULL)) != NULL &&
         BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
         X509_set_version(x, 2) == 1 &&
         X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                    (const unsigned char *)"libevote demo", -1, -1, 0) == 1 &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                    -1, 0) == 1 &&
         X509_set_subject_name(x, name) == 1 &&
         X509_set_issuer_name(x, ca != NULL ? X509_get_subject_name(ca) : name) == 1 &&
         X509_gmtime_adj(X509_getm_notBefore(x), -86400) != NULL &&
         X509_gmtime_adj(X509_getm_notAfter(x), 10L * 366 * 86400) != NULL &&
         X509_set_pubkey(x, key) == 1;
    if (ok) {
        X509V3_set_ctx(&v3, ca != NULL ? ca : x, x, NULL, NULL, 0);
        const char *bc = is_ca ? "critical,CA:TRUE" : "CA:FALSE";
        const char *ku = is_ca ? "critical,keyCertSign,cRLSign"
                               : "critical,digitalSignature,nonRepudiation";
        X509_EXTENSION *e1 = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, bc);
        X509_EXTENSION *e2 = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, ku);
        ok = e1 != NULL && e2 != NULL && X509_add_ext(x, e1, -1) == 1 &&
             X509_add_ext(x, e2, -1) == 1 &&
             X509_sign(x, ca_key, EVP_sha256()) > 0;
        X509_EXTENSION_free(e1);
        X509_EXTENSION_free(e2);
    }
    BN_free(bn);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int write_pem(const char *path, X509 *cert, EVP_PKEY *key) {
    FILE *f = fopen(path, "wx");
    if (f == NULL)
        return 1;
    if (fchmod(fileno(f), key != NULL ? 0600 : 0644) != 0) {
        fclose(f);
        return 1;
    }
    int ok = cert != NULL ? PEM_write_X509(f, cert)
                          : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    return (fclose(f) == 0 && ok == 1) ? 0 : 1;
}

/* The operators' CA, the operator's certificate, and their token. */
static int make_operator(struct demo_audit *a, const char *module, char pin[33]) {
    int rc = 1;
    EVP_PKEY *ca_key = p256_key(), *op_key = p256_key();
    X509 *ca = NULL, *op = NULL;
    char key_path[PATH_MAX + 32], cert_path[PATH_MAX + 32], so_pin[33];
    uint8_t r[16];
    evote_err_t rv;

    snprintf(key_path, sizeof(key_path), "%s/operator-key.pem", a->dir);
    snprintf(cert_path, sizeof(cert_path), "%s/operator-cert.pem", a->dir);
    if (ca_key == NULL || op_key == NULL ||
        (ca = make_cert(ca_key, ca_key, NULL, "Demo Operators CA", true)) == NULL ||
        (op = make_cert(op_key, ca_key, ca, "Demo Operator", false)) == NULL) {
        rc = ossl_fail("operator certificate");
        goto out;
    }
    if (write_pem(a->ca, ca, NULL) != 0 || write_pem(cert_path, op, NULL) != 0 ||
        write_pem(key_path, NULL, op_key) != 0) {
        fprintf(stderr, "evote demo: cannot write %s: %s\n", a->dir, strerror(errno));
        goto out;
    }
    for (int k = 0; k < 2; k++) {
        char *p = k ? so_pin : pin;
        if (RAND_bytes(r, sizeof(r)) != 1) {
            rc = ossl_fail("PIN");
            goto out;
        }
        for (size_t j = 0; j < sizeof(r); j++)
            snprintf(p + 2 * j, 3, "%02x", r[j]);
    }
    /* Like the election token's PINs, kept in the workspace (0600) so that
     * further steps can be run and recorded by hand after the demo. */
    char pin_path[PATH_MAX + 32];
    snprintf(pin_path, sizeof(pin_path), "%s/operator-pin", a->dir);
    FILE *pf = fopen(pin_path, "wx");
    bool pin_ok = pf != NULL && fchmod(fileno(pf), 0600) == 0 && fputs(pin, pf) >= 0;
    if (pf != NULL && fclose(pf) != 0)
        pin_ok = false;
    if (!pin_ok) {
        fprintf(stderr, "evote demo: cannot write %s\n", pin_path);
        goto out;
    }
    if ((rv = evote_hsm_token_init(module, OP_TOKEN, so_pin, strlen(so_pin), pin,
                                   strlen(pin))) != EVOTE_OK ||
        (rv = evote_hsm_import_key_cert(module, OP_TOKEN, pin, strlen(pin), OP_KEY, key_path,
                                        cert_path)) != EVOTE_OK) {
        rc = cli_fail(rv, "operator token");
        goto out;
    }
    rc = 0;
out:
    /* The key now lives on the token only. */
    unlink(key_path);
    unlink(cert_path);
    evote_wipe(so_pin, sizeof(so_pin));
    evote_wipe(r, sizeof(r));
    X509_free(ca);
    X509_free(op);
    EVP_PKEY_free(ca_key); /* the CA key is thrown away: it issued its only cert */
    EVP_PKEY_free(op_key);
    return rc;
}

int demo_audit_begin(struct demo_audit **out, const char *dir, const char *module) {
    struct demo_audit *a = calloc(1, sizeof(*a));
    char pin[33] = {0};
    int rc = 1;
    *out = NULL;
    if (a == NULL || strlen(dir) >= sizeof(a->dir))
        goto out;
    strcpy(a->dir, dir);
    snprintf(a->log, sizeof(a->log), "%s/audit.log", dir);
    snprintf(a->ca, sizeof(a->ca), "%s/operators-ca.pem", dir);
    if (make_operator(a, module, pin) != 0)
        goto out;
    evote_err_t rv = evote_audit_signer_open_token(&a->signer, module, OP_TOKEN, OP_KEY, pin,
                                                   strlen(pin));
    if (rv != EVOTE_OK) {
        rc = cli_fail(rv, "operator token");
        goto out;
    }
    printf("operator   \"Demo Operator\" on token \"%s\"; every step below is signed into "
           "%s\n",
           OP_TOKEN, a->log);
    *out = a;
    a = NULL;
    rc = 0;
out:
    evote_wipe(pin, sizeof(pin));
    demo_audit_free(a);
    return rc;
}

void demo_audit_before(struct demo_audit *a) {
    if (a != NULL)
        snap_take(a->dir, &a->before);
}

int demo_audit_after(struct demo_audit *a, const char *step, int step_rc,
                     const uint8_t *manifest_hash) {
    if (a == NULL || manifest_hash == NULL)
        return 0;
    struct snap after = {0};
    evote_audit_file_t ins[MAX_SNAP], outs[MAX_SNAP];
    size_t ni = 0, no = 0;
    char (*paths)[MAX_SNAP][PATH_MAX + 256] = calloc(2, sizeof(*paths));
    if (paths == NULL)
        return cli_fail(EVOTE_ERR_NOMEM, "audit");
    snap_take(a->dir, &after);
    for (size_t i = 0; i < a->before.n; i++) {
        snprintf(paths[0][ni], sizeof(paths[0][ni]), "%s/%s", a->dir, a->before.rel[i]);
        ins[ni] = (evote_audit_file_t){paths[0][ni], a->before.h[i]};
        ni++;
    }
    for (size_t i = 0; i < after.n; i++) {
        bool same = false;
        for (size_t j = 0; j < a->before.n; j++)
            same |= strcmp(a->before.rel[j], after.rel[i]) == 0 &&
                    memcmp(a->before.h[j], after.h[i], EVOTE_HASH_LEN) == 0;
        if (!same) {
            snprintf(paths[1][no], sizeof(paths[1][no]), "%s/%s", a->dir, after.rel[i]);
            outs[no] = (evote_audit_file_t){paths[1][no], after.h[i]};
            no++;
        }
    }
    char name[64];
    snprintf(name, sizeof(name), "demo %s", step);
    evote_audit_event_t ev = {.step = name,
                              .inputs = ins,
                              .ninputs = ni,
                              .outputs = outs,
                              .noutputs = no,
                              .exit_status = step_rc,
                              .result = step_rc == 0 ? EVOTE_OK : EVOTE_ERR_STATE};
    evote_err_t rv = evote_audit_append(a->log, manifest_hash, &ev, a->signer, NULL);
    snap_clear(&after);
    free(paths);
    return rv == EVOTE_OK ? 0 : cli_fail(rv, "audit");
}

static int publish(const char *record, const char *rel, const char *src);

/* Copy the directory tree src into the record at rel. */
static int publish_tree(const char *record, const char *rel, const char *src) {
    struct dirent **names = NULL;
    int k = scandir(src, &names, NULL, alphasort), rc = k < 0 ? 1 : 0;
    for (int i = 0; i < k; i++) {
        const char *d = names[i]->d_name;
        if (rc == 0 && strcmp(d, ".") != 0 && strcmp(d, "..") != 0) {
            char r[PATH_MAX], p[PATH_MAX];
            snprintf(r, sizeof(r), "%.2000s/%.255s", rel, d);
            snprintf(p, sizeof(p), "%.2000s/%.255s", src, d);
            rc = publish(record, r, p);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Copy src (a file or a directory tree) into the record at rel. */
static int publish(const char *record, const char *rel, const char *src) {
    struct stat st;
    if (stat(src, &st) == 0 && S_ISDIR(st.st_mode))
        return publish_tree(record, rel, src);
    char dst[PATH_MAX + 256];
    snprintf(dst, sizeof(dst), "%s/%s", record, rel);
    for (char *s = strchr(dst + strlen(record) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(dst, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "evote demo: mkdir %s: %s\n", dst, strerror(errno));
            return 1;
        }
        *s = '/';
    }
    FILE *in = fopen(src, "rb"), *out = NULL;
    int rc = 1;
    if (in != NULL && (out = fopen(dst, "wbx")) != NULL) {
        char buf[65536];
        size_t n;
        rc = 0;
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
            if (fwrite(buf, 1, n, out) != n)
                rc = 1;
        if (ferror(in))
            rc = 1;
    }
    if (out != NULL && fclose(out) != 0)
        rc = 1;
    if (in != NULL)
        fclose(in);
    if (rc != 0)
        fprintf(stderr, "evote demo: cannot publish %s as %s\n", src, dst);
    return rc;
}

int demo_record_publish(struct demo_audit *a, const char *record,
                        const struct demo_record_file *files, size_t n) {
    if (mkdir(record, 0755) != 0) {
        fprintf(stderr, "evote demo: mkdir %s: %s\n", record, strerror(errno));
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        if (publish(record, files[i].rel, files[i].src) != 0)
            return 1;
    if (a != NULL && (publish(record, "audit/audit.log", a->log) != 0 ||
                      publish(record, "audit/operators-ca.pem", a->ca) != 0))
        return 1;
    /* Check it as an auditor would. */
    evote_record_report_t *r = NULL;
    evote_err_t rv = evote_record_verify(&r, record, NULL);
    if (rv != EVOTE_OK)
        return cli_fail(rv, "verify");
    size_t pass = 0, absent = 0;
    for (size_t i = 0; i < evote_record_check_count(r); i++) {
        evote_check_status_t s = evote_record_check_status(r, i);
        pass += s == EVOTE_CHECK_PASS;
        absent += s == EVOTE_CHECK_ABSENT;
        if (s == EVOTE_CHECK_FAIL || s == EVOTE_CHECK_UNCHECKED)
            fprintf(stderr, "evote demo: record check %s: %s: %s\n",
                    evote_record_check_id(r, i), evote_check_status_name(s),
                    evote_record_check_detail(r, i));
    }
    bool ok = evote_record_report_ok(r, false);
    printf("record     %s: evote verify %s (%zu checks pass, %zu not part of this demo)\n",
           record, ok ? "PASS" : "FAIL", pass, absent);
    printf("           check it yourself: evote verify %s\n", record);
    evote_record_report_free(r);
    return ok ? 0 : 1;
}

void demo_audit_free(struct demo_audit *a) {
    if (a == NULL)
        return;
    evote_audit_signer_free(a->signer);
    snap_clear(&a->before);
    free(a);
}
