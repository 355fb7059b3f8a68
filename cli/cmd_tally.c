/* evote tally — count a decrypted plaintext list against the manifest. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f, "usage: evote tally --manifest MANIFEST --plaintexts FILE [--json OUT]\n\n"
               "Decode every plaintext of FILE (written by `evote decrypt`) to a\n"
               "selection of its contest and print the votes per option in official\n"
               "order; ballots that do not decode are invalid and listed by index.\n"
               "--json OUT also writes the result as JSON (docs/PROTOCOL.md §8).\n");
}

int cmd_tally(int argc, char **argv) {
    static const struct option opts[] = {{"manifest", required_argument, NULL, 'm'},
                                         {"plaintexts", required_argument, NULL, 'p'},
                                         {"json", required_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *mpath = NULL, *ppath = NULL, *jpath = NULL;
    evote_manifest_t *m = NULL;
    evote_plaintexts_t *p = NULL;
    evote_tally_t *t = NULL;
    evote_err_t rv;
    int c, rc = 1;

    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 'p': ppath = optarg; break;
        case 'j': jpath = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !mpath || !ppath) {
        usage(stderr);
        return 2;
    }
    if ((rv = evote_manifest_load(&m, mpath)) != EVOTE_OK)
        return cli_fail(rv, "manifest");
    if ((rv = evote_plaintexts_read(&p, ppath)) != EVOTE_OK) {
        rc = cli_fail(rv, "plaintexts");
        goto out;
    }
    if ((rv = evote_tally_compute(&t, m, p)) != EVOTE_OK) {
        rc = cli_fail(rv, "tally");
        goto out;
    }
    size_t ci = evote_tally_contest_index(t);
    printf("election %s — %s\n", evote_manifest_election_id(m), evote_manifest_title(m));
    printf("contest %s [%s] — %s\n\n", evote_manifest_contest_id(m, ci),
           evote_manifest_contest_kind(m, ci), evote_manifest_contest_title(m, ci));
    printf("  %10s  %-20s %s\n", "votes", "option", "name");
    for (size_t j = 0; j < evote_manifest_option_count(m, ci); j++)
        printf("  %10llu  %-20s %s\n", (unsigned long long)evote_tally_votes(t, j),
               evote_manifest_option_id(m, ci, j), evote_manifest_option_name(m, ci, j));
    uint64_t inv = evote_tally_invalid_count(t), tot = evote_tally_total(t);
    printf("  %10llu  %-20s\n", (unsigned long long)inv, "(invalid)");
    printf("  %10llu  %-20s\n", (unsigned long long)tot, "(total)");
    if (inv > 0) {
        printf("\ninvalid ballots (index in the decrypted list):");
        for (uint64_t i = 0; i < inv && i < 50; i++)
            printf(" %llu", (unsigned long long)evote_tally_invalid_index(t, (size_t)i));
        printf(inv > 50 ? " … (all in the JSON result)\n" : "\n");
    }
    if (jpath != NULL) {
        if ((rv = evote_tally_write_json(t, jpath)) != EVOTE_OK) {
            rc = cli_fail(rv, "tally JSON");
            goto out;
        }
        printf("\nresult written to %s\n", jpath);
    }
    rc = 0;
out:
    evote_tally_free(t);
    evote_plaintexts_free(p);
    evote_manifest_free(m);
    return rc;
}
