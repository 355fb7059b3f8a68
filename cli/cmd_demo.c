/*
 * evote demo — a whole practice election in a fresh directory: SoftHSM2
 * token, key generation inside it, a two-contest manifest, random ballots
 * (each proof verified), ciphertext lists, decryption through the token,
 * tally, and a check that the tally equals what was cast.
 *
 * The election is a list of small steps (see `steps` below) sharing one
 * struct demo, so that later ceremonies (signing and reception, ballot box
 * open/close/export/import, mixing, trustees) slot in as further steps.
 */
#define _GNU_SOURCE /* nftw's FTW_DEPTH/FTW_PHYS */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cli_hsm.h"
#include "commands.h"

#define DEMO_TOKEN "evote-demo"
#define DEMO_KEY "election-key"
#define DEMO_MAX_CONTESTS 8
#define DEMO_MAX_BALLOTS 10000000ul

struct contest_run {
    const char *id;
    size_t index, noptions;
    uint64_t *cast; /* votes cast per option */
    evote_ct_t *cts;
    size_t ncts;
    char list_path[PATH_MAX], plaintexts_path[PATH_MAX], tally_path[PATH_MAX];
    evote_tally_t *tally;
    uint8_t *ballots; /* ballot bytes of voter i at i * EVOTE_BALLOT_MAX */
    size_t *blens;
};

/* Voters, their cards and reception (see step_voters, step_sign, step_receive). */
struct demo_rx {
    char voters_dir[PATH_MAX], ca_path[PATH_MAX], roll_path[PATH_MAX],
        store_path[PATH_MAX], card_pin_path[PATH_MAX];
    char card_pin[33];
    evote_store_t *store;
    evote_signer_t *signer; /* freed last: libp11 finalizes the module */
    uint8_t **msgs;         /* signed ballot of voter i, contest c at 2*i + c */
    size_t *lens;
    size_t nmsgs;
};

struct demo {
    /* options */
    unsigned long ballots;
    unsigned long threads, sessions;
    const char *module;
    bool keep;
    /* workspace */
    char dir[PATH_MAX - 64];
    bool dir_made;
    char conf[PATH_MAX], manifest_path[PATH_MAX], pubkey_path[PATH_MAX],
        record_path[PATH_MAX], pin_path[PATH_MAX], so_pin_path[PATH_MAX];
    char pin[33], so_pin[33];
    /* election */
    evote_manifest_t *m;
    evote_hsm_t *hsm;
    uint8_t pk[EVOTE_POINT_LEN];
    struct contest_run contests[DEMO_MAX_CONTESTS];
    size_t ncontests;
    struct demo_rx rx;
};

static const char DEMO_MANIFEST[] =
    "{\n"
    "  \"format\": \"libevote-manifest/1\",\n"
    "  \"election_id\": \"demo-2026-shugiin\",\n"
    "  \"title\": \"第52回衆議院議員総選挙（在外投票・模擬）\",\n"
    "  \"voting_window\": {\"opens\": \"2026-01-01T08:30:00+09:00\",\n"
    "                    \"closes\": \"2036-12-31T20:00:00+09:00\"},\n"
    "  \"contests\": [\n"
    "    {\"id\": \"district-tokyo-1\", \"title\": \"小選挙区 東京都第1区\",\n"
    "     \"kind\": \"district\", \"options\": [\n"
    "       {\"id\": \"c1\", \"name\": \"山田 太郎\"},\n"
    "       {\"id\": \"c2\", \"name\": \"佐藤 花子\"},\n"
    "       {\"id\": \"c3\", \"name\": \"鈴木 一郎\"},\n"
    "       {\"id\": \"c4\", \"name\": \"高橋 美咲\"}]},\n"
    "    {\"id\": \"proportional-tokyo\", \"title\": \"比例代表 東京都ブロック\",\n"
    "     \"kind\": \"proportional\", \"options\": [\n"
    "       {\"id\": \"p1\", \"name\": \"みらい党\"},\n"
    "       {\"id\": \"p2\", \"name\": \"さくら党\"},\n"
    "       {\"id\": \"p3\", \"name\": \"あおば党\"},\n"
    "       {\"id\": \"p4\", \"name\": \"つばさ党\"},\n"
    "       {\"id\": \"p5\", \"name\": \"ひかり党\"},\n"
    "       {\"id\": \"p6\", \"name\": \"市民の会\"}]}\n"
    "  ]\n"
    "}\n";

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const char *step, evote_err_t rv) { return cli_fail(rv, step); }

static int sys_fail(const char *what, const char *path) {
    fprintf(stderr, "evote demo: %s %s: %s\n", what, path, strerror(errno));
    return 1;
}

static int write_text(const char *path, const char *text, mode_t mode) {
    FILE *f = fopen(path, "wx");
    if (f == NULL)
        return sys_fail("create", path);
    if (fchmod(fileno(f), mode) != 0 || fputs(text, f) < 0) {
        fclose(f);
        return sys_fail("write", path);
    }
    if (fclose(f) != 0)
        return sys_fail("write", path);
    return 0;
}

