/*
 * evote demo — voters and reception: a stand-in national-ID CA, one key
 * and certificate per voter (RSA-2048 for the first ones, as on ID cards,
 * P-256 for the rest) with the keys on a SoftHSM2 token playing the voters'
 * cards, each ballot signed on the card (CMS) and sent through
 * evote_receiver_* into the box's store.
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "demo_rx.h"
#include "demo_util.h"

#define DEMO_CARDS "voter-cards"
#define DEMO_RSA_VOTERS 2
/*
 * Voters per stand-in card token. A real voter has a card of their own;
 * SoftHSM2 checks every object file of a token on each search, and libp11
 * searches the token for an EC key's public half when it loads the key, so
 * one token holding every voter makes signing grow with the square of the
 * roll. Small batches of cards keep that search short; a token per voter
 * would cost a token initialisation (PIN hashing, files) per voter instead.
 */
#define DEMO_CARD_VOTERS 25

/* Label of the card token holding voter i (0-based). */
static void card_token(char *out, size_t cap, unsigned long i) {
    snprintf(out, cap, "%s-%03lu", DEMO_CARDS, i / DEMO_CARD_VOTERS + 1);
}

static int fail(const char *what, evote_err_t rv) { return cli_fail(rv, what); }

static int sys_fail(const char *what, const char *path) {
    fprintf(stderr, "evote demo: %s %s: %s\n", what, path, strerror(errno));
    return 1;
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

void demo_rx_free(struct demo_rx *rx) {
    for (size_t i = 0; i < rx->nmsgs; i++)
        free(rx->msgs[i]);
    free(rx->msgs);
    free(rx->lens);
    for (size_t c = 0; c < rx->ncontests; c++) {
        free(rx->ballots[c]);
        free(rx->blens[c]);
    }
    evote_signer_free(rx->signer);
    evote_wipe(rx->card_pin, sizeof(rx->card_pin));
    memset(rx, 0, sizeof(*rx));
}

int demo_rx_voters(struct demo_rx *rx, const char *dir, const char *module, unsigned long n,
                   const char *const *contests, size_t ncontests) {
    evote_err_t rv;
    EVP_PKEY *cakey = NULL, *key = NULL;
    X509 *ca = NULL, *cert = NULL;
    char **labels = NULL, **keys = NULL, **certs = NULL, *csv = NULL, so_pin[33];
    size_t off = 0, cap = 128 + n * 256;
    int rc = 1;
    double t0 = demo_now();

    if (ncontests > DEMO_RX_MAX_CONTESTS)
        return fail("voters", EVOTE_ERR_TOO_LARGE);
    rx->module = module;
    rx->nvoters = n;
    rx->ncontests = ncontests;
    for (size_t c = 0; c < ncontests; c++) {
        rx->contests[c] = contests[c];
        rx->ballots[c] = calloc(n, EVOTE_BALLOT_MAX);
        rx->blens[c] = calloc(n, sizeof(size_t));
        if (rx->ballots[c] == NULL || rx->blens[c] == NULL)
            return fail("voters", EVOTE_ERR_NOMEM);
    }
    snprintf(rx->voters_dir, sizeof(rx->voters_dir), "%s/voters", dir);
    snprintf(rx->ca_path, sizeof(rx->ca_path), "%s/voter-ca.pem", dir);
    snprintf(rx->roll_path, sizeof(rx->roll_path), "%s/roll.csv", dir);
    snprintf(rx->card_pin_path, sizeof(rx->card_pin_path), "%s/voter-cards-pin", dir);
    if (mkdir(rx->voters_dir, 0700) != 0)
        return sys_fail("create directory", rx->voters_dir);
    cakey = EVP_EC_gen("P-256");
    ca = cakey ? demo_cert(NULL, cakey, cakey, NULL, "Demo National ID CA", 1) : NULL;
    labels = calloc(n, sizeof(*labels));
    keys = calloc(n, sizeof(*keys));
    certs = calloc(n, sizeof(*certs));
    csv = malloc(cap);
    if (ca == NULL || labels == NULL || keys == NULL || certs == NULL || csv == NULL) {
        fail("voter CA", EVOTE_ERR_CRYPTO);
        goto out;
    }
    if (demo_write_pem(rx->ca_path, NULL, ca) != 0)
        goto out;
    off += (size_t)snprintf(csv, cap, "voter_id,identity,contests\n");
    for (unsigned long i = 0; i < n; i++) {
        char sn[32], cn[64];
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
        /* half the roll names voters by certificate hash, half by issuer
         * and serial (both forms of docs/PROTOCOL.md §10) */
        if (i % 2 == 0) {
            uint8_t *der = NULL, h[EVOTE_HASH_LEN];
            int dl = i2d_X509(cert, &der);
            if (dl <= 0 || evote_sha256(der, (size_t)dl, h) != EVOTE_OK) {
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
        off += (size_t)snprintf(csv + off, cap - off, ",");
        for (size_t c = 0; c < ncontests; c++)
            off += (size_t)snprintf(csv + off, cap - off, "%s%s", c ? " " : "", contests[c]);
        off += (size_t)snprintf(csv + off, cap - off, "\n");
        EVP_PKEY_free(key);
        X509_free(cert);
        key = NULL;
        cert = NULL;
    }
    if (demo_write_text(rx->roll_path, csv, 0600) != 0)
        goto out;
    if (demo_random_pin(so_pin) != 0 || demo_random_pin(rx->card_pin) != 0) {
        fail("card PINs", EVOTE_ERR_RANDOM);
        goto out;
    }
    if (demo_write_text(rx->card_pin_path, rx->card_pin, 0600) != 0)
        goto out;
    for (unsigned long g = 0; g < n; g += DEMO_CARD_VOTERS) {
        char tok[64];
        size_t k = n - g < DEMO_CARD_VOTERS ? n - g : DEMO_CARD_VOTERS;
        card_token(tok, sizeof(tok), g);
        rv = evote_hsm_token_init(module, tok, so_pin, strlen(so_pin), rx->card_pin,
                                  strlen(rx->card_pin));
        if (rv == EVOTE_OK)
            rv = evote_hsm_import_key_certs(module, tok, rx->card_pin, strlen(rx->card_pin), k,
                                            (const char *const *)labels + g,
                                            (const char *const *)keys + g,
                                            (const char *const *)certs + g);
        if (rv != EVOTE_OK) {
            evote_wipe(so_pin, sizeof(so_pin));
            fail("voter cards", rv);
            goto out;
        }
    }
    evote_wipe(so_pin, sizeof(so_pin));
    /* the keys live on the cards now */
    for (unsigned long i = 0; i < n; i++)
        if (unlink(keys[i]) != 0) {
            sys_fail("remove", keys[i]);
            goto out;
        }
    char last[64];
    card_token(last, sizeof(last), n - 1);
    printf("voters     %lu voters (%d RSA-2048, the rest P-256) certified by %s,\n"
           "           keys on the tokens \"%s-001\"..\"%s\" (their cards, %d voters\n"
           "           a token), roll %s (%.1f s)\n",
           n, n < DEMO_RSA_VOTERS ? (int)n : DEMO_RSA_VOTERS, rx->ca_path, DEMO_CARDS, last,
           DEMO_CARD_VOTERS, rx->roll_path, demo_now() - t0);
    rc = 0;
out:
    for (unsigned long i = 0; i < n && labels != NULL; i++) {
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

int demo_rx_add(struct demo_rx *rx, unsigned long i, size_t ci, const uint8_t *ballot,
                size_t len) {
    if (i >= rx->nvoters || ci >= rx->ncontests || len > EVOTE_BALLOT_MAX)
        return fail("ballot", EVOTE_ERR_ARG);
    memcpy(rx->ballots[ci] + i * EVOTE_BALLOT_MAX, ballot, len);
    rx->blens[ci][i] = len;
    return 0;
}

int demo_rx_sign(struct demo_rx *rx) {
    evote_err_t rv;
    double t0 = demo_now();
    size_t total = rx->nvoters * rx->ncontests;
    rx->msgs = calloc(total, sizeof(*rx->msgs));
    rx->lens = calloc(total, sizeof(*rx->lens));
    if (rx->msgs == NULL || rx->lens == NULL)
        return fail("sign", EVOTE_ERR_NOMEM);
    for (unsigned long i = 0; i < rx->nvoters; i++) {
        char label[32], cert[PATH_MAX + 64], tok[64];
        snprintf(label, sizeof(label), "voter-%05lu", i + 1);
        card_token(tok, sizeof(tok), i);
        /* the certificate as the voter's client keeps it (a copy of the
         * card's), which spares a search of the card's objects */
        snprintf(cert, sizeof(cert), "%s/%s.pem", rx->voters_dir, label);
        if (i == 0)
            rv = evote_signer_open(&rx->signer, rx->module, tok, rx->card_pin,
                                   strlen(rx->card_pin), label, cert);
        else if (i % DEMO_CARD_VOTERS == 0) /* the next batch of cards */
            rv = evote_signer_select_token(rx->signer, tok, rx->card_pin, strlen(rx->card_pin),
                                           label, cert);
        else
            rv = evote_signer_select_key(rx->signer, label, cert);
        if (rv != EVOTE_OK) {
            evote_wipe(rx->card_pin, sizeof(rx->card_pin));
            return fail("voter card", rv);
        }
        for (size_t ci = 0; ci < rx->ncontests; ci++) {
            size_t k = i * rx->ncontests + ci;
            if ((rv = evote_signer_sign_cms(rx->signer, rx->ballots[ci] + i * EVOTE_BALLOT_MAX,
                                            rx->blens[ci][i], false, &rx->msgs[k],
                                            &rx->lens[k])) != EVOTE_OK)
                return fail("sign", rv);
            rx->nmsgs = k + 1;
        }
    }
    evote_wipe(rx->card_pin, sizeof(rx->card_pin));
    printf("sign       %zu ballots signed on the voters' cards (CMS SignedData, %.1f s)\n",
           rx->nmsgs, demo_now() - t0);
    return 0;
}

int demo_rx_receive(struct demo_rx *rx, struct demo_box *box, const evote_manifest_t *m,
                    const uint8_t pk[EVOTE_POINT_LEN]) {
    evote_err_t rv;
    evote_cms_verifier_t *v = NULL;
    evote_receiver_t *r = NULL;
    evote_roll_t *roll = NULL;
    size_t accepted = 0, added = 0;
    int rc = 1;
    double t0 = demo_now();
    enum { BATCH = 64 };
    evote_err_t res[BATCH];
    evote_receipt_t rcpt[BATCH];

    if ((rv = evote_roll_load(&roll, rx->roll_path, rx->contests, rx->ncontests)) != EVOTE_OK ||
        (rv = evote_roll_import(box->s, roll, &added)) != EVOTE_OK) {
        fail("roll", rv);
        goto out;
    }
    if ((rv = evote_cms_verifier_new(&v)) != EVOTE_OK ||
        (rv = evote_cms_verifier_add_ca_file(v, rx->ca_path)) != EVOTE_OK ||
        (rv = evote_receiver_new(&r, m, pk, v, box->s)) != EVOTE_OK) {
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
                fprintf(stderr, "evote demo: signed ballot %zu refused: %s\n", i + k,
                        evote_err_name(res[k]));
                goto out;
            }
            accepted++;
        }
    }
    double dt = demo_now() - t0;
    /* the box's receipt step shows the first voter's first ballot */
    if (rx->nvoters > 0 && box->first_len == 0) {
        memcpy(box->first, rx->ballots[0], rx->blens[0][0]);
        box->first_len = rx->blens[0][0];
        snprintf(box->first_contest, sizeof(box->first_contest), "%s", rx->contests[0]);
    }
    /* no re-voting */
    evote_receipt_t again;
    rv = rx->nmsgs > 0 ? evote_receiver_receive(r, rx->msgs[0], rx->lens[0], EVOTE_NOW, &again)
                       : EVOTE_ERR_ALREADY_VOTED;
    if (rv != EVOTE_ERR_ALREADY_VOTED) {
        fprintf(stderr, "evote demo: a second ballot was not refused: %s\n",
                evote_err_name(rv));
        goto out;
    }
    printf("receive    %zu signed ballots of %zu voters in the roll verified, signatures\n"
           "           detached, stored in %s (%.1f s, %.0f/s);\n"
           "           a voter's second ballot is refused: %s\n",
           accepted, added, box->store, dt, dt > 0 ? (double)accepted / dt : 0.0,
           evote_err_name(rv));
    rc = 0;
out:
    evote_roll_free(roll);
    evote_receiver_free(r);
    evote_cms_verifier_free(v);
    return rc;
}
