/* evote keygen — generate the election key pair inside the token. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli_hsm.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote keygen --token LABEL --key-label KEY --manifest MANIFEST\n"
            "                    --out-public-key PK.pem [--record RECORD.json]\n"
            "                    [--module MODULE] [--pin-file FILE]\n\n"
            "Generate the election key pair (P-256) inside the PKCS#11 token LABEL\n"
            "under KEY: the private key is sensitive, never extractable and can only\n"
            "derive (docs/PROTOCOL.md §7). Writes the public key as PEM and, with\n"
            "--record, the ceremony record (manifest hash, token, key attributes as\n"
            "read back, time in UTC and JST). Refuses an existing KEY or output file.\n\n"
            "User PIN from --pin-file, else $EVOTE_PIN, else a prompt; never argv.\n"
            "MODULE defaults to $EVOTE_PKCS11_MODULE, else %s.\n",
            EVOTE_DEFAULT_PKCS11_MODULE);
}

int cmd_keygen(int argc, char **argv) {
    static const struct option opts[] = {
        {"token", required_argument, NULL, 't'},      {"key-label", required_argument, NULL, 'k'},
        {"manifest", required_argument, NULL, 'M'},
        {"out-public-key", required_argument, NULL, 'o'},
        {"out-pubkey", required_argument, NULL, 'o'}, /* old name, hidden alias */
        {"record", required_argument, NULL, 'r'},     {"module", required_argument, NULL, 'm'},
        {"pin-file", required_argument, NULL, 'p'},   {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *token = NULL, *key = NULL, *mpath = NULL, *out = NULL, *record = NULL,
               *module = NULL, *pin_file = NULL;
    evote_manifest_t *m = NULL;
    evote_hsm_t *hsm = NULL;
    uint8_t pk[EVOTE_POINT_LEN];
    evote_err_t rv;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 't': token = optarg; break;
        case 'k': key = optarg; break;
        case 'M': mpath = optarg; break;
        case 'o': out = optarg; break;
        case 'r': record = optarg; break;
        case 'm': module = optarg; break;
        case 'p': pin_file = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !token || !key || !mpath || !out) {
        fprintf(stderr, "%s: need --token, --key-label, --manifest and --out-public-key\n",
                argv[0]);
        usage(stderr);
        return 2;
    }
    /* Check the outputs before the key exists: a ceremony must not leave a
     * key behind whose public half could not be written. */
    if (access(out, F_OK) == 0 || (record != NULL && access(record, F_OK) == 0)) {
        fprintf(stderr, "evote: keygen: %s already exists; refusing to overwrite [%s]\n",
                access(out, F_OK) == 0 ? out : record, evote_err_name(EVOTE_ERR_EXISTS));
        return 1;
    }
    if ((rv = evote_manifest_load(&m, mpath)) != EVOTE_OK)
        return cli_fail(rv, "manifest");
    if ((rc = cli_open_token(module, token, pin_file, 1, &hsm)) != 0)
        goto out;
    rc = 1;
    if ((rv = evote_hsm_keygen(hsm, key, pk)) != EVOTE_OK) {
        rc = cli_fail(rv, "keygen");
        goto out;
    }
    if ((rv = evote_pubkey_write_pem(out, pk)) != EVOTE_OK) {
        rc = cli_fail(rv, "public key");
        goto out;
    }
    if (record != NULL &&
        (rv = evote_hsm_keygen_record_write(hsm, record, key, evote_manifest_hash(m),
                                            evote_manifest_election_id(m))) != EVOTE_OK) {
        rc = cli_fail(rv, "ceremony record");
        goto out;
    }
    printf("election key \"%s\" generated in token \"%s\"\npublic key ", key, token);
    for (size_t i = 0; i < sizeof(pk); i++)
        printf("%02x", pk[i]);
    printf("\n");
    printf("written %s%s%s\n", out, record ? " and " : "", record ? record : "");
    rc = 0;
out:
    evote_hsm_free(hsm);
    evote_manifest_free(m);
    return rc;
}