/* A random PIN of 32 hex digits (the token is thrown away with the demo). */
static int random_pin(char out[33]) {
    uint8_t r[16];
    if (RAND_bytes(r, sizeof(r)) != 1)
        return 1;
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    evote_wipe(r, sizeof(r));
    return 0;
}

/* Uniform in [0, n) by rejection: no modulo bias. */
static int random_below(uint32_t n, uint32_t *out) {
    uint32_t limit = UINT32_MAX - UINT32_MAX % n, v;
    do {
        if (RAND_bytes((uint8_t *)&v, sizeof(v)) != 1)
            return 1;
    } while (v >= limit);
    *out = v % n;
    return 0;
}

/* ---- steps -------------------------------------------------------------- */

static int step_workspace(struct demo *d) {
    if (d->dir[0] != '\0') {
        if (mkdir(d->dir, 0700) != 0)
            return sys_fail("create directory", d->dir);
    } else {
        const char *base = getenv("TMPDIR");
        snprintf(d->dir, sizeof(d->dir), "%s/evote-demo-XXXXXX",
                 base != NULL && base[0] != '\0' ? base : "/tmp");
        if (mkdtemp(d->dir) == NULL)
            return sys_fail("create directory", d->dir);
    }
    d->dir_made = true;
    snprintf(d->conf, sizeof(d->conf), "%s/softhsm2.conf", d->dir);
    snprintf(d->manifest_path, sizeof(d->manifest_path), "%s/manifest.json", d->dir);
    snprintf(d->pubkey_path, sizeof(d->pubkey_path), "%s/election-key.pem", d->dir);
    snprintf(d->record_path, sizeof(d->record_path), "%s/keygen-record.json", d->dir);
    snprintf(d->pin_path, sizeof(d->pin_path), "%s/user-pin", d->dir);
    snprintf(d->so_pin_path, sizeof(d->so_pin_path), "%s/so-pin", d->dir);
    printf("workspace  %s%s\n", d->dir, d->keep ? "" : " (removed at the end; --keep keeps it)");
    return 0;
}

static int step_token(struct demo *d) {
    char tokens[PATH_MAX], conf[PATH_MAX + 256];
    evote_err_t rv;
    snprintf(tokens, sizeof(tokens), "%s/tokens", d->dir);
    if (mkdir(tokens, 0700) != 0)
        return sys_fail("create directory", tokens);
    /* Same content as pkcs11-config/softhsm2.conf.in: the token store lives
     * in the workspace, never in the system's token directory. */
    snprintf(conf, sizeof(conf),
             "# SoftHSM2 configuration of one evote demo (generated)\n"
             "directories.tokendir = %s\n"
             "objectstore.backend = file\n"
             "log.level = ERROR\n"
             "slots.removable = false\n",
             tokens);
    if (write_text(d->conf, conf, 0600) != 0)
        return 1;
    setenv("SOFTHSM2_CONF", d->conf, 1);
    if (random_pin(d->so_pin) != 0 || random_pin(d->pin) != 0)
        return fail("token PINs", EVOTE_ERR_RANDOM);
    if (write_text(d->so_pin_path, d->so_pin, 0600) != 0 ||
        write_text(d->pin_path, d->pin, 0600) != 0)
        return 1;
    rv = evote_hsm_token_init(d->module, DEMO_TOKEN, d->so_pin, strlen(d->so_pin), d->pin,
                              strlen(d->pin));
    evote_wipe(d->so_pin, sizeof(d->so_pin));
    if (rv != EVOTE_OK)
        return fail("token init", rv);
    printf("token      \"%s\" in %s/tokens (module %s; PINs in %s, %s)\n", DEMO_TOKEN, d->dir,
           d->module, d->so_pin_path, d->pin_path);
    return 0;
}

static int step_manifest(struct demo *d) {
    evote_err_t rv;
    if (write_text(d->manifest_path, DEMO_MANIFEST, 0644) != 0)
        return 1;
    if ((rv = evote_manifest_load(&d->m, d->manifest_path)) != EVOTE_OK)
        return fail("manifest", rv);
    d->ncontests = evote_manifest_contest_count(d->m);
    if (d->ncontests > DEMO_MAX_CONTESTS)
        return fail("manifest", EVOTE_ERR_TOO_LARGE);
    const uint8_t *h = evote_manifest_hash(d->m);
    printf("manifest   %s — %s, %zu contests, SHA-256 ", evote_manifest_election_id(d->m),
           evote_manifest_title(d->m), d->ncontests);
    for (int i = 0; i < EVOTE_HASH_LEN; i++)
        printf("%02x", h[i]);
    printf("\n");
    for (size_t i = 0; i < d->ncontests; i++) {
        struct contest_run *c = &d->contests[i];
        c->id = evote_manifest_contest_id(d->m, i);
        c->index = i;
        c->noptions = evote_manifest_option_count(d->m, i);
        c->cast = calloc(c->noptions, sizeof(*c->cast));
        c->cts = calloc(d->ballots, sizeof(*c->cts));
        c->ballots = calloc(d->ballots, EVOTE_BALLOT_MAX);
        c->blens = calloc(d->ballots, sizeof(*c->blens));
        if (c->cast == NULL || c->cts == NULL || c->ballots == NULL || c->blens == NULL)
            return fail("manifest", EVOTE_ERR_NOMEM);
        snprintf(c->list_path, sizeof(c->list_path), "%s/%s.ciphertexts.bt", d->dir, c->id);
        snprintf(c->plaintexts_path, sizeof(c->plaintexts_path), "%s/%s.plaintexts", d->dir,
                 c->id);
        snprintf(c->tally_path, sizeof(c->tally_path), "%s/%s.tally.json", d->dir, c->id);
    }
    return 0;
}

