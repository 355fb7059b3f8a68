/* evote demo — ballot-box steps (cli/demo_box.c). */
#ifndef EVOTE_CLI_DEMO_BOX_H
#define EVOTE_CLI_DEMO_BOX_H

#include <limits.h>

#include "evote/evote.h"

#define DEMO_OFFICIALS 3
#define DEMO_TRUSTEES 2 /* trustee-1, trustee-2: n-of-n, each on their own token */
#define DEMO_BOX_BATCH 256

struct demo_box {
    char dir[PATH_MAX - 64];
    const char *module;
    char store[PATH_MAX], boxdir[PATH_MAX], media[PATH_MAX], airgap[PATH_MAX];
    char cert[DEMO_OFFICIALS][PATH_MAX], pin[DEMO_OFFICIALS][PATH_MAX];
    char cert_sha[DEMO_OFFICIALS][65];
    evote_store_t *s;
    evote_store_append_t items[DEMO_BOX_BATCH];
    uint8_t ident[DEMO_BOX_BATCH][EVOTE_HASH_LEN];
    uint8_t bytes[DEMO_BOX_BATCH][EVOTE_BALLOT_MAX];
    size_t nbatch;
    unsigned long long voters;
    uint8_t first[EVOTE_BALLOT_MAX];
    size_t first_len;
    char first_contest[EVOTE_ID_MAX + 1];
};

/* Officials' keys, certificates and tokens in dir (before the manifest). */
int demo_box_officials(struct demo_box *b, const char *dir, const char *module);
/* The demo manifest (base, ending "]\n}\n") plus officials (pinned) and policy. */
int demo_box_write_manifest(const struct demo_box *b, const char *path, const char *base);
/* `evote box open` by officials 1 and 2; opens the store for appends. */
int demo_box_open(struct demo_box *b, const char *manifest, const char *pubkey);
/* One verified ballot into the store (batched). */
int demo_box_add(struct demo_box *b, const char *contest, const uint8_t *ballot, size_t len,
                 const uint8_t c1[EVOTE_POINT_LEN]);
int demo_box_flush(struct demo_box *b);
/* Tree head + receipt, close, export, import into the air-gapped directory. */
int demo_box_close(struct demo_box *b, const char *manifest, const char *pubkey);
/* The imported ciphertext list of a contest. */
void demo_box_list_path(const struct demo_box *b, const char *contest, char *out, size_t cap);
/* Officials 1 and 2 sign the decryption authorisation auth for list. */
int demo_box_approve(const struct demo_box *b, const char *manifest, const char *contest,
                     const char *list, const char *auth, char sig[2][PATH_MAX]);
void demo_box_free(struct demo_box *b);
/* Run `evote ARGS…` (this program) as a child process, as the person at
 * that machine would; its exit status. */
int demo_run_evote(const char *const *args);

#endif
