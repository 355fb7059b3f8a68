/* evote receive — verify signed ballots, detach the signatures, store. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "rio.h"

#define MAX_BATCH 256

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote receive --store DB --manifest MANIFEST.json --public-key PK.pem\n"
            "                     --ca CA.pem [--ca ...] [--crl CRL.pem ...]\n"
            "                     [--at UNIX-SECONDS] [--batch N]\n"
            "                     FILE... | -\n"
            "Receive signed ballots (CMS SignedData, DER): verify the signature and\n"
            "certificate, check the roll, the voting window and the ballot's proof,\n"
            "then store the bare ballot and mark the voter as voted in one durable\n"
            "transaction. '-' reads a stream of messages, each preceded by its\n"
            "length as 4 bytes big-endian. Per message one line is printed once the\n"
            "commit is durable:\n"
            "  accepted NAME CONTEST INDEX TRACKING-CODE\n"
            "  refused NAME ERROR-NAME\n"
            "--batch N commits up to N messages at once (group commit; default 32 for\n"
            "files, 1 for a stream). --at fixes the time of receipt (tests).\n"
            "The boxes must have been opened (`evote box open`): a ballot for a box\n"
            "that is not open is refused (EVOTE_ERR_BOX_NOT_OPEN).\n"
            "Exit status: 0 if every message was accepted, 1 otherwise.\n");
}

struct ctx {
    evote_receiver_t *r;
    int64_t at;
    const uint8_t *msgs[MAX_BATCH];
    size_t lens[MAX_BATCH];
    uint8_t *owned[MAX_BATCH];
    char names[MAX_BATCH][256];
    size_t n;
    int refused;
};

static evote_err_t flush_batch(struct ctx *c) {
    evote_err_t results[MAX_BATCH];
    evote_receipt_t receipts[MAX_BATCH];
    if (c->n == 0)
        return EVOTE_OK;
    evote_err_t err = evote_receiver_receive_batch(c->r, c->msgs, c->lens, c->n, c->at,
                                                   results, receipts);
    for (size_t i = 0; i < c->n; i++) {
        if (err == EVOTE_OK && results[i] == EVOTE_OK) {
            char hex[65];
            for (int j = 0; j < 32; j++)
                snprintf(hex + 2 * j, 3, "%02x", receipts[i].tracking_code[j]);
            printf("accepted %s %s %llu %s\n", c->names[i], receipts[i].contest,
                   (unsigned long long)receipts[i].index, hex);
        } else {
            printf("refused %s %s\n", c->names[i],
                   evote_err_name(err != EVOTE_OK ? err : results[i]));
            if (c->n == 1 && evote_err_detail()[0] != '\0')
                fprintf(stderr, "evote: %s: %s\n", c->names[i], evote_err_detail());
            c->refused++;
        }
        free(c->owned[i]);
        c->owned[i] = NULL;
    }
    fflush(stdout);
    c->n = 0;
    return err;
}

/* Read exactly n bytes from stdin; 0 at a clean end before the first byte. */
static int read_exact(uint8_t *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        size_t r = fread(buf + got, 1, n - got, stdin);
        if (r == 0)
            return got == 0 ? 0 : -1;
        got += r;
    }
    return 1;
}

