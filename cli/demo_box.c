/*
 * evote demo — the ballot-box steps: three officials with their own
 * SoftHSM2 tokens, `evote box open` by two of them before voting, ballots
 * into the store, a signed tree head and a voter receipt, `evote box close`,
 * `export` to "media" and `import` into a separate directory that stands in
 * for the air-gapped machine; counting then reads the imported lists.
 *
 * The ceremonies run as `evote box …` child processes, as officials would
 * run them, so that the officials' tokens never share a PKCS#11 module
 * instance with the election key the demo holds open.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "demo_box.h"
#include "demo_util.h"

#define BATCH DEMO_BOX_BATCH

static int fail(const char *what, evote_err_t rv) { return cli_fail(rv, what); }

static int write_secret(const char *path, const char *text) {
    FILE *f = fopen(path, "wx");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "evote demo: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    return chmod(path, 0600) == 0 ? 0 : 1;
}

/* A P-256 key and a self-signed certificate with CN=id (the official's
 * identity; the manifest pins its SHA-256). */
static int make_official_cert(const char *id, const char *key_path, const char *cert_path,
                              char sha_hex[65]) {
    int rc = 1;
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_EXTENSION *ext = NULL;
    FILE *f = NULL;
    unsigned char *der = NULL;
    int derlen;
    uint8_t h[32];
    if (k == NULL || x == NULL)
        goto out;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
    X509_gmtime_adj(X509_getm_notBefore(x), -24 * 3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 24 * 3600);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"evote demo", -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)id, -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, k);
    ext = X509V3_EXT_conf_nid(NULL, NULL, NID_key_usage, "critical,digitalSignature");
    if (ext == NULL || X509_add_ext(x, ext, -1) != 1 || X509_sign(x, k, EVP_sha256()) <= 0)
        goto out;
    f = fopen(key_path, "wx");
    if (f == NULL || PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1)
        goto out;
    fclose(f);
    f = NULL;
    chmod(key_path, 0600);
    f = fopen(cert_path, "wx");
    if (f == NULL || PEM_write_X509(f, x) != 1)
        goto out;
    fclose(f);
    f = NULL;
    derlen = i2d_X509(x, &der);
    if (derlen <= 0 || evote_sha256(der, (size_t)derlen, h) != EVOTE_OK)
        goto out;
    for (int i = 0; i < 32; i++)
        snprintf(sha_hex + 2 * i, 3, "%02x", h[i]);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "evote demo: cannot make the certificate of %s\n", id);
    if (f != NULL)
        fclose(f);
    OPENSSL_free(der);
    X509_EXTENSION_free(ext);
    X509_free(x);
    EVP_PKEY_free(k);
    return rc;
}

int demo_box_officials(struct demo_box *b, const char *dir, const char *module) {
    snprintf(b->dir, sizeof(b->dir), "%s", dir);
    b->module = module;
    snprintf(b->store, sizeof(b->store), "%s/store.sqlite", dir);
    snprintf(b->boxdir, sizeof(b->boxdir), "%s/box", dir);
    snprintf(b->media, sizeof(b->media), "%s/media", dir);
    snprintf(b->airgap, sizeof(b->airgap), "%s/airgap", dir);
    for (int i = 0; i < DEMO_OFFICIALS; i++) {
        char id[32], key[PATH_MAX], pin[33], so[33];
        snprintf(id, sizeof(id), "official-%d", i + 1);
        snprintf(key, sizeof(key), "%s/%s.key.pem", dir, id);
        snprintf(b->cert[i], sizeof(b->cert[i]), "%s/%s.cert.pem", dir, id);
        snprintf(b->pin[i], sizeof(b->pin[i]), "%s/%s.pin", dir, id);
        if (make_official_cert(id, key, b->cert[i], b->cert_sha[i]) != 0 ||
            demo_random_pin(pin) != 0 || demo_random_pin(so) != 0 || write_secret(b->pin[i], pin) != 0)
            return 1;
        /* Token initialisation and import in a child: this process must not
         * hold the module initialised when the election token opens. */
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) {
            evote_err_t rv = evote_hsm_token_init(module, id, so, strlen(so), pin, strlen(pin));
            if (rv == EVOTE_OK)
                rv = evote_hsm_import_key_cert(module, id, pin, strlen(pin), "sign", key,
                                               b->cert[i]);
            if (rv != EVOTE_OK)
                cli_fail(rv, id);
            _exit(rv == EVOTE_OK ? 0 : 1);
        }
        int st = 0;
        evote_wipe(pin, sizeof(pin));
        evote_wipe(so, sizeof(so));
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return 1;
        /* The key now lives on the token only. */
        unlink(key);
        printf("official   %s: token \"%s\", certificate SHA-256 %.16s…\n", id, id,
               b->cert_sha[i]);
    }
    return 0;
}

