/*
 * libevote — the ballot store: voter roll (voted flags) and ballot boxes.
 *
 * A small interface (evote_store_ops_t) behind which SQLite is the default
 * backend (lib/store_sqlite.c: WAL, synchronous=FULL, busy timeout) and a
 * PostgreSQL backend can be added without touching reception.
 *
 * Unlinkability: the roll holds only keyed digests of voter ids and
 * certificate identities (docs/PROTOCOL.md §10, §11) and one "voted" flag
 * per eligible contest, updated in place; the boxes hold only the bare
 * ballot bytes in arrival order, their leaf hash and C1 — no voter id,
 * certificate, signature or per-ballot timestamp.
 *
 * Thread safety: a store handle may be shared by threads (calls are
 * serialised inside); several handles, in one or several processes, may
 * open the same database at once.
 */
#ifndef EVOTE_STORE_H
#define EVOTE_STORE_H

#include <stdbool.h>

#include "common.h"
#include "group.h"
#include "manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    EVOTE_BOX_NONE = 0,    /* no box for this contest yet */
    EVOTE_BOX_CREATED = 1,
    EVOTE_BOX_OPEN = 2,
    EVOTE_BOX_CLOSED = 3,
} evote_box_state_t;

/* State of one contest's box. frontier: the Merkle frontier blob (format
 * of include/evote/merkle.h), malloc'd, NULL when empty. */
typedef struct {
    evote_box_state_t state;
    uint64_t count;            /* ballots in the box */
    uint8_t *frontier;
    size_t frontier_len;
} evote_box_info_t;

EVOTE_API void evote_box_info_clear(evote_box_info_t *info);

/* One voter of the roll, as the store keeps it (digests only). */
typedef struct {
    uint8_t voter_key[EVOTE_HASH_LEN]; /* H("libevote/v1/roll-voter"; voter id) */
    uint8_t ident_key[EVOTE_HASH_LEN]; /* H("libevote/v1/roll-identity"; identity) */
    size_t ncontests;
    const char *const *contests;       /* contest ids the voter may vote in */
    size_t line;                       /* source line (or entry), for messages */
} evote_roll_entry_t;

/* One ballot to append (reception's commit). */
typedef struct {
    uint8_t voter_key[EVOTE_HASH_LEN];
    char contest[EVOTE_ID_MAX + 1];
    const uint8_t *ballot;
    size_t ballot_len;
    uint8_t leaf_hash[EVOTE_HASH_LEN];
    uint8_t c1[EVOTE_POINT_LEN];
} evote_store_append_t;

/* Called for each ballot of a box in sequence order; non-OK stops. */
typedef evote_err_t (*evote_store_ballot_cb)(void *ctx, uint64_t seq,
                                             const uint8_t *ballot, size_t len,
                                             const uint8_t leaf_hash[EVOTE_HASH_LEN]);

/*
 * The backend interface. Every function receives the backend's own handle.
 * roll_import: all entries or none; a voter id already present with another
 * identity or other contests, or an identity of another voter, is
 * EVOTE_ERR_ROLL_CONFLICT (detail names the line); identical entries are
 * skipped (*added counts new voters).
 * append: ONE transaction for the whole batch; item i is applied only if
 * its box is open (EVOTE_ERR_BOX_NOT_OPEN / EVOTE_ERR_BOX_CLOSED), the voter
 * is eligible (EVOTE_ERR_NOT_IN_ROLL / EVOTE_ERR_NOT_ELIGIBLE) and has not
 * voted (EVOTE_ERR_ALREADY_VOTED), and its C1 is new in the box
 * (EVOTE_ERR_REPLAY); then the voted flag is set, the ballot appended with
 * the next sequence number (seq[i]) and the box's count and frontier
 * updated. results[i] receives the verdict of each item. Returns non-OK
 * (and applies nothing) only if the transaction itself failed; returns
 * after the commit is durable.
 */