/* ---- voters, their cards, signing and reception (issue 3) --------------- */

#define DEMO_CARDS "voter-cards"
#define DEMO_RSA_VOTERS 2 /* the first voters hold RSA-2048 keys, the rest P-256 */

static void demo_rx_free(struct demo_rx *rx) {
    for (size_t i = 0; i < rx->nmsgs; i++)
        free(rx->msgs[i]);
    free(rx->msgs);
    free(rx->lens);
    evote_store_free(rx->store);
    evote_signer_free(rx->signer);
    evote_wipe(rx->card_pin, sizeof(rx->card_pin));
    memset(rx, 0, sizeof(*rx));
}

static X509 *demo_cert(X509 *ca, EVP_PKEY *cakey, EVP_PKEY *key, const char *sn,
                       const char *cn, uint64_t serial) {
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    X509V3_CTX ctx;
    bool ok = x != NULL && name != NULL;
    ok = ok && X509_set_version(x, 2) == 1 &&
         ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) == 1 &&
         X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1,
                                    -1, 0) == 1 &&
         (sn == NULL || X509_NAME_add_entry_by_txt(name, "serialNumber", MBSTRING_ASC,
                                                   (const unsigned char *)sn, -1, -1, 0) == 1) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                    -1, 0) == 1 &&
         X509_set_subject_name(x, name) == 1 &&
         X509_set_issuer_name(x, ca != NULL ? X509_get_subject_name(ca) : name) == 1 &&
         ASN1_TIME_set_string(X509_getm_notBefore(x), "20200101000000Z") == 1 &&
         ASN1_TIME_set_string(X509_getm_notAfter(x), "20400101000000Z") == 1 &&
         X509_set_pubkey(x, key) == 1;
    X509_NAME_free(name);
    if (ok) {
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, ca != NULL ? ca : x, x, NULL, NULL, 0);
        const char *ext[][2] = {
            {"basicConstraints", ca ? "critical,CA:FALSE" : "critical,CA:TRUE"},
            {"keyUsage", ca ? "critical,digitalSignature,nonRepudiation"
                            : "critical,keyCertSign,cRLSign"},
            {"subjectKeyIdentifier", "hash"},
            {"authorityKeyIdentifier", ca ? "keyid" : NULL},
        };
        for (size_t i = 0; ok && i < sizeof(ext) / sizeof(ext[0]); i++) {
            if (ext[i][1] == NULL)
                continue;
            X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, ext[i][0], ext[i][1]);
            ok = e != NULL && X509_add_ext(x, e, -1) == 1;
            X509_EXTENSION_free(e);
        }
        ok = ok && X509_sign(x, cakey, EVP_sha256()) > 0;
    }
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int demo_write_pem(const char *path, EVP_PKEY *key, X509 *cert) {
    FILE *f = fopen(path, "wx");
    if (f == NULL)
        return sys_fail("create", path);
    if (fchmod(fileno(f), key ? 0600 : 0644) != 0 ||
        (key != NULL && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1) ||
        (cert != NULL && PEM_write_X509(f, cert) != 1)) {
        fclose(f);
        return sys_fail("write", path);
    }
    return fclose(f) == 0 ? 0 : sys_fail("write", path);
}

/*
 * The voters: a stand-in national-ID CA, one key and certificate per voter
 * (RSA-2048 for the first ones, as on ID cards, P-256 for the rest), the
 * keys on a SoftHSM2 token that plays the voters' cards, the roll, and a
 * ballot store with both boxes open.
 */
