/* evote confirm — an observer confirms the published decryption. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ceremony.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote confirm --manifest FILE --record RECORD.json --contest ID\n"
            "         --input LIST --decryption DECRYPTION.json [--partial FILE...]\n"
            "         [--randomness FILE|-] [--query-out Q.der]\n"
            "         [--trustee ID --token LABEL [--key-label L] [--pin-file F]]\n\n"
            "Run AFTER the decryption is published. The observer types or reads in\n"
            "fresh randomness (hex digits, or dice rolls 1-6; default: stdin). evote\n"
            "derives the query point Q from it and the published data, prints Q and\n"
            "every trustee's expected x-coordinate, and, with --token, asks that\n"
            "trustee's token for ONE derive on Q and prints CONFIRMED or FAILED.\n"
            "To check without trusting evote, ask the token yourself:\n"
            "  pkcs11-tool --module M --login --token-label T --derive -m ECDH1-DERIVE\n"
            "    --label evote-trustee-ID -i Q.der -o x.bin; xxd -p -c 32 x.bin\n"
            "and compare with the expected x printed here.\n");
}

static char *read_all(const char *path, size_t *len) {
    FILE *f = (path == NULL || strcmp(path, "-") == 0) ? stdin : fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
        if (n == cap) {
            if (cap >= (1u << 20))
                break;
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return buf;
}

int cmd_confirm(int argc, char **argv) {
    static const struct option lo[] = {
        {"manifest", 1, 0, 'm'}, {"record", 1, 0, 'r'},    {"contest", 1, 0, 'c'},
        {"input", 1, 0, 'i'},    {"decryption", 1, 0, 'd'}, {"partial", 1, 0, 'P'},
        {"randomness", 1, 0, 'R'}, {"query-out", 1, 0, 'q'}, {"trustee", 1, 0, 't'},
        {"token", 1, 0, 'T'},    {"key-label", 1, 0, 'l'}, {"pin-file", 1, 0, 'p'},
        {"module", 1, 0, 'M'},   {"help", 0, 0, 'h'},      {0, 0, 0, 0}};
    const char *mpath = NULL, *rec = NULL, *contest = NULL, *input = NULL, *decp = NULL,
               *rpath = NULL, *qout = NULL, *tid = NULL, *token = NULL, *label = NULL,
               *pinf = NULL, *module = NULL;
    const char *pf[CLI_MULTI_MAX];
    size_t npf = 0, nshares = 0, n = 0, rlen = 0;
    int c, rc = 1;
    evote_manifest_t *m = NULL;
    evote_trustee_share_t *shares = NULL;
    evote_partial_t *parts[CLI_MULTI_MAX] = {0};
    evote_ct_t *cts = NULL;
    evote_decryption_t d = {0};
    evote_confirm_t *conf = NULL;
    evote_hsm_t *hsm = NULL;
    char *rnd = NULL, deflabel[128], hex[200];
    uint8_t epk[EVOTE_POINT_LEN], lh[EVOTE_HASH_LEN], q[EVOTE_POINT_LEN], x[32],
        der[91], tpk[EVOTE_POINT_LEN];
    evote_err_t e;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 'r': rec = optarg; break;
        case 'c': contest = optarg; break;
        case 'i': input = optarg; break;
        case 'd': decp = optarg; break;
        case 'P': if (cli_multi_add(pf, &npf, optarg, "--partial")) return 2; break;
        case 'R': rpath = optarg; break;
        case 'q': qout = optarg; break;
        case 't': tid = optarg; break;
        case 'T': token = optarg; break;
        case 'l': label = optarg; break;
        case 'p': pinf = optarg; break;
        case 'M': module = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!mpath || !rec || !contest || !input || !decp || optind != argc ||
        (token != NULL && tid == NULL)) {
        usage(stderr);
        return 2;
    }
    if ((e = evote_manifest_load(&m, mpath)) != EVOTE_OK) {
        rc = cli_fail(e, mpath);
        goto out;
    }
    if ((e = evote_trustee_record_read(rec, evote_manifest_hash(m), &shares, &nshares,
                                       epk)) != EVOTE_OK) {
        rc = cli_fail(e, rec);
        goto out;
    }
    if ((e = evote_sha256_file(input, lh)) != EVOTE_OK ||
        (e = evote_ctlist_read(input, &cts, &n)) != EVOTE_OK) {
        rc = cli_fail(e, input);
        goto out;
    }
    if ((e = evote_decryption_read(&d, decp, m)) != EVOTE_OK) {
        rc = cli_fail(e, decp);
        goto out;
    }
    if (memcmp(d.list_hash, lh, 32) != 0 || strcmp(d.contest_id, contest) != 0 ||
        memcmp(d.manifest_hash, evote_manifest_hash(m), 32) != 0) {
        fprintf(stderr, "evote: %s is not the decryption of %s for contest %s "
                        "[EVOTE_ERR_DIGEST_MISMATCH]\n", decp, input, contest);
        goto out;
    }
    for (size_t i = 0; i < npf; i++)
        if ((e = evote_partial_read(&parts[i], pf[i])) != EVOTE_OK) {
            rc = cli_fail(e, pf[i]);
            goto out;
        }
    if (rpath == NULL || strcmp(rpath, "-") == 0)
        fprintf(stderr, "Type or paste the observer's randomness (hex digits or dice "
                        "rolls 1-6), then end with Ctrl-D:\n");
    rnd = read_all(rpath, &rlen);
    if (rnd == NULL) {
        fprintf(stderr, "evote: cannot read the observer's randomness\n");
        goto out;
    }
    e = evote_confirm_new(&conf, rnd, rlen, &d, cts, n, shares, nshares, parts, npf);
    if (e == EVOTE_ERR_CONFIRM_FAILED) {
        cli_fail(e, "confirm");
        printf("FAILED\n");
        goto out;
    }
    if (e != EVOTE_OK) {
        rc = cli_fail(e, "confirm");
        goto out;
    }
    evote_confirm_query(conf, q);
    evote_confirm_query_spki(conf, der);
    cli_hex(hex, q, sizeof(q));
    printf("query point Q (SEC1 compressed): %s\n", hex);
    cli_hex(hex, der + 26, 65);
    printf("query point Q (uncompressed):    %s\n", hex);
    if (qout != NULL) {
        FILE *f = fopen(qout, "wb");
        if (f == NULL || fwrite(der, 1, sizeof(der), f) != sizeof(der)) {
            fprintf(stderr, "evote: cannot write %s\n", qout);
            if (f)
                fclose(f);
            goto out;
        }
        fclose(f);
        printf("Q as DER SubjectPublicKeyInfo (pkcs11-tool --derive -i): %s\n", qout);
    }
    for (size_t i = 0; i < nshares; i++) {
        if ((e = evote_confirm_expected(conf, shares[i].id, x)) != EVOTE_OK) {
            rc = cli_fail(e, "expected");
            goto out;
        }
        cli_hex(hex, x, 32);
        printf("trustee %s: expected x = %s\n", shares[i].id, hex);
    }
    if (token == NULL) {
        printf("no token asked (use --trustee ID --token LABEL, or pkcs11-tool)\n");
        rc = 0;
        goto out;
    }
    if (label == NULL) {
        cli_trustee_key_label(deflabel, sizeof(deflabel), tid);
        label = deflabel;
    }
    if ((rc = cli_token_open(&hsm, module, token, pinf, label, tpk, 1)) != 0)
        goto out;
    rc = 1;
    e = evote_confirm_check(conf, tid, cli_hsm_derive, hsm, x);
    if (e == EVOTE_OK || e == EVOTE_ERR_CONFIRM_FAILED) {
        cli_hex(hex, x, 32);
        printf("trustee %s: token x    = %s\n", tid, hex);
    }
    if (e == EVOTE_OK) {
        printf("CONFIRMED\n");
        rc = 0;
    } else if (e == EVOTE_ERR_CONFIRM_FAILED) {
        cli_fail(e, "confirm");
        printf("FAILED\n");
    } else {
        rc = cli_fail(e, "ask the token");
    }
out:
    if (rnd != NULL) {
        evote_wipe(rnd, rlen);
        free(rnd);
    }
    evote_hsm_free(hsm);
    evote_confirm_free(conf);
    evote_decryption_clear(&d);
    for (size_t i = 0; i < npf; i++)
        evote_partial_free(parts[i]);
    free(cts);
    free(shares);
    evote_manifest_free(m);
    return rc;
}
