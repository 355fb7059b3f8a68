/* evote roll import — load a voter roll (CSV or JSON) into the store. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void usage(FILE *f) {
    fprintf(f, "usage: evote roll import --store DB [--manifest MANIFEST.json] FILE\n"
               "Add the voters of FILE (CSV or JSON, docs/PROTOCOL.md §10) to the store.\n"
               "Re-importing the same roll changes nothing; a contradiction with the\n"
               "file itself or the store is refused with its line, and nothing changes.\n"
               "With --manifest, every contest must be one of the manifest's.\n");
}

/* The manifest's contest ids (borrowed from *m). */
static evote_err_t manifest_contests(const char *path, evote_manifest_t **m,
                                     const char ***ids, size_t *n) {
    evote_err_t err = evote_manifest_load(m, path);
    if (err != EVOTE_OK)
        return err;
    *n = evote_manifest_contest_count(*m);
    *ids = calloc(*n + 1, sizeof(**ids));
    if (*ids == NULL)
        return EVOTE_ERR_NOMEM;
    for (size_t i = 0; i < *n; i++)
        (*ids)[i] = evote_manifest_contest_id(*m, i);
    return EVOTE_OK;
}

int cmd_roll_import(int argc, char **argv) {
    static const struct option opts[] = {{"store", required_argument, NULL, 's'},
                                         {"manifest", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = NULL, *manifest = NULL;
    int c, rc = 1;
    evote_store_t *s = NULL;
    evote_roll_t *r = NULL;
    const char **ids = NULL;
    size_t nids = 0, added = 0;
    evote_err_t err;
    evote_manifest_t *m = NULL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': db = optarg; break;
        case 'm': manifest = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (db == NULL || optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    if (manifest != NULL && (err = manifest_contests(manifest, &m, &ids, &nids)) != EVOTE_OK) {
        rc = cli_fail(err, manifest);
        goto out;
    }
    if ((err = evote_roll_load(&r, argv[optind], ids, nids)) != EVOTE_OK) {
        rc = cli_fail(err, "roll");
        goto out;
    }
    if ((err = evote_store_open_sqlite(&s, db)) != EVOTE_OK) {
        rc = cli_fail(err, "store");
        goto out;
    }
    if ((err = evote_roll_import(s, r, &added)) != EVOTE_OK) {
        rc = cli_fail(err, argv[optind]);
        goto out;
    }
    printf("roll: %zu voters, %zu new\n", evote_roll_count(r), added);
    rc = 0;
out:
    evote_store_free(s);
    evote_roll_free(r);
    free(ids);
    evote_manifest_free(m);
    return rc;
}
