/* evote decrypt partial | combine — trustees' shares of the decryption. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ceremony.h"
#include "commands.h"

static void partial_usage(FILE *f) {
    fprintf(f,
            "usage: evote decrypt partial --manifest FILE --record RECORD.json\n"
            "         --contest ID --input LIST (--mix-chain DIR [--box IMPORTED] | --unmixed)\n"
            "         --trustee ID --token LABEL --out FILE\n"
            "         [--authorization AUTH.json --signature SIG.p7s...]\n"
            "         [--key-label LABEL] [--checkpoint FILE] [--checkpoint-every K]\n"
            "         [--threads N] [--pin-file FILE] [--module PATH]\n\n"
            "Only the whole final output of the mix chain in DIR, verified here,\n"
            "is decrypted (--unmixed: practice elections without a mix only).\n"
            "This trustee's token computes its part x_i·C1 of every ciphertext of\n"
            "the mixed list (two derives each, exact sign resolution) and writes a\n"
            "partial-decryption file. The officials' authorisation is checked first\n"
            "when the manifest requires approvals. Work is checkpointed (default\n"
            "OUT.ckpt) and a rerun resumes; OUT appears only when complete.\n");
}

int cmd_decrypt_partial(int argc, char **argv) {
    static const struct option lo[] = {
        {"manifest", 1, 0, 'm'}, {"record", 1, 0, 'r'},   {"contest", 1, 0, 'c'},
        {"input", 1, 0, 'i'},    {"trustee", 1, 0, 't'},  {"token", 1, 0, 'T'},
        {"out", 1, 0, 'o'},      {"key-label", 1, 0, 'l'}, {"checkpoint", 1, 0, 'C'},
        {"checkpoint-every", 1, 0, 'K'}, {"threads", 1, 0, 'n'}, {"pin-file", 1, 0, 'p'},
        {"module", 1, 0, 'M'},   {"authorization", 1, 0, 'a'}, {"signature", 1, 0, 's'},
        {"mix-chain", 1, 0, 'x'}, {"unmixed", 0, 0, 'U'}, {"box", 1, 0, 'B'},
        {"help", 0, 0, 'h'},     {0, 0, 0, 0}};
    const char *mpath = NULL, *rec = NULL, *contest = NULL, *input = NULL, *tid = NULL,
               *token = NULL, *out = NULL, *label = NULL, *ckpt = NULL, *pinf = NULL,
               *module = NULL, *auth = NULL, *chain = NULL, *box = NULL;
    bool unmixed = false;
    const char *sigs[CLI_MULTI_MAX];
    size_t nsig = 0;
    unsigned long k = 0, threads = 0;
    int c, rc = 1;
    cli_ceremony_t cc = {0};
    evote_hsm_t *hsm = NULL;
    size_t ti;
    evote_partial_t *part = NULL;
    uint8_t tpk[EVOTE_POINT_LEN];
    char deflabel[128], defckpt[4200];
    evote_err_t e = EVOTE_OK;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 'r': rec = optarg; break;
        case 'c': contest = optarg; break;
        case 'i': input = optarg; break;
        case 't': tid = optarg; break;
        case 'T': token = optarg; break;
        case 'o': out = optarg; break;
        case 'l': label = optarg; break;
        case 'C': ckpt = optarg; break;
        case 'K': k = strtoul(optarg, NULL, 10); break;
        case 'n': threads = strtoul(optarg, NULL, 10); break;
        case 'p': pinf = optarg; break;
        case 'M': module = optarg; break;
        case 'a': auth = optarg; break;
        case 's': if (cli_multi_add(sigs, &nsig, optarg, "--signature")) return 2; break;
        case 'x': chain = optarg; break;
        case 'B': box = optarg; break;
        case 'U': unmixed = true; break;
        case 'h': partial_usage(stdout); return 0;
        default: partial_usage(stderr); return 2;
        }
    }
    if (!mpath || !rec || !contest || !input || !tid || !token || !out ||
        optind != argc || threads > 256) {
        partial_usage(stderr);
        return 2;
    }
    if (label == NULL) {
        cli_trustee_key_label(deflabel, sizeof(deflabel), tid);
        label = deflabel;
    }
    if (ckpt == NULL) {
        snprintf(defckpt, sizeof(defckpt), "%s.ckpt", out);
        ckpt = defckpt;
    }
    if ((rc = cli_ceremony_load(&cc, mpath, contest, rec, NULL, input)) != 0)
        goto out;
    rc = 1;
    if ((ti = cli_ceremony_trustee(&cc, tid, rec)) == cc.nshares)
        goto out;
    /* Approvals first: nothing reaches the token without them. */
    if ((rc = cli_check_authorization(cc.m, contest, cc.list_hash, auth, sigs, nsig)) != 0)
        goto out;
    if ((rc = cli_check_mix_output(cc.m, contest, cc.pk, chain, box, unmixed, cc.cts,
                                   cc.n)) != 0)
        goto out;
    rc = 1;
    if ((rc = cli_token_open(&hsm, module, token, pinf, label, tpk, (unsigned)threads)) != 0)
        goto out;
    rc = 1;
    if (memcmp(tpk, cc.shares[ti].pk, EVOTE_POINT_LEN) != 0) {
        fprintf(stderr, "evote: the key \"%s\" on token \"%s\" is not trustee %s's key "
                        "in %s [EVOTE_ERR_KEY_MISMATCH]\n", label, token, tid, rec);
        goto out;
    }
    evote_partial_opts_t o = {.threads = (unsigned)threads, .checkpoint_every = k,
                              .checkpoint_path = ckpt};
    const char *stop = getenv("EVOTE_TEST_STOP_AFTER");
    if (stop != NULL)
        o.stop_after = strtoul(stop, NULL, 10);
    e = evote_partial_compute_hsm(&part, hsm, evote_manifest_hash(cc.m), contest, tid, tpk,
                                  cc.list_hash, cc.cts, cc.n, &o);
    if (e != EVOTE_OK) {
        cli_fail(e, "partial decryption");
        fprintf(stderr, "evote: progress is kept in %s; run the same command again to "
                        "resume\n", ckpt);
        goto out;
    }
    if ((e = evote_partial_write(part, out)) != EVOTE_OK) {
        cli_fail(e, out);
        goto out;
    }
    remove(ckpt);
    printf("trustee %s: %zu parts written to %s\n", tid, cc.n, out);
    rc = 0;
