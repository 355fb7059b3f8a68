/* evote mix, evote mix verify — one mix party; checking a mix chain. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void usage_mix(FILE *f) {
    fprintf(f,
            "usage: evote mix --manifest MANIFEST --contest ID --public-key PK.pem\n"
            "                 --party K --in LIST.bt --out CHAINDIR [--threads T]\n"
            "                 [--chunk C] [--quiet]\n\n"
            "Run mix party K (1, 2, ...) of the contest's mix chain: re-encrypt and\n"
            "secretly permute its input and append a Terelius-Wikstrom proof of\n"
            "shuffle in Verificatum's format to CHAINDIR (docs/PROTOCOL.md 14).\n"
            "LIST.bt is the box export's ciphertext list. Party 1 mixes it and\n"
            "creates CHAINDIR; party K > 1 first verifies every party of CHAINDIR\n"
            "from LIST.bt, refuses (naming the party and the check) if anything\n"
            "fails, and mixes the verified output of party K-1. Progress goes to\n"
            "stderr when it is a terminal; --quiet silences it. --chunk C: how many\n"
            "ciphertexts are held in memory at a time (default 65536, about 45 MB;\n"
            "the chain's files hold the rest).\n");
}

static void usage_verify(FILE *f) {
    fprintf(f,
            "usage: evote mix verify --manifest MANIFEST --contest ID --public-key PK.pem\n"
            "                        --in LIST.bt [--final OUT.bt] [--threads T]\n"
            "                        [--chunk C] [--quiet] CHAINDIR\n"
            "       evote mix verify --protinfo protInfo.xml [--final OUT.bt] PROOFDIR\n\n"
            "Check every party of a mix chain in order, from the input list to the\n"
            "final output, and print which party and which check fails. The second\n"
            "form checks a Verificatum (VMN 3.1.0) proof directory under its own\n"
            "protocol info file. --final writes the verified final list.\n");
}

struct mix_args {
    const char *manifest, *contest, *pubkey, *in, *out, *protinfo, *final;
    unsigned party, threads;
    size_t chunk;
    bool quiet;
};

static int parse(int argc, char **argv, struct mix_args *a, bool verify) {
    static const struct option opts[] = {
        {"manifest", required_argument, NULL, 'm'}, {"contest", required_argument, NULL, 'c'},
        {"public-key", required_argument, NULL, 'k'},
        {"pubkey", required_argument, NULL, 'k'}, /* old name, hidden alias */
        {"in", required_argument, NULL, 'i'},
        {"out", required_argument, NULL, 'o'},      {"party", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'},  {"quiet", no_argument, NULL, 'q'},
        {"chunk", required_argument, NULL, 'C'},
        {"protinfo", required_argument, NULL, 'P'}, {"final", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    int c;
    char *end;
    memset(a, 0, sizeof(*a));
    while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
        switch (c) {
        case 'm': a->manifest = optarg; break;
        case 'c': a->contest = optarg; break;
        case 'k': a->pubkey = optarg; break;
        case 'i': a->in = optarg; break;
        case 'o': a->out = optarg; break;
        case 'P': a->protinfo = optarg; break;
        case 'f': a->final = optarg; break;
        case 'q': a->quiet = true; break;
        case 'p':
            a->party = (unsigned)strtoul(optarg, &end, 10);
            if (*end != '\0' || a->party < 1 || a->party > 25) {
                fprintf(stderr, "evote mix: --party must be 1 to 25\n");
                return 2;
            }
            break;
        case 't':
            a->threads = (unsigned)strtoul(optarg, &end, 10);
            if (*end != '\0') {
                fprintf(stderr, "evote mix: --threads must be a number\n");
                return 2;
            }
            break;
        case 'C':
            a->chunk = (size_t)strtoull(optarg, &end, 10);
            if (*end != '\0' || optarg[0] == '-' || a->chunk < 1 || a->chunk > (1u << 24)) {
                fprintf(stderr, "evote mix: --chunk must be 1 to 16777216\n");
                return 2;
            }
            break;
        case 'h':
            verify ? usage_verify(stdout) : usage_mix(stdout);
            return -1;
        default:
            verify ? usage_verify(stderr) : usage_mix(stderr);
            return 2;
        }
    }
    return 0;
}

