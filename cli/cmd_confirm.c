/* evote confirm — an observer confirms the published decryption. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ceremony.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote confirm --manifest FILE (--record RECORD.json | --key PUBKEY.pem)\n"
            "         --contest ID --input LIST --decryption PLAINTEXTS [--partial FILE...]\n"
            "         [--randomness FILE|-] [--query-out Q.der] [--out CONFIRMATION.json]\n"
            "         [--trustee ID --token LABEL [--key-label L] [--pin-file F]]...\n"
            "         [--module PATH]\n\n"
            "Run AFTER the decryption is published. The observer types or reads in\n"
            "fresh randomness (hex digits, or dice rolls 1-6; default: stdin). evote\n"
            "derives the query point Q from it and the published data, prints Q and\n"
            "every trustee's expected x-coordinate, and, for each --trustee/--token\n"
            "pair (repeat them: the k-th --token, --key-label and --pin-file belong to\n"
            "the k-th --trustee; a single --pin-file serves every token), asks that\n"
            "trustee's token for ONE derive on Q and prints CONFIRMED or FAILED.\n"
            "--key: an election with one key and no trustees (the key is trustee\n"
            "\"" CLI_SINGLE_KEY_ID "\"; default key label \"election-key\").\n"
            "--out writes the confirmation (libevote-confirmation/1, PROTOCOL §15.4)\n"
            "atomically, also when it FAILED (the exit status then stays non-zero).\n"
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

/* Write the confirmation file if asked; returns false on a write error. */
static bool write_out(const char *path, evote_confirmation_t *rec) {
    if (path == NULL)
        return true;
    bool all = rec->ntrustees > 0, failed = !rec->have_q;
    for (size_t i = 0; i < rec->ntrustees; i++) {
        all = all && rec->trustees[i].verdict == EVOTE_CONFIRM_CONFIRMED;
        failed = failed || rec->trustees[i].verdict == EVOTE_CONFIRM_FAILED;
    }
    rec->verdict = failed ? EVOTE_CONFIRM_FAILED
                          : (all ? EVOTE_CONFIRM_CONFIRMED : EVOTE_CONFIRM_NOT_ASKED);
    evote_err_t e = evote_confirmation_write(rec, path);
    if (e != EVOTE_OK) {
        cli_fail(e, path);
        return false;
    }
    printf("confirmation (%s) written to %s\n", evote_confirm_verdict_name(rec->verdict),
           path);
    return true;
}