static int step_voters(struct demo *d) {
    struct demo_rx *rx = &d->rx;
    evote_err_t rv;
    EVP_PKEY *cakey = NULL, *key = NULL;
    X509 *ca = NULL, *cert = NULL;
    char **labels = NULL, **keys = NULL, **certs = NULL, *csv = NULL, so_pin[33];
    size_t off = 0, cap = 128 + d->ballots * 200;
    int rc = 1;
    double t0 = now();

    snprintf(rx->voters_dir, sizeof(rx->voters_dir), "%s/voters", d->dir);
    snprintf(rx->ca_path, sizeof(rx->ca_path), "%s/voter-ca.pem", d->dir);
    snprintf(rx->roll_path, sizeof(rx->roll_path), "%s/roll.csv", d->dir);
    snprintf(rx->store_path, sizeof(rx->store_path), "%s/ballot-box.db", d->dir);
    snprintf(rx->card_pin_path, sizeof(rx->card_pin_path), "%s/voter-cards-pin", d->dir);
    if (mkdir(rx->voters_dir, 0700) != 0)
        return sys_fail("create directory", rx->voters_dir);
    cakey = EVP_EC_gen("P-256");
    ca = cakey ? demo_cert(NULL, cakey, cakey, NULL, "Demo National ID CA", 1) : NULL;
    labels = calloc(d->ballots, sizeof(*labels));
    keys = calloc(d->ballots, sizeof(*keys));
    certs = calloc(d->ballots, sizeof(*certs));
    csv = malloc(cap);
    if (ca == NULL || labels == NULL || keys == NULL || certs == NULL || csv == NULL) {
        fail("voter CA", EVOTE_ERR_CRYPTO);
        goto out;
    }
    if (demo_write_pem(rx->ca_path, NULL, ca) != 0)
        goto out;
    off += (size_t)snprintf(csv, cap, "voter_id,identity,contests\n");
    for (unsigned long i = 0; i < d->ballots; i++) {
        char sn[32], cn[64], path[PATH_MAX];
        snprintf(sn, sizeof(sn), "JP%010lu", 1000000 + i);
        snprintf(cn, sizeof(cn), "在外 有権者 %lu", i + 1);
        key = i < DEMO_RSA_VOTERS ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
        cert = key ? demo_cert(ca, cakey, key, sn, cn, 1000 + i) : NULL;
        if (cert == NULL) {
            fail("voter certificate", EVOTE_ERR_CRYPTO);
            goto out;
        }
        if (asprintf(&labels[i], "voter-%05lu", i + 1) < 0 ||
            asprintf(&keys[i], "%s/%s.key", rx->voters_dir, labels[i]) < 0 ||
            asprintf(&certs[i], "%s/%s.pem", rx->voters_dir, labels[i]) < 0) {
            fail("voters", EVOTE_ERR_NOMEM);
            goto out;
        }
        if (demo_write_pem(keys[i], key, NULL) != 0 || demo_write_pem(certs[i], NULL, cert) != 0)
            goto out;
        /* the roll names half the voters by certificate hash, half by
         * issuer and serial (both forms of docs/PROTOCOL.md §10) */
        if (i % 2 == 0) {
            uint8_t *der = NULL, h[EVOTE_HASH_LEN];
            int n = i2d_X509(cert, &der);
            if (n <= 0 || evote_sha256(der, (size_t)n, h) != EVOTE_OK) {
                OPENSSL_free(der);
                fail("voter certificate", EVOTE_ERR_CRYPTO);
                goto out;
            }
            OPENSSL_free(der);
            off += (size_t)snprintf(csv + off, cap - off, "demo-%s,sha256:", labels[i]);
            for (int j = 0; j < EVOTE_HASH_LEN; j++)
                off += (size_t)snprintf(csv + off, cap - off, "%02x", h[j]);
        } else {
            off += (size_t)snprintf(csv + off, cap - off,
                                    "demo-%s,\"issuer-serial:%lx:CN=Demo National ID CA,C=JP\"",
                                    labels[i], 1000 + i);
        }
        off += (size_t)snprintf(csv + off, cap - off, ",%s %s\n", d->contests[0].id,
                                d->ncontests > 1 ? d->contests[1].id : "");
        EVP_PKEY_free(key);
        X509_free(cert);
        key = NULL;
        cert = NULL;
        (void)path;
    }
    if (write_text(rx->roll_path, csv, 0600) != 0)
        goto out;
    /* the voters' cards */
    if (random_pin(so_pin) != 0 || random_pin(rx->card_pin) != 0) {
        fail("card PINs", EVOTE_ERR_RANDOM);
        goto out;
    }
    if (write_text(rx->card_pin_path, rx->card_pin, 0600) != 0)
        goto out;
    rv = evote_hsm_token_init(d->module, DEMO_CARDS, so_pin, strlen(so_pin), rx->card_pin,
                              strlen(rx->card_pin));
    evote_wipe(so_pin, sizeof(so_pin));
    if (rv != EVOTE_OK) {
        fail("voter cards", rv);
        goto out;
    }
    if ((rv = evote_hsm_import_key_certs(d->module, DEMO_CARDS, rx->card_pin,
                                         strlen(rx->card_pin), d->ballots,
                                         (const char *const *)labels, (const char *const *)keys,
                                         (const char *const *)certs)) != EVOTE_OK) {
        fail("voter cards", rv);
        goto out;
    }
    /* the keys live on the cards now */
    for (unsigned long i = 0; i < d->ballots; i++)
        if (unlink(keys[i]) != 0) {
            sys_fail("remove", keys[i]);
            goto out;
        }
    /* roll and boxes */
    const char *ids[DEMO_MAX_CONTESTS];
    evote_roll_t *roll = NULL;
    size_t added = 0;
    for (size_t i = 0; i < d->ncontests; i++)
        ids[i] = d->contests[i].id;
    if ((rv = evote_store_open_sqlite(&rx->store, rx->store_path)) != EVOTE_OK ||
        (rv = evote_roll_load(&roll, rx->roll_path, ids, d->ncontests)) != EVOTE_OK ||
        (rv = evote_roll_import(rx->store, roll, &added)) != EVOTE_OK) {
        evote_roll_free(roll);
        fail("roll", rv);
        goto out;
    }
    evote_roll_free(roll);
    for (size_t i = 0; i < d->ncontests; i++) {
        evote_box_info_t info;
        if ((rv = evote_store_box_get(rx->store, ids[i], &info)) != EVOTE_OK) {
            fail("box", rv);
            goto out;
        }
        bool open = info.state == EVOTE_BOX_OPEN;
        evote_box_info_clear(&info);
        if (!open && (rv = evote_store_box_open(rx->store, ids[i])) != EVOTE_OK) {
            fail("box", rv);
            goto out;
        }
    }
    printf("voters     %lu voters (%d RSA-2048, the rest P-256) certified by %s; keys on the\n"
           "           token \"%s\" (their cards); roll %s (%zu voters); boxes open in %s "
           "(%.1f s)\n",
           d->ballots, d->ballots < DEMO_RSA_VOTERS ? (int)d->ballots : DEMO_RSA_VOTERS,
           rx->ca_path, DEMO_CARDS, rx->roll_path, added, rx->store_path, now() - t0);
    rc = 0;
out:
    for (unsigned long i = 0; i < d->ballots && labels != NULL; i++) {
        free(labels[i]);
        if (keys != NULL)
            free(keys[i]);
        if (certs != NULL)
            free(certs[i]);
    }
    free(labels);
    free(keys);
    free(certs);
    free(csv);
    EVP_PKEY_free(key);
    X509_free(cert);
    EVP_PKEY_free(cakey);
    X509_free(ca);
    return rc;
}

