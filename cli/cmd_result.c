/* evote result — tally published decryptions into result sheets. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_ceremony.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: evote result --manifest FILE --decryption FILE... \n"
            "         [--cast CONTEST=N]... [--json OUT.json] [--csv OUT.csv]\n"
            "         [--sheet OUT.html] [--time UNIX_SECONDS]\n\n"
            "Count every decryption (one per contest, from `evote decrypt combine`)\n"
            "per option in manifest order, list invalid ballots by index, and write\n"
            "the result as JSON/CSV for machines and a printable HTML sheet (time in\n"
            "Asia/Tokyo, digests of the inputs, signature lines). --cast gives the\n"
            "number of ballots cast in a contest from the closed box (default: the\n"
            "length of the decrypted list).\n");
}

int cmd_result(int argc, char **argv) {
    static const struct option lo[] = {
        {"manifest", 1, 0, 'm'}, {"decryption", 1, 0, 'd'}, {"cast", 1, 0, 'c'},
        {"json", 1, 0, 'j'},     {"csv", 1, 0, 'v'},        {"sheet", 1, 0, 's'},
        {"time", 1, 0, 't'},     {"help", 0, 0, 'h'},       {0, 0, 0, 0}};
    const char *mpath = NULL, *json = NULL, *csv = NULL, *sheet = NULL;
    const char *decs[CLI_MULTI_MAX], *casts[CLI_MULTI_MAX];
    size_t ndec = 0, ncast = 0;
    long long when = -1;
    int c, rc = 1;
    evote_manifest_t *m = NULL;
    evote_result_t *r = NULL;
    evote_err_t e;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': mpath = optarg; break;
        case 'd': if (cli_multi_add(decs, &ndec, optarg, "--decryption")) return 2; break;
        case 'c': if (cli_multi_add(casts, &ncast, optarg, "--cast")) return 2; break;
        case 'j': json = optarg; break;
        case 'v': csv = optarg; break;
        case 's': sheet = optarg; break;
        case 't': when = strtoll(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!mpath || ndec == 0 || optind != argc || (!json && !csv && !sheet)) {
        usage(stderr);
        return 2;
    }
    if ((e = evote_manifest_load(&m, mpath)) != EVOTE_OK) {
        rc = cli_fail(e, mpath);
        goto out;
    }
    if ((e = evote_result_new(&r, m)) != EVOTE_OK) {
        rc = cli_fail(e, "result");
        goto out;
    }
    if (when >= 0)
        evote_result_set_time(r, when);
    for (size_t i = 0; i < ndec; i++) {
        evote_decryption_t d;
        uint8_t h[EVOTE_HASH_LEN];
        unsigned long long cast = 0;
        if ((e = evote_decryption_read(&d, decs[i], m)) != EVOTE_OK ||
            (e = evote_sha256_file(decs[i], h)) != EVOTE_OK) {
            rc = cli_fail(e, decs[i]);
            goto out;
        }
        for (size_t k = 0; k < ncast; k++) {
            size_t l = strlen(d.contest_id);
            if (strncmp(casts[k], d.contest_id, l) == 0 && casts[k][l] == '=')
                cast = strtoull(casts[k] + l + 1, NULL, 10);
        }
        e = evote_result_add(r, &d, cast, h);
        evote_decryption_clear(&d);
        if (e != EVOTE_OK) {
            rc = cli_fail(e, decs[i]);
            goto out;
        }
    }
    if (json && (e = evote_result_write_json(r, json)) != EVOTE_OK) {
        rc = cli_fail(e, json);
        goto out;
    }
    if (csv && (e = evote_result_write_csv(r, csv)) != EVOTE_OK) {
        rc = cli_fail(e, csv);
        goto out;
    }
    if (sheet && (e = evote_result_write_html(r, sheet)) != EVOTE_OK) {
        rc = cli_fail(e, sheet);
        goto out;
    }
    for (size_t ci = 0; ci < evote_manifest_contest_count(m); ci++) {
        const char *cid = evote_manifest_contest_id(m, ci);
        uint64_t inv = 0, v = 0;
        if (evote_result_invalid(r, cid, &inv) != EVOTE_OK)
            continue;
        printf("%s %s\n", cid, evote_manifest_contest_title(m, ci));
        for (size_t j = 0; j < evote_manifest_option_count(m, ci); j++)
            if (evote_result_votes(r, cid, j, &v) == EVOTE_OK)
                printf("  %-24s %llu\n", evote_manifest_option_name(m, ci, j),
                       (unsigned long long)v);
        printf("  %-24s %llu\n", "(invalid)", (unsigned long long)inv);
    }
    evote_err_clear();
    rc = 0;
out:
    evote_result_free(r);
    evote_manifest_free(m);
    return rc;
}
