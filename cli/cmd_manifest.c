/* evote manifest check — validate a manifest and print what it says. */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f, "usage: evote manifest check MANIFEST\n\n"
               "Validate an election manifest (docs/PROTOCOL.md §4) and print its\n"
               "election id, SHA-256 (the election's anchor), voting window in JST\n"
               "and UTC, contests and options in official order.\n"
               "Exit status 0 if the manifest is valid, 1 if not, 2 on misuse.\n");
}

static void print_time(const char *label, int64_t t) {
    char jst[32], utc[32];
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    strftime(utc, sizeof(utc), "%Y-%m-%d %H:%M:%S", &tm);
    tt = (time_t)(t + 9 * 3600);
    gmtime_r(&tt, &tm);
    strftime(jst, sizeof(jst), "%Y-%m-%d %H:%M:%S", &tm);
    printf("  %-7s %s JST (%s UTC, %lld)\n", label, jst, utc, (long long)t);
}

int cmd_manifest_check(int argc, char **argv) {
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    evote_manifest_t *m = NULL;
    int c, rc = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        usage(stderr);
        return 2;
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    evote_err_t rv = evote_manifest_load(&m, argv[optind]);
    if (rv != EVOTE_OK)
        return cli_fail(rv, "manifest check");

    char hex[2 * EVOTE_HASH_LEN + 1];
    const uint8_t *h = evote_manifest_hash(m);
    for (int i = 0; i < EVOTE_HASH_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    int64_t opens, closes;
    evote_manifest_window(m, &opens, &closes);
    printf("election id: %s\n", evote_manifest_election_id(m));
    printf("title:       %s\n", evote_manifest_title(m));
    printf("sha256:      %s\n", hex);
    printf("voting window:\n");
    print_time("opens", opens);
    print_time("closes", closes);
    size_t nc = evote_manifest_contest_count(m);
    printf("contests (%zu, official order):\n", nc);
    for (size_t i = 0; i < nc; i++) {
        printf("  %zu. %s [%s] %s\n", i + 1, evote_manifest_contest_id(m, i),
               evote_manifest_contest_kind(m, i), evote_manifest_contest_title(m, i));
        for (size_t j = 0; j < evote_manifest_option_count(m, i); j++)
            printf("       selection %-3zu %-20s %s\n", j, evote_manifest_option_id(m, i, j),
                   evote_manifest_option_name(m, i, j));
    }
    static const char *const roles[] = {"official", "trustee"};
    for (size_t r = 0; r < 2; r++) {
        size_t n = evote_manifest_person_count(m, roles[r]);
        printf("%ss (%zu):\n", roles[r], n);
        for (size_t i = 0; i < n; i++)
            printf("  %-20s %s\n", evote_manifest_person_id(m, roles[r], i),
                   evote_manifest_person_name(m, roles[r], i));
    }
    printf("approvals required: open %u, close %u, export %u, decrypt %u\n",
           evote_manifest_required_approvals(m, "open"),
           evote_manifest_required_approvals(m, "close"),
           evote_manifest_required_approvals(m, "export"),
           evote_manifest_required_approvals(m, "decrypt"));
    printf("manifest OK\n");
    rc = 0;
    evote_manifest_free(m);
    return rc;
}