typedef struct {
    void (*close)(void *impl);
    evote_err_t (*roll_import)(void *impl, const evote_roll_entry_t *e, size_t n,
                               size_t *added);
    /* *eligible / *voted for the voter with ident_key in contest; NOT_FOUND
     * if no voter has that identity. voter_key may be NULL. */
    evote_err_t (*roll_lookup)(void *impl, const uint8_t ident_key[EVOTE_HASH_LEN],
                               const char *contest, uint8_t *voter_key,
                               bool *eligible, bool *voted);
    evote_err_t (*roll_counts)(void *impl, const char *contest, uint64_t *eligible,
                               uint64_t *voted);
    evote_err_t (*box_get)(void *impl, const char *contest, evote_box_info_t *info);
    /* Create the box (state NONE → CREATED) or move it to state, storing
     * frontier if not NULL. Allowed: NONE→CREATED, CREATED→OPEN, OPEN→CLOSED,
     * NONE→OPEN; anything else EVOTE_ERR_STATE. */
    evote_err_t (*box_set)(void *impl, const char *contest, evote_box_state_t state,
                           const uint8_t *frontier, size_t frontier_len);
    evote_err_t (*c1_seen)(void *impl, const char *contest,
                           const uint8_t c1[EVOTE_POINT_LEN], bool *seen);
    evote_err_t (*append)(void *impl, const evote_store_append_t *items, size_t n,
                          evote_err_t *results, uint64_t *seq);
    evote_err_t (*ballots_foreach)(void *impl, const char *contest, uint64_t from,
                                   evote_store_ballot_cb cb, void *ctx);
    /* Small named values (box engineer: statements, manifest hash). */
    evote_err_t (*meta_get)(void *impl, const char *key, uint8_t **val, size_t *len);
    evote_err_t (*meta_set)(void *impl, const char *key, const uint8_t *val, size_t len);
    /* Open the boxes of contests[0..n) in ONE transaction (the box's
     * opening, evote_box_commit_open): each must hold no ballot
     * (EVOTE_ERR_BOX_NOT_EMPTY), not be closed (EVOTE_ERR_BOX_CLOSED) nor
     * open (EVOTE_ERR_STATE), checked in that order; then each is created
     * if needed and opened. A refusal or any failure opens none of them. */
    evote_err_t (*box_open_all)(void *impl, const char *const *contests, size_t n);
} evote_store_ops_t;

typedef struct evote_store evote_store_t;

/* Wrap a backend (ops must outlive the store; impl is closed on free). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_new(evote_store_t **out, const evote_store_ops_t *ops, void *impl);

/*
 * Open (creating if needed) a SQLite store: WAL journal, synchronous=FULL,
 * busy timeout 10 s, schema of docs/PROTOCOL.md §11 (checked on open:
 * another schema version is EVOTE_ERR_VERSION).
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_open_sqlite(evote_store_t **out, const char *path);
EVOTE_API void evote_store_free(evote_store_t *s);

/* The voter-roll digests (PROTOCOL §10). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_roll_voter_key(const char *voter_id, uint8_t out[EVOTE_HASH_LEN]);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_roll_ident_key(const char *identity, uint8_t out[EVOTE_HASH_LEN]);

/* Thin dispatchers: see evote_store_ops_t for each. */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_roll_import(evote_store_t *s, const evote_roll_entry_t *e, size_t n,
                        size_t *added);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_roll_lookup(evote_store_t *s, const uint8_t ident_key[EVOTE_HASH_LEN],
                        const char *contest, uint8_t *voter_key, bool *eligible,
                        bool *voted);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_roll_counts(evote_store_t *s, const char *contest, uint64_t *eligible,
                        uint64_t *voted);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_box_get(evote_store_t *s, const char *contest, evote_box_info_t *info);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_box_set(evote_store_t *s, const char *contest, evote_box_state_t state,
                    const uint8_t *frontier, size_t frontier_len);
/* Create if needed and open, without officials: for tests and simulations
 * only (an election opens its boxes with evote_box_commit_open). */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_box_open(evote_store_t *s, const char *contest);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_box_open_all(evote_store_t *s, const char *const *contests, size_t n);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_c1_seen(evote_store_t *s, const char *contest,
                    const uint8_t c1[EVOTE_POINT_LEN], bool *seen);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_append(evote_store_t *s, const evote_store_append_t *items, size_t n,
                   evote_err_t *results, uint64_t *seq);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_ballots_foreach(evote_store_t *s, const char *contest, uint64_t from,
                            evote_store_ballot_cb cb, void *ctx);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_meta_get(evote_store_t *s, const char *key, uint8_t **val, size_t *len);
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_meta_set(evote_store_t *s, const char *key, const uint8_t *val, size_t len);

/*
 * RFC 9162 leaf hash of a ballot, SHA-256(0x00 ‖ ballot): what the box's
 * Merkle log commits to.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_store_leaf_hash(const uint8_t *ballot, size_t len, uint8_t out[EVOTE_HASH_LEN]);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_STORE_H */