/* Each voter's card signs each of their ballots (CMS SignedData). */
static int step_sign(struct demo *d) {
    struct demo_rx *rx = &d->rx;
    evote_err_t rv;
    double t0 = now();
    rx->msgs = calloc(d->ballots * d->ncontests, sizeof(*rx->msgs));
    rx->lens = calloc(d->ballots * d->ncontests, sizeof(*rx->lens));
    if (rx->msgs == NULL || rx->lens == NULL)
        return fail("sign", EVOTE_ERR_NOMEM);
    rv = evote_signer_open(&rx->signer, d->module, DEMO_CARDS, rx->card_pin,
                           strlen(rx->card_pin), "voter-00001", NULL);
    evote_wipe(rx->card_pin, sizeof(rx->card_pin));
    if (rv != EVOTE_OK)
        return fail("voter card", rv);
    for (unsigned long i = 0; i < d->ballots; i++) {
        char label[32], cert[PATH_MAX + 64];
        snprintf(label, sizeof(label), "voter-%05lu", i + 1);
        /* the certificate as the voter's client would have it (a copy of
         * the card's), which spares a search of the card's objects */
        snprintf(cert, sizeof(cert), "%s/%s.pem", rx->voters_dir, label);
        if ((rv = evote_signer_select_key(rx->signer, label, cert)) != EVOTE_OK)
            return fail("voter card", rv);
        for (size_t ci = 0; ci < d->ncontests; ci++) {
            struct contest_run *c = &d->contests[ci];
            size_t k = i * d->ncontests + ci;
            if ((rv = evote_signer_sign_cms(rx->signer, c->ballots + i * EVOTE_BALLOT_MAX,
                                            c->blens[i], false, &rx->msgs[k],
                                            &rx->lens[k])) != EVOTE_OK)
                return fail("sign", rv);
            rx->nmsgs = k + 1;
        }
    }
    printf("sign       %zu ballots signed on the voters' cards (CMS SignedData, %.1f s)\n",
           rx->nmsgs, now() - t0);
    return 0;
}

static evote_err_t demo_collect(void *ctx, uint64_t seq, const uint8_t *b, size_t len,
                                const uint8_t leaf[EVOTE_HASH_LEN]) {
    struct contest_run *c = ctx;
    evote_ballot_t bb;
    evote_err_t rv;
    (void)seq, (void)leaf;
    if ((rv = evote_ballot_decode(&bb, b, len)) != EVOTE_OK)
        return rv;
    memcpy(c->cts[c->ncts].c1, bb.c1, EVOTE_POINT_LEN);
    memcpy(c->cts[c->ncts].c2, bb.c2, EVOTE_POINT_LEN);
    c->ncts++;
    return EVOTE_OK;
}

/*
 * Reception: verify, check the roll, detach the signature, store — then
 * the ciphertext lists are taken from the boxes, not from what was cast,
 * so the final check covers reception too.
 */