int demo_box_write_manifest(const struct demo_box *b, const char *path, const char *base) {
    /* base ends with "  ]\n}\n": keep the contests, add officials and policy. */
    const char *end = strrchr(base, '}');
    FILE *f = fopen(path, "wx");
    if (end == NULL || f == NULL)
        return 1;
    fwrite(base, 1, (size_t)(end - base), f);
    fprintf(f, "  ,\"officials\": [\n");
    for (int i = 0; i < DEMO_OFFICIALS; i++)
        fprintf(f, "    {\"id\": \"official-%d\", \"name\": \"選挙管理委員 %d\", "
                   "\"cert_sha256\": \"%s\"}%s\n",
                i + 1, i + 1, b->cert_sha[i], i + 1 < DEMO_OFFICIALS ? "," : "");
    fprintf(f, "  ],\n  \"trustees\": [");
    for (int i = 0; i < DEMO_TRUSTEES; i++)
        fprintf(f, "%s{\"id\": \"trustee-%d\", \"name\": \"開票管理者 %d\"}", i ? ", " : "",
                i + 1, i + 1);
    fprintf(f, "],\n"
               "  \"policy\": {\"open\": 2, \"close\": 2, \"export\": 2, \"decrypt\": 2}\n}\n");
    return fclose(f) == 0 ? 0 : 1;
}

/* Run `evote ARGS…` (this very program) and wait for it. */
static int run_evote(const char *const *args) {
    char *argv[64];
    size_t n = 0;
    argv[n++] = "evote";
    for (; args[n - 1] != NULL && n < 63; n++)
        argv[n] = (char *)args[n - 1];
    argv[n] = NULL;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
        fprintf(stderr, "evote demo: `evote %s %s` did not finish\n", argv[1], argv[2]);
        return 1;
    }
    return WEXITSTATUS(st);
}

#define COMMON(b, manifest, pubkey)                                                     \
    "--store", (b)->store, "--dir", (b)->boxdir, "--manifest", (manifest), "--public-key", \
        (pubkey)
#define OFFICIAL(b, i) "--token", "official-" #i, "--pin-file", (b)->pin[(i)-1]

int demo_box_open(struct demo_box *b, const char *manifest, const char *pubkey) {
    evote_err_t rv;
    const char *open[] = {"box", "open", COMMON(b, manifest, pubkey), OFFICIAL(b, 1),
                          OFFICIAL(b, 2), NULL};
    printf("box open   officials 1 and 2 sign the opening statement (zero-vote check):\n");
    if (run_evote(open) != 0)
        return 1;
    if ((rv = evote_store_open_sqlite(&b->s, b->store)) != EVOTE_OK)
        return fail("store", rv);
    return 0;
}

int demo_box_flush(struct demo_box *b) {
    evote_err_t rv, results[BATCH];
    uint64_t seq[BATCH];
    size_t added;
    if (b->nbatch == 0)
        return 0;
    evote_roll_entry_t roll[BATCH];
    const char *contests[BATCH][1];
    for (size_t i = 0; i < b->nbatch; i++) {
        contests[i][0] = b->items[i].contest;
        memset(&roll[i], 0, sizeof(roll[i]));
        memcpy(roll[i].voter_key, b->items[i].voter_key, 32);
        memcpy(roll[i].ident_key, b->ident[i], 32);
        roll[i].ncontests = 1;
        roll[i].contests = contests[i];
        roll[i].line = i + 1;
    }
    if ((rv = evote_store_roll_import(b->s, roll, b->nbatch, &added)) != EVOTE_OK)
        return fail("roll", rv);
    if ((rv = evote_store_append(b->s, b->items, b->nbatch, results, seq)) != EVOTE_OK)
        return fail("store append", rv);
    for (size_t i = 0; i < b->nbatch; i++)
        if (results[i] != EVOTE_OK)
            return fail("store append", results[i]);
    b->nbatch = 0;
    return 0;
}

/* Until reception's own demo step sends signed ballots through
 * evote_receiver_*, the demo appends each verified ballot to the store
 * itself, for a voter of its own (one ballot each), in batches. */
