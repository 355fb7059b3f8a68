/* evote decrypt — decrypt a ciphertext list through the token. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <stdlib.h>

#include "cli_ceremony.h"
#include "cli_hsm.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote decrypt --manifest MANIFEST --contest CONTEST_ID\n"
            "                     --token LABEL --key-label KEY\n"
            "                     --in LIST.bt --out PLAINTEXTS\n"
            "                     (--mix-chain DIR [--box IMPORTED_DIR] | --unmixed)\n"
            "                     [--authorization AUTH.json --signature SIG.p7s ...]\n"
            "                     [--public-key PK.pem] [--threads N] [--sessions N]\n"
            "                     [--module MODULE] [--pin-file FILE]\n\n"
            "Only the final output of a mix chain can be decrypted: LIST.bt must be the\n"
            "verified output of the chain in DIR (docs/PROTOCOL.md §13), whose input is\n"
            "the imported, closed box's list IMPORTED_DIR/ciphertexts/CONTEST_ID.bt.\n"
            "--unmixed skips that check with a warning (practice elections only).\n"
            "When the manifest's policy requires it, officials' approvals of this exact\n"
            "list (`evote decrypt authorize`) must be given with --authorization and one\n"
            "--signature per official; they are checked before the token is opened.\n\n"
            "Decrypt every ciphertext of LIST.bt (a ciphertext list, docs/PROTOCOL.md\n"
            "§3) with the election key KEY inside token LABEL (CKM_ECDH1_DERIVE; the\n"
            "key never leaves the token) and write the plaintext list for `evote\n"
            "tally` to PLAINTEXTS (refuses to overwrite). Ballots that decrypt to no\n"
            "selection are kept as invalid, by index. --public-key checks that KEY is\n"
            "the election key published as PK.pem. --sessions token sessions (default:\n"
            "one per CPU), --threads worker threads (default: one per session).\n\n"
            "User PIN from --pin-file, else $EVOTE_PIN, else a prompt; never argv.\n"
            "MODULE defaults to $EVOTE_PKCS11_MODULE, else %s.\n",
            EVOTE_DEFAULT_PKCS11_MODULE);
}

int cmd_decrypt(int argc, char **argv) {
    static const struct option opts[] = {
        {"manifest", required_argument, NULL, 'M'}, {"contest", required_argument, NULL, 'c'},
        {"token", required_argument, NULL, 't'},    {"key-label", required_argument, NULL, 'k'},
        {"in", required_argument, NULL, 'i'},       {"out", required_argument, NULL, 'o'},
        {"public-key", required_argument, NULL, 'P'},
        {"pubkey", required_argument, NULL, 'P'}, /* old name, hidden alias */
        {"threads", required_argument, NULL, 'T'},
        {"sessions", required_argument, NULL, 'S'}, {"module", required_argument, NULL, 'm'},
        {"pin-file", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
        {"mix-chain", required_argument, NULL, 'x'}, {"box", required_argument, NULL, 'B'},
        {"unmixed", no_argument, NULL, 'U'},
        {"authorization", required_argument, NULL, 'a'},
        {"signature", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0}};
    const char *mpath = NULL, *contest = NULL, *token = NULL, *key = NULL, *in = NULL,
               *out = NULL, *pkpath = NULL, *module = NULL, *pin_file = NULL, *chain = NULL,
               *box = NULL, *auth = NULL;
    const char *sigs[CLI_MULTI_MAX];
    size_t nsig = 0, ncts = 0;
    bool unmixed = false;
    evote_ct_t *cts = NULL;
    uint8_t lh[EVOTE_HASH_LEN];
    unsigned long threads = 0, sessions = 0;
    evote_manifest_t *m = NULL;
    evote_hsm_t *hsm = NULL;
    uint8_t pk[EVOTE_POINT_LEN], want[EVOTE_POINT_LEN];
    evote_decrypt_stats_t st;
    evote_err_t rv;
    size_t ci;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'M': mpath = optarg; break;
        case 'c': contest = optarg; break;
        case 't': token = optarg; break;
        case 'k': key = optarg; break;
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        case 'P': pkpath = optarg; break;
        case 'T':
            if (!cli_parse_count(optarg, 256, &threads)) {
                fprintf(stderr, "%s: --threads %s is not a number from 1 to 256\n", argv[0],
                        optarg);
                return 2;
            }
            break;
        case 'S':
            if (!cli_parse_count(optarg, 256, &sessions)) {
                fprintf(stderr, "%s: --sessions %s is not a number from 1 to 256\n", argv[0],
                        optarg);
                return 2;
            }
            break;
        case 'm': module = optarg; break;
        case 'p': pin_file = optarg; break;
        case 'x': chain = optarg; break;
        case 'B': box = optarg; break;
        case 'U': unmixed = true; break;
        case 'a': auth = optarg; break;
        case 's':
            if (cli_multi_add(sigs, &nsig, optarg, "--signature"))
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !mpath || !contest || !token || !key || !in || !out) {
        fprintf(stderr, "%s: need --manifest, --contest, --token, --key-label, --in and --out\n",
                argv[0]);
        usage(stderr);
        return 2;
    }
    if (unmixed && (chain != NULL || box != NULL)) {
        fprintf(stderr, "%s: --unmixed excludes --mix-chain and --box\n", argv[0]);
        return 2;
    }
    if (access(out, F_OK) == 0) {
        fprintf(stderr, "evote: decrypt: %s already exists; refusing to overwrite [%s]\n", out,
                evote_err_name(EVOTE_ERR_EXISTS));
        return 1;
    }
    if ((rv = evote_manifest_load(&m, mpath)) != EVOTE_OK)
        return cli_fail(rv, "manifest");
    if ((rv = evote_manifest_contest_index(m, contest, &ci)) != EVOTE_OK) {
        rc = cli_fail(rv, "contest");
        goto out;
    }
    if (pkpath != NULL && (rv = evote_pubkey_read_pem(pkpath, want)) != EVOTE_OK) {
        rc = cli_fail(rv, "public key");
        goto out;
    }
    /* The list, its approvals: nothing reaches the token without them. */
    if ((rv = evote_sha256_file(in, lh)) != EVOTE_OK ||
        (rv = evote_ctlist_read(in, &cts, &ncts)) != EVOTE_OK) {
        rc = cli_fail(rv, in);
        goto out;
    }
    if ((rc = cli_check_authorization(m, contest, lh, auth, sigs, nsig)) != 0)
        goto out;
    if (pkpath != NULL &&
        (rc = cli_check_mix_output(m, contest, want, chain, box, unmixed, cts, ncts)) != 0)
        goto out;
    if ((rc = cli_open_token(module, token, pin_file, (unsigned)sessions, &hsm)) != 0)
        goto out;
    rc = 1;
    if ((rv = evote_hsm_select_key(hsm, key, pk)) != EVOTE_OK) {
        rc = cli_fail(rv, "election key");
        goto out;
    }
    if (pkpath != NULL && memcmp(pk, want, sizeof(pk)) != 0) {
        fprintf(stderr, "evote: decrypt: key \"%s\" is not the election key in %s [%s]\n", key,
                pkpath, evote_err_name(EVOTE_ERR_KEY_MISMATCH));
        goto out;
    }
    if (pkpath == NULL &&
        (rc = cli_check_mix_output(m, contest, pk, chain, box, unmixed, cts, ncts)) != 0)
        goto out;
    rc = 1;
    evote_decrypt_opts_t o = {.threads = (unsigned)threads};
    if ((rv = evote_decrypt_file(hsm, m, contest, in, out, &o, &st)) != EVOTE_OK) {
        rc = cli_fail(rv, "decrypt");
        goto out;
    }
    printf("decrypted %zu ciphertexts of contest %s with %u thread%s on %u session%s in "
           "%.2f s (%.0f/s)\n",
           st.ciphertexts, contest, st.threads, st.threads == 1 ? "" : "s",
           evote_hsm_session_count(hsm), evote_hsm_session_count(hsm) == 1 ? "" : "s",
           st.seconds, st.seconds > 0 ? (double)st.ciphertexts / st.seconds : 0.0);
    printf("%zu valid, %zu invalid; plaintexts written to %s\n", st.valid, st.invalid, out);
    rc = 0;
out:
    free(cts);
    evote_hsm_free(hsm);
    evote_manifest_free(m);
    return rc;
}