static int step_receive(struct demo *d) {
    struct demo_rx *rx = &d->rx;
    evote_err_t rv;
    evote_cms_verifier_t *v = NULL;
    evote_receiver_t *r = NULL;
    size_t accepted = 0;
    int rc = 1;
    double t0 = now();
    enum { BATCH = 64 };
    evote_err_t res[BATCH];
    evote_receipt_t rcpt[BATCH];

    if ((rv = evote_cms_verifier_new(&v)) != EVOTE_OK ||
        (rv = evote_cms_verifier_add_ca_file(v, rx->ca_path)) != EVOTE_OK ||
        (rv = evote_receiver_new(&r, d->m, d->pk, v, rx->store)) != EVOTE_OK) {
        fail("receiver", rv);
        goto out;
    }
    for (size_t i = 0; i < rx->nmsgs; i += BATCH) {
        size_t n = rx->nmsgs - i < BATCH ? rx->nmsgs - i : BATCH;
        if ((rv = evote_receiver_receive_batch(r, (const uint8_t *const *)&rx->msgs[i],
                                               &rx->lens[i], n, EVOTE_NOW, res, rcpt)) !=
            EVOTE_OK) {
            fail("receive", rv);
            goto out;
        }
        for (size_t k = 0; k < n; k++) {
            if (res[k] != EVOTE_OK) {
                fprintf(stderr, "evote demo: ballot %zu refused: %s\n", i + k,
                        evote_err_name(res[k]));
                goto out;
            }
            accepted++;
        }
    }
    double dt = now() - t0;
    /* a second ballot from a voter who has voted is refused */
    evote_receipt_t again;
    rv = evote_receiver_receive(r, rx->msgs[0], rx->lens[0], EVOTE_NOW, &again);
    if (rv != EVOTE_ERR_ALREADY_VOTED) {
        fprintf(stderr, "evote demo: re-submission not refused: %s\n", evote_err_name(rv));
        goto out;
    }
    printf("receive    %zu signed ballots verified, signatures detached, stored in %s\n"
           "           (%.1f s, %.0f/s); a re-submission is refused: %s\n",
           accepted, rx->store_path, dt, dt > 0 ? (double)accepted / dt : 0.0,
           evote_err_name(rv));
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        uint64_t el = 0, voted = 0;
        c->ncts = 0;
        if ((rv = evote_store_ballots_foreach(rx->store, c->id, 0, demo_collect, c)) !=
                EVOTE_OK ||
            (rv = evote_store_roll_counts(rx->store, c->id, &el, &voted)) != EVOTE_OK) {
            fail("box", rv);
            goto out;
        }
        if (voted != c->ncts) {
            fprintf(stderr, "evote demo: %s: %llu voted, %zu in the box\n", c->id,
                    (unsigned long long)voted, c->ncts);
            goto out;
        }
        printf("box        %s: %zu ballots, %llu of %llu voters marked as voted\n", c->id,
               c->ncts, (unsigned long long)voted, (unsigned long long)el);
    }
    rc = 0;
out:
    evote_receiver_free(r);
    evote_cms_verifier_free(v);
    return rc;
}

static int step_keygen(struct demo *d) {
    evote_err_t rv;
    evote_hsm_key_attrs_t a;
    rv = evote_hsm_open(&d->hsm, d->module, DEMO_TOKEN, d->pin, strlen(d->pin),
                        (unsigned)d->sessions);
    evote_wipe(d->pin, sizeof(d->pin));
    if (rv != EVOTE_OK)
        return fail("token", rv);
    if ((rv = evote_hsm_keygen(d->hsm, DEMO_KEY, d->pk)) != EVOTE_OK)
        return fail("keygen", rv);
    if ((rv = evote_pubkey_write_pem(d->pubkey_path, d->pk)) != EVOTE_OK)
        return fail("public key", rv);
    if ((rv = evote_hsm_keygen_record_write(d->hsm, d->record_path, DEMO_KEY,
                                            evote_manifest_hash(d->m),
                                            evote_manifest_election_id(d->m))) != EVOTE_OK)
        return fail("ceremony record", rv);
    if ((rv = evote_hsm_key_attrs(d->hsm, &a)) != EVOTE_OK)
        return fail("key attributes", rv);
    printf("keygen     \"%s\" inside the token: public key ", DEMO_KEY);
    for (size_t i = 0; i < sizeof(d->pk); i++)
        printf("%02x", d->pk[i]);
    printf("\n           sensitive=%d extractable=%d never-extractable=%d derive=%d sign=%d "
           "decrypt=%d, CKA_VALUE %s\n",
           a.sensitive, a.extractable, a.never_extractable, a.derive, a.sign, a.decrypt,
           a.value_readable ? "READABLE" : "unreadable");
    printf("           %s, %s\n", d->pubkey_path, d->record_path);
    return 0;
}

/* Every voter's ballot goes through the bytes and the proof check that a
 * reception server would apply before its ciphertext joins the list. */
