/*
 * libevote — reception: verify a signed ballot, detach the signature, store
 * the bare ballot and mark the voter as voted in one durable transaction.
 *
 * Checks, in this order, each with its own code; a refused message changes
 * nothing in the store (docs/PROTOCOL.md §9):
 *   1. size (EVOTE_ERR_TOO_LARGE), DER/CMS form (EVOTE_ERR_CMS_FORMAT)
 *   2. signature (EVOTE_ERR_SIGNATURE)
 *   3. certificate at the time of receipt: EVOTE_ERR_CERT_CHAIN,
 *      EVOTE_ERR_CERT_EXPIRED, EVOTE_ERR_CERT_NOT_YET_VALID,
 *      EVOTE_ERR_CERT_REVOKED
 *   4. the content is a ballot (EVOTE_ERR_BALLOT_FORMAT) of this election
 *      (EVOTE_ERR_WRONG_ELECTION) for a contest of the manifest
 *      (EVOTE_ERR_CONTEST_UNKNOWN)
 *   5. voting window, opens <= t < closes (EVOTE_ERR_OUTSIDE_WINDOW)
 *   6. the contest's box is open (EVOTE_ERR_BOX_NOT_OPEN, EVOTE_ERR_BOX_CLOSED)
 *   7. the signer is in the roll (EVOTE_ERR_NOT_IN_ROLL) and may vote in
 *      the contest (EVOTE_ERR_NOT_ELIGIBLE)
 *   8. has not voted in it (EVOTE_ERR_ALREADY_VOTED)
 *   9. the ballot's proof of knowledge (EVOTE_ERR_PROOF_INVALID)
 *  10. its C1 is new in the box (EVOTE_ERR_REPLAY)
 * Steps 6-8 and 10 are checked again inside the commit transaction, so
 * concurrent receivers (threads or processes) cannot both succeed.
 *
 * Thread safety: one receiver may be used by many threads at once.
 */
#ifndef EVOTE_RECEIVER_H
#define EVOTE_RECEIVER_H

#include "cms.h"
#include "common.h"
#include "manifest.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Pass as the time of receipt to use the receiver's clock. */
#define EVOTE_NOW INT64_MIN

typedef struct evote_receiver evote_receiver_t;

/* What the voter gets back, only after the commit is durable. */
typedef struct {
    uint8_t tracking_code[EVOTE_HASH_LEN]; /* SHA-256 of the ballot bytes */
    uint8_t leaf_hash[EVOTE_HASH_LEN];     /* RFC 9162 leaf hash in the box */
    char contest[EVOTE_ID_MAX + 1];
    uint64_t index;                        /* position in the contest's box */
} evote_receipt_t;

/*
 * A receiver over a loaded manifest, the election public key, a CMS
 * verifier (CAs, CRLs) and a store. All four are borrowed and must outlive
 * the receiver; none is modified.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_receiver_new(evote_receiver_t **out, const evote_manifest_t *m,
                   const uint8_t pk[EVOTE_POINT_LEN],
                   const evote_cms_verifier_t *verifier, evote_store_t *store);
EVOTE_API void evote_receiver_free(evote_receiver_t *r);

/* Replace the wall clock (tests): now(ctx) returns Unix seconds. */
EVOTE_API void evote_receiver_set_clock(evote_receiver_t *r,
                                        int64_t (*now)(void *ctx), void *ctx);

/*
 * Receive one signed ballot (CMS SignedData, DER) at time at (Unix
 * seconds, or EVOTE_NOW). On EVOTE_OK *receipt is filled after the commit
 * is durable; on any refusal it is zeroed and nothing was stored.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_receiver_receive(evote_receiver_t *r, const uint8_t *msg, size_t len, int64_t at,
                       evote_receipt_t *receipt);

/*
 * Group commit for concurrent single-ballot callers (opt-in; off by
 * default): with max_group > 1, evote_receiver_receive runs its checks in
 * the caller's thread as usual, then queues the ballot; one waiting caller
 * (the leader) commits up to max_group queued ballots in ONE store
 * transaction, and each caller returns its own verdict and receipt only
 * after the commit that holds its ballot is durable. A store failure of
 * that commit is every one of its callers' result. max_group 0 or 1 turns
 * it off; at most EVOTE_RECEIVER_GROUP_MAX. Set it before the receiver is
 * shared between threads. evote_receiver_receive_batch is unaffected.
 */
#define EVOTE_RECEIVER_GROUP_MAX 256
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_receiver_set_group_commit(evote_receiver_t *r, size_t max_group);

/*
 * Receive n messages with ONE commit for all that pass the checks (group
 * commit: one disk flush for the batch). results[i] and receipts[i] are as
 * for evote_receiver_receive. Returns EVOTE_OK when every message got a
 * verdict (accepted or refused), else the failure that stopped the batch
 * (then nothing was stored). The batch's proofs of knowledge are checked
 * together by a random linear combination, and one by one only if that
 * fails (docs/PROTOCOL.md §9.2): each result is still the message's first
 * failing check in the order above.
 */
EVOTE_API EVOTE_WARN_UNUSED evote_err_t
evote_receiver_receive_batch(evote_receiver_t *r, const uint8_t *const *msgs,
                             const size_t *lens, size_t n, int64_t at,
                             evote_err_t *results, evote_receipt_t *receipts);

#ifdef __cplusplus
}
#endif

#endif /* EVOTE_RECEIVER_H */