out:
    evote_partial_free(part);
    evote_hsm_free(hsm);
    cli_ceremony_free(&cc);
    return rc;
}

static void combine_usage(FILE *f) {
    fprintf(f,
            "usage: evote decrypt combine --manifest FILE --record RECORD.json\n"
            "         --contest ID --input LIST (--mix-chain DIR [--box IMPORTED] | --unmixed)\n"
            "         --partial FILE... --out PLAINTEXTS\n\n"
            "Add up every trustee's parts, decode each C2 − ΣS_i to a selection\n"
            "(invalid ones are listed by index) and write the decryption for\n"
            "`evote result` and `evote confirm`.\n");
}

int cmd_decrypt_combine(int argc, char **argv) {
    static const struct option lo[] = {
        {"manifest", 1, 0, 'm'}, {"record", 1, 0, 'r'}, {"contest", 1, 0, 'c'},
        {"input", 1, 0, 'i'},    {"partial", 1, 0, 'P'}, {"out", 1, 0, 'o'},
        {"mix-chain", 1, 0, 'x'}, {"unmixed", 0, 0, 'U'}, {"box", 1, 0, 'B'},
        {"help", 0, 0, 'h'},     {0, 0, 0, 0}};
    const char *mpath = NULL, *rec = NULL, *contest = NULL, *input = NULL, *out = NULL,
               *chain = NULL, *box = NULL;
    bool unmixed = false;
    const char *pf[CLI_MULTI_MAX];
    size_t npf = 0;
    int c, rc = 1;
    cli_ceremony_t cc = {0};
    evote_partial_t *parts[CLI_MULTI_MAX] = {0};
    evote_decryption_t d = {0};
    evote_err_t e;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 'r': rec = optarg; break;
        case 'c': contest = optarg; break;
        case 'i': input = optarg; break;
        case 'P': if (cli_multi_add(pf, &npf, optarg, "--partial")) return 2; break;
        case 'o': out = optarg; break;
        case 'x': chain = optarg; break;
        case 'B': box = optarg; break;
        case 'U': unmixed = true; break;
        case 'h': combine_usage(stdout); return 0;
        default: combine_usage(stderr); return 2;
        }
    }
    if (!mpath || !rec || !contest || !input || !out || npf == 0 || optind != argc) {
        combine_usage(stderr);
        return 2;
    }
    if ((rc = cli_ceremony_load(&cc, mpath, contest, rec, NULL, input)) != 0)
        goto out;
    if ((rc = cli_check_mix_output(cc.m, contest, cc.pk, chain, box, unmixed, cc.cts,
                                   cc.n)) != 0)
        goto out;
    rc = 1;
    for (size_t i = 0; i < npf; i++)
        if ((e = evote_partial_read(&parts[i], pf[i])) != EVOTE_OK) {
            cli_fail(e, pf[i]);
            goto out;
        }
    e = evote_decrypt_combine(&d, cc.shares, cc.nshares, parts, npf,
                              evote_manifest_hash(cc.m), contest,
                              (uint32_t)evote_manifest_option_count(cc.m, cc.ci),
                              cc.list_hash, cc.cts, cc.n);
    if (e != EVOTE_OK) {
        cli_fail(e, "combine");
        goto out;
    }
    if ((e = evote_decryption_write(&d, out)) != EVOTE_OK) {
        cli_fail(e, out);
        goto out;
    }
    size_t inv = 0, n = cc.n;
    for (size_t j = 0; j < n; j++)
        inv += d.selection[j] == EVOTE_SELECTION_INVALID;
    printf("%zu ballots decrypted from %zu trustee(s), %zu invalid; written to %s\n", n,
           npf, inv, out);
    if (inv > 0) {
        printf("invalid ballot indices:");
        for (size_t j = 0, shown = 0; j < n && shown < 50; j++)
            if (d.selection[j] == EVOTE_SELECTION_INVALID) {
                printf(" %zu", j);
                shown++;
            }
        printf(inv > 50 ? " …\n" : "\n");
    }
    rc = 0;
out:
    evote_decryption_clear(&d);
    for (size_t i = 0; i < npf; i++)
        evote_partial_free(parts[i]);
    cli_ceremony_free(&cc);
    return rc;
}