static int step_cast(struct demo *d) {
    evote_err_t rv;
    uint8_t buf[EVOTE_BALLOT_MAX];
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        double t0 = now();
        for (size_t i = 0; i < d->ballots; i++) {
            evote_ballot_t b, back;
            uint32_t sel;
            size_t len = 0;
            if (random_below((uint32_t)c->noptions, &sel) != 0)
                return fail("cast", EVOTE_ERR_RANDOM);
            if ((rv = evote_ballot_encrypt(&b, d->m, c->id, d->pk, sel)) != EVOTE_OK ||
                (rv = evote_ballot_encode(&b, buf, sizeof(buf), &len)) != EVOTE_OK ||
                (rv = evote_ballot_decode(&back, buf, len)) != EVOTE_OK ||
                (rv = evote_ballot_verify(&back, evote_manifest_hash(d->m), d->pk)) != EVOTE_OK)
                return fail("cast", rv);
            memcpy(c->ballots + i * EVOTE_BALLOT_MAX, buf, len);
            c->blens[i] = len;
            memcpy(c->cts[c->ncts].c1, back.c1, EVOTE_POINT_LEN);
            memcpy(c->cts[c->ncts].c2, back.c2, EVOTE_POINT_LEN);
            c->ncts++;
            c->cast[sel]++;
        }
        printf("cast       %zu ballots for %s, every proof verified (%.1f s)\n", c->ncts, c->id,
               now() - t0);
    }
    return 0;
}

static int step_lists(struct demo *d) {
    evote_err_t rv;
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        if ((rv = evote_ctlist_write(c->list_path, c->cts, c->ncts)) != EVOTE_OK)
            return fail("ciphertext list", rv);
        printf("list       %s\n", c->list_path);
    }
    return 0;
}

static int step_decrypt(struct demo *d) {
    evote_err_t rv;
    evote_decrypt_opts_t o = {.threads = (unsigned)d->threads};
    evote_decrypt_stats_t st;
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        if ((rv = evote_decrypt_file(d->hsm, d->m, c->id, c->list_path, c->plaintexts_path, &o,
                                     &st)) != EVOTE_OK)
            return fail("decrypt", rv);
        printf("decrypt    %s: %zu ciphertexts through SoftHSM2, %u threads on %u sessions, "
               "%.2f s (%.0f/s)\n",
               c->id, st.ciphertexts, st.threads, evote_hsm_session_count(d->hsm), st.seconds,
               st.seconds > 0 ? (double)st.ciphertexts / st.seconds : 0.0);
    }
    return 0;
}

static int step_tally(struct demo *d) {
    evote_err_t rv;
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        evote_plaintexts_t *p = NULL;
        if ((rv = evote_plaintexts_read(&p, c->plaintexts_path)) != EVOTE_OK)
            return fail("plaintexts", rv);
        rv = evote_tally_compute(&c->tally, d->m, p);
        evote_plaintexts_free(p);
        if (rv != EVOTE_OK)
            return fail("tally", rv);
        if ((rv = evote_tally_write_json(c->tally, c->tally_path)) != EVOTE_OK)
            return fail("tally JSON", rv);
        printf("\n%s — %s [%s]\n", c->id, evote_manifest_contest_title(d->m, c->index),
               evote_manifest_contest_kind(d->m, c->index));
        printf("  %-4s %-24s %8s\n", "id", "name", "votes");
        for (size_t j = 0; j < c->noptions; j++)
            printf("  %-4s %-*s %8llu\n", evote_manifest_option_id(d->m, c->index, j),
                   /* pad by display columns: these names are 3-byte UTF-8
                    * characters of two columns each */
                   24 + (int)(strlen(evote_manifest_option_name(d->m, c->index, j)) / 3),
                   evote_manifest_option_name(d->m, c->index, j),
                   (unsigned long long)evote_tally_votes(c->tally, j));
        printf("  %-4s %-24s %8llu\n", "", "(invalid)",
               (unsigned long long)evote_tally_invalid_count(c->tally));
        printf("  %-4s %-24s %8llu\n", "", "(total)",
               (unsigned long long)evote_tally_total(c->tally));
    }
    printf("\n");
    return 0;
}

/* The point of the exercise: what came out is exactly what went in. */
static int step_check(struct demo *d) {
    uint64_t all = 0;
    for (size_t ci = 0; ci < d->ncontests; ci++) {
        struct contest_run *c = &d->contests[ci];
        if (evote_tally_total(c->tally) != c->ncts || evote_tally_invalid_count(c->tally) != 0) {
            fprintf(stderr, "evote demo: %s: tally counts %llu ballots (%llu invalid), %zu were "
                            "cast\n",
                    c->id, (unsigned long long)evote_tally_total(c->tally),
                    (unsigned long long)evote_tally_invalid_count(c->tally), c->ncts);
            return 1;
        }
        for (size_t j = 0; j < c->noptions; j++) {
            if (evote_tally_votes(c->tally, j) != c->cast[j]) {
                fprintf(stderr, "evote demo: %s option %s: tally %llu, cast %llu — MISMATCH\n",
                        c->id, evote_manifest_option_id(d->m, c->index, j),
                        (unsigned long long)evote_tally_votes(c->tally, j),
                        (unsigned long long)c->cast[j]);
                return 1;
            }
        }
        all += c->ncts;
    }
    printf("tally matches the %llu ballots cast\n", (unsigned long long)all);
    return 0;
}

