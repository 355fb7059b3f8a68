/* evote decrypt — decrypt a ciphertext list through the token. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_hsm.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote decrypt --manifest MANIFEST --contest CONTEST_ID\n"
            "                     --token LABEL --key-label KEY\n"
            "                     --in LIST.bt --out PLAINTEXTS\n"
            "                     [--pubkey PK.pem] [--threads N] [--sessions N]\n"
            "                     [--module MODULE] [--pin-file FILE]\n\n"
            "Decrypt every ciphertext of LIST.bt (a ciphertext list, docs/PROTOCOL.md\n"
            "§3) with the election key KEY inside token LABEL (CKM_ECDH1_DERIVE; the\n"
            "key never leaves the token) and write the plaintext list for `evote\n"
            "tally` to PLAINTEXTS (refuses to overwrite). Ballots that decrypt to no\n"
            "selection are kept as invalid, by index. --pubkey checks that KEY is the\n"
            "election key published as PK.pem. --sessions token sessions (default:\n"
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
        {"pubkey", required_argument, NULL, 'P'},   {"threads", required_argument, NULL, 'T'},
        {"sessions", required_argument, NULL, 'S'}, {"module", required_argument, NULL, 'm'},
        {"pin-file", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *mpath = NULL, *contest = NULL, *token = NULL, *key = NULL, *in = NULL,
               *out = NULL, *pkpath = NULL, *module = NULL, *pin_file = NULL;
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
    evote_hsm_free(hsm);
    evote_manifest_free(m);
    return rc;
}
