/* evote trustee keygen | combine-keys — the n-of-n key ceremony. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ceremony.h"
#include "commands.h"

static void keygen_usage(FILE *f) {
    fprintf(f,
            "usage: evote trustee keygen --manifest FILE --trustee ID --token LABEL\n"
            "         --commitment-out FILE --key-out FILE [--key-label LABEL]\n"
            "         [--record-out FILE] [--pin-file FILE] [--module PATH]\n\n"
            "Generate this trustee's P-256 key inside their own token (never leaves\n"
            "it) and write the commitment H(manifest, trustee, PK_i) and the public\n"
            "key share. Publish the commitment first; hand over the key share only\n"
            "after every trustee's commitment has been published.\n"
            "Default key label: evote-trustee-ID. --record-out writes the token's\n"
            "attribute record of the new key (libevote-keygen-record/1, as `evote\n"
            "keygen` does): the key's attributes as the token reports them prove it is\n"
            "sensitive, never extractable and derive-only; publish it as\n"
            "trustees/ID.keygen-record.json.\n");
}

int cmd_trustee_keygen(int argc, char **argv) {
    static const struct option lo[] = {
        {"manifest", 1, 0, 'm'}, {"trustee", 1, 0, 't'},   {"token", 1, 0, 'T'},
        {"commitment-out", 1, 0, 'c'}, {"key-out", 1, 0, 'k'}, {"key-label", 1, 0, 'l'},
        {"pin-file", 1, 0, 'p'}, {"module", 1, 0, 'M'},    {"help", 0, 0, 'h'},
        {"record-out", 1, 0, 'R'}, {0, 0, 0, 0}};
    const char *mpath = NULL, *tid = NULL, *token = NULL, *cout = NULL, *kout = NULL,
               *label = NULL, *pinf = NULL, *module = NULL, *rout = NULL;
    int c, rc = 1;
    evote_manifest_t *m = NULL;
    evote_hsm_t *hsm = NULL;
    uint8_t pk[EVOTE_POINT_LEN], com[EVOTE_HASH_LEN];
    char deflabel[128];
    evote_err_t e;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 't': tid = optarg; break;
        case 'T': token = optarg; break;
        case 'c': cout = optarg; break;
        case 'k': kout = optarg; break;
        case 'l': label = optarg; break;
        case 'p': pinf = optarg; break;
        case 'M': module = optarg; break;
        case 'R': rout = optarg; break;
        case 'h': keygen_usage(stdout); return 0;
        default: keygen_usage(stderr); return 2;
        }
    }
    if (!mpath || !tid || !token || !cout || !kout || optind != argc) {
        keygen_usage(stderr);
        return 2;
    }
    if (label == NULL) {
        cli_trustee_key_label(deflabel, sizeof(deflabel), tid);
        label = deflabel;
    }
    if ((e = evote_manifest_load(&m, mpath)) != EVOTE_OK) {
        rc = cli_fail(e, mpath);
        goto out;
    }
    if ((rc = cli_token_open(&hsm, module, token, pinf, NULL, NULL, 1)) != 0)
        goto out;
    rc = 1;
    if ((e = evote_hsm_keygen(hsm, label, pk)) != EVOTE_OK) {
        cli_fail(e, "generate key");
        goto out;
    }
    if ((e = evote_trustee_commitment(com, evote_manifest_hash(m), tid, pk)) != EVOTE_OK ||
        (e = evote_trustee_commitment_write(cout, evote_manifest_hash(m), tid, com)) !=
            EVOTE_OK) {
        cli_fail(e, cout);
        goto out;
    }
    if ((e = evote_trustee_key_write(kout, evote_manifest_hash(m), tid, pk)) != EVOTE_OK) {
        cli_fail(e, kout);
        goto out;
    }
    if (rout != NULL &&
        (e = evote_hsm_keygen_record_write(hsm, rout, label, evote_manifest_hash(m),
                                           evote_manifest_election_id(m))) != EVOTE_OK) {
        cli_fail(e, rout);
        goto out;
    }
    printf("trustee %s: key \"%s\" generated on token \"%s\"\ncommitment %s\n", tid,
           label, token, cli_hex32(com));
    rc = 0;
out:
    evote_hsm_free(hsm);
    evote_manifest_free(m);
    return rc;
}

static void combine_usage(FILE *f) {
    fprintf(f,
            "usage: evote trustee combine-keys --manifest FILE --commitment FILE...\n"
            "         --key FILE... --out PUBKEY.pem --record RECORD.json\n\n"
            "Check every trustee's key share against the commitment they published\n"
            "first (EVOTE_ERR_COMMITMENT if one differs) and write the election\n"
            "public key (their sum) and the key-ceremony record.\n");
}

int cmd_trustee_combine(int argc, char **argv) {
    static const struct option lo[] = {
        {"manifest", 1, 0, 'm'}, {"commitment", 1, 0, 'c'}, {"key", 1, 0, 'k'},
        {"out", 1, 0, 'o'},      {"record", 1, 0, 'r'},     {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    const char *mpath = NULL, *out = NULL, *rec = NULL;
    const char *coms[CLI_MULTI_MAX], *keys[CLI_MULTI_MAX];
    size_t ncom = 0, nkey = 0;
    int c, rc = 1;
    evote_manifest_t *m = NULL;
    evote_trustee_share_t *s = NULL;
    uint8_t pk[EVOTE_POINT_LEN];
    evote_err_t e;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 'c': if (cli_multi_add(coms, &ncom, optarg, "--commitment")) return 2; break;
        case 'k': if (cli_multi_add(keys, &nkey, optarg, "--key")) return 2; break;
        case 'o': out = optarg; break;
        case 'r': rec = optarg; break;
        case 'h': combine_usage(stdout); return 0;
        default: combine_usage(stderr); return 2;
        }
    }
    if (!mpath || !out || !rec || ncom == 0 || optind != argc) {
        combine_usage(stderr);
        return 2;
    }
    if (ncom != nkey) {
        fprintf(stderr, "evote: %zu commitments but %zu keys\n", ncom, nkey);
        return 2;
    }
    if ((e = evote_manifest_load(&m, mpath)) != EVOTE_OK) {
        rc = cli_fail(e, mpath);
        goto out;
    }
    s = calloc(ncom, sizeof(*s));
    if (s == NULL)
        goto out;
    for (size_t i = 0; i < ncom; i++) {
        e = evote_trustee_commitment_read(coms[i], evote_manifest_hash(m), s[i].id,
                                          s[i].commitment);
        if (e != EVOTE_OK) {
            cli_fail(e, coms[i]);
            goto out;
        }
    }
    for (size_t i = 0; i < nkey; i++) {
        char id[EVOTE_ID_MAX + 1];
        uint8_t kpk[EVOTE_POINT_LEN];
        e = evote_trustee_key_read(keys[i], evote_manifest_hash(m), id, kpk);
        if (e != EVOTE_OK) {
            cli_fail(e, keys[i]);
            goto out;
        }
        size_t j = 0;
        while (j < ncom && strcmp(s[j].id, id) != 0)
            j++;
        if (j == ncom) {
            fprintf(stderr, "evote: %s: no commitment from trustee \"%s\"\n", keys[i], id);
            e = EVOTE_ERR_COMMITMENT;
            goto out;
        }
        memcpy(s[j].pk, kpk, EVOTE_POINT_LEN);
    }
    if ((e = evote_trustee_combine_keys(pk, m, evote_manifest_hash(m), s, ncom)) !=
        EVOTE_OK) {
        cli_fail(e, "combine keys");
        goto out;
    }
    if ((e = evote_trustee_record_write(rec, evote_manifest_hash(m), s, ncom, pk)) !=
        EVOTE_OK) {
        cli_fail(e, rec);
        goto out;
    }
    if ((e = evote_pubkey_write_pem(out, pk)) != EVOTE_OK) {
        cli_fail(e, out);
        goto out;
    }
    printf("election public key from %zu trustee(s) written to %s\n", ncom, out);
    rc = 0;
out:
    if (rc != 0 && e == EVOTE_ERR_COMMITMENT)
        rc = 1;
    free(s);
    evote_manifest_free(m);
    return rc;
}