static int step_inspect(struct demo *d) {
    printf("\nInspect the token (the private key shows as sensitive, never extractable):\n"
           "  SOFTHSM2_CONF=%s EVOTE_PIN=\"$(cat %s)\" \\\n"
           "    pkcs11-tool --module %s --token-label %s \\\n"
           "    --login --pin env:EVOTE_PIN --list-objects\n",
           d->conf, d->pin_path, d->module, DEMO_TOKEN);
    if (!d->keep)
        printf("(this workspace is removed now: run `evote demo --keep` or `--dir DIR` to "
               "keep it)\n");
    return 0;
}

static const struct {
    const char *name;
    int (*run)(struct demo *);
} steps[] = {
    {"workspace", step_workspace}, {"token", step_token},     {"manifest", step_manifest},
    {"voters", step_voters},       {"keygen", step_keygen},   {"cast", step_cast},
    {"sign", step_sign},           {"receive", step_receive}, {"lists", step_lists},
    {"decrypt", step_decrypt},     {"tally", step_tally},     {"check", step_check},
    {"inspect", step_inspect},
};

/* ---- driver ------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(path);
}

static void demo_free(struct demo *d, bool failed) {
    evote_hsm_free(d->hsm);
    for (size_t i = 0; i < d->ncontests; i++) {
        evote_tally_free(d->contests[i].tally);
        free(d->contests[i].cast);
        free(d->contests[i].cts);
        free(d->contests[i].ballots);
        free(d->contests[i].blens);
    }
    demo_rx_free(&d->rx);
    evote_manifest_free(d->m);
    evote_wipe(d->pin, sizeof(d->pin));
    evote_wipe(d->so_pin, sizeof(d->so_pin));
    /* A failed run keeps its workspace for a post-mortem. */
    if (d->dir_made && !d->keep && !failed && strstr(d->dir, "evote-demo-") != NULL)
        nftw(d->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote demo [--ballots N] [--keep | --dir DIR] [--sessions N]\n"
            "                  [--threads N] [--module MODULE]\n\n"
            "Run a whole practice election in a fresh directory: a SoftHSM2 token\n"
            "in that directory, the election key generated inside it, a manifest\n"
            "with a district and a proportional contest, N voters with certificates\n"
            "of a stand-in ID CA and their keys on a \"voter-cards\" token, N random\n"
            "ballots per contest (default 2000; each proof verified), each signed\n"
            "on the voter's card and received (verified, signature detached,\n"
            "stored in ballot-box.db), ciphertext lists taken from the boxes,\n"
            "decryption through the token, the tally, and a check that the tally\n"
            "equals the ballots cast (exit status 1 if not).\n\n"
            "The directory is a new one under $TMPDIR, removed at the end unless\n"
            "--keep; --dir DIR uses DIR (created, must not exist) and keeps it.\n"
            "MODULE defaults to $EVOTE_PKCS11_MODULE, else %s.\n",
            EVOTE_DEFAULT_PKCS11_MODULE);
}

int cmd_demo(int argc, char **argv) {
    static const struct option opts[] = {
        {"ballots", required_argument, NULL, 'n'}, {"keep", no_argument, NULL, 'k'},
        {"dir", required_argument, NULL, 'd'},     {"sessions", required_argument, NULL, 'S'},
        {"threads", required_argument, NULL, 'T'}, {"module", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    static struct demo d; /* large; one per process */
    const char *module = NULL;
    int c, rc = 0;

    memset(&d, 0, sizeof(d));
    d.ballots = 2000;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!cli_parse_count(optarg, DEMO_MAX_BALLOTS, &d.ballots)) {
                fprintf(stderr, "%s: --ballots %s is not a number from 1 to %lu\n", argv[0],
                        optarg, DEMO_MAX_BALLOTS);
                return 2;
            }
            break;
        case 'k': d.keep = true; break;
        case 'd':
            if (strlen(optarg) >= sizeof(d.dir)) {
                fprintf(stderr, "%s: --dir is too long\n", argv[0]);
                return 2;
            }
            strcpy(d.dir, optarg);
            d.keep = true;
            break;
        case 'S':
        case 'T':
            if (!cli_parse_count(optarg, 256, c == 'S' ? &d.sessions : &d.threads)) {
                fprintf(stderr, "%s: --%s %s is not a number from 1 to 256\n", argv[0],
                        c == 'S' ? "sessions" : "threads", optarg);
                return 2;
            }
            break;
        case 'm': module = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    d.module = cli_module_path(module);
    setvbuf(stdout, NULL, _IOLBF, 0);
    double t0 = now();
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && rc == 0; i++) {
        rc = steps[i].run(&d);
        if (rc != 0)
            fprintf(stderr, "evote demo: step \"%s\" failed%s%s\n", steps[i].name,
                    d.dir_made ? "; workspace kept: " : "", d.dir_made ? d.dir : "");
    }
    if (rc == 0)
        printf("demo finished in %.1f s\n", now() - t0);
    demo_free(&d, rc != 0);
    return rc;
}