int demo_box_add(struct demo_box *b, const char *contest, const uint8_t *ballot, size_t len,
                 const uint8_t c1[EVOTE_POINT_LEN]) {
    evote_err_t rv;
    char voter[64];
    if (len > EVOTE_BALLOT_MAX)
        return fail("ballot", EVOTE_ERR_TOO_LARGE);
    evote_store_append_t *it = &b->items[b->nbatch];
    memset(it, 0, sizeof(*it));
    snprintf(voter, sizeof(voter), "demo-voter-%llu", (unsigned long long)b->voters++);
    if ((rv = evote_roll_voter_key(voter, it->voter_key)) != EVOTE_OK ||
        (rv = evote_roll_ident_key(voter, b->ident[b->nbatch])) != EVOTE_OK ||
        (rv = evote_merkle_leaf_hash(ballot, len, it->leaf_hash)) != EVOTE_OK)
        return fail("ballot", rv);
    snprintf(it->contest, sizeof(it->contest), "%s", contest);
    memcpy(b->bytes[b->nbatch], ballot, len);
    it->ballot = b->bytes[b->nbatch];
    it->ballot_len = len;
    memcpy(it->c1, c1, EVOTE_POINT_LEN);
    if (b->first_len == 0 && len > 0) {
        memcpy(b->first, ballot, len);
        b->first_len = len;
        snprintf(b->first_contest, sizeof(b->first_contest), "%s", contest);
    }
    if (++b->nbatch == BATCH)
        return demo_box_flush(b);
    return 0;
}

int demo_box_close(struct demo_box *b, const char *manifest, const char *pubkey) {
    char code[65], receipt[PATH_MAX], ballot[PATH_MAX];
    uint8_t h[32];
    if (demo_box_flush(b) != 0)
        return 1;
    evote_store_free(b->s);
    b->s = NULL;
    /* A signed tree head and one voter's receipt, checked as a voter would. */
    if (b->first_len > 0) {
        const char *sth[] = {"box", "sth", COMMON(b, manifest, pubkey), "--contest",
                             b->first_contest, OFFICIAL(b, 2), OFFICIAL(b, 3), NULL};
        printf("box sth    signed tree head of %s (officials 2 and 3):\n", b->first_contest);
        if (run_evote(sth) != 0)
            return 1;
        if (evote_sha256(b->first, b->first_len, h) != EVOTE_OK)
            return 1;
        for (int i = 0; i < 32; i++)
            snprintf(code + 2 * i, 3, "%02x", h[i]);
        snprintf(receipt, sizeof(receipt), "%s/receipt-0.json", b->dir);
        snprintf(ballot, sizeof(ballot), "%s/ballot-0.bin", b->dir);
        FILE *f = fopen(ballot, "wx");
        if (f == NULL || fwrite(b->first, 1, b->first_len, f) != b->first_len || fclose(f) != 0)
            return 1;
        const char *rec[] = {"box", "receipt", COMMON(b, manifest, pubkey), "--contest",
                             b->first_contest, "--tracking-code", code, "--out", receipt, NULL};
        const char *ver[] = {"box", "receipt", "--verify", receipt, "--manifest", manifest,
                             "--ballot", ballot, NULL};
        printf("receipt    voter 0, tracking code %.16s…:\n", code);
        if (run_evote(rec) != 0 || run_evote(ver) != 0)
            return 1;
    }
    const char *close[] = {"box", "close", COMMON(b, manifest, pubkey), OFFICIAL(b, 1),
                           OFFICIAL(b, 3), NULL};
    const char *exp[] = {"box", "export", COMMON(b, manifest, pubkey), "--out", b->media,
                         OFFICIAL(b, 1), OFFICIAL(b, 2), NULL};
    const char *imp[] = {"box", "import", "--bundle", b->media, "--out", b->airgap,
                         "--manifest", manifest, NULL};
    printf("box close  officials 1 and 3 sign the final heads:\n");
    if (run_evote(close) != 0)
        return 1;
    printf("box export officials 1 and 2 sign the bundle's index:\n");
    if (run_evote(exp) != 0)
        return 1;
    printf("box import on the \"air-gapped\" side (%s):\n", b->airgap);
    return run_evote(imp);
}

void demo_box_list_path(const struct demo_box *b, const char *contest, char *out, size_t cap) {
    snprintf(out, cap, "%s/ciphertexts/%s.bt", b->airgap, contest);
}

void demo_box_free(struct demo_box *b) {
    evote_store_free(b->s);
    b->s = NULL;
}

/* Officials 1 and 2 approve decrypting exactly list (PROTOCOL §15): each
 * signs the authorisation auth (created by the first) with their own token,
 * as `evote decrypt authorize` run by the official; sig[i] receives the
 * signature paths. */
int demo_box_approve(const struct demo_box *b, const char *manifest, const char *contest,
                     const char *list, const char *auth, char sig[2][PATH_MAX]) {
    for (int i = 0; i < 2; i++) {
        snprintf(sig[i], PATH_MAX, "%s.official-%d.p7s", auth, i + 1);
        char token[32];
        snprintf(token, sizeof(token), "official-%d", i + 1);
        const char *args[] = {"decrypt", "authorize", "--manifest", manifest, "--contest",
                              contest, "--input", list, "--authorization", auth,
                              "--signature-out", sig[i], "--token", token, "--key-label", "sign",
                              "--pin-file", b->pin[i], NULL};
        if (run_evote(args) != 0)
            return 1;
    }
    return 0;
}

int demo_run_evote(const char *const *args) { return run_evote(args); }
