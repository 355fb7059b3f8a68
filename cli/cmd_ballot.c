/* evote ballot encrypt / ballot verify — one encrypted ballot per contest. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void encrypt_usage(FILE *f) {
    fprintf(f,
            "usage: evote ballot encrypt --manifest MANIFEST --public-key PK.pem\n"
            "                            --contest CONTEST_ID\n"
            "                            (--selection INDEX | --option OPTION_ID)\n"
            "                            --out BALLOT\n\n"
            "Encrypt one selection for one contest under the election public key\n"
            "(EC-ElGamal with a proof of knowledge bound to the manifest hash and\n"
            "contest; docs/PROTOCOL.md §6) and write the ballot bytes to BALLOT.\n"
            "INDEX is the 0-based option position in the manifest's official order.\n");
}

static void verify_usage(FILE *f) {
    fprintf(f, "usage: evote ballot verify --manifest MANIFEST --public-key PK.pem\n"
               "                           BALLOT\n\n"
               "Decode a ballot (every point validated) and check that it names this\n"
               "manifest and one of its contests and that its proof verifies.\n"
               "Exit status 0 if the ballot is valid, 1 if not, 2 on misuse.\n");
}

static bool parse_index(const char *s, uint32_t *out) {
    char *end;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return false;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

int cmd_ballot_encrypt(int argc, char **argv) {
    static const struct option opts[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"public-key", required_argument, NULL, 'k'},
        {"pubkey", required_argument, NULL, 'k'}, /* old name, hidden alias */
        {"contest", required_argument, NULL, 'c'},  {"selection", required_argument, NULL, 's'},
        {"option", required_argument, NULL, 'o'},   {"out", required_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *mpath = NULL, *kpath = NULL, *contest = NULL, *sel_s = NULL, *opt_id = NULL,
               *out = NULL;
    evote_manifest_t *m = NULL;
    uint8_t pk[EVOTE_POINT_LEN];
    evote_ballot_t b;
    evote_err_t rv;
    uint32_t sel = 0;
    size_t ci;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 'k': kpath = optarg; break;
        case 'c': contest = optarg; break;
        case 's': sel_s = optarg; break;
        case 'o': opt_id = optarg; break;
        case 'O': out = optarg; break;
        case 'h': encrypt_usage(stdout); return 0;
        default: encrypt_usage(stderr); return 2;
        }
    }
    if (optind != argc || !mpath || !kpath || !contest || !out || (!sel_s == !opt_id)) {
        fprintf(stderr, "%s: need --manifest, --public-key, --contest, --out and exactly "
                        "one of --selection/--option\n", argv[0]);
        encrypt_usage(stderr);
        return 2;
    }
    if (sel_s != NULL && !parse_index(sel_s, &sel)) {
        fprintf(stderr, "%s: --selection %s is not a non-negative integer\n", argv[0], sel_s);
        return 2;
    }
    if ((rv = evote_manifest_load(&m, mpath)) != EVOTE_OK)
        return cli_fail(rv, "manifest");
    if ((rv = evote_pubkey_read_pem(kpath, pk)) != EVOTE_OK) {
        rc = cli_fail(rv, "public key");
        goto out;
    }
    if ((rv = evote_manifest_contest_index(m, contest, &ci)) != EVOTE_OK) {
        rc = cli_fail(rv, "contest");
        goto out;
    }
    if (opt_id != NULL) {
        size_t n = evote_manifest_option_count(m, ci), j = 0;
        while (j < n && strcmp(evote_manifest_option_id(m, ci, j), opt_id) != 0)
            j++;
        if (j == n) {
            fprintf(stderr, "evote: option \"%s\" is not in contest %s\n", opt_id, contest);
            goto out;
        }
        sel = (uint32_t)j;
    }
    if ((rv = evote_ballot_encrypt(&b, m, contest, pk, sel)) != EVOTE_OK) {
        rc = cli_fail(rv, "encrypt");
        goto out;
    }
    if ((rv = evote_ballot_write(&b, out)) != EVOTE_OK) {
        rc = cli_fail(rv, "write ballot");
        goto out;
    }
    printf("ballot for contest %s written to %s\n", contest, out);
    rc = 0;
out:
    evote_manifest_free(m);
    return rc;
}

int cmd_ballot_verify(int argc, char **argv) {
    static const struct option opts[] = {{"manifest", required_argument, NULL, 'm'},
                                         {"public-key", required_argument, NULL, 'k'},
                                         /* old name, hidden alias */
                                         {"pubkey", required_argument, NULL, 'k'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *mpath = NULL, *kpath = NULL;
    evote_manifest_t *m = NULL;
    uint8_t pk[EVOTE_POINT_LEN];
    evote_ballot_t b;
    evote_err_t rv;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 'k': kpath = optarg; break;
        case 'h': verify_usage(stdout); return 0;
        default: verify_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !mpath || !kpath) {
        verify_usage(stderr);
        return 2;
    }
    if ((rv = evote_manifest_load(&m, mpath)) != EVOTE_OK)
        return cli_fail(rv, "manifest");
    if ((rv = evote_pubkey_read_pem(kpath, pk)) != EVOTE_OK) {
        rc = cli_fail(rv, "public key");
        goto out;
    }
    if ((rv = evote_ballot_read(&b, argv[optind])) != EVOTE_OK) {
        rc = cli_fail(rv, "ballot");
        goto out;
    }
    if ((rv = evote_ballot_check(&b, m, pk)) != EVOTE_OK) {
        rc = cli_fail(rv, "ballot");
        goto out;
    }
    printf("ballot OK: election %s, contest %s, proof verifies\n",
           evote_manifest_election_id(m), b.contest_id);
    rc = 0;
out:
    evote_manifest_free(m);
    return rc;
}
