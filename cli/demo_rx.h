/* evote demo — voters, their cards, signing and reception (cli/demo_rx.c). */
#ifndef EVOTE_CLI_DEMO_RX_H
#define EVOTE_CLI_DEMO_RX_H

#include <limits.h>

#include "demo_box.h"
#include "evote/evote.h"

#define DEMO_RX_MAX_CONTESTS 8

struct demo_rx {
    char voters_dir[PATH_MAX], ca_path[PATH_MAX], roll_path[PATH_MAX],
        card_pin_path[PATH_MAX];
    char card_pin[33];
    const char *module;
    unsigned long nvoters;
    size_t ncontests;
    const char *contests[DEMO_RX_MAX_CONTESTS];
    uint8_t *ballots[DEMO_RX_MAX_CONTESTS]; /* voter i's ballot at i * EVOTE_BALLOT_MAX */
    size_t *blens[DEMO_RX_MAX_CONTESTS];
    evote_signer_t *signer; /* freed last: libp11 finalises the module */
    uint8_t **msgs;         /* voter i, contest c at i * ncontests + c */
    size_t *lens;
    size_t nmsgs;
};

/* A stand-in national-ID CA, n voters (keys on a "voter-cards" token,
 * certificates in dir/voters), the roll file. Before the election key. */
int demo_rx_voters(struct demo_rx *rx, const char *dir, const char *module, unsigned long n,
                   const char *const *contests, size_t ncontests);
/* Voter i's encrypted ballot for contest ci (kept for signing). */
int demo_rx_add(struct demo_rx *rx, unsigned long i, size_t ci, const uint8_t *ballot,
                size_t len);
/* Each voter's card signs each of their ballots. */
int demo_rx_sign(struct demo_rx *rx);
/* Roll into the box's store, then every signed ballot through reception. */
int demo_rx_receive(struct demo_rx *rx, struct demo_box *box, const evote_manifest_t *m,
                    const uint8_t pk[EVOTE_POINT_LEN]);
void demo_rx_free(struct demo_rx *rx);

#endif