/* Session parameters from the manifest's election id and the contest. */
static int session(const struct mix_args *a, evote_mix_params_t **p, uint8_t pk[33]) {
    evote_manifest_t *m = NULL;
    evote_err_t rv;
    size_t ci;
    if ((rv = evote_manifest_load(&m, a->manifest)) != EVOTE_OK)
        return cli_fail(rv, "manifest");
    if ((rv = evote_manifest_contest_index(m, a->contest, &ci)) != EVOTE_OK) {
        evote_manifest_free(m);
        return cli_fail(rv, "contest");
    }
    rv = evote_mix_params_new(p, evote_manifest_election_id(m), a->contest, 25);
    evote_manifest_free(m);
    if (rv != EVOTE_OK)
        return cli_fail(rv, "mix parameters");
    if ((rv = evote_pubkey_read_pem(a->pubkey, pk)) != EVOTE_OK) {
        evote_mix_params_free(*p);
        *p = NULL;
        return cli_fail(rv, "public key");
    }
    return 0;
}

int cmd_mix(int argc, char **argv) {
    struct mix_args a;
    evote_mix_params_t *p = NULL;
    evote_ct_t *in = NULL;
    size_t n = 0;
    uint8_t pk[33];
    evote_err_t rv;
    int rc = parse(argc, argv, &a, false);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (optind != argc || !a.manifest || !a.contest || !a.pubkey || !a.out || !a.party ||
        !a.in) {
        usage_mix(stderr);
        return 2;
    }
    if ((rc = session(&a, &p, pk)) != 0)
        return rc;
    rc = 1;
    evote_mix_opts_t o = {.threads = a.threads, .progress = !a.quiet, .chunk = a.chunk};
    (void)n;
    rv = evote_mix_run_file(p, pk, a.in, a.party, a.out, &o);
    if (rv != EVOTE_OK) {
        cli_fail(rv, "mix");
        goto out;
    }
    printf("party %02u mixed contest %s into %s (session %s)\n", a.party, a.contest, a.out,
           evote_mix_params_sid(p));
    rc = 0;
out:
    free(in);
    evote_mix_params_free(p);
    return rc;
}

int cmd_mix_verify(int argc, char **argv) {
    struct mix_args a;
    evote_mix_params_t *p = NULL;
    evote_ct_t *in = NULL, *fin = NULL;
    size_t n = 0, nfin = 0;
    uint8_t pk[33];
    evote_err_t rv;
    evote_mix_report_t rep;
    int rc = parse(argc, argv, &a, true);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    bool vmn = a.protinfo != NULL;
    if (optind + 1 != argc ||
        (vmn ? (a.manifest || a.contest || a.pubkey)
             : (!a.manifest || !a.contest || !a.pubkey || !a.in))) {
        usage_verify(stderr);
        return 2;
    }
    const char *dir = argv[optind];
    if (vmn) {
        if ((rv = evote_mix_params_read(&p, a.protinfo)) != EVOTE_OK)
            return cli_fail(rv, a.protinfo);
    } else if ((rc = session(&a, &p, pk)) != 0) {
        return rc;
    }
    rc = 1;
    if (a.in != NULL && (rv = evote_ctlist_read(a.in, &in, &n)) != EVOTE_OK) {
        cli_fail(rv, "input list");
        goto out;
    }
    evote_mix_opts_t o = {.threads = a.threads, .progress = !a.quiet, .chunk = a.chunk};
    rv = evote_mix_verify_dir(p, dir, vmn ? NULL : pk, in, n, &o, &rep, &fin, &nfin);
    if (rv != EVOTE_OK) {
        if (rep.failed_party > 0)
            printf("FAILED: party %02u, check %s (%s)\n", rep.failed_party, rep.check,
                   rep.file);
        else
            printf("FAILED: check %s (%s)\n", rep.check, rep.file);
        cli_fail(rv, "mix verify");
        goto out;
    }
    for (unsigned l = 1; l <= rep.parties; l++)
        printf("party %02u: proof of shuffle verified\n", l);
    printf("verified: %zu ciphertexts through %u parties (session %s)\n", rep.n,
           rep.parties, evote_mix_params_sid(p));
    if (a.final != NULL) {
        if ((rv = evote_ctlist_write(a.final, fin, nfin)) != EVOTE_OK) {
            cli_fail(rv, "final list");
            goto out;
        }
        printf("final list written to %s\n", a.final);
    }
    rc = 0;
out:
    free(in);
    free(fin);
    evote_mix_params_free(p);
    return rc;
}