int cmd_receive(int argc, char **argv) {
    static const struct option opts[] = {
        {"store", required_argument, NULL, 's'},  {"manifest", required_argument, NULL, 'm'},
        {"public-key", required_argument, NULL, 'k'},
        {"pubkey", required_argument, NULL, 'k'}, /* old name, hidden alias */
        {"ca", required_argument, NULL, 'c'},
        {"crl", required_argument, NULL, 'r'},    {"at", required_argument, NULL, 'a'},
        {"batch", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *db = NULL, *manifest = NULL, *pubkey = NULL;
    const char *cas[16], *crls[16];
    int ncas = 0, ncrls = 0, opt, rc = 1;
    long batch = 0;
    int64_t at = EVOTE_NOW;
    evote_manifest_t *m = NULL;
    evote_cms_verifier_t *v = NULL;
    evote_store_t *s = NULL;
    uint8_t pk[EVOTE_POINT_LEN];
    evote_err_t err;
    struct ctx *c = NULL;
    char *end;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 's': db = optarg; break;
        case 'm': manifest = optarg; break;
        case 'k': pubkey = optarg; break;
        case 'c':
            if (ncas == 16) { usage(stderr); return 2; }
            cas[ncas++] = optarg;
            break;
        case 'r':
            if (ncrls == 16) { usage(stderr); return 2; }
            crls[ncrls++] = optarg;
            break;
        case 'a':
            errno = 0;
            at = strtoll(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || end == optarg) {
                fprintf(stderr, "evote receive: --at wants Unix seconds\n");
                return 2;
            }
            break;
        case 'b':
            batch = strtol(optarg, &end, 10);
            if (*end != '\0' || batch < 1 || batch > MAX_BATCH) {
                fprintf(stderr, "evote receive: --batch wants 1..%d\n", MAX_BATCH);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (db == NULL || manifest == NULL || pubkey == NULL || ncas == 0 || optind >= argc) {
        usage(stderr);
        return 2;
    }
    bool stream = strcmp(argv[optind], "-") == 0;
    if (stream && optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    if (batch == 0)
        batch = stream ? 1 : 32;
    if ((err = evote_manifest_load(&m, manifest)) != EVOTE_OK) {
        rc = cli_fail(err, manifest);
        goto out;
    }
    if ((err = evote_pubkey_read_pem(pubkey, pk)) != EVOTE_OK) {
        rc = cli_fail(err, pubkey);
        goto out;
    }
    if ((err = evote_cms_verifier_new(&v)) != EVOTE_OK) {
        rc = cli_fail(err, "verifier");
        goto out;
    }
    for (int i = 0; i < ncas; i++)
        if ((err = evote_cms_verifier_add_ca_file(v, cas[i])) != EVOTE_OK) {
            rc = cli_fail(err, cas[i]);
            goto out;
        }
    for (int i = 0; i < ncrls; i++)
        if ((err = evote_cms_verifier_add_crl_file(v, crls[i])) != EVOTE_OK) {
            rc = cli_fail(err, crls[i]);
            goto out;
        }
    if ((err = evote_store_open_sqlite(&s, db)) != EVOTE_OK) {
        rc = cli_fail(err, db);
        goto out;
    }
    if ((c = calloc(1, sizeof(*c))) == NULL)
        goto out;
    c->at = at;
    if ((err = evote_receiver_new(&c->r, m, pk, v, s)) != EVOTE_OK) {
        rc = cli_fail(err, "receiver");
        goto out;
    }
    if (stream) {
        for (unsigned long k = 0;; k++) {
            uint8_t hdr[4];
            int got = read_exact(hdr, 4);
            if (got == 0)
                break;
            if (got < 0) {
                fprintf(stderr, "evote receive: stream ends inside a length\n");
                goto out;
            }
            size_t len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 |
                         hdr[3];
            if (len > EVOTE_CMS_MAX) {
                /* Refuse the oversized message without storing it whole. */
                fprintf(stderr, "evote receive: message %lu: %zu bytes is too large\n", k,
                        len);
                printf("refused #%lu %s\n", k, evote_err_name(EVOTE_ERR_TOO_LARGE));
                fflush(stdout);
                goto out;
            }
            uint8_t *buf = malloc(len + 1);
            if (buf == NULL || (len > 0 && read_exact(buf, len) != 1)) {
                free(buf);
                fprintf(stderr, "evote receive: stream ends inside message %lu\n", k);
                goto out;
            }
            c->owned[c->n] = buf;
            c->msgs[c->n] = buf;
            c->lens[c->n] = len;
            snprintf(c->names[c->n], sizeof(c->names[0]), "#%lu", k);
            if (++c->n == (size_t)batch && flush_batch(c) != EVOTE_OK)
                goto out;
        }
    } else {
        for (int i = optind; i < argc; i++) {
            uint8_t *buf = NULL;
            size_t len = 0;
            err = rio_read_file(argv[i], EVOTE_CMS_MAX, &buf, &len);
            if (err != EVOTE_OK) {
                printf("refused %s %s\n", argv[i], evote_err_name(err));
                c->refused++;
                continue;
            }
            c->owned[c->n] = buf;
            c->msgs[c->n] = buf;
            c->lens[c->n] = len;
            snprintf(c->names[c->n], sizeof(c->names[0]), "%s", argv[i]);
            if (++c->n == (size_t)batch && flush_batch(c) != EVOTE_OK)
                goto out;
        }
    }
    if (flush_batch(c) != EVOTE_OK)
        goto out;
    rc = c->refused == 0 ? 0 : 1;
out:
    if (c != NULL) {
        for (size_t i = 0; i < c->n; i++)
            free(c->owned[i]);
        evote_receiver_free(c->r);
        free(c);
    }
    evote_store_free(s);
    evote_cms_verifier_free(v);
    evote_manifest_free(m);
    return rc;
}