int cmd_confirm(int argc, char **argv) {
    static const struct option lo[] = {
        {"manifest", 1, 0, 'm'}, {"record", 1, 0, 'r'},    {"contest", 1, 0, 'c'},
        {"input", 1, 0, 'i'},    {"decryption", 1, 0, 'd'}, {"partial", 1, 0, 'P'},
        {"randomness", 1, 0, 'R'}, {"query-out", 1, 0, 'q'}, {"trustee", 1, 0, 't'},
        {"token", 1, 0, 'T'},    {"key-label", 1, 0, 'l'}, {"pin-file", 1, 0, 'p'},
        {"module", 1, 0, 'M'},   {"out", 1, 0, 'o'},       {"key", 1, 0, 'k'},
        {"help", 0, 0, 'h'},     {0, 0, 0, 0}};
    const char *mpath = NULL, *rec = NULL, *contest = NULL, *input = NULL, *decp = NULL,
               *rpath = NULL, *qout = NULL, *module = NULL, *outp = NULL, *keyp = NULL;
    const char *pf[CLI_MULTI_MAX], *tids[CLI_MULTI_MAX], *tokens[CLI_MULTI_MAX],
        *labels[CLI_MULTI_MAX], *pins[CLI_MULTI_MAX];
    size_t npf = 0, ntid = 0, ntok = 0, nlab = 0, npin = 0, rlen = 0;
    int c, rc = 1;
    cli_ceremony_t cc = {0};
    evote_partial_t *parts[CLI_MULTI_MAX] = {0};
    evote_decryption_t d = {0};
    evote_confirm_t *conf = NULL;
    evote_confirmation_t out = {0};
    char *rnd = NULL, hex[200];
    uint8_t q[EVOTE_POINT_LEN], x[32], der[91];
    evote_err_t e;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 'r': rec = optarg; break;
        case 'k': keyp = optarg; break;
        case 'c': contest = optarg; break;
        case 'i': input = optarg; break;
        case 'd': decp = optarg; break;
        case 'P': if (cli_multi_add(pf, &npf, optarg, "--partial")) return 2; break;
        case 'R': rpath = optarg; break;
        case 'q': qout = optarg; break;
        case 'o': outp = optarg; break;
        case 't': if (cli_multi_add(tids, &ntid, optarg, "--trustee")) return 2; break;
        case 'T': if (cli_multi_add(tokens, &ntok, optarg, "--token")) return 2; break;
        case 'l': if (cli_multi_add(labels, &nlab, optarg, "--key-label")) return 2; break;
        case 'p': if (cli_multi_add(pins, &npin, optarg, "--pin-file")) return 2; break;
        case 'M': module = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    bool ok = mpath && contest && input && decp && optind == argc && (!rec != !keyp) &&
              nlab <= ntok && (npin <= 1 || npin == ntok) &&
              (ntid == ntok || ntok == 0 || (keyp != NULL && ntid == 0 && ntok <= 1));
    if (!ok) {
        usage(stderr);
        return 2;
    }
    if (keyp != NULL && ntok == 1 && ntid == 0)
        tids[ntid++] = CLI_SINGLE_KEY_ID;
    if ((rc = cli_ceremony_load(&cc, mpath, contest, rec, keyp, input)) != 0)
        goto out;
    rc = 1;
    if ((e = evote_decryption_read(&d, decp, cc.m)) != EVOTE_OK) {
        rc = cli_fail(e, decp);
        goto out;
    }
    if (memcmp(d.list_hash, cc.list_hash, 32) != 0 || strcmp(d.contest_id, contest) != 0 ||
        memcmp(d.manifest_hash, evote_manifest_hash(cc.m), 32) != 0) {
        fprintf(stderr, "evote: %s is not the decryption of %s for contest %s "
                        "[EVOTE_ERR_DIGEST_MISMATCH]\n", decp, input, contest);
        goto out;
    }
    for (size_t i = 0; i < npf; i++)
        if ((e = evote_partial_read(&parts[i], pf[i])) != EVOTE_OK) {
            rc = cli_fail(e, pf[i]);
            goto out;
        }
    for (size_t k = 0; k < ntid; k++)
        if (cli_ceremony_trustee(&cc, tids[k], rec != NULL ? rec : keyp) == cc.nshares)
            goto out;
    if (rpath == NULL || strcmp(rpath, "-") == 0)
        fprintf(stderr, "Type or paste the observer's randomness (hex digits or dice "
                        "rolls 1-6), then end with Ctrl-D:\n");
    rnd = read_all(rpath, &rlen);
    if (rnd == NULL || memchr(rnd, '\0', rlen) != NULL) {
        fprintf(stderr, "evote: cannot read the observer's randomness\n");
        goto out;
    }
    /* The record keeps the randomness as given (a C string). */
    {
        char *t = realloc(rnd, rlen + 1);
        if (t == NULL)
            goto out;
        rnd = t;
        rnd[rlen] = '\0';
    }
    memcpy(out.manifest_hash, evote_manifest_hash(cc.m), EVOTE_HASH_LEN);
    snprintf(out.contest_id, sizeof(out.contest_id), "%s", contest);
    memcpy(out.input_sha256, cc.list_hash, EVOTE_HASH_LEN);
    if ((e = evote_sha256_file(decp, out.plaintexts_sha256)) != EVOTE_OK) {
        rc = cli_fail(e, decp);
        goto out;
    }
    out.randomness = rnd;
    out.ntrustees = cc.nshares;
    out.trustees = calloc(cc.nshares, sizeof(*out.trustees));
    if (out.trustees == NULL)
        goto out;
    for (size_t i = 0; i < cc.nshares; i++)
        strcpy(out.trustees[i].trustee_id, cc.shares[i].id);

    e = evote_confirm_new(&conf, rnd, rlen, &d, cc.cts, cc.n, cc.shares, cc.nshares, parts,
                          npf);
    if (e == EVOTE_ERR_CONFIRM_FAILED) {
        snprintf(out.detail, sizeof(out.detail), "%s", evote_err_detail());
        /* the mode of the text, for the record: dice if only 1-6 */
        strcpy(out.mode, strspn(rnd, "123456 \t\r\n") == rlen ? "dice" : "hex");
        cli_fail(e, "confirm");
        printf("FAILED\n");
        write_out(outp, &out);
        goto out;
    }
    if (e != EVOTE_OK) {
        rc = cli_fail(e, "confirm");
        goto out;
    }
    snprintf(out.mode, sizeof(out.mode), "%s", evote_confirm_mode(conf));
    evote_confirm_query(conf, q);
    memcpy(out.q, q, EVOTE_POINT_LEN);
    out.have_q = true;
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
    for (size_t i = 0; i < cc.nshares; i++) {
        if ((e = evote_confirm_expected(conf, cc.shares[i].id, x)) != EVOTE_OK) {
            rc = cli_fail(e, "expected");
            goto out;
        }
        memcpy(out.trustees[i].expected, x, 32);
        out.trustees[i].have_expected = true;
        cli_hex(hex, x, 32);
        printf("trustee %s: expected x = %s\n", cc.shares[i].id, hex);
    }
    if (ntok == 0) {
        printf("no token asked (use --trustee ID --token LABEL, or pkcs11-tool)\n");
        rc = write_out(outp, &out) ? 0 : 1;
        goto out;
    }
    bool failed = false;
    for (size_t k = 0; k < ntok; k++) {
        char deflabel[128];
        const char *label = k < nlab ? labels[k] : NULL;
        uint8_t tpk[EVOTE_POINT_LEN];
        evote_hsm_t *hsm = NULL;
        size_t ti = cli_ceremony_trustee(&cc, tids[k], rec);
        if (label == NULL) {
            if (keyp != NULL)
                snprintf(deflabel, sizeof(deflabel), "election-key");
            else
                cli_trustee_key_label(deflabel, sizeof(deflabel), tids[k]);
            label = deflabel;
        }
        if ((rc = cli_token_open(&hsm, module, tokens[k], npin ? pins[npin > 1 ? k : 0] : NULL,
                                 label, tpk, 1)) != 0) {
            write_out(outp, &out);
            goto out;
        }
        e = evote_confirm_check(conf, tids[k], cli_hsm_derive, hsm, x);
        evote_hsm_free(hsm);
        if (e == EVOTE_OK || e == EVOTE_ERR_CONFIRM_FAILED) {
            cli_hex(hex, x, 32);
            printf("trustee %s: token x    = %s\n", tids[k], hex);
            memcpy(out.trustees[ti].answer, x, 32);
            out.trustees[ti].have_answer = true;
        }
        if (e == EVOTE_OK) {
            out.trustees[ti].verdict = EVOTE_CONFIRM_CONFIRMED;
            printf("trustee %s: CONFIRMED\n", tids[k]);
        } else if (e == EVOTE_ERR_CONFIRM_FAILED) {
            out.trustees[ti].verdict = EVOTE_CONFIRM_FAILED;
            snprintf(out.detail, sizeof(out.detail), "%s", evote_err_detail());
            cli_fail(e, "confirm");
            printf("trustee %s: FAILED\n", tids[k]);
            failed = true;
        } else {
            rc = cli_fail(e, "ask the token");
            write_out(outp, &out);
            goto out;
        }
    }
    printf("%s\n", failed ? "FAILED" : "CONFIRMED");
    rc = write_out(outp, &out) && !failed ? 0 : 1;
out:
    if (rnd != NULL) {
        evote_wipe(rnd, rlen);
        free(rnd);
    }
    free(out.trustees);
    evote_confirm_free(conf);
    evote_decryption_clear(&d);
    for (size_t i = 0; i < npf; i++)
        evote_partial_free(parts[i]);
    cli_ceremony_free(&cc);
    return rc;
}
